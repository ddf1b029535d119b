// `celeste schedule-sim` as a process: the synthetic and the run-report inputs, the table and
// the JSON output, and usage and input errors (exit 2 and 1) that name the problem.
#include <gtest/gtest.h>

#include <string>

#include <yaml-cpp/yaml.h>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"

namespace {

using celeste::testing::run_celeste;
using celeste::testing::write_text;

// The JSON object in the output (the command prints nothing else with --json), read with
// the project's YAML parser (JSON is YAML 1.2).
YAML::Node parse_output(const celeste::testing::CommandResult& r) { return YAML::Load(r.output); }

TEST(ScheduleSimCli, SyntheticSweepAsTableAndJson) {
  auto r = run_celeste("schedule-sim --synthetic 2000 --seed 3 --ranks 1,4,64 --fanout 4");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 stage(s), 4000 tasks"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("makespan_s"), std::string::npos) << r.output;

  r = run_celeste("schedule-sim --synthetic 2000 --seed 3 --ranks 1,4,64 --fanout 4 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const YAML::Node j = parse_output(r);
  EXPECT_EQ(j["command"].as<std::string>(), "schedule-sim");
  EXPECT_EQ(j["input"]["kind"].as<std::string>(), "synthetic");
  EXPECT_EQ(j["tasks"].as<double>(), 4000);
  EXPECT_EQ(j["fanout"].as<double>(), 4);
  EXPECT_EQ(j["latency_us"].as<double>(), 5.0);
  ASSERT_EQ(j["results"].size(), 3u);
  const YAML::Node one = j["results"][0];
  EXPECT_EQ(one["ranks"].as<double>(), 1);
  EXPECT_EQ(one["messages"].as<double>(), 0);
  EXPECT_NEAR(one["efficiency"].as<double>(), 1.0, 1e-12);
  EXPECT_NEAR(one["makespan_s"].as<double>(), j["total_task_s"].as<double>(), 1e-6);
  for (const auto& row : j["results"]) {
    EXPECT_GE(row["makespan_s"].as<double>(), row["lower_bound_s"].as<double>() * (1 - 1e-12));
    EXPECT_NEAR(row["efficiency"].as<double>() + row["load_imbalance_fraction"].as<double>() +
                    row["wait_fraction"].as<double>(),
                1.0, 1e-9);
  }
  // The same command gives the same numbers.
  EXPECT_EQ(run_celeste("schedule-sim --synthetic 2000 --seed 3 --ranks 1,4,64 --fanout 4 --json")
                .output,
            r.output);
}

TEST(ScheduleSimCli, ReplaysTheTasksOfARunReport) {
  const std::string dir = celeste::testing::scratch_dir("schedule_sim_cli");
  const std::string report = dir + "/report.json";
  // Two stages; stage 2's tasks carry a cost estimate, stage 1's default to their seconds.
  write_text(report, R"({"run_id": "x", "sources": 3, "tasks": [
      {"stage": 1, "id": 0, "seconds": 4.0, "rank": 0},
      {"stage": 1, "id": 1, "seconds": 3.0},
      {"stage": 1, "id": 2, "seconds": 1.0},
      {"stage": 2, "id": 0, "seconds": 2.0, "cost": 10},
      {"stage": 2, "id": 1, "seconds": 2.0, "cost": 1}]})");
  const auto r = run_celeste("schedule-sim --report " + report + " --ranks 1,2 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const YAML::Node j = parse_output(r);
  EXPECT_EQ(j["input"]["kind"].as<std::string>(), "report");
  EXPECT_EQ(j["stages"].as<double>(), 2);
  EXPECT_EQ(j["tasks"].as<double>(), 5);
  EXPECT_DOUBLE_EQ(j["total_task_s"].as<double>(), 12.0);
  EXPECT_DOUBLE_EQ(j["results"][0]["makespan_s"].as<double>(), 12.0);
  // Two ranks: stage 1 takes max(4, 3 + 1) = 4 s, stage 2 2 s, plus message latencies.
  const double two = j["results"][1]["makespan_s"].as<double>();
  EXPECT_GT(two, 6.0);
  EXPECT_LT(two, 6.001);
}

TEST(ScheduleSimCli, UsageAndInputErrors) {
  const std::string dir = celeste::testing::scratch_dir("schedule_sim_cli_errors");
  struct Case {
    std::string args;
    int status;
    std::string message;
  };
  write_text(dir + "/no_tasks.json", R"({"run_id": "x", "sources": 3})");
  write_text(dir + "/bad_entry.json", R"({"tasks": [{"stage": 1, "id": 0, "seconds": 1},
                                                      {"stage": 1, "id": 1, "seconds": -2}]})");
  write_text(dir + "/duplicate.json", R"({"tasks": [{"stage": 1, "id": 0, "seconds": 1},
                                                     {"stage": 1, "id": 0, "seconds": 2}]})");
  write_text(dir + "/not_json.json", "{\"tasks\": [");
  const Case cases[] = {
      {"schedule-sim", 2, "exactly one of --report"},
      {"schedule-sim --synthetic 10 --report " + dir + "/no_tasks.json", 2, "exactly one of"},
      {"schedule-sim --report " + dir + "/no_tasks.json --seed 3", 2, "--seed applies to"},
      {"schedule-sim --synthetic 0", 2, "--synthetic"},
      {"schedule-sim --synthetic 10 --ranks 1,0", 2, "--ranks"},
      {"schedule-sim --synthetic 10 --ranks 1,,2", 2, "--ranks"},
      {"schedule-sim --synthetic 10 --fanout 0", 2, "--fanout"},
      {"schedule-sim --synthetic 10 --latency-us -1", 2, "--latency-us"},
      {"schedule-sim --synthetic 10 --latency-us nan", 2, "--latency-us"},
      {"schedule-sim --synthetic 10 --chunk-divisor 0.5", 2, "--chunk-divisor"},
      {"schedule-sim --synthetic 10 --frobnicate", 2, "unknown argument '--frobnicate'"},
      {"schedule-sim --report " + dir + "/missing.json", 1, "cannot open"},
      {"schedule-sim --report " + dir + "/no_tasks.json", 1, "no \"tasks\" array"},
      {"schedule-sim --report " + dir + "/bad_entry.json", 1, "tasks[1].seconds"},
      {"schedule-sim --report " + dir + "/duplicate.json", 1, "tasks[1].id"},
      {"schedule-sim --report " + dir + "/not_json.json", 1, "not a JSON run report"},
  };
  for (const Case& c : cases) {
    const auto r = run_celeste(c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
}

}  // namespace
