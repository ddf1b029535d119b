#include "inference/mpi_catalog_state.hpp"

#if CELESTE_HAVE_MPI
#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace celeste::inference {
namespace {
constexpr int kD = kSourceStateDoubles;
}

int MpiCatalogState::block_begin(int rank) const {
  // The first sources_ % ranks_ ranks own one source more.
  const int base = sources_ / ranks_, extra = sources_ % ranks_;
  return rank * base + std::min(rank, extra);
}

MpiCatalogState::MpiCatalogState(MPI_Comm comm, const std::vector<Params>& initial)
    : comm_(comm), sources_(static_cast<int>(initial.size())) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  const int lo = block_begin(rank_), hi = block_begin(rank_ + 1);
  const MPI_Aint bytes = static_cast<MPI_Aint>(hi - lo) * kD * sizeof(double);
  for (int w = 0; w < 2; ++w) {
    MPI_Win_allocate(bytes, sizeof(double), MPI_INFO_NULL, comm_, &local_[w], &win_[w]);
    survey::SourceResult empty;
    for (int s = lo; s < hi; ++s)
      pack_source_state(initial[s], empty, local_[w] + static_cast<std::size_t>(s - lo) * kD);
  }
  MPI_Barrier(comm_);
  for (auto& w : win_) MPI_Win_lock_all(MPI_MODE_NOCHECK, w);
}

MpiCatalogState::~MpiCatalogState() {
  for (auto& w : win_) {
    MPI_Win_unlock_all(w);
    MPI_Win_free(&w);
  }
}

void MpiCatalogState::transfer(Which which, const std::vector<int>& sources,
                               std::vector<double>& buffer, bool put) {
  MPI_Win w = win_[static_cast<int>(which)];
  buffer.resize(sources.size() * kD);
  std::size_t i = 0;
  int owner = 0;
  while (i < sources.size()) {
    const int s = sources[i];
    while (block_begin(owner + 1) <= s) ++owner;
    while (block_begin(owner) > s) --owner;
    std::size_t j = i + 1;
    const int owner_end = block_begin(owner + 1);
    while (j < sources.size() && sources[j] == sources[j - 1] + 1 && sources[j] < owner_end) ++j;
    const int count = static_cast<int>((j - i) * kD);
    const MPI_Aint disp = static_cast<MPI_Aint>(s - block_begin(owner)) * kD;
    double* data = buffer.data() + i * kD;
    if (put) {
      MPI_Put(data, count, MPI_DOUBLE, owner, disp, count, MPI_DOUBLE, w);
      ++counters_.puts;
      counters_.bytes_put += static_cast<std::int64_t>(count) * 8;
    } else {
      MPI_Get(data, count, MPI_DOUBLE, owner, disp, count, MPI_DOUBLE, w);
      ++counters_.gets;
      counters_.bytes_got += static_cast<std::int64_t>(count) * 8;
    }
    i = j;
  }
  MPI_Win_flush_all(w);
}

void MpiCatalogState::get_start(const std::vector<int>& sources, std::vector<Params>& params) {
  std::vector<double> buf;
  transfer(Which::start, sources, buf, false);
  survey::SourceResult unused;
  for (std::size_t i = 0; i < sources.size(); ++i)
    unpack_source_state(buf.data() + i * kD, params[sources[i]], unused);
}

void MpiCatalogState::get_current(const std::vector<int>& sources, std::vector<Params>& params,
                                  std::vector<survey::SourceResult>& records) {
  std::vector<double> buf;
  transfer(Which::current, sources, buf, false);
  for (std::size_t i = 0; i < sources.size(); ++i)
    unpack_source_state(buf.data() + i * kD, params[sources[i]], records[sources[i]]);
}

void MpiCatalogState::put_current(const std::vector<int>& sources,
                                  const std::vector<Params>& params,
                                  const std::vector<survey::SourceResult>& records) {
  std::vector<double> buf(sources.size() * kD);
  for (std::size_t i = 0; i < sources.size(); ++i)
    pack_source_state(params[sources[i]], records[sources[i]], buf.data() + i * kD);
  transfer(Which::current, sources, buf, true);
}

void MpiCatalogState::begin_stage() {
  // Every rank's puts were flushed when made; the barrier orders them before the copy, and
  // MPI_Win_sync makes the window memory and this rank's loads and stores agree.
  for (auto& w : win_) MPI_Win_sync(w);
  MPI_Barrier(comm_);
  for (auto& w : win_) MPI_Win_sync(w);
  const std::size_t n = static_cast<std::size_t>(block_begin(rank_ + 1) - block_begin(rank_)) * kD;
  std::copy(local_[1], local_[1] + n, local_[0]);
  for (auto& w : win_) MPI_Win_sync(w);
  MPI_Barrier(comm_);
}

void MpiCatalogState::load_local(const std::vector<Params>& start,
                                 const std::vector<Params>& current,
                                 const std::vector<survey::SourceResult>& records) {
  const int lo = block_begin(rank_), hi = block_begin(rank_ + 1);
  for (auto& w : win_) MPI_Win_sync(w);
  for (int s = lo; s < hi; ++s) {
    const std::size_t at = static_cast<std::size_t>(s - lo) * kD;
    pack_source_state(start[s], records[s], local_[0] + at);
    pack_source_state(current[s], records[s], local_[1] + at);
  }
  for (auto& w : win_) MPI_Win_sync(w);
  MPI_Barrier(comm_);
}

void MpiCatalogState::get_all(std::vector<Params>& start, std::vector<Params>& current,
                              std::vector<survey::SourceResult>& current_records,
                              std::vector<survey::SourceResult>& start_records) {
  std::vector<int> all(sources_);
  for (int s = 0; s < sources_; ++s) all[s] = s;
  start.resize(sources_);
  current.resize(sources_);
  current_records.resize(sources_);
  start_records.resize(sources_);
  std::vector<double> buf;
  transfer(Which::start, all, buf, false);
  for (int s = 0; s < sources_; ++s)
    unpack_source_state(buf.data() + static_cast<std::size_t>(s) * kD, start[s], start_records[s]);
  transfer(Which::current, all, buf, false);
  for (int s = 0; s < sources_; ++s)
    unpack_source_state(buf.data() + static_cast<std::size_t>(s) * kD, current[s],
                        current_records[s]);
}

}  // namespace celeste::inference
#endif
