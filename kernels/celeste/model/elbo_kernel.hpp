#pragma once
// The ELBO of one active source with its exact gradient and dense Hessian over the 44 canonical
// parameters, as a Kokkos team function (model.md §4, §5):
//   one team per task (active source); its workers (team threads × vector lanes, team_shape.hpp)
//   over the pixel blocks of each of its patches, worker w taking blocks w, w + W, ...; the
//   patch's Gaussian components and one partial sum per worker in team scratch; the partials
//   reduced inside the team in worker order (deterministic for a given team shape; at 1 × 1 the
//   blocks are summed in pixel order); KL and the scale prior added by one thread.
//
//   team_evaluate_elbo(...)  collective team call (used by the optimizer's team objective)
//   evaluate_elbo(...)       batched launch over all tasks, label "Celeste::ELBO::evaluate"
#include <Kokkos_Core.hpp>

#include <cstddef>

#include "celeste/model/color_prior.hpp"
#include "celeste/model/elbo_inputs.hpp"
#include "celeste/model/elbo_pixel.hpp"
#include "celeste/model/kl.hpp"
#include "celeste/model/linear_wcs.hpp"
#include "celeste/model/team_shape.hpp"

namespace celeste::model {

// Bytes of a scratch buffer rounded up to the 64-byte alignment every scratch block keeps
// (the same as team_scratch(1).get_shmem_aligned(..., 64)), so that pool slots stay aligned.
inline constexpr std::size_t kScratchAlignment = 64;
KOKKOS_INLINE_FUNCTION constexpr std::size_t scratch_aligned(std::size_t bytes) {
  return (bytes + kScratchAlignment - 1) / kScratchAlignment * kScratchAlignment;
}

// Team scratch of team_evaluate_elbo: level 0 holds the patch components, level 1 the
// per-worker partial sums (3.5 KB each: on GPUs they do not fit in shared memory).
struct ElboScratch {
  ProfileComponent* components;
  LikelihoodSums* partials;  // one per worker: team_size × vector_length
  int vector_length;         // lanes per team thread (the policy's)

  KOKKOS_INLINE_FUNCTION static constexpr std::size_t level0_bytes() {
    return sizeof(ProfileComponent) * kMaxComponentsPerPatch + kScratchAlignment;
  }
  KOKKOS_INLINE_FUNCTION static constexpr std::size_t level1_bytes(int workers) {
    return sizeof(LikelihoodSums) * static_cast<std::size_t>(workers) + kScratchAlignment;
  }
  template <class Member>
  KOKKOS_INLINE_FUNCTION static ElboScratch allocate(const Member& team, int vector_length) {
    ElboScratch s;
    s.components = static_cast<ProfileComponent*>(team.team_scratch(0).get_shmem_aligned(
        sizeof(ProfileComponent) * kMaxComponentsPerPatch, kScratchAlignment));
    s.partials = static_cast<LikelihoodSums*>(team.team_scratch(1).get_shmem_aligned(
        sizeof(LikelihoodSums) * team.team_size() * vector_length, kScratchAlignment));
    s.vector_length = vector_length;
    return s;
  }
  // The same buffers in caller-provided memory (64-byte aligned, pool_bytes(workers) long):
  // a scratch pool the driver placed, e.g. in high-bandwidth memory.
  KOKKOS_INLINE_FUNCTION static constexpr std::size_t pool_bytes(int workers) {
    return scratch_aligned(sizeof(ProfileComponent) * kMaxComponentsPerPatch) +
           scratch_aligned(sizeof(LikelihoodSums) * static_cast<std::size_t>(workers));
  }
  KOKKOS_INLINE_FUNCTION static ElboScratch at(char* p, int vector_length) {
    ElboScratch s;
    s.components = reinterpret_cast<ProfileComponent*>(p);
    s.partials = reinterpret_cast<LikelihoodSums*>(
        p + scratch_aligned(sizeof(ProfileComponent) * kMaxComponentsPerPatch));
    s.vector_length = vector_length;
    return s;
  }
};

// Counts of work done by one evaluation (for the FLOP figure, model.md §7.6).
KOKKOS_INLINE_FUNCTION PatchSourceState patch_source_state(const PatchGeometry& g,
                                                           const double* theta,
                                                           const ShapeDerivs& shape) {
  PatchSourceState st;
  source_center(theta, g.p0, g.u0, g.jac, st.center);
  for (int i = 0; i < 4; ++i) st.jac[i] = g.jac[i];
  st.chi[0] = theta[param::chi(0)];
  st.chi[1] = theta[param::chi(1)];
  st.frac_dev = theta[param::frac_dev];
  st.bright = brightness(theta, g.band);
  st.shape = shape;
  return st;
}

// Collective over `team`. theta: the task's 44 canonical parameters (readable by all threads).
// value, grad (44), hess (44×44 row-major, both triangles): shared outputs, complete and
// visible to every thread on return.
template <class Member, class MemorySpace>
KOKKOS_INLINE_FUNCTION void team_evaluate_elbo(const Member& team,
                                               const ElboInputs<MemorySpace>& in, int task,
                                               const double* theta, const ColorPrior& prior,
                                               const ElboScratch& scratch, double* value,
                                               double* grad, double* hess) {
  const int lanes = scratch.vector_length;
  const int workers = team.team_size() * lanes;
  const ShapeDerivs shape =
      shape_derivs(theta[param::axis_ratio], theta[param::angle], theta[param::radius]);
  const GalaxyPrototypes proto = galaxy_prototypes();
  ProfileComponent* comps = scratch.components;
  // Worker w = (team thread r, lane l) owns partials[w]: the nested ranges visit each w once.
  auto for_each_worker = [&](auto&& body) {
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, team.team_size()), [&](int r) {
      Kokkos::parallel_for(Kokkos::ThreadVectorRange(team, lanes),
                           [&](int l) { body(r * lanes + l); });
    });
  };
  for_each_worker([&](int w) { scratch.partials[w].clear(); });  // the barrier below orders it

  for (int patch = in.task_patch_begin(task); patch < in.task_patch_begin(task + 1); ++patch) {
    const PatchGeometry g = in.patches(patch);
    const PatchSourceState st = patch_source_state(g, theta, shape);
    const int K = g.psf_count;
    Kokkos::parallel_for(Kokkos::TeamVectorRange(team, K * (1 + kNumProfileComponents)),
                         [&](int c) {
                           if (c < K) {
                             comps[c] = star_component(in.psf(g.psf_begin + c));
                           } else {
                             const int k = (c - K) / kNumProfileComponents;
                             const int j = (c - K) % kNumProfileComponents;
                             comps[c] = galaxy_component(in.psf(g.psf_begin + k), proto, j,
                                                         shape.cov);
                           }
                         });
    team.team_barrier();
    const int blocks = (g.pixel_count + kPixelBlock - 1) / kPixelBlock;
    const double* stamp = g.stamp_size > 0 ? &in.stamps(g.stamp_begin) : nullptr;
    for_each_worker([&](int w) {
      for (int b = w; b < blocks; b += workers) {
        const int first = b * kPixelBlock;
        const int count = g.pixel_count - first < kPixelBlock ? g.pixel_count - first : kPixelBlock;
        accumulate_pixel_block(&in.pixels(g.pixel_begin + first), count, st, comps, K, stamp,
                               g.stamp_size, comps + K, K * kNumProfileComponents,
                               scratch.partials[w]);
      }
    });
    team.team_barrier();  // components are rewritten for the next patch
  }

  // Reduce the partials in worker order into the 44-parameter outputs.
  constexpr int n = kNumParams, nl = kNumLikelihoodParams;
  Kokkos::parallel_for(Kokkos::TeamVectorRange(team, n * n), [&](int e) { hess[e] = 0; });
  Kokkos::parallel_for(Kokkos::TeamVectorRange(team, n), [&](int e) { grad[e] = 0; });
  team.team_barrier();
  Kokkos::parallel_for(Kokkos::TeamVectorRange(team, 1 + nl + kLikelihoodHessianSize),
                       [&](int e) {
                         double s = 0;
                         if (e == 0) {
                           for (int w = 0; w < workers; ++w) s += scratch.partials[w].value;
                           *value = s;
                         } else if (e <= nl) {
                           for (int w = 0; w < workers; ++w) s += scratch.partials[w].grad[e - 1];
                           grad[e - 1] = s;
                         } else {
                           const int h = e - 1 - nl;
                           for (int w = 0; w < workers; ++w) s += scratch.partials[w].hess[h];
                           // unpack (p, q) from the packed upper index
                           int p = 0, row_end = nl;
                           while (h >= row_end) row_end += nl - (++p);
                           const int q = nl - (row_end - h);
                           hess[p * n + q] = s;
                           hess[q * n + p] = s;
                         }
                       });
  team.team_barrier();
  Kokkos::single(Kokkos::PerTeam(team), [&]() { add_prior_terms(theta, prior, *value, grad, hess); });
  team.team_barrier();
}

