#pragma once
// The two prediction catalogs `celeste score` compares with the truth, converted to
// ScoringSource (columns are read by name; a missing column is an InputError naming the file
// and every missing column):
//
// * our output catalog (`celeste run`, columns of docs/score.md "Catalog columns used"):
//   position ra/dec, prob_star, r flux exp(log_flux_r) (the log-normal median, as
//   Celeste.jl's flux_r_nmgy = exp(γ)), colors color_* and their sds in magnitudes,
//   log_flux_r_sd, and the galaxy shape gal_*; sources flagged bad_sky are left out, as
//   Celeste.jl leaves bad-sky sources out of its catalogs;
// * the generic initial catalog (the `catalog.format: generic` input of `celeste run`):
//   ra, dec, is_star, star_fluxes[5], gal_fluxes[5], gal_frac_dev, gal_axis_ratio,
//   gal_angle (radians), gal_radius_px (σ); fluxes of the listed type give r flux and colors,
//   radius σ·sqrt(ρ). It has no uncertainties, so no calibration.
#include <string>

#include "score/scoring_source.hpp"

namespace celeste::score {

struct CatalogForScoring {
  ScoringCatalog sources;
  long rows_read = 0;
  long excluded_bad_sky = 0;
};

CatalogForScoring read_celeste_catalog(const std::string& path);
CatalogForScoring read_generic_initial_catalog(const std::string& path);

}  // namespace celeste::score
