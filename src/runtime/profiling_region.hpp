#pragma once
// A Kokkos Tools region for the lifetime of a scope: the pipeline's phases (loading, planning,
// each stage, output) show up in space-time-stack, kernel timer and other tools loaded with
// --kokkos-tools-library=... (docs/run.md "Kokkos options and tools").
#include <Kokkos_Core.hpp>

#include <string>

namespace celeste::runtime {

class ProfilingRegion {
 public:
  explicit ProfilingRegion(const std::string& name) { Kokkos::Profiling::pushRegion(name); }
  ~ProfilingRegion() { Kokkos::Profiling::popRegion(); }
  ProfilingRegion(const ProfilingRegion&) = delete;
  ProfilingRegion& operator=(const ProfilingRegion&) = delete;
};

}  // namespace celeste::runtime
