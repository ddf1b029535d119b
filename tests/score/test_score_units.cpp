// Unit tests of the scorer's pieces: asinh magnitudes, angles, matching, metric filters and
// means, calibration fractions, the coadd truth writer/reader, and catalog conversions.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "harness/shared_data.hpp"
#include "io/catalog_columns.hpp"
#include "score/catalog_input.hpp"
#include "score/magnitudes.hpp"
#include "survey/wcs.hpp"
#include "score/match.hpp"
#include "score/metrics.hpp"
#include "score/truth_catalog.hpp"
#include "util/error.hpp"

namespace celeste::score {
namespace {

constexpr double kArcsec = 1.0 / 3600.0;

ScoringSource at(double ra, double dec) {
  ScoringSource s;
  s.ra_deg = ra;
  s.dec_deg = dec;
  return s;
}

TEST(ScoreMagnitudes, AsinhMagnitudesOfCelesteJlTest) {
  // model.md §9.2 #24 (test_accuracy_benchmarks.jl): 15 nmgy.
  EXPECT_NEAR(flux_to_asinh_mag(15.0, 0), 19.559677, 1e-5);
  EXPECT_NEAR(flux_to_asinh_mag(15.0, 2), 19.559702, 1e-5);
  for (int band = 0; band < kBands; ++band)
    for (double flux : {-3.0, 0.0, 1e-3, 15.0, 2.5e4}) {
      SCOPED_TRACE(std::to_string(band) + " " + std::to_string(flux));
      EXPECT_NEAR(asinh_mag_to_flux(flux_to_asinh_mag(flux, band), band), flux,
                  1e-9 * std::max(1.0, std::fabs(flux)));
      // The catalog writer's magnitudes (io) use the same definition.
      EXPECT_NEAR(io::asinh_magnitude(flux, band), flux_to_asinh_mag(flux, band), 1e-12);
    }
  // Bright sources: asinh magnitudes approach Pogson's 22.5 - 2.5 log10 f.
  EXPECT_NEAR(flux_to_asinh_mag(1e4, 2), 22.5 - 2.5 * std::log10(1e4), 1e-6);
}

TEST(ScoreMagnitudes, ColorsInMagnitudesMissingForNonPositiveFlux) {
  EXPECT_NEAR(color_mag_from_fluxes(1.0, 10.0), -2.5 * std::log10(1.0 / 10.0), 1e-12);
  // u-g = m_u - m_g = 2.5 log10(f_g / f_u): a redder source (less flux in g) has a smaller one.
  EXPECT_NEAR(color_mag_from_fluxes(4.0, 2.0), -2.5 * std::log10(2.0), 1e-12);
  EXPECT_TRUE(std::isnan(color_mag_from_fluxes(0.0, 1.0)));
  EXPECT_TRUE(std::isnan(color_mag_from_fluxes(1.0, -1.0)));
  EXPECT_TRUE(std::isnan(color_mag_from_fluxes(kMissing, 1.0)));
}

TEST(ScoreAngles, CanonicalAngleAndDifferenceModulo180) {
  EXPECT_DOUBLE_EQ(survey::angle_0_180_deg(-45.0), 135.0);
  EXPECT_DOUBLE_EQ(survey::angle_0_180_deg(180.0), 0.0);
  EXPECT_DOUBLE_EQ(survey::angle_0_180_deg(365.0), 5.0);
  EXPECT_DOUBLE_EQ(angle_difference_deg(10.0, 170.0), 20.0);
  EXPECT_DOUBLE_EQ(angle_difference_deg(0.0, 180.0), 0.0);
  EXPECT_DOUBLE_EQ(angle_difference_deg(5.0, 95.0), 90.0);
  EXPECT_DOUBLE_EQ(angle_difference_deg(170.0, 10.0), 20.0);
  EXPECT_DOUBLE_EQ(angle_difference_deg(1.0, 359.0), 2.0);
  EXPECT_DOUBLE_EQ(angle_difference_deg(30.0, 40.0), 10.0);
}

TEST(ScoreMatch, AngularSeparation) {
  EXPECT_NEAR(angular_separation_deg(10, 0, 10, kArcsec), kArcsec, 1e-15);
  // Along RA at dec 60 the separation shrinks by cos(60°).
  EXPECT_NEAR(angular_separation_deg(10, 60, 10 + kArcsec, 60), 0.5 * kArcsec, 1e-9 * kArcsec);
  // Across RA = 0/360.
  EXPECT_NEAR(angular_separation_deg(359.9999, 0, 0.0001, 0), 0.0002, 1e-12);
}

TEST(ScoreMatch, NearestWithinRadiusTiesAndUnmatched) {
  const double r = kDefaultMatchRadiusArcsec * kArcsec;
  const ScoringCatalog truth = {
      at(1.0, 0.5),                        // 0: two candidates, nearer one wins
      at(1.1, 0.5),                        // 1: equidistant pair -> listed first
      at(1.2, 0.5),                        // 2: nearest is just outside the radius
      at(1.3, 0.5),                        // 3: nothing near
      at(1.0 + 0.05 * kArcsec, 0.5),       // 4: shares truth 0's nearest (not one-to-one)
  };
  const ScoringCatalog predictions = {
      at(1.0, 0.5 + 0.3 * kArcsec),        // 0
      at(1.0, 0.5 + 0.1 * kArcsec),        // 1: nearest to truth 0 and 4
      at(1.1, 0.5 - 0.2 * kArcsec),        // 2: exact tie with 3 (same place), listed first
      at(1.1, 0.5 - 0.2 * kArcsec),        // 3
      at(1.2, 0.5 + 0.40 * kArcsec),       // 4: 0.40″ > 0.396″
      at(1.0, 0.5 - 0.2 * kArcsec),        // 5: farther from truth 0 than 1
  };
  const auto m = match_nearest(truth, predictions, r);
  ASSERT_EQ(m.size(), truth.size());
  EXPECT_TRUE(m[0].matched);
  EXPECT_EQ(m[0].index, 1u);
  EXPECT_NEAR(m[0].distance_deg, 0.1 * kArcsec, 1e-9 * kArcsec);
  EXPECT_TRUE(m[1].matched);
  EXPECT_EQ(m[1].index, 2u);
  EXPECT_FALSE(m[2].matched);
  EXPECT_FALSE(m[3].matched);
  EXPECT_TRUE(m[4].matched);
  EXPECT_EQ(m[4].index, 1u);

  // Joint matching keeps only truth matched in every catalog.
  const ScoringCatalog only_first = {at(1.0, 0.5)};
  const JointMatch joint = match_jointly(truth, {&predictions, &only_first}, r);
  ASSERT_EQ(joint.truth_rows.size(), 2u);  // truth 0 and 4 (both near (1.0, 0.5))
  EXPECT_EQ(joint.truth_rows[0], 0u);
  EXPECT_EQ(joint.truth_rows[1], 4u);
  EXPECT_EQ(joint.prediction_rows[0][0], 1u);
  EXPECT_EQ(joint.prediction_rows[1][1], 0u);
}

TEST(ScoreMetrics, ErrorsPerSource) {
  ScoringSource truth = at(0.5, 0.5);
  truth.prob_star = 0;
  truth.flux_r_nmgy = 10;
  truth.color_mag = {1.0, 0.5, 0.2, 0.1};
  truth.gal_frac_dev = 0.02;
  truth.gal_axis_ratio = 0.4;
  truth.gal_radius_px = 3;
  truth.gal_angle_deg = 175;
  ScoringSource pred = at(0.5, 0.5 + 0.396 * kArcsec);  // one pixel north
  pred.prob_star = 0.7;                                 // predicted star: missed galaxy
  pred.flux_r_nmgy = 12;
  pred.color_mag = {1.5, 0.25, kMissing, 0.1};
  pred.gal_frac_dev = 0.5;
  pred.gal_axis_ratio = 0.3;
  pred.gal_radius_px = 2;
  pred.gal_angle_deg = 5;
  const SourceErrors e = source_errors(truth, pred);
  EXPECT_TRUE(std::isnan(e[kMissedStars]));
  EXPECT_EQ(e[kMissedGalaxies], 1.0);
  EXPECT_NEAR(e[kPosition], 1.0, 1e-9);
  EXPECT_NEAR(e[kFluxRMag], std::fabs(flux_to_asinh_mag(10, 2) - flux_to_asinh_mag(12, 2)), 1e-12);
  EXPECT_NEAR(e[kFluxRNmgy], 2.0, 1e-12);
  EXPECT_NEAR(e[kGalAngleDeg], 10.0, 1e-12);
  EXPECT_NEAR(e[kGalFracDev], 0.48, 1e-12);
  EXPECT_NEAR(e[kGalAxisRatio], 0.1, 1e-12);
  EXPECT_NEAR(e[kGalRadiusPx], 1.0, 1e-12);
  EXPECT_NEAR(e[kColorUG], 0.5, 1e-12);
  EXPECT_NEAR(e[kColorGR], 0.25, 1e-12);
  EXPECT_TRUE(std::isnan(e[kColorRI]));
  EXPECT_NEAR(e[kColorIZ], 0.0, 1e-12);
  // A true star predicted as a galaxy is a missed star.
  truth.prob_star = 1;
  pred.prob_star = 0.2;
  const SourceErrors star = source_errors(truth, pred);
  EXPECT_EQ(star[kMissedStars], 1.0);
  EXPECT_TRUE(std::isnan(star[kMissedGalaxies]));
}

TEST(ScoreMetrics, ExclusionRules) {
  ScoringSource truth = at(0, 0);
  SourceErrors e;
  e.fill(0.1);
  truth.gal_frac_dev = 0.5;  // mixed profile: no shape metrics
  truth.gal_axis_ratio = 0.3;
  truth.gal_radius_px = 5;
  EXPECT_TRUE(enters_metric(truth, e, kPosition));
  EXPECT_FALSE(enters_metric(truth, e, kGalFracDev));
  EXPECT_FALSE(enters_metric(truth, e, kGalAngleDeg));
  EXPECT_TRUE(enters_metric(truth, e, kColorGR));
  truth.gal_frac_dev = 0.97;
  EXPECT_TRUE(enters_metric(truth, e, kGalRadiusPx));
  EXPECT_TRUE(enters_metric(truth, e, kGalAngleDeg));
  truth.gal_axis_ratio = 0.61;  // round: no angle
  EXPECT_FALSE(enters_metric(truth, e, kGalAngleDeg));
  EXPECT_TRUE(enters_metric(truth, e, kGalAxisRatio));
  truth.gal_radius_px = 20.5;  // huge: nothing
  EXPECT_FALSE(enters_metric(truth, e, kPosition));
  EXPECT_FALSE(enters_metric(truth, e, kMissedGalaxies));
  truth.gal_radius_px = 20;
  EXPECT_TRUE(enters_metric(truth, e, kPosition));
  e[kColorUG] = kMissing;
  EXPECT_FALSE(enters_metric(truth, e, kColorUG));
}

TEST(ScoreMetrics, MeansDifferencesAndStandardErrorOfTwoCatalogs) {
  // Three truth stars with position errors (1, 2, 6) and (2, 2, 3): diffs (-1, 0, 3).
  std::vector<ScoringSource> truth(3, at(0, 0));
  for (auto& t : truth) t.prob_star = 1;
  std::vector<const ScoringSource*> truth_ptrs{&truth[0], &truth[1], &truth[2]};
  std::vector<std::vector<SourceErrors>> errors(2, std::vector<SourceErrors>(3));
  const double first[3] = {1, 2, 6}, second[3] = {2, 2, 3};
  for (int k = 0; k < 3; ++k) {
    errors[0][k].fill(kMissing);
    errors[1][k].fill(kMissing);
    errors[0][k][kPosition] = first[k];
    errors[1][k][kPosition] = second[k];
  }
  errors[1][2][kColorGR] = 0.5;  // only in the second catalog: enters neither
  errors[0][0][kColorGR] = 0.25;
  const auto scores = score_metrics(truth_ptrs, errors);
  const MetricScore& pos = scores[kPosition];
  EXPECT_EQ(pos.n, 3u);
  EXPECT_DOUBLE_EQ(pos.mean[0], 3.0);
  EXPECT_DOUBLE_EQ(pos.mean[1], 7.0 / 3.0);
  EXPECT_DOUBLE_EQ(pos.diff, 2.0 / 3.0);
  // |diffs| = (1, 0, 3): mean 4/3, sample variance ((1/3)^2 + (4/3)^2 + (5/3)^2)/2 = 7/3.
  EXPECT_NEAR(pos.diff_sd, std::sqrt(7.0 / 3.0) / std::sqrt(3.0), 1e-15);
  EXPECT_EQ(scores[kColorGR].n, 0u);
  EXPECT_TRUE(std::isnan(scores[kColorGR].mean[0]));

  // One catalog: no difference columns.
  const auto single = score_metrics(truth_ptrs, {errors[0]});
  EXPECT_DOUBLE_EQ(single[kPosition].mean[0], 3.0);
  EXPECT_TRUE(std::isnan(single[kPosition].diff));
  EXPECT_EQ(single[kColorGR].n, 1u);
  EXPECT_DOUBLE_EQ(single[kColorGR].mean[0], 0.25);
}

TEST(ScoreCalibration, FractionsWithinHalfOneTwoThreeSd) {
  // ln r flux errors of 0.3, 0.8, 1.5, 2.5, 4 posterior sds (sd 0.1), one source with truth
  // flux 0 (skipped everywhere); colors: u-g errors of 0.2 and 0.9 sd, one truth color missing.
  std::vector<ScoringSource> truth(6), pred(6);
  const double z[5] = {0.3, -0.8, 1.5, -2.5, 4.0};
  for (int k = 0; k < 6; ++k) {
    truth[k].flux_r_nmgy = k < 5 ? 10.0 : kMissing;
    pred[k].flux_r_nmgy = k < 5 ? 10.0 * std::exp(0.1 * z[k]) : 10.0;
    pred[k].log_flux_r_sd = 0.1;
    pred[k].color_mag_sd = {0.2, 0.2, 0.2, 0.2};
  }
  truth[0].color_mag[0] = 1.0;
  pred[0].color_mag[0] = 1.0 + 0.2 * 0.2;
  truth[1].color_mag[0] = 1.0;
  pred[1].color_mag[0] = 1.0 - 0.2 * 0.9;
  pred[2].color_mag[0] = 1.0;  // truth color missing
  truth[5].color_mag[0] = 1.0; // truth flux missing
  pred[5].color_mag[0] = 1.0;
  std::vector<std::pair<const ScoringSource*, const ScoringSource*>> pairs;
  for (int k = 0; k < 6; ++k) pairs.emplace_back(&truth[k], &pred[k]);
  const auto cal = score_calibration(pairs);
  ASSERT_EQ(cal.size(), static_cast<std::size_t>(kNumCalibrated));
  EXPECT_EQ(cal[kLogFluxR].n, 5u);
  EXPECT_NEAR(cal[kLogFluxR].within[0], 0.2, 1e-15);
  EXPECT_NEAR(cal[kLogFluxR].within[1], 0.4, 1e-15);
  EXPECT_NEAR(cal[kLogFluxR].within[2], 0.6, 1e-15);
  EXPECT_NEAR(cal[kLogFluxR].within[3], 0.8, 1e-15);
  EXPECT_EQ(cal[kCalColorUG].n, 2u);
  EXPECT_NEAR(cal[kCalColorUG].within[0], 0.5, 1e-15);
  EXPECT_NEAR(cal[kCalColorUG].within[1], 1.0, 1e-15);
  EXPECT_EQ(cal[kCalColorGR].n, 0u);
  EXPECT_TRUE(std::isnan(cal[kCalColorGR].within[0]));
}

TEST(ScoreTruth, WriterReaderRoundTrip) {
  std::vector<CoaddTruthRow> rows(4);
  rows[0].objid = 8647474692482204160;
  rows[0].run = 106;
  rows[0].rerun = 2;
  rows[0].camcol = 5;
  rows[0].field = 119;
  rows[0].flags = 268435456;
  rows[0].ra_deg = 0.515754470444248;
  rows[0].dec_deg = 0.517092236369104;
  rows[0].is_star = true;
  rows[0].flux_nmgy = {-0.3, 1.2, 1.714405750625518, 2.5, 3.0};  // negative u survives (asinh)
  rows[1].objid = 2;
  rows[1].ra_deg = 359.99;
  rows[1].dec_deg = -1.2;
  rows[1].is_star = false;
  rows[1].flux_nmgy = {0.5, 2, 4, 6, 7};
  rows[1].gal_frac_dev = 0.2;  // exp profile selected on reading
  rows[1].gal_axis_ratio = 0.35;
  rows[1].gal_angle_deg = 172.5;
  rows[1].gal_radius_px = 4.25;
  rows[2] = rows[1];
  rows[2].objid = 3;
  rows[2].gal_frac_dev = 0.9;  // dev profile selected
  rows[2].is_saturated = true;
  rows[3] = rows[1];
  rows[3].objid = 8647474692482203853;  // Celeste.jl's hand-excluded blend

  const std::string path = ::celeste::testing::scratch_dir("score_truth") + "/truth.fits";
  write_coadd_truth(path, rows);
  const auto back = read_coadd_truth(path);
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    const CoaddTruthRow &a = rows[i], &b = back[i];
    EXPECT_EQ(b.objid, a.objid);
    EXPECT_EQ(b.run, a.run);
    EXPECT_EQ(b.rerun, a.rerun);
    EXPECT_EQ(b.camcol, a.camcol);
    EXPECT_EQ(b.field, a.field);
    EXPECT_EQ(b.flags, a.flags);
    EXPECT_EQ(b.ra_deg, a.ra_deg);  // double columns: exact
    EXPECT_EQ(b.dec_deg, a.dec_deg);
    EXPECT_EQ(b.is_star, a.is_star);
    EXPECT_EQ(b.is_saturated, a.is_saturated);
    // Magnitudes are float32 in the format: ~1e-6 relative in flux.
    for (int band = 0; band < kBands; ++band)
      EXPECT_NEAR(b.flux_nmgy[band], a.flux_nmgy[band], 3e-6 * std::fabs(a.flux_nmgy[band]) + 1e-9)
          << "band " << band;
    if (!a.is_star) {
      EXPECT_NEAR(b.gal_frac_dev, a.gal_frac_dev, 1e-7);
      EXPECT_NEAR(b.gal_axis_ratio, a.gal_axis_ratio, 1e-7);
      EXPECT_NEAR(b.gal_angle_deg, a.gal_angle_deg, 2e-5);
      EXPECT_NEAR(b.gal_radius_px, a.gal_radius_px, 1e-6);
    }
  }
  const TruthForScoring scoring = truth_for_scoring(back);
  EXPECT_EQ(scoring.rows_read, 4);
  EXPECT_EQ(scoring.excluded_saturated, 1);
  EXPECT_EQ(scoring.excluded_known_bad, 1);
  ASSERT_EQ(scoring.sources.size(), 2u);
  EXPECT_EQ(scoring.sources[0].prob_star, 1.0);
  EXPECT_TRUE(std::isnan(scoring.sources[0].color_mag[0]));  // u flux < 0: u-g missing
  EXPECT_TRUE(std::isnan(scoring.sources[0].gal_radius_px));  // stars have no shape
  EXPECT_NEAR(scoring.sources[0].flux_r_nmgy, 1.714405750625518, 2e-6);
  EXPECT_NEAR(scoring.sources[1].color_mag[1], 2.5 * std::log10(2.0), 1e-5);
}

TEST(ScoreTruth, TruthRowFromModelEntry) {
  survey::CatalogEntry e;
  e.objid = 7;
  e.is_star = false;
  e.gal_fluxes = {1, 2, 20, 4, 5};
  e.star_fluxes = {9, 9, 9, 9, 9};
  e.gal_radius_px = 10;  // σ
  e.gal_axis_ratio = 0.5;
  e.gal_angle = -3.14159265358979323846 / 4;
  e.gal_frac_dev = 0.3;
  const CoaddTruthRow r = coadd_truth_row_from_entry(e);
  EXPECT_EQ(r.objid, 7);
  EXPECT_FALSE(r.is_star);
  EXPECT_DOUBLE_EQ(r.flux_nmgy[2], 20.0);
  EXPECT_NEAR(r.gal_radius_px, 10 * std::sqrt(0.5), 1e-12);  // model.md §9.2 #25
  EXPECT_NEAR(r.gal_angle_deg, 135.0, 1e-12);
  // The generic initial-catalog conversion agrees with it.
  const ScoringSource s = scoring_source_from_entry(e);
  EXPECT_NEAR(s.gal_radius_px, r.gal_radius_px, 1e-12);
  EXPECT_NEAR(s.gal_angle_deg, 135.0, 1e-12);
  EXPECT_EQ(s.prob_star, 0.0);
  EXPECT_NEAR(s.color_mag[1], 2.5 * std::log10(10.0), 1e-12);
}

TEST(ScoreInputErrors, MissingFilesAndColumnsNameTheFile) {
  const std::string dir = ::celeste::testing::scratch_dir("score_errors");
  try {
    read_coadd_truth(dir + "/absent.fits");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/absent.fits"), std::string::npos) << e.what();
  }
  // A coadd truth file is not a Celeste catalog: the message lists what is missing.
  write_coadd_truth(dir + "/truth.fits", {CoaddTruthRow{}});
  try {
    read_celeste_catalog(dir + "/truth.fits");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/truth.fits"), std::string::npos) << e.what();
  }
}


TEST(ScoreInitial, PhotoBaselineUsesTheDominantProfile) {
  io::PhotoObjRow row;
  row.objid = 42;
  row.ra = 1;
  row.dec = 2;
  row.objc_type = 3;  // galaxy
  row.psfflux = {9, 9, 9, 9, 9};
  row.devflux = {1, 2, 4, 5, 6};
  row.expflux = {2, 3, 5, 6, 7};
  row.fracdev = {0, 0, 0.8, 0, 0};  // r band decides: dev
  row.ab_dev = {0, 0, 0.3, 0, 0};
  row.ab_exp = {0, 0, 0.9, 0, 0};
  row.theta_dev = {0, 0, 0.792, 0, 0};  // arcsec: 2 px
  row.phi_dev_deg = {0, 0, 100, 0, 0};
  row.phi_offset = {0, 0, 110, 0, 0};
  const ScoringSource s = photo_baseline_source(row);
  EXPECT_EQ(s.prob_star, 0.0);
  EXPECT_DOUBLE_EQ(s.flux_r_nmgy, 4.0);
  EXPECT_NEAR(s.color_mag[1], 2.5 * std::log10(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(s.gal_axis_ratio, 0.3);
  EXPECT_NEAR(s.gal_radius_px, 2.0, 1e-12);  // theta / 0.396, not circularised
  EXPECT_NEAR(s.gal_angle_deg, 170.0, 1e-12);  // (100 - 110) mod 180
  row.objc_type = 6;
  EXPECT_DOUBLE_EQ(photo_baseline_source(row).flux_r_nmgy, 9.0);
}

TEST(ScoreInitial, PhotoObjFileIsRecognised) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/tractor-cutout-1000-1-100/photoObj-001000-1-0100.fits");
  const auto initial = read_initial_catalog(::celeste::testing::shared_data_path(
      "sdss/tractor-cutout-1000-1-100/photoObj-001000-1-0100.fits"));
  EXPECT_EQ(initial.format, "photoobj");
  EXPECT_EQ(initial.rows_read, 19);  // README: 19 objects (5 galaxies, 11 stars, 3 other)
  EXPECT_EQ(initial.sources.size() + static_cast<std::size_t>(initial.excluded_other), 19u);
  EXPECT_GE(initial.excluded_other, 3);  // at least the 3 that are neither star nor galaxy
  EXPECT_FALSE(initial.sources.empty());
  for (const auto& s : initial.sources) {
    EXPECT_NEAR(s.dec_deg, 60.0, 0.5);
    EXPECT_TRUE(s.prob_star == 0.0 || s.prob_star == 1.0);
    EXPECT_TRUE(std::isfinite(s.flux_r_nmgy));
    if (s.prob_star == 1.0)  // a star's flux is its PSF flux: none brighter than r = 16
      EXPECT_GE(flux_to_asinh_mag(s.flux_r_nmgy, 2), 16.0);
  }
}

}  // namespace
}  // namespace celeste::score
