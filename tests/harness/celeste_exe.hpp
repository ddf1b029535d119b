#pragma once
// Running the `celeste` executable from tests (its path is in $CELESTE_EXE, set by ctest) and
// reading what it wrote.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace celeste::testing {

struct CommandResult {
  int status = -1;      // exit code (-1: did not exit normally)
  std::string output;   // stdout and stderr together
};

// Shell text that unsets the Open MPI variables of this process. The test process is an MPI
// singleton (the test main initializes MPI); a child that inherits them takes them for its own
// job's (an mpiexec starts a broken job; a celeste child's LeakSanitizer tracer crashes).
inline const char* scrub_mpi_environment() {
  return "for v in $(env | sed -n 's/^\\(OMPI_[A-Za-z0-9_]*\\|PMIX_[A-Za-z0-9_]*\\|"
         "OPAL_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset $v; done; ";
}

inline CommandResult run_celeste(const std::string& args) {
  const char* exe = std::getenv("CELESTE_EXE");
  EXPECT_NE(exe, nullptr) << "CELESTE_EXE is set by ctest";
  CommandResult r;
  const std::string cmd = std::string(scrub_mpi_environment()) + std::string(exe ? exe : "celeste") +
                          " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) r.output += buf.data();
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
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

// The number after "key": in a JSON text (first occurrence).
inline double json_number(const std::string& json, const std::string& key) {
  const auto pos = json.find("\"" + key + "\":");
  if (pos == std::string::npos) {
    ADD_FAILURE() << "key " << key << " missing";
    return 0;
  }
  return std::strtod(json.c_str() + pos + key.size() + 3, nullptr);
}

}  // namespace celeste::testing
