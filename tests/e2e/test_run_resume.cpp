// Checkpoints, `celeste run --resume`, the output plan and the output set (docs/run.md):
//   - a run killed with SIGKILL mid-fit and resumed ends with a catalog bitwise identical to an
//     uninterrupted run's, redoing at most about one checkpoint interval;
//   - a checkpoint of another run, or a corrupt one, is refused naming the file;
//   - output names that collide with each other or with an input are refused before any work;
//   - temporaries of killed runs are removed; every output of a set carries the run id.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/celeste_exe.hpp"
#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"
#include "io/fits_file.hpp"

namespace celeste::testing {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A synthetic field that takes a few seconds to fit (2 bands, 80 sources).
void write_survey(const std::string& dir) {
  config::GenerateConfig cfg;
  cfg.seed = 7;
  cfg.bands = {"r", "i"};
  cfg.width = cfg.height = 220;
  cfg.source_count = 80;
  write_generic_survey(dir, cfg);
}

std::string config_text(const std::string& dir, const std::string& out,
                        const std::string& output_extra = "", const std::string& extra = "") {
  return "images:\n  - format: generic\n    paths: [" + dir + "/r.fits, " + dir +
         "/i.fits]\ncatalog:\n  format: generic\n  path: " + dir + "/init.fits\n" + extra +
         "inference:\n  passes: 2\noutput:\n  directory: " + out + "\n" + output_extra;
}

// Starts `celeste run cfg`, kills it with SIGKILL after `seconds`.
void run_and_kill(const std::string& cfg, double seconds) {
  const char* exe = std::getenv("CELESTE_EXE");
  ASSERT_NE(exe, nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    const std::string cmd = std::string(scrub_mpi_environment()) + "exec " + exe + " run " +
                            cfg + " --threads 2";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

TEST(RunResume, KilledRunResumesToTheIdenticalCatalog) {
  const std::string dir = scratch_dir("run_resume");
  write_survey(dir);
  write_text(dir + "/ref.yaml", config_text(dir, dir + "/ref"));
  const auto t0 = Clock::now();
  const auto ref = run_celeste("run " + dir + "/ref.yaml --threads 2");
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_EQ(ref.status, 0) << ref.output;
  const std::string ref_report = read_text(dir + "/ref/report.json");
  EXPECT_FALSE(fs::exists(dir + "/ref/checkpoint.ckpt")) << "removed once the outputs are in";
  // The run id ties the set: the same in the report and in both FITS headers.
  const std::string run_id = json_string(ref_report, "run_id");
  ASSERT_EQ(run_id.size(), 25u) << ref_report;
  {
    io::FitsFile f = io::FitsFile::open_read(dir + "/ref/catalog.fits");
    EXPECT_EQ(f.read_string("RUNID"), run_id);
    f.move_to(2);
    EXPECT_EQ(f.read_string("RUNID"), run_id);
  }

  const double interval = 0.25;
  write_text(dir + "/kill.yaml",
             config_text(dir, dir + "/kill", "  checkpoint_seconds: " + std::to_string(interval) + "\n"));
  run_and_kill(dir + "/kill.yaml", 0.6 * wall);
  const std::string ckpt = dir + "/kill/checkpoint.ckpt";
  ASSERT_TRUE(fs::exists(ckpt)) << "no checkpoint after " << 0.6 * wall << " s of a " << wall
                                << " s run";
  EXPECT_FALSE(fs::exists(dir + "/kill/catalog.fits"));
  // Work lost: the time between the last checkpoint and the kill.
  const auto age = fs::file_time_type::clock::now() - fs::last_write_time(ckpt);
  const double lost_s = std::chrono::duration<double>(age).count();

  const auto resumed = run_celeste("run " + dir + "/kill.yaml --threads 1 --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from " + ckpt), std::string::npos) << resumed.output;
  expect_same_catalog(dir + "/ref/catalog.fits", dir + "/kill/catalog.fits");
  const std::string rep = read_text(dir + "/kill/report.json");
  const double done_before = json_number(rep, "resumed_fits");
  EXPECT_GT(done_before, 0) << rep;
  EXPECT_LT(done_before, json_number(ref_report, "fits")) << "killed before the end";
  EXPECT_EQ(json_number(rep, "fits"), json_number(ref_report, "fits"));
  EXPECT_NE(json_string(rep, "run_id"), run_id);
  // At most one interval plus one round (rounds here take well under a second) redone.
  EXPECT_LT(lost_s, interval + 1.0);
  std::printf("reference %.2f s, %g fits; killed at %.2f s with %g fits checkpointed; "
              "%.2f s of work lost\n",
              wall, json_number(ref_report, "fits"), 0.6 * wall, done_before, lost_s);
}

// The whole SDSS 94/1/12 field (label `long`; ~15 s a run on 2 cores), as configured in
// inputs/sdss-94-1-12.yaml: killed with SIGKILL at 25, 50 and 90 % of an uninterrupted run's
// wall time, then resumed. Each resumed catalog is bitwise the uninterrupted one's, and the
// fitting redone (the time from the last checkpoint to the kill) is at most one checkpoint
// interval plus the round that was running.
TEST(RunResumeSdssField, KilledAt25_50_90PercentResumesToTheIdenticalCatalog) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string data = shared_data_path("sdss/stripe82-94-1-12");
  const std::string dir = scratch_dir("run_resume_sdss_field");
  const double interval = 1.0;  // the uninterrupted run fits for ~12 s on 2 cores
  auto config = [&](const std::string& out) {
    return "images:\n  - format: sdss\n    directory: " + data +
           "\n    run: 94\n    camcol: 1\n    field: 12\n"
           "catalog:\n  format: photoobj\n  path: " + data + "/photoObj-000094-1-0012.fits\n"
           "inference:\n  passes: 3\n  seed: 42\n  region_target_pixels: 400000\n"
           "output:\n  directory: " + out + "\n  checkpoint_seconds: " +
           std::to_string(interval) + "\n";
  };
  write_text(dir + "/ref.yaml", config(dir + "/ref"));
  const auto t0 = Clock::now();
  const auto ref = run_celeste("run " + dir + "/ref.yaml --threads 2");
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_EQ(ref.status, 0) << ref.output;
  const std::string ref_report = read_text(dir + "/ref/report.json");
  const double fits = json_number(ref_report, "fits");
  const double fitting_s = json_number(ref_report, "task_processing_s");
  const double start_s = json_number(ref_report, "image_loading_s") + json_number(ref_report, "setup_s");
  ASSERT_GT(fits, 1000) << ref_report;
  std::printf("uninterrupted: %.1f s wall, %g fits in %.1f s of fitting after %.1f s of loading "
              "and setup\n", wall, fits, fitting_s, start_s);

  for (const double fraction : {0.25, 0.50, 0.90}) {
    const std::string name = "kill" + std::to_string(static_cast<int>(fraction * 100));
    write_text(dir + "/" + name + ".yaml", config(dir + "/" + name));
    const double kill_at = fraction * wall;
    run_and_kill(dir + "/" + name + ".yaml", kill_at);
    const std::string ckpt = dir + "/" + name + "/checkpoint.ckpt";
    EXPECT_FALSE(fs::exists(dir + "/" + name + "/catalog.fits")) << name;
    // Redone: the fitting between the last checkpoint and the kill (or, with none yet, all
    // the fitting before the kill).
    double lost_s = std::max(0.0, kill_at - start_s);
    if (fs::exists(ckpt))
      lost_s = std::chrono::duration<double>(fs::file_time_type::clock::now() -
                                             fs::last_write_time(ckpt)).count();
    const auto resumed = run_celeste("run " + dir + "/" + name + ".yaml --threads 2 --resume");
    ASSERT_EQ(resumed.status, 0) << name << resumed.output;
    expect_same_catalog(dir + "/ref/catalog.fits", dir + "/" + name + "/catalog.fits");
    const std::string rep = read_text(dir + "/" + name + "/report.json");
    const double done_before = json_number(rep, "resumed_fits");
    EXPECT_EQ(json_number(rep, "fits"), fits) << name;
    EXPECT_LT(done_before, fits) << name << ": killed before the end";
    EXPECT_GT(done_before, 0.0) << name << ": a checkpoint by " << kill_at << " s";
    EXPECT_LT(lost_s, interval + 1.5) << name << ": more than one interval redone";
    std::printf("killed at %2.0f %% (%.1f s): %g of %g fits checkpointed; %.2f s of fitting "
                "(~%.0f fits) redone; resumed catalog bitwise identical\n",
                100 * fraction, kill_at, done_before, fits, lost_s, lost_s * fits / fitting_s);
  }
}

TEST(RunResume, ForeignOrCorruptCheckpointIsRefused) {
  const std::string dir = scratch_dir("run_resume_refused");
  write_survey(dir);
  write_text(dir + "/a.yaml", config_text(dir, dir + "/out", "  checkpoint_seconds: 0.1\n"));
  const auto t0 = Clock::now();
  ASSERT_EQ(run_celeste("run " + dir + "/a.yaml").status, 0);
  const std::string finished_report = read_text(dir + "/out/report.json");
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  run_and_kill(dir + "/a.yaml", 0.6 * wall);
  const std::string ckpt = dir + "/out/checkpoint.ckpt";
  ASSERT_TRUE(fs::exists(ckpt));

  // Another config (another seed) against this checkpoint.
  write_text(dir + "/b.yaml", config_text(dir, dir + "/out", "  checkpoint_seconds: 0.1\n",
                                          "optimizer:\n  max_iterations: 40\n"));
  auto r = run_celeste("run " + dir + "/b.yaml --resume");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(ckpt), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("belongs to another run"), std::string::npos) << r.output;

