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

// Runs shell command `cmd` (stderr joined to stdout): its output and exit status.
inline CommandResult run_shell(const std::string& cmd) {
  CommandResult r;
  FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) r.output += buf.data();
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

// `celeste ARGS` ($CELESTE_EXE), without the test process's MPI variables; `prefix` is shell
// text before the command (environment assignments, ulimit).
inline CommandResult run_celeste(const std::string& args, const std::string& prefix = "") {
  const char* exe = std::getenv("CELESTE_EXE");
  EXPECT_NE(exe, nullptr) << "CELESTE_EXE is set by ctest";
  return run_shell(std::string(scrub_mpi_environment()) + prefix + " " +
                   std::string(exe ? exe : "celeste") + " " + args);
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

// The string after "key": in a JSON text (first occurrence), "" when absent.
inline std::string json_string(const std::string& json, const std::string& key) {
  const auto p = json.find("\"" + key + "\": \"");
  if (p == std::string::npos) return "";
  const auto b = p + key.size() + 5;
  return json.substr(b, json.find('"', b) - b);
}

}  // namespace celeste::testing
