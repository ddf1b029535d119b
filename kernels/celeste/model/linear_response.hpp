#pragma once
// Linear-response (LRVB) posterior covariances of a source's "mean" parameters at the ELBO
// optimum (Giordano, Broderick & Jordan 2018, "Covariances, robustness, and variational
// Bayes", JMLR 19(51); derivation and decisions: docs/optimizer.md "Uncertainties").
//
// Mean-field VI (model.md §3.1) reports sd(ln r | type) = sqrt(ζ) and sd(c_j | type) = sqrt(λ_j)
// and point-estimates position and shape. Both ignore the posterior correlations between
// brightness, colours, position and shape, so the mean-field sds are too small (model.md §9.4:
// 21 % of log r-flux errors within 1 sd on Stripe 82). The linear-response estimate of the
// covariance of the 16 mean parameters
//     m = (u_ra, u_dec, θ, ρ, φ, σ, γ_1, γ_2, β_{1,1..4}, β_{2,1..4})
// is the inverse of the negative ELBO Hessian restricted to them, with the variance parameters
// (ζ, λ), the type probabilities χ and the colour-component weights κ held at their optimum:
//     Σ_LR = (−∇²_m ELBO)⁻¹.
// (The full LRVB formula inverts the Hessian over every variational parameter and takes its
// m-block; the m–(ζ, λ) cross-curvature is negligible next to the entropy curvature
// 1/(2ζ²), 1/(2λ²) of the variance parameters at the variances Celeste finds, and χ, κ enter
// through a constrained simplex, so the restricted form is used; see docs/optimizer.md.)
//
// Parameters at a box bound (box_at_bound, transforms.hpp: the fit's at_bound test) are conditioned on
// (excluded from m; their sd is NaN). If −∇²_m ELBO is not positive definite, the galaxy shape
// (θ, ρ, φ, σ) is conditioned on and the factorization retried; if that fails too, the
// mean-field sds are reported (γ, β) and position/shape sds are NaN.
//
//   LinearResponse linear_response(theta, bounds, hess)   serial; hess = canonical ELBO Hessian
//                                                         (44 × 44 row-major), as computed by
//                                                         team_evaluate_elbo at theta
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/param_layout.hpp"
#include "celeste/transforms.hpp"

