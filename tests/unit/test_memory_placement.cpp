// execution.memory: hbw's placement (runtime/memory_placement.hpp), in-process, with this
// machine's NUMA node 0 declared high-bandwidth through memkind's MEMKIND_HBW_NODES=0 (set by
// ctest): a HotArena's block comes from memkind's MEMKIND_HBW_PREFERRED kind (memkind's own
// query, memkind_detect_kind) with every page on the high-bandwidth node (hbw_verify_memory_
// region), a batch uploaded into an arena lies inside it with the host data, and the byte
// accounting follows allocations and releases.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

#include "model/elbo_problem.hpp"
#include "runtime/memory_placement.hpp"

namespace celeste::runtime {
namespace {

TEST(MemoryPlacement, DeclaredNodeIsHighBandwidth) {
  ASSERT_STREQ(std::getenv("MEMKIND_HBW_NODES"), "0") << "ctest sets MEMKIND_HBW_NODES=0";
  EXPECT_TRUE(hbw_available());
  EXPECT_EQ(choose_memory("auto").kind, MemoryKind::hbw);
  EXPECT_EQ(choose_memory("hbw").kind, MemoryKind::hbw);
  EXPECT_EQ(choose_memory("ddr").kind, MemoryKind::ddr);
}

TEST(MemoryPlacement, ArenaIsMemkindHbwMemoryAndAccounted) {
  reset_placement_stats();
  {
    HotArena arena(3 << 20);
    EXPECT_TRUE(allocated_with_hbw_kind(arena.data())) << "memkind_detect_kind";
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(arena.data()) % HotArena::kAlign, 0u);
    char* a = static_cast<char*>(arena.take(100));
    char* b = static_cast<char*>(arena.take(1));
    EXPECT_EQ(b - a, 128) << "pieces are 64-byte aligned";
    EXPECT_THROW(arena.take(3 << 20), std::logic_error);
    EXPECT_TRUE(arena.verify_in_hbw()) << "every page on the high-bandwidth node";
    const PlacementStats s = placement_stats();
    EXPECT_EQ(s.hbw.current_bytes, arena.size());
    EXPECT_EQ(s.hbw.peak_bytes, arena.size());
    EXPECT_EQ(s.hbw.allocations, 1);
    EXPECT_EQ(s.hbw_spilled_bytes, 0u);
  }
  const PlacementStats s = placement_stats();
  EXPECT_EQ(s.hbw.current_bytes, 0u);
  EXPECT_EQ(s.hbw.placed_bytes, static_cast<std::size_t>(3 << 20));
  EXPECT_EQ(s.ddr.placed_bytes, 0u);
}

TEST(MemoryPlacement, BatchUploadedIntoTheArenaLiesInIt) {
  model::ElboBatchHost host;
  host.task_patch_begin = {0, 1};
  host.patches.resize(1);
  host.psf.resize(2);
  host.pixels.resize(1000);
  for (std::size_t i = 0; i < host.pixels.size(); ++i) host.pixels[i].x = static_cast<double>(i);
  host.stamps = {1.0, 2.0, 3.0};
  HotArena arena(model::elbo_batch_bytes(host));
  const auto in = model::upload_elbo_batch<Kokkos::HostSpace>(host, &arena);
  const char* lo = static_cast<const char*>(arena.data());
  const char* hi = lo + arena.size();
  for (const void* p : {static_cast<const void*>(in.task_patch_begin.data()),
                        static_cast<const void*>(in.patches.data()),
                        static_cast<const void*>(in.psf.data()),
                        static_cast<const void*>(in.pixels.data()),
                        static_cast<const void*>(in.stamps.data())}) {
    EXPECT_GE(static_cast<const char*>(p), lo);
    EXPECT_LT(static_cast<const char*>(p), hi);
  }
  ASSERT_EQ(in.pixels.extent(0), host.pixels.size());
  EXPECT_EQ(in.pixels(999).x, 999.0);
  EXPECT_EQ(in.stamps(2), 3.0);
  EXPECT_THROW(arena.take(1), std::logic_error) << "elbo_batch_bytes is exactly what it takes";
}

}  // namespace
}  // namespace celeste::runtime
