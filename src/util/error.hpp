#pragma once
// Error types thrown by host-side driver code. Kernels never throw: they report by status code.
#include <stdexcept>
#include <string>

namespace celeste {

// Process exit codes shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // runtime failure (I/O, numerical, MPI)
  kExitUsage = 2,        // bad command line or bad configuration
};

// A configuration problem: names the file, line, key and what was expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad input file (missing, corrupt, inconsistent): the message names the file.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace celeste
