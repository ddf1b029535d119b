#pragma once
// Analytic double-precision FLOP count of one active pixel visit of the ELBO kernel (value +
// gradient + Hessian), counted by hand from kernels/celeste/model/{profile,elbo_pixel}.hpp:
// every +, −, ×, ÷ is one FLOP; exp and log count one each; negations and comparisons zero.
// Derivation, per line: docs/flops.md. K = PSF components per image.
#include "celeste/model/prototypes.hpp"

namespace celeste::bench {

inline constexpr long kFlopsStarComponent = 31;     // accumulate_component_block<false>, per lane
inline constexpr long kFlopsGalaxyComponent = 135;  // accumulate_component_block<true>, per lane
inline constexpr long kFlopsStarMap = 33;           // star_profile_from_sums: Jᵀ s1, Jᵀ S2 J
inline constexpr long kFlopsGalaxyMap = 664;        // galaxy_profile_from_sums: θ mix, L S2 Lᵀ, T, θ row
inline constexpr long kFlopsPixelCombine = 3729;    // accumulate_pixel_profiles

inline constexpr long flops_per_active_visit(int psf_components) {
  return psf_components * kFlopsStarComponent +
         long{model::kNumProfileComponents} * psf_components * kFlopsGalaxyComponent +
         kFlopsStarMap + kFlopsGalaxyMap + kFlopsPixelCombine;
}

// Estimated FLOPs of one Newton trust-region iteration on 41 free parameters: the cyclic
// Jacobi eigendecomposition (≈ 10 sweeps × 820 rotations × ≈ 740 FLOPs) plus the chain rule and
// the LU solves (docs/flops.md).
inline constexpr double kOptimizerFlopsPerIteration = 6.5e6;

// The IPDPS 2018 paper's figure for Celeste.jl, for comparison (model.md §7.6).
inline constexpr long kCelesteJlFlopsPerVisit = 32317;

}  // namespace celeste::bench
