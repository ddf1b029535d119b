#pragma once
// Hard limits shared by the layers that check them (config, command line, runtime).

namespace celeste {

// Host threads: Kokkos 3.4's OpenMP backend keeps its per-thread data in a fixed array of
// OpenMPExec::MAX_THREAD_COUNT = 512 entries (Kokkos_OpenMP_Exec.hpp) and writes past it for
// more threads (a segmentation fault at 600). runtime.cpp checks this value against Kokkos'
// own constant at compile time.
inline constexpr int kMaxHostThreads = 512;

}  // namespace celeste
