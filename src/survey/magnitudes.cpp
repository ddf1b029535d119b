#include "survey/magnitudes.hpp"

#include <cmath>

namespace celeste::survey {

double asinh_magnitude(double flux_nmgy, int band) {
  const double b = kAsinhSoftening[static_cast<std::size_t>(band)];
  return -kMagPerLn * (std::asinh(flux_nmgy * 1e-9 / (2 * b)) + std::log(b));
}

double asinh_magnitude_to_flux(double mag, int band) {
  const double b = kAsinhSoftening[static_cast<std::size_t>(band)];
  return 1e9 * 2 * b * std::sinh(-mag / kMagPerLn - std::log(b));
}

}  // namespace celeste::survey
