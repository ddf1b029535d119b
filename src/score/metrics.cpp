#include "score/metrics.hpp"

#include <cmath>

#include "score/magnitudes.hpp"
#include "score/match.hpp"

namespace celeste::score {

const std::array<const char*, kNumMetrics> kMetricNames{
    "missed_stars",   "missed_galaxies", "position",      "flux_r_mag", "flux_r_nmgy",
    "gal_angle_deg",  "gal_frac_dev",    "gal_axis_ratio", "gal_radius_px", "color_ug",
    "color_gr",       "color_ri",        "color_iz"};

const std::array<const char*, kNumCalibrated> kCalibratedNames{"log_flux_r", "color_ug",
                                                               "color_gr", "color_ri", "color_iz"};

namespace {

constexpr double kArcsecPerDegree = 3600.0;

bool is_missing(double x) { return std::isnan(x); }

// |a - b|, missing when either is.
double abs_diff(double a, double b) {
  return (is_missing(a) || is_missing(b)) ? kMissing : std::fabs(a - b);
}

}  // namespace

SourceErrors source_errors(const ScoringSource& truth, const ScoringSource& prediction) {
  SourceErrors e;
  e.fill(kMissing);
  const bool true_galaxy = truth.prob_star < 0.5;
  const bool predicted_galaxy = prediction.prob_star < 0.5;
  if (true_galaxy)
    e[kMissedGalaxies] = predicted_galaxy ? 0.0 : 1.0;
  else
    e[kMissedStars] = predicted_galaxy ? 1.0 : 0.0;
  e[kPosition] = (kArcsecPerDegree / kSdssArcsecPerPixel) *
                 angular_separation_deg(truth.ra_deg, truth.dec_deg, prediction.ra_deg,
                                        prediction.dec_deg);
  // Magnitudes are defined for any flux (asinh), so only a missing flux leaves them missing.
  e[kFluxRMag] = abs_diff(flux_to_asinh_mag(truth.flux_r_nmgy, kBandR),
                          flux_to_asinh_mag(prediction.flux_r_nmgy, kBandR));
  e[kFluxRNmgy] = abs_diff(truth.flux_r_nmgy, prediction.flux_r_nmgy);
  if (!is_missing(truth.gal_angle_deg) && !is_missing(prediction.gal_angle_deg))
    e[kGalAngleDeg] = angle_difference_deg(truth.gal_angle_deg, prediction.gal_angle_deg);
  e[kGalFracDev] = abs_diff(truth.gal_frac_dev, prediction.gal_frac_dev);
  e[kGalAxisRatio] = abs_diff(truth.gal_axis_ratio, prediction.gal_axis_ratio);
  e[kGalRadiusPx] = abs_diff(truth.gal_radius_px, prediction.gal_radius_px);
  for (int c = 0; c < kNumColors; ++c)
    e[kColorUG + c] = abs_diff(truth.color_mag[static_cast<std::size_t>(c)],
                               prediction.color_mag[static_cast<std::size_t>(c)]);
  return e;
}

bool enters_metric(const ScoringSource& truth, const SourceErrors& errors, Metric metric) {
  if (is_missing(errors[metric])) return false;
  // Very large truth objects are unreliable in the coadd (and beyond a 20 px patch).
  if (!is_missing(truth.gal_radius_px) && truth.gal_radius_px > 20) return false;
  const bool shape = metric == kGalAxisRatio || metric == kGalRadiusPx ||
                     metric == kGalAngleDeg || metric == kGalFracDev;
  // Photo fits dev and exp profiles separately; Celeste one shared shape. Shapes are
  // comparable only when one profile dominates.
  if (shape && !is_missing(truth.gal_frac_dev) && truth.gal_frac_dev > 0.05 &&
      truth.gal_frac_dev < 0.95)
    return false;
  // The angle of a nearly round galaxy is meaningless.
  if (metric == kGalAngleDeg && !is_missing(truth.gal_axis_ratio) && truth.gal_axis_ratio > 0.6)
    return false;
  return true;
}

std::vector<MetricScore> score_metrics(const std::vector<const ScoringSource*>& truth,
                                       const std::vector<std::vector<SourceErrors>>& errors) {
  std::vector<MetricScore> out;
  const std::size_t num_catalogs = errors.size();
  for (int m = 0; m < kNumMetrics; ++m) {
    const Metric metric = static_cast<Metric>(m);
    MetricScore score;
    score.metric = metric;
    std::vector<std::vector<double>> values(num_catalogs);
    for (std::size_t k = 0; k < truth.size(); ++k) {
      bool enters = true;
      for (std::size_t c = 0; c < num_catalogs; ++c)
        enters = enters && enters_metric(*truth[k], errors[c][k], metric);
      if (!enters) continue;
      for (std::size_t c = 0; c < num_catalogs; ++c) values[c].push_back(errors[c][k][metric]);
    }
    score.n = num_catalogs ? values[0].size() : 0;
    for (std::size_t c = 0; c < num_catalogs; ++c) {
      double sum = 0;
      for (double v : values[c]) sum += v;
      score.mean.push_back(score.n ? sum / static_cast<double>(score.n) : kMissing);
    }
    if (num_catalogs == 2 && score.n > 0) {
      const double n = static_cast<double>(score.n);
      std::vector<double> abs_diffs(score.n);
      double sum_diff = 0, sum_abs = 0;
      for (std::size_t k = 0; k < score.n; ++k) {
        const double d = values[0][k] - values[1][k];
        sum_diff += d;
        abs_diffs[k] = std::fabs(d);
        sum_abs += abs_diffs[k];
      }
      score.diff = sum_diff / n;
      if (score.n >= 2) {
        const double mean_abs = sum_abs / n;
        double ss = 0;
        for (double a : abs_diffs) ss += (a - mean_abs) * (a - mean_abs);
        score.diff_sd = std::sqrt(ss / (n - 1)) / std::sqrt(n);
      }
    }
    out.push_back(score);
  }
  return out;
}

std::vector<CalibrationScore> score_calibration(
    const std::vector<std::pair<const ScoringSource*, const ScoringSource*>>& pairs) {
  std::vector<CalibrationScore> out;
  for (int q = 0; q < kNumCalibrated; ++q) {
    CalibrationScore score;
    score.quantity = static_cast<CalibratedQuantity>(q);
    std::array<std::size_t, 4> within{0, 0, 0, 0};
    for (const auto& [truth, prediction] : pairs) {
      if (!(truth->flux_r_nmgy > 0)) continue;  // Celeste.jl keeps truth r flux > 0 only
      double error, sd;
      if (score.quantity == kLogFluxR) {
        error = std::log(prediction->flux_r_nmgy) - std::log(truth->flux_r_nmgy);
        sd = prediction->log_flux_r_sd;
      } else {
        const std::size_t c = static_cast<std::size_t>(q - kCalColorUG);
        error = prediction->color_mag[c] - truth->color_mag[c];
        sd = prediction->color_mag_sd[c];
      }
      if (is_missing(error) || is_missing(sd)) continue;
      // |e|/sd; an exact prediction with sd = 0 is within every band.
      const double z = (error == 0) ? 0.0 : std::fabs(error / sd);
      ++score.n;
      for (std::size_t k = 0; k < kCalibrationSds.size(); ++k)
        if (z <= kCalibrationSds[k]) ++within[k];
    }
    if (score.n > 0)
      for (std::size_t k = 0; k < within.size(); ++k)
        score.within[k] = static_cast<double>(within[k]) / static_cast<double>(score.n);
    out.push_back(score);
  }
  return out;
}

}  // namespace celeste::score
