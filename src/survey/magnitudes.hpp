#pragma once
// SDSS asinh magnitudes ("luptitudes"), the one definition used by the catalog writer and the
// scorer (model.md §9.2 #24): mag = -(2.5/ln 10)(asinh(f·1e-9/(2b)) + ln b), f in nanomaggies,
// with the SDSS softening b per band.
#include <array>

#include "survey/image.hpp"

namespace celeste::survey {

// 2.5/ln 10: magnitudes per natural-log unit of flux.
inline constexpr double kMagPerLn = 1.0857362047581294;

// Asinh softening b per band, u..z (SDSS DR12).
inline constexpr std::array<double, kNumBands> kAsinhSoftening{1.4e-10, 0.9e-10, 1.2e-10, 1.8e-10,
                                                               7.4e-10};

// Defined for any flux, including f <= 0.
double asinh_magnitude(double flux_nmgy, int band);
// Exact inverse: f = 2b·1e9·sinh(-mag/(2.5/ln 10) - ln b).
double asinh_magnitude_to_flux(double mag, int band);

}  // namespace celeste::survey
