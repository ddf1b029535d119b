#pragma once
// Host driver of the per-source fit: for a set of target sources (pairwise non-neighbours, or
// with neighbours deliberately held at their current values), build their ELBO tasks, run the
// batched Newton trust-region kernel (kernels/celeste/model/fit_sources.hpp) and return the new
// parameters with per-source optimizer statistics.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "celeste/model/linear_response.hpp"
#include "celeste/model/team_shape.hpp"

#include "celeste/optimizer/newton_trust_region.hpp"
#include "celeste/optimizer/status.hpp"
#include "celeste/transforms.hpp"
#include "model/elbo_problem.hpp"
#include "model/patches.hpp"
#include "runtime/memory_placement.hpp"
#include "survey/source_result.hpp"

namespace celeste::model {

// The trust-region settings of the ELBO fit: model.md §6.2 except the subproblem's shift floor
// c = 1e-12 instead of Optim's 1e-8 (λ_lb = -λ_1 + max(1e-8, c (λ_n - λ_1))). The free-coordinate
// Hessian of a bright source spans λ_n ≈ 4e7..3e8 (position, flux) down to curvatures ≈ 0.01 of
// parameters converging to a box/simplex bound (y → ±∞); with a slightly negative λ_1 every step
// is s(λ_lb), and Optim's floor 1e-8 λ_n ≈ 0.4..3 damps those coordinates to ~1/20 of their
// Newton step (-1 in y), so f shrank by ~15 % per iteration and 5 of 220 synthetic sources hit
// the iteration limit. 1e-12 (λ + λ_1 ≥ 1e-12 λ_n, still ~100× the rounding error n ε λ_n of the
// factorization) leaves them their Newton step. docs/decisions.md "Optimizer: convergence at
// bounds".
inline optimizer::NewtonTrustRegionOptions elbo_trust_region_options() {
  optimizer::NewtonTrustRegionOptions o;
  o.subproblem.shift_floor_relative = 1e-12;
  return o;
}

struct FitOptions {
  optimizer::NewtonTrustRegionOptions trust_region = elbo_trust_region_options();
  // Team shape of the fit kernel (execution.team_size / execution.vector_length): team threads
  // per source × vector lanes per thread; 0 = the backend's default (1 × 1 on host spaces,
  // kernels/celeste/model/team_shape.hpp). Results depend on the shape, not on the thread count.
  // A team size the backend cannot launch is a ConfigError.
  int team_size = 0;
  int vector_length = 0;
  // Kokkos execution space to fit on, by name ("serial", "openmp", "cuda"; "" = the build's
  // default); one not compiled in is a ConfigError naming those that are (runtime/backend.hpp).
  std::string backend;
  // Where the batch's pixel data and the ELBO scratch live (execution.memory, resolved by
  // runtime::choose_memory); hbw applies to host execution spaces only.
  runtime::MemoryKind memory = runtime::MemoryKind::ddr;
  // Φ (model.md §1.3; P's values)
  std::array<double, kNumTypes> type_prior{constants::kTypePriorP[0], constants::kTypePriorP[1]};
  // Linear-response uncertainties at the optimum (kernels/celeste/model/linear_response.hpp):
  // costs one extra ELBO evaluation only when the last evaluation was not the accepted point.
  bool linear_response = true;
  // Record every optimizer iteration in SourceFit::trace (test hook).
  bool record_trace = false;
};

// The objective at the current point only (no iterations, no linear response): for ELBO
// comparisons between hypotheses.
inline FitOptions evaluation_options(FitOptions o) {
  o.trust_region.max_iterations = 0;
  o.linear_response = false;
  return o;
}

// A fit held at one type (0 star, 1 galaxy): the other type's prior mass e^-100 costs it ~100
// nats, more than any Occam factor or prior odds the hypothesis rounds weigh, so a held fit
// that still ends at the other type says that type wins by more than that.
// `other_mass` replaces it where a round was measured to do better with a weaker hold.
inline constexpr double kHeldTypePriorMass = 3.7e-44;  // e^-100
inline FitOptions held_type_options(FitOptions o, int type,
                                    double other_mass = kHeldTypePriorMass) {
  o.type_prior = {type == 0 ? 1.0 : other_mass, type == 1 ? 1.0 : other_mass};
  return o;
}
// Sets q(type) of a held fit's start: q(other type) = other_start, inside the simplex box (its
// bound maps to an infinite free coordinate, where the fit could not move it). Under the
// e^-100 hold the optimum has the other type at its bound 0.005: starting at 0.0051 (free
// coordinate −9.2 instead of −4.2 from 0.02) spared 36 % of the type-evidence round's Newton
// iterations on SDSS 94/1/12 (docs/decisions.md "Star/galaxy call by evidence").
inline constexpr double kHeldOtherTypeStart = 0.0051;
inline void start_at_type(SourceParams& p, int type, double other_start = kHeldOtherTypeStart) {
  p[param::chi(type)] = 1 - other_start;
  p[param::chi(1 - type)] = other_start;
}

// One optimizer iteration (objective = −ELBO).
struct FitIteration {
  double f_before = 0;  // at the accepted point the step started from
  double f_trial = 0;   // at the trial point (may be NaN)
  bool accepted = false;
};

struct SourceFit {
  SourceParams params{};              // canonical parameters after the fit
  optimizer::OptimizerResult result;  // status, iterations, flags, f_initial/f_final = −ELBO
  long active_visits = 0;             // pixel visits per ELBO evaluation
  long neighbor_visits = 0;           // neighbour contributions computed for the background
  const char* execution_space = "";   // Kokkos name of the space the fit ran on ("OpenMP")
  TeamShape team_shape;               // the shape it ran with
  // Linear-response posterior sds at the optimum, by canonical index: set for the 16 mean
  // parameters (position in degrees, θ ρ φ σ, γ_i, β_{i,j}); NaN elsewhere and where
  // conditioned on (see lr_flags and model::lr_flag). All NaN when options.linear_response is
  // false. For the catalog: log_flux_r_stderr = lr_sd[gamma(t)], color stderr = lr_sd[beta(t,j)].
  std::array<double, kNumParams> lr_sd{};
  // Their covariance, 16 × 16 row-major in model::mean_param order.
  std::array<double, kNumMeanParams * kNumMeanParams> lr_cov{};
  unsigned lr_flags = 0;                 // model::lr_flag bits
  std::vector<FitIteration> trace;       // options.record_trace only
};

// The fixed box of a target source from its initial position (model.md §3.3). With
// max_patch_radius_px > 0 (model variant K: the source's largest patch radius) the galaxy scale
// σ is also capped at a third of it: the likelihood only sees the patch, so a larger σ puts
// light where nothing charges for it, and on the synthetic demo galaxies ran away to the
// 70-px bound as faint streaks absorbing neighbours' light (docs/decisions.md "Galaxy scale
// within the patch"). ≤ 0: the published bounds only (variant P).
SourceBounds target_bounds(double ra0, double dec0, double max_patch_radius_px = 0);

// σ ≤ kMaxScalePerPatchRadius × patch radius: an exponential profile keeps ≥ 96 % of its light
// within 3 scales, a de Vaucouleurs one ~85 %.
inline constexpr double kMaxScalePerPatchRadius = 1.0 / 3.0;

// The catalog record's fit fields (status, iterations, failure flags, ELBO, its gain, gradient
// norm, linear-response sds) from a fit: the one place they are mapped.
void record_fit(const SourceFit& fit, survey::SourceResult& record);

std::vector<SourceFit> fit_targets(const std::vector<survey::Image>& images,
                                   const SurveyPatches& patches,
                                   const std::vector<SourceParams>& params,
                                   const std::vector<int>& targets,
                                   const std::vector<SourceBounds>& target_box,
                                   const FitOptions& options = {});

// A task's targets placed once on the fit's backend, for the rounds of the task (issue 13:
// residency): their patches, pixels (data, ι, sky), PSFs and star stamps, which neighbour
// patch lights which pixel, and the fit kernel's scratch. fit() of a chunk of the targets
// uploads only the chunk's patch table, the neighbours' current parameters and the list of
// the chunk's pixels, renders the neighbours' light at those pixels on the device from the
// sky up (neighbor_light.hpp, rerender_neighbor_light), and fits: bitwise fit_targets' result
// for the same chunk and parameters. The patches and the images must stay as they were built
// (a task's, run_pipeline.cpp); the options are the constructor's.
class ResidentTask {
 public:
  ResidentTask(const std::vector<survey::Image>& images, const SurveyPatches& patches,
               const std::vector<SourceParams>& params, const std::vector<int>& targets,
               const FitOptions& options);
  // `targets`: a subset of the constructor's, pairwise non-neighbours or with neighbours held
  // as fit_targets holds them; `params`: every source's current values.
  std::vector<SourceFit> fit(const std::vector<SourceParams>& params,
                             const std::vector<int>& targets,
                             const std::vector<SourceBounds>& target_box) const;
  bool holds(int source) const {
    return source >= 0 && source < static_cast<int>(task_of_source_.size()) &&
           task_of_source_[source] >= 0;
  }

