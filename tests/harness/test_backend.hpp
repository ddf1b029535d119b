#pragma once
// Backend category for tests compiled once per Kokkos backend (celeste_add_test ... BACKENDS):
// TestExecSpace / TestMemSpace are the backend this executable was stamped for.
#include <Kokkos_Core.hpp>

namespace celeste::testing {

#if defined(CELESTE_TEST_BACKEND_SERIAL)
using TestExecSpace = Kokkos::Serial;
inline constexpr const char* kTestBackendName = "serial";
#elif defined(CELESTE_TEST_BACKEND_OPENMP)
using TestExecSpace = Kokkos::OpenMP;
inline constexpr const char* kTestBackendName = "openmp";
#elif defined(CELESTE_TEST_BACKEND_CUDA)
using TestExecSpace = Kokkos::Cuda;
inline constexpr const char* kTestBackendName = "cuda";
#else
#error "compile backend tests through celeste_add_test(... BACKENDS)"
#endif
using TestMemSpace = typename TestExecSpace::memory_space;

}  // namespace celeste::testing
