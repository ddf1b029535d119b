// The dynamic tree scheduler (src/scheduling/dtree.hpp) driven without MPI by a seeded
// adversarial driver (random_driver.hpp): every task runs exactly once whatever the rank count,
// fan-out and task count; stage 2 starts only after stage 1 finished everywhere; chunks shrink;
// ranks talk only to their parent and children; one rank sends nothing; runs are deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "random_driver.hpp"
#include "scheduling/dtree.hpp"

namespace celeste::scheduling {
namespace {

using testing::DriverEvent;
using testing::DriverLog;
using testing::DriverOptions;
using testing::run_random_schedule;
using testing::tasks_with_costs;

std::vector<Task> random_tasks(int n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<double> costs;
  for (int i = 0; i < n; ++i) costs.push_back(static_cast<double>(gen() % 1000) / 10.0);
  return tasks_with_costs(costs);
}

// Per stage: how many times each task id started and finished.
void expect_each_task_exactly_once(const DriverLog& log,
                                   const std::vector<std::vector<Task>>& stages,
                                   const std::string& what) {
  for (std::size_t s = 0; s < stages.size(); ++s) {
    std::map<int, int> started, finished;
    for (const DriverEvent& e : log.events) {
      if (e.stage != static_cast<int>(s)) continue;
      (e.kind == DriverEvent::kStart ? started : finished)[e.task_id]++;
    }
    EXPECT_EQ(started.size(), stages[s].size()) << what << " stage " << s;
    for (const Task& t : stages[s]) {
      EXPECT_EQ(started[t.id], 1) << what << " stage " << s << " task " << t.id;
      EXPECT_EQ(finished[t.id], 1) << what << " stage " << s << " task " << t.id;
    }
  }
}

void expect_only_tree_edges(const DriverLog& log, int ranks, int fanout, const std::string& what) {
  for (const SchedulerMessage& m : log.messages) {
    const std::vector<int> children = dtree_children(m.from, ranks, fanout);
    const bool to_parent = m.to == dtree_parent(m.from, fanout);
    const bool to_child = std::find(children.begin(), children.end(), m.to) != children.end();
    EXPECT_TRUE(to_parent || to_child)
        << what << ": rank " << m.from << " sent kind " << int(m.kind) << " to rank " << m.to;
    // Direction and kind agree: requests and reports go up, work and "over" go down.
    const bool upward = m.kind == SchedulerMessage::kRequest ||
                        m.kind == SchedulerMessage::kSubtreeDone;
    EXPECT_EQ(upward, to_parent) << what << ": kind " << int(m.kind) << " " << m.from << "->"
                                 << m.to;
  }
}

TEST(DtreeTree, ParentChildrenAndSubtreeSizes) {
  for (int ranks : {1, 2, 3, 7, 8, 9, 10, 73, 100, 1000}) {
    for (int fanout : {1, 2, 3, 8, 16, 1000, 5000}) {
      int total_children = 0;
      for (int r = 0; r < ranks; ++r) {
        const std::vector<int> children = dtree_children(r, ranks, fanout);
        int sum = 1;
        for (std::size_t i = 0; i < children.size(); ++i) {
          EXPECT_EQ(children[i], fanout * r + 1 + static_cast<int>(i));
          EXPECT_EQ(dtree_parent(children[i], fanout), r);
          sum += dtree_subtree_ranks(children[i], ranks, fanout);
        }
        EXPECT_LE(children.size(), static_cast<std::size_t>(fanout));
        EXPECT_EQ(dtree_subtree_ranks(r, ranks, fanout), sum) << ranks << " " << fanout << " " << r;
        total_children += static_cast<int>(children.size());
      }
      EXPECT_EQ(total_children, ranks - 1);  // every rank but the root has one parent
      EXPECT_EQ(dtree_subtree_ranks(0, ranks, fanout), ranks);
      EXPECT_EQ(dtree_parent(0, fanout), -1);
    }
  }
  // A chain and a star.
  EXPECT_EQ(dtree_children(3, 10, 1), std::vector<int>{4});
  EXPECT_EQ(dtree_subtree_ranks(3, 10, 1), 7);
  EXPECT_EQ(dtree_children(0, 5, 8).size(), 4u);
  EXPECT_TRUE(dtree_children(1, 5, 8).empty());
  // Large fan-outs do not overflow.
  EXPECT_TRUE(dtree_children(1 << 20, (1 << 20) + 1, 1 << 20).empty());
  EXPECT_THROW(dtree_children(0, 4, 0), std::invalid_argument);
  EXPECT_THROW(dtree_children(4, 4, 2), std::invalid_argument);
}

TEST(DtreeSchedule, EveryTaskRunsExactlyOnce) {
  int runs = 0;
  for (int ranks : {1, 2, 3, 5, 9, 17, 40}) {
    for (int fanout : {1, 2, 3, 8, 64}) {
      for (int n : {0, 1, 4, 37, 300}) {
        for (std::uint64_t seed : {1u, 2u}) {
          for (int max_running : {1, 2}) {
            const std::vector<std::vector<Task>> stages = {random_tasks(n, seed),
                                                           random_tasks(n / 2 + 1, seed + 7)};
            DriverOptions options;
            options.seed = seed * 1000 + static_cast<std::uint64_t>(ranks * 31 + fanout);
            options.max_running = max_running;
            const std::string what = "P=" + std::to_string(ranks) + " F=" +
                                     std::to_string(fanout) + " N=" + std::to_string(n) +
                                     " seed " + std::to_string(seed) + " running " +
                                     std::to_string(max_running);
            const DriverLog log = run_random_schedule(ranks, fanout, stages, options);
            expect_each_task_exactly_once(log, stages, what);
            // Every rank learned that each stage is over, exactly once.
            for (const auto& over : log.stage_over) {
              EXPECT_EQ(over.size(), static_cast<std::size_t>(ranks)) << what;
              EXPECT_EQ(std::set<int>(over.begin(), over.end()).size(),
                        static_cast<std::size_t>(ranks))
                  << what;
            }
            ++runs;
          }
        }
      }
    }
  }
  EXPECT_EQ(runs, 7 * 5 * 5 * 2 * 2);
}

TEST(DtreeSchedule, MoreRanksThanTasksLeavesRanksIdleButFinishes) {
  const std::vector<std::vector<Task>> stages = {random_tasks(3, 5)};
  const DriverLog log = run_random_schedule(50, 4, stages);
  expect_each_task_exactly_once(log, stages, "P=50 N=3");
  int ranks_with_work = 0;
  for (const DtreeCounters& c : log.counters) ranks_with_work += c.tasks_started > 0;
  EXPECT_LE(ranks_with_work, 3);
  EXPECT_EQ(log.stage_over[0].size(), 50u);
}

TEST(DtreeSchedule, StageTwoStartsOnlyAfterStageOneFinishedEverywhere) {
  for (int ranks : {2, 5, 33}) {
    for (int fanout : {1, 2, 8}) {
      for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        const std::vector<std::vector<Task>> stages = {random_tasks(60, seed),
                                                       random_tasks(60, seed + 100),
                                                       random_tasks(10, seed + 200)};
        DriverOptions options;
        options.seed = seed;
        options.max_running = 2;
        const DriverLog log = run_random_schedule(ranks, fanout, stages, options);
        for (int s = 1; s < 3; ++s) {
          std::size_t last_finish_before = 0, first_start = log.events.size();
          for (std::size_t i = 0; i < log.events.size(); ++i) {
            const DriverEvent& e = log.events[i];
            if (e.stage == s - 1 && e.kind == DriverEvent::kFinish) last_finish_before = i;
            if (e.stage == s && e.kind == DriverEvent::kStart)
              first_start = std::min(first_start, i);
          }
          EXPECT_LT(last_finish_before, first_start)
              << "P=" << ranks << " F=" << fanout << " seed " << seed << ": a stage-" << s + 1
              << " task started before the last stage-" << s << " task finished";
        }
      }
    }
  }
}

TEST(DtreeSchedule, RanksTalkOnlyToTheirParentAndChildren) {
  for (int ranks : {2, 4, 9, 30, 73}) {
    for (int fanout : {1, 2, 3, 8, 100}) {
      const std::vector<std::vector<Task>> stages = {random_tasks(200, 3), random_tasks(50, 4)};
      DriverOptions options;
      options.seed = static_cast<std::uint64_t>(ranks * 7 + fanout);
      const DriverLog log = run_random_schedule(ranks, fanout, stages, options);
      expect_only_tree_edges(log, ranks, fanout,
                             "P=" + std::to_string(ranks) + " F=" + std::to_string(fanout));
      EXPECT_FALSE(log.messages.empty());
    }
  }
}

TEST(DtreeSchedule, OneRankSendsNoMessages) {
  const std::vector<std::vector<Task>> stages = {random_tasks(100, 1), {}, random_tasks(5, 2)};
  const DriverLog log = run_random_schedule(1, 8, stages);
  expect_each_task_exactly_once(log, stages, "P=1");
  EXPECT_TRUE(log.messages.empty());
  EXPECT_EQ(log.counters[0].messages_sent, 0);
  EXPECT_EQ(log.counters[0].messages_received, 0);
  EXPECT_EQ(log.counters[0].tasks_finished, 105);

  // Directly: largest first, stage over after the last task, never an outbox entry.
  DtreeRank rank(0, 1, 8, tasks_with_costs({1, 5, 3, 5}));
  std::vector<int> order;
  while (const std::optional<Task> t = rank.next_task()) {
    EXPECT_TRUE(rank.take_outbox().empty());
    EXPECT_FALSE(rank.stage_over());
    order.push_back(t->id);
    rank.task_finished(t->id);
  }
  EXPECT_EQ(order, (std::vector<int>{1, 3, 2, 0}));  // cost 5, 5 (ties by id), 3, 1
  EXPECT_TRUE(rank.stage_over());
  EXPECT_TRUE(rank.take_outbox().empty());
  EXPECT_TRUE(DtreeRank(0, 1, 1, {}).stage_over());  // an empty stage is over at once
}

// The root's chunks to each child over a stage (equal costs: chunk sizes in tasks).
std::map<int, std::vector<int>> root_chunks(const DriverLog& log) {
  std::map<int, std::vector<int>> chunks;
  for (const SchedulerMessage& m : log.messages)
    if (m.from == 0 && m.kind == SchedulerMessage::kTasks)
      chunks[m.to].push_back(static_cast<int>(m.tasks.size()));
  return chunks;
}

TEST(DtreeChunks, ShrinkAsTheQueueDrains) {
  const int ranks = 73, fanout = 8, n = 20000;
  const std::vector<std::vector<Task>> stages = {tasks_with_costs(std::vector<double>(n, 1.0))};
  const DriverLog log = run_random_schedule(ranks, fanout, stages);
  const auto chunks = root_chunks(log);
  ASSERT_EQ(chunks.size(), 8u);
  for (const auto& [child, sizes] : chunks) {
    ASSERT_GE(sizes.size(), 3u) << "child " << child;
    // The root's queue only drains, so each child's chunks never grow ...
    for (std::size_t i = 1; i < sizes.size(); ++i)
      EXPECT_LE(sizes[i], sizes[i - 1]) << "child " << child << " chunk " << i;
    // ... and the first is much larger than the last.
    EXPECT_GT(sizes.front(), 20 * sizes.back()) << "child " << child;
  }
  // The first chunk to child 1 (subtree of 1 + 8 ranks) is half its proportional share:
  // floor(n * 9 / (2 * 73)) tasks of cost 1, unless another child was served first.
  const int subtree = dtree_subtree_ranks(1, ranks, fanout);
  EXPECT_LE(chunks.at(1).front(), n * subtree / (2 * ranks));
  EXPECT_GE(chunks.at(1).front(), (n - n / 2) * subtree / (2 * ranks));
}

TEST(DtreeChunks, RuleOnOneParent) {
  // Root of 3 ranks (children 1, 2 are leaves): a request from child 1 gets the front tasks
  // worth cost(queue) * 1 / (2 * 3), at least ceil(1 / 2) = 1 task.
  DtreeRank root(0, 3, 2, tasks_with_costs(std::vector<double>(60, 1.0)));
  EXPECT_TRUE(root.take_outbox().empty());
  SchedulerMessage request;
  request.from = 1;
  request.to = 0;
  request.kind = SchedulerMessage::kRequest;
  root.receive(request);
  std::vector<SchedulerMessage> out = root.take_outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, SchedulerMessage::kTasks);
  EXPECT_EQ(out[0].tasks.size(), 10u);  // 60 / 6
  EXPECT_EQ(root.queued(), 50u);

