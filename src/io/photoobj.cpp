#include "io/photoobj.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <utility>

#include "io/fits_file.hpp"
#include "io/input_warning.hpp"
#include "util/checked_int.hpp"
#include "util/error.hpp"
#include "celeste/math.hpp"

namespace celeste::io {
namespace {

constexpr int kR = 2;
constexpr double kArcsecPerPixel = 0.396;

// A [rows x 5] per-band column as rows of arrays; checks the cell size.
std::vector<PhotoObjRow::Bands> band_column(const FitsFile& f, const std::string& name) {
  const long repeat = f.column_repeat(name);
  if (repeat != survey::kNumBands)
    f.fail_input("column " + name + " has " + std::to_string(repeat) + " values per row, expected " +
                 std::to_string(survey::kNumBands) + " (u g r i z)");
  const std::vector<double> flat = f.read_vector_column_double(name);
  std::vector<PhotoObjRow::Bands> out(flat.size() / survey::kNumBands);
  for (std::size_t i = 0; i < out.size(); ++i)
    for (int b = 0; b < survey::kNumBands; ++b) out[i][b] = flat[i * survey::kNumBands + b];
  return out;
}

// OBJID is a 19-character decimal string in DR8+ photoObj files and an integer elsewhere.
std::vector<long long> objid_column(const FitsFile& f) {
  const std::string form = f.read_string("TFORM" + std::to_string(f.column_number("OBJID")));
  if (form.find('A') == std::string::npos) return f.read_column_int("OBJID");
  std::vector<long long> out;
  for (const std::string& s : f.read_column_string("OBJID")) {
    std::string trimmed = s;
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.erase(trimmed.begin());
    const std::optional<long long> id = parse_integer(trimmed);
    if (!id)
      f.fail_input("column OBJID row " + std::to_string(out.size() + 1) + ": '" + s +
                       "' is not an integer object id",
                   "OBJID", s);
    out.push_back(*id);
  }
  return out;
}

}  // namespace

std::vector<PhotoObjRow> read_photoobj_rows(const std::string& path) {
  FitsFile f = FitsFile::open_read(path);
  if (f.num_hdus() < 2)
    throw InputError(path + ": photoObj has " + std::to_string(f.num_hdus()) +
                     " HDU(s); the object table is expected in HDU 2");
  f.move_to(2);
  if (f.hdu_kind() != HduKind::binary_table) {
    const auto shape = f.image_shape();
    f.fail_input(shape.empty() ? "empty image HDU where the photoObj object table belongs: the "
                                 "catalog has no objects (SDSS Photo produced none for this field)"
                               : "expected the photoObj binary table, found an image");
  }
  const long n = f.num_rows();
  std::vector<PhotoObjRow> rows(static_cast<std::size_t>(n));
  const auto objid = objid_column(f);
  const auto run = f.read_column_int_in("RUN", kIntMin, kIntMax);
  const auto camcol = f.read_column_int_in("CAMCOL", kIntMin, kIntMax);
  const auto field = f.read_column_int_in("FIELD", kIntMin, kIntMax);
  const auto type = f.read_column_int_in("OBJC_TYPE", kIntMin, kIntMax);
  const auto flags = f.read_column_int("OBJC_FLAGS");
  const auto flags2 = f.read_column_int("OBJC_FLAGS2");
  const auto nchild = f.read_column_int_in("NCHILD", kIntMin, kIntMax);
  const auto ra = f.read_column_double("RA");
  const auto dec = f.read_column_double("DEC");
  struct BandField {
    const char* column;
    PhotoObjRow::Bands PhotoObjRow::*member;
  };
  const BandField band_fields[] = {
      {"ROWC", &PhotoObjRow::rowc},           {"COLC", &PhotoObjRow::colc},
      {"PSFFLUX", &PhotoObjRow::psfflux},     {"DEVFLUX", &PhotoObjRow::devflux},
      {"EXPFLUX", &PhotoObjRow::expflux},     {"FRACDEV", &PhotoObjRow::fracdev},
      {"AB_DEV", &PhotoObjRow::ab_dev},       {"AB_EXP", &PhotoObjRow::ab_exp},
      {"THETA_DEV", &PhotoObjRow::theta_dev}, {"THETA_EXP", &PhotoObjRow::theta_exp},
      {"PHI_DEV_DEG", &PhotoObjRow::phi_dev_deg}, {"PHI_EXP_DEG", &PhotoObjRow::phi_exp_deg},
      {"PHI_OFFSET", &PhotoObjRow::phi_offset}};
  for (const auto& bf : band_fields) {
    const auto values = band_column(f, bf.column);
    for (long i = 0; i < n; ++i) rows[i].*(bf.member) = values[i];
  }
  for (long i = 0; i < n; ++i) {
    PhotoObjRow& r = rows[i];
    r.objid = objid[i];
    r.run = run[i];
    r.camcol = camcol[i];
    r.field = field[i];
    r.objc_type = type[i];
    r.objc_flags = flags[i];
    r.objc_flags2 = flags2[i];
    r.nchild = nchild[i];
    r.ra = ra[i];
    r.dec = dec[i];
  }
  return rows;
}

std::string photoobj_selection_drop(const PhotoObjRow& r) {
  if (r.objc_type != 3 && r.objc_type != 6) return "not_star_or_galaxy";
  if (r.nchild != 0) return "deblend_parent";
  if ((r.objc_flags & kPhotoObjFlagsMask) || (r.objc_flags2 & kPhotoObjFlags2Mask))
    return "flagged";
  return "";
}

bool usable_for_initialisation(const PhotoObjRow& r) {
  if (!photoobj_selection_drop(r).empty()) return false;
  if (!(r.fracdev[kR] >= 0 && r.fracdev[kR] <= 1)) return false;
  return std::isfinite(r.ra) && std::isfinite(r.dec);
}

survey::CatalogEntry to_catalog_entry(const PhotoObjRow& r) {
  survey::CatalogEntry e;
  e.ra = r.ra;
  e.dec = r.dec;
  e.objid = r.objid;
  e.is_star = r.objc_type == 6;
  const double fd = r.fracdev[kR];
  for (int b = 0; b < survey::kNumBands; ++b) {
    e.star_fluxes[b] = std::max(r.psfflux[b], 1e-6);
    e.gal_fluxes[b] = fd * std::max(r.devflux[b], 1e-6) + (1 - fd) * std::max(r.expflux[b], 1e-6);
  }
  e.gal_frac_dev = fd;
  const bool use_dev = fd > 0.5;
  e.gal_axis_ratio = use_dev ? r.ab_dev[kR] : r.ab_exp[kR];
  const double phi_deg = use_dev ? r.phi_dev_deg[kR] : r.phi_exp_deg[kR];
  e.gal_angle = (phi_deg - r.phi_offset[kR]) * kRadPerDeg;
  const double theta = use_dev ? r.theta_dev[kR] : r.theta_exp[kR];
  e.gal_radius_px = std::max(theta, 1.0 / 30.0) / kArcsecPerPixel;
  return e;
}

std::string photoobj_row_problem(const PhotoObjRow& r) {
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return std::string(buf);
  };
  if (!std::isfinite(r.ra)) return "column RA = " + num(r.ra) + " is not a finite number";
  if (!std::isfinite(r.dec) || std::abs(r.dec) > 90)
    return "column DEC = " + num(r.dec) + " is outside [-90, 90]";
  if (!(r.fracdev[kR] >= 0 && r.fracdev[kR] <= 1))
    return "column FRACDEV (r) = " + num(r.fracdev[kR]) + " is outside [0, 1]";
  // Photo measures negative fluxes for faint sources (clamped at conversion); only
  // non-numbers and absurd values are wrong.
  const std::pair<const char*, const PhotoObjRow::Bands*> fluxes[] = {
      {"PSFFLUX", &r.psfflux}, {"DEVFLUX", &r.devflux}, {"EXPFLUX", &r.expflux}};
  for (const auto& [name, v] : fluxes)
    for (int b = 0; b < survey::kNumBands; ++b)
      if (!std::isfinite((*v)[b]) || std::abs((*v)[b]) > kMaxPhotoObjFluxNmgy)
        return std::string("column ") + name + " (" + survey::kBandNames[b] + ") = " +
               num((*v)[b]) + " nmgy is not a finite flux within +-" +
               num(kMaxPhotoObjFluxNmgy);
  // The r-band shape of the profile the conversion uses (to_catalog_entry).
  const bool use_dev = r.fracdev[kR] > 0.5;
  const double ab = use_dev ? r.ab_dev[kR] : r.ab_exp[kR];
  const double theta = use_dev ? r.theta_dev[kR] : r.theta_exp[kR];
  const double phi = use_dev ? r.phi_dev_deg[kR] : r.phi_exp_deg[kR];
  const std::string profile = use_dev ? "DEV" : "EXP";
  if (!(ab > 0 && ab <= 1))
    return "column AB_" + profile + " (r) = " + num(ab) + " is outside (0, 1]";
  if (!(theta >= 0 && theta <= kMaxPhotoObjThetaArcsec))
    return "column THETA_" + profile + " (r) = " + num(theta) + " arcsec is outside [0, " +
           num(kMaxPhotoObjThetaArcsec) + "]";
  if (!std::isfinite(phi))
    return "column PHI_" + profile + "_DEG (r) = " + num(phi) + " is not finite";
  if (!std::isfinite(r.phi_offset[kR]))
    return "column PHI_OFFSET (r) = " + num(r.phi_offset[kR]) + " is not finite";
  return "";
}

