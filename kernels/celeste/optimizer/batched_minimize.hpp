#pragma once
// Many independent minimizations in one kernel (tests, benchmarks; the per-source fit follows
// the same pattern with its own kernel).
//
//   batched_team_minimize(space, objective, y, n, options, results [, team_size])
//     One team per problem (Kokkos::TeamPolicy, label "Celeste::Optimizer::batched_team_minimize"),
//     workspace in team scratch (level 0 when it fits the backend's level-0 limit, else level 1).
//     objective(member, problem, trial_y, double& f, g, H) -> bool, called collectively.
//   batched_serial_minimize(space, objective, y, n, options, results)
//     One thread per problem (Kokkos::RangePolicy, label
//     "Celeste::Optimizer::batched_serial_minimize"), workspace in a device View.
//     objective(problem, trial_y, double& f, g, H) -> bool.
//   y: View<double**> (problems × ≥ n), initial points in, results out.
//   results: View<OptimizerResult*> (problems).
// Both block until done (fence), so callers can read the outputs right away.
#include <Kokkos_Core.hpp>
#include <cstddef>

#include "celeste/optimizer/newton_trust_region.hpp"
#include "celeste/optimizer/status.hpp"

namespace celeste::optimizer {

template <class ExecSpace, class ProblemObjective, class YView, class ResultView>
void batched_team_minimize(const ExecSpace& space, const ProblemObjective& objective,
                           const YView& y, int n, const NewtonTrustRegionOptions& options,
                           const ResultView& results, int team_size = 0);

template <class ExecSpace, class ProblemObjective, class YView, class ResultView>
void batched_serial_minimize(const ExecSpace& space, const ProblemObjective& objective,
                             const YView& y, int n, const NewtonTrustRegionOptions& options,
                             const ResultView& results);

// --------------------------------------------------------------------------- implementation

namespace detail {

// Binds the problem index so the per-problem objective has the team_minimize signature.
template <class ProblemObjective>
struct TeamProblemObjective {
  ProblemObjective objective;
  int problem;
  template <class MemberType, class YView, class GView, class HView>
  KOKKOS_INLINE_FUNCTION bool operator()(const MemberType& member, const YView& y, double& f,
                                         const GView& g, const HView& h) const {
    return objective(member, problem, y, f, g, h);
  }
};

template <class ProblemObjective>
struct SerialProblemObjective {
  ProblemObjective objective;
  int problem;
  template <class YView, class GView, class HView>
  KOKKOS_INLINE_FUNCTION bool operator()(const YView& y, double& f, const GView& g,
                                         const HView& h) const {
    return objective(problem, y, f, g, h);
  }
};

template <class ExecSpace, class ProblemObjective, class YView, class ResultView>
struct BatchedTeamMinimize {
  using member_type = typename Kokkos::TeamPolicy<ExecSpace>::member_type;
  ProblemObjective objective;
  YView y;
  int n;
  NewtonTrustRegionOptions options;
  ResultView results;
  int scratch_level;

  KOKKOS_INLINE_FUNCTION void operator()(const member_type& member) const {
    const int problem = member.league_rank();
    auto ws = team_scratch_workspace(member, n, scratch_level);
    auto y_problem = Kokkos::subview(y, problem, Kokkos::ALL);
    const TeamProblemObjective<ProblemObjective> bound{objective, problem};
    const OptimizerResult result = team_minimize(member, bound, y_problem, n, options, ws);
    Kokkos::single(Kokkos::PerTeam(member), [&]() { results(problem) = result; });
  }
};

template <class ExecSpace, class ProblemObjective, class YView, class ResultView,
          class BufferView>
struct BatchedSerialMinimize {
  ProblemObjective objective;
  YView y;
  int n;
  NewtonTrustRegionOptions options;
  ResultView results;
  BufferView buffer;  // problems × newton_trust_region_workspace_doubles(n)

  KOKKOS_INLINE_FUNCTION void operator()(int problem) const {
    using memory_space = typename BufferView::memory_space;
    const NewtonTrustRegionWorkspace<memory_space> ws(&buffer(problem, 0), n);
    auto y_problem = Kokkos::subview(y, problem, Kokkos::ALL);
    const SerialProblemObjective<ProblemObjective> bound{objective, problem};
    results(problem) = minimize(bound, y_problem, n, options, ws);
  }
};

}  // namespace detail

template <class ExecSpace, class ProblemObjective, class YView, class ResultView>
void batched_team_minimize(const ExecSpace& space, const ProblemObjective& objective,
                           const YView& y, int n, const NewtonTrustRegionOptions& options,
                           const ResultView& results, int team_size) {
  using policy_type = Kokkos::TeamPolicy<ExecSpace>;
  const int problems = int(y.extent(0));
  policy_type policy = team_size > 0 ? policy_type(space, problems, team_size)
                                     : policy_type(space, problems, Kokkos::AUTO);
  const std::size_t bytes =
      newton_trust_region_scratch_bytes<typename ExecSpace::scratch_memory_space>(n);
  // n = 41 needs ~56 KiB: beyond the 48 KiB of GPU shared memory, so level 1 there.
  const int level = bytes <= std::size_t(policy_type::scratch_size_max(0)) ? 0 : 1;
  policy.set_scratch_size(level, Kokkos::PerTeam(bytes));
  Kokkos::parallel_for("Celeste::Optimizer::batched_team_minimize", policy,
                       detail::BatchedTeamMinimize<ExecSpace, ProblemObjective, YView, ResultView>{
                           objective, y, n, options, results, level});
  space.fence();
}

template <class ExecSpace, class ProblemObjective, class YView, class ResultView>
void batched_serial_minimize(const ExecSpace& space, const ProblemObjective& objective,
                             const YView& y, int n, const NewtonTrustRegionOptions& options,
                             const ResultView& results) {
  using buffer_type =
      Kokkos::View<double**, Kokkos::LayoutRight, typename ExecSpace::memory_space>;
  const int problems = int(y.extent(0));
  buffer_type buffer(Kokkos::view_alloc(space, "Celeste::Optimizer::workspace"), problems,
                     newton_trust_region_workspace_doubles(n));
  Kokkos::parallel_for(
      "Celeste::Optimizer::batched_serial_minimize",
      Kokkos::RangePolicy<ExecSpace>(space, 0, problems),
      detail::BatchedSerialMinimize<ExecSpace, ProblemObjective, YView, ResultView, buffer_type>{
          objective, y, n, options, results, buffer});
  space.fence();
}

}  // namespace celeste::optimizer
