#pragma once
// The prediction catalogs `celeste score` compares with the truth, converted to ScoringSource.
// Columns are read by name; a missing column is an InputError naming the file and every
// missing column.
//
// * Our output catalog (`celeste run`; columns: docs/io.md, read with
//   io::read_catalog_columns): position ra/dec, prob_star, r flux exp(log_flux_r) (the
//   log-normal median, as Celeste.jl's flux_r_nmgy = exp(γ)), colors color_* and their sds in
//   magnitudes, log_flux_r_sd, and the galaxy shape gal_*. Sources flagged bad_sky are left
//   out, as Celeste.jl leaves bad-sky sources out of its catalogs.
// * The initial catalog, one of
//   - the generic catalog format (io::read_catalog_entries): fluxes of the listed type give
//     r flux and colors, radius σ·sqrt(ρ), angle φ in degrees;
//   - an SDSS photoObj file (recognised by its OBJC_TYPE and PSFFLUX columns): scored as
//     Celeste.jl's "Photo" baseline (AccuracyBenchmark.load_primary), see photo_baseline_source.
//   Neither has uncertainties, so the initial catalog gets no calibration.
#include <string>

#include "io/photoobj.hpp"
#include "score/scoring_source.hpp"
#include "survey/catalog.hpp"

namespace celeste::score {

struct CatalogForScoring {
  ScoringCatalog sources;
  long rows_read = 0;
  long excluded_bad_sky = 0;   // our catalog: bad_sky sources
  long excluded_other = 0;     // photoObj: unusable rows and PSF r magnitude < 16 (saturated)
  std::string format;          // "celeste", "generic" or "photoobj"
};

CatalogForScoring read_celeste_catalog(const std::string& path);
CatalogForScoring read_initial_catalog(const std::string& path);

// A model catalog entry as a prediction: prob_star 0/1, the type's fluxes (r flux as given,
// colors missing unless both fluxes > 0), radius σ·sqrt(ρ), angle in [0, 180).
ScoringSource scoring_source_from_entry(const survey::CatalogEntry& entry);

// Celeste.jl's Photo baseline from a photoObj row: star = OBJC_TYPE 6; fluxes PSF for stars,
// else DEV when fracdev_r > 0.5, else EXP (not a mixture); axis ratio, angle and radius of that
// profile in the r band, radius = theta / 0.396 px (half-light radius as Photo reports it),
// angle phi - phi_offset (as the initialiser, io::to_catalog_entry).
ScoringSource photo_baseline_source(const io::PhotoObjRow& row);

}  // namespace celeste::score
