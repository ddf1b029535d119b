// The footprint index (io/image_index.hpp) and the image cache (io/image_cache.hpp): headers
// give the loaded images' metadata and footprints without reading pixels; a region meets only
// the images it overlaps; the cache stays within its bound and evicts the least recently used.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "config/options.hpp"
#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"
#include "io/fits_file.hpp"
#include "io/generic_images.hpp"
#include "io/image_cache.hpp"
#include "io/image_index.hpp"
#include "io/sdss_field.hpp"
#include "util/error.hpp"

namespace celeste::testing {
namespace {

// A 2 x 2 mosaic of 120 px fields sharing 20 px, bands r and i, two epochs: 16 images.
struct Mosaic {
  std::string dir;
  std::vector<io::ImageFootprint> index;
};
const Mosaic& mosaic() {
  static const Mosaic m = [] {
    Mosaic out;
    out.dir = scratch_dir("image_index");
    config::GenerateConfig cfg;
    cfg.seed = 5;
    cfg.bands = {"r", "i"};
    cfg.epochs = 2;
    cfg.width = cfg.height = 120;
    cfg.fields_x = cfg.fields_y = 2;
    cfg.field_overlap_px = 20;
    cfg.source_count = 30;
    cfg.ra_center = 0.5;
    cfg.dec_center = 0.1;
    write_generic_survey(out.dir, cfg);
    for (const char* band : {"r", "i"}) {
      auto v = io::index_generic_file(out.dir + "/" + band + ".fits");
      out.index.insert(out.index.end(), v.begin(), v.end());
    }
    return out;
  }();
  return m;
}

void expect_footprint_of(const io::ImageFootprint& fp, const survey::Image& im) {
  EXPECT_EQ(fp.header.source, im.source);
  EXPECT_EQ(fp.header.band, im.band);
  EXPECT_EQ(fp.header.width, im.width);
  EXPECT_EQ(fp.header.height, im.height);
  EXPECT_EQ(fp.header.epoch, im.epoch) << im.source;
  EXPECT_EQ(fp.header.field, im.field) << im.source;
  EXPECT_TRUE(fp.header.pixels.empty());
  // The footprint's corners are the loaded image's pixel-grid corners on the sky.
  const double w = im.width + 0.5, h = im.height + 0.5;
  const std::array<std::array<double, 2>, 4> corners{{{0.5, 0.5}, {w, 0.5}, {w, h}, {0.5, h}}};
  for (int c = 0; c < 4; ++c) {
    const auto sky = im.wcs.pix_to_world(corners[c][0], corners[c][1]);
    EXPECT_EQ(fp.outline[2 * c], sky) << im.source << " corner " << c;
    EXPECT_GE(sky[0], fp.ra_min);
    EXPECT_LE(sky[0], fp.ra_max);
    EXPECT_GE(sky[1], fp.dec_min);
    EXPECT_LE(sky[1], fp.dec_max);
  }
  // Every pixel centre on the image's edge lies inside the footprint's box.
  for (int x = 1; x <= im.width; x += 7)
    for (int y : {1, im.height}) {
      const auto sky = im.wcs.pix_to_world(x, y);
      EXPECT_TRUE(sky[0] >= fp.ra_min && sky[0] <= fp.ra_max && sky[1] >= fp.dec_min &&
                  sky[1] <= fp.dec_max)
          << im.source << " pixel " << x << ", " << y << ": " << sky[0] << " " << sky[1] << " box " << fp.ra_min << " " << fp.ra_max << " " << fp.dec_min << " " << fp.dec_max;
    }
}

TEST(ImageIndex, GenericMosaicFootprintsAreTheLoadedImages) {
  const Mosaic& m = mosaic();
  ASSERT_EQ(m.index.size(), 16u);
  for (const char* band : {"r", "i"}) {
    const std::string path = m.dir + "/" + band + ".fits";
    const auto all = io::read_generic_images(path);
    for (std::size_t k = 0; k < all.size(); ++k) {
      const io::ImageFootprint* fp = nullptr;
      for (const auto& f : m.index)
        if (f.ref.path == path && f.ref.ordinal == static_cast<int>(k)) fp = &f;
      ASSERT_NE(fp, nullptr);
      expect_footprint_of(*fp, all[k]);
      // One image read alone is the image read with its file.
      const survey::Image one = io::load_indexed_image(*fp);
      ASSERT_EQ(one.pixels.size(), all[k].pixels.size());
      EXPECT_EQ(0, std::memcmp(one.pixels.data(), all[k].pixels.data(),
                               one.pixels.size() * sizeof(float)))
          << one.source;
      EXPECT_EQ(one.sky, all[k].sky);
      EXPECT_EQ(one.iota, all[k].iota);
      EXPECT_EQ(one.epoch, all[k].epoch);
      EXPECT_EQ(one.psf.size(), all[k].psf.size());
    }
  }
}

TEST(ImageIndex, SdssFrameFootprintFromItsHeader) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string dir = shared_data_path("sdss/stripe82-94-1-12");
  const auto index = io::index_sdss_field(dir, 94, 1, 12, {"r", "i"}, 2);
  ASSERT_EQ(index.size(), 2u);
  const auto loaded = io::read_sdss_field(dir, 94, 1, 12, {"r", "i"}, 2);
  for (int b = 0; b < 2; ++b) {
    expect_footprint_of(index[b], loaded[b]);
    // SDSS frames are 2048 x 1489 pixels of 0.396": about 13.5' x 9.8'.
    EXPECT_NEAR(index[b].dec_max - index[b].dec_min, 13.5 / 60, 0.5 / 60);
  }
}

// The index reads a .fits.bz2 frame's header by decompressing only its leading blocks: the
// keywords and shape are those of the whole-file open; a stream cut before the END card, or
// not bzip2 inside, is an InputError naming the file.
TEST(ImageIndex, CompressedFrameHeaderAloneMatchesTheWholeFile) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string frame =
      shared_data_path("sdss/stripe82-94-1-12") + "/frame-r-000094-1-0012.fits.bz2";
  io::FitsFile head = io::FitsFile::open_primary_header(frame);
  io::FitsFile whole = io::FitsFile::open_read(frame);
  head.move_to(1);
  whole.move_to(1);
  EXPECT_EQ(head.image_shape(), whole.image_shape());
  for (const char* key : {"CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2", "CD1_1", "CD2_2"})
    EXPECT_EQ(head.read_double(key), whole.read_double(key)) << key;
  EXPECT_EQ(head.read_string("FILTER"), "r");

