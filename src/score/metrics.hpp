#pragma once
// The Stripe 82 accuracy metrics and uncertainty calibration of Celeste.jl's
// AccuracyBenchmark (get_error_df, is_good_row, get_scores_df, get_uncertainty_df,
// score_uncertainty), on matched (truth, prediction) pairs. Formulas: docs/score.md.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "score/scoring_source.hpp"

namespace celeste::score {

// Per-source error columns, in Celeste.jl's order (also the order of its scoredf.csv).
enum Metric : int {
  kMissedStars = 0,   // truth star: 1 if predicted galaxy (P(star) < 0.5), else 0
  kMissedGalaxies,    // truth galaxy: 1 if predicted star, else 0
  kPosition,          // great-circle distance in SDSS pixels (0.396″)
  kFluxRMag,          // |Δ r asinh magnitude|
  kFluxRNmgy,         // |Δ r flux| in nmgy
  kGalAngleDeg,       // position-angle difference mod 180°, in [0, 90]
  kGalFracDev,        // |Δ de Vaucouleurs fraction|
  kGalAxisRatio,      // |Δ axis ratio|
  kGalRadiusPx,       // |Δ radius| in pixels
  kColorUG,           // |Δ color| in magnitudes, u-g .. i-z
  kColorGR,
  kColorRI,
  kColorIZ,
  kNumMetrics
};
extern const std::array<const char*, kNumMetrics> kMetricNames;

using SourceErrors = std::array<double, kNumMetrics>;  // NaN = not defined for this source

SourceErrors source_errors(const ScoringSource& truth, const ScoringSource& prediction);

// Celeste.jl is_good_row: whether a source enters the mean of `metric`. Its error must be
// defined; truth radius must not exceed 20 px; shape metrics need truth fracdev outside
// (0.05, 0.95); the angle also needs truth axis ratio <= 0.6.
bool enters_metric(const ScoringSource& truth, const SourceErrors& errors, Metric metric);

struct MetricScore {
  Metric metric = kPosition;
  std::size_t n = 0;             // sources that enter the metric for every compared catalog
  std::vector<double> mean;      // per compared catalog (NaN when n = 0)
  // With two catalogs (first - second): mean paired difference and Celeste.jl's standard
  // error std(|differences|)/sqrt(n) (sample std; NaN when n < 2).
  double diff = kMissing;
  double diff_sd = kMissing;
};

// Scores one or two prediction catalogs on the same matched truth rows:
// errors[c][k] are the errors of catalog c for matched truth source truth[k].
std::vector<MetricScore> score_metrics(const std::vector<const ScoringSource*>& truth,
                                       const std::vector<std::vector<SourceErrors>>& errors);

// Uncertainty calibration: the fraction of sources whose |prediction - truth| / posterior sd
// is <= 0.5, 1, 2, 3, for ln r flux and for each color (magnitudes on both sides).
enum CalibratedQuantity : int { kLogFluxR = 0, kCalColorUG, kCalColorGR, kCalColorRI, kCalColorIZ,
                                kNumCalibrated };
extern const std::array<const char*, kNumCalibrated> kCalibratedNames;
inline constexpr std::array<double, 4> kCalibrationSds{0.5, 1.0, 2.0, 3.0};

struct CalibrationScore {
  CalibratedQuantity quantity = kLogFluxR;
  std::size_t n = 0;
  std::array<double, 4> within{kMissing, kMissing, kMissing, kMissing};  // per kCalibrationSds
};

// `pairs` are matched (truth, prediction) sources. A pair is skipped for a quantity when the
// truth r flux or the truth value is missing, or the prediction value or sd is NaN.
std::vector<CalibrationScore> score_calibration(
    const std::vector<std::pair<const ScoringSource*, const ScoringSource*>>& pairs);

}  // namespace celeste::score
