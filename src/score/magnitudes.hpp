#pragma once
// SDSS asinh magnitudes and colors in the conventions of Celeste.jl's Stripe 82 scoring
// (AccuracyBenchmark: flux_to_mag / mag_to_flux / color_from_fluxes; model.md §9.2 #24).
#include <array>

#include "celeste/param_layout.hpp"

#include "survey/magnitudes.hpp"

namespace celeste::score {

inline constexpr int kBands = kNumBands;  // u, g, r, i, z (celeste/param_layout.hpp)
inline constexpr int kBandR = kRefBand;

// Asinh magnitudes: the survey-wide definition (survey/magnitudes.hpp) under the scorer's names.
using survey::kAsinhSoftening;
using survey::kMagPerLn;
inline double flux_to_asinh_mag(double flux_nmgy, int band) {
  return survey::asinh_magnitude(flux_nmgy, band);
}
inline double asinh_mag_to_flux(double mag, int band) {
  return survey::asinh_magnitude_to_flux(mag, band);
}

// Color (band b) - (band b+1) in magnitudes from two fluxes: (2.5/ln 10)·ln(f_{b+1}/f_b).
// NaN ("missing", excluded from every statistic) unless both fluxes are > 0.
double color_mag_from_fluxes(double flux_blue, double flux_red);

// Absolute difference of two position angles modulo 180°, in [0, 90].
double angle_difference_deg(double a_deg, double b_deg);

}  // namespace celeste::score
