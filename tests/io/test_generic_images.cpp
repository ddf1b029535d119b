// Generic (Celeste stamp) image format: the real stamps read as-is, and what we write reads back.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/shared_data.hpp"
#include "io/generic_images.hpp"

namespace celeste::io {
namespace {

using celeste::testing::scratch_dir;
using celeste::testing::shared_data_path;

survey::Image synthetic_image(int band, int width, int height, double iota_value, bool vary) {
  survey::Image img;
  img.source = "synthetic";
  img.band = band;
  img.width = width;
  img.height = height;
  img.run = 7;
  img.camcol = 3;
  img.field = 11;
  img.wcs = survey::Wcs({width / 2.0, height / 2.0}, {10.0, -0.5},
                           {{{0, 1.1e-4}, {1.1e-4, 0}}});
  img.psf = {{0.8, {0.01, -0.02}, {1.2, 0.1, 1.5}}, {0.2, {0.1, 0.05}, {4.0, -0.3, 5.0}}};
  img.iota.resize(width);
  for (int h = 0; h < width; ++h) img.iota[h] = vary ? iota_value * (1 + 0.001 * h) : iota_value;
  img.sky.resize(static_cast<std::size_t>(width) * height);
  img.pixels.resize(img.sky.size());
  for (int w = 1; w <= height; ++w)
    for (int h = 1; h <= width; ++h) {
      const std::size_t i = img.index(h, w);
      img.sky[i] = static_cast<float>(vary ? 0.7 + 0.001 * w : 0.7748);
      img.pixels[i] = static_cast<float>(std::round(img.iota[h - 1] * img.sky[i] + 3 * h + w));
    }
  img.pixels[img.index(2, 3)] = std::nanf("");
  return img;
}

void expect_same_image(const survey::Image& a, const survey::Image& b) {
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  EXPECT_EQ(a.band, b.band);
  EXPECT_EQ(a.run, b.run);
  EXPECT_EQ(a.camcol, b.camcol);
  EXPECT_EQ(a.field, b.field);
  for (int h = 0; h < a.width; ++h) EXPECT_NEAR(a.iota[h], b.iota[h], 1e-12 * a.iota[h]);
  for (std::size_t i = 0; i < a.pixels.size(); ++i) {
    EXPECT_NEAR(a.sky[i], b.sky[i], 1e-6f * a.sky[i]);
    if (std::isnan(a.pixels[i])) {
      EXPECT_TRUE(std::isnan(b.pixels[i])) << i;
    } else {
      EXPECT_NEAR(a.pixels[i], b.pixels[i], 2e-6 * std::abs(a.pixels[i]) + 1e-4) << i;
    }
  }
  ASSERT_EQ(a.psf.size(), b.psf.size());
  for (std::size_t k = 0; k < a.psf.size(); ++k) {
    EXPECT_DOUBLE_EQ(a.psf[k].weight, b.psf[k].weight);
    for (int d = 0; d < 2; ++d) EXPECT_DOUBLE_EQ(a.psf[k].mean[d], b.psf[k].mean[d]);
    for (int d = 0; d < 3; ++d) EXPECT_DOUBLE_EQ(a.psf[k].cov[d], b.psf[k].cov[d]);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_DOUBLE_EQ(a.wcs.crpix()[i], b.wcs.crpix()[i]);
    EXPECT_DOUBLE_EQ(a.wcs.crval()[i], b.wcs.crval()[i]);
    for (int j = 0; j < 2; ++j) EXPECT_DOUBLE_EQ(a.wcs.cd()[i][j], b.wcs.cd()[i][j]);
  }
}

TEST(GenericImages, RoundTripConstantCalibration) {
  const std::string path = scratch_dir("generic_rt") + "/images.fits";
  std::vector<survey::Image> images{synthetic_image(2, 23, 20, 829.8, false),
                                    synthetic_image(0, 23, 20, 146.9, false),
                                    synthetic_image(2, 23, 20, 829.8, false)};
  write_generic_images(path, images);
  const auto back = read_generic_images(path);
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t n = 0; n < 3; ++n) expect_same_image(images[n], back[n]);
  EXPECT_EQ(back[0].epoch, 0);
  EXPECT_EQ(back[1].epoch, 0);
  EXPECT_EQ(back[2].epoch, 1);  // second r-band image
}

TEST(GenericImages, RoundTripPerColumnCalibrationAndSkyMap) {
  const std::string path = scratch_dir("generic_rt_vary") + "/images.fits";
  std::vector<survey::Image> images{synthetic_image(3, 17, 9, 597.2, true)};
  GenericWriteOptions opt;
  opt.gain[3] = 5.195;
  opt.dark_variance[3] = 6.25;
  write_generic_images(path, images, opt);
  const auto back = read_generic_images(path);
  ASSERT_EQ(back.size(), 1u);
  expect_same_image(images[0], back[0]);
}

TEST(GenericImages, ReadsCelesteStripe82StampAsIs) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/celeste-stamps");
  const std::string path = shared_data_path("sdss/celeste-stamps/stamp-r-5.0073-0.0739.fits");
  const auto images = read_generic_images(path);
  ASSERT_EQ(images.size(), 17u);  // 17 epochs x (image, inverse variance)
  const survey::Image& first = images[0];
  EXPECT_EQ(first.band, 2);
  EXPECT_EQ(first.width, 51);
  EXPECT_EQ(first.height, 51);
  EXPECT_EQ(first.run, 4247);
  EXPECT_EQ(first.camcol, 4);
  EXPECT_EQ(first.field, 142);
  EXPECT_EQ(images[16].epoch, 16);
  // Header values: GAIN 4.76000022888184, CALIB 0.00518434261903167, SKY 135.916488647461.
  const double calib = 0.00518434261903167, gain = 4.76000022888184, sky = 135.916488647461;
  EXPECT_NEAR(first.iota[0], gain / calib, 1e-9);
  EXPECT_NEAR(first.sky[0], sky * calib, 1e-6);
  ASSERT_EQ(first.psf.size(), 3u);
  EXPECT_DOUBLE_EQ(first.psf[0].weight, 0.692491204329337);
  EXPECT_DOUBLE_EQ(first.psf[1].mean[0], 0.15537007999408);
  EXPECT_DOUBLE_EQ(first.psf[1].mean[1], -0.0239899448696429);
  EXPECT_DOUBLE_EQ(first.psf[2].cov[0], 38.9985018464328);   // varxx2
  EXPECT_DOUBLE_EQ(first.psf[2].cov[1], -2.23926411750192);  // varxy2
  EXPECT_DOUBLE_EQ(first.psf[2].cov[2], 36.2481602805507);   // varyy2
  // The stamp centre is the reference pixel of its TAN WCS.
  const auto radec = first.wcs.pix_to_world(26, 26);
  EXPECT_NEAR(radec[0], 5.00732921867273, 1e-12);
  EXPECT_NEAR(radec[1], 0.073940885179479, 1e-12);
  // Electrons: sky-level pixels are close to ι·ε ≈ 125,000 e-, never negative in bulk.
  std::vector<float> good;
  for (float x : first.pixels)
    if (!std::isnan(x)) good.push_back(x);
  ASSERT_GT(good.size(), 2000u);
  std::nth_element(good.begin(), good.begin() + good.size() / 2, good.end());
  const double median = good[good.size() / 2];
  EXPECT_NEAR(median / (gain * sky), 1.0, 0.05);
}

TEST(GenericImages, ReadsTwoComponentStampWithoutInverseVariance) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/celeste-stamps");
  const auto images = read_generic_images(
      shared_data_path("sdss/celeste-stamps/stamp-r-5.0073-0.0739_2kpsf.fits"));
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].psf.size(), 2u);  // the zero-amplitude third component is dropped
  EXPECT_DOUBLE_EQ(images[0].psf[1].cov[2], 0.691479277397467);
}

TEST(GenericImages, ZeroWeightPixelsAreMasked) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/celeste-stamps");
  const auto images =
      read_generic_images(shared_data_path("sdss/celeste-stamps/stamp-u-5.0073-0.0739.fits"));
  long masked = 0;
  for (const auto& img : images)
    for (float x : img.pixels) masked += std::isnan(x);
  EXPECT_GT(masked, 0) << "some epochs have off-chip (zero-weight) pixels";
}

}  // namespace
}  // namespace celeste::io
