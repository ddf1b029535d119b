#include "runtime/cuda_device.hpp"

#include <Kokkos_Core.hpp>

#include "runtime/backend.hpp"
#include "util/error.hpp"

namespace celeste::runtime {

std::string cuda_device_problem() {
#if defined(KOKKOS_ENABLE_CUDA)
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess)
    return std::string("no CUDA device: cudaGetDeviceCount: ") + cudaGetErrorString(e);
  if (count == 0) return "no CUDA device: cudaGetDeviceCount found 0 devices";
#endif
  return "";
}

void require_cuda_device() {
  const std::string problem = cuda_device_problem();
  if (problem.empty()) return;
  throw Error(problem + "; this build (backends: " + enabled_backend_names() +
              ") starts Kokkos' CUDA backend and cannot run on a machine without an NVIDIA "
              "GPU (build with CELESTE_BACKEND=openmp to run here)");
}

}  // namespace celeste::runtime
