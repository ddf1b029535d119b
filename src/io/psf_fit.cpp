#include "io/psf_fit.hpp"

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "celeste/math.hpp"
#include "celeste/model/components.hpp"
#include "celeste/model/shape.hpp"
#include "celeste/optimizer/newton_trust_region.hpp"
#include "celeste/transforms.hpp"

namespace celeste::io {
namespace {

// Parameter offsets within a component's block of 6 (model.md §10.5 order).
enum { kMuH = 0, kMuW = 1, kRho = 2, kPhi = 3, kSigma = 4, kW = 5 };
constexpr double kLo[6] = {-5.0, -5.0, 0.1, -4 * kPi, 0.05, 0.05};
constexpr double kHi[6] = {5.0, 5.0, 1.0, 4 * kPi, 10.0, 2.0};

// Per-component constants: θ, the box derivatives, Σ and its ψ = (ρ, φ, σ) derivatives,
// P = Σ⁻¹, the normalization and ½ tr(P E_j P E_l) (E_j: ∂Σ/∂s_j for packed s = (Σhh, Σhw, Σww)).
struct Component {
  double theta[6], d1[6], d2[6];
  model::ShapeDerivs sd;
  double P[2][2], norm, half_tr[3][3];
};

Component component_of(const double* y) {
  Component c;
  for (int p = 0; p < 6; ++p) {
    const BoxValue b = box_from_free(y[p], kLo[p], kHi[p]);
    c.theta[p] = b.theta;
    c.d1[p] = b.d1;
    c.d2[p] = b.d2;
  }
  c.sd = model::shape_derivs(c.theta[kRho], c.theta[kPhi], c.theta[kSigma]);
  const model::GaussianPrecision g =
      model::gaussian_precision(c.sd.cov[0], c.sd.cov[1], c.sd.cov[2]);
  c.P[0][0] = g.prec[0];
  c.P[0][1] = c.P[1][0] = g.prec[1];
  c.P[1][1] = g.prec[2];
  c.norm = g.norm;
  // A_j = P E_j; E_0 = e0e0ᵀ, E_1 = e0e1ᵀ + e1e0ᵀ, E_2 = e1e1ᵀ.
  double A[3][2][2];
  for (int j = 0; j < 3; ++j)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) {
        double e0b = 0, e1b = 0;  // (E_j)[0][b], (E_j)[1][b]
        if (j == 0) e0b = b == 0;
        if (j == 1) e0b = b == 1, e1b = b == 0;
        if (j == 2) e1b = b == 1;
        A[j][a][b] = c.P[a][0] * e0b + c.P[a][1] * e1b;
      }
  for (int j = 0; j < 3; ++j)
    for (int l = 0; l < 3; ++l) {
      double t = 0;
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) t += A[j][a][b] * A[l][b][a];
      c.half_tr[j][l] = 0.5 * t;
    }
  return c;
}

// N(x; 0, Σ) at x = offset - μ and, when wanted, its gradient dN (5) and Hessian d2N (5 x 5)
// with respect to (μh, μw, ρ, φ, σ) (model.md §5.2–5.3: log-derivatives, then
// ∂N = N ∂ln N, ∂²N = N (∂² ln N + ∂ln N ∂ln Nᵀ)).
double bvn(const Component& c, double dh, double dw, double* dN, double (*d2N)[5]) {
  const double x0 = dh - c.theta[kMuH], x1 = dw - c.theta[kMuW];
  const double z0 = c.P[0][0] * x0 + c.P[0][1] * x1, z1 = c.P[1][0] * x0 + c.P[1][1] * x1;
  const double n = c.norm * std::exp(-0.5 * (x0 * z0 + x1 * z1));
  if (!dN) return n;
  // ∂ln N/∂s_j = ½ (zᵀ E_j z - tr(P E_j)).
  const double Ls[3] = {0.5 * (z0 * z0 - c.P[0][0]), z0 * z1 - c.P[0][1],
                        0.5 * (z1 * z1 - c.P[1][1])};
  // v_j = E_j z; ∂z/∂s_j = -P v_j =: dz_j = ∂²ln N/∂μ∂s_j.
  const double v[3][2] = {{z0, 0.0}, {z1, z0}, {0.0, z1}};
  double dz[3][2];
  for (int j = 0; j < 3; ++j)
    for (int m = 0; m < 2; ++m) dz[j][m] = -(c.P[m][0] * v[j][0] + c.P[m][1] * v[j][1]);
  // ∂²ln N/∂s_j∂s_l = -v_jᵀ P v_l + ½ tr(P E_j P E_l).
  double Lss[3][3];
  for (int j = 0; j < 3; ++j)
    for (int l = 0; l < 3; ++l)
      Lss[j][l] = v[j][0] * dz[l][0] + v[j][1] * dz[l][1] + c.half_tr[j][l];
  const auto& J = c.sd.jac;
  const auto& T = c.sd.hess;
  double G[5], H[5][5];
  G[0] = z0;
  G[1] = z1;
  for (int p = 0; p < 3; ++p) G[2 + p] = Ls[0] * J[0][p] + Ls[1] * J[1][p] + Ls[2] * J[2][p];
  H[0][0] = -c.P[0][0];
  H[0][1] = H[1][0] = -c.P[0][1];
  H[1][1] = -c.P[1][1];
  for (int m = 0; m < 2; ++m)
    for (int p = 0; p < 3; ++p)
      H[m][2 + p] = H[2 + p][m] = dz[0][m] * J[0][p] + dz[1][m] * J[1][p] + dz[2][m] * J[2][p];
  for (int p = 0; p < 3; ++p)
    for (int q = p; q < 3; ++q) {
      double h = 0;
      for (int j = 0; j < 3; ++j) {
        h += Ls[j] * T[j][p][q];
        for (int l = 0; l < 3; ++l) h += Lss[j][l] * J[j][p] * J[l][q];
      }
      H[2 + p][2 + q] = H[2 + q][2 + p] = h;
    }
  for (int a = 0; a < 5; ++a) {
    dN[a] = n * G[a];
    for (int b = 0; b < 5; ++b) d2N[a][b] = n * (H[a][b] + G[a] * G[b]);
  }
  return n;
}

}  // namespace

