#include "score/truth_catalog.hpp"

#include <cmath>
#include <limits>

#include "io/fits_file.hpp"
#include "score/magnitudes.hpp"
#include "survey/wcs.hpp"
#include "survey/bands.hpp"
#include "util/error.hpp"
#include "celeste/math.hpp"

namespace celeste::score {

namespace {

// CasJobs writes integer nulls as the type's minimum; we keep its TNULL values.
constexpr std::int64_t kNull64 = std::numeric_limits<std::int64_t>::min();

std::string band_column(const char* prefix, int band) {
  return std::string(prefix) + "_" + survey::kBandNames[static_cast<std::size_t>(band)];
}

std::vector<io::TableColumnSpec> coadd_columns() {
  std::vector<io::TableColumnSpec> c = {
      {"objid", "1K", "", ""}, {"rerun", "1I", "", ""},    {"run", "1I", "", ""},
      {"camcol", "1B", "", ""}, {"field", "1I", "", ""},  {"flags", "1K", "", ""},
      {"ra", "1D", "deg", ""}, {"dec", "1D", "deg", ""}, {"probpsf", "1E", "", ""}};
  for (const char* prefix : {"psfmag", "devmag", "expmag"})
    for (int b = 0; b < kBands; ++b) c.push_back({band_column(prefix, b), "1E", "mag", ""});
  for (const char* name : {"fracdev_r", "devab_r", "expab_r"}) c.push_back({name, "1E", "", ""});
  for (const char* name : {"devphi_r", "expphi_r"}) c.push_back({name, "1E", "deg", ""});
  for (const char* name : {"devrad_r", "exprad_r"}) c.push_back({name, "1E", "arcsec", ""});
  c.push_back({"is_saturated", "1K", "", ""});
  return c;
}

}  // namespace

std::vector<CoaddTruthRow> read_coadd_truth(const std::string& path) {
  io::FitsFile table = io::FitsFile::open_read(path);
  // The CasJobs extracts hold the table in HDU 2; accept it in any HDU after the primary.
  int hdu = 0;
  for (int h = 2; h <= table.num_hdus() && hdu == 0; ++h) {
    table.move_to(h);
    if (table.hdu_kind() == io::HduKind::binary_table) hdu = h;
  }
  if (hdu == 0) table.fail_input("no binary table (expected a Stripe 82 coadd truth catalog)");
  const std::size_t n = static_cast<std::size_t>(table.num_rows());
  // Integer columns: provenance is optional (synthetic truth has zeros); CasJobs nulls (TNULL)
  // arrive as the raw null value, which only matters for is_saturated (checked != 0 below,
  // as Celeste.jl does).
  auto optional_int = [&](const char* name) {
    return table.has_column(name) ? table.read_column_int(name) : std::vector<long long>(n, 0);
  };
  const auto objid = table.read_column_int("objid");
  const auto rerun = optional_int("rerun");
  const auto run = optional_int("run");
  const auto camcol = optional_int("camcol");
  const auto field = optional_int("field");
  const auto flags = optional_int("flags");
  // is_saturated is absent from Celeste.jl's unit-test catalog: absent = not saturated.
  const auto saturated = optional_int("is_saturated");
  const auto ra = table.read_column_double("ra");
  const auto dec = table.read_column_double("dec");
  const auto probpsf = table.read_column_double("probpsf");
  std::array<std::vector<double>, kBands> psfmag, devmag, expmag;
  for (int b = 0; b < kBands; ++b) {
    psfmag[b] = table.read_column_double(band_column("psfmag", b));
    devmag[b] = table.read_column_double(band_column("devmag", b));
    expmag[b] = table.read_column_double(band_column("expmag", b));
  }
  const auto fracdev = table.read_column_double("fracdev_r");
  const auto devab = table.read_column_double("devab_r");
  const auto expab = table.read_column_double("expab_r");
  const auto devphi = table.read_column_double("devphi_r");
  const auto expphi = table.read_column_double("expphi_r");
  const auto devrad = table.read_column_double("devrad_r");
  const auto exprad = table.read_column_double("exprad_r");

  std::vector<CoaddTruthRow> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    CoaddTruthRow& r = rows[i];
    r.objid = objid[i];
    r.rerun = static_cast<int>(rerun[i]);
    r.run = static_cast<int>(run[i]);
    r.camcol = static_cast<int>(camcol[i]);
    r.field = static_cast<int>(field[i]);
    r.flags = flags[i];
    r.ra_deg = ra[i];
    r.dec_deg = dec[i];
    r.is_star = !(probpsf[i] == 0);  // Celeste.jl: probpsf != 0 (a NaN counts as star)
    // Celeste.jl picks the dominant galaxy profile by fracdev_r > 0.5 (false for NaN).
    const bool use_dev = fracdev[i] > 0.5;
    for (int b = 0; b < kBands; ++b) {
      const double mag = r.is_star ? psfmag[b][i] : (use_dev ? devmag[b][i] : expmag[b][i]);
      r.flux_nmgy[static_cast<std::size_t>(b)] = asinh_mag_to_flux(mag, b);
    }
    r.gal_frac_dev = fracdev[i];
    r.gal_axis_ratio = use_dev ? devab[i] : expab[i];
    r.gal_angle_deg = survey::angle_0_180_deg(use_dev ? devphi[i] : expphi[i]);
    r.gal_radius_px = (use_dev ? devrad[i] : exprad[i]) / kSdssArcsecPerPixel;
    r.is_saturated = saturated[i] != 0;
  }
  return rows;
}

