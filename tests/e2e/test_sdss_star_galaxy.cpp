// The star/galaxy call on the real SDSS field 94/1/12 against Photo's own (trustworthy at
// r < 20): of Photo's stars (OBJC_TYPE 6, NCHILD 0) with PSF r < 20, >= 97 % must get
// prob_star > 0.5; of Photo's galaxies (OBJC_TYPE 3) with cmodel r < 20, >= 95 % must get
// prob_star < 0.5 (docs/psf.md). And the call must come from the pixels: the same fit from a
// catalog with every initial type flipped makes the same call for every source with r < 20.
// Whole field (two runs of ~15 s on 2 threads). Skips when ../shared/data is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"
#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "io/fits_file.hpp"
#include "io/photoobj.hpp"

namespace celeste::testing {
namespace {

const char* kField = "sdss/stripe82-94-1-12";

std::string field_config(const std::string& data, const std::string& catalog_lines,
                         const std::string& out) {
  return "images:\n  - format: sdss\n    directory: " + data +
         "\n    run: 94\n    camcol: 1\n    field: 12\ncatalog:\n" + catalog_lines +
         "output:\n  directory: " + out + "\n";
}

double mag(double nmgy) { return 22.5 - 2.5 * std::log10(std::max(nmgy, 1e-3)); }

TEST(SdssStarGalaxy, CallsAgreeWithPhotoAndIgnoreInitialTypes) {
  CELESTE_REQUIRE_SHARED_DATA(kField);
  const std::string data = shared_data_path(kField);
  const std::string photoobj = data + "/photoObj-000094-1-0012.fits";
  const std::string dir = scratch_dir("e2e_sdss_star_galaxy");

  // Photo's call per photoObj row.
  io::FitsFile f = io::FitsFile::open_read(photoobj);
  f.move_to(2);
  const auto ra = f.read_column_double("RA"), dec = f.read_column_double("DEC");
  const auto type = f.read_column_int("OBJC_TYPE"), nchild = f.read_column_int("NCHILD");
  const auto psf = f.read_vector_column_double("PSFFLUX");
  const auto cmodel = f.read_vector_column_double("CMODELFLUX");

  write_text(dir + "/photo.yaml", field_config(data, "  format: photoobj\n  path: " + photoobj +
                                                         "\n", dir + "/photo"));
  const auto run = run_celeste("run " + dir + "/photo.yaml");
  ASSERT_EQ(run.status, 0) << run.output;
  const auto cols = io::read_catalog_columns(dir + "/photo/catalog.fits");
  const auto& ra0 = cols.at("ra_init");
  const auto& dec0 = cols.at("dec_init");
  const auto& prob_star = cols.at("prob_star");

  int stars = 0, stars_ok = 0, gals = 0, gals_ok = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    long row = -1;
    for (std::size_t j = 0; j < ra0.size(); ++j)
      if (std::hypot((ra0[j] - ra[i]) * std::cos(dec[i] * M_PI / 180), dec0[j] - dec[i]) * 3600 <
          0.05)
        row = static_cast<long>(j);
    if (row < 0) continue;  // not fitted (e.g. a Photo parent, or flagged)
    if (type[i] == 6 && nchild[i] == 0 && mag(psf[i * 5 + 2]) < 20) {
      ++stars;
      stars_ok += prob_star[row] > 0.5;
    }
    if (type[i] == 3 && mag(cmodel[i * 5 + 2]) < 20) {
      ++gals;
      gals_ok += prob_star[row] < 0.5;
    }
  }
  std::printf("Photo stars r < 20: %d/%d called stars; Photo galaxies r < 20: %d/%d called "
              "galaxies\n", stars_ok, stars, gals_ok, gals);
  ASSERT_GT(stars, 60);
  ASSERT_GT(gals, 60);
  EXPECT_GE(stars_ok, 0.97 * stars);
  EXPECT_GE(gals_ok, 0.95 * gals);

  // Every initial type flipped (generic catalog of the same entries).
  auto catalog = io::read_photoobj(photoobj);
  for (auto& e : catalog) e.is_star = !e.is_star;
  io::write_catalog_entries(dir + "/flipped.fits", catalog);
  write_text(dir + "/flipped.yaml", field_config(data, "  format: generic\n  path: " + dir +
                                                           "/flipped.fits\n", dir + "/flipped"));
  const auto run2 = run_celeste("run " + dir + "/flipped.yaml");
  ASSERT_EQ(run2.status, 0) << run2.output;
  const auto cols2 = io::read_catalog_columns(dir + "/flipped/catalog.fits");
  ASSERT_EQ(cols2.at("ra_init").size(), ra0.size());
  int bright = 0, differ = 0;
  for (std::size_t j = 0; j < ra0.size(); ++j) {
    ASSERT_EQ(cols2.at("ra_init")[j], ra0[j]) << "row " << j;
    if (!(cols.at("flux_r")[j] > 10.0 || cols2.at("flux_r")[j] > 10.0)) continue;  // r < 20
    ++bright;
    const bool a = prob_star[j] > 0.5, b = cols2.at("prob_star")[j] > 0.5;
    if (a != b) {
      ++differ;
      std::printf("  row %zu: r flux %.1f, prob_star %.3f from Photo's types, %.3f flipped\n", j,
                  cols.at("flux_r")[j], prob_star[j], cols2.at("prob_star")[j]);
    }
  }
  std::printf("sources with r < 20: %d, calls that depend on the initial type: %d\n", bright,
              differ);
  ASSERT_GT(bright, 100);
  EXPECT_EQ(differ, 0);
}

}  // namespace
}  // namespace celeste::testing
