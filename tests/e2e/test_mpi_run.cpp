// Distributed runs (`mpirun -np N celeste run`): the catalog of any rank count, scheduler
// fan-out and thread count is the one-rank catalog bit for bit; idle ranks are fine; a bad
// input is reported once; a rank killed mid-run ends the job, and --resume finishes it with
// the identical catalog. Label `mpi` (mpirun --oversubscribe on the 2 CI cores).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
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
#include "io/photoobj.hpp"

namespace celeste::testing {
namespace {
namespace fs = std::filesystem;

std::string mpiexec() {
  const char* m = std::getenv("CELESTE_MPIEXEC");
  return m ? m : "mpiexec";
}

const char* const kScrubMpiEnv = scrub_mpi_environment();

// `mpiexec -np N celeste ARGS`, output and exit status.
CommandResult run_mpi(int ranks, const std::string& args) {
  const char* exe = std::getenv("CELESTE_EXE");
  EXPECT_NE(exe, nullptr);
  return run_shell(kScrubMpiEnv + mpiexec() + " --oversubscribe --allow-run-as-root -np " +
                   std::to_string(ranks) + " " + (exe ? exe : "celeste") + " " + args);
}

// A synthetic field cut into many regions (two stages): 2 bands, 70 sources.
void write_survey(const std::string& dir) {
  config::GenerateConfig cfg;
  cfg.seed = 11;
  cfg.bands = {"r", "i"};
  cfg.width = cfg.height = 200;
  cfg.source_count = 70;
  write_generic_survey(dir, cfg);
}

std::string config_text(const std::string& dir, const std::string& out, int fanout,
                        long long region_pixels = 8000, const std::string& output_extra = "") {
  return "images:\n  - format: generic\n    paths: [" + dir + "/r.fits, " + dir +
         "/i.fits]\ncatalog:\n  format: generic\n  path: " + dir +
         "/init.fits\ninference:\n  passes: 1\n  region_target_pixels: " +
         std::to_string(region_pixels) + "\nexecution:\n  scheduler:\n    fanout: " +
         std::to_string(fanout) + "\noutput:\n  directory: " + out + "\n" + output_extra;
}

class MpiRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(scratch_dir("mpi_run"));
    write_survey(*dir_);
    write_text(*dir_ + "/ref.yaml", config_text(*dir_, *dir_ + "/ref", 8));
    const auto ref = run_celeste("run " + *dir_ + "/ref.yaml --threads 1");
    ASSERT_EQ(ref.status, 0) << ref.output;
    ref_report_ = new std::string(read_text(*dir_ + "/ref/report.json"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete ref_report_;
  }
  static std::string* dir_;
  static std::string* ref_report_;
};
std::string* MpiRun::dir_ = nullptr;
std::string* MpiRun::ref_report_ = nullptr;

TEST_F(MpiRun, AnyRankCountFanoutAndThreadsGiveTheOneRankCatalog) {
  const std::string& dir = *dir_;
  const double regions = json_number(*ref_report_, "regions");
  ASSERT_GE(regions, 8) << "the field must have several tasks per stage:\n" << *ref_report_;
  const struct {
    int ranks, fanout, threads;
  } cases[] = {{1, 8, 1}, {2, 2, 1}, {3, 2, 1}, {4, 8, 1}, {4, 1, 1}, {2, 8, 2}};
  for (const auto& c : cases) {
    const std::string name = "np" + std::to_string(c.ranks) + "f" + std::to_string(c.fanout) +
                             "t" + std::to_string(c.threads);
    write_text(dir + "/" + name + ".yaml", config_text(dir, dir + "/" + name, c.fanout));
    const auto r = run_mpi(c.ranks, "run " + dir + "/" + name + ".yaml --threads " +
                                        std::to_string(c.threads));
    ASSERT_EQ(r.status, 0) << name << "\n" << r.output;
    expect_same_catalog(dir + "/ref/catalog.fits", dir + "/" + name + "/catalog.fits", name);
    const std::string rep = read_text(dir + "/" + name + "/report.json");
    EXPECT_EQ(json_number(rep, "mpi_ranks"), c.ranks) << name;
    EXPECT_EQ(json_number(rep, "fits"), json_number(*ref_report_, "fits")) << name;
    EXPECT_EQ(json_number(rep, "elbo_evaluations"), json_number(*ref_report_, "elbo_evaluations"))
        << name;
    if (c.ranks > 1) {
      // Every task ran once, on some rank: the per-rank task counts add up to the regions.
      double tasks = 0;
      std::size_t at = 0;
      int ranks_listed = 0;
      while ((at = rep.find("{\"rank\": ", at)) != std::string::npos) {
        const auto t = rep.find("\"tasks\": ", at);
        tasks += std::strtod(rep.c_str() + t + 9, nullptr);
        ++ranks_listed;
        ++at;
      }
      EXPECT_EQ(ranks_listed, c.ranks) << name << "\n" << rep;
      EXPECT_EQ(tasks, regions) << name << "\n" << rep;
      // Per task what it did: its fits add up to the run's.
      double task_fits = 0;
      int task_entries = 0;
      const std::size_t list = rep.find("\"tasks\": [{");
      ASSERT_NE(list, std::string::npos) << name << "\n" << rep;
      for (std::size_t t = rep.find("{\"stage\": ", list); t != std::string::npos;
           t = rep.find("{\"stage\": ", t + 1)) {
        task_fits += json_number(rep.substr(t, rep.find('}', t + 1) - t), "fits");
        ++task_entries;
      }
      EXPECT_EQ(task_entries, regions) << name << "\n" << rep;
      EXPECT_EQ(task_fits, json_number(*ref_report_, "fits")) << name << "\n" << rep;
      EXPECT_NE(r.output.find(std::to_string(c.ranks) + " MPI ranks"), std::string::npos)
          << r.output;
      // Phase and progress lines come from rank 0 alone (docs/run.md "Log and progress"),
      // the progress from the tasks rank 0 records as finished.
      int planned_lines = 0;
      for (std::size_t at = 0; (at = r.output.find("celeste run: planned ", at)) != std::string::npos;
           ++at)
        ++planned_lines;
      EXPECT_EQ(planned_lines, 1) << name << "\n" << r.output;
      EXPECT_NE(r.output.find("fits (100 %)"), std::string::npos) << name << "\n" << r.output;
      EXPECT_EQ(r.output.find("rank 1: celeste"), std::string::npos) << name << "\n" << r.output;
    }
    std::printf("%s: identical catalog\n", name.c_str());
  }
}

TEST_F(MpiRun, MoreRanksThanTasksFinishes) {
  const std::string& dir = *dir_;
  // One region per stage: three of the four ranks never get a task.
  write_text(dir + "/one.yaml", config_text(dir, dir + "/one", 8, 100000000));
  const auto r = run_mpi(4, "run " + dir + "/one.yaml --threads 1 --verbose");
  ASSERT_EQ(r.status, 0) << r.output;
  // --verbose: every rank speaks, each line naming its rank.
  for (int k = 0; k < 4; ++k)
    EXPECT_NE(r.output.find("rank " + std::to_string(k) + ": celeste run: planned "),
              std::string::npos)
        << r.output;
  const std::string rep = read_text(dir + "/one/report.json");
  EXPECT_EQ(json_number(rep, "regions"), 1) << rep;
  EXPECT_EQ(json_number(rep, "mpi_ranks"), 4);
  int idle = 0;
  for (std::size_t at = 0; (at = rep.find("\"tasks\": 0,", at)) != std::string::npos; ++at) ++idle;
  EXPECT_EQ(idle, 3) << rep;
  // A rank that never gets a task spends both stages idle (load imbalance); none of it is
  // waiting for work, or the report would count the same seconds twice.
  std::size_t at = rep.find("\"ranks\": [");
  ASSERT_NE(at, std::string::npos) << rep;
  for (int k = 0; k < 4; ++k) {
    at = rep.find("{\"rank\": ", at + 1);
    ASSERT_NE(at, std::string::npos) << rep;
    const std::string entry = rep.substr(at, rep.find('}', at) - at);
    if (json_number(entry, "tasks") != 0) continue;
    EXPECT_EQ(json_number(entry, "waiting_s"), 0) << entry;
    EXPECT_GT(json_number(entry, "load_imbalance_s"), 0) << entry;
  }
}

TEST_F(MpiRun, MissingImageIsReportedOnce) {
  const std::string& dir = *dir_;
  std::string text = config_text(dir, dir + "/missing", 8);
  text.replace(text.find(dir + "/i.fits"), (dir + "/i.fits").size(), dir + "/absent-i.fits");
  write_text(dir + "/missing.yaml", text);
  const auto r = run_mpi(3, "run " + dir + "/missing.yaml --threads 1");
  EXPECT_NE(r.status, 0) << r.output;
  const std::string path = dir + "/absent-i.fits";
  const auto first = r.output.find(path);
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(path, first + 1), std::string::npos)
      << "named more than once:\n" << r.output;
}

// The pid of a `celeste` process started by the mpiexec with pid `launcher` (its child, or
// its grandchild through a shell), 0 when none yet.
pid_t celeste_rank_pid(pid_t launcher) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string pid, comm, state;
    long ppid = 0;
    if (!(stat >> pid >> comm >> state >> ppid)) continue;
    if (comm == "(celeste)" && ppid == launcher) return static_cast<pid_t>(std::stol(pid));
  }
  return 0;
}

