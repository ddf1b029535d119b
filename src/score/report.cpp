#include "score/report.hpp"

#include <cmath>
#include <cstdio>

#include "util/text_format.hpp"

namespace celeste::score {

namespace {

constexpr std::array<const char*, kNumMetrics> kMetricUnits{
    "fraction", "fraction", "px", "mag", "nmgy", "deg", "", "", "px", "mag", "mag", "mag", "mag"};
constexpr std::array<const char*, 4> kWithinKeys{"within_0.5", "within_1", "within_2",
                                                 "within_3"};

std::string fixed(double value, int width = 11) {
  char buf[64];
  if (std::isnan(value))
    std::snprintf(buf, sizeof buf, "%*s", width, "-");
  else
    std::snprintf(buf, sizeof buf, "%*.6f", width, value);
  return buf;
}

}  // namespace

std::string format_score_table(const ScoreReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "truth:   %s (%ld rows; excluded %ld saturated, %ld known-bad; %ld scored)\n",
                r.truth_path.c_str(), r.truth_rows, r.truth_excluded_saturated,
                r.truth_excluded_known_bad, r.truth_scored);
  out += line;
  std::snprintf(line, sizeof line, "catalog: %s (%ld rows; excluded %ld bad-sky)\n",
                r.catalog_path.c_str(), r.catalog_rows, r.catalog_excluded_bad_sky);
  out += line;
  if (r.has_initial()) {
    std::snprintf(line, sizeof line, "initial: %s (%s format, %ld rows; excluded %ld)\n",
                  r.initial_path.c_str(), r.initial_format.c_str(), r.initial_rows,
                  r.initial_excluded);
    out += line;
  }
  std::snprintf(line, sizeof line,
                "matched within %.3f arcsec%s: %zu truth objects; unmatched truth: %zu\n\n",
                r.match_radius_arcsec, r.has_initial() ? " in both catalogs" : "", r.matched,
                r.unmatched_truth);
  out += line;

  std::snprintf(line, sizeof line, "%-16s %-8s %6s %11s", "metric", "unit", "N", "catalog");
  out += line;
  if (r.has_initial()) {
    std::snprintf(line, sizeof line, " %11s %11s %11s", "initial", "diff", "diff_sd");
    out += line;
  }
  out += "\n";
  for (const MetricScore& m : r.metrics) {
    std::snprintf(line, sizeof line, "%-16s %-8s %6zu", kMetricNames[m.metric],
                  kMetricUnits[m.metric], m.n);
    out += line;
    out += " " + fixed(m.mean[0]);
    if (r.has_initial())
      out += " " + fixed(m.mean[1]) + " " + fixed(m.diff) + " " + fixed(m.diff_sd);
    out += "\n";
  }
  std::snprintf(line, sizeof line,
                "\nuncertainty calibration of the catalog (%zu truth objects matched to it):\n"
                "fraction with |catalog - truth| <= k posterior sd\n",
                r.calibration_matched);
  out += line;
  std::snprintf(line, sizeof line, "%-16s %6s %11s %11s %11s %11s\n", "quantity", "N",
                "k = 0.5", "k = 1", "k = 2", "k = 3");
  out += line;
  for (const CalibrationScore& c : r.calibration) {
    std::snprintf(line, sizeof line, "%-16s %6zu", kCalibratedNames[c.quantity], c.n);
    out += line;
    for (double w : c.within) out += " " + fixed(w);
    out += "\n";
  }
  return out;
}

std::string format_score_json(const ScoreReport& r) {
  std::string out = "{\n";
  out += "  \"truth\": " + json_quoted(r.truth_path) + ",\n";
  out += "  \"catalog\": " + json_quoted(r.catalog_path) + ",\n";
  out += "  \"initial\": " + (r.has_initial() ? json_quoted(r.initial_path) : "null") + ",\n";
  out += "  \"match_radius_arcsec\": " + json_number(r.match_radius_arcsec) + ",\n";
  out += "  \"truth_rows\": " + std::to_string(r.truth_rows) + ",\n";
  out += "  \"truth_excluded_saturated\": " + std::to_string(r.truth_excluded_saturated) + ",\n";
  out += "  \"truth_excluded_known_bad\": " + std::to_string(r.truth_excluded_known_bad) + ",\n";
  out += "  \"truth_scored\": " + std::to_string(r.truth_scored) + ",\n";
  out += "  \"catalog_rows\": " + std::to_string(r.catalog_rows) + ",\n";
  out += "  \"catalog_excluded_bad_sky\": " + std::to_string(r.catalog_excluded_bad_sky) + ",\n";
  out +=
      "  \"initial_format\": " + (r.has_initial() ? json_quoted(r.initial_format) : "null") + ",\n";
  out += "  \"initial_rows\": " + (r.has_initial() ? std::to_string(r.initial_rows) : "null") +
         ",\n";
  out += "  \"initial_excluded\": " +
         (r.has_initial() ? std::to_string(r.initial_excluded) : "null") + ",\n";
  out += "  \"matched\": " + std::to_string(r.matched) + ",\n";
  out += "  \"unmatched_truth\": " + std::to_string(r.unmatched_truth) + ",\n";
  out += "  \"metrics\": {\n";
  for (std::size_t i = 0; i < r.metrics.size(); ++i) {
    const MetricScore& m = r.metrics[i];
    out += "    " + json_quoted(kMetricNames[m.metric]) + ": {\"n\": " + std::to_string(m.n) +
           ", \"catalog\": " + json_number(m.mean[0]) +
           ", \"initial\": " + (r.has_initial() ? json_number(m.mean[1]) : "null") +
           ", \"diff\": " + json_number(m.diff) + ", \"diff_sd\": " + json_number(m.diff_sd) + "}" +
           (i + 1 < r.metrics.size() ? ",\n" : "\n");
  }
  out += "  },\n";
  out += "  \"calibration_matched\": " + std::to_string(r.calibration_matched) + ",\n";
  out += "  \"calibration\": {\n";
  for (std::size_t i = 0; i < r.calibration.size(); ++i) {
    const CalibrationScore& c = r.calibration[i];
    out += "    " + json_quoted(kCalibratedNames[c.quantity]) + ": {\"n\": " + std::to_string(c.n);
    for (std::size_t k = 0; k < kWithinKeys.size(); ++k)
      out += ", " + json_quoted(kWithinKeys[k]) + ": " + json_number(c.within[k]);
    out += std::string("}") + (i + 1 < r.calibration.size() ? ",\n" : "\n");
  }
  out += "  }\n}\n";
  return out;
}

}  // namespace celeste::score
