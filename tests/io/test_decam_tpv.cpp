// The DECam cut-out's TPV WCS (issue 15 "done when"): its two DECaLS DR3 Tractor sources land
// on their light in the image. ../shared/data/decam/tractor-example-520206-S16 (data README §6):
// a 70 x 70 z-band cut-out in ADU with sky, RA---TPV / DEC--TPV with PV1_* / PV2_* terms.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"
#include "celeste/model/linear_wcs.hpp"
#include "celeste/param_layout.hpp"
#include "io/fits_file.hpp"
#include "io/fits_wcs.hpp"

namespace celeste::io {
namespace {

using celeste::testing::shared_data_path;

const char* kDir = "decam/tractor-example-520206-S16";

// Light-weighted centroid: the first moment of the sky-subtracted light inside a circle of
// radius `radius` px, iterated from `start` until the circle stops moving (1-based pixels).
std::array<double, 2> light_centroid(const FitsImage& img, double sky, std::array<double, 2> start,
                                     double radius) {
  std::array<double, 2> c = start;
  for (int it = 0; it < 100; ++it) {
    double sum = 0, sh = 0, sw = 0;
    for (long w = 1; w <= img.height; ++w)
      for (long h = 1; h <= img.width; ++h) {
        if (std::hypot(h - c[0], w - c[1]) >= radius) continue;
        const double v = img.data[(w - 1) * img.width + (h - 1)] - sky;
        sum += v;
        sh += v * h;
        sw += v * w;
      }
    const std::array<double, 2> next{sh / sum, sw / sum};
    const double moved = std::hypot(next[0] - c[0], next[1] - c[1]);
    c = next;
    if (moved < 1e-9) break;
  }
  return c;
}

TEST(DecamTpv, TractorSourcesLandOnTheirLight) {
  CELESTE_REQUIRE_SHARED_DATA(kDir);
  FitsFile image = FitsFile::open_read(shared_data_path(std::string(kDir) +
                                                        "/decam-520206-S16-image-sub.fits"));
  image.move_to(2);
  ASSERT_EQ(image.read_string("CTYPE1"), "RA---TPV");
  const survey::Wcs wcs = read_wcs(image);
  const FitsImage img = image.read_image();
  std::vector<float> sorted = img.data;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double sky = sorted[sorted.size() / 2];  // the cut-out is mostly sky (~8240 ADU)

  FitsFile catalog =
      FitsFile::open_read(shared_data_path(std::string(kDir) + "/tractor-1816p325-sub.fits"));
  catalog.move_to(2);
  const auto ra = catalog.read_column_double("ra");
  const auto dec = catalog.read_column_double("dec");
  const auto type = catalog.read_column_string("type");
  ASSERT_EQ(ra.size(), 2u);
  // The window is the PSF's FWHM (header FWHM = 5.5 px). The compact source (SIMP, 8 nmgy) must
  // land within the 0.3 px (measured 0.17). The DEV galaxy (62.7 nmgy) lands 0.42 px
  // from its light, and that offset is the catalog's, not the WCS's nor the centroid's
  // (docs/decisions.md, issue 15, "DECam cut-out"): our pixels are astropy's to 4e-13 px
  // (TractorSourcePixelsAgreeWithAstropy); the centroid's noise on this image is 0.09 px per
  // axis; a fit of Tractor's own model puts both sources ~0.3 px in -x of their catalog pixels
  // (consistent with a per-CCD astrometric offset the survey applies and this header lacks), and
  // DR3 left out an 11 nmgy neighbour that pulls the DEV fit. So the DEV keeps half a pixel, which still catches the
  // WCS mistakes this guards against: no TPV distortion puts the sources 22 px away, a
  // half-pixel convention slip moves the SIMP 0.55 px.
  const double radius = image.read_double("FWHM");
  for (std::size_t s = 0; s < ra.size(); ++s) {
    const auto p = wcs.world_to_pix(ra[s], dec[s]);
    ASSERT_TRUE(p[0] > 1 && p[0] < img.width && p[1] > 1 && p[1] < img.height)
        << type[s] << " at pixel " << p[0] << ", " << p[1] << " is off the cut-out";
    const auto c = light_centroid(img, sky, p, radius);
    const double off = std::hypot(c[0] - p[0], c[1] - p[1]);
    std::printf("%s: TPV pixel (%.3f, %.3f), light centroid (%.3f, %.3f): %.3f px\n",
                type[s].c_str(), p[0], p[1], c[0], c[1], off);
    EXPECT_LT(off, type[s] == "DEV" ? 0.5 : 0.3) << type[s];
  }
}

// Our pixel coordinates of the two Tractor sources against astropy's (its own reading of the
// header, origin 1 as ours), an independent check that the light-centroid offsets above are
// not ours: Debian's python3-astropy (scripts/setup) must be there, so a missing one fails.
TEST(DecamTpv, TractorSourcePixelsAgreeWithAstropy) {
  CELESTE_REQUIRE_SHARED_DATA(kDir);
  const std::string image_path =
      shared_data_path(std::string(kDir) + "/decam-520206-S16-image-sub.fits");
  const std::string catalog_path =
      shared_data_path(std::string(kDir) + "/tractor-1816p325-sub.fits");
  const celeste::testing::CommandResult py = celeste::testing::run_shell(
      "/usr/bin/python3 -c \"import sys; from astropy.io import fits; from astropy.wcs import WCS; "
      "w = WCS(fits.getheader(sys.argv[1], 1)); t = fits.getdata(sys.argv[2], 1); "
      "x, y = w.all_world2pix(t['ra'], t['dec'], 1); "
      "print(' '.join('%.12f %.12f' % p for p in zip(x, y)))\" " +
      image_path + " " + catalog_path);
  ASSERT_EQ(py.status, 0) << "astropy (python3-astropy) could not be run: " << py.output;
  double theirs[4] = {0, 0, 0, 0};
  ASSERT_EQ(std::sscanf(py.output.c_str(), "%lf %lf %lf %lf", &theirs[0], &theirs[1], &theirs[2],
                        &theirs[3]),
            4)
      << py.output;
  FitsFile image = FitsFile::open_read(image_path);
  image.move_to(2);
  const survey::Wcs wcs = read_wcs(image);
  FitsFile catalog = FitsFile::open_read(catalog_path);
  catalog.move_to(2);
  const auto ra = catalog.read_column_double("ra");
  const auto dec = catalog.read_column_double("dec");
  ASSERT_EQ(ra.size(), 2u);
  double worst = 0;
  for (std::size_t s = 0; s < 2; ++s) {
    const auto p = wcs.world_to_pix(ra[s], dec[s]);
    worst = std::max(worst, std::hypot(p[0] - theirs[2 * s], p[1] - theirs[2 * s + 1]));
  }
  std::printf("TPV pixels of the Tractor sources: largest difference from astropy %.3g px\n",
              worst);
  // Two codes cannot agree better than the doubles allow: an ulp of RA 181.6 deg is 2.8e-14 deg,
  // 3.9e-10 px at 0.262"/px (measured 4.4e-13 px).
  EXPECT_LT(worst, 1e-9);
}

// The kernels' local linear WCS (a patch's p0 + J (u - u0), linear_wcs.hpp, with J from
// pixel_world_jacobian) stays within 1e-3 px of the TPV WCS over a 25 px patch radius (the
// largest patch, model/patches.hpp), anywhere on the cut-out. Measured: 3.7e-4 px.
TEST(DecamTpv, PatchLinearizationFollowsTheDistortion) {
  CELESTE_REQUIRE_SHARED_DATA(kDir);
  FitsFile image = FitsFile::open_read(shared_data_path(std::string(kDir) +
                                                        "/decam-520206-S16-image-sub.fits"));
  image.move_to(2);
  const survey::Wcs wcs = read_wcs(image);
  double worst = 0;
  for (double h0 : {1.0, 35.0, 70.0})
    for (double w0 : {1.0, 35.0, 70.0}) {
      const auto u0 = wcs.pix_to_world(h0, w0);
      const auto jac = wcs.pixel_world_jacobian(u0[0], u0[1]);
      const double p0[2] = {h0, w0}, uu0[2] = {u0[0], u0[1]};
      for (int a = -25; a <= 25; a += 5)
        for (int b = -25; b <= 25; b += 5) {
          if (a * a + b * b > 625) continue;
          const auto u = wcs.pix_to_world(h0 + a, w0 + b);
          double theta[kNumParams] = {};
          theta[param::ra] = u[0];
          theta[param::dec] = u[1];
          double c[2];
          model::source_center(theta, p0, uu0, jac.data(), c);
          worst = std::max(worst, std::hypot(c[0] - (h0 + a), c[1] - (w0 + b)));
        }
    }
  std::printf("TPV: linear patch WCS max error over a 25 px radius %.3g px\n", worst);
  EXPECT_LT(worst, 1e-3);
}

// The TPV WCS as write_wcs writes it (WCSLIB's PV keywords, CD matrix) reads back the same.
TEST(DecamTpv, WrittenTpvHeaderReadsBack) {
  CELESTE_REQUIRE_SHARED_DATA(kDir);
  FitsFile image = FitsFile::open_read(shared_data_path(std::string(kDir) +
                                                        "/decam-520206-S16-image-sub.fits"));
  image.move_to(2);
  const survey::Wcs wcs = read_wcs(image);
  const std::string out = celeste::testing::scratch_dir("decam_tpv") + "/written.fits";
  {
    FitsFile f = FitsFile::create(out);
    f.append_image(70, 70, std::vector<float>(70 * 70, 0.0f));
    write_wcs(f, wcs);
    f.close();
  }
  FitsFile back_file = FitsFile::open_read(out);
  EXPECT_EQ(back_file.read_string("CTYPE1"), "RA---TPV");
  const survey::Wcs back = read_wcs(back_file);
  double worst = 0;
  for (double h : {1.0, 35.0, 70.0})
    for (double w : {1.0, 35.0, 70.0}) {
      const auto a = wcs.pix_to_world(h, w), b = back.pix_to_world(h, w);
      worst = std::max(worst, std::hypot(a[0] - b[0], a[1] - b[1]));
    }
  EXPECT_LT(worst, 1e-12);  // degrees
}

}  // namespace
}  // namespace celeste::io
