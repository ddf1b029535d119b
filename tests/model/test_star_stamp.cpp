// The pixelized star profile (kernels/celeste/model/star_stamp.hpp, model variant K):
//   - the spline interpolates the normalized stamp at every grid node and integrates to 1;
//   - a PSF elongated along a known direction keeps that direction through the eigen-PSF
//     reconstruction, the mixture fit and the star stamp (no transposition, no sign flip of
//     the correlation term);
//   - model images: a synthetic field rendered from its own truth leaves chi ~ N(0, 1);
//   - stars rendered with the real psField PSF of SDSS 94/1/12 and started as galaxies are
//     fitted as stars (they were galaxies with the mixture-only star profile, variant P).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "celeste/model/star_stamp.hpp"
#include "harness/shared_data.hpp"
#include "io/fits_file.hpp"
#include "io/model_images.hpp"
#include "io/psf_fit.hpp"
#include "io/sdss_field.hpp"
#include "model/generator.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"
#include "model/render.hpp"
#include "model/source_fit.hpp"

namespace celeste::testing {
namespace {

// Second-moment orientation (degrees from h towards w) and ellipticity of a row-major [w][h]
// n x n stamp about its centre.
struct Moments {
  double angle_deg, ellipticity;
};
Moments stamp_moments(const std::vector<double>& s, int n) {
  const double c = 0.5 * (n - 1);
  double hh = 0, hw = 0, ww = 0, sum = 0;
  for (int w = 0; w < n; ++w)
    for (int h = 0; h < n; ++h) {
      const double v = s[static_cast<std::size_t>(w) * n + h];
      sum += v;
      hh += v * (h - c) * (h - c);
      hw += v * (h - c) * (w - c);
      ww += v * (w - c) * (w - c);
    }
  const double e1 = (hh - ww) / (hh + ww), e2 = 2 * hw / (hh + ww);
  return {0.5 * std::atan2(e2, e1) * 180 / M_PI, std::hypot(e1, e2)};
}

std::vector<double> elliptical_stamp(int n, double angle_deg, double major, double minor) {
  const double c = 0.5 * (n - 1), a = angle_deg * M_PI / 180;
  std::vector<double> s(static_cast<std::size_t>(n) * n);
  for (int w = 0; w < n; ++w)
    for (int h = 0; h < n; ++h) {
      const double dh = h - c, dw = w - c;
      const double u = dh * std::cos(a) + dw * std::sin(a), v = -dh * std::sin(a) + dw * std::cos(a);
      s[static_cast<std::size_t>(w) * n + h] =
          std::exp(-0.5 * (u * u / (major * major) + v * v / (minor * minor)));
    }
  return s;
}

TEST(StarStamp, InterpolatesTheNormalizedStampAndHasUnitFlux) {
  const int n = 25;
  std::vector<double> stamp = elliptical_stamp(n, 20.0, 2.0, 1.4);
  stamp[3] = -0.01;  // a negative wing value is clipped
  const auto coeffs = model::star_stamp_coefficients(stamp, n);
  double total = 0;
  for (double v : stamp) total += std::max(v, 0.0) + model::kStampFloor;
  double worst = 0, sum = 0;
  const double c = 0.5 * (n - 1);
  for (int w = 0; w < n; ++w)
    for (int h = 0; h < n; ++h) {
      const double expect = (std::max(stamp[w * n + h], 0.0) + model::kStampFloor) / total;
      const double got = model::star_stamp_value(coeffs.data(), n, h - c, w - c);
      worst = std::max(worst, std::abs(got - expect) / expect);
      sum += got;
    }
  std::printf("max relative node error %.2e, node sum %.15f\n", worst, sum);
  EXPECT_LT(worst, 1e-12);
  EXPECT_NEAR(sum, 1.0, 1e-12);
  // Off the grid: zero.
  EXPECT_EQ(model::star_stamp_value(coeffs.data(), n, c + 0.01, 0.0), 0.0);
  // Between nodes the value and derivatives are those of a smooth interpolant: central
  // differences of the value reproduce the analytic gradient and Hessian.
  const double dh = 0.37, dw = -1.21, e = 1e-5;
  double f, g[2], H[3];
  model::star_stamp_profile(coeffs.data(), n, dh, dw, f, g, H);
  auto val = [&](double a, double b) { return model::star_stamp_value(coeffs.data(), n, a, b); };
  EXPECT_NEAR(g[0], (val(dh + e, dw) - val(dh - e, dw)) / (2 * e), 1e-8 * std::abs(f));
  EXPECT_NEAR(g[1], (val(dh, dw + e) - val(dh, dw - e)) / (2 * e), 1e-8 * std::abs(f));
  const double e2 = 1e-4;
  EXPECT_NEAR(H[0], (val(dh + e2, dw) - 2 * f + val(dh - e2, dw)) / (e2 * e2), 1e-5 * std::abs(f));
  EXPECT_NEAR(H[1], (val(dh + e2, dw + e2) - val(dh + e2, dw - e2) - val(dh - e2, dw + e2) +
                     val(dh - e2, dw - e2)) / (4 * e2 * e2), 1e-5 * std::abs(f));
  EXPECT_NEAR(H[2], (val(dh, dw + e2) - 2 * f + val(dh, dw - e2)) / (e2 * e2), 1e-5 * std::abs(f));
}

TEST(StarStamp, KnownElongationSurvivesReconstructionFitAndRendering) {
  const int n = 51;
  const double angle = 30.0;  // degrees from h (columns) towards w (rows)
  survey::EigenPsf psf;
  psf.nrow_b = psf.ncol_b = 1;
  psf.rnrow = psf.rncol = n;
  psf.eigen.push_back(elliptical_stamp(n, angle, 2.0, 1.3));
  std::array<double, 25> c{};
  c[0] = 1.0 / (2 * M_PI * 2.0 * 1.3);
  psf.coeffs.push_back(c);
  const auto stamp = psf.stamp_at(700.0, 1000.0);
  const Moments m_stamp = stamp_moments(stamp, n);
  const auto mix = io::fit_psf_mixture(stamp, n, n, 2);
  double hh = 0, hw = 0, ww = 0;
  for (const auto& k : mix.components) {
    hh += k.weight * (k.cov[0] + k.mean[0] * k.mean[0]);
    hw += k.weight * (k.cov[1] + k.mean[0] * k.mean[1]);
    ww += k.weight * (k.cov[2] + k.mean[1] * k.mean[1]);
  }
  const double mix_angle = 0.5 * std::atan2(2 * hw, hh - ww) * 180 / M_PI;
  const auto coeffs = model::star_stamp_coefficients(stamp, n);
  std::vector<double> rendered(static_cast<std::size_t>(n) * n);
  for (int w = 0; w < n; ++w)
    for (int h = 0; h < n; ++h)
      rendered[w * n + h] = model::star_stamp_value(coeffs.data(), n, h - 25.0, w - 25.0);
  const Moments m_render = stamp_moments(rendered, n);
  std::printf("angle: stamp %.3f, mixture %.3f, star stamp %.3f (expected %.1f)\n",
              m_stamp.angle_deg, mix_angle, m_render.angle_deg, angle);
  EXPECT_NEAR(m_stamp.angle_deg, angle, 0.01);
  EXPECT_NEAR(mix_angle, angle, 0.1);
  EXPECT_NEAR(m_render.angle_deg, angle, 0.1);
}

config::GenerateConfig small_survey() {
  config::GenerateConfig cfg;
  cfg.seed = 7;
  cfg.bands = {"g", "r"};
  cfg.width = 96;
  cfg.height = 80;
  cfg.ra_center = 1.0;
  cfg.dec_center = 0.2;
  cfg.source_count = 12;
  return cfg;
}

TEST(ModelImages, TruthRenderingLeavesUnitChi) {
  const auto survey = model::generate_survey(small_survey());
  std::vector<model::SourceParams> truth;
  for (const auto& e : survey.truth) truth.push_back(model::point_parameters(e));
  const std::string dir = scratch_dir("model_images");
  for (std::size_t n = 0; n < survey.images.size(); ++n) {
    const auto& im = survey.images[n];
    const std::string path = dir + "/model-" + std::to_string(n) + ".fits";
    io::write_model_image(path, im, model::render_sources_nmgy(im, truth, model::PatchOptions{}));
    io::FitsFile f = io::FitsFile::open_read(path);
    f.move_to(4);
    EXPECT_EQ(f.read_string("EXTNAME"), "CHI");
    EXPECT_DOUBLE_EQ(f.read_double("CRVAL1"), im.wcs.crval()[0]);
    const auto chi = f.read_image_double();
    ASSERT_EQ(chi.width, im.width);
    double s = 0, s2 = 0;
    for (double v : chi.data) {
      s += v;
      s2 += v * v;
    }
    const double N = static_cast<double>(chi.data.size());
    const double mean = s / N, sd = std::sqrt(s2 / N - mean * mean);
    std::printf("image %zu: chi mean %.4f sd %.4f over %.0f pixels\n", n, mean, sd, N);
    EXPECT_LT(std::abs(mean), 4.0 / std::sqrt(N));
    EXPECT_NEAR(sd, 1.0, 0.03);
    // MODEL + RESID = DATA.
    f.move_to(1);
    const auto data = f.read_image_double();
    f.move_to(2);
    const auto model = f.read_image_double();
    // Where the sources are (model > 0.1 sky) the chi must be unit too: most pixels are sky
    // and would hide a wrong source model.
    double b = 0, b2 = 0, nb = 0;
    for (std::size_t i = 0; i < chi.data.size(); ++i)
      if (model.data[i] > 0.1 * im.sky[i]) {
        b += chi.data[i];
        b2 += chi.data[i] * chi.data[i];
        ++nb;
      }
    std::printf("image %zu: source-dominated pixels %.0f: chi mean %.4f rms %.4f\n", n, nb, b / nb,
                std::sqrt(b2 / nb));
    ASSERT_GT(nb, 100);
    EXPECT_LT(std::abs(b / nb), 4.0 / std::sqrt(nb));
    EXPECT_NEAR(std::sqrt(b2 / nb), 1.0, 0.1);
    f.move_to(3);
    const auto resid = f.read_image_double();
    for (std::size_t i = 0; i < data.data.size(); i += 97)
      EXPECT_NEAR(data.data[i], model.data[i] + resid.data[i], 1e-4 * (1 + std::abs(data.data[i])));
  }
}

// Bright stars rendered with the real r-band psField PSF of 94/1/12 into a 240 x 64 cut of the
// frame's geometry (its WCS, calibration and sky), Poisson noise, then fitted starting as
// galaxies.
TEST(StarStamp, RealPsfStarsStartedAsGalaxiesAreStars) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const auto frames =
      io::read_sdss_field(shared_data_path("sdss/stripe82-94-1-12"), 94, 1, 12, {"r"}, 2);
  survey::Image im = frames[0];
  const float sky = im.sky[im.index(im.width / 2, im.height / 2)];
  im.width = 240;
  im.height = 64;
  im.iota.resize(im.width);
  im.sky.assign(static_cast<std::size_t>(im.width) * im.height, sky);
  survey::Catalog stars;
  const double r_mags[] = {16.0, 17.0, 18.0, 19.0};
  for (int k = 0; k < 4; ++k) {
    const auto radec = im.wcs.pix_to_world(30.3 + 60 * k, 32.6);
    survey::CatalogEntry e;
    e.ra = radec[0];
    e.dec = radec[1];
    e.is_star = true;
    const double r = std::pow(10.0, (22.5 - r_mags[k]) / 2.5);
    e.star_fluxes = {0.4 * r, 0.8 * r, r, 1.1 * r, 1.2 * r};
    e.gal_fluxes = e.star_fluxes;
    stars.push_back(e);
  }
  std::vector<model::SourceParams> truth;
  for (const auto& e : stars) truth.push_back(model::point_parameters(e));
  model::PatchOptions variant_k;
  auto expected = model::render_sources_nmgy(im, truth, variant_k);
  for (int w = 1; w <= im.height; ++w)
    for (int h = 1; h <= im.width; ++h) {
      const std::size_t i = im.index(h, w);
      expected[i] = (expected[i] + im.sky[i]) * im.iota[h - 1];
    }
  model::sample_counts(im, expected, 94112);
  const std::vector<survey::Image> images{im};
  survey::Catalog init = stars;
  for (auto& e : init) e.is_star = false;  // the type must come from the pixels
  for (bool pixelized : {true, false}) {
    model::PatchOptions po;
    po.pixelized_stars = pixelized;
    const auto patches = model::build_patches(init, images, po);
    std::vector<model::SourceParams> params;
    std::vector<SourceBounds> boxes;
    for (const auto& e : init) {
      params.push_back(model::generic_init_params(e));
      boxes.push_back(model::target_bounds(e.ra, e.dec));
    }
    const auto fits = model::fit_targets(images, patches, params, {0, 1, 2, 3}, boxes);
    for (int k = 0; k < 4; ++k) {
      const double p = fits[k].params[param::chi(0)];
      std::printf("%s star profile: r = %.0f star fitted with prob_star %.3f\n",
                  pixelized ? "pixelized" : "mixture  ", r_mags[k], p);
      if (pixelized) EXPECT_GT(p, 0.5) << "r = " << r_mags[k];
    }
  }
}

}  // namespace
}  // namespace celeste::testing
