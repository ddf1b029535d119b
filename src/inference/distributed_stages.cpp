#include "inference/distributed_stages.hpp"

#if CELESTE_HAVE_MPI
#include <chrono>
#include <list>
#include <optional>
#include <thread>
#include <utility>

#include "runtime/profiling_region.hpp"
#include "scheduling/dtree.hpp"
#include "scheduling/scheduler_message.hpp"

namespace celeste::inference {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Message tags of the fitting phase (no other part of the program sends point-to-point).
constexpr int kTagScheduler = 7101;  // scheduling::SchedulerMessage bytes, tree edges only
constexpr int kTagProgress = 7102;   // a finished task, to rank 0 (checkpoint table, report)

// A finished task as sent to rank 0: stage, region, rank, seconds, then its work counters.
constexpr int kProgressDoubles = 17;
struct Progress {
  int stage = 0, region = 0, rank = 0;
  double seconds = 0;
  WorkCounters work;
};
void encode(const Progress& p, double* out) {
  out[0] = p.stage;
  out[1] = p.region;
  out[2] = p.rank;
  out[3] = p.seconds;
  out[4] = static_cast<double>(p.work.fits);
  out[5] = static_cast<double>(p.work.newton_iterations);
  out[6] = static_cast<double>(p.work.elbo_evaluations);
  out[7] = static_cast<double>(p.work.active_pixel_visits);
  out[8] = static_cast<double>(p.work.inactive_pixel_visits);
  out[9] = p.work.load_imbalance_s;
  out[10] = static_cast<double>(p.work.star_hypotheses_tried);
  out[11] = static_cast<double>(p.work.star_hypotheses_accepted);
  out[12] = static_cast<double>(p.work.star_hypothesis_fits);
  out[13] = static_cast<double>(p.work.type_evidence_calls);
  out[14] = static_cast<double>(p.work.type_evidence_flips);
  out[15] = static_cast<double>(p.work.type_evidence_fits);
  out[16] = static_cast<double>(p.work.type_evidence_evaluations);
}
Progress decode(const double* in) {
  Progress p;
  p.stage = static_cast<int>(in[0]);
  p.region = static_cast<int>(in[1]);
  p.rank = static_cast<int>(in[2]);
  p.seconds = in[3];
  p.work.fits = static_cast<std::int64_t>(in[4]);
  p.work.newton_iterations = static_cast<std::int64_t>(in[5]);
  p.work.elbo_evaluations = static_cast<std::int64_t>(in[6]);
  p.work.active_pixel_visits = static_cast<std::int64_t>(in[7]);
  p.work.inactive_pixel_visits = static_cast<std::int64_t>(in[8]);
  p.work.load_imbalance_s = in[9];
  p.work.star_hypotheses_tried = static_cast<std::int64_t>(in[10]);
  p.work.star_hypotheses_accepted = static_cast<std::int64_t>(in[11]);
  p.work.star_hypothesis_fits = static_cast<std::int64_t>(in[12]);
  p.work.type_evidence_calls = static_cast<std::int64_t>(in[13]);
  p.work.type_evidence_flips = static_cast<std::int64_t>(in[14]);
  p.work.type_evidence_fits = static_cast<std::int64_t>(in[15]);
  p.work.type_evidence_evaluations = static_cast<std::int64_t>(in[16]);
  return p;
}

// Non-blocking sends whose buffers live until they complete.
class Outgoing {
 public:
  explicit Outgoing(MPI_Comm comm) : comm_(comm) {}
  void send(std::vector<std::uint8_t> bytes, int to, int tag) {
    pending_.emplace_back();
    auto& p = pending_.back();
    p.bytes = std::move(bytes);
    MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, to, tag, comm_,
              &p.request);
    reap();
  }
  void reap() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
      it = done ? pending_.erase(it) : std::next(it);
    }
  }
  void wait_all() {
    for (auto& p : pending_) MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    pending_.clear();
  }

 private:
  struct Pending {
    MPI_Request request = MPI_REQUEST_NULL;
    std::vector<std::uint8_t> bytes;
  };
  MPI_Comm comm_;
  std::list<Pending> pending_;
};

// Rank 0's record of the stage in progress, from which it writes checkpoints that are one
// consistent snapshot whatever the ranks are doing: finished tasks at their results, every
// other region as it was when the stage began.
struct StageTable {
  int stage = 0;
  std::vector<char> done;                      // per region of the stage
  RunState entry;                              // the state when the stage began
  WorkCounters finished_work;                  // of finished tasks, earlier stages included
  int finished = 0;
};

