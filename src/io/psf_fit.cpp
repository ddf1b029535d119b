#include "io/psf_fit.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace celeste::io {
namespace {

// Parameter offsets within a component's block of 6.
enum { kW = 0, kMuH = 1, kMuW = 2, kS1 = 3, kB = 4, kS2 = 5 };

struct Cov {
  double a, b, c;     // Cholesky factor entries
  double hh, hw, ww;  // Σ
};

Cov cov_of(const double* p) {
  Cov s;
  s.a = std::exp(p[kS1]);
  s.b = p[kB];
  s.c = std::exp(p[kS2]);
  s.hh = s.a * s.a;
  s.hw = s.a * s.b;
  s.ww = s.b * s.b + s.c * s.c;
  return s;
}

// Solves A x = g (n x n, symmetric positive definite) by Cholesky; false if not SPD.
bool cholesky_solve(std::vector<double> a, std::vector<double> g, int n, std::vector<double>& x) {
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < i; ++k) g[i] -= a[i * n + k] * g[k];
    g[i] /= a[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    for (int k = i + 1; k < n; ++k) g[i] -= a[k * n + i] * g[k];
    g[i] /= a[i * n + i];
  }
  x = g;
  return true;
}

}  // namespace

PsfMixtureObjective::PsfMixtureObjective(const std::vector<double>& stamp, int width, int height,
                                         int components)
    : stamp_(stamp), width_(width), height_(height), k_(components) {
  if (width < 3 || height < 3 || stamp.size() != static_cast<std::size_t>(width) * height)
    throw std::invalid_argument("PSF stamp size does not match " + std::to_string(width) + " x " +
                                std::to_string(height));
  if (components < 1 || components > 6)
    throw std::invalid_argument("PSF mixture components must be 1..6, got " +
                                std::to_string(components));
  for (double v : stamp)
    if (!std::isfinite(v)) throw std::invalid_argument("PSF stamp has a non-finite value");
}

std::vector<double> PsfMixtureObjective::initial_params() const {
  // model.md §10.5: means 0, near-round, σ_k = sqrt(2k); weights share the stamp's total.
  double total = 0;
  for (double v : stamp_) total += v;
  std::vector<double> theta(static_cast<std::size_t>(num_params()), 0.0);
  for (int k = 0; k < k_; ++k) {
    double* p = &theta[6 * k];
    p[kW] = total / k_;
    p[kS1] = p[kS2] = 0.5 * std::log(2.0 * (k + 1));
  }
  return theta;
}

double PsfMixtureObjective::residuals(const std::vector<double>& theta, std::vector<double>& r,
                                      std::vector<double>* jacobian) const {
  const int np = num_params();
  r.assign(stamp_.size(), 0.0);
  if (jacobian) jacobian->assign(stamp_.size() * np, 0.0);
  const double ch = 0.5 * (width_ - 1), cw = 0.5 * (height_ - 1);
  for (int k = 0; k < k_; ++k) {
    const double* p = &theta[6 * k];
    const Cov s = cov_of(p);
    const double det = s.hh * s.ww - s.hw * s.hw;
    const double ihh = s.ww / det, ihw = -s.hw / det, iww = s.hh / det;  // Σ⁻¹
    const double norm = 1.0 / (2 * M_PI * std::sqrt(det));
    for (int row = 0; row < height_; ++row)
      for (int col = 0; col < width_; ++col) {
        const std::size_t i = static_cast<std::size_t>(row) * width_ + col;
        const double dh = col - ch - p[kMuH], dw = row - cw - p[kMuW];
        const double zh = ihh * dh + ihw * dw, zw = ihw * dh + iww * dw;  // Σ⁻¹ d
        const double q = dh * zh + dw * zw;
        const double n = norm * std::exp(-0.5 * q);
        r[i] += p[kW] * n;
        if (!jacobian) continue;
        double* J = &(*jacobian)[i * np + 6 * k];
        const double wn = p[kW] * n;
        J[kW] = n;
        J[kMuH] = wn * zh;  // ∂N/∂μ = N Σ⁻¹ d
        J[kMuW] = wn * zw;
        // ∂N/∂Σ = ½ N (Σ⁻¹ d dᵀ Σ⁻¹ - Σ⁻¹); the off-diagonal entry appears twice in Σ.
        const double mhh = 0.5 * wn * (zh * zh - ihh);
        const double mhw = 0.5 * wn * (zh * zw - ihw);
        const double mww = 0.5 * wn * (zw * zw - iww);
        // Σhh = a², Σhw = a b, Σww = b² + c²; a = e^s1, c = e^s2.
        J[kS1] = mhh * 2 * s.a * s.a + 2 * mhw * s.b * s.a;
        J[kB] = 2 * mhw * s.a + mww * 2 * s.b;
        J[kS2] = mww * 2 * s.c * s.c;
      }
  }
  double sse = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    r[i] -= stamp_[i];
    sse += r[i] * r[i];
  }
  return sse;
}

