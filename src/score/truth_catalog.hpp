#pragma once
// Truth catalogs in the Stripe 82 coadd format (CasJobs `stripe82.photoobj` extracts, the
// format of ../shared/data/sdss/stripe82-truth-only/*.fit and of Celeste.jl's ground truth),
// read AND written: `celeste generate` writes its synthetic truth with write_coadd_truth so
// that one reader serves real and synthetic truth.
//
// File layout (HDU 1 binary table, one row per object; exactly the CasJobs column set):
//   objid (1K) rerun run (1I) camcol (1B) field (1I) flags (1K) ra dec (1D, degrees)
//   probpsf (1E: 1 = star, 0 = galaxy)
//   psfmag_{u,g,r,i,z} devmag_{u..z} expmag_{u..z} (1E, SDSS asinh magnitudes)
//   fracdev_r devab_r expab_r devphi_r expphi_r (1E; phi in degrees)
//   devrad_r exprad_r (1E, arcsec)   is_saturated (1K, flags & SATURATED)
//
// Celeste.jl's reading (AccuracyBenchmark.load_coadd_catalog), reproduced by read_coadd_truth:
// a star's magnitudes are psfmag_*; a galaxy's are devmag_* when fracdev_r > 0.5, else
// expmag_*, and its axis ratio, angle and radius likewise come from the dominant (dev or exp)
// profile. Fluxes are the exact inverse of the asinh magnitudes (magnitudes.hpp).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "score/scoring_source.hpp"
#include "survey/catalog.hpp"

namespace celeste::score {

// One truth object in the scorer's terms (what a coadd row means, not its raw columns).
struct CoaddTruthRow {
  std::int64_t objid = 0;
  int rerun = 0, run = 0, camcol = 0, field = 0;  // survey provenance (0 for synthetic)
  std::int64_t flags = 0;                         // SDSS photo flags (0 for synthetic)
  double ra_deg = 0, dec_deg = 0;
  bool is_star = true;  // probpsf != 0
  // Flux per band u..z in nmgy of the object's own type (star: PSF; galaxy: dominant
  // profile). Stored in the file as asinh magnitudes, so any value (also <= 0) round-trips.
  std::array<double, 5> flux_nmgy{};
  // Galaxy shape (ignored for stars): de Vaucouleurs fraction (fracdev_r), minor/major axis
  // ratio, position angle in degrees, and radius in pixels. The radius is what the scorer
  // compares with a catalog's gal_radius_px = σ·sqrt(ρ) (circularised half-light radius);
  // in the file it is devrad_r/exprad_r = gal_radius_px · 0.396 arcsec.
  double gal_frac_dev = 0;
  double gal_axis_ratio = 1;
  double gal_angle_deg = 0;
  double gal_radius_px = 0;
  bool is_saturated = false;  // excluded from scoring (Celeste.jl)
};

// Reads every row of a coadd truth file. Throws InputError naming the file and any missing
// column. `is_saturated` is optional (Celeste.jl's unit-test catalog lacks it): absent = 0.
std::vector<CoaddTruthRow> read_coadd_truth(const std::string& path);

// Writes `rows` in the coadd format above (overwrites `path`). A star gets its magnitudes in
// psfmag, devmag and expmag alike and zero shape; a galaxy gets the same magnitudes in all
// three sets and its shape in both dev* and exp* columns, so read_coadd_truth returns the
// same row whichever profile fracdev selects. Magnitudes and shapes are float32 in the
// format: values round-trip to ~1e-7 relative.
void write_coadd_truth(const std::string& path, const std::vector<CoaddTruthRow>& rows);

// The truth row for a source of the model (survey::CatalogEntry, e.g. drawn by the
// generator): fluxes of its type, gal_radius_px = σ·sqrt(ρ), angle φ in degrees in [0, 180).
CoaddTruthRow coadd_truth_row_from_entry(const survey::CatalogEntry& entry);

// Coadd objects Celeste.jl excludes by hand from its field-4263/5/119 scoring (a blend, a
// bright unmodelled neighbour, a likely quasar); see docs/score.md.
bool is_known_bad_coadd_object(std::int64_t objid);

// Truth rows converted for scoring, with Celeste.jl's truth exclusions applied.
struct TruthForScoring {
  ScoringCatalog sources;
  long rows_read = 0;
  long excluded_saturated = 0;
  long excluded_known_bad = 0;
};
TruthForScoring truth_for_scoring(const std::vector<CoaddTruthRow>& rows);

// One source in scoring form (no exclusions): flux_r missing unless > 0, colors from fluxes,
// shape missing for stars.
ScoringSource scoring_source_from_truth(const CoaddTruthRow& row);

}  // namespace celeste::score
