// Subcommands whose implementing issue has not landed yet. They validate what they can
// (the configuration) and then say plainly that the pipeline is not there: no fake output.
#include <cstdio>

#include "app/cli.hpp"
#include "config/options.hpp"
#include "util/error.hpp"

namespace celeste::app {
namespace {

int unavailable(const char* what, const char* issue) {
  std::fprintf(stderr, "celeste %s: not available in this build yet (%s); no output written\n",
               what, issue);
  return kExitUnavailable;
}

const std::string& single_config_argument(const CommandArgs& a, const char* command) {
  if (a.args.size() != 1 || a.args[0].rfind("--", 0) == 0)
    throw ConfigError(std::string(command) + ": expected exactly one argument, CONFIG.yaml");
  return a.args[0];
}

}  // namespace

int cmd_run(CommandArgs& a) {
  const auto cfg = config::load_run_config(single_config_argument(a, "run"));
  std::printf("configuration %s is valid: %zu image source(s), output to %s\n", cfg.file.c_str(),
              cfg.images.size(), cfg.output.directory.c_str());
  return unavailable("run", "the end-to-end region pipeline, issue 5");
}

}  // namespace celeste::app
