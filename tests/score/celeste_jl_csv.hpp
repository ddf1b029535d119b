#pragma once
// Test support: Celeste.jl's result CSVs (experiments/mcmc_scripts/s82-results) as written by
// Julia's CSV.jl: a header line, comma-separated cells, "" for `missing`, NaN, true/false.
// Converted to ScoringSource in our conventions (colors and their sds from Celeste.jl's
// natural-log ratios to magnitudes).
#include <map>
#include <string>
#include <vector>

#include "score/scoring_source.hpp"

namespace celeste::score::testing {

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  bool has(const std::string& column) const;
  // Numbers; "" (missing) and NaN -> NaN; true/false -> 1/0. Fails the test on other text.
  std::vector<double> numbers(const std::string& column) const;
  std::vector<std::string> text(const std::string& column) const;
};

CsvTable read_csv(const std::string& path);

// A matched_{truth,vb,mc,photo}.csv file as scoring sources (sds only where the file has
// *_stderr columns).
ScoringCatalog celeste_jl_catalog(const CsvTable& table);

}  // namespace celeste::score::testing
