// `celeste score`: a catalog (and optionally the initial catalog) against a Stripe 82 coadd
// format truth catalog: Celeste.jl's accuracy metrics and posterior calibration (issue 5).
// The scoring itself is in src/score/; definitions and JSON keys in docs/score.md.
#include <cstdio>
#include <string>
#include <utility>

#include "app/cli.hpp"
#include "io/atomic_file.hpp"
#include "score/report.hpp"
#include "score/scorer.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

namespace celeste::app {

int cmd_score(CommandArgs& ca) {
  std::string truth_path, catalog_path, initial_path, out_path;
  bool json = false;
  const char* usage =
      " (usage: celeste score --truth TRUTH.fits --catalog OUT.fits [--initial INIT.fits] "
      "[--json] [--out FILE])";
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
      if (out_path.empty()) throw UsageError("--out needs a file name", {"", 0, 0, "--out", ""});
    } else if (ca.args[i] == "--json") {
      json = true;
    } else {
      throw UsageError("unknown argument '" + ca.args[i] + "'" + usage,
                       {"", 0, 0, ca.args[i], ""});
    }
  }
  if (truth_path.empty()) throw UsageError("--truth TRUTH.fits is required", {"", 0, 0, "--truth", ""});
  if (catalog_path.empty())
    throw UsageError("--catalog OUT.fits is required", {"", 0, 0, "--catalog", ""});
  if (!initial_path.empty() && same_file(initial_path, truth_path))
    throw UsageError("--initial and --truth name the same file " + truth_path,
                     {truth_path, 0, 0, "--initial", initial_path});
  // The report must never replace one of the inputs (it would destroy the catalog).
  if (!out_path.empty()) {
    const std::pair<const char*, const std::string*> inputs[] = {
        {"--catalog", &catalog_path}, {"--truth", &truth_path}, {"--initial", &initial_path}};
    for (const auto& [option, path] : inputs)
      if (!path->empty() && same_file(out_path, *path))
        throw UsageError("--out " + out_path + " is the " + option + " file " + *path +
                             "; writing the report there would overwrite that input (choose "
                             "another --out)",
                         {*path, 0, 0, "--out", out_path});
  }

  const score::ScoreReport report = score::score_files(truth_path, catalog_path, initial_path);
  const std::string text =
      json ? score::format_score_json(report) : score::format_score_table(report);
  if (out_path.empty()) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  io::AtomicOutput out(out_path);
  io::write_file(out.temp_path(), text, out_path);
  out.commit();
  return kExitOk;
}

}  // namespace celeste::app
