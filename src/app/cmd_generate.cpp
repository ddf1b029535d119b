// `celeste generate CONFIG.yaml`: draw a synthetic survey from the model and write it.
#include <cstdio>

#include "app/cli.hpp"
#include "app/survey_files.hpp"
#include "config/options.hpp"
#include "model/generator.hpp"
#include "util/error.hpp"

namespace celeste::app {

int cmd_generate(CommandArgs& a) {
  if (a.args.size() != 1 || a.args[0].rfind("--", 0) == 0)
    throw ConfigError("generate: expected exactly one argument, CONFIG.yaml");
  const auto cfg = config::load_generate_config(a.args[0]);
  const auto survey = model::generate_survey(cfg, read_given_truth(cfg));
  const auto files = write_survey(survey, cfg);
  std::size_t stars = 0;
  for (const auto& e : survey.truth) stars += e.is_star ? 1 : 0;
  std::printf("generated %zu sources (%zu stars, %zu galaxies) in %zu images (%zu bands x %d "
              "epochs, %dx%d px)\n",
              survey.truth.size(), stars, survey.truth.size() - stars, survey.images.size(),
              cfg.bands.size(), cfg.epochs, cfg.width, cfg.height);
  for (const auto& f : files) std::printf("  wrote %s\n", f.c_str());
  return kExitOk;
}

}  // namespace celeste::app
