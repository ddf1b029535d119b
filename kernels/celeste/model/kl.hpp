#pragma once
// Per-source prior terms of the ELBO with exact gradient and Hessian (model.md §4.4, §5.6):
// −KL(q ‖ p) for type, flux, color-component and colors, plus the galaxy-scale prior.
//
// Scale prior (decision, docs/decisions.md): log-normal on σ, weighted by q(galaxy):
//   χ₂ · [ln N(ln σ; μ_σ, v_σ) − ln σ]   (the reference code evaluated N(σ; μ_σ, v_σ)).
#include <Kokkos_Core.hpp>

#include "celeste/device_table.hpp"
#include "celeste/math.hpp"
#include "celeste/model/color_prior.hpp"
#include "celeste/model_constants.hpp"
#include "celeste/param_layout.hpp"

namespace celeste::model {

struct PriorValue {
  double kl;           // KL(q ‖ p), ≥ 0 up to P's unnormalized type prior constant
  double scale_prior;  // χ₂ · ln p(σ)
};

// Adds (−KL + scale prior) to value, grad (44) and hess (44×44 row-major, both triangles).
KOKKOS_INLINE_FUNCTION PriorValue add_prior_terms(const double* th, const ColorPrior& cp,
                                                  double& value, double* grad, double* hess) {
  namespace c = constants;
  constexpr int n = kNumParams;
  static constexpr auto log_flux_mean = device_table(c::kLogFluxMean);  // device-readable copies
  static constexpr auto log_flux_var = device_table(c::kLogFluxVar);
  static constexpr auto color_mean = device_table(c::kColorMean);
  auto H = [&](int i, int j, double v) {  // adds −v (a KL second derivative) symmetrically
    hess[i * n + j] -= v;
    if (i != j) hess[j * n + i] -= v;
  };
  PriorValue out{0, 0};
  double kl = 0;
  for (int i = 0; i < kNumTypes; ++i) {
    const int ichi = param::chi(i);
    const double chi = th[ichi];
    const double gam = th[param::gamma(i)], zeta = th[param::zeta(i)];
    const double ups = log_flux_mean[i], psi = log_flux_var[i];
    // flux
    const double kl_r = 0.5 * (kmath::log(psi) - kmath::log(zeta) +
                               (zeta + (gam - ups) * (gam - ups)) / psi - 1.0);
    double R = kl_r;
    const double dr_dgam = (gam - ups) / psi, dr_dzeta = 0.5 * (1.0 / psi - 1.0 / zeta);
    grad[param::gamma(i)] -= chi * dr_dgam;
    grad[param::zeta(i)] -= chi * dr_dzeta;
    H(param::gamma(i), param::gamma(i), chi / psi);
    H(param::zeta(i), param::zeta(i), chi / (2.0 * zeta * zeta));
    H(ichi, param::gamma(i), dr_dgam);
    H(ichi, param::zeta(i), dr_dzeta);
    // colors, per mixture component d
    double beta[kNumColors], lam[kNumColors], sum_log_lam = 0;
    for (int j = 0; j < kNumColors; ++j) {
      beta[j] = th[param::beta(i, j)];
      lam[j] = th[param::lambda(i, j)];
      sum_log_lam += kmath::log(lam[j]);
    }
    double dR_dbeta[kNumColors] = {}, dR_dlam[kNumColors] = {};
    double d2_beta[kNumColors][kNumColors] = {}, d2_lam[kNumColors] = {};
    for (int d = 0; d < kNumColorComponents; ++d) {
      const int ik = param::kappa(i, d);
      const double kap = th[ik];
      const auto& Li = cp.inv_cov[i][d];
      double diff[kNumColors], Ld[kNumColors];  // diff = β − Ω, Ld = Λ⁻¹ (β − Ω)
      for (int j = 0; j < kNumColors; ++j) diff[j] = beta[j] - color_mean[i][d][j];
      double quad = 0, trace = 0;
      for (int j = 0; j < kNumColors; ++j) {
        double s = 0;
        for (int l = 0; l < kNumColors; ++l) s += Li[j][l] * diff[l];
        Ld[j] = s;
        quad += diff[j] * s;
        trace += Li[j][j] * lam[j];
      }
      const double kl_c = 0.5 * (trace + quad - kNumColors - sum_log_lam + cp.log_det[i][d]);
      const double kl_k = kap * (kmath::log(kap) - cp.log_weight[i][d]);
      R += kl_k + kap * kl_c;
      // κ derivatives
      const double dR_dkap = kmath::log(kap) - cp.log_weight[i][d] + 1.0 + kl_c;
      grad[ik] -= chi * dR_dkap;
      H(ik, ik, chi / kap);
      H(ichi, ik, dR_dkap);
      for (int j = 0; j < kNumColors; ++j) {
        const double dlam = 0.5 * (Li[j][j] - 1.0 / lam[j]);
        H(ik, param::beta(i, j), chi * Ld[j]);
        H(ik, param::lambda(i, j), chi * dlam);
        dR_dbeta[j] += kap * Ld[j];
        dR_dlam[j] += kap * dlam;
        d2_lam[j] += kap / (2.0 * lam[j] * lam[j]);
        for (int l = 0; l < kNumColors; ++l) d2_beta[j][l] += kap * Li[j][l];
      }
    }
    for (int j = 0; j < kNumColors; ++j) {
      grad[param::beta(i, j)] -= chi * dR_dbeta[j];
      grad[param::lambda(i, j)] -= chi * dR_dlam[j];
      H(ichi, param::beta(i, j), dR_dbeta[j]);
      H(ichi, param::lambda(i, j), dR_dlam[j]);
      H(param::lambda(i, j), param::lambda(i, j), chi * d2_lam[j]);
      for (int l = j; l < kNumColors; ++l)
        H(param::beta(i, j), param::beta(i, l), chi * d2_beta[j][l]);
    }
    // type
    const double log_ratio = kmath::log(chi) - cp.log_type_prior[i];
    kl += chi * log_ratio + chi * R;
    grad[ichi] -= log_ratio + 1.0 + R;
    H(ichi, ichi, 1.0 / chi);
  }
  value -= kl;
  out.kl = kl;

  // Scale prior χ₂ · lp(σ), lp = −½(ln 2π + ln v + (ln σ − μ)²/v) − ln σ.
  const double sigma = th[param::radius], chi_gal = th[param::chi(1)];
  const double mu = c::kRadiusPriorMean, var = c::kRadiusPriorVar;
  const double ls = kmath::log(sigma);
  const double lp = -0.5 * (kLog2Pi + kmath::log(var) + (ls - mu) * (ls - mu) / var) - ls;
  const double dlp = (-(ls - mu) / var - 1.0) / sigma;
  const double d2lp = (-1.0 / var + (ls - mu) / var + 1.0) / (sigma * sigma);
  value += chi_gal * lp;
  grad[param::radius] += chi_gal * dlp;
  grad[param::chi(1)] += lp;
  hess[param::radius * n + param::radius] += chi_gal * d2lp;
  hess[param::radius * n + param::chi(1)] += dlp;
  hess[param::chi(1) * n + param::radius] += dlp;
  out.scale_prior = chi_gal * lp;
  return out;
}

}  // namespace celeste::model
