// `celeste score`: a catalog (and optionally the initial catalog) against a Stripe 82 coadd
// format truth catalog: Celeste.jl's accuracy metrics and posterior calibration (issue 5).
// The scoring itself is in src/score/; definitions and JSON keys in docs/score.md.
#include <cstdio>
#include <fstream>
#include <string>

#include "app/cli.hpp"
#include "score/report.hpp"
#include "score/scorer.hpp"
#include "util/error.hpp"

namespace celeste::app {

int cmd_score(CommandArgs& ca) {
  std::string truth_path, catalog_path, initial_path, out_path;
  bool json = false;
  for (std::size_t i = 0; i < ca.args.size(); ++i) {
    std::string value;
    if (take_option(ca.args, i, "--truth", value)) {
      truth_path = value;
    } else if (take_option(ca.args, i, "--catalog", value)) {
      catalog_path = value;
    } else if (take_option(ca.args, i, "--initial", value)) {
      initial_path = value;
    } else if (take_option(ca.args, i, "--out", value)) {
      out_path = value;
    } else if (ca.args[i] == "--json") {
      json = true;
    } else {
      throw ConfigError("unknown argument '" + ca.args[i] +
                        "' (usage: celeste score --truth TRUTH.fits --catalog OUT.fits "
                        "[--initial INIT.fits] [--json] [--out FILE])");
    }
  }
  if (truth_path.empty()) throw ConfigError("--truth TRUTH.fits is required");
  if (catalog_path.empty()) throw ConfigError("--catalog OUT.fits is required");
  if (!initial_path.empty() && initial_path == truth_path)
    throw ConfigError("--initial and --truth name the same file " + truth_path);

  const score::ScoreReport report = score::score_files(truth_path, catalog_path, initial_path);
  const std::string text =
      json ? score::format_score_json(report) : score::format_score_table(report);
  if (out_path.empty()) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  std::ofstream out(out_path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw InputError(out_path + ": cannot write the score report");
  return kExitOk;
}

}  // namespace celeste::app
