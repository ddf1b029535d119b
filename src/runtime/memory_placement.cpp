#include "runtime/memory_placement.hpp"

#include <hbwmalloc.h>
#include <memkind.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <new>
#include <stdexcept>

#include "util/error.hpp"
#include "util/log.hpp"

namespace celeste::runtime {
namespace {

std::mutex g_stats_mutex;
PlacementStats g_stats;

PlacementTotals& totals(MemoryKind kind) { return kind == MemoryKind::hbw ? g_stats.hbw : g_stats.ddr; }

}  // namespace

const char* memory_kind_name(MemoryKind kind) { return kind == MemoryKind::hbw ? "hbw" : "ddr"; }

bool hbw_available() { return memkind_check_available(MEMKIND_HBW_PREFERRED) == MEMKIND_SUCCESS; }

MemoryChoice choose_memory(const std::string& requested) {
  MemoryChoice c;
  c.requested = requested.empty() ? "auto" : requested;
  if (c.requested == "ddr") {
    c.reason = "execution.memory: ddr";
    return c;
  }
  if (c.requested != "auto" && c.requested != "hbw")
    throw ConfigError("execution.memory: expected auto, hbw or ddr, got '" + c.requested + "'");
  if (hbw_available()) {
    c.kind = MemoryKind::hbw;
    c.reason = "memkind finds a high-bandwidth node (MEMKIND_HBW_PREFERRED)";
    return c;
  }
  c.reason = "memkind finds no high-bandwidth node";
  if (c.requested == "hbw")
    log::warning(
        "celeste: warning: execution.memory: hbw, but memkind finds no high-bandwidth "
        "memory node on this machine (MCDRAM/HBM, or one named by MEMKIND_HBW_NODES): "
        "the pixel data and ELBO scratch go to DDR");
  return c;
}

PlacementStats placement_stats() {
  std::lock_guard<std::mutex> lock(g_stats_mutex);
  return g_stats;
}

void reset_placement_stats() {
  std::lock_guard<std::mutex> lock(g_stats_mutex);
  g_stats = PlacementStats{};
}

void note_placed(MemoryKind kind, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(g_stats_mutex);
  PlacementTotals& t = totals(kind);
  t.current_bytes += bytes;
  t.placed_bytes += bytes;
  t.peak_bytes = std::max(t.peak_bytes, t.current_bytes);
  ++t.allocations;
}

void note_released(MemoryKind kind, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(g_stats_mutex);
  PlacementTotals& t = totals(kind);
  t.current_bytes -= std::min(t.current_bytes, bytes);
}

void note_batch(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(g_stats_mutex);
  g_stats.largest_batch_bytes = std::max(g_stats.largest_batch_bytes, bytes);
}

HotArena::HotArena(std::size_t bytes) : size_(padded(std::max<std::size_t>(bytes, 1))) {
  if (memkind_posix_memalign(MEMKIND_HBW_PREFERRED, &base_, kAlign, size_) != MEMKIND_SUCCESS ||
      base_ == nullptr)
    throw std::bad_alloc();
  note_placed(MemoryKind::hbw, size_);
}

HotArena::~HotArena() {
  memkind_free(MEMKIND_HBW_PREFERRED, base_);
  note_released(MemoryKind::hbw, size_);
}

void* HotArena::take(std::size_t bytes) {
  const std::size_t n = padded(bytes);
  if (used_ + n > size_) throw std::logic_error("HotArena: block sized too small (a bug)");
  void* p = static_cast<char*>(base_) + used_;
  used_ += n;
  return p;
}

bool HotArena::verify_in_hbw() {
  // HBW_TOUCH_PAGES: pages never written are faulted in first, so all of them are checked.
  if (hbw_verify_memory_region(base_, size_, HBW_TOUCH_PAGES) == 0) return true;
  std::lock_guard<std::mutex> lock(g_stats_mutex);
  if (g_stats.hbw_spilled_bytes == 0)
    log::warning(
        "celeste: warning: high-bandwidth memory is full: memkind placed part of a "
        "task's pixel data in DDR (smaller tasks: inference.region_target_pixels; "
        "docs/run.md)");
  g_stats.hbw_spilled_bytes += size_;
  return false;
}

bool allocated_with_hbw_kind(void* ptr) { return memkind_detect_kind(ptr) == MEMKIND_HBW_PREFERRED; }

}  // namespace celeste::runtime
