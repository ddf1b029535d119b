#pragma once
// Hard limits shared by the layers that check them (config, command line, runtime).

namespace celeste {

// Host threads: Kokkos 3.4's OpenMP backend keeps its per-thread data in a fixed array of
// OpenMPExec::MAX_THREAD_COUNT = 512 entries (Kokkos_OpenMP_Exec.hpp) and writes past it for
// more threads (a segmentation fault at 600). runtime.cpp checks this value against Kokkos'
// own constant at compile time.
inline constexpr int kMaxHostThreads = 512;

// Team shape (execution.team_size, execution.vector_length): CUDA's 1024 threads per block and
// its 32-lane warps bound every backend's launch; the backend checks the rest at the fit
// (model::fit_team_size_max).
inline constexpr int kMaxTeamSize = 1024;
inline constexpr int kMaxVectorLength = 32;

}  // namespace celeste
