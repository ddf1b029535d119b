#pragma once
// The machine as hwloc sees it (NUMA nodes and their memory, which are high-bandwidth, cores
// and hardware threads) and the host-thread layout Celeste-K sets when Kokkos starts:
// OpenMP threads spread over the cores this process may use, one per core unless
// execution.threads_per_core asks for hardware threads (docs/run.md "Running on KNL / HBM
// nodes"). What the user sets (OMP_PROC_BIND, OMP_PLACES, OMP_NUM_THREADS, --threads) wins.
#include <cstdint>
#include <string>
#include <vector>

namespace celeste::runtime {

struct NumaNodeInfo {
  unsigned os_index = 0;
  std::uint64_t memory_bytes = 0;  // hwloc's local memory of the node
  std::string subtype;             // hwloc's subtype ("MCDRAM", "HBM", ...; often empty)
  bool high_bandwidth = false;     // memkind puts MEMKIND_HBW_PREFERRED pages there
  int cores = 0;                   // cores whose nearest memory this node is
};

struct MachineTopology {
  std::vector<NumaNodeInfo> numa_nodes;
  int cores = 0, hardware_threads = 0;                  // whole machine
  int allowed_cores = 0, allowed_hardware_threads = 0;  // in this process's CPU binding
  int hardware_threads_per_core = 1;                    // the most on any allowed core
  std::string allowed_cpus;                             // PU list ("0-67")
};
MachineTopology machine_topology();

struct ThreadLayout {
  int threads = 0;           // Kokkos host threads
  int threads_per_core = 1;  // execution.threads_per_core
  std::string threads_source;  // "default (one per core)", "--threads", "OMP_NUM_THREADS", ...
  std::string proc_bind;       // OMP_PROC_BIND in force
  std::string places;          // OMP_PLACES in force ("" = the OpenMP default)
  std::string binding_source;  // "celeste default" | "environment" | "not bound: ..."
  // Per host thread, the hardware threads (PU list) it is bound to, read back after Kokkos
  // started; empty in a build without OpenMP.
  std::vector<std::string> thread_cpus;
  // How many distinct cores the threads are bound to (0: unknown).
  int cores_used = 0;
};

// Chooses the layout and sets OMP_PROC_BIND / OMP_PLACES where the user did not; must run
// before Kokkos initializes. `threads`: the count from the command line, config or
// OMP_NUM_THREADS (0: none, then allowed cores x threads_per_core); `threads_source` names
// it. `ranks_on_node`: MPI ranks sharing this node (binding is left off when they share an
// unbound CPU set: spread threads of each would pile onto the same cores).
// threads_per_core beyond the hardware's is a ConfigError naming both.
ThreadLayout plan_thread_layout(int threads, const std::string& threads_source,
                                int threads_per_core, int ranks_on_node);

// After Kokkos started its OpenMP threads: binds them as the layout says when it is our
// default (libgomp reads OMP_PROC_BIND at program load, before plan_thread_layout could set
// it), then fills thread_cpus / cores_used from what the threads are bound to.
void bind_and_read_threads(ThreadLayout& layout);

// The layout of this process's runtime (set by runtime::Runtime; default-constructed before).
const ThreadLayout& thread_layout();
void set_thread_layout(const ThreadLayout& layout);

// Peak resident memory of this process so far (getrusage), bytes.
std::uint64_t peak_resident_bytes();

}  // namespace celeste::runtime
