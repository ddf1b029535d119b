#pragma once
// Galaxy shape covariance Σ(ρ, φ, σ) = σ² R(φ) diag(1, ρ²) R(φ)ᵀ (model.md §2.5) and its first
// and second derivatives with respect to ψ = (ρ, φ, σ) (model.md §5.3), in the packed
// 3-vector form s = (Σ_hh, Σ_hw, Σ_ww).
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"

namespace celeste::model {

struct ShapeDerivs {
  double cov[3];       // s = (Σ11, Σ12, Σ22)
  double jac[3][3];    // M[c][p] = ∂s_c/∂ψ_p, ψ = (ρ, φ, σ)
  double hess[3][3][3];  // T[c][p][q] = ∂²s_c/∂ψ_p∂ψ_q (symmetric in p, q)
};

KOKKOS_INLINE_FUNCTION void shape_covariance(double rho, double phi, double sigma,
                                             double cov[3]) {
  const double S = kmath::sin(phi), C = kmath::cos(phi), s2 = sigma * sigma;
  const double r2m1 = rho * rho - 1.0;
  cov[0] = s2 * (1.0 + r2m1 * S * S);
  cov[1] = -s2 * r2m1 * S * C;
  cov[2] = s2 * (1.0 + r2m1 * C * C);
}

KOKKOS_INLINE_FUNCTION ShapeDerivs shape_derivs(double rho, double phi, double sigma) {
  ShapeDerivs d{};
  shape_covariance(rho, phi, sigma, d.cov);
  const double S = kmath::sin(phi), C = kmath::cos(phi), s2 = sigma * sigma;
  const double r2m1 = rho * rho - 1.0;
  const double base_rho[3] = {S * S, -S * C, C * C};            // ∂s/∂ρ = 2ρσ² base_rho
  const double base_phi[3] = {2 * S * C, S * S - C * C, -2 * S * C};  // ∂s/∂φ = σ²(ρ²−1) base_phi
  const double base_phi2[3] = {C * C - S * S, 2 * S * C, S * S - C * C};
  for (int c = 0; c < 3; ++c) {
    const double ds_drho = 2 * rho * s2 * base_rho[c];
    const double ds_dphi = s2 * r2m1 * base_phi[c];
    const double ds_dsigma = 2.0 / sigma * d.cov[c];
    d.jac[c][0] = ds_drho;
    d.jac[c][1] = ds_dphi;
    d.jac[c][2] = ds_dsigma;
    d.hess[c][0][0] = 2 * s2 * base_rho[c];
    d.hess[c][0][1] = d.hess[c][1][0] = 2 * rho * s2 * base_phi[c];
    d.hess[c][0][2] = d.hess[c][2][0] = 2.0 / sigma * ds_drho;
    d.hess[c][1][1] = 2 * s2 * r2m1 * base_phi2[c];
    d.hess[c][1][2] = d.hess[c][2][1] = 2.0 / sigma * ds_dphi;
    d.hess[c][2][2] = 2.0 / (sigma * sigma) * d.cov[c];
  }
  return d;
}

}  // namespace celeste::model
