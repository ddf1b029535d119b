// SDSS frame -> counts/electrons/sky (model.md §10.2), fpM masks (§10.3), whole-field reading.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "harness/shared_data.hpp"
#include "io/photoobj.hpp"
#include "io/sdss_field.hpp"

namespace celeste::io {
namespace {

using celeste::testing::shared_data_path;

TEST(SdssSky, BilinearReferenceValuesAndCorrectWeights) {  // model.md §9.2 #20
  // Table indexed [x, y] (1-based): rows (1 2 3 4), (5 6 7 8), (9 10 11 12): x has 3 values,
  // y 4. Stored grid[y][x] with x fastest.
  const int nx = 3, ny = 4;
  std::vector<double> grid(nx * ny);
  for (int x = 0; x < nx; ++x)
    for (int y = 0; y < ny; ++y) grid[y * nx + x] = 4 * x + y + 1;
  auto at = [&](double x1, double y1) { return bilinear_clamped(grid, nx, ny, x1 - 1, y1 - 1); };
  EXPECT_DOUBLE_EQ(at(0.1, 0.5), 1);
  EXPECT_DOUBLE_EQ(at(2.5, 0.5), 7);
  EXPECT_DOUBLE_EQ(at(0.1, 2.5), 2.5);
  EXPECT_DOUBLE_EQ(at(2.5, 2.5), 8.5);
  EXPECT_DOUBLE_EQ(at(0.1, 4.0), 4);
  EXPECT_DOUBLE_EQ(at(2.5, 4.0), 10);
  EXPECT_DOUBLE_EQ(at(-5, -4), 1);
  EXPECT_DOUBLE_EQ(at(4, -4), 9);
  EXPECT_DOUBLE_EQ(at(-5, 5), 4);
  EXPECT_DOUBLE_EQ(at(4, 5), 12);
  // A fraction other than 0.5 tells correct weights from swapped ones (model.md §11.10):
  // x = 1.25 is a quarter of the way from value 1 to 5.
  EXPECT_DOUBLE_EQ(at(1.25, 1), 2);
  EXPECT_DOUBLE_EQ(at(1, 1.25), 1.25);
}

TEST(SdssFrame, CountsReconstructionIsNearInteger) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const SdssFrame fr = read_sdss_frame(
      shared_data_path("sdss/stripe82-94-1-12/frame-r-000094-1-0012.fits.bz2"));
  EXPECT_EQ(fr.width, 2048);
  EXPECT_EQ(fr.height, 1489);
  EXPECT_EQ(fr.band, 2);
  const std::vector<double> counts = frame_counts(fr);
  std::vector<double> frac;
  for (double c : counts) frac.push_back(std::abs(c - std::round(c)));
  std::nth_element(frac.begin(), frac.begin() + frac.size() / 2, frac.end());
  const double median_frac = frac[frac.size() / 2];
  std::vector<double> sorted = counts;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  std::printf("r frame 94/1/12: counts median %.2f, median |counts - round(counts)| = %.4f\n",
              sorted[sorted.size() / 2], median_frac);
  EXPECT_LT(median_frac, 0.01);
  EXPECT_GT(sorted[sorted.size() / 2], 50);  // positive sky-dominated counts
}

TEST(SdssField, ReadsOneBandWithMasksAndFittedPsf) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string dir = shared_data_path("sdss/stripe82-94-1-12");
  const auto images = read_sdss_field(dir, 94, 1, 12, {"r"}, 2);
  ASSERT_EQ(images.size(), 1u);
  const survey::Image& img = images[0];
  EXPECT_EQ(img.band, 2);
  EXPECT_EQ(img.width, 2048);
  EXPECT_EQ(img.height, 1489);
  EXPECT_EQ(img.psf.size(), 2u);
  long masked = 0;
  for (float x : img.pixels) masked += std::isnan(x);
  const auto mask = read_fpm_mask(sdss_fpm_path(dir, 94, 1, 12, 2), img.width, img.height);
  long mask_count = 0;
  for (auto m : mask) mask_count += m;
  std::printf("r band: %ld masked pixels (fpM INTERP/SATUR/CR/GHOST: %ld)\n", masked, mask_count);
  EXPECT_GT(mask_count, 0);
  EXPECT_EQ(masked, mask_count);
  // Detector: photoField gain for r; ι = gain / calibvec.
  const SdssDetector det = read_photofield_detector(
      sdss_photofield_path(dir, 94, 1), 12, 2);
  EXPECT_GT(det.gain, 4);
  EXPECT_LT(det.gain, 5.5);
  // Electrons at a sky pixel are about ι ε; sky > 0 everywhere.
  for (float s : img.sky) ASSERT_GT(s, 0);
  const auto radec = img.wcs.pix_to_world(1024, 745);
  EXPECT_NEAR(radec[0], 336.67, 0.1);
  // Every usable photoObj source lies in the r image.
  const auto cat = read_photoobj(sdss_photoobj_path(dir, 94, 1, 12));
  EXPECT_NO_THROW(validate_catalog_against_images(cat, images, "photoObj"));
}

}  // namespace
}  // namespace celeste::io
