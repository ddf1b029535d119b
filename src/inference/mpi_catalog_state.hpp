#pragma once
// The shared catalog state over MPI ranks: two MPI-3 windows (stage start, current) of
// kSourceStateDoubles doubles per source, block-distributed by catalog index (rank r owns
// sources [block_begin(r), block_begin(r + 1))). Passive-target access for the whole run
// (MPI_Win_lock_all): a task MPI_Gets what it reads and MPI_Puts its targets' results, each
// followed by MPI_Win_flush_all, so nothing waits for the owner. A rank's own block is the only
// part of the catalog it holds (docs/scheduling.md, "Window layout").
#include "celeste/version.hpp"

#if CELESTE_HAVE_MPI
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "inference/catalog_state.hpp"
#include "inference/rank_activity.hpp"

namespace celeste::inference {

class MpiCatalogState final : public CatalogState {
 public:
  // Collective over `comm`. Each rank's block starts as `initial` (the same on every rank),
  // its fit records empty (not fitted).
  MpiCatalogState(MPI_Comm comm, const std::vector<Params>& initial);
  ~MpiCatalogState() override;  // collective: unlocks and frees the windows
  MpiCatalogState(const MpiCatalogState&) = delete;
  MpiCatalogState& operator=(const MpiCatalogState&) = delete;

  int size() const override { return sources_; }
  void get_start(const std::vector<int>& sources, std::vector<Params>& params) override;
  void get_current(const std::vector<int>& sources, std::vector<Params>& params,
                   std::vector<survey::SourceResult>& records) override;
  void put_current(const std::vector<int>& sources, const std::vector<Params>& params,
                   const std::vector<survey::SourceResult>& records) override;
  void begin_stage() override;  // collective

  // This rank's block := the given state (resume; every rank passes the same full vectors).
  void load_local(const std::vector<Params>& start, const std::vector<Params>& current,
                  const std::vector<survey::SourceResult>& records);
  // The whole catalog, start and current (for a checkpoint snapshot or the outputs).
  void get_all(std::vector<Params>& start, std::vector<Params>& current,
               std::vector<survey::SourceResult>& current_records,
               std::vector<survey::SourceResult>& start_records);

  int block_begin(int rank) const;
  const RmaCounters& counters() const { return counters_; }

 private:
  enum class Which { start, current };
  // Reads (get) or writes (put) the state of `sources` (ascending) in window `w`, one RMA call
  // per run of consecutive sources with one owner.
  void transfer(Which w, const std::vector<int>& sources, std::vector<double>& buffer, bool put);

  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1, sources_ = 0;
  MPI_Win win_[2] = {MPI_WIN_NULL, MPI_WIN_NULL};
  double* local_[2] = {nullptr, nullptr};
  RmaCounters counters_;
};

}  // namespace celeste::inference
#endif
