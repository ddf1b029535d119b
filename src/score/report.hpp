#pragma once
// Printing a ScoreReport: a human table, or one JSON object (keys: docs/score.md).
#include <string>

#include "score/scorer.hpp"

namespace celeste::score {

std::string format_score_table(const ScoreReport& report);
std::string format_score_json(const ScoreReport& report);

}  // namespace celeste::score