TEST_F(MpiRun, KilledRankStopsTheJobAndResumeFinishesIdentically) {
  const std::string& dir = *dir_;
  write_text(dir + "/kill.yaml",
             config_text(dir, dir + "/kill", 2, 8000, "  checkpoint_seconds: 0.2\n"));
  const char* exe = std::getenv("CELESTE_EXE");
  ASSERT_NE(exe, nullptr);
  const std::string log = dir + "/kill.log";
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string cmd = std::string(kScrubMpiEnv) + "exec " + mpiexec() +
                            " --oversubscribe --allow-run-as-root -np 2 " + exe + " run " + dir +
                            "/kill.yaml --threads 1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first checkpoint, then kill one rank (not the one that writes it).
  const std::string ckpt = dir + "/kill/checkpoint.ckpt";
  const auto t0 = std::chrono::steady_clock::now();
  while (!fs::exists(ckpt) &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(ckpt)) << read_text(log);
  pid_t victim = 0;
  for (int tries = 0; tries < 100 && !victim; ++tries) {
    victim = celeste_rank_pid(launcher);
    if (!victim) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(victim, 0);
  kill(victim, SIGKILL);
  int status = 0;
  waitpid(launcher, &status, 0);
  const std::string killed_output = read_text(log);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << killed_output;
  EXPECT_FALSE(fs::exists(dir + "/kill/catalog.fits")) << killed_output;
  EXPECT_NE(killed_output.find("rank"), std::string::npos) << killed_output;
  ASSERT_TRUE(fs::exists(ckpt));

  const auto resumed = run_mpi(2, "run " + dir + "/kill.yaml --threads 1 --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from " + ckpt), std::string::npos) << resumed.output;
  expect_same_catalog(dir + "/ref/catalog.fits", dir + "/kill/catalog.fits", "resumed");
  const std::string rep = read_text(dir + "/kill/report.json");
  EXPECT_EQ(json_number(rep, "fits"), json_number(*ref_report_, "fits"));
  std::printf("killed rank %d after the first checkpoint; resumed with %g fits done: identical\n",
              static_cast<int>(victim), json_number(rep, "resumed_fits"));
}

