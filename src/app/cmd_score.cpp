// `celeste score`: catalog vs truth accuracy metrics (issue 5). Not implemented yet.
#include <cstdio>

#include "app/cli.hpp"
#include "util/error.hpp"

namespace celeste::app {

int cmd_score(CommandArgs&) {
  std::fprintf(stderr, "celeste score: not available in this build yet (the end-to-end issue 5); "
                       "no output written\n");
  return kExitUnavailable;
}

}  // namespace celeste::app
