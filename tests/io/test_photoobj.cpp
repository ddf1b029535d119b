// photoObj reader (model.md §8.1, §10.6) on real SDSS catalogs, and the generic catalog format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "harness/shared_data.hpp"
#include "io/catalog_entries.hpp"
#include "io/fits_file.hpp"
#include "io/fits_wcs.hpp"
#include "io/photoobj.hpp"

namespace celeste::io {
namespace {

using celeste::testing::scratch_dir;
using celeste::testing::shared_data_path;

const char* kField = "sdss/stripe82-94-1-12";

TEST(PhotoObj, LoadsEveryObjectOfStripe82Field) {
  CELESTE_REQUIRE_SHARED_DATA(kField);
  const auto rows =
      read_photoobj_rows(shared_data_path(std::string(kField) + "/photoObj-000094-1-0012.fits"));
  ASSERT_EQ(rows.size(), 999u);
  int stars = 0, galaxies = 0;
  for (const auto& r : rows) {
    stars += r.objc_type == 6;
    galaxies += r.objc_type == 3;
    EXPECT_EQ(r.run, 94);
    EXPECT_EQ(r.camcol, 1);
    EXPECT_EQ(r.field, 12);
  }
  EXPECT_EQ(stars, 506);  // data README §7
  EXPECT_EQ(galaxies, 451);
}

// Pixel positions from each band's frame WCS agree with Photo's ROWC/COLC (0-based, pixel
// centres at integer + 0.5 in Photo's convention, i.e. FITS h = COLC + 0.5: offsets 0 or 1
// give a median error of ~0.7 px instead of ~0.08). RA/Dec is the canonical-band position and
// the frame's TAN header approximates asTrans, so deblended parents, saturated stars and faint
// galaxies differ by up to a few pixels; the bulk must agree to well under half a pixel.
TEST(PhotoObj, PositionsAgreeWithFrameWcs) {
  CELESTE_REQUIRE_SHARED_DATA(kField);
  const auto rows =
      read_photoobj_rows(shared_data_path(std::string(kField) + "/photoObj-000094-1-0012.fits"));
  for (int b : {2, 0}) {  // r, u
    const std::string band = survey::kBandNames[b];
    FitsFile frame = FitsFile::open_read(
        shared_data_path(std::string(kField) + "/frame-" + band + "-000094-1-0012.fits.bz2"));
    const survey::Wcs wcs = read_wcs(frame);
    std::vector<double> err;
    double mean_dh = 0, mean_dw = 0;
    for (const auto& r : rows) {
      const auto p = wcs.world_to_pix(r.ra, r.dec);
      const double dh = p[0] - (r.colc[b] + 0.5), dw = p[1] - (r.rowc[b] + 0.5);
      err.push_back(std::hypot(dh, dw));
      mean_dh += dh / rows.size();
      mean_dw += dw / rows.size();
    }
    std::sort(err.begin(), err.end());
    const double median = err[err.size() / 2], p90 = err[err.size() * 9 / 10];
    const double within = std::lower_bound(err.begin(), err.end(), 0.5) - err.begin();
    std::printf("photoObj vs %s-frame WCS (%zu objects): median %.3f px, 90%% %.3f px, max %.2f "
                "px, %.1f%% within 0.5 px\n",
                band.c_str(), err.size(), median, p90, err.back(), 100 * within / err.size());
    EXPECT_LT(median, 0.15) << band;
    if (b == 2) {
      EXPECT_LT(p90, 0.5);
      EXPECT_GT(within / err.size(), 0.9);
    }
  }
}

TEST(PhotoObj, ConversionAndFixedFlagMask) {
  CELESTE_REQUIRE_SHARED_DATA(kField);
  const std::string path = shared_data_path(std::string(kField) + "/photoObj-000094-1-0012.fits");
  const auto rows = read_photoobj_rows(path);
  const auto catalog = read_photoobj(path);
  std::size_t usable = 0, bright = 0;
  for (const auto& r : rows) {
    usable += usable_for_initialisation(r);
    bright += (r.objc_flags & 2) != 0;
  }
  EXPECT_EQ(catalog.size(), usable);
  EXPECT_GT(catalog.size(), 500u) << "survey-primary objects are not required";
  std::printf("photoObj: %zu rows, %zu usable for initialisation, %zu with BRIGHT (bit 1)\n",
              rows.size(), usable, bright);
  // Flag semantics: bit 1 (BRIGHT) excludes, bit 0 (CANONICAL_CENTER) does not.
  PhotoObjRow r = rows.front();
  r.objc_type = 6;
  r.nchild = 0;
  r.fracdev[2] = 0.2;
  r.objc_flags = 1;
  r.objc_flags2 = 0;
  EXPECT_TRUE(usable_for_initialisation(r));
  r.objc_flags = 2;
  EXPECT_FALSE(usable_for_initialisation(r));
  r.objc_flags = 1 << 18;
  EXPECT_FALSE(usable_for_initialisation(r));
  r.objc_flags = 0;
  r.objc_flags2 = 1 << 14;
  EXPECT_FALSE(usable_for_initialisation(r));
  // §8.1 conversion on a hand-made row.
  PhotoObjRow g{};
  g.objc_type = 3;
  g.ra = 1;
  g.dec = 2;
  g.fracdev = {0, 0, 0.75, 0, 0};
  g.psfflux = {-1, 2, 3, 4, 5};
  g.devflux = {1, 2, 4, 4, 4};
  g.expflux = {1, 2, 2, 4, 4};
  g.ab_dev[2] = 0.6;
  g.ab_exp[2] = 0.9;
  g.theta_dev[2] = 0.01;  // below 1/30 arcsec: clamped
  g.phi_dev_deg[2] = 100;
  g.phi_offset[2] = 10;
  const survey::CatalogEntry e = to_catalog_entry(g);
  EXPECT_FALSE(e.is_star);
  EXPECT_DOUBLE_EQ(e.star_fluxes[0], 1e-6);
  EXPECT_DOUBLE_EQ(e.gal_fluxes[2], 0.75 * 4 + 0.25 * 2);
  EXPECT_DOUBLE_EQ(e.gal_axis_ratio, 0.6);  // dev fit: fracdev > 0.5
  EXPECT_DOUBLE_EQ(e.gal_angle, 90 * M_PI / 180);
  EXPECT_DOUBLE_EQ(e.gal_radius_px, (1.0 / 30) / 0.396);
}

TEST(PhotoObj, TractorCutoutCatalog) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/tractor-cutout-1000-1-100");
  const auto rows = read_photoobj_rows(
      shared_data_path("sdss/tractor-cutout-1000-1-100/photoObj-001000-1-0100.fits"));
  EXPECT_EQ(rows.size(), 19u);
}

TEST(CatalogEntries, RoundTrip) {
  survey::Catalog cat(3);
  for (int i = 0; i < 3; ++i) {
    auto& e = cat[i];
    e.ra = 10 + 0.001 * i;
    e.dec = -0.5 + 0.002 * i;
    e.is_star = i == 1;
    for (int b = 0; b < 5; ++b) {
      e.star_fluxes[b] = 1 + b + i;
      e.gal_fluxes[b] = 2.5 * b + i;
    }
    e.gal_frac_dev = 0.1 * i;
    e.gal_axis_ratio = 0.5 + 0.1 * i;
    e.gal_angle = -0.3 * i;
    e.gal_radius_px = 1.5 + i;
    e.objid = 1237663784734294016LL + i;
  }
  const std::string path = scratch_dir("entries") + "/truth.fits";
  write_catalog_entries(path, cat);
  const auto back = read_catalog_entries(path);
  ASSERT_EQ(back.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].ra, cat[i].ra);
    EXPECT_EQ(back[i].dec, cat[i].dec);
    EXPECT_EQ(back[i].is_star, cat[i].is_star);
    EXPECT_EQ(back[i].star_fluxes, cat[i].star_fluxes);
    EXPECT_EQ(back[i].gal_fluxes, cat[i].gal_fluxes);
    EXPECT_EQ(back[i].gal_frac_dev, cat[i].gal_frac_dev);
    EXPECT_EQ(back[i].gal_axis_ratio, cat[i].gal_axis_ratio);
    EXPECT_EQ(back[i].gal_angle, cat[i].gal_angle);
    EXPECT_EQ(back[i].gal_radius_px, cat[i].gal_radius_px);
    EXPECT_EQ(back[i].objid, cat[i].objid);
  }
  write_catalog_entries(path, {});
  EXPECT_TRUE(read_catalog_entries(path).empty());
}

}  // namespace
}  // namespace celeste::io
