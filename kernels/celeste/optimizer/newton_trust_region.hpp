#pragma once
// Newton trust-region minimization of a smooth objective (model.md §6.2–6.3; Optim.jl v0.7.8
// `newton_trust_region`), for any objective that returns value, gradient and dense Hessian.
//
// Serial level (host code, one thread of a kernel, or inside Kokkos::single):
//   OptimizerResult minimize(objective, y, n, options, workspace [, observer])
//     objective(trial_y, double& f, g, H) -> bool   // false or non-finite output: "not ok"
// Team level (one team per problem; the objective is called by every thread of the team):
//   OptimizerResult team_minimize(member, objective, y, n, options, workspace [, observer])
//     objective(member, trial_y, double& f, g, H) -> bool
//     Must be called collectively and fill g and H completely before returning (the driver
//     issues a team_barrier afterwards). The f and ok of team rank 0 are the ones used.
//     The subproblem runs on all the team's threads (team_symmetric_eigen, then KokkosBatched
//     TeamLU / TeamTrsv / TeamGemv: the serial bits) on GPUs or with options.team_eigen =
//     all_threads, else on one thread like the rest of the step logic.
// y: rank-1 view of length ≥ n, the initial point on input, the last accepted point on output
//    (unchanged unless a step was accepted). Written only by one thread in team_minimize.
// workspace: NewtonTrustRegionWorkspace<MemorySpace>(buffer, n) over
//    newton_trust_region_workspace_doubles(n) doubles; for team scratch use
//    team_scratch_workspace(member, n, level) with newton_trust_region_scratch_bytes(n) bytes
//    per team requested on the policy. The g, H, trial_y views the objective receives are
//    workspace views of extents exactly n.
// observer(const TrustRegionIteration&): called once per iteration after the accept/reject
//    decision (by one thread); a test hook and progress log. Default: none.
//
// Algorithm (per iteration, model.md §6.2): subproblem step s (trust_region_subproblem.hpp);
// evaluate f, g, H at y + s; ratio ρ = actual / predicted decrease; Δ/4 if ρ < ρ_lo, min(2Δ,
// Δ_max) if ρ > ρ_hi and the step hit the boundary; accept if ρ > η, then test convergence
// (§6.3). Every iteration counts, accepted or not. Differences from Optim v0.7.8:
//  * the accepted (f, g, H) are cached, so a rejected step costs no re-evaluation (§11.13);
//  * a trial point with any non-finite f, g or H is a rejected step (ρ := ρ_lo - 1, so Δ/4;
//    flag nonfinite_trial) instead of an error;
//  * the run stops (status failed, flag radius_collapsed) when a rejection leaves Δ below
//    options.min_radius, and (flag eigensolver_failed) if Jacobi does not converge;
//  * the hard-case step uses the correct sign (model.md §12 A7).
// All control decisions are made by one thread from data in the workspace, so team and serial
// levels take the same path and produce the same bits for the same objective values.
#include <Kokkos_Core.hpp>
#include <cfloat>
#include <cstddef>
#include <new>

#include "celeste/math.hpp"
#include "celeste/optimizer/status.hpp"
#include "celeste/optimizer/trust_region_subproblem.hpp"