std::vector<survey::PsfComponent> PsfMixtureObjective::components(
    const std::vector<double>& theta) const {
  std::vector<survey::PsfComponent> out;
  for (int k = 0; k < k_; ++k) {
    const double* p = &theta[6 * k];
    const Cov s = cov_of(p);
    survey::PsfComponent c;
    c.weight = p[kW];
    c.mean = {p[kMuH], p[kMuW]};
    c.cov = {s.hh, s.hw, s.ww};
    out.push_back(c);
  }
  return out;
}

PsfFitResult fit_psf_mixture(const std::vector<double>& stamp, int width, int height,
                             int num_components) {
  const PsfMixtureObjective obj(stamp, width, height, num_components);
  const int np = obj.num_params(), nr = obj.num_residuals();
  std::vector<double> theta = obj.initial_params(), r, J, trial_r;
  double sse = obj.residuals(theta, r, &J);
  double lambda = 1e-3;
  PsfFitResult res;
  constexpr int kMaxIterations = 500;
  for (int it = 1; it <= kMaxIterations; ++it) {
    res.iterations = it;
    std::vector<double> jtj(static_cast<std::size_t>(np) * np, 0.0), g(np, 0.0);
    for (int i = 0; i < nr; ++i) {
      const double* Ji = &J[static_cast<std::size_t>(i) * np];
      for (int a = 0; a < np; ++a) {
        g[a] -= Ji[a] * r[i];
        for (int b = 0; b <= a; ++b) jtj[a * np + b] += Ji[a] * Ji[b];
      }
    }
    double gmax = 0;
    for (int a = 0; a < np; ++a) {
      gmax = std::max(gmax, std::abs(g[a]));
      for (int b = 0; b < a; ++b) jtj[b * np + a] = jtj[a * np + b];
    }
    if (gmax < 1e-14) {
      res.converged = true;
      break;
    }
    bool accepted = false;
    double rel_decrease = 0;
    while (!accepted && lambda < 1e12) {
      std::vector<double> a = jtj, step;
      for (int d = 0; d < np; ++d) a[d * np + d] += lambda * std::max(jtj[d * np + d], 1e-12);
      if (!cholesky_solve(a, g, np, step)) {
        lambda *= 10;
        continue;
      }
      std::vector<double> trial = theta;
      for (int d = 0; d < np; ++d) trial[d] += step[d];
      const double trial_sse = obj.residuals(trial, trial_r, nullptr);
      if (std::isfinite(trial_sse) && trial_sse < sse) {
        rel_decrease = (sse - trial_sse) / sse;
        theta = trial;
        sse = obj.residuals(theta, r, &J);
        lambda = std::max(lambda / 10, 1e-12);
        accepted = true;
      } else {
        lambda *= 10;
      }
    }
    if (!accepted || rel_decrease < 1e-12) {
      res.converged = true;
      break;
    }
  }
  res.components = obj.components(theta);
  res.sse = sse;
  for (double v : r) res.max_abs_residual = std::max(res.max_abs_residual, std::abs(v));
  return res;
}

}  // namespace celeste::io
