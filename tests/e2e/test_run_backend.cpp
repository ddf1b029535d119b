// `execution.backend` / `--backend` choose the execution space the fits run on: the report
// names it, the catalog of Serial equals OpenMP's bit for bit (team size 1), and a backend
// this build lacks is a configuration error naming the ones it has.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/celeste_exe.hpp"
#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"
#include "runtime/backend.hpp"

namespace celeste::testing {
namespace {

TEST(RunBackend, ConfiguredBackendIsTheOneThatRuns) {
  const std::string dir = scratch_dir("run_backend");
  config::GenerateConfig g;
  g.seed = 5;
  g.bands = {"r"};
  g.width = g.height = 150;
  g.source_count = 30;
  write_generic_survey(dir, g);
  auto config = [&](const std::string& out, const std::string& backend) {
    return "images:\n  - format: generic\n    paths: [" + dir +
           "/r.fits]\ncatalog:\n  format: generic\n  path: " + dir +
           "/init.fits\ninference:\n  passes: 1\n" +
           (backend.empty() ? "" : "execution:\n  backend: " + backend + "\n") +
           "output:\n  directory: " + out + "\n";
  };
  const std::string names = runtime::enabled_backend_names();
  if (names.find("serial") == std::string::npos || names.find("openmp") == std::string::npos)
    GTEST_SKIP() << "needs Serial and OpenMP in one build (this one: " << names << ")";

  write_text(dir + "/serial.yaml", config(dir + "/serial", "serial"));
  write_text(dir + "/openmp.yaml", config(dir + "/openmp", "openmp"));
  const auto s = run_celeste("run " + dir + "/serial.yaml --threads 2");
  ASSERT_EQ(s.status, 0) << s.output;
  const auto o = run_celeste("run " + dir + "/openmp.yaml --threads 2");
  ASSERT_EQ(o.status, 0) << o.output;
  const std::string rs = read_text(dir + "/serial/report.json");
  const std::string ro = read_text(dir + "/openmp/report.json");
  EXPECT_EQ(json_string(rs, "backend"), "Serial") << rs;
  EXPECT_EQ(json_number(rs, "threads"), 1) << "Serial runs one thread";
  EXPECT_EQ(json_string(ro, "backend"), "OpenMP") << ro;
  EXPECT_EQ(json_number(ro, "threads"), 2);
  expect_same_catalog(dir + "/serial/catalog.fits", dir + "/openmp/catalog.fits",
                      "Serial against OpenMP");

  // --backend overrides the file.
  const auto over = run_celeste("run " + dir + "/openmp.yaml --backend serial");
  ASSERT_EQ(over.status, 0) << over.output;
  EXPECT_EQ(json_string(read_text(dir + "/openmp/report.json"), "backend"), "Serial");

  // Absent from this build: exit 2, naming the ones it has, before any work.
  if (names.find("cuda") == std::string::npos) {
    write_text(dir + "/cuda.yaml", config(dir + "/cuda", "cuda"));
    const auto c = run_celeste("run " + dir + "/cuda.yaml");
    EXPECT_EQ(c.status, 2) << c.output;
    EXPECT_NE(c.output.find("backend 'cuda' is not enabled in this build (enabled: " + names),
              std::string::npos)
        << c.output;
    EXPECT_FALSE(std::filesystem::exists(dir + "/cuda/catalog.fits"));
  }
}

TEST(RunBackend, BenchTakesTheBackendToo) {
  const std::string names = runtime::enabled_backend_names();
  if (names.find("serial") == std::string::npos) GTEST_SKIP() << "no Serial in " << names;
  const auto fit = run_celeste("bench fit --backend serial --sources 8 --seconds 1 --json");
  ASSERT_EQ(fit.status, 0) << fit.output;
  EXPECT_NE(fit.output.find("\"backend\": \"Serial\", \"threads\": 1,"), std::string::npos)
      << fit.output;
  const auto elbo = run_celeste("bench elbo --backend serial --sources 20 --seconds 1 --json");
  ASSERT_EQ(elbo.status, 0) << elbo.output;
  EXPECT_NE(elbo.output.find("\"backend\": \"Serial\", \"threads\": 1,"), std::string::npos)
      << elbo.output;
  const auto bad = run_celeste("bench fit --backend nosuch");
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_NE(bad.output.find("backend 'nosuch' is not enabled"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace celeste::testing
