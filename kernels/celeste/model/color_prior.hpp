#pragma once
// Precomputed prior quantities for the KL (model.md §4.4): Λ⁻¹ and ln det Λ for the 16 color
// mixture components, ln Ξ, and ln Φ of the type prior (configurable: `model.type_prior`).
// Built once on the host, passed to kernels by value.
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/model_constants.hpp"
#include "celeste/param_layout.hpp"

namespace celeste::model {

struct ColorPrior {
  double inv_cov[kNumTypes][kNumColorComponents][kNumColors][kNumColors];
  double log_det[kNumTypes][kNumColorComponents];
  double log_weight[kNumTypes][kNumColorComponents];
  double log_type_prior[kNumTypes];  // ln Φ_i (P: unnormalized 0.099, 0.001)
};

// Inverse and log-determinant of a 4×4 SPD matrix by Cholesky (host or device).
KOKKOS_INLINE_FUNCTION void spd_inverse4(const double A[4][4], double inv[4][4], double& log_det) {
  double L[4][4] = {};
  log_det = 0;
  for (int j = 0; j < 4; ++j) {
    double d = A[j][j];
    for (int k = 0; k < j; ++k) d -= L[j][k] * L[j][k];
    L[j][j] = kmath::sqrt(d);
    log_det += 2.0 * kmath::log(L[j][j]);
    for (int i = j + 1; i < 4; ++i) {
      double s = A[i][j];
      for (int k = 0; k < j; ++k) s -= L[i][k] * L[j][k];
      L[i][j] = s / L[j][j];
    }
  }
  // Columns of A⁻¹: solve L Lᵀ x = e_c.
  for (int c = 0; c < 4; ++c) {
    double y[4];
    for (int i = 0; i < 4; ++i) {
      double s = i == c ? 1.0 : 0.0;
      for (int k = 0; k < i; ++k) s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
    }
    for (int i = 3; i >= 0; --i) {
      double s = y[i];
      for (int k = i + 1; k < 4; ++k) s -= L[k][i] * inv[k][c];
      inv[i][c] = s / L[i][i];
    }
  }
}

inline ColorPrior make_color_prior(const double* type_prior = constants::kTypePriorP) {
  ColorPrior p{};
  for (int t = 0; t < kNumTypes; ++t) p.log_type_prior[t] = kmath::log(type_prior[t]);
  for (int t = 0; t < kNumTypes; ++t)
    for (int d = 0; d < kNumColorComponents; ++d) {
      spd_inverse4(constants::kColorCov[t][d], p.inv_cov[t][d], p.log_det[t][d]);
      p.log_weight[t][d] = kmath::log(constants::kColorWeight[t][d]);
    }
  return p;
}

}  // namespace celeste::model
