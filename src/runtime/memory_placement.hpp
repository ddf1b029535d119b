#pragma once
// Where the fit's hot, bandwidth-bound arrays live (execution.memory: auto | hbw | ddr): the
// per-task pixel data (visited pixels with their masks applied, patches, PSFs, star stamps)
// and the ELBO scratch. `hbw` takes them from memkind's MEMKIND_HBW_PREFERRED kind (pages on
// the nearest high-bandwidth NUMA node, the rest in DDR when it is full); `ddr` leaves them in
// Kokkos' HostSpace as before. Everything else always stays in HostSpace. docs/run.md
// "Running on KNL / HBM nodes"; why memkind and not Kokkos' HBWSpace: docs/decisions.md.
#include <cstddef>
#include <string>

namespace celeste::runtime {

enum class MemoryKind { ddr, hbw };
const char* memory_kind_name(MemoryKind kind);  // "ddr", "hbw"

// memkind sees at least one high-bandwidth node (MCDRAM, HBM, or one named by
// MEMKIND_HBW_NODES).
bool hbw_available();

struct MemoryChoice {
  std::string requested;  // "auto" | "hbw" | "ddr"
  MemoryKind kind = MemoryKind::ddr;
  std::string reason;     // why this kind (for the report)
};

// Resolves execution.memory. `hbw` without a high-bandwidth node falls back to DDR with one
// message on stderr; `auto` takes HBW when there is some, DDR silently otherwise.
MemoryChoice choose_memory(const std::string& requested);

// Bytes of the hot arrays per memory kind, over the process: the most resident at once, the
// sum placed, and (hbw) the bytes memkind had to put in DDR because HBW was full.
struct PlacementTotals {
  std::size_t peak_bytes = 0;
  std::size_t placed_bytes = 0;
  std::size_t current_bytes = 0;
  long allocations = 0;
};
struct PlacementStats {
  PlacementTotals ddr, hbw;
  std::size_t hbw_spilled_bytes = 0;  // placed with the HBW kind, found outside HBW
  std::size_t largest_batch_bytes = 0;  // one placement's hot arrays (a task's or a batch's), both kinds
};
PlacementStats placement_stats();
void reset_placement_stats();
// Accounting for arrays placed by Kokkos (ddr) or by HotArena (hbw).
void note_placed(MemoryKind kind, std::size_t bytes);
void note_released(MemoryKind kind, std::size_t bytes);
void note_batch(std::size_t bytes);

// One memkind MEMKIND_HBW_PREFERRED block holding a batch's hot arrays, carved in 64-byte
// aligned pieces; freed on destruction. Allocation failure (no HBW at all) is std::bad_alloc.
class HotArena {
 public:
  explicit HotArena(std::size_t bytes);
  ~HotArena();
  HotArena(const HotArena&) = delete;
  HotArena& operator=(const HotArena&) = delete;

  static constexpr std::size_t kAlign = 64;
  static std::size_t padded(std::size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
  // The next `bytes` (padded to kAlign) of the block; std::logic_error when it is used up.
  void* take(std::size_t bytes);
  // After the data is written (pages touched): memkind's check that every page of the block is
  // on a high-bandwidth node. On the first block that is not, one message on stderr ("HBW
  // full") and the bytes are counted as spilled.
  bool verify_in_hbw();

  void* data() const { return base_; }
  std::size_t size() const { return size_; }

 private:
  void* base_ = nullptr;
  std::size_t size_ = 0, used_ = 0;
};

// memkind's own query: `ptr` came from memkind's MEMKIND_HBW_PREFERRED kind (for tests).
bool allocated_with_hbw_kind(void* ptr);

}  // namespace celeste::runtime
