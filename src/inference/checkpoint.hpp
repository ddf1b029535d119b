#pragma once
// The run's checkpoint: everything a run has finished, so that `celeste run --resume` skips it
// and ends with a catalog bitwise identical to an uninterrupted run. One format for every
// driver (single process now; the distributed run's regions are the same tasks).
//
// Contents (byte layout: docs/checkpoint.md):
//   - a fingerprint of what determines the result (config bytes, input files' names, sizes and
//     modification times, software version): a checkpoint of another run is refused;
//   - per stage and region (task), how many of its Cyclades rounds are done, in the task's
//     fixed (pass, batch, round) order, and how many targets of the next round;
//   - per catalog source, its current parameters, its parameters at the start of the stage in
//     progress, and the record of its last fit;
//   - the run's work counters so far (for the report);
//   - a 64-bit FNV-1a checksum of all of the above (a torn or corrupt file is refused).
// Written through io::AtomicOutput (temporary, fsync, rename): a kill leaves the previous
// complete checkpoint or the new one, never a mixture.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "celeste/param_layout.hpp"
#include "model/source_fit.hpp"
#include "survey/source_result.hpp"

namespace celeste::inference {

struct WorkCounters {
  std::int64_t fits = 0, newton_iterations = 0, elbo_evaluations = 0;
  std::int64_t active_pixel_visits = 0, inactive_pixel_visits = 0;
  // star_hypothesis.hpp: moves tried, kept, and the fits they made (also counted in `fits`)
  std::int64_t star_hypotheses_tried = 0, star_hypotheses_accepted = 0, star_hypothesis_fits = 0;
  // type_evidence.hpp: galaxy calls decided by evidence, those now called stars, and the
  // fits the decisions made (also counted in `fits`)
  std::int64_t type_evidence_calls = 0, type_evidence_flips = 0, type_evidence_fits = 0;
  // ... and the ELBO evaluations outside fits they made (Occam integrals; in elbo_evaluations)
  std::int64_t type_evidence_evaluations = 0;
  double load_imbalance_s = 0;  // RunTimings::load_imbalance so far
  double inference_s = 0;       // fitting wall time so far (all sessions of the run)

  // Adds `w`'s work (not its inference_s: wall time is not summed over ranks or tasks).
  WorkCounters& operator+=(const WorkCounters& w) {
    fits += w.fits;
    newton_iterations += w.newton_iterations;
    elbo_evaluations += w.elbo_evaluations;
    active_pixel_visits += w.active_pixel_visits;
    inactive_pixel_visits += w.inactive_pixel_visits;
    star_hypotheses_tried += w.star_hypotheses_tried;
    star_hypotheses_accepted += w.star_hypotheses_accepted;
    star_hypothesis_fits += w.star_hypothesis_fits;
    type_evidence_calls += w.type_evidence_calls;
    type_evidence_flips += w.type_evidence_flips;
    type_evidence_fits += w.type_evidence_fits;
    type_evidence_evaluations += w.type_evidence_evaluations;
    load_imbalance_s += w.load_imbalance_s;
    return *this;
  }
  // Counts `n` value-only ELBO evaluations (model::TargetObjective): evaluations, not pixel
  // visits, which count the derivative kernel's work (the FLOP figure leaves these out).
  void count_values(std::int64_t n) { elbo_evaluations += n; }
  // Counts one source fit.
  void count(const model::SourceFit& f) {
    ++fits;
    newton_iterations += f.result.iterations;
    elbo_evaluations += f.result.evaluations;
    active_pixel_visits += f.result.evaluations * f.active_visits;
    inactive_pixel_visits += f.neighbor_visits;
  }
};

struct RunState {
  std::uint64_t fingerprint = 0;
  // rounds_done[stage][region]: rounds finished; rounds_total likewise (for progress and to
  // check that the resumed run plans the same tasks).
  std::vector<std::vector<std::int64_t>> rounds_done, rounds_total;
  // next_round_targets_done[stage][region]: targets of round rounds_done already fitted. A
  // round is fitted in chunks for a finer checkpoint grain; its targets are not neighbours of
  // one another, so where a chunk ends does not change any fit.
  std::vector<std::vector<std::int64_t>> next_round_targets_done;
  std::vector<std::array<double, kNumParams>> params;  // per catalog source, current
  // Per catalog source, its parameters at the start of the stage in progress: what the tasks
  // of that stage read for every source outside their region (catalog_state.hpp).
  std::vector<std::array<double, kNumParams>> stage_start_params;
  // Per catalog source, its last fit's fields of survey::SourceResult (status_code,
  // iterations, failure_flags, warning_flags, elbo, elbo_gain, grad_norm, lr_sd; model::record_fit);
  // status_code optimizer::not_fitted until it is fitted. Only those fields are saved.
  std::vector<survey::SourceResult> records;
  WorkCounters counters;
};

// Writes `state` to `path` atomically. Throws InputError naming the file.
void write_checkpoint(const std::string& path, const RunState& state);

// Reads a checkpoint; InputError naming the file when it is not one, is truncated or corrupt
// (checksum), or has another format version.
RunState read_checkpoint(const std::string& path);

// FNV-1a 64 of bytes, continuing from `h` (start with kFnvOffset).
inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h = kFnvOffset);

}  // namespace celeste::inference