  // Cost, not count: an expensive front task goes alone; the cheap ones behind it are bundled.
  DtreeRank root2(0, 3, 2, tasks_with_costs({100, 1, 1, 1, 1, 1, 1}));
  root2.receive(request);
  out = root2.take_outbox();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].tasks.size(), 1u);
  EXPECT_EQ(out[0].tasks[0].id, 0);

  // A large subtree gets at least ceil(s / k) tasks even when its cost share is smaller: with
  // 21 ranks and fan-out 10, child 1's subtree is ranks 1 and 11..20.
  DtreeRank root3(0, 21, 10, tasks_with_costs({50, 50, 50, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(dtree_subtree_ranks(1, 21, 10), 11);
  root3.receive(request);
  out = root3.take_outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tasks.size(), 6u);  // ceil(11 / 2); the cost share alone would be 1 task
}

TEST(DtreeSchedule, DeterministicForAFixedSchedule) {
  const std::vector<std::vector<Task>> stages = {random_tasks(500, 9), random_tasks(100, 10)};
  DriverOptions options;
  options.seed = 42;
  options.max_running = 2;
  const DriverLog a = run_random_schedule(21, 4, stages, options);
  const DriverLog b = run_random_schedule(21, 4, stages, options);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].rank, b.events[i].rank);
    EXPECT_EQ(a.events[i].task_id, b.events[i].task_id);
  }
  ASSERT_EQ(a.messages.size(), b.messages.size());
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    EXPECT_EQ(a.messages[i].from, b.messages[i].from);
    EXPECT_EQ(a.messages[i].to, b.messages[i].to);
    EXPECT_EQ(a.messages[i].tasks.size(), b.messages[i].tasks.size());
  }
}

