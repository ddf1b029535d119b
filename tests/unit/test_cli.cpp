// The `celeste` executable's contract: subcommands, exit codes, messages (run as a process).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"

namespace {

using Result = celeste::testing::CommandResult;
using celeste::testing::run_celeste;

TEST(Cli, InfoShowsVersionsBackendsAndThreads) {
  const Result r = run_celeste("info --backend openmp --threads 2");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Celeste-K"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Kokkos 3.4.1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("openmp"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("execution space: openmp, concurrency 2 threads"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("MPI ranks: 1"), std::string::npos) << r.output;
}

TEST(Cli, InfoJson) {
  const Result r = run_celeste("info --json --backend serial");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("\"execution_space\": \"serial\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"concurrency\": 1"), std::string::npos) << r.output;
}

TEST(Cli, HelpForEverySubcommand) {
  for (const char* cmd : {"info", "run", "generate", "score", "bench", "schedule-sim"}) {
    const Result r = run_celeste(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.output.find(std::string("usage: celeste ") + cmd), std::string::npos) << r.output;
  }
  const Result top = run_celeste("--help");
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.output.find("commands:"), std::string::npos);
}

TEST(Cli, UnknownCommandAndBadOptionAreUsageErrors) {
  Result r = run_celeste("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos) << r.output;
  r = run_celeste("info --backend cuda");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("backend 'cuda' is not enabled"), std::string::npos) << r.output;
  r = run_celeste("info --threads many");
  EXPECT_EQ(r.status, 2) << r.output;
}

TEST(Cli, BadConfigExitsWithCode2AndNamesTheProblem) {
  const std::string dir = celeste::testing::scratch_dir("cli");
  const std::string path = dir + "/bad.yaml";
  std::ofstream(path) << "images:\n  - format: generic\n    paths: [x.fits]\ncatalog:\n  path: c.fits\n"
                         "output:\n  directory: o\n  colour: blue\n";
  const Result r = run_celeste("run " + path);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(path + ":8:3: key 'output.colour': unknown key"), std::string::npos)
      << r.output;
  const Result missing = run_celeste("run " + dir + "/absent.yaml");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("absent.yaml: cannot open"), std::string::npos) << missing.output;
}

}  // namespace