survey::Catalog read_photoobj(const std::string& path, CatalogRowCounts* counts) {
  survey::Catalog out;
  constexpr int kWarnedRows = 5;
  // Rows dropped by reason, in the order the rules apply (docs/io.md "Dropped catalog rows").
  std::vector<std::pair<std::string, long>> dropped{
      {"not_star_or_galaxy", 0}, {"deblend_parent", 0}, {"flagged", 0}, {"implausible_values", 0}};
  auto drop = [&](const std::string& reason) {
    for (auto& d : dropped)
      if (d.first == reason) ++d.second;
  };
  long implausible = 0;
  const std::vector<PhotoObjRow> rows = read_photoobj_rows(path);
  for (const PhotoObjRow& r : rows) {
    // Photo's own selection first (type, children, flags): those rows are not errors.
    if (const std::string reason = photoobj_selection_drop(r); !reason.empty()) {
      drop(reason);
      continue;
    }
    if (const std::string problem = photoobj_row_problem(r); !problem.empty()) {
      if (implausible < kWarnedRows)
        warn_input(path + ": HDU 2: objid " + std::to_string(r.objid) + ": " + problem +
                   "; the object is skipped");
      ++implausible;
      drop("implausible_values");
      continue;
    }
    // photoobj_row_problem covers every rule of usable_for_initialisation left.
    out.push_back(to_catalog_entry(r));
  }
  if (implausible > kWarnedRows)
    warn_input(path + ": HDU 2: " + std::to_string(implausible) +
               " objects skipped in all for implausible values (the first " +
               std::to_string(kWarnedRows) + " are listed above)");
  if (counts) *counts = {static_cast<long>(rows.size()), dropped};
  return out;
}

}  // namespace celeste::io
