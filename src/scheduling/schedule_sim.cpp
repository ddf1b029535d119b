#include "scheduling/schedule_sim.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace celeste::scheduling {

namespace {

struct Event {
  enum Kind { kDeliver, kTaskDone, kPoll, kPrefetch };
  double time;
  std::uint64_t order;  // creation order: ties in time resolve the same way every run
  Kind kind;
  int rank;
  int payload;  // kDeliver: slot in the message pool; kTaskDone: task id
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }
};

struct VirtualRank {
  int stage = 0;
  std::unique_ptr<DtreeRank> scheduler;  // null once the last stage is over
  bool fitting = false;
  bool prefetch_due = false;       // the running task is within prefetch_s of its end
  std::optional<Task> prefetched;  // handed out while fitting, starts when the current one ends
  double task_start = 0, task_end = 0;
  bool poll_scheduled = false;
  std::vector<SchedulerMessage> inbox;  // arrived while fitting, handled at the next poll
  // Per stage, for the time breakdown.
  double stage_entry = 0, last_task_end = 0;
  double busy_in_stage = 0;
};

class Simulation {
 public:
  Simulation(const std::vector<std::vector<SimTask>>& stages, const ScheduleSimOptions& options)
      : stages_(stages), options_(options), ranks_(static_cast<std::size_t>(options.ranks)) {
    for (const auto& stage : stages_) {
      std::unordered_map<int, double> seconds;
      for (const SimTask& t : stage) {
        if (!std::isfinite(t.seconds) || t.seconds < 0)
          throw std::invalid_argument("schedule-sim: task " + std::to_string(t.id) +
                                      " has a duration that is not finite and >= 0");
        if (!seconds.emplace(t.id, t.seconds).second)
          throw std::invalid_argument("schedule-sim: task id " + std::to_string(t.id) +
                                      " appears twice in a stage");
      }
      seconds_.push_back(std::move(seconds));
    }
    result_.ranks = options.ranks;
    result_.fanout = options.fanout;
    result_.stage_end_s.assign(stages_.size(), 0);
    result_.stage_over_s.assign(stages_.size(), 0);
    result_.rank_times.resize(ranks_.size());
  }