void write_coadd_truth(const std::string& path, const std::vector<CoaddTruthRow>& rows) {
  const std::size_t n = rows.size();
  const auto columns = coadd_columns();
  std::vector<long long> objid(n), rerun(n), run(n), camcol(n), field(n), flags(n), sat(n);
  std::vector<double> ra(n), dec(n), probpsf(n), fracdev(n), ab(n), phi(n), rad(n);
  std::array<std::vector<double>, kBands> mag;
  for (auto& m : mag) m.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const CoaddTruthRow& r = rows[i];
    objid[i] = r.objid;
    rerun[i] = r.rerun;
    run[i] = r.run;
    camcol[i] = r.camcol;
    field[i] = r.field;
    flags[i] = r.flags;
    sat[i] = r.is_saturated ? 1 : 0;
    ra[i] = r.ra_deg;
    dec[i] = r.dec_deg;
    probpsf[i] = r.is_star ? 1.0 : 0.0;
    for (int b = 0; b < kBands; ++b)
      mag[b][i] = flux_to_asinh_mag(r.flux_nmgy[static_cast<std::size_t>(b)], b);
    fracdev[i] = r.is_star ? 0.0 : r.gal_frac_dev;
    ab[i] = r.is_star ? 1.0 : r.gal_axis_ratio;
    phi[i] = r.is_star ? 0.0 : r.gal_angle_deg;
    rad[i] = r.is_star ? 0.0 : r.gal_radius_px * kSdssArcsecPerPixel;
  }

  io::FitsFile out = io::FitsFile::create(path);
  out.append_table("COADD_TRUTH", columns, static_cast<long>(n));
  auto colnum = [&](const std::string& name) {
    for (std::size_t c = 0; c < columns.size(); ++c)
      if (columns[c].name == name) return static_cast<int>(c) + 1;
    out.fail_input("internal: no column " + name + " in the coadd layout");
  };
  // The CasJobs extracts declare the 64-bit integer null; kept for a byte-compatible layout.
  for (const char* name : {"objid", "flags", "is_saturated"})
    out.write_key("TNULL" + std::to_string(colnum(name)), static_cast<long long>(kNull64));
  out.write_column(colnum("objid"), objid);
  out.write_column(colnum("rerun"), rerun);
  out.write_column(colnum("run"), run);
  out.write_column(colnum("camcol"), camcol);
  out.write_column(colnum("field"), field);
  out.write_column(colnum("flags"), flags);
  out.write_column(colnum("is_saturated"), sat);
  out.write_column(colnum("ra"), ra);
  out.write_column(colnum("dec"), dec);
  out.write_column(colnum("probpsf"), probpsf);
  for (const char* prefix : {"psfmag", "devmag", "expmag"})
    for (int b = 0; b < kBands; ++b) out.write_column(colnum(band_column(prefix, b)), mag[b]);
  out.write_column(colnum("fracdev_r"), fracdev);
  out.write_column(colnum("devab_r"), ab);
  out.write_column(colnum("expab_r"), ab);
  out.write_column(colnum("devphi_r"), phi);
  out.write_column(colnum("expphi_r"), phi);
  out.write_column(colnum("devrad_r"), rad);
  out.write_column(colnum("exprad_r"), rad);
  out.close();
}

