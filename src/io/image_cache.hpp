#pragma once
// The images of a run in memory, at most a byte budget of them (execution.image_cache_mb):
// a slot per indexed image, holding its header until a task needs its pixels. One background
// thread reads them (CFITSIO calls happen on it alone while tasks run), so the next task's
// images load while the current one is fitted (docs/scheduling.md "Task-local images").
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "io/image_index.hpp"
#include "survey/image.hpp"

namespace celeste::io {

struct ImageCacheStats {
  long loads = 0;        // images read from their files
  long hits = 0;         // images a task acquired that were still in memory from earlier work
  long evictions = 0;    // images dropped to stay within the budget
  std::int64_t bytes_loaded = 0;
  double wait_s = 0;     // time acquire() waited for images
  double load_s = 0;     // time the loader spent reading them
};

class ImageCache {
 public:
  // budget_bytes > 0. The index must outlive the cache.
  ImageCache(const std::vector<ImageFootprint>& index, std::size_t budget_bytes);
  ~ImageCache();
  ImageCache(const ImageCache&) = delete;
  ImageCache& operator=(const ImageCache&) = delete;

  // Slot n: image n of the index, with its pixels while loaded, else only its header. Read a
  // slot's pixels only between acquire() of a set holding it and the next acquire().
  const std::vector<survey::Image>& images() const { return slots_; }

  // Blocks until every image of `ids` is loaded and keeps them (the current set) until the
  // next acquire; the images of a prefetch() that ids does not name are released. Returns the
  // seconds it waited. Rethrows the error of a failed load (an InputError naming the file).
  double acquire(const std::vector<int>& ids);
  // Starts loading `ids` (the next task's images) in the background; they are kept too.
  void prefetch(const std::vector<int>& ids);

  ImageCacheStats stats() const;
  std::size_t budget_bytes() const { return budget_; }
  std::size_t bytes_in_memory() const;

 private:
  void loader_loop();
  bool pinned(int id) const;
  std::vector<int> make_room(std::size_t bytes);  // mutex held; the slots to clear
  void enqueue(int id, bool front);   // mutex held

  const std::vector<ImageFootprint>& index_;
  std::size_t budget_;
  std::vector<survey::Image> slots_;
  std::vector<char> loaded_, fresh_, queued_;
  std::vector<std::size_t> bytes_;
  std::vector<std::uint64_t> last_use_;
  std::uint64_t clock_ = 0;
  std::size_t in_memory_ = 0;
  std::vector<int> current_, next_;
  std::deque<int> queue_;
  int loading_ = -1;
  bool stop_ = false, warned_over_budget_ = false;
  std::exception_ptr error_;
  ImageCacheStats stats_;
  mutable std::mutex mutex_;
  std::condition_variable wake_loader_, loaded_cv_;
  std::thread loader_;
};

}  // namespace celeste::io