namespace celeste::model {

inline constexpr int kNumMeanParams = 16;

// Canonical index of the k-th mean parameter (k = 0..15, the order of the docstring above).
KOKKOS_INLINE_FUNCTION constexpr int mean_param(int k) {
  return k < 6 ? k : (k < 8 ? param::gamma(k - 6) : param::beta((k - 8) / 4, (k - 8) % 4));
}

// LinearResponse::flags bits (0: every mean parameter got a linear-response sd).
namespace lr_flag {
inline constexpr unsigned at_bound = 1u << 0;           // some mean parameter at its box bound:
                                                        // conditioned on, sd NaN
inline constexpr unsigned shape_conditioned = 1u << 1;  // −H_mm not PD with the shape; the
                                                        // shape sds are NaN, the rest LR
inline constexpr unsigned mean_field = 1u << 2;         // not PD without the shape either:
                                                        // mean-field sds for γ, β
inline constexpr unsigned unavailable = 1u << 3;        // no finite Hessian (no active pixels,
                                                        // non-finite ELBO): mean-field sds
}  // namespace lr_flag

struct LinearResponse {
  // sd[p] for canonical p: the LR sd of mean parameters (NaN where conditioned on or unavailable;
  // the mean-field sd of γ, β when lr_flag::mean_field/unavailable); NaN for the other 28.
  double sd[kNumParams];
  // Covariance of the 16 mean parameters in mean_param order (0 rows/columns where excluded).
  double cov[kNumMeanParams * kNumMeanParams];
  unsigned flags;
};

namespace detail {

// In-place Cholesky of the n×n (row-major, stride kNumMeanParams) matrix a: lower factor L in
// the lower triangle. False if a pivot is not positive and finite.
KOKKOS_INLINE_FUNCTION bool lr_cholesky(int n, double* a) {
  constexpr int s = kNumMeanParams;
  for (int j = 0; j < n; ++j) {
    double d = a[j * s + j];
    for (int k = 0; k < j; ++k) d -= a[j * s + k] * a[j * s + k];
    if (!(d > 0.0) || d - d != 0.0) return false;
    const double l = kmath::sqrt(d);
    a[j * s + j] = l;
    for (int i = j + 1; i < n; ++i) {
      double v = a[i * s + j];
      for (int k = 0; k < j; ++k) v -= a[i * s + k] * a[j * s + k];
      a[i * s + j] = v / l;
    }
  }
  return true;
}

// Σ over the mean parameters selected by `use` (k = 0..15): Σ = (−H_mm)⁻¹ with a Jacobi
// (unit-diagonal) scaling for conditioning (ra/dec in degrees have curvatures ~1e14). False if
// −H_mm is not numerically positive definite.
KOKKOS_INLINE_FUNCTION bool lr_covariance(const double* hess, const bool* use, double* cov) {
  constexpr int s = kNumMeanParams;
  int idx[s];
  int n = 0;
  for (int k = 0; k < s; ++k)
    if (use[k]) idx[n++] = k;
  double scale[s];
  for (int i = 0; i < n; ++i) {
    const int p = mean_param(idx[i]);
    const double d = -hess[p * kNumParams + p];
    if (!(d > 0.0) || d - d != 0.0) return false;
    scale[i] = 1.0 / kmath::sqrt(d);
  }
  double a[s * s];
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      a[i * s + j] = -hess[mean_param(idx[i]) * kNumParams + mean_param(idx[j])] * scale[i] *
                     scale[j];
  if (!lr_cholesky(n, a)) return false;
  // Inverse of L (lower), then C⁻¹ = L⁻ᵀ L⁻¹.
  double li[s * s];
  for (int i = 0; i < n * s; ++i) li[i] = 0.0;
  for (int j = 0; j < n; ++j) {
    li[j * s + j] = 1.0 / a[j * s + j];
    for (int i = j + 1; i < n; ++i) {
      double v = 0.0;
      for (int k = j; k < i; ++k) v -= a[i * s + k] * li[k * s + j];
      li[i * s + j] = v / a[i * s + i];
    }
  }
  for (int i = 0; i < s * s; ++i) cov[i] = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      double v = 0.0;
      for (int k = i; k < n; ++k) v += li[k * s + i] * li[k * s + j];
      v *= scale[i] * scale[j];
      cov[idx[i] * s + idx[j]] = v;
      cov[idx[j] * s + idx[i]] = v;
    }
  return true;
}

}  // namespace detail

KOKKOS_INLINE_FUNCTION LinearResponse linear_response(const double* theta,
                                                      const SourceBounds& bounds,
                                                      const double* hess) {
  constexpr int s = kNumMeanParams;
  LinearResponse r;
  r.flags = 0u;
  const double nan = ::nan("");
  for (int p = 0; p < kNumParams; ++p) r.sd[p] = nan;
  for (int i = 0; i < s * s; ++i) r.cov[i] = 0.0;

  bool finite = true;
  for (int i = 0; i < s; ++i)
    for (int j = 0; j < s; ++j) {
      const double h = hess[mean_param(i) * kNumParams + mean_param(j)];
      finite = finite && is_finite(h);
    }
  bool use[s];
  for (int k = 0; k < s; ++k) {
    const int p = mean_param(k);
    use[k] = !box_at_bound(theta[p], bounds.lo[p], bounds.hi[p]);
    if (!use[k]) r.flags |= lr_flag::at_bound;
  }
  bool ok = finite && detail::lr_covariance(hess, use, r.cov);
  if (finite && !ok) {
    for (int k = 2; k < 6; ++k) use[k] = false;
    ok = detail::lr_covariance(hess, use, r.cov);
    if (ok) r.flags |= lr_flag::shape_conditioned;
  }
  if (ok) {
    for (int k = 0; k < s; ++k)
      if (use[k]) r.sd[mean_param(k)] = kmath::sqrt(r.cov[k * s + k]);
    return r;
  }
  r.flags |= finite ? lr_flag::mean_field : lr_flag::unavailable;
  for (int i = 0; i < s * s; ++i) r.cov[i] = 0.0;
  for (int t = 0; t < kNumTypes; ++t) {
    r.sd[param::gamma(t)] = kmath::sqrt(theta[param::zeta(t)]);
    for (int j = 0; j < kNumColors; ++j)
      r.sd[param::beta(t, j)] = kmath::sqrt(theta[param::lambda(t, j)]);
  }
  return r;
}

}  // namespace celeste::model