// A real-data sub-box of SDSS 94/1/12 on 2 ranks: the one-rank catalog.
// A 2 x 2 mosaic (16 images) with an image cache of about five images: on 3 ranks each rank reads
// only its tasks' images (and its share for the plan), reloads what it evicted, and the
// catalog is the one-rank catalog of a run that keeps every image.
TEST(MpiRunMosaic, SmallImageCacheOnThreeRanksGivesTheOneRankCatalog) {
  const std::string dir = scratch_dir("mpi_run_mosaic");
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
  const std::string one = config_text(dir, dir + "/one", 2, 6000);
  std::string three = config_text(dir, dir + "/three", 2, 6000);
  three.replace(three.find("execution:\n"), 11, "execution:\n  image_cache_mb: 1\n");
  write_text(dir + "/one.yaml", one);
  write_text(dir + "/three.yaml", three);
  const auto r1 = run_celeste("run " + dir + "/one.yaml --threads 1");
  ASSERT_EQ(r1.status, 0) << r1.output;
  const auto r3 = run_mpi(3, "run " + dir + "/three.yaml --threads 1");
  ASSERT_EQ(r3.status, 0) << r3.output;
  expect_same_catalog(dir + "/one/catalog.fits", dir + "/three/catalog.fits", "3 ranks");
  const std::string rep = read_text(dir + "/three/report.json");
  // Per rank: images read (at least its plan share of 16 / 3), evictions, waits.
  std::size_t at = rep.find("\"ranks\": [");
  ASSERT_NE(at, std::string::npos) << rep;
  double loads = 0, evictions = 0;
  for (int r = 0; r < 3; ++r) {
    at = rep.find("{\"rank\": ", at + 1);
    ASSERT_NE(at, std::string::npos) << rep;
    const std::string entry = rep.substr(at, rep.find('}', at) - at);
    EXPECT_GE(json_number(entry, "images_loaded"), 5) << entry;
    loads += json_number(entry, "images_loaded");
    evictions += json_number(entry, "image_cache_evictions");
    json_number(entry, "image_loading_late_s");
  }
  EXPECT_GT(evictions, 0) << rep;
  EXPECT_GT(loads, 16) << rep;
}

TEST(MpiRunSdss, SubBoxOnTwoRanksGivesTheOneRankCatalog) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string data = shared_data_path("sdss/stripe82-94-1-12");
  const std::string photoobj = data + "/photoObj-000094-1-0012.fits";
  const std::string region = catalog_region_yaml(io::read_photoobj(photoobj), 0.0, 0.25);
  const std::string dir = scratch_dir("mpi_run_sdss");
  auto config = [&](const std::string& out) {
    return "images:\n  - format: sdss\n    directory: " + data +
           "\n    run: 94\n    camcol: 1\n    field: 12\ncatalog:\n  format: photoobj\n  path: " +
           photoobj + "\n" + region +
           "inference:\n  region_target_pixels: 100000\noutput:\n  directory: " + out + "\n";
  };
  write_text(dir + "/one.yaml", config(dir + "/one"));
  write_text(dir + "/two.yaml", config(dir + "/two"));
  const auto one = run_celeste("run " + dir + "/one.yaml --threads 2");
  ASSERT_EQ(one.status, 0) << one.output;
  const auto two = run_mpi(2, "run " + dir + "/two.yaml --threads 1");
  ASSERT_EQ(two.status, 0) << two.output;
  EXPECT_GT(json_number(read_text(dir + "/one/report.json"), "regions"), 2);
  expect_same_catalog(dir + "/one/catalog.fits", dir + "/two/catalog.fits", "SDSS sub-box");
}

}  // namespace
}  // namespace celeste::testing
