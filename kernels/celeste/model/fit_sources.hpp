#pragma once
// Per-source variational fit: maximize the ELBO of every task's active source over its 41 free
// parameters by Newton trust region (model.md §6), neighbours fixed, one team per source
// (its shape: team_shape.hpp).
//
// Objective f(y) = −ELBO(θ(y)) with exact gradient and Hessian through the free-parameter chain
// rule (transforms.hpp). The team evaluates the ELBO collectively (team_evaluate_elbo); the
// optimizer's linear algebra runs on one thread (optimizer/newton_trust_region.hpp).
// Kernel label "Celeste::Fit::sources".
#include <Kokkos_Core.hpp>

#include "celeste/model/elbo_kernel.hpp"
#include "celeste/model/linear_response.hpp"
#include "celeste/optimizer/newton_trust_region.hpp"
#include "celeste/optimizer/status.hpp"
#include "celeste/transforms.hpp"

namespace celeste::model {

// Shared team-scratch buffers of the objective (level 1: too large for GPU shared memory).
struct FitScratch {
  double* theta;   // 44 canonical parameters at the trial point
  double* grad;    // 44
  double* hess;    // 44 × 44
  double* value;   // 1
  double* free_grad;  // 41
  double* free_hess;  // 41 × 41

  KOKKOS_INLINE_FUNCTION static constexpr std::size_t doubles() {
    return kNumParams * (2 + kNumParams) + 1 + kNumFreeParams * (1 + kNumFreeParams);
  }
  template <class Member>
  KOKKOS_INLINE_FUNCTION static FitScratch allocate(const Member& team) {
    return at(static_cast<double*>(team.team_scratch(1).get_shmem_aligned(doubles() * sizeof(double), 64)));
  }
  KOKKOS_INLINE_FUNCTION static FitScratch at(double* p) {
    FitScratch s;
    s.theta = p;
    s.grad = p += kNumParams;
    s.hess = p += kNumParams;
    s.value = p += kNumParams * kNumParams;
    s.free_grad = p += 1;
    s.free_hess = p += kNumFreeParams;
    return s;
  }
};

template <class MemorySpace>
struct ElboObjective {
  const ElboInputs<MemorySpace>* in;
  const ColorPrior* prior;
  const SourceBounds* bounds;
  int task;
  ElboScratch elbo_scratch;
  FitScratch fit;

  template <class Member, class YView, class GView, class HView>
  KOKKOS_INLINE_FUNCTION bool operator()(const Member& team, const YView& y, double& f,
                                         const GView& g, const HView& H) const {
    Kokkos::single(Kokkos::PerTeam(team), [&]() {
      double yy[kNumFreeParams];
      for (int i = 0; i < kNumFreeParams; ++i) yy[i] = y(i);
      to_canonical(yy, *bounds, fit.theta);
    });
    team.team_barrier();
    team_evaluate_elbo(team, *in, task, fit.theta, *prior, elbo_scratch, fit.value, fit.grad,
                       fit.hess);
    int ok = 0;
    Kokkos::single(
        Kokkos::PerTeam(team),
        [&](int& ok_out) {
          chain_rule_to_free(fit.theta, *bounds, fit.grad, fit.hess, fit.free_grad, fit.free_hess);
          for (int i = 0; i < kNumFreeParams; ++i) {
            g(i) = -fit.free_grad[i];
            for (int j = 0; j < kNumFreeParams; ++j) H(i, j) = -fit.free_hess[i * kNumFreeParams + j];
          }
          ok_out = (*fit.value - *fit.value == 0.0) ? 1 : 0;
        },
        ok);
    f = -*fit.value;
    return ok != 0;
  }
};

// Optional per-iteration trace (test hook): trace(task, iteration − 1, ·) = (objective at the
// accepted point the step started from, objective at the trial point, 1 if accepted else 0).
template <class TraceView>
struct FitTraceObserver {
  TraceView trace;
  int task;
  KOKKOS_INLINE_FUNCTION void operator()(const optimizer::TrustRegionIteration& r) const {
    const int i = r.iteration - 1;
    if (i < 0 || std::size_t(task) >= trace.extent(0) || std::size_t(i) >= trace.extent(1)) return;
    trace(task, i, 0) = r.f_before;
    trace(task, i, 1) = r.f_trial;
    trace(task, i, 2) = r.accepted ? 1.0 : 0.0;
  }
};

// Outputs per task: the final canonical parameters, the optimizer result and the ELBO; when
// lr_sd is allocated, the linear-response uncertainties at the optimum (linear_response.hpp).
template <class ExecSpace>
struct FitSources {
  using memory_space = typename ExecSpace::memory_space;
  using member_type = typename Kokkos::TeamPolicy<ExecSpace>::member_type;

