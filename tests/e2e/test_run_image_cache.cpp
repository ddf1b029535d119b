// Task-local images (issue 11): on a 2 x 2 mosaic, a run whose image cache holds only a few
// images gives the catalog of a run that keeps them all, evicts and reloads, and the next
// task's images load while the current task is fitted (the waits after the first task stay a
// small part of the reading). docs/scheduling.md "Task-local images".
#include <gtest/gtest.h>

#include "harness/celeste_exe.hpp"
#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"

namespace celeste::testing {
namespace {

// 2 x 2 fields of 160 px sharing 20 px, bands r and i, two epochs: 16 images of 205 kB.
void write_mosaic(const std::string& dir) {
  config::GenerateConfig cfg;
  cfg.seed = 23;
  cfg.bands = {"r", "i"};
  cfg.epochs = 2;
  cfg.width = cfg.height = 160;
  cfg.fields_x = cfg.fields_y = 2;
  cfg.field_overlap_px = 20;
  cfg.source_count = 60;
  cfg.ra_center = 0.5;
  cfg.dec_center = 0.1;
  write_generic_survey(dir, cfg);
}

std::string config_text(const std::string& dir, const std::string& out, double cache_mb) {
  return "images:\n  - format: generic\n    paths: [" + dir + "/r.fits, " + dir +
         "/i.fits]\ncatalog:\n  format: generic\n  path: " + dir +
         "/init.fits\ninference:\n  passes: 1\n  region_target_pixels: 6000\nexecution:\n"
         "  image_cache_mb: " + std::to_string(cache_mb) + "\noutput:\n  directory: " + out + "\n";
}

TEST(RunImageCache, ASmallCacheGivesTheSameCatalogAndPrefetchHidesLoading) {
  const std::string dir = scratch_dir("run_image_cache");
  write_mosaic(dir);
  write_text(dir + "/all.yaml", config_text(dir, dir + "/all", 0));
  const auto all = run_celeste("run " + dir + "/all.yaml --threads 1");
  ASSERT_EQ(all.status, 0) << all.output;
  const std::string rep_all = read_text(dir + "/all/report.json");
  ASSERT_GE(json_number(rep_all, "regions"), 8) << rep_all;
  EXPECT_EQ(json_number(rep_all, "images_loaded"), 16) << "the default cache keeps them all";
  EXPECT_EQ(json_number(rep_all, "image_cache_evictions"), 0);

  // 1 MB: about five of the 16 images of 205 kB; a task needs 4 to 16 of them.
  write_text(dir + "/small.yaml", config_text(dir, dir + "/small", 1.0));
  const auto small = run_celeste("run " + dir + "/small.yaml --threads 1");
  ASSERT_EQ(small.status, 0) << small.output;
  expect_same_catalog(dir + "/all/catalog.fits", dir + "/small/catalog.fits", "1 MB cache");
  const std::string rep = read_text(dir + "/small/report.json");
  EXPECT_EQ(json_number(rep, "image_cache_mb"), 1.0);
  EXPECT_GT(json_number(rep, "image_cache_evictions"), 0) << rep;
  const double loads = json_number(rep, "images_loaded");
  EXPECT_GT(loads, 16) << "evicted images are read again:\n" << rep;
  EXPECT_NE(small.output.find("exceed execution.image_cache_mb"), std::string::npos)
      << "a task larger than the cache is warned about:\n" << small.output;
  // Reading done for the tasks (not the plan, not a stage's first task) was overlapped with
  // fitting: the late waits are a small part of it (the machine may be loaded: half).
  const double read = json_number(rep, "image_read_s");
  const double task_reading = read * (loads - 16) / loads;  // the plan read each image once
  const double late = json_number(rep, "image_loading_late_s");
  std::printf("small cache: %.0f loads, %.4f s reading for tasks, %.4f s late waits\n", loads,
              task_reading, late);
  EXPECT_GT(task_reading, 0) << rep;
  EXPECT_LT(late, 0.5 * task_reading) << rep;  // without prefetch: ~1.2 x
}

}  // namespace
}  // namespace celeste::testing