RunState snapshot(const StageTable& table, MpiCatalogState& shared,
                  const std::vector<std::vector<std::vector<int>>>& region_targets) {
  RunState s = table.entry;
  std::vector<Params> start, current;
  std::vector<survey::SourceResult> records, start_records;
  shared.get_all(start, current, records, start_records);
  s.stage_start_params = start;
  const int st = table.stage;
  for (std::size_t reg = 0; reg < table.done.size(); ++reg) {
    if (!table.done[reg]) continue;
    s.rounds_done[st][reg] = s.rounds_total[st][reg];
    s.next_round_targets_done[st][reg] = 0;
    for (int t : region_targets[st][reg]) {
      s.params[t] = current[t];
      s.records[t] = records[t];
    }
  }
  const double inference_s = s.counters.inference_s;
  s.counters = table.finished_work;
  s.counters.inference_s = inference_s;
  return s;
}

}  // namespace

DistributedResult run_stages_distributed(RunState& state, MpiCatalogState& shared,
                                         const std::vector<std::vector<double>>& region_costs,
                                         const std::vector<std::vector<std::vector<int>>>& region_targets,
                                         const TaskRunner& run_task,
                                         const DistributedOptions& options) {
  MPI_Comm comm = options.comm;
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const auto t_start = Clock::now();
  auto last_checkpoint = Clock::now();

  DistributedResult result;
  RankActivity me;
  me.rank = rank;
  WorkCounters session;  // this rank, this session
  StageTable table;
  table.finished_work = state.counters;  // what earlier sessions finished

  auto write_snapshot = [&]() {
    RunState s = snapshot(table, shared, region_targets);
    s.counters.inference_s = options.fitting_s_before + seconds_since(t_start);
    write_checkpoint(options.checkpoint_path, s);
    ++result.checkpoints_written;
    last_checkpoint = Clock::now();
  };
  auto record = [&](const Progress& p) {
    if (p.stage == table.stage && !table.done[p.region]) {
      table.done[p.region] = 1;
      ++table.finished;
    }
    table.finished_work += p.work;
    TaskTime t;
    t.stage = p.stage + 1;
    t.region = p.region;
    t.rank = p.rank;
    t.seconds = p.seconds;
    t.cost = region_costs[p.stage][p.region];
    t.sources = static_cast<long>(region_targets[p.stage][p.region].size());
    t.fits = p.work.fits;
    t.newton_iterations = p.work.newton_iterations;
    t.elbo_evaluations = p.work.elbo_evaluations;
    t.active_pixel_visits = p.work.active_pixel_visits;
    t.type_evidence_calls = p.work.type_evidence_calls;
    result.tasks.push_back(t);
    if (options.on_task_recorded) options.on_task_recorded(table.finished_work, p.stage);
  };

  for (std::size_t st = 0; st < region_costs.size(); ++st) {
    bool begun = false, all_done = true;
    std::vector<scheduling::Task> tasks;
    for (std::size_t reg = 0; reg < region_costs[st].size(); ++reg) {
      begun |= state.rounds_done[st][reg] > 0 || state.next_round_targets_done[st][reg] > 0;
      const bool done = state.rounds_done[st][reg] == state.rounds_total[st][reg];
      all_done &= done;
      if (!done) tasks.push_back({static_cast<int>(reg), region_costs[st][reg]});
    }
    if (all_done) continue;
    const runtime::ProfilingRegion stage_region("Celeste::stage_" + std::to_string(st + 1));
    if (!begun) {
      shared.begin_stage();
    } else {
      MPI_Barrier(comm);
    }
    if (rank == 0) {
      table.stage = static_cast<int>(st);
      table.done.assign(region_costs[st].size(), 0);
      table.finished = 0;
      table.entry = state;
      std::vector<Params> start, current;
      std::vector<survey::SourceResult> records, start_records;
      shared.get_all(start, current, records, start_records);
      table.entry.params = current;
      table.entry.records = records;
      table.entry.stage_start_params = start;
    }
    const int expected_tasks = static_cast<int>(tasks.size());
    scheduling::DtreeOptions dopt;
    dopt.stage = static_cast<int>(st) + 1;
    scheduling::DtreeRank dtree(rank, ranks, options.fanout, tasks, dopt);
    Outgoing out(comm);
    const auto t_stage = Clock::now();
    auto last_task_end = t_stage;
    bool ran_any = false;

    auto pump = [&]() {
      bool any = true;
      while (any) {
        any = false;
        for (auto& m : dtree.take_outbox()) out.send(scheduling::encode_message(m), m.to, kTagScheduler);
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, kTagScheduler, comm, &flag, &status);
        if (flag) {
          int count = 0;
          MPI_Get_count(&status, MPI_BYTE, &count);
          std::vector<std::uint8_t> bytes(static_cast<std::size_t>(count));
          MPI_Recv(bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, kTagScheduler, comm,
                   MPI_STATUS_IGNORE);
          dtree.receive(scheduling::decode_message(bytes));
          any = true;
        }
        if (rank == 0) {
          MPI_Iprobe(MPI_ANY_SOURCE, kTagProgress, comm, &flag, &status);
          if (flag) {
            double buf[kProgressDoubles];
            MPI_Recv(buf, kProgressDoubles, MPI_DOUBLE, status.MPI_SOURCE, kTagProgress, comm,
                     MPI_STATUS_IGNORE);
            record(decode(buf));
            any = true;
          }
        }
      }
      out.reap();
      if (rank == 0 && seconds_since(last_checkpoint) >= options.checkpoint_seconds)
        write_snapshot();
    };

    // The next task, asked for while the running one ends (DtreeOptions: not at its start).
    std::optional<scheduling::Task> prefetched;
    auto poll = [&](Clock::time_point t0, double fraction_done) {
      pump();
      if (prefetched || !options.prefetch || !(fraction_done > 0)) return;
      const double elapsed = seconds_since(t0);
      const double remaining = elapsed * (1.0 - fraction_done) / fraction_done;
      if (remaining > options.prefetch_lead_s()) return;
      prefetched = dtree.next_task();
      for (auto& m : dtree.take_outbox()) out.send(scheduling::encode_message(m), m.to, kTagScheduler);
      if (prefetched) options.prefetch(static_cast<int>(st), prefetched->id);
    };
    // Time without a task counts as waiting for work only if a task came after it; after the
    // rank's last task it is the stage's load imbalance (idle_s), never both.
    double unassigned_wait_s = 0;
    while (true) {
      pump();
      std::optional<scheduling::Task> task;
      task.swap(prefetched);
      if (!task) task = dtree.next_task();
      if (task) {
        me.waiting_s += unassigned_wait_s;
        unassigned_wait_s = 0;
        // Requests for more work go out before the fit, so the next task is on its way.
        for (auto& m : dtree.take_outbox()) out.send(scheduling::encode_message(m), m.to, kTagScheduler);
        const auto t0 = Clock::now();
        Progress p;
        p.stage = static_cast<int>(st);
        p.region = task->id;
        p.rank = rank;
        run_task(shared, static_cast<int>(st), task->id, p.work,
                 [&](double fraction_done) { poll(t0, fraction_done); });
        p.seconds = seconds_since(t0);
        session += p.work;
        ++me.tasks;
        me.sources += static_cast<long>(region_targets[st][task->id].size());
        me.fitting_s += p.seconds;
        if (rank == 0) {
          record(p);
        } else {
          // After put_current's flush: when rank 0 reads this, the results are in the window.
          double buf[kProgressDoubles];
          encode(p, buf);
          MPI_Send(buf, kProgressDoubles, MPI_DOUBLE, 0, kTagProgress, comm);
        }
        dtree.task_finished(task->id);
        last_task_end = Clock::now();
        ran_any = true;
      } else if (dtree.stage_over()) {
        break;
      } else {
        const auto w0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        unassigned_wait_s += seconds_since(w0);
      }
    }
    for (auto& m : dtree.take_outbox()) out.send(scheduling::encode_message(m), m.to, kTagScheduler);
    out.wait_all();
    me.idle_s += seconds_since(ran_any ? last_task_end : t_stage);
    me.scheduler_messages += dtree.counters().messages_sent + dtree.counters().messages_received;
    if (rank == 0) {
      // The stage is over everywhere; the last progress messages may still be on their way.
      while (table.finished < expected_tasks) {
        double buf[kProgressDoubles];
        MPI_Recv(buf, kProgressDoubles, MPI_DOUBLE, MPI_ANY_SOURCE, kTagProgress, comm,
                 MPI_STATUS_IGNORE);
        record(decode(buf));
      }
    }
    // Every rank agrees the stage is complete (rank 0 knows its progress table is).
    MPI_Barrier(comm);
    for (std::size_t reg = 0; reg < region_costs[st].size(); ++reg) {
      state.rounds_done[st][reg] = state.rounds_total[st][reg];
      state.next_round_targets_done[st][reg] = 0;
    }
  }

  // The catalog and the counters, on rank 0.
  MPI_Barrier(comm);
  me.rma = shared.counters();
  constexpr int kSummed = 12;
  const std::int64_t mine[kSummed] = {session.fits, session.newton_iterations,
                                      session.elbo_evaluations, session.active_pixel_visits,
                                      session.inactive_pixel_visits,
                                      session.star_hypotheses_tried,
                                      session.star_hypotheses_accepted,
                                      session.star_hypothesis_fits,
                                      session.type_evidence_calls,
                                      session.type_evidence_flips,
                                      session.type_evidence_fits,
                                      session.type_evidence_evaluations};
  std::int64_t sum[kSummed] = {};
  MPI_Reduce(mine, sum, kSummed, MPI_INT64_T, MPI_SUM, 0, comm);
  double imbalance = session.load_imbalance_s, imbalance_sum = 0;
  MPI_Reduce(&imbalance, &imbalance_sum, 1, MPI_DOUBLE, MPI_SUM, 0, comm);
  if (options.image_counters) me.images = options.image_counters();
  constexpr int kActivityDoubles = 19;
  const double act[kActivityDoubles] = {static_cast<double>(me.rank), static_cast<double>(me.tasks),
                                        static_cast<double>(me.sources), me.fitting_s, me.waiting_s,
                                        me.idle_s, static_cast<double>(me.rma.gets),
                                        static_cast<double>(me.rma.puts),
                                        static_cast<double>(me.rma.bytes_got),
                                        static_cast<double>(me.rma.bytes_put),
                                        static_cast<double>(me.scheduler_messages),
                                        me.images.wait_first_s, me.images.wait_late_s,
                                        me.images.plan_s, static_cast<double>(me.images.loads),
                                        static_cast<double>(me.images.hits),
                                        static_cast<double>(me.images.evictions),
                                        static_cast<double>(me.images.bytes_loaded),
                                        me.images.read_s};
  std::vector<double> all_act(rank == 0 ? static_cast<std::size_t>(ranks) * kActivityDoubles : 0);
  MPI_Gather(act, kActivityDoubles, MPI_DOUBLE, all_act.data(), kActivityDoubles, MPI_DOUBLE, 0,
             comm);
  if (rank == 0) {
    std::vector<Params> start;
    std::vector<survey::SourceResult> start_records;
    shared.get_all(start, state.params, state.records, start_records);
    state.stage_start_params = start;
    result.work.fits = sum[0];
    result.work.newton_iterations = sum[1];
    result.work.elbo_evaluations = sum[2];
    result.work.active_pixel_visits = sum[3];
    result.work.inactive_pixel_visits = sum[4];
    result.work.star_hypotheses_tried = sum[5];
    result.work.star_hypotheses_accepted = sum[6];
    result.work.star_hypothesis_fits = sum[7];
    result.work.type_evidence_calls = sum[8];
    result.work.type_evidence_flips = sum[9];
    result.work.type_evidence_fits = sum[10];
    result.work.type_evidence_evaluations = sum[11];
    result.work.load_imbalance_s = imbalance_sum / ranks;
    for (int r = 0; r < ranks; ++r) {
      const double* a = all_act.data() + static_cast<std::size_t>(r) * kActivityDoubles;
      RankActivity x;
      x.rank = static_cast<int>(a[0]);
      x.tasks = static_cast<int>(a[1]);
      x.sources = static_cast<long>(a[2]);
      x.fitting_s = a[3];
      x.waiting_s = a[4];
      x.idle_s = a[5];
      x.rma = {static_cast<std::int64_t>(a[6]), static_cast<std::int64_t>(a[7]),
               static_cast<std::int64_t>(a[8]), static_cast<std::int64_t>(a[9])};
      x.scheduler_messages = static_cast<long>(a[10]);
      x.images.wait_first_s = a[11];
      x.images.wait_late_s = a[12];
      x.images.plan_s = a[13];
      x.images.loads = static_cast<long>(a[14]);
      x.images.hits = static_cast<long>(a[15]);
      x.images.evictions = static_cast<long>(a[16]);
      x.images.bytes_loaded = static_cast<std::int64_t>(a[17]);
      x.images.read_s = a[18];
      result.ranks.push_back(x);
    }
  }
  return result;
}

std::vector<double> allgather_doubles(MPI_Comm comm, const std::vector<double>& mine) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)), offsets(static_cast<std::size_t>(ranks), 0);
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  for (int r = 1; r < ranks; ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  std::vector<double> all(static_cast<std::size_t>(offsets.back() + counts.back()));
  MPI_Allgatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(),
                 MPI_DOUBLE, comm);
  return all;
}

}  // namespace celeste::inference
#endif
