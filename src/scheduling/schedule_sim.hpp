#pragma once
// Discrete-event simulation of P virtual ranks running the real scheduler (DtreeRank, one per
// rank and stage) on recorded or synthetic task durations: predicted makespan, efficiency,
// load imbalance and message counts of a distributed run, for rank counts this machine does not
// have. Deterministic: events are ordered by (time, creation order). docs/scheduling.md,
// "Simulator".
//
// Model: a rank fits one task at a time, for the task's `seconds`; a message takes
// `latency_s` from send to receipt; the scheduler's own work takes no time. With
// poll_interval_s = 0 a rank handles a message the moment it arrives (a progress thread); with
// poll_interval_s > 0 a rank that is fitting looks at its messages only every poll_interval_s
// since the task started, and when the task ends (the MPI driver polls between chunks of fitting
// work). With prefetch_s > 0 a rank asks for its next task prefetch_s before the running one
// ends (at its start if it is shorter): a driver that loads the next task's images meanwhile;
// with 0, only when it is idle. Stage s+1 starts on a rank as soon as it learns that stage s is
// over.
#include <cstdint>
#include <vector>

#include "scheduling/dtree.hpp"

namespace celeste::scheduling {

// A task as the simulator sees it: the scheduler's id and cost estimate, and how long it takes.
struct SimTask {
  int id = 0;
  double cost = 0;
  double seconds = 0;
};

struct ScheduleSimOptions {
  int ranks = 1;
  int fanout = 8;
  double latency_s = 5e-6;
  double poll_interval_s = 0;
  double prefetch_s = 0;
  double chunk_divisor = 2;      // DtreeOptions::chunk_divisor
  bool record_messages = false;  // fill ScheduleSimResult::messages_log
};

// One task as it ran.
struct SimTaskRun {
  int stage = 0;  // 0-based index into the stages passed in
  int id = 0;
  int rank = 0;
  double start_s = 0, end_s = 0;
};

// One message as it was sent (with record_messages).
struct SimMessage {
  int stage = 0;
  int from = 0, to = 0;
  SchedulerMessage::Kind kind = SchedulerMessage::kRequest;
  int tasks = 0;
  double sent_s = 0;
};

// Where a rank's wall time went; busy + wait + imbalance = makespan.
struct SimRankTimes {
  double busy_s = 0;       // fitting
  double wait_s = 0;       // idle before its last task of a stage (waiting for work)
  double imbalance_s = 0;  // idle after its last task of a stage until it learns that the stage
                           // is over (and, after the last stage, until the run ends)
  int tasks = 0;
  std::int64_t messages_sent = 0, messages_received = 0;
};

struct ScheduleSimResult {
  int ranks = 0, fanout = 0;
  int tasks = 0;                  // over all stages
  double makespan_s = 0;          // every rank knows the last stage is over
  double total_task_s = 0;        // Σ task seconds
  double lower_bound_s = 0;       // Σ over stages of max(stage total / P, longest task)
  double efficiency = 0;          // total_task_s / (P * makespan_s)
  double load_imbalance_s = 0;    // mean over ranks of SimRankTimes::imbalance_s
  double load_imbalance_fraction = 0;  // Σ imbalance / (P * makespan)
  double wait_fraction = 0;            // Σ wait / (P * makespan) = 1 - efficiency - imbalance
  std::int64_t messages = 0;           // sent, all ranks and stages
  std::int64_t max_rank_messages = 0;  // sent + received by the busiest rank
  std::vector<double> stage_end_s;     // per stage: the last task's end
  std::vector<double> stage_over_s;    // per stage: the last rank learns that it is over
  std::vector<SimRankTimes> rank_times;
  std::vector<SimTaskRun> runs;        // in start order
  std::vector<SimMessage> messages_log;
};

// Stages run in sequence; ids must be distinct within a stage. Throws std::invalid_argument on
// bad options (ranks or fanout < 1, negative latency, poll interval, prefetch or durations).
ScheduleSimResult simulate_schedule(const std::vector<std::vector<SimTask>>& stages,
                                    const ScheduleSimOptions& options);

}  // namespace celeste::scheduling
