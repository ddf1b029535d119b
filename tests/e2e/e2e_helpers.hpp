#pragma once
// Helpers of the end-to-end tests: run the `celeste` executable (path in $CELESTE_EXE, set by
// ctest) and read what it wrote.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace celeste::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run_celeste(const std::string& args) {
  const char* exe = std::getenv("CELESTE_EXE");
  CommandResult r;
  if (!exe) {
    ADD_FAILURE() << "CELESTE_EXE is not set (ctest sets it)";
    return r;
  }
  const std::string cmd = std::string(exe) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe)) r.output += buf;
  const int status = pipe ? pclose(pipe) : -1;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// The number after "key": in a flat JSON text (first occurrence).
inline double json_number(const std::string& json, const std::string& key) {
  const auto pos = json.find("\"" + key + "\":");
  if (pos == std::string::npos) {
    ADD_FAILURE() << "key " << key << " missing from report";
    return 0;
  }
  return std::strtod(json.c_str() + pos + key.size() + 3, nullptr);
}

}  // namespace celeste::testing
