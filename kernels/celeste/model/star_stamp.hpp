#pragma once
// Pixelized star profile (model.md §2.7): the survey's own PSF stamp, interpolated, instead of
// the Gaussian-mixture fit, for images that carry a pixelized PSF (SDSS psField).
//
//   star_stamp_profile(coeffs, n, dh, dw, ...)   device: value and exact first/second
//                                                derivatives at pixel offset (dh, dw)
//   star_stamp_coefficients(stamp, n)            host: the coefficient grid of one stamp
//
// Why: a 2–4 Gaussian mixture fitted to the SDSS PSF leaves residuals of ~4 % of the peak
// (the core is skewed), which at the S/N of an r < 18 star is hundreds of χ² units; the
// galaxy model's four extra shape parameters absorb part of that misfit, so bright stars were
// called galaxies (docs/decisions.md "Pixelized star profile").
//
// Representation: the stamp (n × n, row-major [w][h], centre at index (n − 1)/2) is clipped at
// 0, given a floor of 1e-6 per cell, normalized to unit sum and transformed cell-wise by
// y = 1000 s − 1 (1000 s > 1) or ln(1000 s) (so the interpolant cannot go negative in the
// wings); y is interpolated by a tensor-product interpolating cubic B-spline with natural
// (zero-curvature) ends; the profile is the inverse transform s = 1e-3 e^y (y < 0) or
// 1e-3 (y + 1). The profile is C1 in (dh, dw) everywhere and C2 except where y crosses 0.
// Outside the stamp it is 0.
//
// Coefficient grid: (n + 2) × (n + 2) doubles, row-major [w][h], B-spline coefficient of grid
// index (i, j) at [(j + 1) (n + 2) + (i + 1)] (the extra ring holds the natural-end values).
#include <Kokkos_Core.hpp>
#include <cmath>
#include <vector>

#include "celeste/math.hpp"

