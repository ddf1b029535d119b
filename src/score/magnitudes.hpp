#pragma once
// SDSS asinh magnitudes and colors in the conventions of Celeste.jl's Stripe 82 scoring
// (AccuracyBenchmark: flux_to_mag / mag_to_flux / color_from_fluxes; model.md §9.2 #24).
#include <array>

namespace celeste::score {

inline constexpr int kBands = 5;  // u, g, r, i, z
inline constexpr int kBandR = 2;

// Asinh softening b per band, u..z (SDSS DR12 "asinh magnitudes").
inline constexpr std::array<double, kBands> kAsinhSoftening{1.4e-10, 0.9e-10, 1.2e-10, 1.8e-10,
                                                            7.4e-10};

// mag = -(2.5/ln 10)(asinh(f·1e-9/(2b)) + ln b), f in nmgy. Defined for any f, including f <= 0.
double flux_to_asinh_mag(double flux_nmgy, int band);
// Exact inverse: f = 2b·1e9·sinh(-(ln 10/2.5)·mag - ln b).
double asinh_mag_to_flux(double mag, int band);

// 2.5/ln 10: natural-log flux ratio -> magnitude difference.
inline constexpr double kMagPerLn = 1.0857362047581294;

// Color (band b) - (band b+1) in magnitudes from two fluxes: (2.5/ln 10)·ln(f_{b+1}/f_b).
// NaN ("missing", excluded from every statistic) unless both fluxes are > 0.
double color_mag_from_fluxes(double flux_blue, double flux_red);

// Angle in degrees reduced to [0, 180) (Celeste.jl canonical_angle).
double canonical_angle_deg(double angle_deg);

// Absolute difference of two position angles modulo 180°, in [0, 90].
double angle_difference_deg(double a_deg, double b_deg);

}  // namespace celeste::score
