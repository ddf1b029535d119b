#include "score/magnitudes.hpp"

#include <cmath>
#include <limits>

namespace celeste::score {

double color_mag_from_fluxes(double flux_blue, double flux_red) {
  // `!(x > 0)` also rejects NaN.
  if (!(flux_blue > 0) || !(flux_red > 0)) return std::numeric_limits<double>::quiet_NaN();
  return kMagPerLn * std::log(flux_red / flux_blue);
}

double angle_difference_deg(double a_deg, double b_deg) {
  // Celeste.jl degrees_to_diff: abs(a - b) % 180, then the shorter way round.
  const double between = std::fmod(std::fabs(a_deg - b_deg), 180.0);
  return std::fmin(between, 180.0 - between);
}

}  // namespace celeste::score