namespace celeste::model {

inline constexpr double kStampFloor = 1e-6;     // added to every stamp cell before normalizing
inline constexpr double kStampScale = 1000.0;   // transform scale: y = ln(1000 s) in the wings

namespace detail {
// Uniform cubic B-spline basis on the cell [0, 1): values, first and second derivatives of
// the four basis functions that are non-zero at t.
KOKKOS_INLINE_FUNCTION void bspline_basis(double t, double b[4], double d[4], double d2[4]) {
  const double s = 1.0 - t, t2 = t * t, t3 = t2 * t;
  b[0] = s * s * s / 6.0;
  b[1] = (3.0 * t3 - 6.0 * t2 + 4.0) / 6.0;
  b[2] = (-3.0 * t3 + 3.0 * t2 + 3.0 * t + 1.0) / 6.0;
  b[3] = t3 / 6.0;
  d[0] = -0.5 * s * s;
  d[1] = 0.5 * (3.0 * t2 - 4.0 * t);
  d[2] = 0.5 * (-3.0 * t2 + 2.0 * t + 1.0);
  d[3] = 0.5 * t2;
  d2[0] = s;
  d2[1] = 3.0 * t - 2.0;
  d2[2] = 1.0 - 3.0 * t;
  d2[3] = t;
}

// Cell index and fraction of grid coordinate u in [0, n − 1] (the last knot uses the last cell).
KOKKOS_INLINE_FUNCTION void bspline_cell(double u, int n, int& i, double& t) {
  i = static_cast<int>(kmath::floor(u));
  if (i > n - 2) i = n - 2;
  if (i < 0) i = 0;
  t = u - i;
}
}  // namespace detail

// The unit-flux star profile at pixel offset (dh, dw) = m − c from the star's centre, with
// grad = ∂f/∂(dh, dw) and hess = ∂²f/∂(dh, dw)² packed (hh, hw, ww).
KOKKOS_INLINE_FUNCTION void star_stamp_profile(const double* coeffs, int n, double dh, double dw,
                                               double& f, double grad[2], double hess[3]) {
  const double c0 = 0.5 * (n - 1);
  const double u = dh + c0, v = dw + c0;
  if (!(u >= 0.0 && u <= n - 1.0 && v >= 0.0 && v <= n - 1.0)) {
    f = grad[0] = grad[1] = hess[0] = hess[1] = hess[2] = 0.0;
    return;
  }
  int i, j;
  double tu, tv;
  detail::bspline_cell(u, n, i, tu);
  detail::bspline_cell(v, n, j, tv);
  double bu[4], du[4], ddu[4], bv[4], dv[4], ddv[4];
  detail::bspline_basis(tu, bu, du, ddu);
  detail::bspline_basis(tv, bv, dv, ddv);
  const int stride = n + 2;
  // y and its derivatives: rows first (along h), then combined along w.
  double y = 0, yh = 0, yw = 0, yhh = 0, yhw = 0, yww = 0;
  for (int b = 0; b < 4; ++b) {
    const double* row = coeffs + static_cast<long>(j + b) * stride + i;
    double r0 = 0, r1 = 0, r2 = 0;
    for (int a = 0; a < 4; ++a) {
      r0 += bu[a] * row[a];
      r1 += du[a] * row[a];
      r2 += ddu[a] * row[a];
    }
    y += bv[b] * r0;
    yh += bv[b] * r1;
    yhh += bv[b] * r2;
    yw += dv[b] * r0;
    yhw += dv[b] * r1;
    yww += ddv[b] * r0;
  }
  // Inverse transform s(y) and its derivatives s', s''.
  double s, s1, s2;
  if (y < 0.0) {
    s = kmath::exp(y) / kStampScale;
    s1 = s;
    s2 = s;
  } else {
    s = (y + 1.0) / kStampScale;
    s1 = 1.0 / kStampScale;
    s2 = 0.0;
  }
  f = s;
  grad[0] = s1 * yh;
  grad[1] = s1 * yw;
  hess[0] = s2 * yh * yh + s1 * yhh;
  hess[1] = s2 * yh * yw + s1 * yhw;
  hess[2] = s2 * yw * yw + s1 * yww;
}

// Value only (neighbours' light, rendering).
KOKKOS_INLINE_FUNCTION double star_stamp_value(const double* coeffs, int n, double dh,
                                               double dw) {
  double f, g[2], h[3];
  star_stamp_profile(coeffs, n, dh, dw, f, g, h);
  return f;
}

// Host: the coefficient grid of a raw n × n stamp (row-major [w][h], any normalization).
// Throws nothing; the caller validates the stamp (finite, n >= 4, positive sum).
inline std::vector<double> star_stamp_coefficients(const std::vector<double>& stamp, int n) {
  const int m = n + 2;
  double total = 0;
  for (double v : stamp) total += (v > 0 ? v : 0.0) + kStampFloor;
  std::vector<double> y(stamp.size());
  for (std::size_t k = 0; k < stamp.size(); ++k) {
    const double s = ((stamp[k] > 0 ? stamp[k] : 0.0) + kStampFloor) / total;
    y[k] = kStampScale * s > 1.0 ? kStampScale * s - 1.0 : std::log(kStampScale * s);
  }
  // Natural-end interpolating spline along one line of n values: c[0..n+1] (ext indexing).
  // Interior: c_{i-1} + 4 c_i + c_{i+1} = 6 y_i; ends c_0 = y_0, c_{n-1} = y_{n-1};
  // ring c_{-1} = 2 c_0 − c_1, c_n = 2 c_{n-1} − c_{n-2} (zero second derivative).
  auto solve_line = [n](const double* in, int in_stride, double* out, int out_stride) {
    std::vector<double> c(n), cp(n), dp(n);
    c[0] = in[0];
    c[n - 1] = in[static_cast<long>(n - 1) * in_stride];
    // Thomas algorithm on unknowns 1..n-2 (diagonal 4, off-diagonals 1).
    for (int i = 1; i <= n - 2; ++i) {
      double rhs = 6.0 * in[static_cast<long>(i) * in_stride];
      if (i == 1) rhs -= c[0];
      if (i == n - 2) rhs -= c[n - 1];
      const double denom = 4.0 - (i > 1 ? cp[i - 1] : 0.0);
      cp[i] = 1.0 / denom;
      dp[i] = (rhs - (i > 1 ? dp[i - 1] : 0.0)) / denom;
    }
    for (int i = n - 2; i >= 1; --i) c[i] = dp[i] - (i < n - 2 ? cp[i] * c[i + 1] : 0.0);
    for (int i = 0; i < n; ++i) out[static_cast<long>(i + 1) * out_stride] = c[i];
    out[0] = 2.0 * c[0] - c[1];
    out[static_cast<long>(n + 1) * out_stride] = 2.0 * c[n - 1] - c[n - 2];
  };
  // Along h for every row j (into ext columns 0..n+1 of ext row j+1), then along w for every
  // ext column.
  std::vector<double> rows(static_cast<std::size_t>(m) * m, 0.0);
  for (int j = 0; j < n; ++j)
    solve_line(&y[static_cast<std::size_t>(j) * n], 1, &rows[static_cast<std::size_t>(j + 1) * m],
               1);
  std::vector<double> out(static_cast<std::size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i) solve_line(&rows[static_cast<std::size_t>(m) + i], m, &out[i], m);
  return out;
}

}  // namespace celeste::model
