// util/log.hpp: the progress line's percent and ETA, durations, and which lines the log file
// gets at each level (timestamped, written as they come). What reaches stderr at each level is
// checked through the executable (e2e run_log).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"
#include "util/log.hpp"

namespace celeste {
namespace {

TEST(Log, ProgressGivesPercentAndEtaAtThisSessionsRate) {
  // 600 of 1800 fits in 300 s: 1200 left at 2 fits/s.
  EXPECT_EQ(log::progress_text(600, 1800, 0, 300.0, 310.0),
            "600/1800 fits (33 %), 5 min 10 s elapsed, ETA 10 min 00 s");
  // A resumed run did 300 before this session: 300 fits in 300 s, 1200 left at 1 fit/s.
  EXPECT_EQ(log::progress_text(600, 1800, 300, 300.0, 300.0),
            "600/1800 fits (33 %), 5 min 00 s elapsed, ETA 20 min 00 s");
  EXPECT_EQ(log::progress_text(0, 1800, 0, 2.0, 2.0), "0/1800 fits (0 %), 2 s elapsed, ETA ?");
  EXPECT_EQ(log::progress_text(1800, 1800, 0, 42.0, 50.0),
            "1800/1800 fits (100 %), 50 s elapsed, ETA 0 s");
}

TEST(Log, DurationText) {
  EXPECT_EQ(log::duration_text(0.4), "0 s");
  EXPECT_EQ(log::duration_text(59.4), "59 s");
  EXPECT_EQ(log::duration_text(65), "1 min 05 s");
  EXPECT_EQ(log::duration_text(7620), "2 h 07 min");
  EXPECT_EQ(log::duration_text(-1), "?");
}

TEST(Log, FileGetsTimestampedLinesAsTheyComeAndDetailOnlyWhenVerbose) {
  const std::string path = celeste::testing::scratch_dir("log_unit") + "/run.log";
  log::set_level(log::Level::quiet);  // quiet silences stderr, not the file
  ASSERT_EQ(log::open_file(path, false), "");
  log::info("phase one");
  // Flushed per line: readable before the file is closed (a killed run keeps its log).
  EXPECT_NE(celeste::testing::read_text(path).find("phase one"), std::string::npos);
  log::warning("a warning");
  log::error("an error");
  log::detail("hidden detail");
  log::set_level(log::Level::verbose);
  log::detail("shown detail");
  log::close_file();
  log::set_level(log::Level::normal);
  const std::string text = celeste::testing::read_text(path);
  const std::regex line("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ (phase one|a warning|an error|"
                        "shown detail)\n");
  std::string rest = text;
  int lines = 0;
  for (std::smatch m; std::regex_search(rest, m, line); rest = m.suffix()) ++lines;
  EXPECT_EQ(lines, 4) << text;
  EXPECT_EQ(text.find("hidden detail"), std::string::npos) << text;

  // Appending keeps what was there.
  ASSERT_EQ(log::open_file(path, true), "");
  log::info("resumed");
  log::close_file();
  const std::string appended = celeste::testing::read_text(path);
  EXPECT_EQ(appended.find(text), 0u);
  EXPECT_NE(appended.find("resumed"), std::string::npos);

  EXPECT_NE(log::open_file(path + ".missing-folder/x.log", false), "");
  EXPECT_FALSE(log::file_open());
}

}  // namespace
}  // namespace celeste