namespace celeste::optimizer {

struct NewtonTrustRegionOptions {
  double initial_radius = 1.0;  // Δ0 (`initial_delta`)
  double max_radius = 1e9;      // Δ_max (`delta_hat`)
  double eta = 0.1;             // accept when ρ > η
  double rho_lower = 0.25;      // shrink Δ by 4 when ρ < ρ_lo
  double rho_upper = 0.75;      // grow Δ by 2 when ρ > ρ_hi and the step is on the boundary
  double x_tol = 1e-7;          // max |Δy| (absolute; 0 disables)
  double f_tol = 1e-6;          // relative change of f (0 leaves only the ulp rule)
  double g_tol = 1e-8;          // ||g||_inf
  int max_iterations = 50;
  double min_radius = 1e-12;    // a rejection leaving Δ below this stops the run
  TrustRegionSubproblemOptions subproblem;
  // team_minimize: the subproblem's eigen-solve on all of a team's threads
  // (team_symmetric_eigen, the same bits) or on one. automatic: all on GPUs, one on host
  // backends, where the solve's two barriers per rotation cost far more than the O(n) rotation
  // they spread (docs/decisions.md "Team-parallel kernels").
  enum class TeamEigen : int { automatic = 0, one_thread = 1, all_threads = 2 };
  TeamEigen team_eigen = TeamEigen::automatic;
};

// One iteration as seen by the observer.
struct TrustRegionIteration {
  int iteration = 0;            // 1-based
  double f_before = 0.0;        // objective at the accepted point the step started from
  double f_trial = 0.0;         // objective at the trial point (may be NaN)
  double model_value = 0.0;     // m(s) = g^T s + ½ s^T H s (predicted change)
  double ratio = 0.0;           // ρ used for the decision
  double step_norm_inf = 0.0;   // max |s_i|
  double radius_before = 0.0;   // Δ the subproblem was solved with
  double radius_after = 0.0;    // Δ after the update
  bool accepted = false;
  bool interior = false;
  bool hard_case = false;
  bool trial_finite = true;
};

struct NoIterationObserver {
  KOKKOS_INLINE_FUNCTION void operator()(const TrustRegionIteration&) const {}
};

namespace detail {
// Iteration state shared by the team through the workspace (plain data).
struct TrustRegionState {
  OptimizerResult result;
  double f = 0.0;           // objective at the accepted point
  double radius = 0.0;      // Δ
  double model_value = 0.0;
  double step_norm_inf = 0.0;
  bool interior = false;
  bool hard_case = false;
  bool done = false;
};
inline constexpr std::size_t kStateDoubles = (sizeof(TrustRegionState) + sizeof(double) - 1) /
                                             sizeof(double);
}  // namespace detail

KOKKOS_INLINE_FUNCTION constexpr std::size_t newton_trust_region_workspace_doubles(int n) {
  return detail::kStateDoubles + 2 * std::size_t(n) * std::size_t(n) + 4 * std::size_t(n) +
         trust_region_subproblem_workspace_doubles(n);
}

template <class MemorySpace>
struct NewtonTrustRegionWorkspace {
  using matrix_type = typename TrustRegionSubproblemWorkspace<MemorySpace>::matrix_type;
  using vector_type = typename TrustRegionSubproblemWorkspace<MemorySpace>::vector_type;
  detail::TrustRegionState* state = nullptr;
  matrix_type hessian;        // H at the accepted point (cached: §11.13)
  matrix_type trial_hessian;  // objective output at the trial point
  vector_type gradient;       // g at the accepted point
  vector_type trial_gradient;
  vector_type trial_y;        // the point the objective is evaluated at
  vector_type step;           // s
  TrustRegionSubproblemWorkspace<MemorySpace> subproblem;

