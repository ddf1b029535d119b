#pragma once
// Whether a CUDA build can start on this machine. Kokkos 3.4 initializes every compiled-in
// backend, so a build with Kokkos_ENABLE_CUDA cannot start Kokkos at all (not even Serial)
// without a usable GPU; this names the reason before Kokkos fails with its own message.
#include <string>

namespace celeste::runtime {

// "" when this build has no CUDA backend or sees at least one CUDA device; otherwise why not
// ("no CUDA device: cudaGetDeviceCount: <the CUDA runtime's reason>").
std::string cuda_device_problem();

// Throws celeste::Error (exit 1: a runtime failure) when cuda_device_problem() is not "".
void require_cuda_device();

}  // namespace celeste::runtime
