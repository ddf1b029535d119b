// Real data (issue 6): Celeste.jl's multi-epoch Stripe 82 stamps (17 epochs × 5 bands, 51×51
// px, 3-component PSF mixtures in the headers; ../shared/data/sdss/celeste-stamps). The central
// nearly edge-on galaxy is fitted from the generic initialization at the coadd position, with
// the other coadd source held fixed at its coadd values, and compared with the coadd truth
// (README: r expflux 7.09 nmgy, theta_exp 2.0", ab_exp 0.15, phi_exp 169.7°):
// position within 0.2", r-band flux within 10 %, axis ratio within 0.05, angle within 5°.
// Skips when the shared data is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "harness/shared_data.hpp"
#include "io/fits_file.hpp"
#include "io/generic_images.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"
#include "model/source_fit.hpp"

namespace celeste::testing {
namespace {

constexpr double kArcsecPerPx = 0.396;

// The coadd truth of the stamp (flux-based columns, unlike the mag-based coadd extracts that
// score::read_coadd_truth reads): catalog entries converted as model.md §8.1 does for photoObj.
survey::Catalog read_stamp_truth(const std::string& path) {
  io::FitsFile f = io::FitsFile::open_read(path);
  f.move_to(2);
  const auto ra = f.read_column_double("ra"), dec = f.read_column_double("dec");
  const auto frac_dev = f.read_column_double("frac_dev");
  const auto ab_dev = f.read_column_double("ab_dev"), ab_exp = f.read_column_double("ab_exp");
  const auto phi_dev = f.read_column_double("phi_dev"), phi_exp = f.read_column_double("phi_exp");
  const auto th_dev = f.read_column_double("theta_dev"),
             th_exp = f.read_column_double("theta_exp");
  const char* bands = "ugriz";
  survey::Catalog cat(ra.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    auto& e = cat[i];
    e.ra = ra[i];
    e.dec = dec[i];
    e.is_star = false;  // both coadd sources are galaxies (README)
    const double fd = frac_dev[i];
    for (int b = 0; b < kNumBands; ++b) {
      const std::string s(1, bands[b]);
      const double psf = f.read_column_double("psfflux_" + s)[i];
      const double dev = f.read_column_double("devflux_" + s)[i];
      const double exp = f.read_column_double("expflux_" + s)[i];
      e.star_fluxes[b] = std::max(psf, 1e-6);
      e.gal_fluxes[b] = fd * std::max(dev, 1e-6) + (1 - fd) * std::max(exp, 1e-6);
    }
    const bool dev = fd > 0.5;
    e.gal_frac_dev = fd;
    e.gal_axis_ratio = dev ? ab_dev[i] : ab_exp[i];
    e.gal_angle = (dev ? phi_dev[i] : phi_exp[i]) * M_PI / 180.0;
    e.gal_radius_px = std::max(dev ? th_dev[i] : th_exp[i], 1.0 / 30) / kArcsecPerPx;
  }
  return cat;
}

// The model's φ is in pixel coordinates: the major axis points along (cos φ, sin φ) in (h, w)
// (model.md §2.5). The coadd's phi is a sky position angle, degrees east of north. Convert φ
// through the image's WCS Jacobian: on these stamps (CD1_1 < 0, CD2_2 > 0: h points west, w
// north) PA = φ − 90°.
double position_angle_deg(double phi, const survey::Image& image, double ra, double dec) {
  const auto J = image.wcs.pixel_world_jacobian(ra, dec);  // ∂(h, w)/∂(ra, dec)
  const double det = J[0] * J[3] - J[1] * J[2];
  const double dh = std::cos(phi), dw = std::sin(phi);
  const double dra = (J[3] * dh - J[1] * dw) / det, ddec = (-J[2] * dh + J[0] * dw) / det;
  const double east = dra * std::cos(dec * M_PI / 180.0), north = ddec;
  return std::fmod(std::atan2(east, north) * 180.0 / M_PI + 360.0, 180.0);
}

// Angle difference modulo 180°, in [0, 90].
double angle_diff_deg(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

TEST(SourceFitStamps, Stripe82EdgeOnGalaxy) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/celeste-stamps");
  std::vector<survey::Image> images;
  for (const char* b : {"u", "g", "r", "i", "z"}) {
    auto im = io::read_generic_images(shared_data_path(std::string("sdss/celeste-stamps/stamp-") +
                                                       b + "-5.0073-0.0739.fits"));
    images.insert(images.end(), im.begin(), im.end());
  }
  ASSERT_EQ(images.size(), 85u);
  const auto truth = read_stamp_truth(shared_data_path("sdss/celeste-stamps/cat-s82-5.0073-0.0739.fits"));
  ASSERT_EQ(truth.size(), 2u);
  // The target: the source nearest the stamp centre.
  const int target = std::hypot(truth[0].ra - 5.007329, truth[0].dec - 0.073941) <
                             std::hypot(truth[1].ra - 5.007329, truth[1].dec - 0.073941)
                         ? 0
                         : 1;
  const auto& e = truth[target];
  const auto patches = model::build_patches(truth, images);
  std::vector<model::SourceParams> params;
  for (const auto& t : truth) params.push_back(model::catalog_init_params(t));
  params[target] = model::generic_init_params(e);
  const auto fits = model::fit_targets(images, patches, params, {target},
                                       {model::target_bounds(e.ra, e.dec)});
  const auto& f = fits[0];
  const auto& p = f.params;
  const double cos_dec = std::cos(e.dec * M_PI / 180.0);
  const double dpos_arcsec =
      3600.0 * std::hypot((p[param::ra] - e.ra) * cos_dec, p[param::dec] - e.dec);
  const double flux_r = std::exp(p[param::gamma(1)]);
  const double fitted_angle = position_angle_deg(p[param::angle], images[2 * 17], e.ra, e.dec);
  const double truth_angle = std::fmod(e.gal_angle * 180.0 / M_PI + 3600.0, 180.0);
  std::printf("  %ld active pixel visits in %zu images; status %d, %d iterations, flags %u\n",
              f.active_visits, images.size(), f.result.status, f.result.iterations,
              f.result.failure_flags);
  std::printf("  position offset %.3f\" (LR sd ra %.3f\" dec %.3f\")\n", dpos_arcsec,
              3600 * f.lr_sd[param::ra] * cos_dec, 3600 * f.lr_sd[param::dec]);
  std::printf("  P(galaxy) %.3f; r flux %.3f nmgy (truth %.3f, ratio %.3f; LR sd of ln r %.3f, "
              "mean-field %.3f)\n",
              p[param::chi(1)], flux_r, e.gal_fluxes[kRefBand], flux_r / e.gal_fluxes[kRefBand],
              f.lr_sd[param::gamma(1)], std::sqrt(p[param::zeta(1)]));
  std::printf("  axis ratio %.3f (truth %.3f, LR sd %.3f); position angle %.1f deg E of N (truth %.1f, "
              "LR sd %.1f); frac_dev %.3f (truth %.3f); radius σ·sqrt(ρ) %.2f px, σ %.2f px (truth "
              "theta %.2f px)\n",
              p[param::axis_ratio], e.gal_axis_ratio, f.lr_sd[param::axis_ratio], fitted_angle,
              truth_angle, f.lr_sd[param::angle] * 180 / M_PI, p[param::frac_dev],
              e.gal_frac_dev, p[param::radius] * std::sqrt(p[param::axis_ratio]),
              p[param::radius], e.gal_radius_px);
  for (int j = 0; j < kNumColors; ++j)
    std::printf("  colour %d: %.3f (truth %.3f, LR sd %.3f)\n", j, p[param::beta(1, j)],
                std::log(e.gal_fluxes[j + 1] / e.gal_fluxes[j]), f.lr_sd[param::beta(1, j)]);
  EXPECT_EQ(f.result.status, optimizer::converged);
  EXPECT_GT(p[param::chi(1)], 0.5);
  EXPECT_LT(dpos_arcsec, 0.2);
  EXPECT_NEAR(flux_r / e.gal_fluxes[kRefBand], 1.0, 0.10);
  EXPECT_NEAR(p[param::axis_ratio], e.gal_axis_ratio, 0.05);
  EXPECT_LT(angle_diff_deg(fitted_angle, truth_angle), 5.0);
}

}  // namespace
}  // namespace celeste::testing
