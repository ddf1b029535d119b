#pragma once
// Galaxy profile prototypes (model.md §2.5): the de Vaucouleurs (8 Gaussians) and exponential
// (6 Gaussians) isotropic mixtures, normalized from the raw constants in double precision
// (amplitudes to sum 1, variances divided by the effective-radius adjustment squared).
#include <Kokkos_Core.hpp>

#include "celeste/device_table.hpp"
#include "celeste/model_constants.hpp"

namespace celeste::model {

inline constexpr int kNumDevComponents = 8;
inline constexpr int kNumExpComponents = 6;
inline constexpr int kNumProfileComponents = kNumDevComponents + kNumExpComponents;  // 14

struct GalaxyPrototypes {
  // Component j < 8 is dev, j >= 8 is exp.
  double amplitude[kNumProfileComponents];  // η
  double variance[kNumProfileComponents];   // ν (multiplies Σ(ρ, φ, σ))
};

KOKKOS_INLINE_FUNCTION bool is_dev_component(int j) { return j < kNumDevComponents; }

KOKKOS_INLINE_FUNCTION GalaxyPrototypes galaxy_prototypes() {
  namespace c = constants;
  static constexpr auto dev_amp = device_table(c::kDevRawAmp);  // device-readable copies
  static constexpr auto dev_var = device_table(c::kDevRawVar);
  static constexpr auto exp_amp = device_table(c::kExpRawAmp);
  static constexpr auto exp_var = device_table(c::kExpRawVar);
  GalaxyPrototypes p{};
  double dev_sum = 0, exp_sum = 0;
  for (int j = 0; j < kNumDevComponents; ++j) dev_sum += dev_amp[j];
  for (int j = 0; j < kNumExpComponents; ++j) exp_sum += exp_amp[j];
  for (int j = 0; j < kNumDevComponents; ++j) {
    p.amplitude[j] = dev_amp[j] / dev_sum;
    p.variance[j] = dev_var[j] / (c::kDevRadiusAdjust * c::kDevRadiusAdjust);
  }
  for (int j = 0; j < kNumExpComponents; ++j) {
    p.amplitude[kNumDevComponents + j] = exp_amp[j] / exp_sum;
    p.variance[kNumDevComponents + j] =
        exp_var[j] / (c::kExpRadiusAdjust * c::kExpRadiusAdjust);
  }
  return p;
}

}  // namespace celeste::model
