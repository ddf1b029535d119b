#include "score/scorer.hpp"

#include "util/error.hpp"

namespace celeste::score {

ScoreReport score_catalogs(const TruthForScoring& truth, const CatalogForScoring& catalog,
                           const CatalogForScoring* initial, double match_radius_arcsec,
                           const std::string& truth_path, const std::string& catalog_path,
                           const std::string& initial_path) {
  ScoreReport r;
  r.truth_path = truth_path;
  r.catalog_path = catalog_path;
  r.initial_path = initial ? initial_path : "";
  r.match_radius_arcsec = match_radius_arcsec;
  r.truth_rows = truth.rows_read;
  r.truth_excluded_saturated = truth.excluded_saturated;
  r.truth_excluded_known_bad = truth.excluded_known_bad;
  r.truth_scored = static_cast<long>(truth.sources.size());
  r.catalog_rows = catalog.rows_read;
  r.catalog_excluded_bad_sky = catalog.excluded_bad_sky;
  r.initial_rows = initial ? initial->rows_read : 0;
  r.initial_excluded = initial ? initial->excluded_other : 0;
  r.initial_format = initial ? initial->format : "";
  const double radius_deg = match_radius_arcsec / 3600.0;

  std::vector<const ScoringCatalog*> predictions{&catalog.sources};
  if (initial) predictions.push_back(&initial->sources);
  const JointMatch joint = match_jointly(truth.sources, predictions, radius_deg);
  r.matched = joint.truth_rows.size();
  r.unmatched_truth = truth.sources.size() - r.matched;
  if (r.matched == 0) {
    std::string where = "catalog " + catalog_path;
    if (initial) where += " and initial catalog " + initial_path;
    throw InputError(truth_path + ": no truth object has a source of the " + where +
                     " within " + std::to_string(match_radius_arcsec) + " arcsec (" +
                     std::to_string(truth.sources.size()) + " truth objects scored, " +
                     std::to_string(catalog.sources.size()) + " catalog sources)");
  }

  std::vector<const ScoringSource*> matched_truth;
  for (std::size_t k : joint.truth_rows) matched_truth.push_back(&truth.sources[k]);
  std::vector<std::vector<SourceErrors>> errors(predictions.size());
  for (std::size_t c = 0; c < predictions.size(); ++c)
    for (std::size_t k = 0; k < joint.truth_rows.size(); ++k)
      errors[c].push_back(source_errors(*matched_truth[k], (*predictions[c])[joint.prediction_rows[c][k]]));
  r.metrics = score_metrics(matched_truth, errors);

  // Celeste.jl get_uncertainty_df matches the truth against the one catalog on its own.
  const auto own = match_nearest(truth.sources, catalog.sources, radius_deg);
  std::vector<std::pair<const ScoringSource*, const ScoringSource*>> pairs;
  for (std::size_t i = 0; i < own.size(); ++i)
    if (own[i].matched) pairs.emplace_back(&truth.sources[i], &catalog.sources[own[i].index]);
  r.calibration_matched = pairs.size();
  r.calibration = score_calibration(pairs);
  return r;
}

ScoreReport score_files(const std::string& truth_path, const std::string& catalog_path,
                        const std::string& initial_path, double match_radius_arcsec) {
  const TruthForScoring truth = truth_for_scoring(read_coadd_truth(truth_path));
  const CatalogForScoring catalog = read_celeste_catalog(catalog_path);
  CatalogForScoring initial;
  if (!initial_path.empty()) initial = read_initial_catalog(initial_path);
  return score_catalogs(truth, catalog, initial_path.empty() ? nullptr : &initial,
                        match_radius_arcsec, truth_path, catalog_path, initial_path);
}

}  // namespace celeste::score
