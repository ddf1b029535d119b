#pragma once
// `celeste score` without the command line: truth + catalog (+ optional initial catalog)
// -> matched metrics and calibration (report.hpp prints them).
#include <cstddef>
#include <string>
#include <vector>

#include "score/catalog_input.hpp"
#include "score/match.hpp"
#include "score/metrics.hpp"
#include "score/truth_catalog.hpp"

namespace celeste::score {

struct ScoreReport {
  std::string truth_path, catalog_path, initial_path;  // initial_path "" = none
  double match_radius_arcsec = kDefaultMatchRadiusArcsec;
  long truth_rows = 0;
  long truth_excluded_saturated = 0;
  long truth_excluded_known_bad = 0;
  long truth_scored = 0;  // truth objects left after the exclusions
  long catalog_rows = 0;
  long catalog_excluded_bad_sky = 0;
  long initial_rows = 0;
  long initial_excluded = 0;   // photoObj rows not usable / saturated
  std::string initial_format;  // "generic" or "photoobj" ("" = none)
  std::size_t matched = 0;          // truth objects matched in the catalog (and the initial)
  std::size_t unmatched_truth = 0;  // truth_scored - matched
  std::vector<MetricScore> metrics;  // mean[0] = catalog, mean[1] = initial (if given)
  // Calibration of the catalog's posterior sds, on truth matched to the catalog alone.
  std::size_t calibration_matched = 0;
  std::vector<CalibrationScore> calibration;

  bool has_initial() const { return !initial_path.empty(); }
};

// Throws InputError when no truth object matches (the message names both files).
ScoreReport score_catalogs(const TruthForScoring& truth, const CatalogForScoring& catalog,
                           const CatalogForScoring* initial, double match_radius_arcsec,
                           const std::string& truth_path, const std::string& catalog_path,
                           const std::string& initial_path);

// Reads the files and scores them (the whole of `celeste score` but the printing).
ScoreReport score_files(const std::string& truth_path, const std::string& catalog_path,
                        const std::string& initial_path,
                        double match_radius_arcsec = kDefaultMatchRadiusArcsec);

}  // namespace celeste::score
