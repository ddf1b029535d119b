#pragma once
// The catalog state a run shares between its tasks: every source's parameters and the fit
// fields of its catalog record, in two copies per stage.
//
//   start    the parameters at the beginning of the stage. A task reads every source it needs
//            from here, except its own targets' progress inside the task;
//   current  where tasks put their targets' results (and their fit records).
//
// A region's targets belong to no other region of its stage, so a task's result is a function
// of the stage's start state only: the catalog does not depend on the order of the tasks, on
// the number of ranks or on the scheduler (docs/scheduling.md, "Determinism").
//
// Two implementations: LocalCatalogState (one process, plain vectors; the checkpoint's state)
// and MpiCatalogState (MPI-3 one-sided windows over every rank, mpi_catalog_state.hpp). The
// calls are per task, never in a hot loop.
#include <array>
#include <vector>

#include "celeste/param_layout.hpp"
#include "model/elbo_problem.hpp"
#include "survey/source_result.hpp"

namespace celeste::inference {

using Params = model::SourceParams;

class CatalogState {
 public:
  virtual ~CatalogState() = default;

  virtual int size() const = 0;

  // params[s] := start parameters of every s in `sources` (other entries left as they are).
  virtual void get_start(const std::vector<int>& sources, std::vector<Params>& params) = 0;

  // params[s], records[s] := current values of every s in `sources`.
  virtual void get_current(const std::vector<int>& sources, std::vector<Params>& params,
                           std::vector<survey::SourceResult>& records) = 0;

  // Current values of every s in `sources` := params[s], records[s] (fit fields only).
  virtual void put_current(const std::vector<int>& sources, const std::vector<Params>& params,
                           const std::vector<survey::SourceResult>& records) = 0;

  // Collective over the ranks: every put of the finished stage is complete and visible, and
  // start := current for the next stage.
  virtual void begin_stage() = 0;
};

// One process: the vectors are the run state's own (what a checkpoint saves).
class LocalCatalogState final : public CatalogState {
 public:
  LocalCatalogState(std::vector<Params>& start, std::vector<Params>& current,
                    std::vector<survey::SourceResult>& records)
      : start_(start), current_(current), records_(records) {}

  int size() const override { return static_cast<int>(current_.size()); }
  void get_start(const std::vector<int>& sources, std::vector<Params>& params) override;
  void get_current(const std::vector<int>& sources, std::vector<Params>& params,
                   std::vector<survey::SourceResult>& records) override;
  void put_current(const std::vector<int>& sources, const std::vector<Params>& params,
                   const std::vector<survey::SourceResult>& records) override;
  void begin_stage() override { start_ = current_; }

 private:
  std::vector<Params>& start_;
  std::vector<Params>& current_;
  std::vector<survey::SourceResult>& records_;
};

// One source's state as doubles, for the windows and the wire: its parameters, then the fit
// fields of survey::SourceResult that model::record_fit fills (status_code, iterations,
// failure_flags, warning_flags, elbo, elbo_gain, grad_norm, lr_sd; the integers are exact in a
// double).
inline constexpr int kSourceStateDoubles = kNumParams + 7 + kNumParams;
void pack_source_state(const Params& params, const survey::SourceResult& record, double* out);
void unpack_source_state(const double* in, Params& params, survey::SourceResult& record);

}  // namespace celeste::inference