  const std::string dir = scratch_dir("image_index_bz2");
  std::string bytes;
  {
    std::FILE* in = std::fopen(frame.c_str(), "rb");
    ASSERT_TRUE(in);
    char buf[4096];
    const std::size_t n = std::fread(buf, 1, 2000, in);  // far less than one header block
    std::fclose(in);
    bytes.assign(buf, n);
  }
  for (const auto& [name, content] :
       {std::pair{std::string("cut.fits.bz2"), bytes},
        std::pair{std::string("garbage.fits.bz2"), std::string("BZh9") + std::string(3000, 'x')}}) {
    const std::string path = dir + "/" + name;
    std::FILE* out = std::fopen(path.c_str(), "wb");
    std::fwrite(content.data(), 1, content.size(), out);
    std::fclose(out);
    try {
      io::FitsFile::open_primary_header(path);
      FAIL() << name << " opened";
    } catch (const celeste::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bzip2"), std::string::npos) << e.what();
    }
  }
}

TEST(ImageIndex, SdssFieldWithAMissingFileIsNamed) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string dir = shared_data_path("sdss/stripe82-94-1-12");
  try {
    io::index_sdss_field(dir, 94, 1, 13, {"r"}, 2);
    FAIL() << "field 13 is not in the folder";
  } catch (const celeste::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("0013"), std::string::npos) << e.what();
  }
}

// The images of field f: 2 bands x 2 epochs, 4 of the 16.
std::vector<int> images_of_field(const Mosaic& m, int f) {
  std::vector<int> out;
  for (std::size_t n = 0; n < m.index.size(); ++n)
    if (m.index[n].header.field == f) out.push_back(static_cast<int>(n));
  return out;
}

TEST(ImageIndex, ARegionMeetsOnlyTheImagesItOverlaps) {
  const Mosaic& m = mosaic();
  // A small box well inside field 0, away from the 20 px overlaps: field 0's images only.
  const survey::Image& f0 = m.index[images_of_field(m, 0).front()].header;
  const auto a = f0.wcs.pix_to_world(30, 30), b = f0.wcs.pix_to_world(50, 50);
  const std::array<double, 4> inner{std::min(a[0], b[0]), std::max(a[0], b[0]),
                                    std::min(a[1], b[1]), std::max(a[1], b[1])};
  EXPECT_EQ(io::images_meeting(m.index, inner, 0.0), images_of_field(m, 0));
  // The same box with a halo reaching the neighbouring fields' overlap (70 px): all 16.
  const double px = 0.396 / 3600;
  EXPECT_EQ(io::images_meeting(m.index, inner, 75 * px).size(), 16u);
  // A halo of 10 px keeps it inside field 0.
  EXPECT_EQ(io::images_meeting(m.index, inner, 10 * px), images_of_field(m, 0));
}

