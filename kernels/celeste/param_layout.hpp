#pragma once
// Per-source variational parameter layout (model.md §3.2, 0-based here): the 44 canonical
// ("bound", constrained) parameters and the 41 free (unconstrained) ones (§3.3).
#include <Kokkos_Core.hpp>

namespace celeste {

inline constexpr int kNumBands = 5;       // u, g, r, i, z
inline constexpr int kRefBand = 2;        // r
inline constexpr int kNumTypes = 2;       // 0 = star, 1 = galaxy
inline constexpr int kNumColors = 4;      // u-g, g-r, r-i, i-z (natural-log flux ratios)
inline constexpr int kNumColorComponents = 8;
inline constexpr int kNumParams = 44;     // canonical parameters per source
inline constexpr int kNumFreeParams = 41; // unconstrained parameters per source
inline constexpr int kNumLikelihoodParams = 28;  // those the pixel likelihood depends on

// Canonical indices (model.md §3.2 minus one).
namespace param {
inline constexpr int ra = 0, dec = 1;            // u: position, degrees
inline constexpr int frac_dev = 2;               // θ
inline constexpr int axis_ratio = 3;             // ρ
inline constexpr int angle = 4;                  // φ, radians
inline constexpr int radius = 5;                 // σ, pixels
inline constexpr int flux_loc = 6;               // γ_i: 6 + type
inline constexpr int flux_var = 8;               // ζ_i: 8 + type
inline constexpr int color_mean = 10;            // β_{i,j}: 10 + 4 type + j
inline constexpr int color_var = 18;             // λ_{i,j}: 18 + 4 type + j
inline constexpr int type_prob = 26;             // χ_i: 26 + type
inline constexpr int color_weight = 28;          // κ_{i,d}: 28 + 8 type + d

KOKKOS_INLINE_FUNCTION constexpr int gamma(int type) { return flux_loc + type; }
KOKKOS_INLINE_FUNCTION constexpr int zeta(int type) { return flux_var + type; }
KOKKOS_INLINE_FUNCTION constexpr int beta(int type, int j) { return color_mean + 4 * type + j; }
KOKKOS_INLINE_FUNCTION constexpr int lambda(int type, int j) { return color_var + 4 * type + j; }
KOKKOS_INLINE_FUNCTION constexpr int chi(int type) { return type_prob + type; }
KOKKOS_INLINE_FUNCTION constexpr int kappa(int type, int d) { return color_weight + 8 * type + d; }
}  // namespace param

// Flux of band b relative to the r band: ℓ_b = r · exp(Σ_j S_bj c_j) (model.md §1.1).
KOKKOS_INLINE_FUNCTION constexpr int color_sign(int band, int color) {
  // rows u, g, r, i, z; columns c1..c4
  constexpr int S[kNumBands][kNumColors] = {
      {-1, -1, 0, 0}, {0, -1, 0, 0}, {0, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 1, 1}};
  return S[band][color];
}

}  // namespace celeste
