// `celeste run` on bad inputs: a clear message naming the file and the problem, a non-zero exit
// code, and no partial output.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"
#include "io/catalog_entries.hpp"
#include "io/generic_images.hpp"
#include "model/generator.hpp"

namespace celeste::testing {
namespace {

// A tiny valid survey (one r image, 3 sources) in `dir`; returns the run config text prefix.
void write_small_survey(const std::string& dir, int psf_components) {
  config::GenerateConfig cfg;
  cfg.bands = {"r"};
  cfg.width = cfg.height = 48;
  cfg.source_count = 3;
  cfg.psf_components = psf_components > 4 ? 2 : psf_components;
  auto survey = model::generate_survey(cfg);
  if (psf_components > 4) {  // a PSF with more components than the kernels support
    auto& psf = survey.images[0].psf;
    while (static_cast<int>(psf.size()) < psf_components) {
      survey::PsfComponent c = psf.back();
      c.weight *= 0.5;
      psf.push_back(c);
    }
  }
  io::write_generic_images(dir + "/r.fits", survey.images);
  io::write_catalog_entries(dir + "/init.fits", survey.initial);
}

std::string run_config(const std::string& dir, const std::string& extra = "") {
  return "images:\n  - format: generic\n    paths: [" + dir + "/r.fits]\ncatalog:\n  format: generic\n"
         "  path: " + dir + "/init.fits\n" + extra + "output:\n  directory: " + dir + "/out\n";
}

void expect_clean_failure(const CommandResult& r, int status, const std::string& dir,
                          std::initializer_list<const char*> message_parts) {
  EXPECT_EQ(r.status, status) << r.output;
  for (const char* part : message_parts)
    EXPECT_NE(r.output.find(part), std::string::npos) << "missing '" << part << "' in: " << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/catalog.fits"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/report.json"));
}

TEST(RunBadInputs, MissingImageFile) {
  const std::string dir = scratch_dir("run_bad_missing");
  write_small_survey(dir, 2);
  std::filesystem::remove(dir + "/r.fits");
  write_text(dir + "/run.yaml", run_config(dir));
  expect_clean_failure(run_celeste("run " + dir + "/run.yaml"), 1, dir, {"r.fits"});
}

TEST(RunBadInputs, PsfWithTooManyComponents) {
  const std::string dir = scratch_dir("run_bad_psf");
  write_small_survey(dir, 5);
  write_text(dir + "/run.yaml", run_config(dir));
  expect_clean_failure(run_celeste("run " + dir + "/run.yaml"), 1, dir,
                       {"r.fits", "PSF has 5 Gaussian components"});
}

TEST(RunBadInputs, NoSourceInsideRegion) {
  const std::string dir = scratch_dir("run_bad_region");
  write_small_survey(dir, 2);
  write_text(dir + "/run.yaml",
             run_config(dir, "region:\n  ra: [100.0, 100.1]\n  dec: [50.0, 50.1]\n"));
  expect_clean_failure(run_celeste("run " + dir + "/run.yaml"), 1, dir,
                       {"init.fits", "no catalog source lies inside the configured region"});
}

TEST(RunBadInputs, RefusesToOverwrite) {
  const std::string dir = scratch_dir("run_bad_overwrite");
  write_small_survey(dir, 2);
  std::filesystem::create_directories(dir + "/out");
  write_text(dir + "/out/catalog.fits", "a previous result");
  write_text(dir + "/run.yaml", run_config(dir).replace(
                                    run_config(dir).find("output:\n"), 8,
                                    "output:\n  overwrite: false\n"));
  const auto r = run_celeste("run " + dir + "/run.yaml");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("overwrite"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(dir + "/out/catalog.fits"), "a previous result");
}

TEST(RunBadInputs, BadCommandLine) {
  const auto r = run_celeste("run");
  EXPECT_EQ(r.status, 2) << r.output;
  const auto r2 = run_celeste("run a.yaml b.yaml");
  EXPECT_EQ(r2.status, 2) << r2.output;
}

}  // namespace
}  // namespace celeste::testing