TEST(ImageIndex, AnImageAcrossRaZeroMeetsEveryRegion) {
  const std::string dir = scratch_dir("image_index_ra0");
  config::GenerateConfig cfg;
  cfg.seed = 5;
  cfg.bands = {"r"};
  cfg.epochs = 1;
  cfg.width = cfg.height = 60;
  cfg.source_count = 3;  // centred on RA 0
  write_generic_survey(dir, cfg);
  const auto index = io::index_generic_file(dir + "/r.fits");
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].ra_min, 0.0);
  EXPECT_EQ(index[0].ra_max, 360.0);
  EXPECT_EQ(io::images_meeting(index, {359.999, 359.9995, -0.001, 0.001}, 0.0).size(), 1u);
  EXPECT_EQ(io::images_meeting(index, {0.0001, 0.0002, -0.001, 0.001}, 0.0).size(), 1u);
}

TEST(ImageCache, StaysWithinItsBoundAndEvictsTheLeastRecentlyUsed) {
  const Mosaic& m = mosaic();
  const std::size_t one = io::image_bytes(io::load_indexed_image(m.index[0]));
  io::ImageCache cache(m.index, 5 * one + one / 2);  // 5 images
  const auto f0 = images_of_field(m, 0), f1 = images_of_field(m, 1), f3 = images_of_field(m, 3);
  cache.acquire(f0);
  EXPECT_EQ(cache.stats().loads, 4);
  EXPECT_EQ(cache.stats().evictions, 0);
  EXPECT_FALSE(cache.images()[f0[0]].pixels.empty());
  EXPECT_TRUE(cache.images()[f1[0]].pixels.empty());
  cache.acquire(f1);  // 8 images do not fit in 5: three of field 0's go
  EXPECT_EQ(cache.stats().loads, 8);
  EXPECT_EQ(cache.stats().evictions, 3);
  EXPECT_LE(cache.bytes_in_memory(), 5 * one + one / 2);
  for (int n : f1) EXPECT_FALSE(cache.images()[n].pixels.empty());
  int field0_left = 0;
  for (int n : f0) field0_left += !cache.images()[n].pixels.empty();
  EXPECT_EQ(field0_left, 1);
  EXPECT_TRUE(cache.images()[f0[0]].pixels.empty()) << "the least recently used goes first";
  // Again field 1: all hits, nothing read.
  cache.acquire(f1);
  EXPECT_EQ(cache.stats().loads, 8);
  EXPECT_EQ(cache.stats().hits, 4);
  // A prefetch loads in the background while the current set stays; then acquire finds it.
  cache.prefetch(f3);
  for (int i = 0; i < 500 && cache.stats().loads < 12; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(cache.stats().loads, 12);
  for (int n : f1) EXPECT_FALSE(cache.images()[n].pixels.empty()) << "current set evicted";
  EXPECT_LT(cache.acquire(f3), 0.05);
  EXPECT_EQ(cache.stats().loads, 12);
}

TEST(ImageCache, ATaskLargerThanTheBoundStillLoads) {
  const Mosaic& m = mosaic();
  io::ImageCache cache(m.index, 1000);  // less than one image
  std::vector<int> all;
  for (std::size_t n = 0; n < m.index.size(); ++n) all.push_back(static_cast<int>(n));
  cache.acquire(all);
  for (int n : all) EXPECT_FALSE(cache.images()[n].pixels.empty());
  EXPECT_EQ(cache.stats().evictions, 0);
}

TEST(ImageCache, AMissingFileIsAnInputErrorAtAcquire) {
  const Mosaic& m = mosaic();
  std::vector<io::ImageFootprint> index(m.index.begin(), m.index.begin() + 2);
  index[1].ref.path = m.dir + "/gone.fits";
  io::ImageCache cache(index, 1 << 30);
  cache.acquire({0});
  EXPECT_THROW(cache.acquire({1}), celeste::InputError);
}

}  // namespace
}  // namespace celeste::testing
