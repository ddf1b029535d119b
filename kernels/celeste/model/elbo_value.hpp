#pragma once
// The ELBO of one active source without derivatives, as a Kokkos team function, and its batched
// launch (label "Celeste::ELBO::value"):
//
//   team_elbo_value(...)   collective team call: Σ pixels L_n − KL + scale prior
//   evaluate_elbo_value(...)  value(t) for every task t at theta(t)
//
// For the hypothesis comparisons and the evidence integrals of the star/galaxy call
// (src/inference/type_evidence.cpp), which need thousands of objective values at given points
// and no gradient: a value costs the profile values and one log per pixel instead of the
// 28-parameter Hessian accumulation of elbo_kernel.hpp (≈ 15× fewer FLOPs per visit,
// docs/flops.md). It is the same model through the same functions as the neighbours' light
// (source_render.hpp) and the same per-pixel formula as the derivative kernel
// (pixel_log_likelihood), so the two kernels agree to rounding (test elbo_value).
#include <Kokkos_Core.hpp>

#include "celeste/model/color_prior.hpp"
#include "celeste/model/elbo_inputs.hpp"
#include "celeste/model/elbo_kernel.hpp"
#include "celeste/model/elbo_pixel.hpp"
#include "celeste/model/kl.hpp"
#include "celeste/model/linear_wcs.hpp"
#include "celeste/model/source_render.hpp"
#include "celeste/model/team_shape.hpp"

namespace celeste::model {

// Team scratch of team_elbo_value: level 0 the patch components (as ElboScratch), level 1 the
// gradient and Hessian add_prior_terms writes (discarded: the prior terms have one
// implementation, with derivatives).
struct ElboValueScratch {
  ProfileComponent* components;
  double* prior_grad;  // kNumParams
  double* prior_hess;  // kNumParams²

  KOKKOS_INLINE_FUNCTION static constexpr std::size_t level0_bytes() {
    return ElboScratch::level0_bytes();
  }
  KOKKOS_INLINE_FUNCTION static constexpr std::size_t level1_bytes() {
    return sizeof(double) * kNumParams * (1 + kNumParams) + kScratchAlignment;
  }
  template <class Member>
  KOKKOS_INLINE_FUNCTION static ElboValueScratch allocate(const Member& team) {
    ElboValueScratch s;
    s.components = static_cast<ProfileComponent*>(team.team_scratch(0).get_shmem_aligned(
        sizeof(ProfileComponent) * kMaxComponentsPerPatch, kScratchAlignment));
    s.prior_grad = static_cast<double*>(team.team_scratch(1).get_shmem_aligned(
        sizeof(double) * kNumParams * (1 + kNumParams), kScratchAlignment));
    s.prior_hess = s.prior_grad + kNumParams;
    return s;
  }
};

// Collective over `team`; returns the ELBO of `task` at the canonical parameters `theta` on
// every thread. The pixel sum is a team reduction over pixels (in pixel order at team size 1).
template <class Member, class MemorySpace>
KOKKOS_INLINE_FUNCTION double team_elbo_value(const Member& team,
                                              const ElboInputs<MemorySpace>& in, int task,
                                              const double* theta, const ColorPrior& prior,
                                              const ElboValueScratch& scratch) {
  double shape_cov[3];
  shape_covariance(theta[param::axis_ratio], theta[param::angle], theta[param::radius], shape_cov);
  const double frac_dev = theta[param::frac_dev];
  double total = 0;
  for (int patch = in.task_patch_begin(task); patch < in.task_patch_begin(task + 1); ++patch) {
    const PatchGeometry g = in.patches(patch);
    Kokkos::single(Kokkos::PerTeam(team), [&]() {
      build_patch_components(&in.psf(g.psf_begin), g.psf_count, shape_cov, scratch.components);
    });
    team.team_barrier();
    double center[2];
    source_center(theta, g.p0, g.u0, g.jac, center);
    const Brightness b = brightness(theta, g.band);
    const double* stamp = g.stamp_size > 0 ? &in.stamps(g.stamp_begin) : nullptr;
    double patch_sum = 0;
    Kokkos::parallel_reduce(
        Kokkos::TeamThreadRange(team, g.pixel_count),
        [&](int i, double& sum) {
          const VisitedPixel& px = in.pixels(g.pixel_begin + i);
          double f_star, f_gal, mean, second;
          profile_values(scratch.components, g.psf_count, frac_dev, stamp, g.stamp_size,
                         px.h - center[0], px.w - center[1], f_star, f_gal);
          source_moments(theta, b, f_star, f_gal, mean, second);
          sum += pixel_log_likelihood(px, px.background_mean + mean,
                                      px.background_var + (second - mean * mean));
        },
        patch_sum);
    total += patch_sum;
    team.team_barrier();  // components are rewritten for the next patch
  }
  double value = total;
  Kokkos::single(
      Kokkos::PerTeam(team),
      [&](double& v) {
        for (int e = 0; e < kNumParams * (1 + kNumParams); ++e) scratch.prior_grad[e] = 0;
        add_prior_terms(theta, prior, v, scratch.prior_grad, scratch.prior_hess);
      },
      value);
  return value;
}

// Batched values: value(t) = ELBO of task t at theta(t).
template <class ExecSpace>
struct ElboValue {
  using memory_space = typename ExecSpace::memory_space;
  using member_type = typename Kokkos::TeamPolicy<ExecSpace>::member_type;

  ElboInputs<memory_space> in;
  Kokkos::View<const double**, Kokkos::LayoutRight, memory_space> theta;
  Kokkos::View<double*, memory_space> value;
  ColorPrior prior;

  KOKKOS_INLINE_FUNCTION void operator()(const member_type& team) const {
    const int task = team.league_rank();
    const ElboValueScratch scratch = ElboValueScratch::allocate(team);
    const double v = team_elbo_value(team, in, task, &theta(task, 0), prior, scratch);
    Kokkos::single(Kokkos::PerTeam(team), [&]() { value(task) = v; });
  }
};

// team_size: 0 = ExecSpace's default (team_shape.hpp); one vector lane per thread.
template <class ExecSpace>
void evaluate_elbo_value(const ExecSpace& exec,
                         const ElboInputs<typename ExecSpace::memory_space>& in,
                         Kokkos::View<const double**, Kokkos::LayoutRight,
                                      typename ExecSpace::memory_space> theta,
                         Kokkos::View<double*, typename ExecSpace::memory_space> value,
                         const ColorPrior& prior, int team_size = 0) {
  const TeamShape shape = resolve_team_shape<ExecSpace>({team_size, 1});
  ElboValue<ExecSpace> f{in, theta, value, prior};
  Kokkos::TeamPolicy<ExecSpace> policy(exec, in.num_tasks(), shape.team_size, 1);
  policy.set_scratch_size(0, Kokkos::PerTeam(ElboValueScratch::level0_bytes()))
      .set_scratch_size(1, Kokkos::PerTeam(ElboValueScratch::level1_bytes()));
  Kokkos::parallel_for("Celeste::ELBO::value", policy, f);
}

}  // namespace celeste::model
