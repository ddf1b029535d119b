#pragma once
// The shape of the teams the ELBO and fit kernels launch: team threads per source × vector
// lanes per thread. Every (thread, lane) pair is one "worker" of the ELBO's pixel loop with its
// own partial sums (elbo_kernel.hpp), so results are deterministic for a given shape and, at
// 1 × 1, bitwise those of a plain loop over the pixels.
//
// Defaults per backend (execution.team_size / execution.vector_length = 0), docs/decisions.md
// "Team-parallel kernels (issue 13)":
//   host spaces (Serial, OpenMP): 1 × 1: one source per thread; the sources of a Cyclades
//     round keep every core busy, and a team of 1 pays no barrier.
//   device spaces (CUDA): 64 × 1: two warps per source over its pixels; lanes are workers like
//     threads here (each owns a 3.5 KB accumulator), so the product is what counts, capped at
//     what the kernel's registers allow (TeamPolicy::team_size_max).
#include <Kokkos_Core.hpp>

namespace celeste::model {

struct TeamShape {
  int team_size = 0;      // 0: the backend's default
  int vector_length = 0;  // 0: the backend's default
  KOKKOS_INLINE_FUNCTION constexpr int workers() const { return team_size * vector_length; }
};

template <class ExecSpace>
constexpr TeamShape default_team_shape() {
  constexpr bool host =
      Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename ExecSpace::memory_space>::accessible;
  return host ? TeamShape{1, 1} : TeamShape{64, 1};
}

// `requested` with its zeros replaced by ExecSpace's defaults.
template <class ExecSpace>
constexpr TeamShape resolve_team_shape(TeamShape requested) {
  const TeamShape d = default_team_shape<ExecSpace>();
  return TeamShape{requested.team_size > 0 ? requested.team_size : d.team_size,
                   requested.vector_length > 0 ? requested.vector_length : d.vector_length};
}

}  // namespace celeste::model
