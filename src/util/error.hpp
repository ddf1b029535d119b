#pragma once
// Error types thrown by host-side driver code. Kernels never throw: they report by status code.
//
// One type per kind of problem, each mapped to one exit code by app/cli.cpp:
//   UsageError  (a ConfigError) bad command line: unknown flag, bad number, missing argument  -> 2
//   ConfigError bad configuration file or option value: names file, line, key, allowed values -> 2
//   InputError  bad input file (missing, corrupt, truncated, inconsistent, implausible value) -> 1
// Every error carries, besides its message, where the problem is (ErrorSite): the file, the
// HDU (FITS, 1-based as CFITSIO) or line (YAML, 1-based), the keyword / column / YAML key and
// the offending value, so tests and callers need not parse the message. The message always
// repeats them in words ("<file>: HDU 3: column XINTERP element 17: value nan: ...").
#include <stdexcept>
#include <string>
#include <utility>

namespace celeste {

// Process exit codes shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // runtime failure (I/O, numerical, MPI)
  kExitUsage = 2,        // bad command line or bad configuration
};

// Where an error is; empty / 0 fields are unknown or do not apply.
struct ErrorSite {
  std::string file;   // the input or configuration file
  int hdu = 0;        // FITS HDU, 1-based (CFITSIO numbering)
  int line = 0;       // YAML line, 1-based
  std::string item;   // FITS keyword or column, YAML key path, command-line option
  std::string value;  // the offending value as text
};

// Base of every celeste error: the message plus its site.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorSite site = {})
      : std::runtime_error(message), site_(std::move(site)) {}
  const ErrorSite& site() const { return site_; }

 private:
  ErrorSite site_;
};

// A configuration problem: names the file, line, key and what was expected.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A command-line problem (unknown option, bad number, missing or conflicting arguments).
class UsageError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// A bad input file (missing, corrupt, inconsistent): the message names the file.
class InputError : public Error {
 public:
  using Error::Error;
};

}  // namespace celeste
