// The discrete-event simulator (src/scheduling/schedule_sim.hpp) and the synthetic survey
// (synthetic_tasks.hpp): the real scheduler on P virtual ranks runs every task once, keeps the
// stage order and the tree's edges, obeys the makespan bounds, accounts for every second of
// every rank, is deterministic, and is near-perfectly efficient on many equal tasks.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "scheduling/schedule_sim.hpp"
#include "scheduling/synthetic_tasks.hpp"

namespace celeste::scheduling {
namespace {

std::vector<std::vector<SimTask>> lognormal_stages(int n, int stages, std::uint64_t seed) {
  SyntheticTaskOptions o;
  o.tasks = n;
  o.stages = stages;
  o.seed = seed;
  return synthetic_tasks(o);
}

std::vector<SimTask> equal_tasks(int n, double seconds) {
  std::vector<SimTask> tasks;
  for (int i = 0; i < n; ++i) tasks.push_back({i, seconds, seconds});
  return tasks;
}

ScheduleSimOptions options_for(int ranks, int fanout) {
  ScheduleSimOptions o;
  o.ranks = ranks;
  o.fanout = fanout;
  return o;
}

double total_seconds(const std::vector<std::vector<SimTask>>& stages) {
  double total = 0;
  for (const auto& s : stages)
    for (const SimTask& t : s) total += t.seconds;
  return total;
}

TEST(ScheduleSim, EveryTaskOnceStagesInOrderOnlyTreeEdges) {
  for (int ranks : {1, 2, 3, 9, 64, 300}) {
    for (int fanout : {1, 2, 8, 1000}) {
      for (int n : {1, 5, 200}) {
        for (double poll : {0.0, 0.5}) {
          const auto stages = lognormal_stages(n, 2, static_cast<std::uint64_t>(n + ranks));
          ScheduleSimOptions o = options_for(ranks, fanout);
          o.poll_interval_s = poll;
          o.prefetch_s = poll > 0 ? 2.0 : 0.0;
          o.record_messages = true;
          const ScheduleSimResult r = simulate_schedule(stages, o);
          const std::string what = "P=" + std::to_string(ranks) + " F=" + std::to_string(fanout) +
                                   " N=" + std::to_string(n) + " poll " + std::to_string(poll);
          std::map<std::pair<int, int>, int> runs;
          double stage1_end = 0, stage2_start = 1e300;
          for (const SimTaskRun& run : r.runs) {
            runs[{run.stage, run.id}]++;
            const auto& stage = stages[static_cast<std::size_t>(run.stage)];
            EXPECT_NEAR(run.end_s - run.start_s, stage[static_cast<std::size_t>(run.id)].seconds,
                        1e-9 * run.end_s)
                << what;
            if (run.stage == 0) stage1_end = std::max(stage1_end, run.end_s);
            if (run.stage == 1) stage2_start = std::min(stage2_start, run.start_s);
          }
          EXPECT_EQ(runs.size(), static_cast<std::size_t>(2 * n)) << what;
          for (const auto& [key, count] : runs) EXPECT_EQ(count, 1) << what;
          EXPECT_GE(stage2_start, stage1_end) << what;
          EXPECT_GE(r.stage_over_s[0], r.stage_end_s[0]) << what;
          for (const SimMessage& m : r.messages_log) {
            const std::vector<int> children = dtree_children(m.from, ranks, fanout);
            EXPECT_TRUE(m.to == dtree_parent(m.from, fanout) ||
                        std::find(children.begin(), children.end(), m.to) != children.end())
                << what << ": " << m.from << " -> " << m.to;
          }
          EXPECT_EQ(r.messages, static_cast<std::int64_t>(r.messages_log.size())) << what;
          if (ranks == 1) EXPECT_EQ(r.messages, 0) << what;
        }
      }
    }
  }
}

TEST(ScheduleSim, MakespanBoundsAndTimeAccounting) {
  for (int ranks : {1, 4, 16, 128, 1024}) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      const auto stages = lognormal_stages(2000, 2, seed);
      const ScheduleSimResult r = simulate_schedule(stages, options_for(ranks, 8));
      const std::string what = "P=" + std::to_string(ranks) + " seed " + std::to_string(seed);
      double longest = 0;
      for (const auto& s : stages)
        for (const SimTask& t : s) longest = std::max(longest, t.seconds);
      const double total = total_seconds(stages);
      EXPECT_NEAR(r.total_task_s, total, 1e-9 * total) << what;
      EXPECT_GE(r.makespan_s, longest) << what;
      EXPECT_GE(r.makespan_s, total / ranks * (1 - 1e-12)) << what;
      EXPECT_GE(r.makespan_s, r.lower_bound_s * (1 - 1e-12)) << what;
      EXPECT_LE(r.efficiency, 1 + 1e-12) << what;
      // Every second of every rank is busy, waiting or imbalance.
      double busy = 0;
      for (const SimRankTimes& t : r.rank_times) {
        EXPECT_NEAR(t.busy_s + t.wait_s + t.imbalance_s, r.makespan_s, 1e-9 * r.makespan_s)
            << what;
        EXPECT_GE(t.wait_s, -1e-9 * r.makespan_s) << what;
        EXPECT_GE(t.imbalance_s, 0) << what;
        busy += t.busy_s;
      }
      EXPECT_NEAR(busy, total, 1e-9 * total) << what;
      EXPECT_NEAR(r.efficiency + r.load_imbalance_fraction + r.wait_fraction, 1.0, 1e-9) << what;
      if (ranks == 1) {
        EXPECT_NEAR(r.makespan_s, total, 1e-9 * total);
        EXPECT_EQ(r.messages, 0);
      }
    }
  }
}