PsfMixtureObjective::PsfMixtureObjective(const std::vector<double>& stamp, int width, int height,
                                         int components)
    : stamp_(stamp), width_(width), height_(height), k_(components) {
  if (width < 3 || height < 3 || stamp.size() != static_cast<std::size_t>(width) * height)
    throw std::invalid_argument("PSF stamp size does not match " + std::to_string(width) + " x " +
                                std::to_string(height));
  if (components < 1 || components > model::kMaxPsfComponents)
    throw std::invalid_argument("PSF mixture components must be 1.." +
                                std::to_string(model::kMaxPsfComponents) + ", got " +
                                std::to_string(components));
  for (double v : stamp)
    if (!std::isfinite(v)) throw std::invalid_argument("PSF stamp has a non-finite value");
}

std::vector<double> PsfMixtureObjective::initial_free() const {
  // model.md §10.5: μ = 0, ρ = 0.95, φ = 0, σ_k = sqrt(2k) (k = 1..K), w = 1/2.
  std::vector<double> y(static_cast<std::size_t>(num_params()));
  for (int k = 0; k < k_; ++k) {
    const double theta[6] = {0.0, 0.0, 0.95, 0.0, std::sqrt(2.0 * (k + 1)), 0.5};
    for (int p = 0; p < 6; ++p) y[6 * k + p] = box_to_free(theta[p], kLo[p], kHi[p]);
  }
  return y;
}

double PsfMixtureObjective::evaluate(const double* y, double* grad, double* hess) const {
  const int n = num_params();
  std::vector<Component> comp;
  for (int k = 0; k < k_; ++k) comp.push_back(component_of(y + 6 * k));
  const double ch = 0.5 * (width_ - 1), cw = 0.5 * (height_ - 1);
  std::vector<double> gt(n, 0.0), ht(static_cast<std::size_t>(n) * n, 0.0), gm(n);
  double f = 0;
  double dN[5], d2N[5][5];
  for (int row = 0; row < height_; ++row)
    for (int col = 0; col < width_; ++col) {
      const double dh = col - ch, dw = row - cw;
      double m = 0;
      for (const Component& c : comp) m += c.theta[kW] * bvn(c, dh, dw, nullptr, nullptr);
      const double r = m - stamp_[static_cast<std::size_t>(row) * width_ + col];
      f += r * r;
      if (!grad && !hess) continue;
      // ∇θ m and the r ∇²θ m part (block diagonal: weights enter linearly).
      for (int k = 0; k < k_; ++k) {
        const Component& c = comp[k];
        const double w = c.theta[kW];
        const double nk = bvn(c, dh, dw, dN, d2N);
        double* g = &gm[6 * k];
        for (int a = 0; a < 5; ++a) g[a] = w * dN[a];
        g[kW] = nk;
        if (!hess) continue;
        for (int a = 0; a < 5; ++a) {
          double* hrow = &ht[static_cast<std::size_t>(6 * k + a) * n + 6 * k];
          for (int b = 0; b <= a; ++b) hrow[b] += r * w * d2N[a][b];
          ht[static_cast<std::size_t>(6 * k + kW) * n + 6 * k + a] += r * dN[a];
        }
      }
      for (int a = 0; a < n; ++a) gt[a] += r * gm[a];
      if (hess)
        for (int a = 0; a < n; ++a) {
          double* hrow = &ht[static_cast<std::size_t>(a) * n];
          for (int b = 0; b <= a; ++b) hrow[b] += gm[a] * gm[b];
        }
    }
  // f = Σ r²: gθ = 2 Σ r ∇m, Hθ = 2 Σ (∇m ∇mᵀ + r ∇²m); then through the boxes:
  // g_y = θ' gθ, H_y = θ'_a θ'_b Hθ_ab + δ_ab θ''_a gθ_a.
  auto d1 = [&](int a) { return comp[a / 6].d1[a % 6]; };
  auto d2 = [&](int a) { return comp[a / 6].d2[a % 6]; };
  if (grad)
    for (int a = 0; a < n; ++a) grad[a] = 2 * gt[a] * d1(a);
  if (hess)
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b <= a; ++b) {
        const double h = 2 * ht[static_cast<std::size_t>(a) * n + b] * d1(a) * d1(b);
        hess[a * n + b] = hess[b * n + a] = h;
      }
      hess[a * n + a] += 2 * gt[a] * d2(a);
    }
  return f;
}

