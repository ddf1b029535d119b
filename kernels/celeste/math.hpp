#pragma once
// Portable math for kernels: Kokkos 3.4 keeps its math functions in Kokkos::Experimental,
// Kokkos >= 4 in Kokkos (build-stack.md "API drift"). Kernels call kmath::exp etc.
#include <Kokkos_Core.hpp>
#include <cmath>

namespace celeste {
#if KOKKOS_VERSION >= 40000
namespace kmath = ::Kokkos;
#else
namespace kmath = ::Kokkos::Experimental;
#endif

// nextafter is absent from Kokkos 3.4's math; <cmath>'s is usable on host and CUDA device.
KOKKOS_INLINE_FUNCTION double next_up(double x) { return ::nextafter(x, HUGE_VAL); }
KOKKOS_INLINE_FUNCTION double next_down(double x) { return ::nextafter(x, -HUGE_VAL); }

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kLog2Pi = 1.8378770664093454836;

}  // namespace celeste