TEST(ScheduleSim, ManyEqualTasksAreNearlyPerfectlyBalanced) {
  // Equal tasks, P dividing N: a perfect schedule runs N/P on every rank. The tree is within one
  // task of it (a subtree's last chunk can leave one of its ranks a task more than the mean; we
  // see exactly one extra on some ranks from P = 64 on), so with 256 tasks per rank the
  // efficiency is above 0.99.
  for (int ranks : {2, 8, 64, 512}) {
    for (int per_rank : {16, 256}) {
      const std::vector<std::vector<SimTask>> stages = {equal_tasks(per_rank * ranks, 1.0)};
      const ScheduleSimResult r = simulate_schedule(stages, options_for(ranks, 8));
      // Slack: a request's round trip (a few 5 us latencies) before each task.
      EXPECT_LE(r.makespan_s, per_rank + 1 + per_rank * 1e-4) << "P=" << ranks << " " << per_rank;
      if (per_rank == 256) EXPECT_GT(r.efficiency, 0.99) << "P=" << ranks;
    }
  }
  // Two stages of them: the stage barrier costs only the termination messages.
  const ScheduleSimResult r = simulate_schedule(
      {equal_tasks(256 * 64, 1.0), equal_tasks(256 * 64, 2.0)}, options_for(64, 8));
  EXPECT_GT(r.efficiency, 0.99);
  EXPECT_LT(r.load_imbalance_fraction, 0.01);
}

TEST(ScheduleSim, HeavyTailAtScaleIsCloseToTheBound) {
  // 8 tasks per rank per stage at 8192 ranks: the longest task bounds each stage; the tree
  // scheduler's makespan stays within 5 % of the lower bound, and it simulates in well under a
  // minute (the CLI's claim).
  const auto stages = lognormal_stages(65536, 2, 1);
  const auto t0 = std::chrono::steady_clock::now();
  const ScheduleSimResult r = simulate_schedule(stages, options_for(8192, 8));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(r.makespan_s, 1.05 * r.lower_bound_s);
  EXPECT_GT(r.efficiency, 0.85);
  EXPECT_LT(seconds, 20.0);
}

