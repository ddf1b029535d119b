#pragma once
// Independent reference evaluator of the ELBO for tests: brute-force loops straight from the
// formulas of model.md §1–§4 (no Kokkos, no hand-derived derivatives). Templated on the scalar
// so that Jet<N> gives exact gradients/Hessians by forward-mode AD, and double gives values.
// Only the plain data structs (PatchGeometry, PsfGaussian, VisitedPixel) and the numeric
// constants are shared with the code under test.
#include <cmath>
#include <vector>

#include "celeste/model/elbo_inputs.hpp"
#include "celeste/model_constants.hpp"
#include "celeste/param_layout.hpp"
#include "model/jet.hpp"

namespace celeste::testing {

struct ReferencePatch {
  model::PatchGeometry geometry;
  std::vector<model::PsfGaussian> psf;
  std::vector<model::VisitedPixel> pixels;
  // Pixelized star profile (geometry.stamp_size > 0): star_stamp.hpp coefficient grid.
  std::vector<double> stamp;
};

// Centred uniform cubic B-spline β(x) (support |x| < 2), written from its textbook form.
template <class T>
T cubic_bspline(const T& x) {
  const double a = std::fabs(value_of(x));
  const T ax = value_of(x) < 0 ? -1.0 * x : x;
  if (a >= 2.0) return T(0.0);
  if (a >= 1.0) {
    const T u = 2.0 - ax;
    return u * u * u / 6.0;
  }
  return 2.0 / 3.0 - ax * ax + 0.5 * ax * ax * ax;
}

// The pixelized star profile at grid coordinate (u, v): Σ_ij c_ij β(u − i) β(v − j) then the
// inverse transform 1e-3 e^y (y < 0) or 1e-3 (y + 1) (model.md §2.7), 0 off the grid.
template <class T>
T reference_stamp_profile(const std::vector<double>& coeffs, int n, const T& u, const T& v) {
  using std::exp;
  using std::floor;
  const double uv = value_of(u), vv = value_of(v);
  if (uv < 0 || uv > n - 1 || vv < 0 || vv > n - 1) return T(0.0);
  T y(0.0);
  const int i0 = static_cast<int>(floor(uv)), j0 = static_cast<int>(floor(vv));
  for (int j = j0 - 2; j <= j0 + 2; ++j)
    for (int i = i0 - 2; i <= i0 + 2; ++i) {
      if (i < -1 || i > n || j < -1 || j > n) continue;
      const double c = coeffs[static_cast<std::size_t>(j + 1) * (n + 2) + (i + 1)];
      y = y + c * cubic_bspline(u - double(i)) * cubic_bspline(v - double(j));
    }
  if (value_of(y) < 0) return exp(y) / 1000.0;
  return (y + 1.0) / 1000.0;
}

// Gaussian density N(y; 0, S) for symmetric S = (s11, s12, s22).
template <class T>
T gaussian_density(const T& y0, const T& y1, const T& s11, const T& s12, const T& s22) {
  using std::exp;
  using std::sqrt;
  const T det = s11 * s22 - s12 * s12;
  const T q = (s22 * y0 * y0 - 2.0 * s12 * y0 * y1 + s11 * y1 * y1) / det;
  return exp(-0.5 * q) / (2.0 * M_PI * sqrt(det));
}

// Unit-flux profiles f_star, f_gal at pixel (h, w) of a patch; p = canonical parameters.
template <class T>
void reference_profiles(const ReferencePatch& patch, const T* p, double h, double w, T& f_star,
                        T& f_gal) {
  using std::cos;
  using std::sin;
  namespace c = constants;
  const auto& g = patch.geometry;
  const T du0 = p[param::ra] - g.u0[0], du1 = p[param::dec] - g.u0[1];
  const T c0 = g.p0[0] + g.jac[0] * du0 + g.jac[1] * du1;
  const T c1 = g.p0[1] + g.jac[2] * du0 + g.jac[3] * du1;
  // Shape covariance, model.md §2.5 closed forms.
  const T rho = p[param::axis_ratio], phi = p[param::angle], sigma = p[param::radius];
  const T S = sin(phi), C = cos(phi);
  const T sig2 = sigma * sigma, r2m1 = rho * rho - 1.0;
  const T sh11 = sig2 * (1.0 + r2m1 * S * S);
  const T sh12 = -(sig2 * r2m1 * S * C);
  const T sh22 = sig2 * (1.0 + r2m1 * C * C);
  double dev_sum = 0, exp_sum = 0;
  for (double a : c::kDevRawAmp) dev_sum += a;
  for (double a : c::kExpRawAmp) exp_sum += a;
  f_star = T(0.0);
  const int n = g.stamp_size;
  if (n > 0)
    f_star = reference_stamp_profile(patch.stamp, n, (h - c0) + 0.5 * (n - 1),
                                     (w - c1) + 0.5 * (n - 1));
  T f_dev(0.0), f_exp(0.0);
  for (const auto& k : patch.psf) {
    const T y0 = (h - k.mean[0]) - c0, y1 = (w - k.mean[1]) - c1;
    if (n == 0)
      f_star = f_star + k.weight * gaussian_density(y0, y1, T(k.cov[0]), T(k.cov[1]), T(k.cov[2]));
    for (int j = 0; j < 8; ++j) {
      const double eta = c::kDevRawAmp[j] / dev_sum;
      const double nu = c::kDevRawVar[j] / (c::kDevRadiusAdjust * c::kDevRadiusAdjust);
      f_dev = f_dev + (k.weight * eta) * gaussian_density(y0, y1, k.cov[0] + nu * sh11,
                                                          k.cov[1] + nu * sh12,
                                                          k.cov[2] + nu * sh22);
    }
    for (int j = 0; j < 6; ++j) {
      const double eta = c::kExpRawAmp[j] / exp_sum;
      const double nu = c::kExpRawVar[j] / (c::kExpRadiusAdjust * c::kExpRadiusAdjust);
      f_exp = f_exp + (k.weight * eta) * gaussian_density(y0, y1, k.cov[0] + nu * sh11,
                                                          k.cov[1] + nu * sh12,
                                                          k.cov[2] + nu * sh22);
    }
  }
  const T theta = p[param::frac_dev];
  f_gal = theta * f_dev + (1.0 - theta) * f_exp;
}

// E[ℓ_b | type] and E[ℓ_b² | type] (model.md §4.2).
template <class T>
void reference_brightness(const T* p, int band, int type, T& E, T& E2) {
  using std::exp;
  T lin = p[param::gamma(type)] + 0.5 * p[param::zeta(type)];
  T lin2 = 2.0 * p[param::gamma(type)] + 2.0 * p[param::zeta(type)];
  for (int j = 0; j < 4; ++j) {
    const double s = color_sign(band, j);
    lin = lin + s * p[param::beta(type, j)] + (0.5 * std::fabs(s)) * p[param::lambda(type, j)];
    lin2 = lin2 + (2.0 * s) * p[param::beta(type, j)] +
           (2.0 * std::fabs(s)) * p[param::lambda(type, j)];
  }
  E = exp(lin);
  E2 = exp(lin2);
}

// Σ over patches and visited pixels of L_n(m) (model.md §4.3).
template <class T>
T reference_likelihood(const std::vector<ReferencePatch>& patches, const T* p) {
  using std::log;
  T total(0.0);
  for (const auto& patch : patches) {
    T E[2], E2[2];
    for (int i = 0; i < 2; ++i) reference_brightness(p, patch.geometry.band, i, E[i], E2[i]);
    for (const auto& px : patch.pixels) {
      T f[2];
      reference_profiles(patch, p, px.h, px.w, f[0], f[1]);
      T mean(0.0), second(0.0);
      for (int i = 0; i < 2; ++i) {
        mean = mean + p[param::chi(i)] * E[i] * f[i];
        second = second + p[param::chi(i)] * E2[i] * f[i] * f[i];
      }
      const T EG = px.background_mean + mean;
      const T VG = px.background_var + (second - mean * mean);
      total = total + px.constant + px.x * (log(EG) - VG / (2.0 * EG * EG)) - px.iota * EG;
    }
  }
  return total;
}

// Inverse and log-determinant of a 4×4 matrix by Gauss–Jordan elimination (test-local).
inline void invert4(const double A[4][4], double inv[4][4], double& log_det) {
  double M[4][8];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) M[i][j] = j < 4 ? A[i][j] : (j - 4 == i ? 1.0 : 0.0);
  log_det = 0;
  for (int c = 0; c < 4; ++c) {
    int piv = c;
    for (int r = c + 1; r < 4; ++r)
      if (std::fabs(M[r][c]) > std::fabs(M[piv][c])) piv = r;
    for (int j = 0; j < 8; ++j) std::swap(M[c][j], M[piv][j]);
    log_det += std::log(std::fabs(M[c][c]));
    const double d = M[c][c];
    for (int j = 0; j < 8; ++j) M[c][j] /= d;
    for (int r = 0; r < 4; ++r)
      if (r != c) {
        const double f = M[r][c];
        for (int j = 0; j < 8; ++j) M[r][j] -= f * M[c][j];
      }
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) inv[i][j] = M[i][j + 4];
}

