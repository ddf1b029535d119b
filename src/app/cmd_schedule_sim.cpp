// `celeste schedule-sim`: the dynamic tree scheduler (src/scheduling/) replayed on P virtual
// ranks by discrete-event simulation, on the per-task durations of a run report or on a
// synthetic survey: predicted makespan, efficiency, load imbalance and messages per P
// (issue 11; docs/scheduling.md, "Simulator").
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/report_tasks.hpp"
#include "scheduling/schedule_sim.hpp"
#include "scheduling/synthetic_tasks.hpp"
#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::app {

namespace {

constexpr int kMaxVirtualRanks = 1 << 20;

std::vector<int> default_rank_counts() {
  std::vector<int> counts;
  for (int p = 1; p <= 8192; p *= 2) counts.push_back(p);
  return counts;
}

std::vector<int> parse_rank_counts(const std::string& list) {
  std::vector<int> counts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
    counts.push_back(parse_int_option("--ranks", item, 1, kMaxVirtualRanks,
                                      "a comma-separated list of virtual rank counts"));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return counts;
}

struct Input {
  std::string report;  // or synthetic:
  scheduling::SyntheticTaskOptions synthetic;
  bool is_synthetic() const { return report.empty(); }
};

std::string input_json(const Input& in) {
  if (!in.is_synthetic()) return "{\"kind\": \"report\", \"file\": " + json_quoted(in.report) + "}";
  const auto& s = in.synthetic;
  return "{\"kind\": \"synthetic\", \"distribution\": \"log-normal\", \"tasks_per_stage\": " +
         std::to_string(s.tasks) + ", \"stages\": " + std::to_string(s.stages) +
         ", \"seed\": " + std::to_string(s.seed) + ", \"median_s\": " + json_number(s.median_s) +
         ", \"sigma\": " + json_number(s.sigma) + "}";
}

std::string input_text(const Input& in) {
  if (!in.is_synthetic()) return "task durations of " + in.report;
  const auto& s = in.synthetic;
  return "synthetic log-normal durations, median " + format_significant(s.median_s, 6) +
         " s, sigma " + format_significant(s.sigma, 6) + ", seed " + std::to_string(s.seed);
}

std::string json_list(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + json_number(values[i]);
  return out + "]";
}

std::string result_json(const scheduling::ScheduleSimResult& r) {
  return "{\"ranks\": " + std::to_string(r.ranks) +
         ", \"makespan_s\": " + json_number(r.makespan_s) +
         ", \"lower_bound_s\": " + json_number(r.lower_bound_s) +
         ", \"efficiency\": " + json_number(r.efficiency) +
         ", \"load_imbalance_s\": " + json_number(r.load_imbalance_s) +
         ", \"load_imbalance_fraction\": " + json_number(r.load_imbalance_fraction) +
         ", \"wait_fraction\": " + json_number(r.wait_fraction) +
         ", \"messages\": " + std::to_string(r.messages) +
         ", \"max_rank_messages\": " + std::to_string(r.max_rank_messages) +
         ", \"stage_end_s\": " + json_list(r.stage_end_s) +
         ", \"stage_over_s\": " + json_list(r.stage_over_s) + "}";
}

}  // namespace

