#pragma once
// Constrained <-> unconstrained parameter transforms (model.md §3.3) with their first and
// second derivatives, used for the chain rule of §5.7.
//
// Free vector order (41): boxes for canonical 0..25 (one free value each, same order), then the
// type simplex (canonical 26..27 -> free 26), then the two color-weight simplexes
// (canonical 28..35 -> free 27..33, canonical 36..43 -> free 34..40).
#include <Kokkos_Core.hpp>

#include "celeste/device_table.hpp"
#include "celeste/math.hpp"
#include "celeste/model_constants.hpp"
#include "celeste/param_layout.hpp"

namespace celeste {

inline constexpr int kNumBoxParams = 26;

// Box bounds for one source; the position box is centred on the source's initial position and
// persists across optimizations of that source (model.md §3.3).
struct SourceBounds {
  double lo[kNumBoxParams];
  double hi[kNumBoxParams];
};

KOKKOS_INLINE_FUNCTION SourceBounds make_source_bounds(double ra0, double dec0,
                                                       double position_half_width) {
  namespace c = constants;
  // device-readable copies (celeste/device_table.hpp)
  static constexpr auto frac_dev = device_table(c::kFracDevBounds);
  static constexpr auto axis_ratio = device_table(c::kAxisRatioBounds);
  static constexpr auto angle = device_table(c::kAngleBounds);
  static constexpr auto radius = device_table(c::kRadiusBounds);
  static constexpr auto flux_loc = device_table(c::kFluxLocBounds);
  static constexpr auto flux_var = device_table(c::kFluxVarBounds);
  static constexpr auto color_mean = device_table(c::kColorMeanBounds);
  static constexpr auto color_var = device_table(c::kColorVarBounds);
  SourceBounds b{};
  b.lo[param::ra] = ra0 - position_half_width;
  b.hi[param::ra] = ra0 + position_half_width;
  b.lo[param::dec] = dec0 - position_half_width;
  b.hi[param::dec] = dec0 + position_half_width;
  b.lo[param::frac_dev] = frac_dev[0];
  b.hi[param::frac_dev] = frac_dev[1];
  b.lo[param::axis_ratio] = axis_ratio[0];
  b.hi[param::axis_ratio] = axis_ratio[1];
  b.lo[param::angle] = angle[0];
  b.hi[param::angle] = angle[1];
  b.lo[param::radius] = radius[0];
  b.hi[param::radius] = radius[1];
  for (int t = 0; t < kNumTypes; ++t) {
    b.lo[param::gamma(t)] = flux_loc[0];
    b.hi[param::gamma(t)] = flux_loc[1];
    b.lo[param::zeta(t)] = flux_var[0];
    b.hi[param::zeta(t)] = flux_var[1];
    for (int j = 0; j < kNumColors; ++j) {
      b.lo[param::beta(t, j)] = color_mean[0];
      b.hi[param::beta(t, j)] = color_mean[1];
      b.lo[param::lambda(t, j)] = color_var[0];
      b.hi[param::lambda(t, j)] = color_var[1];
    }
  }
  return b;
}

// Simplex groups: (first canonical index, length n, lower bound lb, first free index).
struct SimplexGroup {
  int canonical_begin;
  int n;
  double lower;
  int free_begin;
};
KOKKOS_INLINE_FUNCTION SimplexGroup simplex_group(int g) {
  if (g == 0) return {param::type_prob, 2, constants::kTypeSimplexLower, 26};
  if (g == 1) return {param::kappa(0, 0), 8, constants::kColorWeightSimplexLower, 27};
  return {param::kappa(1, 0), 8, constants::kColorWeightSimplexLower, 34};
}
inline constexpr int kNumSimplexGroups = 3;

KOKKOS_INLINE_FUNCTION double sigmoid(double y) {
  return y >= 0 ? 1.0 / (1.0 + kmath::exp(-y))
                : kmath::exp(y) / (1.0 + kmath::exp(y));
}

// One box-constrained parameter θ = lo + (hi − lo) s with s = sigmoid(y) (model.md §3.3), and
// its derivatives dθ/dy = (hi − lo) s (1 − s), d²θ/dy² = (hi − lo) s (1 − s)(1 − 2s), from the
// unit coordinate s. The one place the box map is written: the source parameters below and the
// PSF mixture fit (src/io/psf_fit.cpp) use it.
struct BoxValue {
  double theta, d1, d2;
};
KOKKOS_INLINE_FUNCTION BoxValue box_at_unit(double s, double lo, double hi) {
  const double w = hi - lo;
  return {lo + w * s, w * s * (1 - s), w * s * (1 - s) * (1 - 2 * s)};
}
KOKKOS_INLINE_FUNCTION BoxValue box_from_free(double y, double lo, double hi) {
  return box_at_unit(sigmoid(y), lo, hi);
}
KOKKOS_INLINE_FUNCTION double box_to_free(double theta, double lo, double hi) {
  const double s = (theta - lo) / (hi - lo);
  return kmath::log(s) - kmath::log1p(-s);
}

// A box parameter is "at its bound" when its unit coordinate s = (θ − lo) / (hi − lo) is within
// kBoxAtBoundUnit of 0 or 1 (|y| > 13.8): the fit's at_bound flag and the linear response's
// conditioning use this one test.
inline constexpr double kBoxAtBoundUnit = 1.0e-6;
KOKKOS_INLINE_FUNCTION bool box_at_bound(double theta, double lo, double hi) {
  const double s = (theta - lo) / (hi - lo);
  return !(s > kBoxAtBoundUnit && s < 1.0 - kBoxAtBoundUnit);
}

// Clamp canonical parameters strictly inside their constraints (model.md §3.3 "enforce").
KOKKOS_INLINE_FUNCTION void enforce_bounds(double* theta, const SourceBounds& b) {
  for (int p = 0; p < kNumBoxParams; ++p) {
    if (!(theta[p] > b.lo[p])) theta[p] = next_up(b.lo[p]);
    if (!(theta[p] < b.hi[p])) theta[p] = next_down(b.hi[p]);
  }
  for (int g = 0; g < kNumSimplexGroups; ++g) {
    const SimplexGroup s = simplex_group(g);
    double* z = theta + s.canonical_begin;
    double sum = 0;
    for (int i = 0; i < s.n; ++i) {
      if (!(z[i] > s.lower)) z[i] = next_up(s.lower);
      if (!(z[i] < 1.0)) z[i] = next_down(1.0);
      sum += z[i];
    }
    if (kmath::fabs(sum - 1.0) > 1e-12) {
      for (int i = 0; i < s.n; ++i)
        z[i] = next_up(s.lower) + (1.0 - s.n * s.lower) * (z[i] - s.lower) / (sum - s.n * s.lower);
    }
  }
}

// Canonical -> free (after enforce_bounds).
KOKKOS_INLINE_FUNCTION void to_free(const double* theta, const SourceBounds& b, double* y) {
  for (int p = 0; p < kNumBoxParams; ++p) y[p] = box_to_free(theta[p], b.lo[p], b.hi[p]);
  for (int g = 0; g < kNumSimplexGroups; ++g) {
    const SimplexGroup s = simplex_group(g);
    const double scale = 1.0 - s.n * s.lower;
    const double zn = (theta[s.canonical_begin + s.n - 1] - s.lower) / scale;
    for (int i = 0; i < s.n - 1; ++i) {
      const double zi = (theta[s.canonical_begin + i] - s.lower) / scale;
      y[s.free_begin + i] = kmath::log(zi) - kmath::log(zn);
    }
  }
}

// Free -> canonical.
KOKKOS_INLINE_FUNCTION void to_canonical(const double* y, const SourceBounds& b, double* theta) {
  for (int p = 0; p < kNumBoxParams; ++p) theta[p] = box_from_free(y[p], b.lo[p], b.hi[p]).theta;
  for (int g = 0; g < kNumSimplexGroups; ++g) {
    const SimplexGroup s = simplex_group(g);
    // Softmax with the implicit last logit 0; shift by max(0, max y) for stability (§11.2).
    double m = 0;
    for (int i = 0; i < s.n - 1; ++i) m = y[s.free_begin + i] > m ? y[s.free_begin + i] : m;
    double denom = kmath::exp(-m);
    for (int i = 0; i < s.n - 1; ++i) denom += kmath::exp(y[s.free_begin + i] - m);
    const double scale = 1.0 - s.n * s.lower;
    for (int i = 0; i < s.n - 1; ++i)
      theta[s.canonical_begin + i] =
          s.lower + scale * kmath::exp(y[s.free_begin + i] - m) / denom;
    theta[s.canonical_begin + s.n - 1] = s.lower + scale * kmath::exp(-m) / denom;
  }
}

// Chain rule (model.md §5.7): given the canonical gradient g (44) and Hessian H (44x44,
// row-major, symmetric), produce the free gradient gy (41) and Hessian Hy (41x41, row-major,
// exactly symmetric). theta must be the canonical point corresponding to the free point.
// Jt = dθ/dy is diagonal on boxes and dense within each simplex block.
KOKKOS_INLINE_FUNCTION void chain_rule_to_free(const double* theta, const SourceBounds& b,
                                               const double* g, const double* H, double* gy,
                                               double* Hy) {
  // Jacobian rows: for canonical p, the free indices it depends on, and d θ_p / d y.
  // Boxes: one entry. Simplex entry i of group s: depends on the group's n-1 free values.
  double box_d1[kNumBoxParams], box_d2[kNumBoxParams];
  for (int p = 0; p < kNumBoxParams; ++p) {
    const BoxValue v = box_at_unit((theta[p] - b.lo[p]) / (b.hi[p] - b.lo[p]), b.lo[p], b.hi[p]);
    box_d1[p] = v.d1;
    box_d2[p] = v.d2;
  }
  // dense Jt (44 x 41) would be wasteful; build per block.
  for (int i = 0; i < kNumFreeParams; ++i) {
    gy[i] = 0;
    for (int j = 0; j < kNumFreeParams; ++j) Hy[i * kNumFreeParams + j] = 0;
  }
  // Helper lambdas over Jt structure: column list of canonical p -> (free index, derivative).
  // Jt entries for simplex group: dθ_i/dy_j = scale z_i (δ_ij - z_j), j < n-1.
  double zsx[kNumSimplexGroups][8];
  for (int gidx = 0; gidx < kNumSimplexGroups; ++gidx) {
    const SimplexGroup s = simplex_group(gidx);
    const double scale = 1.0 - s.n * s.lower;
    for (int i = 0; i < s.n; ++i) zsx[gidx][i] = (theta[s.canonical_begin + i] - s.lower) / scale;
  }
  auto jt = [&](int p, int f) -> double {  // dθ_p / dy_f
    if (p < kNumBoxParams) return p == f ? box_d1[p] : 0.0;
    for (int gidx = 0; gidx < kNumSimplexGroups; ++gidx) {
      const SimplexGroup s = simplex_group(gidx);
      if (p >= s.canonical_begin && p < s.canonical_begin + s.n) {
        const int i = p - s.canonical_begin, j = f - s.free_begin;
        if (j < 0 || j >= s.n - 1) return 0.0;
        const double* z = zsx[gidx];
        return (1.0 - s.n * s.lower) * z[i] * ((i == j ? 1.0 : 0.0) - z[j]);
      }
    }
    return 0.0;
  };
  // Free-index ranges each canonical parameter depends on.
  auto free_range = [&](int p, int& f0, int& f1) {
    if (p < kNumBoxParams) {
      f0 = p;
      f1 = p + 1;
      return;
    }
    for (int gidx = 0; gidx < kNumSimplexGroups; ++gidx) {
      const SimplexGroup s = simplex_group(gidx);
      if (p >= s.canonical_begin && p < s.canonical_begin + s.n) {
        f0 = s.free_begin;
        f1 = s.free_begin + s.n - 1;
        return;
      }
    }
    f0 = f1 = 0;
  };
  // gy = Jtᵀ g ; Hy = Jtᵀ H Jt
  for (int p = 0; p < kNumParams; ++p) {
    int f0, f1;
    free_range(p, f0, f1);
    for (int f = f0; f < f1; ++f) gy[f] += jt(p, f) * g[p];
  }
  for (int p = 0; p < kNumParams; ++p) {
    int a0, a1;
    free_range(p, a0, a1);
    for (int q = 0; q < kNumParams; ++q) {
      const double hpq = H[p * kNumParams + q];
      if (hpq == 0.0) continue;
      int b0, b1;
      free_range(q, b0, b1);
      for (int fa = a0; fa < a1; ++fa) {
        const double ja = jt(p, fa);
        for (int fb = b0; fb < b1; ++fb) Hy[fa * kNumFreeParams + fb] += ja * hpq * jt(q, fb);
      }
    }
  }
  // + Σ_p g_p ∇²_y θ_p
  for (int p = 0; p < kNumBoxParams; ++p) Hy[p * kNumFreeParams + p] += g[p] * box_d2[p];
  for (int gidx = 0; gidx < kNumSimplexGroups; ++gidx) {
    const SimplexGroup s = simplex_group(gidx);
    const double scale = 1.0 - s.n * s.lower;
    const double* z = zsx[gidx];
    for (int i = 0; i < s.n; ++i) {
      const double gp = g[s.canonical_begin + i];
      for (int j = 0; j < s.n - 1; ++j)
        for (int l = 0; l < s.n - 1; ++l) {
          const double dij = i == j ? 1.0 : 0.0, dil = i == l ? 1.0 : 0.0,
                       djl = j == l ? 1.0 : 0.0;
          const double d2 = scale * z[i] * ((dij - z[j]) * (dil - z[l]) - z[j] * (djl - z[l]));
          Hy[(s.free_begin + j) * kNumFreeParams + s.free_begin + l] += gp * d2;
        }
    }
  }
  // Exact symmetry for the eigen-solver (model.md §5.7).
  for (int i = 0; i < kNumFreeParams; ++i)
    for (int j = i + 1; j < kNumFreeParams; ++j) {
      const double avg = 0.5 * (Hy[i * kNumFreeParams + j] + Hy[j * kNumFreeParams + i]);
      Hy[i * kNumFreeParams + j] = avg;
      Hy[j * kNumFreeParams + i] = avg;
    }
}

}  // namespace celeste