// Batched evaluation: outputs value(t), grad(t, 44), hess(t, 44, 44) for every task t.
template <class ExecSpace>
struct ElboEvaluate {
  using memory_space = typename ExecSpace::memory_space;
  using member_type = typename Kokkos::TeamPolicy<ExecSpace>::member_type;

  ElboInputs<memory_space> in;
  Kokkos::View<const double**, Kokkos::LayoutRight, memory_space> theta;
  Kokkos::View<double*, memory_space> value;
  Kokkos::View<double**, Kokkos::LayoutRight, memory_space> grad;
  Kokkos::View<double***, Kokkos::LayoutRight, memory_space> hess;
  ColorPrior prior;
  int vector_length = 1;  // the policy's

  KOKKOS_INLINE_FUNCTION void operator()(const member_type& team) const {
    const int task = team.league_rank();
    const ElboScratch scratch = ElboScratch::allocate(team, vector_length);
    team_evaluate_elbo(team, in, task, &theta(task, 0), prior, scratch, &value(task),
                       &grad(task, 0), &hess(task, 0, 0));
  }
};

// team_size, vector_length: 0 = ExecSpace's default (team_shape.hpp).
template <class ExecSpace>
void evaluate_elbo(const ExecSpace& exec, const ElboInputs<typename ExecSpace::memory_space>& in,
                   Kokkos::View<const double**, Kokkos::LayoutRight,
                                typename ExecSpace::memory_space> theta,
                   Kokkos::View<double*, typename ExecSpace::memory_space> value,
                   Kokkos::View<double**, Kokkos::LayoutRight, typename ExecSpace::memory_space> grad,
                   Kokkos::View<double***, Kokkos::LayoutRight, typename ExecSpace::memory_space> hess,
                   const ColorPrior& prior, int team_size = 0, int vector_length = 0) {
  const TeamShape shape = resolve_team_shape<ExecSpace>({team_size, vector_length});
  ElboEvaluate<ExecSpace> f{in, theta, value, grad, hess, prior, shape.vector_length};
  Kokkos::TeamPolicy<ExecSpace> policy(exec, in.num_tasks(), shape.team_size,
                                       shape.vector_length);
  policy.set_scratch_size(0, Kokkos::PerTeam(ElboScratch::level0_bytes()))
      .set_scratch_size(1, Kokkos::PerTeam(ElboScratch::level1_bytes(shape.workers())));
  Kokkos::parallel_for("Celeste::ELBO::evaluate", policy, f);
}

}  // namespace celeste::model
