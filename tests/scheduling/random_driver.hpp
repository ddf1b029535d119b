#pragma once
// A test driver for DtreeRank: P ranks, any number of stages, and an adversarial but seeded
// schedule. Each step picks at random among every possible next action (deliver any message
// in flight, in any order; finish any running task; let an idle rank, or a busy one when
// prefetching, call next_task()), so over many seeds the scheduler meets interleavings a real
// transport could produce. It records what every test needs to check the protocol.
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "scheduling/dtree.hpp"

namespace celeste::scheduling::testing {

struct DriverEvent {
  enum Kind { kStart, kFinish } kind;
  int stage;  // 0-based
  int rank;
  int task_id;
};

struct DriverLog {
  std::vector<DriverEvent> events;           // task starts and finishes, in order
  std::vector<SchedulerMessage> messages;    // every message sent, in order
  std::vector<std::vector<int>> stage_over;  // per stage: ranks in the order they learned it
  std::vector<DtreeCounters> counters;       // per rank, summed over stages
  std::int64_t steps = 0;
};

struct DriverOptions {
  std::uint64_t seed = 1;
  int max_running = 1;  // 2: ranks ask for their next task while one runs (prefetch)
  double chunk_divisor = 2;
};

inline DriverLog run_random_schedule(int ranks, int fanout,
                                     const std::vector<std::vector<Task>>& stages,
                                     const DriverOptions& options = {}) {
  std::mt19937_64 gen(options.seed);
  const auto pick = [&](std::size_t n) {
    return static_cast<std::size_t>(gen() % static_cast<std::uint64_t>(n));
  };
  struct RankState {
    int stage = 0;
    std::unique_ptr<DtreeRank> scheduler;
    std::vector<int> running;
    bool waiting = false;  // next_task() returned nothing; ask again after a message
  };
  DriverLog log;
  log.stage_over.resize(stages.size());
  log.counters.resize(static_cast<std::size_t>(ranks));
  std::vector<RankState> state(static_cast<std::size_t>(ranks));
  std::vector<SchedulerMessage> in_flight;

  const auto flush = [&](int r) {
    for (SchedulerMessage& m : state[static_cast<std::size_t>(r)].scheduler->take_outbox()) {
      log.messages.push_back(m);
      in_flight.push_back(std::move(m));
    }
  };
  const auto start_stage = [&](int r, int stage) {
    RankState& s = state[static_cast<std::size_t>(r)];
    s.stage = stage;
    s.running.clear();
    s.waiting = false;
    if (stage >= static_cast<int>(stages.size())) {
      s.scheduler.reset();
      return;
    }
    DtreeOptions o;
    o.stage = stage + 1;
    o.chunk_divisor = options.chunk_divisor;
    s.scheduler = std::make_unique<DtreeRank>(
        r, ranks, fanout, r == 0 ? stages[static_cast<std::size_t>(stage)] : std::vector<Task>{},
        o);
    flush(r);
  };
  // A stage that is over on rank r: record it, start the next one (possibly over at once).
  const auto settle = [&](int r) {
    RankState& s = state[static_cast<std::size_t>(r)];
    while (s.scheduler && s.scheduler->stage_over()) {
      flush(r);
      const DtreeCounters& c = s.scheduler->counters();
      DtreeCounters& total = log.counters[static_cast<std::size_t>(r)];
      total.messages_sent += c.messages_sent;
      total.messages_received += c.messages_received;
      total.requests_sent += c.requests_sent;
      total.chunks_sent += c.chunks_sent;
      total.tasks_received += c.tasks_received;
      total.tasks_sent += c.tasks_sent;
      total.tasks_started += c.tasks_started;
      total.tasks_finished += c.tasks_finished;
      log.stage_over[static_cast<std::size_t>(s.stage)].push_back(r);
      start_stage(r, s.stage + 1);
    }
  };
  for (int r = 0; r < ranks; ++r) {
    start_stage(r, 0);
    settle(r);
  }

  while (true) {
    // The possible actions: 0 deliver message i, 1 finish a task on rank r, 2 ask rank r.
    struct Action {
      int kind;
      std::size_t index;
    };
    std::vector<Action> actions;
    for (std::size_t i = 0; i < in_flight.size(); ++i) actions.push_back({0, i});
    for (int r = 0; r < ranks; ++r) {
      const RankState& s = state[static_cast<std::size_t>(r)];
      if (!s.scheduler) continue;
      if (!s.running.empty()) actions.push_back({1, static_cast<std::size_t>(r)});
      if (static_cast<int>(s.running.size()) < options.max_running && !s.waiting)
        actions.push_back({2, static_cast<std::size_t>(r)});
    }
    if (actions.empty()) break;
    if (++log.steps > 50'000'000) throw std::runtime_error("random driver: no progress");
    const Action a = actions[pick(actions.size())];
    if (a.kind == 0) {
      SchedulerMessage m = std::move(in_flight[a.index]);
      in_flight[a.index] = std::move(in_flight.back());
      in_flight.pop_back();
      RankState& s = state[static_cast<std::size_t>(m.to)];
      if (!s.scheduler) throw std::logic_error("random driver: message after the last stage");
      s.scheduler->receive(m);
      s.waiting = false;
      flush(m.to);
      settle(m.to);
    } else if (a.kind == 1) {
      const int r = static_cast<int>(a.index);
      RankState& s = state[a.index];
      const std::size_t k = pick(s.running.size());
      const int id = s.running[k];
      s.running.erase(s.running.begin() + static_cast<std::ptrdiff_t>(k));
      log.events.push_back({DriverEvent::kFinish, s.stage, r, id});
      s.scheduler->task_finished(id);
      s.waiting = false;
      flush(r);
      settle(r);
    } else {
      const int r = static_cast<int>(a.index);
      RankState& s = state[a.index];
      const std::optional<Task> t = s.scheduler->next_task();
      if (t) {
        s.running.push_back(t->id);
        log.events.push_back({DriverEvent::kStart, s.stage, r, t->id});
      } else {
        s.waiting = true;
      }
      flush(r);
      settle(r);
    }
  }
  for (int r = 0; r < ranks; ++r)
    if (state[static_cast<std::size_t>(r)].scheduler)
      throw std::runtime_error("random driver: rank " + std::to_string(r) +
                               " never learned that its last stage is over");
  return log;
}

inline std::vector<Task> tasks_with_costs(const std::vector<double>& costs) {
  std::vector<Task> tasks;
  for (std::size_t i = 0; i < costs.size(); ++i) tasks.push_back({static_cast<int>(i), costs[i]});
  return tasks;
}

}  // namespace celeste::scheduling::testing
