#pragma once
// Process-wide runtime: MPI (when built with it) and Kokkos, initialized once and finalized in
// reverse order. Hides the Kokkos 3.4 -> 4.x initialization API drift.
#include <string>
#include <vector>

#include "runtime/thread_layout.hpp"

namespace celeste::runtime {

struct RuntimeOptions {
  int threads = 0;        // 0 = Kokkos default (OMP_NUM_THREADS, or every core)
  bool use_mpi = true;    // initialize MPI (singleton when not started by mpiexec)
  // Where `threads` came from, for the error when it is out of range.
  std::string threads_source = "--threads or execution.threads";
  int threads_per_core = 1;  // execution.threads_per_core (runtime/thread_layout.hpp)
};

// The number of host threads Kokkos will start for `options` and argv (its own
// --kokkos-threads / --kokkos-num-threads flags, then options.threads, then OMP_NUM_THREADS;
// 0 = the OpenMP default), checked against kMaxHostThreads (util/limits.hpp): a ConfigError
// naming where the count came from and the limit, instead of a crash inside Kokkos. With
// nothing set on a machine with more cores than the limit, the limit is used.
int checked_thread_count(int argc, char** argv, const RuntimeOptions& options);

class Runtime {
 public:
  // Passes Kokkos its own command-line flags (--kokkos-threads=N, --kokkos-tools-library=...)
  // from argv. Sets the thread layout first (thread_layout.hpp), and sends whatever Kokkos
  // prints while it starts and stops to stderr: stdout is the subcommands' (info --json).
  Runtime(int& argc, char** argv, const RuntimeOptions& options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  int mpi_rank() const { return mpi_rank_; }
  int mpi_size() const { return mpi_size_; }
  const ThreadLayout& layout() const { return thread_layout(); }

 private:
  bool owns_mpi_ = false;
  int mpi_rank_ = 0;
  int mpi_size_ = 1;
};

// Ends every process of the job with `code` (MPI_Abort on MPI_COMM_WORLD; std::exit without
// MPI). For an error met during a distributed run, so no rank waits forever in a collective.
[[noreturn]] void abort_job(int code);

// Facts about this build and the running process, for `celeste info` and run reports.
struct BuildInfo {
  std::string celeste_version;
  std::string kokkos_version;
  std::string kokkos_kernels_version;
  std::vector<std::string> enabled_backends;  // Kokkos execution spaces compiled in
  std::string default_backend;                // the one drivers use by default
  // Kokkos memory spaces compiled in ("HostSpace", "CudaSpace", ...), and "memkind:hbw" (the
  // execution.memory: hbw placement, runtime/memory_placement.hpp).
  std::vector<std::string> memory_spaces;
  std::string mpi_library;                    // "" when built without MPI
};
BuildInfo build_info();

// Concurrency (threads, or CUDA lanes) of the named backend; requires Kokkos initialized.
int backend_concurrency(const std::string& backend);

}  // namespace celeste::runtime
