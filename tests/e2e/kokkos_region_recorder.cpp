// A minimal Kokkos Tools library for tests: appends "push NAME" / "pop" for every profiling
// region to the file named by $CELESTE_REGION_LOG. Loaded with --kokkos-tools-library=PATH.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {
void append(const char* what, const char* name) {
  const char* path = std::getenv("CELESTE_REGION_LOG");
  if (!path) return;
  if (std::FILE* f = std::fopen(path, "a")) {
    std::fprintf(f, "%s%s%s\n", what, name ? " " : "", name ? name : "");
    std::fclose(f);
  }
}
}  // namespace

extern "C" void kokkosp_init_library(const int, const std::uint64_t, const std::uint32_t, void*) {
  append("init", nullptr);
}
extern "C" void kokkosp_finalize_library() { append("finalize", nullptr); }
extern "C" void kokkosp_push_profile_region(const char* name) { append("push", name); }
extern "C" void kokkosp_pop_profile_region() { append("pop", nullptr); }
