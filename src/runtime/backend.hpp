#pragma once
// The one place that maps a backend name ("serial", "openmp", "cuda") to a Kokkos execution
// space type. Drivers call with_backend(name, f) and f receives a default-constructed
// execution space instance, so kernels are instantiated per space at compile time.
#include <Kokkos_Core.hpp>
#include <string>

#include "util/error.hpp"
#include "celeste/version.hpp"

namespace celeste::runtime {

// Backend names compiled into this build, space-separated (for messages).
inline std::string enabled_backend_names() {
  std::string s;
#if defined(KOKKOS_ENABLE_SERIAL)
  s += "serial ";
#endif
#if defined(KOKKOS_ENABLE_OPENMP)
  s += "openmp ";
#endif
#if defined(KOKKOS_ENABLE_CUDA)
  s += "cuda ";
#endif
  if (!s.empty()) s.pop_back();
  return s;
}

inline std::string resolve_backend(const std::string& requested) {
  return requested.empty() ? std::string(CELESTE_DEFAULT_BACKEND_NAME) : requested;
}

template <class F>
decltype(auto) with_backend(const std::string& requested, F&& f) {
  const std::string name = resolve_backend(requested);
#if defined(KOKKOS_ENABLE_SERIAL)
  if (name == "serial") return f(Kokkos::Serial{});
#endif
#if defined(KOKKOS_ENABLE_OPENMP)
  if (name == "openmp") return f(Kokkos::OpenMP{});
#endif
#if defined(KOKKOS_ENABLE_CUDA)
  if (name == "cuda") return f(Kokkos::Cuda{});
#endif
  throw ConfigError("backend '" + name + "' is not enabled in this build (enabled: " +
                    enabled_backend_names() + "); rebuild Kokkos and Celeste-K with it");
}

}  // namespace celeste::runtime
