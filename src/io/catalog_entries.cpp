#include "io/catalog_entries.hpp"

#include <cmath>
#include <cstdio>

#include "io/atomic_file.hpp"
#include "io/catalog_output.hpp"
#include "io/fits_file.hpp"
#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::io {

CatalogProblem catalog_entry_problem(const survey::CatalogEntry& e) {
  if (!std::isfinite(e.ra))
    return {"ra", format_significant(e.ra),
            "right ascension " + format_significant(e.ra) + " is not a finite number"};
  if (!std::isfinite(e.dec) || std::abs(e.dec) > 90)
    return {"dec", format_significant(e.dec),
            "declination " + format_significant(e.dec) + " is outside [-90, 90]"};
  for (int t = 0; t < 2; ++t) {
    const auto& fl = t == 0 ? e.star_fluxes : e.gal_fluxes;
    const std::string column = t == 0 ? "star_fluxes" : "gal_fluxes";
    for (int b = 0; b < survey::kNumBands; ++b)
      if (!std::isfinite(fl[b]) || fl[b] < 0 || fl[b] > kMaxCatalogFluxNmgy)
        return {column, format_significant(fl[b]),
                std::string("band ") + survey::kBandNames[b] + " flux " +
                    format_significant(fl[b]) + " nmgy is outside [0, " +
                    format_significant(kMaxCatalogFluxNmgy) + "]"};
  }
  // A star's galaxy shape may be NaN: "not measured", as in Celeste.jl's catalogs (the scorer
  // then leaves those shape errors missing). Every other shape value must be valid.
  const bool unmeasured_star_shape =
      e.is_star && std::isnan(e.gal_frac_dev) && std::isnan(e.gal_axis_ratio) &&
      std::isnan(e.gal_angle) && std::isnan(e.gal_radius_px);
  if (unmeasured_star_shape) return {};
  if (!(e.gal_frac_dev >= 0 && e.gal_frac_dev <= 1))
    return {"gal_frac_dev", format_significant(e.gal_frac_dev),
            "de Vaucouleurs fraction " + format_significant(e.gal_frac_dev) + " is outside [0, 1]"};
  if (!(e.gal_axis_ratio > 0 && e.gal_axis_ratio <= 1))
    return {"gal_axis_ratio", format_significant(e.gal_axis_ratio),
            "axis ratio " + format_significant(e.gal_axis_ratio) + " is outside (0, 1]"};
  if (!std::isfinite(e.gal_angle))
    return {"gal_angle", format_significant(e.gal_angle),
            "angle " + format_significant(e.gal_angle) + " is not finite"};
  if (!(e.gal_radius_px > 0 && e.gal_radius_px <= kMaxCatalogRadiusPx))
    return {"gal_radius_px", format_significant(e.gal_radius_px),
            "radius " + format_significant(e.gal_radius_px) + " px is outside (0, " +
                format_significant(kMaxCatalogRadiusPx) + "]"};
  return {};
}

namespace {

// The rows of a CATALOG_ENTRIES table (the current HDU of f).
survey::Catalog entries_from_table(const FitsFile& f) {
  const long rows = f.num_rows();
  survey::Catalog out(static_cast<std::size_t>(rows));
  if (rows == 0) return out;
  auto fluxes = [&](const char* name) {
    if (f.column_repeat(name) != survey::kNumBands)
      f.fail_input(std::string("column ") + name + " must hold 5 values (u g r i z) per row");
    return f.read_vector_column_double(name);
  };
  const auto ra = f.read_column_double("ra");
  const auto dec = f.read_column_double("dec");
  const auto is_star = f.read_column_logical("is_star");
  const auto star = fluxes("star_fluxes");
  const auto gal = fluxes("gal_fluxes");
  const auto frac_dev = f.read_column_double("gal_frac_dev");
  const auto axis_ratio = f.read_column_double("gal_axis_ratio");
  const auto angle = f.read_column_double("gal_angle");
  const auto radius = f.read_column_double("gal_radius_px");
  const auto objid = f.has_column("objid") ? f.read_column_int("objid")
                                           : std::vector<long long>(rows, 0);
  for (long i = 0; i < rows; ++i) {
    survey::CatalogEntry& e = out[i];
    e.ra = ra[i];
    e.dec = dec[i];
    e.is_star = is_star[i];
    for (int b = 0; b < survey::kNumBands; ++b) {
      e.star_fluxes[b] = star[i * survey::kNumBands + b];
      e.gal_fluxes[b] = gal[i * survey::kNumBands + b];
    }
    e.gal_frac_dev = frac_dev[i];
    e.gal_axis_ratio = axis_ratio[i];
    e.gal_angle = angle[i];
    e.gal_radius_px = radius[i];
    e.objid = objid[i];
  }
  return out;
}

}  // namespace