  NewtonTrustRegionWorkspace() = default;
  // `buffer`: newton_trust_region_workspace_doubles(n) doubles, aligned for double.
  KOKKOS_INLINE_FUNCTION NewtonTrustRegionWorkspace(double* buffer, int n) {
    const std::size_t nn = std::size_t(n) * std::size_t(n);
    state = reinterpret_cast<detail::TrustRegionState*>(buffer);
    double* p = buffer + detail::kStateDoubles;
    hessian = matrix_type(p, n, n);
    p += nn;
    trial_hessian = matrix_type(p, n, n);
    p += nn;
    gradient = vector_type(p, n);
    p += n;
    trial_gradient = vector_type(p, n);
    p += n;
    trial_y = vector_type(p, n);
    p += n;
    step = vector_type(p, n);
    p += n;
    subproblem = TrustRegionSubproblemWorkspace<MemorySpace>(p, n);
  }
};

// Bytes of team scratch per team for team_scratch_workspace (pass to set_scratch_size).
template <class ScratchSpace>
inline std::size_t newton_trust_region_scratch_bytes(int n) {
  using buffer_view =
      Kokkos::View<double*, ScratchSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  return buffer_view::shmem_size(newton_trust_region_workspace_doubles(n));
}

template <class MemberType>
KOKKOS_INLINE_FUNCTION
    NewtonTrustRegionWorkspace<typename MemberType::execution_space::scratch_memory_space>
    team_scratch_workspace(const MemberType& member, int n, int scratch_level) {
  using scratch_space = typename MemberType::execution_space::scratch_memory_space;
  using buffer_view =
      Kokkos::View<double*, scratch_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  buffer_view buffer(member.team_scratch(scratch_level),
                     newton_trust_region_workspace_doubles(n));
  return NewtonTrustRegionWorkspace<scratch_space>(buffer.data(), n);
}

template <class Objective, class YView, class MemorySpace,
          class Observer = NoIterationObserver>
KOKKOS_INLINE_FUNCTION OptimizerResult minimize(const Objective& objective, const YView& y, int n,
                                                const NewtonTrustRegionOptions& options,
                                                const NewtonTrustRegionWorkspace<MemorySpace>& ws,
                                                const Observer& observer = Observer());

template <class MemberType, class Objective, class YView, class MemorySpace,
          class Observer = NoIterationObserver>
KOKKOS_INLINE_FUNCTION OptimizerResult team_minimize(
    const MemberType& member, const Objective& objective, const YView& y, int n,
    const NewtonTrustRegionOptions& options, const NewtonTrustRegionWorkspace<MemorySpace>& ws,
    const Observer& observer = Observer());

// --------------------------------------------------------------------------- implementation

namespace detail {

template <class VectorView>
KOKKOS_INLINE_FUNCTION bool all_finite(int n, const VectorView& v) {
  bool ok = true;
  for (int i = 0; i < n; ++i) ok = ok && is_finite(v(i));
  return ok;
}
template <class MatrixView>
KOKKOS_INLINE_FUNCTION bool all_finite_matrix(int n, const MatrixView& m) {
  bool ok = true;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) ok = ok && is_finite(m(i, j));
  return ok;
}
template <class VectorView>
KOKKOS_INLINE_FUNCTION double norm_inf(int n, const VectorView& v) {
  double m = 0.0;
  for (int i = 0; i < n; ++i) m = kmath::fmax(m, kmath::fabs(v(i)));
  return m;
}

// Spacing of doubles at z ≥ 0 (Julia's eps(z)).
KOKKOS_INLINE_FUNCTION double ulp(double z) { return next_up(z) - z; }

template <class YView, class MemorySpace>
KOKKOS_INLINE_FUNCTION void copy_initial_point(int n, const YView& y,
                                               const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  new (ws.state) TrustRegionState();
  for (int i = 0; i < n; ++i) ws.trial_y(i) = y(i);
}

template <class MemorySpace>
KOKKOS_INLINE_FUNCTION void accept_trial(int n, const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  for (int i = 0; i < n; ++i) {
    ws.gradient(i) = ws.trial_gradient(i);
    for (int j = 0; j < n; ++j) ws.hessian(i, j) = ws.trial_hessian(i, j);
  }
}

// After the objective at the initial point.
template <class MemorySpace>
KOKKOS_INLINE_FUNCTION void after_initial_evaluation(
    int n, double f, bool ok, const NewtonTrustRegionOptions& options,
    const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  TrustRegionState& st = *ws.state;
  st.result.evaluations = 1;
  st.result.f_initial = f;
  st.f = f;  // also when not finite: f_final then reports what the start gave
  st.radius = options.initial_radius;
  st.result.trust_radius = st.radius;
  const bool value_ok = ok && is_finite(f) && all_finite(n, ws.trial_gradient);
  const bool hessian_ok = all_finite_matrix(n, ws.trial_hessian);
  st.result.gradient_norm_inf = norm_inf(n, ws.trial_gradient);
  if (!value_ok || !hessian_ok || n < 1) {
    if (!value_ok) st.result.failure_flags |= failure_flag::nonfinite_objective;
    if (!hessian_ok) st.result.failure_flags |= failure_flag::nonfinite_hessian;
    st.result.status = failed;
    st.done = true;
    return;
  }
  accept_trial(n, ws);
  if (st.result.gradient_norm_inf < options.g_tol) {
    st.result.status = converged;
    st.result.converged_by = converged_by_g;
    st.done = true;
  }
}

// Whether another iteration starts (else the state says why not).
template <class MemorySpace>
KOKKOS_INLINE_FUNCTION bool begin_iteration(const NewtonTrustRegionOptions& options,
                                            const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  TrustRegionState& st = *ws.state;
  if (st.done) return false;
  if (st.result.iterations >= options.max_iterations) {
    st.result.status = max_iterations;
    st.result.failure_flags |= failure_flag::max_iterations;
    st.done = true;
    return false;
  }
  return true;
}

// Form the trial point from the subproblem's step.
template <class YView, class MemorySpace>
KOKKOS_INLINE_FUNCTION void take_step(int n, const YView& y, const TrustRegionStep& step,
                                      const NewtonTrustRegionWorkspace<MemorySpace>& ws);

// Solve the subproblem at the accepted point and form the trial point.
template <class YView, class MemorySpace>
KOKKOS_INLINE_FUNCTION void propose_step(int n, const YView& y,
                                         const NewtonTrustRegionOptions& options,
                                         const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  if (!begin_iteration(options, ws)) return;
  take_step(n, y,
            solve_trust_region_subproblem(n, ws.gradient, ws.hessian, ws.state->radius, ws.step,
                                          ws.subproblem, options.subproblem),
            ws);
}

// Whether team_minimize spreads the eigen-solve over the team (options.team_eigen).
KOKKOS_INLINE_FUNCTION bool spread_eigen_solve(const NewtonTrustRegionOptions& options,
                                               int team_size) {
  using T = NewtonTrustRegionOptions::TeamEigen;
#if defined(KOKKOS_ACTIVE_EXECUTION_MEMORY_SPACE_HOST)
  constexpr bool device = false;
#else
  constexpr bool device = true;
#endif
  return team_size > 1 && (options.team_eigen == T::all_threads ||
                           (options.team_eigen == T::automatic && device));
}

// The same collectively over `member`; one thread runs propose_step unless the eigen-solve is
// spread (spread_eigen_solve).
template <class MemberType, class YView, class MemorySpace>
KOKKOS_INLINE_FUNCTION void team_propose_step(const MemberType& member, int n, const YView& y,
                                              const NewtonTrustRegionOptions& options,
                                              const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  if (!spread_eigen_solve(options, member.team_size())) {
    Kokkos::single(Kokkos::PerTeam(member), [&]() { propose_step(n, y, options, ws); });
    return;
  }
  int go = 0;
  Kokkos::single(
      Kokkos::PerTeam(member), [&](int& out) { out = begin_iteration(options, ws) ? 1 : 0; }, go);
  if (!go) return;
  const EigenResult eigen =
      team_subproblem_eigen(member, n, ws.hessian, ws.subproblem, options.subproblem);
  // Steps 2-4 over the team too (TeamLU / TeamTrsv / TeamGemv): every thread gets the step.
  const TrustRegionStep step =
      subproblem_from_eigen(TeamLoops<MemberType>{member}, n, ws.gradient, ws.hessian,
                            ws.state->radius, ws.step, ws.subproblem, options.subproblem, eigen);
  Kokkos::single(Kokkos::PerTeam(member), [&]() { take_step(n, y, step, ws); });
}

template <class YView, class MemorySpace>
KOKKOS_INLINE_FUNCTION void take_step(int n, const YView& y, const TrustRegionStep& step,
                                      const NewtonTrustRegionWorkspace<MemorySpace>& ws) {
  TrustRegionState& st = *ws.state;
  ++st.result.iterations;
  if (step.eigen_status != EigenStatus::converged) {
    st.result.status = failed;
    st.result.failure_flags |= failure_flag::eigensolver_failed;
    st.done = true;
    return;
  }
  st.model_value = step.model_value;
  st.interior = step.interior;
  st.hard_case = step.hard_case;
  st.step_norm_inf = norm_inf(n, ws.step);
  for (int i = 0; i < n; ++i) ws.trial_y(i) = y(i) + ws.step(i);
}

// After the objective at the trial point: ratio, radius update, accept/reject, convergence.
template <class YView, class MemorySpace, class Observer>
KOKKOS_INLINE_FUNCTION void process_trial(int n, const YView& y, double f_trial, bool ok,
                                          const NewtonTrustRegionOptions& options,
                                          const NewtonTrustRegionWorkspace<MemorySpace>& ws,
                                          const Observer& observer) {
  TrustRegionState& st = *ws.state;
  ++st.result.evaluations;
  const bool value_ok = ok && is_finite(f_trial) && all_finite(n, ws.trial_gradient);
  const bool hessian_ok = all_finite_matrix(n, ws.trial_hessian);
  const bool trial_finite = value_ok && hessian_ok;

  const double m = st.model_value;
  double ratio;
  if (!trial_finite) {
    // A non-finite trial is a failed step: same effect as a predicted increase.
    st.result.failure_flags |= failure_flag::nonfinite_trial;
    if (value_ok) st.result.failure_flags |= failure_flag::nonfinite_hessian;
    ratio = options.rho_lower - 1.0;
  } else if (kmath::fabs(m) <= DBL_EPSILON) {
    ratio = 1.0;
  } else if (m > 0.0) {
    ratio = options.rho_lower - 1.0;  // the model predicts an increase
  } else {
    ratio = (st.f - f_trial) / (-m);
  }

  TrustRegionIteration record;
  record.iteration = st.result.iterations;
  record.f_before = st.f;
  record.f_trial = f_trial;
  record.model_value = m;
  record.ratio = ratio;
  record.step_norm_inf = st.step_norm_inf;
  record.radius_before = st.radius;
  record.interior = st.interior;
  record.hard_case = st.hard_case;
  record.trial_finite = trial_finite;

  if (ratio < options.rho_lower) {
    st.radius *= 0.25;
  } else if (ratio > options.rho_upper && !st.interior) {
    st.radius = kmath::fmin(2.0 * st.radius, options.max_radius);
  }
  record.radius_after = st.radius;

  const bool accepted = trial_finite && ratio > options.eta;
  record.accepted = accepted;
  if (accepted) {
    double x_change = 0.0;
    for (int i = 0; i < n; ++i) x_change = kmath::fmax(x_change, kmath::fabs(ws.trial_y(i) - y(i)));
    const double f_previous = st.f;
    for (int i = 0; i < n; ++i) y(i) = ws.trial_y(i);
    accept_trial(n, ws);
    st.f = f_trial;
    st.result.gradient_norm_inf = norm_inf(n, ws.gradient);
    unsigned by = converged_by_none;
    if (x_change < options.x_tol) by |= converged_by_x;
    const double f_change = kmath::fabs(f_trial - f_previous);
    const double f_threshold =
        kmath::fmax(options.f_tol * (kmath::fabs(f_trial) + options.f_tol),
                    ulp(kmath::fabs(f_trial) + kmath::fabs(f_previous)));
    if (f_change < f_threshold) by |= converged_by_f;
    if (st.result.gradient_norm_inf < options.g_tol) by |= converged_by_g;
    if (by != converged_by_none) {
      st.result.status = converged;
      st.result.converged_by = by;
      st.done = true;
    }
  } else if (st.radius < options.min_radius) {
    st.result.status = failed;
    st.result.failure_flags |= failure_flag::radius_collapsed;
    st.done = true;
  }
  observer(record);
  if (!st.done && st.result.iterations >= options.max_iterations) {
    st.result.status = max_iterations;
    st.result.failure_flags |= failure_flag::max_iterations;
    st.done = true;
  }
}

KOKKOS_INLINE_FUNCTION OptimizerResult final_result(const TrustRegionState& st) {
  OptimizerResult r = st.result;
  r.f_final = st.f;
  r.trust_radius = st.radius;
  return r;
}

}  // namespace detail

