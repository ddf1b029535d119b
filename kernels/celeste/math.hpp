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

// True for finite x (x − x is 0 for finite x, NaN for NaN and ±Inf): Kokkos 3.4 has no device
// isfinite. The one finiteness test of the kernels (the build never enables -ffast-math).
KOKKOS_INLINE_FUNCTION bool is_finite(double x) { return x - x == 0.0; }

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kLog2Pi = 1.8378770664093454836;
inline constexpr double kRadPerDeg = kPi / 180.0;
inline constexpr double kDegPerRad = 180.0 / kPi;

}  // namespace celeste
