// The scorer reproduces Celeste.jl's own Stripe 82 score table and calibration table
// (experiments/mcmc_scripts/s82-results: scoredf.csv, uscore_{vb,mc}.csv) from the matched
// result CSVs, and reads the coadd truth FITS exactly as Celeste.jl did (matched_truth.csv).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "harness/shared_data.hpp"
#include "score/celeste_jl_csv.hpp"
#include "score/magnitudes.hpp"
#include "score/match.hpp"
#include "score/metrics.hpp"
#include "score/truth_catalog.hpp"

namespace celeste::score {
namespace {

using testing::celeste_jl_catalog;
using testing::read_csv;

constexpr const char* kResults = "sdss/celeste-jl-s82-reference-results";
constexpr double kTolerance = 1e-6;

std::string results_file(const std::string& name) {
  return ::celeste::testing::shared_data_path(std::string(kResults) + "/" + name);
}

struct ReferenceRow {
  double n, first, second, diff, diff_sd;
};

std::map<std::string, ReferenceRow> reference_scores() {
  const auto t = read_csv(results_file("scoredf.csv"));
  const auto field = t.text("field");
  const auto n = t.numbers("N"), first = t.numbers("first"), second = t.numbers("second");
  const auto diff = t.numbers("diff"), diff_sd = t.numbers("diff_sd");
  std::map<std::string, ReferenceRow> out;
  for (std::size_t i = 0; i < field.size(); ++i)
    out[field[i]] = {n[i], first[i], second[i], diff[i], diff_sd[i]};
  return out;
}

TEST(CelesteJlReference, ScoreTableVbVersusMcmcWithin1e6) {
  CELESTE_REQUIRE_SHARED_DATA(kResults);
  const ScoringCatalog truth = celeste_jl_catalog(read_csv(results_file("matched_truth.csv")));
  const ScoringCatalog vb = celeste_jl_catalog(read_csv(results_file("matched_vb.csv")));
  const ScoringCatalog mc = celeste_jl_catalog(read_csv(results_file("matched_mc.csv")));
  ASSERT_EQ(truth.size(), 385u);

  // As score_mcmc_results.jl: score_predictions(matched_truth, [vb, mc]) matches again.
  const JointMatch joint = match_jointly(truth, {&vb, &mc}, kDefaultMatchRadiusArcsec / 3600);
  ASSERT_EQ(joint.truth_rows.size(), 385u);
  std::vector<const ScoringSource*> matched_truth;
  std::vector<std::vector<SourceErrors>> errors(2);
  for (std::size_t k = 0; k < joint.truth_rows.size(); ++k) {
    matched_truth.push_back(&truth[joint.truth_rows[k]]);
    errors[0].push_back(source_errors(*matched_truth.back(), vb[joint.prediction_rows[0][k]]));
    errors[1].push_back(source_errors(*matched_truth.back(), mc[joint.prediction_rows[1][k]]));
  }
  const auto scores = score_metrics(matched_truth, errors);
  const auto reference = reference_scores();
  ASSERT_EQ(reference.size(), static_cast<std::size_t>(kNumMetrics));
  for (const MetricScore& s : scores) {
    const std::string name = kMetricNames[s.metric];
    SCOPED_TRACE(name);
    ASSERT_EQ(reference.count(name), 1u);
    const ReferenceRow& ref = reference.at(name);
    EXPECT_EQ(static_cast<double>(s.n), ref.n);
    EXPECT_NEAR(s.mean[0], ref.first, kTolerance);
    EXPECT_NEAR(s.mean[1], ref.second, kTolerance);
    EXPECT_NEAR(s.diff, ref.diff, kTolerance);
    EXPECT_NEAR(s.diff_sd, ref.diff_sd, kTolerance);
  }
}

void expect_calibration_matches(const std::string& matched_csv, const std::string& uscore_csv) {
  const ScoringCatalog truth = celeste_jl_catalog(read_csv(results_file("matched_truth.csv")));
  const ScoringCatalog predicted = celeste_jl_catalog(read_csv(results_file(matched_csv)));
  const auto matches = match_nearest(truth, predicted, kDefaultMatchRadiusArcsec / 3600);
  std::vector<std::pair<const ScoringSource*, const ScoringSource*>> pairs;
  for (std::size_t i = 0; i < matches.size(); ++i)
    if (matches[i].matched) pairs.emplace_back(&truth[i], &predicted[matches[i].index]);
  const auto calibration = score_calibration(pairs);

  const auto t = read_csv(results_file(uscore_csv));
  const auto field = t.text("field");
  const std::array<std::vector<double>, 4> within{t.numbers("within_half_sd"),
                                                  t.numbers("within_1_sd"),
                                                  t.numbers("within_2_sd"),
                                                  t.numbers("within_3_sd")};
  ASSERT_EQ(field.size(), calibration.size());
  for (std::size_t q = 0; q < calibration.size(); ++q) {
    // Celeste.jl calls ln r flux "log_flux_r_nmgy"; the rows are in the same order.
    const std::string expected_name = q == 0 ? "log_flux_r_nmgy" : kCalibratedNames[q];
    SCOPED_TRACE(uscore_csv + " " + expected_name);
    ASSERT_EQ(field[q], expected_name);
    EXPECT_GT(calibration[q].n, 300u);
    for (std::size_t k = 0; k < 4; ++k)
      EXPECT_NEAR(calibration[q].within[k], within[k][q], kTolerance);
  }
}

TEST(CelesteJlReference, CalibrationTablesWithin1e6) {
  CELESTE_REQUIRE_SHARED_DATA(kResults);
  expect_calibration_matches("matched_vb.csv", "uscore_vb.csv");
  expect_calibration_matches("matched_mc.csv", "uscore_mc.csv");
}

// read_coadd_truth + truth_for_scoring give, for every object of matched_truth.csv, the values
// Celeste.jl's load_coadd_catalog gave (asinh magnitudes, dev/exp choice, radius in px).
TEST(CelesteJlReference, CoaddTruthReaderAgreesWithCelesteJlTruth) {
  CELESTE_REQUIRE_SHARED_DATA(kResults);
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-truth-only/coadd_for_4263_5_119.fit");
  const auto rows = read_coadd_truth(
      ::celeste::testing::shared_data_path("sdss/stripe82-truth-only/coadd_for_4263_5_119.fit"));
  ASSERT_EQ(rows.size(), 839u);
  const TruthForScoring truth = truth_for_scoring(rows);
  EXPECT_EQ(truth.excluded_saturated, 36);  // README: 36 saturated
  EXPECT_EQ(truth.excluded_known_bad, 3);   // the hand list, all in this field
  std::map<std::int64_t, const ScoringSource*> by_objid;
  for (const auto& s : truth.sources) by_objid[s.objid] = &s;

  const auto csv = read_csv(results_file("matched_truth.csv"));
  const auto objids = csv.text("objid");
  const ScoringCatalog expected = celeste_jl_catalog(csv);
  auto near_or_both_missing = [](double a, double b, double tol) {
    return (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= tol;
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("objid " + objids[i]);
    const auto it = by_objid.find(std::stoll(objids[i]));
    ASSERT_NE(it, by_objid.end());
    const ScoringSource& got = *it->second;
    const ScoringSource& want = expected[i];
    EXPECT_EQ(got.ra_deg, want.ra_deg);
    EXPECT_EQ(got.dec_deg, want.dec_deg);
    EXPECT_EQ(got.prob_star, want.prob_star);
    EXPECT_NEAR(got.flux_r_nmgy, want.flux_r_nmgy, 1e-12 * want.flux_r_nmgy);
    for (std::size_t c = 0; c < kNumColors; ++c)
      EXPECT_TRUE(near_or_both_missing(got.color_mag[c], want.color_mag[c], 1e-10))
          << kColorNames[c] << ": " << got.color_mag[c] << " vs " << want.color_mag[c];
    EXPECT_TRUE(near_or_both_missing(got.gal_frac_dev, want.gal_frac_dev, 1e-12));
    EXPECT_TRUE(near_or_both_missing(got.gal_axis_ratio, want.gal_axis_ratio, 1e-12));
    EXPECT_TRUE(near_or_both_missing(got.gal_radius_px, want.gal_radius_px, 1e-12));
    EXPECT_TRUE(near_or_both_missing(got.gal_angle_deg, want.gal_angle_deg, 1e-10));
  }
}

TEST(CelesteJlReference, UnitTestCoaddCatalogWithoutSaturationColumnReads) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-truth-only/coadd_test_catalog.fit");
  const auto rows = read_coadd_truth(
      ::celeste::testing::shared_data_path("sdss/stripe82-truth-only/coadd_test_catalog.fit"));
  ASSERT_EQ(rows.size(), 7u);  // README: 4 stars, 3 galaxies, no is_saturated column
  int stars = 0;
  for (const auto& r : rows) {
    stars += r.is_star ? 1 : 0;
    EXPECT_FALSE(r.is_saturated);
    EXPECT_GT(r.ra_deg, 0.50);
    EXPECT_LT(r.ra_deg, 0.52);
  }
  EXPECT_EQ(stars, 4);
}

}  // namespace
}  // namespace celeste::score
