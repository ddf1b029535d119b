#pragma once
// What each rank of a distributed run did, and how long each task took: the run report's
// per-rank breakdown and task list (docs/run.md), also input to `celeste schedule-sim`.
#include <cstdint>

namespace celeste::inference {

struct RmaCounters {
  std::int64_t gets = 0, puts = 0;  // MPI_Get / MPI_Put calls (one per run of sources)
  std::int64_t bytes_got = 0, bytes_put = 0;
};

// A rank's image loading (io/image_cache.hpp): what its tasks waited for and what it read.
struct ImageLoadingCounters {
  double wait_first_s = 0;  // waiting for the images of a stage's first task on this rank
  double wait_late_s = 0;   // waiting for other tasks' images (a prefetch that came late)
  double plan_s = 0;        // loading this rank's share of the images for the plan
  double read_s = 0;        // the loader thread's time reading images (plan and tasks)
  long loads = 0, hits = 0, evictions = 0;
  std::int64_t bytes_loaded = 0;
};

struct RankActivity {
  int rank = 0;
  int tasks = 0;
  long sources = 0;             // targets of its tasks
  double fitting_s = 0;         // inside tasks
  double waiting_s = 0;         // waiting for work that came (not after its last task)
  double idle_s = 0;            // after its last task until the stage ended, over stages
  RmaCounters rma;
  long scheduler_messages = 0;  // sent + received
  ImageLoadingCounters images;
};

struct TaskTime {
  int stage = 0;  // 1-based
  int region = 0;
  int rank = 0;
  double seconds = 0;
  double cost = 0;  // the scheduler's estimate (the region's active pixels)
  // What the task did, so a report tells why a task took as long as it did.
  long sources = 0;  // the region's targets
  std::int64_t fits = 0, newton_iterations = 0, elbo_evaluations = 0, active_pixel_visits = 0;
  std::int64_t type_evidence_calls = 0;
};

}  // namespace celeste::inference