// −KL(q ‖ p) + χ₂ [ln N(ln σ; μ_σ, v_σ) − ln σ] (model.md §4.4; scale prior per decisions.md).
template <class T>
T reference_prior_terms(const T* p) {
  using std::log;
  namespace c = constants;
  T kl(0.0);
  for (int i = 0; i < 2; ++i) {
    const T chi = p[param::chi(i)];
    const T gam = p[param::gamma(i)], zeta = p[param::zeta(i)];
    const double ups = c::kLogFluxMean[i], psi = c::kLogFluxVar[i];
    T R = 0.5 * (std::log(psi) - log(zeta) + (zeta + (gam - ups) * (gam - ups)) / psi - 1.0);
    for (int d = 0; d < 8; ++d) {
      double inv[4][4], log_det;
      invert4(c::kColorCov[i][d], inv, log_det);
      const T kap = p[param::kappa(i, d)];
      T klc(-4.0 + log_det);
      for (int j = 0; j < 4; ++j) {
        klc = klc + inv[j][j] * p[param::lambda(i, j)] - log(p[param::lambda(i, j)]);
        for (int l = 0; l < 4; ++l)
          klc = klc + (c::kColorMean[i][d][j] - p[param::beta(i, j)]) * inv[j][l] *
                          (c::kColorMean[i][d][l] - p[param::beta(i, l)]);
      }
      R = R + kap * (log(kap) - std::log(c::kColorWeight[i][d])) + kap * (0.5 * klc);
    }
    kl = kl + chi * (log(chi) - std::log(c::kTypePriorP[i])) + chi * R;
  }
  const T ls = log(p[param::radius]);
  const double mu = c::kRadiusPriorMean, var = c::kRadiusPriorVar;
  const T lp = -0.5 * (std::log(2 * M_PI) + std::log(var) + (ls - mu) * (ls - mu) / var) - ls;
  return p[param::chi(1)] * lp - kl;
}

}  // namespace celeste::testing
