// The synthetic survey generator against the model: its expected counts equal the independent
// reference evaluator's ι(ε + Σ ℓ f) and the mean of many Poisson draws matches them within
// the Poisson standard error; `celeste generate` output is deterministic for a seed.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/generator.hpp"
#include "model/reference_elbo.hpp"

namespace celeste::testing {
namespace {

config::GenerateConfig small_config() {
  config::GenerateConfig cfg;
  cfg.bands = {"r"};
  cfg.epochs = 1;
  cfg.width = 36;
  cfg.height = 30;
  cfg.ra_center = 20.0;
  cfg.dec_center = 1.0;
  cfg.psf_components = 2;
  cfg.psf_sigma_px = 1.3;
  return cfg;
}

survey::Catalog three_sources(const survey::Image& im) {
  survey::Catalog cat(3);
  const std::array<std::array<double, 2>, 3> pix{{{12.3, 10.6}, {22.8, 17.1}, {17.5, 22.4}}};
  for (int s = 0; s < 3; ++s) {
    const auto u = im.wcs.pix_to_world(pix[s][0], pix[s][1]);
    auto& e = cat[s];
    e.ra = u[0];
    e.dec = u[1];
    e.is_star = s == 0;
    for (int b = 0; b < 5; ++b) e.star_fluxes[b] = e.gal_fluxes[b] = 3.0 + 4.0 * s + b;
    e.gal_frac_dev = 0.3;
    e.gal_axis_ratio = 0.6;
    e.gal_angle = 0.7 + s;
    e.gal_radius_px = 1.5 + 0.5 * s;
  }
  return cat;
}

// ι(ε + Σ_s ℓ_s f_s) from the test's reference evaluator.
std::vector<double> reference_expected(const survey::Image& im, const survey::Catalog& cat) {
  std::vector<double> F(static_cast<std::size_t>(im.width) * im.height);
  for (int w = 1; w <= im.height; ++w)
    for (int h = 1; h <= im.width; ++h) F[im.index(h, w)] = im.sky[im.index(h, w)];
  for (const auto& e : cat) {
    ReferencePatch patch;
    const auto p0 = im.wcs.world_to_pix(e.ra, e.dec);
    const auto jac = im.wcs.pixel_world_jacobian(e.ra, e.dec);
    patch.geometry.p0[0] = p0[0];
    patch.geometry.p0[1] = p0[1];
    patch.geometry.u0[0] = e.ra;
    patch.geometry.u0[1] = e.dec;
    for (int i = 0; i < 4; ++i) patch.geometry.jac[i] = jac[i];
    for (const auto& k : im.psf)
      patch.psf.push_back({k.weight, {k.mean[0], k.mean[1]}, {k.cov[0], k.cov[1], k.cov[2]}});
    double p[kNumParams] = {};
    p[param::ra] = e.ra;
    p[param::dec] = e.dec;
    p[param::frac_dev] = e.gal_frac_dev;
    p[param::axis_ratio] = e.gal_axis_ratio;
    p[param::angle] = e.gal_angle;
    p[param::radius] = e.gal_radius_px;
    const double flux = (e.is_star ? e.star_fluxes : e.gal_fluxes)[im.band];
    for (int w = 1; w <= im.height; ++w)
      for (int h = 1; h <= im.width; ++h) {
        double fs, fg;
        reference_profiles(patch, p, h, w, fs, fg);
        F[im.index(h, w)] += flux * (e.is_star ? fs : fg);
      }
  }
  for (int w = 1; w <= im.height; ++w)
    for (int h = 1; h <= im.width; ++h) F[im.index(h, w)] *= im.iota[h - 1];
  return F;
}

TEST(Generator, ExpectedCountsMatchReferenceModel) {
  const auto cfg = small_config();
  std::mt19937_64 rng(5);
  auto images = model::make_image_geometry(cfg, rng);
  ASSERT_EQ(images.size(), 1u);
  const auto cat = three_sources(images[0]);
  const auto F = model::render_expected_counts(images[0], cat);
  const auto R = reference_expected(images[0], cat);
  double worst = 0;
  for (std::size_t i = 0; i < F.size(); ++i) worst = std::fmax(worst, std::fabs(F[i] - R[i]) / R[i]);
  EXPECT_LE(worst, 1e-8);
  std::printf("  expected counts vs reference: worst relative difference %.2e\n", worst);
}

TEST(Generator, MeanOfDrawsMatchesExpectedWithinPoissonError) {
  const auto cfg = small_config();
  std::mt19937_64 rng(6);
  auto images = model::make_image_geometry(cfg, rng);
  const auto cat = three_sources(images[0]);
  const auto R = reference_expected(images[0], cat);
  const auto F = model::render_expected_counts(images[0], cat);
  const int draws = 400;
  std::vector<double> sum(R.size(), 0.0);
  for (int d = 0; d < draws; ++d) {
    model::sample_counts(images[0], F, 1000 + d);
    for (std::size_t i = 0; i < R.size(); ++i) sum[i] += images[0].pixels[i];
  }
  double chi2 = 0, worst_z = 0;
  for (std::size_t i = 0; i < R.size(); ++i) {
    const double z = (sum[i] / draws - R[i]) / std::sqrt(R[i] / draws);
    chi2 += z * z;
    worst_z = std::fmax(worst_z, std::fabs(z));
  }
  const double n = static_cast<double>(R.size());
  std::printf("  %d draws, %zu pixels: chi2/n = %.3f, max |z| = %.2f\n", draws, R.size(),
              chi2 / n, worst_z);
  EXPECT_NEAR(chi2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_LT(worst_z, 5.0);
}

TEST(Generator, SameSeedSameSurvey) {
  auto cfg = small_config();
  cfg.source_count = 20;
  cfg.seed = 99;
  const auto a = model::generate_survey(cfg), b = model::generate_survey(cfg);
  ASSERT_EQ(a.truth.size(), 20u);
  for (std::size_t i = 0; i < a.truth.size(); ++i) EXPECT_EQ(a.truth[i].ra, b.truth[i].ra);
  EXPECT_EQ(a.images[0].pixels, b.images[0].pixels);
  cfg.seed = 100;
  const auto c = model::generate_survey(cfg);
  EXPECT_NE(a.images[0].pixels, c.images[0].pixels);
}

// A 3 x 2 mosaic: one image per field and band, neighbouring fields share exactly
// field_overlap_px pixels of sky, and the sources cover the whole mosaic, not one field.
TEST(Generator, MosaicFieldsTileTheSkyWithTheirOverlap) {
  auto cfg = small_config();
  cfg.fields_x = 3;
  cfg.fields_y = 2;
  cfg.field_overlap_px = 6;
  cfg.source_count = 200;
  const auto s = model::generate_survey(cfg);
  ASSERT_EQ(s.images.size(), 6u);
  for (int f = 0; f < 6; ++f) EXPECT_EQ(s.images[f].field, f);
  // Field 1 is field 0 moved by width - overlap along h; field 3 by height - overlap along w.
  const auto& f0 = s.images[0].wcs;
  const auto a = f0.pix_to_world(cfg.width - cfg.field_overlap_px + 1.0, 7.0);
  const auto in1 = s.images[1].wcs.world_to_pix(a[0], a[1]);
  EXPECT_NEAR(in1[0], 1.0, 1e-6);
  EXPECT_NEAR(in1[1], 7.0, 1e-6);
  const auto b = f0.pix_to_world(5.0, cfg.height - cfg.field_overlap_px + 1.0);
  const auto in3 = s.images[3].wcs.world_to_pix(b[0], b[1]);
  EXPECT_NEAR(in3[0], 5.0, 1e-6);
  EXPECT_NEAR(in3[1], 1.0, 1e-6);
  // Every field holds sources, and every source is inside some field.
  std::vector<int> per_field(6, 0);
  for (const auto& e : s.truth) {
    int inside = 0;
    for (int f = 0; f < 6; ++f) {
      const auto p = s.images[f].wcs.world_to_pix(e.ra, e.dec);
      if (p[0] >= 0.5 && p[0] <= cfg.width + 0.5 && p[1] >= 0.5 && p[1] <= cfg.height + 0.5) {
        ++per_field[f];
        ++inside;
      }
    }
    EXPECT_GE(inside, 1) << "a source off the mosaic at " << e.ra << ", " << e.dec;
  }
  for (int f = 0; f < 6; ++f) EXPECT_GT(per_field[f], 10) << "field " << f;
  // One field is the survey as before (same draws).
  auto one = small_config();
  one.source_count = 20;
  auto one_again = one;
  one_again.fields_x = one_again.fields_y = 1;
  one_again.field_overlap_px = 3;
  EXPECT_EQ(model::generate_survey(one).images[0].pixels,
            model::generate_survey(one_again).images[0].pixels);
}

}  // namespace
}  // namespace celeste::testing

namespace celeste::testing {
namespace {

// Galaxy orientation on the sky from the pixel angle: with RA increasing towards −h (CD1_1 < 0,
// the usual east-left orientation) a major axis along +h points west (PA 90 mod 180) and one
// along +w points north (PA 0); a 30° image rotation shifts the PA by 30°.
TEST(SkyPositionAngle, FollowsTheWcs) {
  const double s = 0.396 / 3600;
  for (double rot_deg : {0.0, 30.0}) {
    const double r = rot_deg * M_PI / 180;
    const survey::Wcs wcs({100, 100}, {30.0, 10.0},
                             {{{-s * std::cos(r), s * std::sin(r)}, {s * std::sin(r), s * std::cos(r)}}});
    const auto jac = wcs.pixel_world_jacobian(30.0, 10.0);
    const double along_h = survey::sky_position_angle_deg(0.0, jac, 10.0);
    const double along_w = survey::sky_position_angle_deg(M_PI / 2, jac, 10.0);
    EXPECT_NEAR(std::fmod(along_h - rot_deg + 360.0, 180.0), 90.0, 0.05) << rot_deg;
    EXPECT_NEAR(std::fmod(along_w - rot_deg + 180.0 + 0.01, 180.0) - 0.01, 0.0, 0.05) << rot_deg;
  }
}

}  // namespace
}  // namespace celeste::testing
