#include "harness/shared_data.hpp"

#include <cstdlib>
#include <unistd.h>

#include <filesystem>

namespace celeste::testing {

namespace fs = std::filesystem;

std::string shared_data_dir() {
  if (const char* env = std::getenv("CELESTE_SHARED_DATA"); env && *env) return env;
  return (fs::path(CELESTE_SOURCE_DIR).parent_path() / "shared" / "data").lexically_normal();
}

std::string shared_data_path(const std::string& relative) {
  const fs::path p = fs::path(shared_data_dir()) / relative;
  std::error_code ec;
  return fs::exists(p, ec) ? p.string() : std::string();
}

std::string scratch_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("celeste-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

}  // namespace celeste::testing