int cmd_schedule_sim(CommandArgs& ca) {
  Input input;
  bool synthetic_given = false, json = false;
  std::vector<std::string> synthetic_only;  // options that make no sense with --report
  std::vector<int> rank_counts = default_rank_counts();
  scheduling::ScheduleSimOptions sim;
  const char* usage = " (see celeste schedule-sim --help)";
  for (std::size_t i = 0; i < ca.args.size(); ++i) {
    std::string v;
    const std::string arg = ca.args[i];
    if (take_option(ca.args, i, "--report", v)) {
      if (v.empty()) throw UsageError("--report needs a file name", {"", 0, 0, "--report", ""});
      input.report = v;
    } else if (take_option(ca.args, i, "--synthetic", v)) {
      input.synthetic.tasks = parse_int_option("--synthetic", v, 1, 100'000'000,
                                               "tasks per stage");
      synthetic_given = true;
    } else if (take_option(ca.args, i, "--seed", v)) {
      input.synthetic.seed = static_cast<std::uint64_t>(parse_int_option("--seed", v));
      synthetic_only.push_back("--seed");
    } else if (take_option(ca.args, i, "--stages", v)) {
      input.synthetic.stages = parse_int_option("--stages", v, 1, 64, "");
      synthetic_only.push_back("--stages");
    } else if (take_option(ca.args, i, "--median-s", v)) {
      input.synthetic.median_s = parse_number_option("--median-s", v, 1e-9, 1e9);
      synthetic_only.push_back("--median-s");
    } else if (take_option(ca.args, i, "--sigma", v)) {
      input.synthetic.sigma = parse_number_option("--sigma", v, 0, 5);
      synthetic_only.push_back("--sigma");
    } else if (take_option(ca.args, i, "--ranks", v)) {
      rank_counts = parse_rank_counts(v);
    } else if (take_option(ca.args, i, "--fanout", v)) {
      sim.fanout = parse_int_option("--fanout", v, 1, kMaxVirtualRanks, "tree fan-out");
    } else if (take_option(ca.args, i, "--latency-us", v)) {
      sim.latency_s = parse_number_option("--latency-us", v, 0, 1e9) * 1e-6;
    } else if (take_option(ca.args, i, "--poll-ms", v)) {
      sim.poll_interval_s = parse_number_option("--poll-ms", v, 0, 1e9) * 1e-3;
    } else if (take_option(ca.args, i, "--chunk-divisor", v)) {
      sim.chunk_divisor = parse_number_option("--chunk-divisor", v, 1, 1e6);
    } else if (take_option(ca.args, i, "--prefetch-s", v)) {
      sim.prefetch_s = parse_number_option("--prefetch-s", v, 0, 1e9);
    } else if (arg == "--json") {
      json = true;
    } else {
      throw UsageError("unknown argument '" + arg + "'" + usage, {"", 0, 0, arg, ""});
    }
  }
  if (input.report.empty() == !synthetic_given)
    throw UsageError("give exactly one of --report REPORT.json and --synthetic N" +
                         std::string(usage),
                     {"", 0, 0, "--report", ""});
  if (!input.is_synthetic() && !synthetic_only.empty())
    throw UsageError(synthetic_only.front() + " applies to --synthetic only, not to --report",
                     {"", 0, 0, synthetic_only.front(), ""});

  const std::vector<std::vector<scheduling::SimTask>> stages =
      input.is_synthetic() ? scheduling::synthetic_tasks(input.synthetic)
                           : read_report_tasks(input.report);
  std::size_t tasks = 0;
  double total_s = 0;
  for (const auto& stage : stages)
    for (const auto& t : stage) {
      ++tasks;
      total_s += t.seconds;
    }

  if (!json) {
    std::printf("schedule-sim: %zu stage(s), %zu tasks, %s task-seconds (%s)\n", stages.size(),
                tasks, format_significant(total_s, 6).c_str(), input_text(input).c_str());
    std::printf("  fan-out %d, latency %s us, poll %s ms, prefetch %s s, chunk divisor %s\n",
                sim.fanout, format_significant(sim.latency_s * 1e6, 6).c_str(),
                format_significant(sim.poll_interval_s * 1e3, 6).c_str(),
                format_significant(sim.prefetch_s, 6).c_str(),
                format_significant(sim.chunk_divisor, 6).c_str());
    std::printf("%8s %12s %12s %10s %10s %10s %10s %12s\n", "ranks", "makespan_s", "bound_s",
                "efficiency", "imbalance", "waiting", "messages", "busiest_msgs");
  }
  std::string results;
  for (const int ranks : rank_counts) {
    sim.ranks = ranks;
    const scheduling::ScheduleSimResult r = scheduling::simulate_schedule(stages, sim);
    if (json) {
      results += (results.empty() ? "\n    " : ",\n    ") + result_json(r);
    } else {
      std::printf("%8d %12s %12s %10s %10s %10s %10lld %12lld\n", r.ranks,
                  format_significant(r.makespan_s, 6).c_str(),
                  format_significant(r.lower_bound_s, 6).c_str(),
                  format_significant(r.efficiency, 4).c_str(),
                  format_significant(r.load_imbalance_fraction, 3).c_str(),
                  format_significant(r.wait_fraction, 3).c_str(),
                  static_cast<long long>(r.messages), static_cast<long long>(r.max_rank_messages));
    }
  }
  if (json) {
    std::printf("{\"command\": \"schedule-sim\", \"input\": %s, \"stages\": %zu, \"tasks\": %zu, "
                "\"total_task_s\": %s, \"fanout\": %d, \"latency_us\": %s, \"poll_ms\": %s, "
                "\"prefetch_s\": %s, \"chunk_divisor\": %s, \"results\": [%s\n  ]}\n",
                input_json(input).c_str(), stages.size(), tasks, json_number(total_s).c_str(),
                sim.fanout, json_number(sim.latency_s * 1e6).c_str(),
                json_number(sim.poll_interval_s * 1e3).c_str(), json_number(sim.prefetch_s).c_str(),
                json_number(sim.chunk_divisor).c_str(), results.c_str());
  } else {
    std::printf("efficiency = task-seconds / (ranks x makespan); imbalance and waiting: fractions "
                "of ranks x makespan\nidle after a rank's last task of a stage until it learns "
                "the stage is over, and idle before it (docs/scheduling.md)\n");
  }
  return kExitOk;
}

}  // namespace celeste::app
