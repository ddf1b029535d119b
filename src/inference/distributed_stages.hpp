#pragma once
// The fitting phase of a run over several MPI ranks: per stage, the regions (tasks) are handed
// out by the dynamic tree scheduler (scheduling/dtree.hpp), every rank fits what it is given
// against the shared catalog state (MpiCatalogState), and rank 0 keeps the table of finished
// tasks from which it writes consistent checkpoints. The catalog is the one-rank catalog
// bitwise: a task reads only the stage's start state (catalog_state.hpp).
#include "celeste/version.hpp"

#if CELESTE_HAVE_MPI
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "inference/checkpoint.hpp"
#include "inference/mpi_catalog_state.hpp"
#include "inference/rank_activity.hpp"

namespace celeste::inference {

struct DistributedOptions {
  MPI_Comm comm = MPI_COMM_WORLD;
  int fanout = 8;                        // execution.scheduler.fanout
  double checkpoint_seconds = 300;       // output.checkpoint_seconds (rank 0's clock)
  std::string checkpoint_path;           // written by rank 0 only
  double fitting_s_before = 0;           // fitting time of earlier sessions (resume)
  // Rank 0, after each finished task is recorded: the work of every finished task so far
  // (earlier sessions included) and the task's stage (0-based), for the progress lines.
  std::function<void(const WorkCounters& finished, int stage)> on_task_recorded;
  // Prefetch: the rank asks for its next task once the running one is expected to end within
  // prefetch_lead_s() (the images' loading time), and calls prefetch(stage, region) with it.
  std::function<void(int stage, int region)> prefetch;
  std::function<double()> prefetch_lead_s;
  std::function<ImageLoadingCounters()> image_counters;  // this rank's, for the report
};

struct DistributedResult {
  WorkCounters work;                    // this session, all ranks (valid on rank 0)
  std::vector<RankActivity> ranks;      // one per rank (rank 0)
  std::vector<TaskTime> tasks;          // every task of this session (rank 0)
  int checkpoints_written = 0;
};

// Fits region `region` of stage `stage` (0-based), reading and writing `shared`, adding its
// work to `work`; `state` holds the task's progress (a resumed partial region continues).
// `poll(fraction done)` is called between chunks of fits: the rank serves its scheduler
// messages (its children's requests) while it works, and asks for its next task ahead;
// `poll(NaN)` (inside a long chunk) serves the messages only.
using TaskRunner = std::function<void(CatalogState& shared, int stage, int region,
                                      WorkCounters& work,
                                      const std::function<void(double)>& poll)>;

// Collective over options.comm. `state` is the same on every rank on entry (fresh or read from
// a checkpoint) and `shared` holds it. `region_costs[stage][region]` orders the tasks;
// `region_targets` names each region's targets (for the checkpoint snapshots). On return rank
// 0's `state` holds the final parameters, records and counters (other ranks' is stale).
DistributedResult run_stages_distributed(RunState& state, MpiCatalogState& shared,
                                         const std::vector<std::vector<double>>& region_costs,
                                         const std::vector<std::vector<std::vector<int>>>& region_targets,
                                         const TaskRunner& run_task,
                                         const DistributedOptions& options);

// Every rank's `mine`, concatenated in rank order, on every rank (collective).
std::vector<double> allgather_doubles(MPI_Comm comm, const std::vector<double>& mine);

}  // namespace celeste::inference
#endif
