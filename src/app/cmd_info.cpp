// `celeste info`: what this build is and what it runs on.
#include <cstdio>
#include <sstream>
#include <string>

#include "app/cli.hpp"
#include "runtime/backend.hpp"
#include "runtime/memory_placement.hpp"
#include "runtime/cuda_device.hpp"
#include "runtime/runtime.hpp"
#include "runtime/thread_layout.hpp"
#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::app {
namespace {

std::string json_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + json_quoted(items[i]);
  return s + "]";
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : " ") + x;
  return s;
}

double gib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

}  // namespace

namespace {

// A CUDA build on a machine without a GPU cannot start Kokkos (runtime/cuda_device.hpp): what
// the build is and why it cannot run here, without starting it.
int info_without_gpu(bool json, const std::string& problem) {
  const runtime::BuildInfo info = runtime::build_info();
  std::string backends, list;
  for (const auto& b : info.enabled_backends) {
    backends += (backends.empty() ? "" : " ") + b;
    list += (list.empty() ? "" : ", ") + json_quoted(b);
  }
  if (json)
    std::printf("{\"celeste_version\": %s, \"kokkos_version\": %s, \"enabled_backends\": [%s], "
                "\"gpu\": null, \"gpu_problem\": %s}\n",
                json_quoted(info.celeste_version).c_str(), json_quoted(info.kokkos_version).c_str(),
                list.c_str(), json_quoted(problem).c_str());
  else
    std::printf("Celeste-K %s\nKokkos %s, Kokkos Kernels %s\nenabled backends: %s\n"
                "GPU: none (%s): this CUDA build cannot run on this machine\n",
                info.celeste_version.c_str(), info.kokkos_version.c_str(),
                info.kokkos_kernels_version.c_str(), backends.c_str(), problem.c_str());
  return kExitOk;
}

}  // namespace

int cmd_info(CommandArgs& a) {
  bool json = false;
  std::string backend;
  int threads = 0;
  for (std::size_t i = 0; i < a.args.size(); ++i) {
    std::string value;
    if (a.args[i] == "--json") json = true;
    else if (take_option(a.args, i, "--backend", value)) backend = value;
    else if (take_option(a.args, i, "--threads", value)) threads = parse_int_option("--threads", value);
    else throw UsageError("info: unknown argument '" + a.args[i] + "'", {"", 0, 0, a.args[i], ""});
  }
  if (const std::string gpu = runtime::cuda_device_problem(); !gpu.empty())
    return info_without_gpu(json, gpu);
  runtime::Runtime rt(a.argc, a.argv, {threads, true, "--threads"});
  const runtime::BuildInfo info = runtime::build_info();
  const std::string space = runtime::resolve_backend(backend);
  const int concurrency = runtime::backend_concurrency(space);
  const runtime::MachineTopology machine = runtime::machine_topology();
  const runtime::ThreadLayout& layout = rt.layout();
  const bool hbw = runtime::hbw_available();
  if (rt.mpi_rank() != 0) return kExitOk;

  if (json) {
    std::ostringstream o;
    o << "{\"celeste_version\": " << json_quoted(info.celeste_version)
      << ", \"kokkos_version\": " << json_quoted(info.kokkos_version)
      << ", \"kokkos_kernels_version\": " << json_quoted(info.kokkos_kernels_version)
      << ", \"enabled_backends\": " << json_list(info.enabled_backends)
      << ", \"execution_space\": " << json_quoted(space) << ", \"concurrency\": " << concurrency
      << ", \"mpi_ranks\": " << rt.mpi_size()
      << ", \"mpi_library\": " << json_quoted(info.mpi_library)
      << ", \"memory_spaces\": " << json_list(info.memory_spaces)
      << ", \"hbw_available\": " << (hbw ? "true" : "false") << ", \"numa_nodes\": [";
    for (std::size_t i = 0; i < machine.numa_nodes.size(); ++i) {
      const auto& n = machine.numa_nodes[i];
      o << (i ? ", " : "") << "{\"os_index\": " << n.os_index
        << ", \"memory_bytes\": " << n.memory_bytes << ", \"subtype\": " << json_quoted(n.subtype)
        << ", \"high_bandwidth\": " << (n.high_bandwidth ? "true" : "false")
        << ", \"cores\": " << n.cores << "}";
    }
    o << "], \"cores\": " << machine.cores << ", \"hardware_threads\": " << machine.hardware_threads
      << ", \"allowed_cores\": " << machine.allowed_cores
      << ", \"allowed_hardware_threads\": " << machine.allowed_hardware_threads
      << ", \"allowed_cpus\": " << json_quoted(machine.allowed_cpus)
      << ", \"binding\": {\"threads\": " << layout.threads
      << ", \"threads_source\": " << json_quoted(layout.threads_source)
      << ", \"proc_bind\": " << json_quoted(layout.proc_bind)
      << ", \"places\": " << json_quoted(layout.places)
      << ", \"binding_source\": " << json_quoted(layout.binding_source)
      << ", \"cores_used\": " << layout.cores_used
      << ", \"thread_cpus\": " << json_list(layout.thread_cpus) << "}}\n";
    std::fputs(o.str().c_str(), stdout);
    return kExitOk;
  }
  std::printf("Celeste-K %s\n", info.celeste_version.c_str());
  std::printf("Kokkos %s, Kokkos Kernels %s\n", info.kokkos_version.c_str(),
              info.kokkos_kernels_version.c_str());
  std::printf("enabled backends: %s\n", joined(info.enabled_backends).c_str());
  std::printf("execution space: %s, concurrency %d %s\n", space.c_str(), concurrency,
              space == "cuda" ? "(device threads)" : concurrency == 1 ? "thread" : "threads");
  std::printf("MPI ranks: %d (%s)\n", rt.mpi_size(),
              info.mpi_library.empty() ? "built without MPI" : info.mpi_library.c_str());
  std::printf("memory spaces: %s; high-bandwidth memory (memkind): %s\n",
              joined(info.memory_spaces).c_str(), hbw ? "available" : "none");
  for (const auto& n : machine.numa_nodes)
    std::printf("  NUMA node %u: %.1f GiB%s%s, %d core(s) near\n", n.os_index, gib(n.memory_bytes),
                n.subtype.empty() ? "" : (" " + n.subtype).c_str(),
                n.high_bandwidth ? ", high-bandwidth" : "", n.cores);
  std::printf("cores: %d (%d hardware threads); this process may use %d core(s), %d hardware "
              "thread(s): %s\n",
              machine.cores, machine.hardware_threads, machine.allowed_cores,
              machine.allowed_hardware_threads, machine.allowed_cpus.c_str());
  std::printf("binding: %d host thread(s) (%s), OMP_PROC_BIND=%s OMP_PLACES=%s (%s)\n",
              layout.threads, layout.threads_source.c_str(),
              layout.proc_bind.empty() ? "unset" : layout.proc_bind.c_str(),
              layout.places.empty() ? "unset" : layout.places.c_str(),
              layout.binding_source.c_str());
  for (std::size_t i = 0; i < layout.thread_cpus.size(); ++i)
    std::printf("  thread %zu on hardware thread(s) %s\n", i, layout.thread_cpus[i].c_str());
  return kExitOk;
}

}  // namespace celeste::app