  ScheduleSimResult run() {
    for (int r = 0; r < options_.ranks; ++r) {
      enter_stage(r, 0, 0.0);
      step(r, 0.0);
    }
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      handle(e);
    }
    for (std::size_t r = 0; r < ranks_.size(); ++r)
      if (ranks_[r].scheduler)
        throw std::logic_error("schedule-sim: rank " + std::to_string(r) + " never learned that " +
                               "stage " + std::to_string(ranks_[r].stage + 1) +
                               " is over (the protocol stalled)");
    finish();
    return std::move(result_);
  }

 private:
  void enter_stage(int r, int stage, double now) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    vr.stage = stage;
    vr.stage_entry = now;
    vr.last_task_end = now;
    vr.busy_in_stage = 0;
    if (stage >= static_cast<int>(stages_.size())) {
      vr.scheduler.reset();
      return;
    }
    std::vector<Task> tasks;
    if (r == 0)
      for (const SimTask& t : stages_[static_cast<std::size_t>(stage)])
        tasks.push_back({t.id, t.cost});
    DtreeOptions dtree_options;
    dtree_options.stage = stage + 1;
    dtree_options.chunk_divisor = options_.chunk_divisor;
    vr.scheduler = std::make_unique<DtreeRank>(r, options_.ranks, options_.fanout,
                                               std::move(tasks), dtree_options);
  }

  void push(double time, Event::Kind kind, int rank, int payload) {
    events_.push(Event{time, next_order_++, kind, rank, payload});
  }

  void send_outbox(int r, double now) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    for (SchedulerMessage& m : vr.scheduler->take_outbox()) {
      if (options_.record_messages)
        result_.messages_log.push_back(
            {vr.stage, m.from, m.to, m.kind, static_cast<int>(m.tasks.size()), now});
      if (m.to < 0 || m.to >= options_.ranks)
        throw std::logic_error("schedule-sim: message to rank " + std::to_string(m.to));
      int slot;
      if (free_slots_.empty()) {
        slot = static_cast<int>(pool_.size());
        pool_.push_back(std::move(m));
      } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
        pool_[static_cast<std::size_t>(slot)] = std::move(m);
      }
      push(now + options_.latency_s, Event::kDeliver, pool_[static_cast<std::size_t>(slot)].to,
           slot);
    }
  }

  // Send what the scheduler wants sent, move to the next stage when this one is over, start a
  // task when idle and one is there.
  void step(int r, double now) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    while (vr.scheduler) {
      send_outbox(r, now);
      if (vr.scheduler->stage_over()) {
        close_stage(r, now);
        enter_stage(r, vr.stage + 1, now);
        continue;
      }
      if (vr.fitting) {
        if (vr.prefetch_due && !vr.prefetched) {
          vr.prefetched = vr.scheduler->next_task();
          send_outbox(r, now);
        }
        return;
      }
      std::optional<Task> task;
      task.swap(vr.prefetched);
      if (!task) task = vr.scheduler->next_task();
      send_outbox(r, now);
      if (!task) return;
      start_task(r, *task, now);
      // Loop once more: a task shorter than prefetch_s asks for the next one at once.
    }
  }

  void start_task(int r, const Task& task, double now) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    const double seconds = seconds_[static_cast<std::size_t>(vr.stage)].at(task.id);
    vr.fitting = true;
    vr.task_start = now;
    vr.task_end = now + seconds;
    vr.prefetch_due = false;
    result_.runs.push_back({vr.stage, task.id, r, now, vr.task_end});
    push(vr.task_end, Event::kTaskDone, r, task.id);
    if (options_.prefetch_s > 0) {
      if (seconds <= options_.prefetch_s)
        vr.prefetch_due = true;
      else
        push(vr.task_end - options_.prefetch_s, Event::kPrefetch, r, task.id);
    }
  }

  void close_stage(int r, double now) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    SimRankTimes& times = result_.rank_times[static_cast<std::size_t>(r)];
    const DtreeCounters& c = vr.scheduler->counters();
    times.messages_sent += c.messages_sent;
    times.messages_received += c.messages_received;
    times.busy_s += vr.busy_in_stage;
    times.wait_s += (vr.last_task_end - vr.stage_entry) - vr.busy_in_stage;
    times.imbalance_s += now - vr.last_task_end;
    const std::size_t s = static_cast<std::size_t>(vr.stage);
    result_.stage_over_s[s] = std::max(result_.stage_over_s[s], now);
  }

  void deliver_inbox(int r) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    std::vector<SchedulerMessage> inbox;
    inbox.swap(vr.inbox);
    for (const SchedulerMessage& m : inbox) vr.scheduler->receive(m);
  }

  void handle(const Event& e) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(e.rank)];
    switch (e.kind) {
      case Event::kDeliver: {
        SchedulerMessage m = std::move(pool_[static_cast<std::size_t>(e.payload)]);
        free_slots_.push_back(e.payload);
        if (!vr.scheduler)
          throw std::logic_error("schedule-sim: a message reached rank " +
                                 std::to_string(e.rank) + " after its last stage");
        if (vr.fitting && options_.poll_interval_s > 0) {
          vr.inbox.push_back(std::move(m));
          schedule_poll(e.rank, e.time);
          return;
        }
        vr.scheduler->receive(m);
        break;
      }
      case Event::kTaskDone:
        vr.fitting = false;
        vr.busy_in_stage += vr.task_end - vr.task_start;
        vr.last_task_end = e.time;
        {
          const std::size_t s = static_cast<std::size_t>(vr.stage);
          result_.stage_end_s[s] = std::max(result_.stage_end_s[s], e.time);
        }
        deliver_inbox(e.rank);
        vr.scheduler->task_finished(e.payload);
        break;
      case Event::kPoll:
        vr.poll_scheduled = false;
        if (!vr.fitting) return;  // the task's end already handled the inbox
        deliver_inbox(e.rank);
        break;
      case Event::kPrefetch:
        vr.prefetch_due = true;  // the task that scheduled it is still running: it ends later
        break;
    }
    step(e.rank, e.time);
  }

  // The next multiple of the poll interval since the task started; none if the task ends first
  // (its end handles the inbox).
  void schedule_poll(int r, double now) {
    VirtualRank& vr = ranks_[static_cast<std::size_t>(r)];
    if (vr.poll_scheduled) return;
    const double interval = options_.poll_interval_s;
    const double tick = vr.task_start + std::ceil((now - vr.task_start) / interval) * interval;
    if (tick >= vr.task_end) return;
    vr.poll_scheduled = true;
    push(std::max(tick, now), Event::kPoll, r, 0);
  }

  void finish() {
    const double P = options_.ranks;
    double end = 0;
    for (const VirtualRank& vr : ranks_) end = std::max(end, vr.stage_entry);
    result_.makespan_s = end;
    double imbalance = 0, wait = 0;
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      SimRankTimes& times = result_.rank_times[r];
      times.imbalance_s += end - ranks_[r].stage_entry;  // the run ends for everyone together
      imbalance += times.imbalance_s;
      wait += times.wait_s;
      result_.messages += times.messages_sent;
      result_.max_rank_messages =
          std::max(result_.max_rank_messages, times.messages_sent + times.messages_received);
    }
    for (const SimTaskRun& run : result_.runs)
      ++result_.rank_times[static_cast<std::size_t>(run.rank)].tasks;
    for (const auto& stage : stages_) {
      double total = 0, longest = 0;
      for (const SimTask& t : stage) {
        total += t.seconds;
        longest = std::max(longest, t.seconds);
      }
      result_.total_task_s += total;
      result_.lower_bound_s += std::max(total / P, longest);
      result_.tasks += static_cast<int>(stage.size());
    }
    const double capacity = P * end;
    result_.efficiency = capacity > 0 ? result_.total_task_s / capacity : 1.0;
    result_.load_imbalance_s = imbalance / P;
    result_.load_imbalance_fraction = capacity > 0 ? imbalance / capacity : 0.0;
    result_.wait_fraction = capacity > 0 ? wait / capacity : 0.0;
  }

  const std::vector<std::vector<SimTask>>& stages_;
  ScheduleSimOptions options_;
  std::vector<std::unordered_map<int, double>> seconds_;
  std::vector<VirtualRank> ranks_;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  std::uint64_t next_order_ = 0;
  std::vector<SchedulerMessage> pool_;
  std::vector<int> free_slots_;
  ScheduleSimResult result_;
};

}  // namespace

ScheduleSimResult simulate_schedule(const std::vector<std::vector<SimTask>>& stages,
                                    const ScheduleSimOptions& options) {
  if (options.ranks < 1) throw std::invalid_argument("schedule-sim: ranks must be >= 1");
  if (options.fanout < 1) throw std::invalid_argument("schedule-sim: fanout must be >= 1");
  if (!std::isfinite(options.latency_s) || options.latency_s < 0)
    throw std::invalid_argument("schedule-sim: latency must be finite and >= 0");
  if (!std::isfinite(options.poll_interval_s) || options.poll_interval_s < 0)
    throw std::invalid_argument("schedule-sim: poll interval must be finite and >= 0");
  if (!(options.prefetch_s >= 0))
    throw std::invalid_argument("schedule-sim: prefetch time must be >= 0");
  return Simulation(stages, options).run();
}

}  // namespace celeste::scheduling
