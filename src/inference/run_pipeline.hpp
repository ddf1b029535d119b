#pragma once
// The main job (`celeste run`): images + initial catalog → fitted catalog + run report.
//
//   load images and catalog → sources of the sky box (targets) and fixed neighbours around it
//   → patches → stage 1 (and 2: a second, offset partition) of regions → per region: Cyclades
//   plan over the conflict graph, `passes` passes; each batch is executed in rounds of pairwise
//   non-neighbouring sources fitted in parallel (one Kokkos team each) → catalog + report.
// Results do not depend on the number of threads (bitwise): every source's fit runs on one
// team of size 1 in a fixed order, and the plan uses a nominal thread count from the config.
#include <cstdint>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "inference/rank_activity.hpp"
#include "io/catalog_entries.hpp"
#include "io/provenance.hpp"
#include "runtime/memory_placement.hpp"
#include "runtime/thread_layout.hpp"
#include "survey/source_result.hpp"

namespace celeste::inference {

struct RunTimings {
  double total = 0;
  double image_loading = 0;
  double setup = 0;            // catalog, patches, regions, plans
  double task_processing = 0;  // building ELBO tasks and fitting
  double load_imbalance = 0;   // thread-seconds idle in rounds smaller than the thread count / threads
  double output = 0;
  double other = 0;
};

struct RunReport {
  std::string run_id;  // in every output of the set (docs/run.md)
  std::string config_file;
  std::string backend;
  int threads = 0;
  int images = 0;
  int catalog_sources = 0;  // catalog rows kept as sources (catalog_rows: those dropped)
  int targets = 0;          // sources strictly inside the region: fitted
  int fixed_neighbors = 0;  // other sources whose patches overlap a target's: modelled, fixed
  int unused_sources = 0;   // the rest, outside the region and away from every target
  io::CatalogRowCounts catalog_rows;  // the catalog file's rows read and dropped by reason
  int stages = 0;
  int regions = 0;
  int passes = 0;
  long fits = 0;                   // per-source optimizations run
  long newton_iterations = 0;
  long elbo_evaluations = 0;
  long active_pixel_visits = 0;    // Σ over ELBO evaluations of visited pixels
  long inactive_pixel_visits = 0;  // neighbour contributions folded into task backgrounds
  long star_hypotheses_tried = 0;     // blends refitted as stars (star_hypothesis.hpp) ...
  long star_hypotheses_accepted = 0;  // ... and kept because the ELBO rose
  long star_hypothesis_fits = 0;      // fits the moves made (included in `fits`)
  long type_evidence_calls = 0;       // galaxy calls decided by evidence (type_evidence.hpp) ...
  long type_evidence_flips = 0;       // ... those now called stars
  long type_evidence_fits = 0;        // ... the fits the decisions made (included in `fits`)
  long type_evidence_evaluations = 0; // ... and their other ELBO evaluations (in elbo_evaluations)
  long flops_per_visit = 0;
  double elbo_flops = 0;           // active_pixel_visits × flops_per_visit
  double optimizer_flops = 0;      // estimated subproblem work (docs/flops.md)
  double total_flops = 0;
  double gflops = 0;               // total_flops / task_processing time
  double sources_per_s = 0;        // targets / total time
  int converged = 0, max_iterations = 0, failed = 0, not_fitted = 0;
  std::vector<std::pair<std::string, int>> failure_flag_counts;
  std::vector<std::pair<std::string, int>> warning_flag_counts;
  // Software, commit, start and write times, host, backend, threads, effective configuration,
  // input files: the same in report.json and in every file of the output set (docs/io.md).
  io::OutputProvenance provenance;
  RunTimings timings;
  std::vector<std::string> outputs;
  // Checkpoints and resume: checkpoints written by this session; when resumed, the fits and
  // rounds the checkpoint already held (skipped here) and the inference time they took.
  int checkpoints_written = 0;
  bool resumed = false;
  long resumed_fits = 0;
  long resumed_rounds = 0;
  double resumed_inference_s = 0;
  // Distributed runs (mpirun -np N): this process's rank, the rank count, and on rank 0 what
  // every rank did and every task's time (empty with one rank).
  int rank = 0, ranks = 1;
  int scheduler_fanout = 0;
  std::vector<RankActivity> rank_activity;
  double image_cache_mb = 0;             // execution.image_cache_mb in effect
  ImageLoadingCounters image_loading;    // this process (rank 0's in a distributed run)
  std::vector<TaskTime> task_times;
  // Memory and threads (docs/run.md "Running on KNL / HBM nodes"): where the hot arrays went
  // and their bytes per memory space, this process's peak resident memory, the thread layout.
  runtime::MemoryChoice memory;
  runtime::PlacementStats placement;
  std::uint64_t peak_resident_bytes = 0;
  runtime::ThreadLayout layout;
};

struct RunControl {
  // Continue from output.directory/checkpoint.ckpt when it is there (`celeste run --resume`).
  bool resume = false;
  // Kokkos execution space by name (`celeste run --backend`); "" = execution.backend, and
  // when that is empty too, the build's default.
  std::string backend;
};

// Runs the whole job; throws InputError / ConfigError on bad inputs (nothing written then).
RunReport run_pipeline(const config::RunConfig& cfg, const RunControl& control = {},
                       std::vector<survey::SourceResult>* results = nullptr);

std::string report_json(const RunReport& r);
std::string report_summary(const RunReport& r);

}  // namespace celeste::inference
