#include "score/catalog_input.hpp"

#include <cmath>

#include "score/fits_table.hpp"
#include "score/magnitudes.hpp"

namespace celeste::score {

namespace {

void require_columns(const FitsTableReader& table, const std::vector<std::string>& names,
                     const std::string& what) {
  std::string missing;
  for (const auto& name : names)
    if (!table.has_column(name)) missing += (missing.empty() ? "'" : ", '") + name + "'";
  if (!missing.empty()) table.fail("not " + what + ": missing column(s) " + missing);
}

std::vector<std::int64_t> objids_or_row_numbers(const FitsTableReader& table) {
  if (table.has_column("objid")) return table.read_int64("objid", 0);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(table.num_rows()));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i) + 1;
  return ids;
}

}  // namespace

CatalogForScoring read_celeste_catalog(const std::string& path) {
  const FitsTableReader table(path);
  std::vector<std::string> columns = {"ra",           "dec",           "prob_star",
                                      "log_flux_r",   "log_flux_r_sd", "gal_frac_dev",
                                      "gal_axis_ratio", "gal_radius_px", "gal_angle_deg",
                                      "bad_sky"};
  for (const char* color : kColorNames) {
    columns.push_back(color);
    columns.push_back(std::string(color) + "_sd");
  }
  require_columns(table, columns, "a Celeste catalog (celeste run output)");

  const auto objid = objids_or_row_numbers(table);
  const auto ra = table.read_double("ra");
  const auto dec = table.read_double("dec");
  const auto prob_star = table.read_double("prob_star");
  const auto log_flux_r = table.read_double("log_flux_r");
  const auto log_flux_r_sd = table.read_double("log_flux_r_sd");
  const auto frac_dev = table.read_double("gal_frac_dev");
  const auto axis_ratio = table.read_double("gal_axis_ratio");
  const auto radius = table.read_double("gal_radius_px");
  const auto angle = table.read_double("gal_angle_deg");
  const auto bad_sky = table.read_double("bad_sky");
  std::array<std::vector<double>, kNumColors> color, color_sd;
  for (int c = 0; c < kNumColors; ++c) {
    color[c] = table.read_double(kColorNames[c]);
    color_sd[c] = table.read_double(std::string(kColorNames[c]) + "_sd");
  }

  CatalogForScoring out;
  out.rows_read = table.num_rows();
  for (std::size_t i = 0; i < ra.size(); ++i) {
    if (bad_sky[i] != 0 && !std::isnan(bad_sky[i])) {
      ++out.excluded_bad_sky;
      continue;
    }
    ScoringSource s;
    s.objid = objid[i];
    s.ra_deg = ra[i];
    s.dec_deg = dec[i];
    s.prob_star = prob_star[i];
    s.flux_r_nmgy = std::exp(log_flux_r[i]);
    s.log_flux_r_sd = log_flux_r_sd[i];
    for (std::size_t c = 0; c < kNumColors; ++c) {
      s.color_mag[c] = color[c][i];
      s.color_mag_sd[c] = color_sd[c][i];
    }
    s.gal_frac_dev = frac_dev[i];
    s.gal_axis_ratio = axis_ratio[i];
    s.gal_radius_px = radius[i];
    s.gal_angle_deg = canonical_angle_deg(angle[i]);
    out.sources.push_back(s);
  }
  return out;
}

CatalogForScoring read_generic_initial_catalog(const std::string& path) {
  const FitsTableReader table(path);
  if (table.has_column("OBJC_TYPE") && table.has_column("PSFFLUX"))
    table.fail("looks like an SDSS photoObj file; `celeste score --initial` reads the generic "
               "initial-catalog format only (ra, dec, is_star, star_fluxes, gal_fluxes, "
               "gal_frac_dev, gal_axis_ratio, gal_angle, gal_radius_px)");
  require_columns(table,
                  {"ra", "dec", "is_star", "star_fluxes", "gal_fluxes", "gal_frac_dev",
                   "gal_axis_ratio", "gal_angle", "gal_radius_px"},
                  "a generic initial catalog");
  const auto objid = objids_or_row_numbers(table);
  const auto ra = table.read_double("ra");
  const auto dec = table.read_double("dec");
  const auto is_star = table.read_double("is_star");
  const auto star_fluxes = table.read_vector("star_fluxes", kBands);
  const auto gal_fluxes = table.read_vector("gal_fluxes", kBands);
  const auto frac_dev = table.read_double("gal_frac_dev");
  const auto axis_ratio = table.read_double("gal_axis_ratio");
  const auto angle_rad = table.read_double("gal_angle");
  const auto sigma = table.read_double("gal_radius_px");

  CatalogForScoring out;
  out.rows_read = table.num_rows();
  for (std::size_t i = 0; i < ra.size(); ++i) {
    ScoringSource s;
    s.objid = objid[i];
    s.ra_deg = ra[i];
    s.dec_deg = dec[i];
    const bool star = is_star[i] != 0;
    s.prob_star = star ? 1.0 : 0.0;
    const double* flux = &(star ? star_fluxes : gal_fluxes)[i * kBands];
    // As Celeste.jl's Photo baseline: the r flux as given (asinh magnitudes accept any value),
    // colors missing unless both fluxes are positive.
    s.flux_r_nmgy = flux[kBandR];
    for (int c = 0; c < kNumColors; ++c)
      s.color_mag[static_cast<std::size_t>(c)] = color_mag_from_fluxes(flux[c], flux[c + 1]);
    s.gal_frac_dev = frac_dev[i];
    s.gal_axis_ratio = axis_ratio[i];
    s.gal_radius_px = sigma[i] * std::sqrt(axis_ratio[i]);
    s.gal_angle_deg = canonical_angle_deg(angle_rad[i] * (180.0 / 3.14159265358979323846));
    out.sources.push_back(s);
  }
  return out;
}

}  // namespace celeste::score
