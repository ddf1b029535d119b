#pragma once
// Brightness moments of one source in one band (model.md §4.2, §5.4):
// E_i = E_q[ℓ_b | a = i] = exp(ω_bᵀ ϑ_i), E2_i = E_q[ℓ_b² | a = i] = exp(ω2_bᵀ ϑ_i), with
// ϑ_i = (γ_i, ζ_i, β_i1..4, λ_i1..4), ω_b = (1, ½, S_b, ½|S_b|), ω2_b = (2, 2, 2S_b, 2|S_b|).
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/param_layout.hpp"

namespace celeste::model {

inline constexpr int kBrightnessParams = 10;  // per type

// Canonical index of entry k of ϑ_type (ascending in k).
KOKKOS_INLINE_FUNCTION constexpr int brightness_param(int type, int k) {
  return k == 0 ? param::gamma(type)
       : k == 1 ? param::zeta(type)
       : k < 6  ? param::beta(type, k - 2)
                : param::lambda(type, k - 6);
}

// The log-normal of band b's flux given type t (model.md §4.2, §8.3), the one place it is
// written: ln ℓ_b ~ N(γ_t + Σ_j S_bj β_tj, ζ_t + Σ_j |S_bj| λ_tj). E[ℓ_b] = exp(m + v/2) and
// E[ℓ_b²] = exp(2m + 2v) are the Brightness moments below; the catalog reports mean and sd.
struct BandLogFlux {
  double log_median;  // m
  double log_var;     // v
};
KOKKOS_INLINE_FUNCTION BandLogFlux band_log_flux(const double* theta, int type, int band) {
  BandLogFlux f{theta[param::gamma(type)], theta[param::zeta(type)]};
  for (int j = 0; j < kNumColors; ++j) {
    const double s = color_sign(band, j);
    f.log_median += s * theta[param::beta(type, j)];
    f.log_var += (s < 0 ? -s : s) * theta[param::lambda(type, j)];
  }
  return f;
}

struct Brightness {
  double E[kNumTypes];    // E[ℓ_b | i]
  double E2[kNumTypes];   // E[ℓ_b² | i]
  double w[kBrightnessParams];   // ω_b
  double w2[kBrightnessParams];  // ω2_b
};

KOKKOS_INLINE_FUNCTION Brightness brightness(const double* theta, int band) {
  Brightness b{};
  b.w[0] = 1.0;
  b.w[1] = 0.5;
  b.w2[0] = 2.0;
  b.w2[1] = 2.0;
  for (int j = 0; j < kNumColors; ++j) {
    const double s = color_sign(band, j);
    const double abs_s = s < 0 ? -s : s;
    b.w[2 + j] = s;
    b.w[6 + j] = 0.5 * abs_s;
    b.w2[2 + j] = 2.0 * s;
    b.w2[6 + j] = 2.0 * abs_s;
  }
  for (int i = 0; i < kNumTypes; ++i) {
    const BandLogFlux f = band_log_flux(theta, i, band);
    b.E[i] = kmath::exp(f.log_median + 0.5 * f.log_var);
    b.E2[i] = kmath::exp(2.0 * (f.log_median + f.log_var));
  }
  return b;
}

}  // namespace celeste::model