  ElboInputs<memory_space> in;
  Kokkos::View<SourceBounds*, memory_space> bounds;
  Kokkos::View<double**, Kokkos::LayoutRight, memory_space> y;      // tasks × 41: in/out
  Kokkos::View<double**, Kokkos::LayoutRight, memory_space> theta;  // tasks × 44: out
  Kokkos::View<optimizer::OptimizerResult*, memory_space> results;
  ColorPrior prior;
  optimizer::NewtonTrustRegionOptions options;  // model::elbo_trust_region_options() (source_fit.hpp)
  // Optional outputs (left empty: not computed).
  Kokkos::View<double**, Kokkos::LayoutRight, memory_space> lr_sd;    // tasks × 44
  Kokkos::View<double***, Kokkos::LayoutRight, memory_space> lr_cov;  // tasks × 16 × 16
  Kokkos::View<unsigned*, memory_space> lr_flags;                     // tasks
  Kokkos::View<double***, Kokkos::LayoutRight, memory_space> trace;   // tasks × iterations × 3
  // Optional: every team's scratch (ELBO, objective and optimizer workspace) in this pool
  // instead of Kokkos' team scratch, one pool_slot_bytes(team_size) slot per scratch_token id
  // (size scratch_token.size()); the driver places it (runtime/memory_placement.hpp). Empty:
  // Kokkos' team scratch.
  Kokkos::View<char*, memory_space> scratch_pool;
  Kokkos::Experimental::UniqueToken<ExecSpace> scratch_token;
  // Set by fit_sources from the launch's team shape.
  int vector_length = 1;

  // workers: team_size × vector_length (team_shape.hpp).
  static std::size_t level1_bytes(int workers) {
    using scratch = typename ExecSpace::scratch_memory_space;
    return ElboScratch::level1_bytes(workers) + FitScratch::doubles() * sizeof(double) + 64 +
           optimizer::newton_trust_region_scratch_bytes<scratch>(kNumFreeParams) + 64;
  }
  KOKKOS_INLINE_FUNCTION static constexpr std::size_t pool_slot_bytes(int workers) {
    return ElboScratch::pool_bytes(workers) + scratch_aligned(FitScratch::doubles() * sizeof(double)) +
           scratch_aligned(optimizer::newton_trust_region_workspace_doubles(kNumFreeParams) *
                           sizeof(double));
  }

  template <class YTask>
  KOKKOS_INLINE_FUNCTION void linear_response_at_optimum(const member_type& team, int task,
                                                         const SourceBounds& b,
                                                         const YTask& y_task, const FitScratch& fs,
                                                         const ElboScratch& es) const;

  KOKKOS_INLINE_FUNCTION void operator()(const member_type& team) const {
    if (scratch_pool.extent(0) == 0) {
      fit_task(team, ElboScratch::allocate(team, vector_length), FitScratch::allocate(team),
               optimizer::team_scratch_workspace(team, kNumFreeParams, 1));
      return;
    }
    int slot = 0;
    Kokkos::single(Kokkos::PerTeam(team), [&](int& out) { out = scratch_token.acquire(); }, slot);
    const int workers = team.team_size() * vector_length;
    char* p = scratch_pool.data() + std::size_t(slot) * pool_slot_bytes(workers);
    const ElboScratch es = ElboScratch::at(p, vector_length);
    p += ElboScratch::pool_bytes(workers);
    const FitScratch fs = FitScratch::at(reinterpret_cast<double*>(p));
    p += scratch_aligned(FitScratch::doubles() * sizeof(double));
    fit_task(team, es, fs,
             optimizer::NewtonTrustRegionWorkspace<typename ExecSpace::scratch_memory_space>(
                 reinterpret_cast<double*>(p), kNumFreeParams));
    team.team_barrier();
    Kokkos::single(Kokkos::PerTeam(team), [&]() { scratch_token.release(slot); });
  }

