// `celeste info`: what this build is and what it runs on.
#include <cstdio>
#include <string>

#include "app/cli.hpp"
#include "runtime/backend.hpp"
#include "runtime/cuda_device.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::app {

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
  if (rt.mpi_rank() != 0) return kExitOk;

  std::string backends;
  for (const auto& b : info.enabled_backends) backends += (backends.empty() ? "" : " ") + b;
  if (json) {
    std::string list;
    for (const auto& b : info.enabled_backends) list += (list.empty() ? "\"" : ", \"") + b + "\"";
    std::printf(
        "{\"celeste_version\": \"%s\", \"kokkos_version\": \"%s\", "
        "\"kokkos_kernels_version\": \"%s\", \"enabled_backends\": [%s], "
        "\"execution_space\": \"%s\", \"concurrency\": %d, \"mpi_ranks\": %d, "
        "\"mpi_library\": \"%s\"}\n",
        info.celeste_version.c_str(), info.kokkos_version.c_str(),
        info.kokkos_kernels_version.c_str(), list.c_str(), space.c_str(), concurrency,
        rt.mpi_size(), info.mpi_library.c_str());
  } else {
    std::printf("Celeste-K %s\n", info.celeste_version.c_str());
    std::printf("Kokkos %s, Kokkos Kernels %s\n", info.kokkos_version.c_str(),
                info.kokkos_kernels_version.c_str());
    std::printf("enabled backends: %s\n", backends.c_str());
    std::printf("execution space: %s, concurrency %d %s\n", space.c_str(), concurrency,
                space == "cuda" ? "(device threads)" : concurrency == 1 ? "thread" : "threads");
    std::printf("MPI ranks: %d (%s)\n", rt.mpi_size(),
                info.mpi_library.empty() ? "built without MPI" : info.mpi_library.c_str());
  }
  return kExitOk;
}

}  // namespace celeste::app
