#pragma once
// `celeste` subcommand dispatch. Each subcommand lives in its own app/cmd_*.cpp and registers
// a Command entry in app/cli.cpp.
#include <string>
#include <vector>

namespace celeste::app {

// Arguments after the subcommand name, plus argc/argv for the runtime (Kokkos/MPI flags).
// Kokkos' own flags (--kokkos-*) are not in `args`: every subcommand passes them to Kokkos
// (runtime::Runtime reads them from argv).
struct CommandArgs {
  std::vector<std::string> args;
  int argc = 0;
  char** argv = nullptr;
};

struct Command {
  const char* name;
  const char* summary;  // one line, for `celeste --help`
  const char* help;     // full text, for `celeste NAME --help`
  int (*run)(CommandArgs&);
  // The subcommand starts runtime::Runtime itself (with its thread and MPI settings); for the
  // others main() starts Kokkos, without MPI, before running them.
  bool starts_runtime = false;
};

const std::vector<Command>& commands();
int main(int argc, char** argv);

// Inside a catch block: prints the exception in flight as "celeste COMMAND: <kind> error:
// ..." and returns its exit code (usage and configuration 2, input and others 1).
int report_current_exception(const char* command);

// Shared option parsing for subcommands: returns true and fills `value` for `--name VALUE`
// or `--name=VALUE` at args[i] (advancing i past a separate value).
bool take_option(const std::vector<std::string>& args, std::size_t& i, const std::string& name,
                 std::string& value);
// `--name VALUE` as an int through the one checked conversion (util/checked_int.hpp): 0..INT_MAX,
// or the option's own documented range (--threads: 0..512); UsageError naming the option, the
// range and the value otherwise.
int parse_int_option(const std::string& name, const std::string& value);
int parse_int_option(const std::string& name, const std::string& value, long long lo,
                     long long hi, const std::string& why);
// `--name VALUE` as a finite decimal number in [lo, hi] (the whole text: "5", "2.5e-3");
// UsageError naming the option, the range and the value otherwise.
double parse_number_option(const std::string& name, const std::string& value, double lo,
                           double hi);

// Subcommands (defined in app/cmd_*.cpp).
int cmd_info(CommandArgs&);
int cmd_run(CommandArgs&);
int cmd_generate(CommandArgs&);
int cmd_score(CommandArgs&);
int cmd_bench(CommandArgs&);
int cmd_psf(CommandArgs&);
int cmd_schedule_sim(CommandArgs&);

}  // namespace celeste::app
