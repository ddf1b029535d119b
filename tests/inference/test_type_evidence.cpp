// The star/galaxy call by evidence (inference/type_evidence): a star fitted as a point-like
// galaxy (the mean-field call's failure on the synthetic demo) must be called a star once the
// galaxy shape's Occam factor is counted; a resolved galaxy must stay a galaxy; and where the
// shape does not change the likelihood, the factor must be ~0 (each shape prior integrates to
// one).
#include <gtest/gtest.h>

#include <set>

#include <cmath>
#include <cstdio>
#include <random>

#include "config/options.hpp"
#include "harness/small_scene.hpp"
#include "inference/type_evidence.hpp"
#include "model/generator.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"

namespace celeste::testing {
namespace {

struct Scene {
  std::vector<survey::Image> images;
  survey::Catalog truth;
};

// One source at the image centre in five bands, r-band flux `r` nmgy.
Scene make_scene(bool is_star, double r, double radius_px, std::uint64_t seed) {
  Scene sc;
  sc.images = small_field_images(40, 40, seed);
  const auto u = sc.images.at(0).wcs.pix_to_world(19.6, 20.3);
  const auto& color = kSceneColors;
  survey::CatalogEntry e;
  e.ra = u[0];
  e.dec = u[1];
  e.objid = 1;
  e.is_star = is_star;
  for (int k = 0; k < 5; ++k) e.star_fluxes[k] = e.gal_fluxes[k] = r * color[k];
  e.gal_frac_dev = 0.3;
  e.gal_axis_ratio = 0.7;
  e.gal_angle = 0.6;
  e.gal_radius_px = radius_px;
  sc.truth.push_back(e);
  for (std::size_t n = 0; n < sc.images.size(); ++n)
    model::sample_counts(sc.images[n], model::render_expected_counts(sc.images[n], sc.truth),
                         100 + seed + n);
  return sc;
}

struct State {
  model::SurveyPatches patches;
  std::vector<model::SourceParams> params;
  std::vector<survey::SourceResult> records;
  std::vector<SourceBounds> boxes;
  model::FitOptions fit;
};

// The galaxy hypothesis of the scene's source: fitted from a galaxy entry with the type held at
// galaxy, so the test starts from the state the mean-field call leaves behind.
State galaxy_hypothesis(const Scene& sc) {
  State st;
  survey::Catalog initial = sc.truth;
  initial[0].is_star = false;
  initial[0].gal_radius_px = std::max(0.5, initial[0].gal_radius_px);
  st.patches = model::build_patches(initial, sc.images);
  st.params.push_back(model::generic_init_params(initial[0]));
  st.boxes.push_back(model::target_bounds(initial[0].ra, initial[0].dec, 25.0));
  st.records.resize(1);
  st.fit.type_prior = {config::kTypePriorK[0], config::kTypePriorK[1]};
  model::FitOptions held = st.fit;
  held.type_prior = {3.7e-44, 1.0};
  st.params[0][param::chi(0)] = 0.02;
  st.params[0][param::chi(1)] = 0.98;
  const auto f = model::fit_targets(sc.images, st.patches, st.params, {0}, {st.boxes[0]}, held);
  st.params[0] = f[0].params;
  model::record_fit(f[0], st.records[0]);
  return st;
}

TEST(TypeEvidence, PointLikeGalaxyCallOfAStarBecomesAStar) {
  const Scene sc = make_scene(true, 60.0, 0.2, 7);
  State st = galaxy_hypothesis(sc);
  std::printf("  galaxy hypothesis: prob_star %.3f, sigma %.2f px, q %.2f\n",
              st.params[0][param::chi(0)], st.params[0][param::radius],
              st.params[0][param::axis_ratio]);
  ASSERT_LT(st.params[0][param::chi(0)], 0.5);
  const auto call = inference::decide_type_by_evidence(sc.images, st.patches, st.params,
                                                       st.records, st.boxes, 0, st.fit, {});
  std::printf("  evidence: ln odds %.2f (Occam %.2f, %d evaluations), prob_star %.3f\n",
              call.log_odds_star, call.shape_occam, call.shape_evaluations,
              st.params[0][param::chi(0)]);
  EXPECT_TRUE(call.evaluated);
  EXPECT_TRUE(call.flipped);
  EXPECT_GT(st.params[0][param::chi(0)], 0.5);
  EXPECT_GT(call.log_odds_star, 0);
  EXPECT_EQ(call.work.type_evidence_fits, call.work.fits);
}

TEST(TypeEvidence, ResolvedGalaxyStaysAGalaxy) {
  const Scene sc = make_scene(false, 60.0, 2.5, 11);
  State st = galaxy_hypothesis(sc);
  const double sigma = st.params[0][param::radius];
  const auto call = inference::decide_type_by_evidence(sc.images, st.patches, st.params,
                                                       st.records, st.boxes, 0, st.fit, {});
  std::printf("  evidence: ln odds %.2f, prob_star %.3f, sigma %.2f px\n", call.log_odds_star,
              st.params[0][param::chi(0)], st.params[0][param::radius]);
  EXPECT_TRUE(call.evaluated);
  EXPECT_FALSE(call.flipped);
  EXPECT_LT(st.params[0][param::chi(0)], 0.01);
  EXPECT_EQ(st.params[0][param::radius], sigma);  // the galaxy fit is kept
}

TEST(TypeEvidence, StarCallIsLeftAlone) {
  const Scene sc = make_scene(true, 60.0, 0.2, 13);
  State st = galaxy_hypothesis(sc);
  st.params[0][param::chi(0)] = 0.9;
  st.params[0][param::chi(1)] = 0.1;
  const auto before = st.params[0];
  const auto call = inference::decide_type_by_evidence(sc.images, st.patches, st.params,
                                                       st.records, st.boxes, 0, st.fit, {});
  EXPECT_FALSE(call.evaluated);
  EXPECT_EQ(call.work.fits, 0);
  EXPECT_EQ(st.params[0], before);
}

// Where the shape does not change the likelihood, every one-dimensional integral is that of
// its prior alone, 1, so the factor is 0 (a prior normalized wrongly, or φ's period taken as
// 2π, would show here). Where the likelihood pins ln σ to a Gaussian of width w at t0 well
// inside the box, the σ factor is the prior density there times √(2π) w.
TEST(TypeEvidence, OccamIntegralOfKnownLikelihoods) {
  model::SourceParams optimum{};
  optimum[param::frac_dev] = 0.3;
  optimum[param::axis_ratio] = 0.7;
  optimum[param::angle] = 9.5;  // near the box's end: the period wraps
  optimum[param::radius] = 1.5;
  const SourceBounds box = model::target_bounds(20.0, 1.0, 25.0);
  // The integrals ask for points in batches, each point once.
  int calls = 0;
  std::set<std::pair<int, double>> asked;
  auto batched = [&](const std::function<double(int, double)>& delta_l) {
    return [&, delta_l](const std::vector<inference::ShapePoint>& points) {
      std::vector<double> out;
      for (const auto& p : points) {
        ++calls;
        EXPECT_TRUE(asked.insert({p.index, p.value}).second) << "asked twice: " << p.value;
        out.push_back(delta_l(p.index, p.value));
      }
      return out;
    };
  };
  const double flat = inference::shape_occam_integral(
      batched([](int, double) { return 0.0; }), optimum, box, {});
  std::printf("  flat likelihood: %.6f (%d evaluations)\n", flat, calls);
  EXPECT_NEAR(flat, 0.0, 0.01);  // the integrals' relative tolerance
  const double w = 0.05, t0 = std::log(1.5);
  asked.clear();
  const double peaked = inference::shape_occam_integral(
      batched([&](int index, double x) {
        if (index != param::radius) return 0.0;
        const double z = (std::log(x) - t0) / w;
        return -0.5 * z * z;
      }),
      optimum, box, {});
  const double mu = constants::kRadiusPriorMean, v = constants::kRadiusPriorVar;
  const double lo = std::log(box.lo[param::radius]), hi = std::log(box.hi[param::radius]);
  auto cdf = [&](double t) { return 0.5 * std::erfc(-(t - mu) / std::sqrt(2 * v)); };
  const double density = std::exp(-0.5 * (t0 - mu) * (t0 - mu) / v) / std::sqrt(2 * M_PI * v) /
                         (cdf(hi) - cdf(lo));
  const double expected = std::log(density * std::sqrt(2 * M_PI) * w);
  std::printf("  peaked in ln sigma: %.5f, expected %.5f\n", peaked, expected);
  EXPECT_NEAR(peaked, expected, 0.01);
}

// At the point-like galaxy fit of a star, the shape's Occam factor is the prior mass of small
// scales: a clear penalty.
TEST(TypeEvidence, PointLikeGalaxyPaysForItsShape) {
  const Scene sc = make_scene(true, 60.0, 0.2, 7);
  State st = galaxy_hypothesis(sc);
  ASSERT_LT(st.params[0][param::radius], 0.5);
  const model::TargetObjective objective(sc.images, st.patches, st.params, 0, st.boxes[0], st.fit);
  // The value kernel's objective is a zero-iteration fit's, to rounding, at the fit and at a
  // shape away from it (the vectors of one call each get their own value).
  model::SourceParams away = st.params[0];
  away[param::axis_ratio] = 0.7;
  away[param::radius] = 2.5;
  const std::vector<double> values = objective({st.params[0], away});
  for (const auto& [theta, value] : {std::pair{st.params[0], values[0]}, std::pair{away, values[1]}}) {
    std::vector<model::SourceParams> at = st.params;
    at[0] = theta;
    const double f = model::fit_targets(sc.images, st.patches, at, {0}, {st.boxes[0]},
                                        model::evaluation_options(st.fit))[0].result.f_initial;
    EXPECT_NEAR(value, f, 1e-11 * std::fabs(f));
  }
  EXPECT_GT(values[1], values[0] + 1.0);  // the point-like shape fits a star better
  inference::WorkCounters work;
  const double occam = inference::shape_occam_factor(
      objective, st.params[0], st.boxes[0], model::make_color_prior(st.fit.type_prior.data()), {},
      work);
  std::printf("  Occam factor of the point-like galaxy: %.3f (%lld evaluations)\n", occam,
              static_cast<long long>(work.type_evidence_evaluations));
  EXPECT_LT(occam, -2.0);
  EXPECT_GT(work.type_evidence_evaluations, 16);
  EXPECT_EQ(work.elbo_evaluations, work.type_evidence_evaluations);
  EXPECT_EQ(work.fits, 0);
}

}  // namespace
}  // namespace celeste::testing