  template <class Workspace>
  KOKKOS_INLINE_FUNCTION void fit_task(const member_type& team, const ElboScratch& es,
                                       const FitScratch& fs, const Workspace& ws) const {
    const int task = team.league_rank();
    const SourceBounds b = bounds(task);
    const ElboObjective<memory_space> objective{&in, &prior, &b, task, es, fs};
    auto y_task = Kokkos::subview(y, task, Kokkos::ALL);
    optimizer::OptimizerResult result;
    if (in.task_patch_begin(task + 1) == in.task_patch_begin(task)) {
      // No active pixels: nothing to fit; keep the initial parameters, flag the source.
      result.status = optimizer::failed;
      result.failure_flags = optimizer::failure_flag::no_active_pixels;
    } else {
      const FitTraceObserver<decltype(trace)> observer{trace, task};
      result =
          optimizer::team_minimize(team, objective, y_task, kNumFreeParams, options, ws, observer);
    }
    if (lr_sd.extent(0) > std::size_t(task)) linear_response_at_optimum(team, task, b, y_task, fs, es);
    Kokkos::single(Kokkos::PerTeam(team), [&]() {
      double yy[kNumFreeParams];
      for (int i = 0; i < kNumFreeParams; ++i) yy[i] = y_task(i);
      double th[kNumParams];
      to_canonical(yy, b, th);
      for (int p = 0; p < kNumParams; ++p) theta(task, p) = th[p];
      for (int p = 0; p < kNumBoxParams; ++p)
        if (box_at_bound(th[p], b.lo[p], b.hi[p]))
          result.failure_flags |= optimizer::failure_flag::at_bound;
      results(task) = result;
    });
  }
};

template <class ExecSpace>
template <class YTask>
KOKKOS_INLINE_FUNCTION void FitSources<ExecSpace>::linear_response_at_optimum(
    const member_type& team, int task, const SourceBounds& b, const YTask& y_task,
    const FitScratch& fs, const ElboScratch& es) const {
  const bool has_pixels = in.task_patch_begin(task + 1) != in.task_patch_begin(task);
  // The canonical ELBO Hessian at the returned point: the objective's last evaluation when
  // that was the accepted point (always after convergence), else one more evaluation.
  int reevaluate = 0;
  Kokkos::single(
      Kokkos::PerTeam(team),
      [&](int& out) {
        double yy[kNumFreeParams], th[kNumParams];
        for (int i = 0; i < kNumFreeParams; ++i) yy[i] = y_task(i);
        to_canonical(yy, b, th);
        out = 0;
        for (int p = 0; p < kNumParams; ++p) out |= th[p] != fs.theta[p] ? 1 : 0;
        if (out)
          for (int p = 0; p < kNumParams; ++p) fs.theta[p] = th[p];
      },
      reevaluate);
  team.team_barrier();
  if (reevaluate && has_pixels) {
    team_evaluate_elbo(team, in, task, fs.theta, prior, es, fs.value, fs.grad, fs.hess);
  }
  Kokkos::single(Kokkos::PerTeam(team), [&]() {
    LinearResponse lr;
    if (has_pixels) {
      lr = linear_response(fs.theta, b, fs.hess);
    } else {
      // No pixels: no Hessian; linear_response reports the mean-field sds on a NaN Hessian.
      for (int i = 0; i < kNumParams * kNumParams; ++i) fs.hess[i] = ::nan("");
      lr = linear_response(fs.theta, b, fs.hess);
    }
    for (int p = 0; p < kNumParams; ++p) lr_sd(task, p) = lr.sd[p];
    if (lr_cov.extent(0) > std::size_t(task))
      for (int i = 0; i < kNumMeanParams; ++i)
        for (int j = 0; j < kNumMeanParams; ++j) lr_cov(task, i, j) = lr.cov[i * kNumMeanParams + j];
    if (lr_flags.extent(0) > std::size_t(task)) lr_flags(task) = lr.flags;
  });
  team.team_barrier();
}

// The team size the fit kernel can launch with at `vector_length` lanes (the launch's
// scratch included): on host spaces the thread pool, on GPUs what the registers allow.
template <class ExecSpace>
int fit_team_size_max(const ExecSpace& exec, const FitSources<ExecSpace>& functor,
                      int vector_length) {
  Kokkos::TeamPolicy<ExecSpace> policy(exec, 1, 1, vector_length);
  return policy.set_scratch_size(0, Kokkos::PerTeam(ElboScratch::level0_bytes()))
      .team_size_max(functor, Kokkos::ParallelForTag());
}

// Launches the fit of every task with teams of `requested` shape (zeros: ExecSpace's defaults,
// a default team size capped at fit_team_size_max; an explicit one the caller has checked).
// Returns the shape it ran.
template <class ExecSpace>
TeamShape fit_sources(const ExecSpace& exec, const FitSources<ExecSpace>& functor,
                      TeamShape requested = {}) {
  TeamShape shape = resolve_team_shape<ExecSpace>(requested);
  if (requested.team_size <= 0) {
    const int max = fit_team_size_max(exec, functor, shape.vector_length);
    if (shape.team_size > max) shape.team_size = max;
  }
  FitSources<ExecSpace> f = functor;
  f.vector_length = shape.vector_length;
  Kokkos::TeamPolicy<ExecSpace> policy(exec, f.in.num_tasks(), shape.team_size,
                                       shape.vector_length);
  if (f.scratch_pool.extent(0) == 0)
    policy.set_scratch_size(0, Kokkos::PerTeam(ElboScratch::level0_bytes()))
        .set_scratch_size(1, Kokkos::PerTeam(FitSources<ExecSpace>::level1_bytes(shape.workers())));
  Kokkos::parallel_for("Celeste::Fit::sources", policy, f);
  exec.fence();
  return shape;
}

}  // namespace celeste::model