TEST(DtreeProtocol, CountersAddUp) {
  const std::vector<std::vector<Task>> stages = {random_tasks(400, 11)};
  const DriverLog log = run_random_schedule(30, 3, stages);
  std::int64_t sent = 0, received = 0, finished = 0;
  for (const DtreeCounters& c : log.counters) {
    sent += c.messages_sent;
    received += c.messages_received;
    finished += c.tasks_finished;
    EXPECT_EQ(c.tasks_started, c.tasks_finished);
    // What a rank received it ran or passed on.
    EXPECT_EQ(c.tasks_received, c.tasks_started + c.tasks_sent);
  }
  EXPECT_EQ(sent, static_cast<std::int64_t>(log.messages.size()));
  EXPECT_EQ(received, sent);
  EXPECT_EQ(finished, 400);
}

TEST(DtreeProtocol, RejectsMessagesThatCannotBe) {
  DtreeRank rank(4, 30, 3, {});  // parent 1, children 13, 14, 15
  EXPECT_EQ(rank.parent(), 1);
  EXPECT_EQ(rank.children(), (std::vector<int>{13, 14, 15}));
  std::vector<SchedulerMessage> out = rank.take_outbox();
  ASSERT_EQ(out.size(), 1u);  // it wants work from the start
  EXPECT_EQ(out[0].kind, SchedulerMessage::kRequest);
  EXPECT_EQ(out[0].to, 1);

  SchedulerMessage m;
  m.to = 4;
  m.kind = SchedulerMessage::kTasks;
  m.tasks = {{7, 1.0}};
  m.from = 0;  // the grandparent
  EXPECT_THROW(rank.receive(m), std::logic_error);
  m.from = 13;  // work from a child
  EXPECT_THROW(rank.receive(m), std::logic_error);
  m.from = 1;
  m.to = 5;  // someone else's
  EXPECT_THROW(rank.receive(m), std::logic_error);
  m.to = 4;
  m.stage = 2;  // another stage
  EXPECT_THROW(rank.receive(m), std::logic_error);
  m.stage = 1;
  m.tasks.clear();  // an empty chunk
  EXPECT_THROW(rank.receive(m), std::logic_error);
  m.tasks = {{7, 1.0}};
  rank.receive(m);  // fine
  EXPECT_THROW(rank.task_finished(7), std::logic_error);  // not started
  const std::optional<Task> t = rank.next_task();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, 7);
  EXPECT_THROW(rank.task_finished(8), std::logic_error);
  rank.task_finished(7);
  EXPECT_THROW(rank.task_finished(7), std::logic_error);  // twice

  SchedulerMessage over;
  over.from = 1;
  over.to = 4;
  over.kind = SchedulerMessage::kStageOver;
  EXPECT_THROW(rank.receive(over), std::logic_error);  // its subtree is not done

  EXPECT_THROW(DtreeRank(0, 2, 2, tasks_with_costs({1, 2, 3})).receive([] {
    SchedulerMessage r;
    r.from = 1;
    r.to = 0;
    r.kind = SchedulerMessage::kSubtreeDone;
    r.count = 1;  // but nothing was sent to it
    return r;
  }()),
               std::logic_error);
  EXPECT_THROW(DtreeRank(0, 1, 1, {{1, 1.0}, {1, 2.0}}), std::invalid_argument);
  EXPECT_THROW(DtreeRank(0, 1, 1, {{1, -1.0}}), std::invalid_argument);
  EXPECT_THROW(DtreeRank(0, 1, 1, {{1, NAN}}), std::invalid_argument);
  EXPECT_THROW(DtreeRank(0, 1, 0, {}), std::invalid_argument);
  DtreeOptions bad;
  bad.chunk_divisor = 0.5;
  EXPECT_THROW(DtreeRank(0, 1, 1, {}, bad), std::invalid_argument);
}

}  // namespace
}  // namespace celeste::scheduling