survey::Catalog read_catalog_entries(const std::string& path, CatalogRowCounts* counts) {
  FitsFile f = FitsFile::open_read(path);
  const int n = f.num_hdus();
  int table = 0;
  for (int h = 2; h <= n && table == 0; ++h) {
    f.move_to(h);
    if (f.hdu_kind() == HduKind::binary_table) table = h;
  }
  if (table == 0)
    throw InputError(path + ": no binary table (catalog) in " + std::to_string(n) +
                         " HDU(s); expected a CATALOG_ENTRIES table",
                     {path, 0, 0, "", ""});
  // An output catalog of `celeste run` (EXTNAME 'CATALOG', the fitted columns) is detected:
  // catalog.format generic reads it too (refining a fit, rendering it with generate).
  const bool output_catalog = !f.has_column("star_fluxes") && f.has_key("EXTNAME") &&
                              f.read_string("EXTNAME") == "CATALOG";
  survey::Catalog out = output_catalog ? catalog_entries_from_output_table(f)
                                       : entries_from_table(f);
  // An entry's field by the name of the file's column it came from.
  auto file_column = [&](const std::string& entry_field, const std::string& what) {
    if (!output_catalog) return entry_field;
    if (entry_field == "star_fluxes" || entry_field == "gal_fluxes")
      for (int b = 0; b < survey::kNumBands; ++b)
        if (what.rfind(std::string("band ") + survey::kBandNames[b] + " ", 0) == 0)
          return std::string("flux_") + survey::kBandNames[b];
    if (entry_field == "gal_angle") return std::string("gal_angle_deg");
    if (entry_field == "gal_radius_px") return std::string("gal_scale_px");
    return entry_field;
  };
  for (std::size_t i = 0; i < out.size(); ++i)
    if (const CatalogProblem p = catalog_entry_problem(out[i]); !p.column.empty()) {
      const std::string column = file_column(p.column, p.what);
      f.fail_input("column " + column + " row " + std::to_string(i + 1) + " (objid " +
                       std::to_string(out[i].objid) + "): " + p.what,
                   column, p.value);
    }
  if (counts) *counts = {static_cast<long>(out.size()), {}};
  return out;
}

void write_catalog_entries(const std::string& path, const survey::Catalog& catalog) {
  AtomicOutput out(path);
  const std::vector<TableColumnSpec> specs{
      {"ra", "1D", "deg", "F13.8"},           {"dec", "1D", "deg", "F13.8"},
      {"is_star", "1L", "", "L1"},            {"star_fluxes", "5D", "nmgy", "G14.7"},
      {"gal_fluxes", "5D", "nmgy", "G14.7"},  {"gal_frac_dev", "1D", "", "F8.5"},
      {"gal_axis_ratio", "1D", "", "F8.5"},   {"gal_angle", "1D", "rad", "F10.6"},
      {"gal_radius_px", "1D", "pix", "F10.5"}, {"objid", "1K", "", "I20"}};
  const long rows = static_cast<long>(catalog.size());
  std::vector<double> ra, dec, star, gal, fd, ab, phi, radius;
  std::vector<bool> is_star;
  std::vector<long long> objid;
  for (const auto& e : catalog) {
    ra.push_back(e.ra);
    dec.push_back(e.dec);
    is_star.push_back(e.is_star);
    star.insert(star.end(), e.star_fluxes.begin(), e.star_fluxes.end());
    gal.insert(gal.end(), e.gal_fluxes.begin(), e.gal_fluxes.end());
    fd.push_back(e.gal_frac_dev);
    ab.push_back(e.gal_axis_ratio);
    phi.push_back(e.gal_angle);
    radius.push_back(e.gal_radius_px);
    objid.push_back(e.objid);
  }
  FitsFile f = FitsFile::create(out.temp_path());
  f.append_table("CATALOG_ENTRIES", specs, rows);
  if (rows > 0) {
    f.write_column(1, ra);
    f.write_column(2, dec);
    f.write_column_logical(3, is_star);
    // Vector cells (TFORM "5D"): the TFORM fixes the cell size, values fill cells in row order.
    f.write_column(4, star);
    f.write_column(5, gal);
    f.write_column(6, fd);
    f.write_column(7, ab);
    f.write_column(8, phi);
    f.write_column(9, radius);
    f.write_column(10, objid);
  }
  f.close();
  out.commit();
}

}  // namespace celeste::io