TEST(ScheduleSim, Deterministic) {
  const auto stages = lognormal_stages(3000, 2, 5);
  ScheduleSimOptions o = options_for(100, 4);
  o.poll_interval_s = 0.3;
  o.prefetch_s = 1.0;
  const ScheduleSimResult a = simulate_schedule(stages, o);
  const ScheduleSimResult b = simulate_schedule(stages, o);
  EXPECT_EQ(a.makespan_s, b.makespan_s);
  EXPECT_EQ(a.messages, b.messages);
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_EQ(a.runs[i].rank, b.runs[i].rank);
    EXPECT_EQ(a.runs[i].id, b.runs[i].id);
    EXPECT_EQ(a.runs[i].start_s, b.runs[i].start_s);
  }
}

TEST(ScheduleSim, LatencyAndPollingCostTime) {
  const auto stages = lognormal_stages(2000, 1, 7);
  ScheduleSimOptions o = options_for(256, 8);
  const double fast = simulate_schedule(stages, o).makespan_s;
  o.latency_s = 0.5;
  const double slow_messages = simulate_schedule(stages, o).makespan_s;
  o.latency_s = 5e-6;
  o.poll_interval_s = 2.0;
  const double slow_polls = simulate_schedule(stages, o).makespan_s;
  EXPECT_GT(slow_messages, fast);
  EXPECT_GT(slow_polls, fast);
}

TEST(ScheduleSim, RejectsBadInput) {
  const std::vector<std::vector<SimTask>> stages = {{{0, 1, 1}, {0, 1, 1}}};
  EXPECT_THROW(simulate_schedule(stages, options_for(2, 2)), std::invalid_argument);
  EXPECT_THROW(simulate_schedule({{{0, 1, -1}}}, options_for(2, 2)), std::invalid_argument);
  EXPECT_THROW(simulate_schedule({}, options_for(0, 2)), std::invalid_argument);
  EXPECT_THROW(simulate_schedule({}, options_for(2, 0)), std::invalid_argument);
  ScheduleSimOptions o = options_for(2, 2);
  o.latency_s = -1;
  EXPECT_THROW(simulate_schedule({}, o), std::invalid_argument);
  // No stages, or empty ones: nothing to do, nothing sent.
  EXPECT_EQ(simulate_schedule({}, options_for(4, 2)).makespan_s, 0);
  // Empty stages still end through the tree: a few message latencies, no work.
  const ScheduleSimResult empty = simulate_schedule({{}, {}}, options_for(4, 2));
  EXPECT_EQ(empty.tasks, 0);
  EXPECT_GT(empty.makespan_s, 0);
  EXPECT_LT(empty.makespan_s, 1e-3);
  EXPECT_EQ(empty.efficiency, 0);
}

TEST(SyntheticTasks, LogNormalAndReproducible) {
  SyntheticTaskOptions o;
  o.tasks = 20000;
  o.stages = 2;
  o.seed = 3;
  o.median_s = 10;
  o.sigma = 0.5;
  const auto a = synthetic_tasks(o);
  const auto b = synthetic_tasks(o);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(a[0].size(), 20000u);
  std::vector<double> logs;
  for (std::size_t i = 0; i < a[0].size(); ++i) {
    EXPECT_EQ(a[0][i].seconds, b[0][i].seconds);
    EXPECT_EQ(a[0][i].id, static_cast<int>(i));
    EXPECT_EQ(a[0][i].cost, a[0][i].seconds);
    logs.push_back(std::log(a[0][i].seconds));
  }
  const double mean = std::accumulate(logs.begin(), logs.end(), 0.0) / logs.size();
  double var = 0;
  for (double x : logs) var += (x - mean) * (x - mean);
  const double sd = std::sqrt(var / (logs.size() - 1));
  EXPECT_NEAR(mean, std::log(10.0), 0.02);  // 4 standard errors: 4 * 0.5 / sqrt(20000)
  EXPECT_NEAR(sd, 0.5, 0.01);
  EXPECT_NE(a[0][0].seconds, a[1][0].seconds);  // stages draw different durations
  o.seed = 4;
  EXPECT_NE(synthetic_tasks(o)[0][0].seconds, a[0][0].seconds);
}

}  // namespace
}  // namespace celeste::scheduling