 private:
  // Every target, neighbour light left to the device; once placed, only its tables remain on
  // the host (the pixels, PSFs, stamps and neighbour lists are the device's).
  ElboBatchHost batch_;
  int neighbor_patches_ = 0;          // batch_.neighbor_patches' count (0: no neighbour light)
  std::vector<int> task_of_source_;   // by source: its task in batch_, -1 if none
  FitOptions options_;
  std::shared_ptr<void> resident_;    // a ResidentArrays<Exec> of source_fit.cpp
};

// The objective −ELBO of one target at given parameter vectors, without derivatives, its
// neighbours held at the parameters it was built with: the target's pixel batch is built once,
// and each call evaluates all its vectors in one launch of the value kernel
// (kernels/celeste/model/elbo_value.hpp), one team per vector. For hypothesis comparisons and
// the evidence integrals, which need values only. Each vector is mapped through the target's
// box as a fit's start is (enforce_bounds, free coordinates and back), so a value equals a
// zero-iteration fit's f_initial to rounding.
class TargetObjective {
 public:
  TargetObjective(const std::vector<survey::Image>& images, const SurveyPatches& patches,
                  const std::vector<SourceParams>& params, int target, const SourceBounds& box,
                  const FitOptions& options);
  std::vector<double> operator()(const std::vector<SourceParams>& thetas) const;
  double operator()(const SourceParams& theta) const;
  long active_visits() const { return batch_.active_visits.empty() ? 0 : batch_.active_visits[0]; }

 private:
  ElboBatchHost batch_;
  SourceBounds box_;
  FitOptions options_;
  // The target's pixels, PSFs and star stamps, placed once in the memory of options_.backend
  // (a PlacedBatch<Mem> of source_fit.cpp; type-erased because the backend is chosen at run
  // time): a call uploads only its parameter vectors and the repeated patch table.
  std::shared_ptr<const void> resident_;
};

}  // namespace celeste::model
