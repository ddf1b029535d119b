#pragma once
// Positional matching of a truth catalog to predictions, as Celeste.jl's
// AccuracyBenchmark.match_catalogs / Coordinates.match_coordinates: every truth object takes
// its nearest prediction on the sky, and counts as matched when that distance is < the
// tolerance (0.396″ = one SDSS pixel). Not one-to-one: two truth objects may share a nearest
// prediction, as in Celeste.jl. Equal distances go to the prediction listed first.
#include <cstddef>
#include <vector>

#include "score/scoring_source.hpp"

namespace celeste::score {

inline constexpr double kDefaultMatchRadiusArcsec = 0.396;

// Great-circle separation in degrees of two (ra, dec) positions in degrees (the numerically
// stable atan2 form, Celeste.jl Coordinates.angular_separation).
double angular_separation_deg(double ra1_deg, double dec1_deg, double ra2_deg, double dec2_deg);

struct NearestMatch {
  bool matched = false;         // a prediction lies within the radius
  std::size_t index = 0;        // the nearest prediction (valid when matched)
  double distance_deg = 0;      // its distance (valid when matched)
};

// For each truth source, its nearest prediction within `radius_deg` (exclusive).
std::vector<NearestMatch> match_nearest(const ScoringCatalog& truth,
                                        const ScoringCatalog& predictions, double radius_deg);

// Truth rows matched in *every* prediction catalog (Celeste.jl: a truth object is scored only
// if all compared catalogs have it), with the matched prediction rows in the same order.
struct JointMatch {
  std::vector<std::size_t> truth_rows;
  std::vector<std::vector<std::size_t>> prediction_rows;  // [catalog][k]
};
JointMatch match_jointly(const ScoringCatalog& truth,
                         const std::vector<const ScoringCatalog*>& predictions,
                         double radius_deg);

}  // namespace celeste::score
