#pragma once
// The files of `celeste generate`: a synthetic survey (model/generator.hpp) written as the
// demo's inputs and ground truth, and the optional truth catalog read back in.
#include <optional>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "model/generator.hpp"

namespace celeste::app {

// cfg.truth_catalog read as a generic catalog, or nullopt when the config names none.
std::optional<survey::Catalog> read_given_truth(const config::GenerateConfig& cfg);

// Files in cfg.output_directory: survey-{band}.fits (epochs as image/invvar HDU pairs),
// truth.fits (Stripe 82 coadd format, for `celeste score`), truth-catalog.fits and
// init-catalog.fits (generic catalog format, for `celeste run`). Returns the paths written.
std::vector<std::string> write_survey(const model::SyntheticSurvey& survey,
                                      const config::GenerateConfig& cfg);

}  // namespace celeste::app