  // One flipped byte in the middle: the checksum catches it.
  {
    std::fstream f(ckpt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<long>(f.tellg());
    f.seekp(size / 2);
    char c = 0;
    f.seekg(size / 2);
    f.read(&c, 1);
    c ^= 0x10;
    f.seekp(size / 2);
    f.write(&c, 1);
  }
  r = run_celeste("run " + dir + "/a.yaml --resume");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(ckpt), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("checksum"), std::string::npos) << r.output;

  // Cut short: truncated.
  fs::resize_file(ckpt, 40);
  r = run_celeste("run " + dir + "/a.yaml --resume");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
  // No refused resume touched the previous run's complete outputs.
  EXPECT_EQ(read_text(dir + "/out/report.json"), finished_report);
}

TEST(RunOutputs, CollidingOrInputOutputNamesAreRefusedBeforeWork) {
  const std::string dir = scratch_dir("run_output_plan");
  write_survey(dir);
  const struct {
    const char* output_extra;
    const char* expected;
  } cases[] = {
      {"  report: catalog.fits\n", "output.catalog_fits and output.report are the same file"},
      {"  catalog_hdf5: catalog.fits\n", "output.catalog_fits and output.catalog_hdf5"},
      {"  catalog_fits: checkpoint.ckpt\n", "the checkpoint are the same file"},
      {"  catalog_fits: init.fits\n", "is an input of this run"},
      {"  model_images: true\n  report: model-001-r.fits\n", "has the form of a model image"},
  };
  for (const auto& c : cases) {
    // Outputs in the input folder, so an output can name an input.
    write_text(dir + "/run.yaml", config_text(dir, dir, c.output_extra));
    const auto t0 = Clock::now();
    const auto r = run_celeste("run " + dir + "/run.yaml");
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_EQ(r.status, 2) << c.output_extra << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(dir + "/run.yaml"), std::string::npos) << r.output;
    EXPECT_LT(s, 5.0) << "refused only after the work";
  }
  EXPECT_TRUE(fs::exists(dir + "/init.fits"));
  EXPECT_FALSE(fs::exists(dir + "/catalog.fits"));
}

TEST(RunOutputs, StaleTemporariesOfKilledRunsAreRemoved) {
  const std::string dir = scratch_dir("run_stale_tmp");
  write_survey(dir);
  fs::create_directories(dir + "/out");
  // PID 999999999 exceeds Linux's pid_max (4194304): no such process.
  const std::string stale = dir + "/out/.catalog.fits.tmp-999999999-3";
  const std::string other = dir + "/out/.notes.tmp-keep";  // not an output temporary
  write_text(stale, "half a catalog");
  write_text(other, "keep me");
  write_text(dir + "/run.yaml", config_text(dir, dir + "/out", "", "region:\n  ra: [0.0, 0.001]\n  dec: [-0.01, 0.01]\n"));
  const auto r = run_celeste("run " + dir + "/run.yaml");
  EXPECT_FALSE(fs::exists(stale)) << r.output;
  EXPECT_NE(r.output.find("removed " + stale), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(other));
}

}  // namespace
}  // namespace celeste::testing