double PsfMixtureObjective::max_abs_residual(const double* y) const {
  std::vector<Component> comp;
  for (int k = 0; k < k_; ++k) comp.push_back(component_of(y + 6 * k));
  const double ch = 0.5 * (width_ - 1), cw = 0.5 * (height_ - 1);
  double out = 0;
  for (int row = 0; row < height_; ++row)
    for (int col = 0; col < width_; ++col) {
      double m = 0;
      for (const Component& c : comp)
        m += c.theta[kW] * bvn(c, col - ch, row - cw, nullptr, nullptr);
      out = std::max(out, std::abs(m - stamp_[static_cast<std::size_t>(row) * width_ + col]));
    }
  return out;
}

std::vector<survey::PsfComponent> PsfMixtureObjective::components(
    const std::vector<double>& y) const {
  std::vector<survey::PsfComponent> out;
  for (int k = 0; k < k_; ++k) {
    const Component c = component_of(&y[6 * k]);
    survey::PsfComponent pc;
    pc.weight = c.theta[kW];
    pc.mean = {c.theta[kMuH], c.theta[kMuW]};
    pc.cov = {c.sd.cov[0], c.sd.cov[1], c.sd.cov[2]};
    out.push_back(pc);
  }
  return out;
}

namespace {
// The optimizer's objective interface over host views.
struct FreeObjective {
  const PsfMixtureObjective* obj;
  mutable std::vector<double> y, g, h;
  template <class YView, class GView, class HView>
  bool operator()(const YView& yv, double& f, const GView& gv, const HView& hv) const {
    const int n = obj->num_params();
    for (int i = 0; i < n; ++i) y[i] = yv(i);
    f = obj->evaluate(y.data(), g.data(), h.data());
    for (int i = 0; i < n; ++i) {
      gv(i) = g[i];
      for (int j = 0; j < n; ++j) hv(i, j) = h[static_cast<std::size_t>(i) * n + j];
    }
    return std::isfinite(f);
  }
};
}  // namespace

PsfFitResult fit_psf_mixture(const std::vector<double>& stamp, int width, int height,
                             int num_components) {
  const PsfMixtureObjective obj(stamp, width, height, num_components);
  const int n = obj.num_params();
  std::vector<double> y = obj.initial_free();
  optimizer::NewtonTrustRegionOptions options;  // model.md §6.4
  options.initial_radius = 10.0;
  options.max_radius = 1e9;
  options.eta = 0.1;
  options.rho_lower = 0.2;
  options.rho_upper = 0.75;
  options.x_tol = 0.0;
  options.f_tol = 1e-9;
  options.g_tol = 1e-9;
  options.max_iterations = 50;
  std::vector<double> buffer(optimizer::newton_trust_region_workspace_doubles(n));
  const optimizer::NewtonTrustRegionWorkspace<Kokkos::HostSpace> ws(buffer.data(), n);
  const Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> yv(
      y.data(), n);
  const FreeObjective fn{&obj, std::vector<double>(n), std::vector<double>(n),
                         std::vector<double>(static_cast<std::size_t>(n) * n)};
  const optimizer::OptimizerResult opt = optimizer::minimize(fn, yv, n, options, ws);
  PsfFitResult res;
  res.components = obj.components(y);
  res.sse = obj.evaluate(y.data(), nullptr, nullptr);
  res.max_abs_residual = obj.max_abs_residual(y.data());
  res.iterations = opt.iterations;
  res.converged = opt.status == optimizer::converged;
  return res;
}

}  // namespace celeste::io