CoaddTruthRow coadd_truth_row_from_entry(const survey::CatalogEntry& entry) {
  CoaddTruthRow r;
  r.objid = entry.objid;
  r.ra_deg = entry.ra;
  r.dec_deg = entry.dec;
  r.is_star = entry.is_star;
  const auto& fluxes = entry.is_star ? entry.star_fluxes : entry.gal_fluxes;
  for (int b = 0; b < kBands; ++b)
    r.flux_nmgy[static_cast<std::size_t>(b)] = fluxes[static_cast<std::size_t>(b)];
  r.gal_frac_dev = entry.gal_frac_dev;
  r.gal_axis_ratio = entry.gal_axis_ratio;
  r.gal_angle_deg = survey::angle_0_180_deg(entry.gal_angle * kDegPerRad);
  r.gal_radius_px = entry.gal_radius_px * std::sqrt(entry.gal_axis_ratio);
  return r;
}

bool is_known_bad_coadd_object(std::int64_t objid) {
  // Celeste.jl AccuracyBenchmark.BAD_COADD_OBJID (field 4263/5/119): an object that is really
  // several, one with a bright neighbour missing from the catalog, and a likely quasar. Later
  // Celeste.jl versions also list 8647474692482204147 (a spectroscopic quasar), but the 2018
  // reference results (s82-results/matched_truth.csv) score it, so it is kept here: the
  // reference table is reproduced only with it (docs/score.md).
  static constexpr std::int64_t kBad[] = {8647474692482203853, 8647474692482203816,
                                          8647474692482204612};
  for (std::int64_t bad : kBad)
    if (objid == bad) return true;
  return false;
}

ScoringSource scoring_source_from_truth(const CoaddTruthRow& row) {
  ScoringSource s;
  s.objid = row.objid;
  s.ra_deg = row.ra_deg;
  s.dec_deg = row.dec_deg;
  s.prob_star = row.is_star ? 1.0 : 0.0;
  const double flux_r = row.flux_nmgy[kBandR];
  s.flux_r_nmgy = flux_r > 0 ? flux_r : kMissing;
  for (int c = 0; c < kNumColors; ++c)
    s.color_mag[static_cast<std::size_t>(c)] = color_mag_from_fluxes(
        row.flux_nmgy[static_cast<std::size_t>(c)], row.flux_nmgy[static_cast<std::size_t>(c + 1)]);
  if (!row.is_star) {
    s.gal_frac_dev = row.gal_frac_dev;
    s.gal_axis_ratio = row.gal_axis_ratio;
    s.gal_radius_px = row.gal_radius_px;
    s.gal_angle_deg = row.gal_angle_deg;
  }
  return s;
}

TruthForScoring truth_for_scoring(const std::vector<CoaddTruthRow>& rows) {
  TruthForScoring out;
  out.rows_read = static_cast<long>(rows.size());
  for (const CoaddTruthRow& row : rows) {
    // Saturated objects first, then the hand list, counted in that order as Celeste.jl does.
    if (row.is_saturated) {
      ++out.excluded_saturated;
      continue;
    }
    if (is_known_bad_coadd_object(row.objid)) {
      ++out.excluded_known_bad;
      continue;
    }
    out.sources.push_back(scoring_source_from_truth(row));
  }
  return out;
}

}  // namespace celeste::score