template <class Objective, class YView, class MemorySpace, class Observer>
KOKKOS_INLINE_FUNCTION OptimizerResult minimize(const Objective& objective, const YView& y, int n,
                                                const NewtonTrustRegionOptions& options,
                                                const NewtonTrustRegionWorkspace<MemorySpace>& ws,
                                                const Observer& observer) {
  detail::copy_initial_point(n, y, ws);
  double f = 0.0;
  bool ok = objective(ws.trial_y, f, ws.trial_gradient, ws.trial_hessian);
  detail::after_initial_evaluation(n, f, ok, options, ws);
  while (!ws.state->done) {
    detail::propose_step(n, y, options, ws);
    if (ws.state->done) break;
    ok = objective(ws.trial_y, f, ws.trial_gradient, ws.trial_hessian);
    detail::process_trial(n, y, f, ok, options, ws, observer);
  }
  return detail::final_result(*ws.state);
}

template <class MemberType, class Objective, class YView, class MemorySpace, class Observer>
KOKKOS_INLINE_FUNCTION OptimizerResult team_minimize(
    const MemberType& member, const Objective& objective, const YView& y, int n,
    const NewtonTrustRegionOptions& options, const NewtonTrustRegionWorkspace<MemorySpace>& ws,
    const Observer& observer) {
  // Pattern: one thread updates the shared state and workspace inside Kokkos::single, a
  // barrier publishes it, every thread reads `done` from the shared state, and a second
  // barrier keeps the next single from overwriting it while another thread is still reading.
  Kokkos::single(Kokkos::PerTeam(member), [&]() { detail::copy_initial_point(n, y, ws); });
  member.team_barrier();
  double f = 0.0;
  bool ok = objective(member, ws.trial_y, f, ws.trial_gradient, ws.trial_hessian);
  member.team_barrier();
  Kokkos::single(Kokkos::PerTeam(member),
                 [&]() { detail::after_initial_evaluation(n, f, ok, options, ws); });
  member.team_barrier();
  bool done = ws.state->done;
  member.team_barrier();
  while (!done) {
    detail::team_propose_step(member, n, y, options, ws);
    member.team_barrier();
    done = ws.state->done;
    member.team_barrier();
    if (done) break;
    ok = objective(member, ws.trial_y, f, ws.trial_gradient, ws.trial_hessian);
    member.team_barrier();
    Kokkos::single(Kokkos::PerTeam(member), [&]() {
      detail::process_trial(n, y, f, ok, options, ws, observer);
    });
    member.team_barrier();
    done = ws.state->done;
    member.team_barrier();
  }
  const OptimizerResult result = detail::final_result(*ws.state);
  member.team_barrier();  // the workspace may be reused by the caller after this returns
  return result;
}

}  // namespace celeste::optimizer
