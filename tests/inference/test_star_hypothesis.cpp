// The star hypothesis of a blend (inference/star_hypothesis): two stars 3 px apart, fitted by
// block-coordinate passes from a catalog that gave the first most of the pair's light as a
// galaxy, end as a streak galaxy plus a faint star (the failure on the synthetic demo); the
// move must turn them back into two stars with their own fluxes, and must leave a real galaxy
// alone.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "harness/small_scene.hpp"
#include "inference/star_hypothesis.hpp"
#include "model/generator.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"

namespace celeste::testing {
namespace {

struct Blend {
  std::vector<survey::Image> images;
  survey::Catalog truth, initial;
};

// Two stars (or a galaxy and a star) 3 px apart in five bands; the initial catalog has the
// first source as a galaxy holding most of the pair's flux.
Blend make_blend(bool first_is_galaxy) {
  Blend b;
  b.images = small_field_images(48, 48, 3);
  const auto& im0 = b.images.at(0);
  const std::array<std::array<double, 2>, 2> pix{{{23.2, 24.4}, {26.1, 25.2}}};
  const double r[2] = {81.0, 157.0};
  const auto& color = kSceneColors;
  b.truth.resize(2);
  for (int s = 0; s < 2; ++s) {
    auto& e = b.truth[s];
    const auto u = im0.wcs.pix_to_world(pix[s][0], pix[s][1]);
    e.ra = u[0];
    e.dec = u[1];
    e.objid = s + 1;
    e.is_star = !(s == 0 && first_is_galaxy);
    for (int k = 0; k < 5; ++k) e.star_fluxes[k] = e.gal_fluxes[k] = r[s] * color[k];
    e.gal_frac_dev = 0.5;
    e.gal_axis_ratio = e.is_star ? 0.8 : 0.6;
    e.gal_angle = 0.6;
    e.gal_radius_px = e.is_star ? 0.2 : 2.5;
  }
  for (std::size_t n = 0; n < b.images.size(); ++n)
    model::sample_counts(b.images[n], model::render_expected_counts(b.images[n], b.truth),
                         100 + n);
  b.initial = b.truth;
  b.initial[0].is_star = false;
  b.initial[0].gal_radius_px = 1.4;
  for (int k = 0; k < 5; ++k) {
    b.initial[0].star_fluxes[k] = b.initial[0].gal_fluxes[k] = 164.0 * color[k];
    b.initial[1].star_fluxes[k] = b.initial[1].gal_fluxes[k] = 76.0 * color[k];
  }
  return b;
}

struct Fitted {
  model::SurveyPatches patches;
  std::vector<model::SourceParams> params;
  std::vector<survey::SourceResult> records;
  std::vector<SourceBounds> boxes;
};

// Three block-coordinate passes (each source with the other fixed), as the pipeline's rounds.
Fitted fit_passes(const Blend& b) {
  Fitted f;
  f.patches = model::build_patches(b.initial, b.images);
  for (const auto& e : b.initial) {
    f.params.push_back(model::generic_init_params(e));
    f.boxes.push_back(model::target_bounds(e.ra, e.dec, 25.0));
  }
  f.records.resize(2);
  for (int pass = 0; pass < 3; ++pass)
    for (int s = 0; s < 2; ++s) {
      const auto fit = model::fit_targets(b.images, f.patches, f.params, {s}, {f.boxes[s]});
      f.params[s] = fit[0].params;
      model::record_fit(fit[0], f.records[s]);
    }
  return f;
}

double flux_r(const model::SourceParams& p) {
  const int t = p[param::chi(0)] > 0.5 ? 0 : 1;
  return std::exp(p[param::gamma(t)] + 0.5 * p[param::zeta(t)]);
}

TEST(StarHypothesis, BlendedStarsAreSeparated) {
  const Blend b = make_blend(false);
  Fitted f = fit_passes(b);
  std::printf("  after passes: prob_star %.3f / %.3f, r %.1f / %.1f nmgy (truth 81 / 157)\n",
              f.params[0][param::chi(0)], f.params[1][param::chi(0)], flux_r(f.params[0]),
              flux_r(f.params[1]));
  const inference::StarHypothesisOptions opt;
  // The failure the move exists for: passes alone leave the pair mis-shared.
  ASSERT_TRUE(inference::star_hypothesis_candidate(f.params[0], opt))
      << "the block-coordinate fit no longer makes a needle galaxy here; the test needs a "
         "harder blend";
  const auto move = inference::try_star_hypothesis(b.images, f.patches, f.params, f.records,
                                                   f.boxes, {true, true}, 0, {}, opt);
  std::printf("  move: tried %d accepted %d gain %.1f nats, %lld fits; prob_star %.3f / %.3f, "
              "r %.1f / %.1f nmgy\n", move.tried, move.accepted, move.elbo_gain,
              static_cast<long long>(move.work.fits), f.params[0][param::chi(0)],
              f.params[1][param::chi(0)], flux_r(f.params[0]), flux_r(f.params[1]));
  EXPECT_TRUE(move.accepted);
  EXPECT_GT(move.elbo_gain, 0);
  EXPECT_EQ(move.work.star_hypotheses_accepted, 1);
  EXPECT_NEAR(flux_r(f.params[0]), 81.0, 0.1 * 81.0);
  EXPECT_NEAR(flux_r(f.params[1]), 157.0, 0.1 * 157.0);
  EXPECT_GT(f.params[0][param::chi(0)], 0.5);
  EXPECT_GT(f.params[1][param::chi(0)], 0.5);
}

TEST(StarHypothesis, ResolvedGalaxyIsNotACandidate) {
  model::SourceParams p{};
  p[param::chi(0)] = 0.005;
  p[param::chi(1)] = 0.995;
  p[param::axis_ratio] = 0.6;
  p[param::radius] = 2.5;
  EXPECT_FALSE(inference::star_hypothesis_candidate(p, {}));
  p[param::axis_ratio] = 0.01;  // a needle
  EXPECT_TRUE(inference::star_hypothesis_candidate(p, {}));
  p[param::chi(0)] = 0.995;  // already a star
  p[param::chi(1)] = 0.005;
  EXPECT_FALSE(inference::star_hypothesis_candidate(p, {}));
}

}  // namespace
}  // namespace celeste::testing
