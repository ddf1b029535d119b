// The run's log (issue 15 item 7, docs/run.md "Log and progress") through the executable on a
// small synthetic field: --quiet leaves stderr empty on a successful run, --verbose says more
// than the default (per region, progress every second), output.log holds the default's lines
// with timestamps, the progress lines carry a percent and an ETA, and an output.log that
// cannot be written is a configuration error naming the key.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "harness/celeste_exe.hpp"
#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"

namespace celeste::testing {
namespace {

// `celeste ARGS` with stderr alone captured (stdout discarded).
CommandResult celeste_stderr(const std::string& args) {
  const char* exe = std::getenv("CELESTE_EXE");
  EXPECT_NE(exe, nullptr) << "CELESTE_EXE is set by ctest";
  return run_shell(std::string(scrub_mpi_environment()) + "{ " + (exe ? exe : "celeste") + " " +
                   args + " 2>&1 1>/dev/null; }");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class RunLog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = scratch_dir("run_log");
    config::GenerateConfig g;
    g.seed = 11;
    g.bands = {"r", "i"};
    g.width = g.height = 120;
    g.source_count = 20;
    write_generic_survey(dir_, g);
  }
  static std::string config(const std::string& out, const std::string& log_key = "") {
    return "images:\n  - format: generic\n    paths: [" + dir_ + "/r.fits, " + dir_ +
           "/i.fits]\ncatalog:\n  format: generic\n  path: " + dir_ +
           "/init.fits\ninference:\n  passes: 1\noutput:\n  directory: " + dir_ + "/" + out +
           "\n" + log_key;
  }
  static std::string dir_;
};
std::string RunLog::dir_;

TEST_F(RunLog, QuietIsSilentDefaultLogsPhasesVerboseSaysMoreAndTheFileKeepsTheLines) {
  write_text(dir_ + "/quiet.yaml", config("quiet"));
  write_text(dir_ + "/normal.yaml", config("normal", "  log: run.log\n"));
  write_text(dir_ + "/verbose.yaml", config("verbose"));
  const CommandResult quiet = celeste_stderr("run " + dir_ + "/quiet.yaml --quiet");
  ASSERT_EQ(quiet.status, 0) << quiet.output;
  EXPECT_EQ(quiet.output, "") << "--quiet printed on stderr";
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/quiet/catalog.fits"));

  const CommandResult normal = celeste_stderr("run " + dir_ + "/normal.yaml");
  ASSERT_EQ(normal.status, 0) << normal.output;
  std::printf("default log:\n%s", normal.output.c_str());
  for (const char* phase :
       {"celeste run: loading images: 2 generic FITS file(s)\n", "celeste run: loaded 2 images",
        "celeste run: catalog ", "rows, 0 dropped, ", "targets inside the region, ",
        "celeste run: planned 1 region(s) in 1 stage(s): 20 fits (1 passes)",
        "celeste run: stage 1/1: 1 region(s)\n", "celeste run: writing outputs to ",
        "celeste run: wrote 3 files"})
    EXPECT_NE(normal.output.find(phase), std::string::npos) << "no line with: " << phase;
  // The stage's progress line: fits done of planned, percent, elapsed time, ETA.
  const std::regex progress(
      "celeste run: stage 1/1 done: 20/20 fits \\(100 %\\), [0-9]+ s elapsed, ETA 0 s\n");
  EXPECT_TRUE(std::regex_search(normal.output, progress)) << normal.output;

  // output.log: the same lines, each after a UTC timestamp.
  const auto logged = lines_of(read_text(dir_ + "/normal/run.log"));
  const auto printed = lines_of(normal.output);
  ASSERT_EQ(logged.size(), printed.size()) << read_text(dir_ + "/normal/run.log");
  const std::regex stamp("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ");
  for (std::size_t i = 0; i < logged.size(); ++i) {
    EXPECT_TRUE(std::regex_search(logged[i], stamp)) << logged[i];
    EXPECT_EQ(logged[i].substr(21), printed[i]);
  }

  const CommandResult verbose = celeste_stderr("run " + dir_ + "/verbose.yaml --verbose");
  ASSERT_EQ(verbose.status, 0) << verbose.output;
  EXPECT_GT(lines_of(verbose.output).size(), printed.size()) << verbose.output;
  EXPECT_NE(verbose.output.find("celeste run: stage 1 region 1/1: 20 targets in "),
            std::string::npos)
      << verbose.output;
  // Every default line is there too (those without timings identical, once the output
  // folder's name is this run's).
  for (std::string l : printed) {
    if (l.find(" s") != std::string::npos) continue;
    const auto at = l.find(dir_ + "/normal");
    if (at != std::string::npos) l.replace(at, dir_.size() + 7, dir_ + "/verbose");
    EXPECT_NE(verbose.output.find(l), std::string::npos) << l;
  }
}

TEST_F(RunLog, QuietAndVerboseTogetherAreAUsageErrorOnEverySubcommand) {
  for (const char* cmd : {"run x.yaml", "generate x.yaml", "info", "score --truth a --catalog b"}) {
    const CommandResult r = celeste_stderr(std::string(cmd) + " --quiet --verbose");
    EXPECT_EQ(r.status, 2) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find("--quiet and --verbose"), std::string::npos) << r.output;
  }
  // --quiet is accepted by every subcommand (not an unknown option) and keeps stdout's results.
  const CommandResult info = run_celeste("info --json --quiet");
  EXPECT_EQ(info.status, 0) << info.output;
  EXPECT_EQ(info.output.front(), '{') << info.output;
}

TEST_F(RunLog, AnUnwritableLogIsAConfigErrorNamingTheKey) {
  write_text(dir_ + "/bad.yaml",
             config("bad", "  log: " + dir_ + "/no-such-folder/run.log\n"));
  const CommandResult r = celeste_stderr("run " + dir_ + "/bad.yaml");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("configuration error: " + dir_ + "/bad.yaml: output.log: cannot "
                          "write the log file " + dir_ + "/no-such-folder/run.log: No such "
                          "file or directory"),
            std::string::npos)
      << r.output;
  // The log must not be one of the run's other files.
  write_text(dir_ + "/clash.yaml", config("clash", "  log: report.json\n"));
  const CommandResult clash = celeste_stderr("run " + dir_ + "/clash.yaml");
  EXPECT_EQ(clash.status, 2) << clash.output;
  EXPECT_NE(clash.output.find("output.report and output.log are the same file"),
            std::string::npos)
      << clash.output;
}

}  // namespace
}  // namespace celeste::testing
