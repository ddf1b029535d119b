#include "io/image_cache.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "io/input_warning.hpp"

namespace celeste::io {

ImageCache::ImageCache(const std::vector<ImageFootprint>& index, std::size_t budget_bytes)
    : index_(index),
      budget_(budget_bytes),
      loaded_(index.size(), 0),
      fresh_(index.size(), 0),
      queued_(index.size(), 0),
      bytes_(index.size(), 0),
      last_use_(index.size(), 0) {
  slots_.reserve(index.size());
  for (const auto& fp : index) slots_.push_back(fp.header);
  loader_ = std::thread([this] { loader_loop(); });
}

ImageCache::~ImageCache() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_loader_.notify_all();
  loader_.join();
}

bool ImageCache::pinned(int id) const {
  return std::find(current_.begin(), current_.end(), id) != current_.end() ||
         std::find(next_.begin(), next_.end(), id) != next_.end();
}

void ImageCache::enqueue(int id, bool front) {
  if (loaded_[id] || id == loading_) return;
  if (queued_[id]) {
    if (!front) return;
    queue_.erase(std::find(queue_.begin(), queue_.end(), id));
  }
  queued_[id] = 1;
  if (front)
    queue_.push_front(id);
  else
    queue_.push_back(id);
}

std::vector<int> ImageCache::make_room(std::size_t bytes) {
  std::vector<int> victims;
  while (in_memory_ + bytes > budget_) {
    int victim = -1;
    for (std::size_t n = 0; n < slots_.size(); ++n)
      if (loaded_[n] && !pinned(static_cast<int>(n)) &&
          (victim < 0 || last_use_[n] < last_use_[victim]))
        victim = static_cast<int>(n);
    if (victim < 0) {
      // The current and next tasks' images alone exceed the budget: they are needed, so they
      // are loaded anyway.
      if (!warned_over_budget_) {
        char mb[64];
        std::snprintf(mb, sizeof mb, "%.1f MB", static_cast<double>(budget_) / 1e6);
        warn_input(index_[loading_].header.source +
                   ": the images one task needs exceed execution.image_cache_mb (" + mb +
                   "); they are loaded anyway, the cache holds more than its bound");
        warned_over_budget_ = true;
      }
      break;
    }
    loaded_[victim] = 0;
    in_memory_ -= bytes_[victim];
    bytes_[victim] = 0;
    ++stats_.evictions;
    victims.push_back(victim);
  }
  return victims;
}

void ImageCache::loader_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_loader_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    const int id = queue_.front();
    queue_.pop_front();
    queued_[id] = 0;
    if (loaded_[id]) continue;
    loading_ = id;
    lock.unlock();
    survey::Image image;
    std::exception_ptr error;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      image = load_indexed_image(index_[id]);
    } catch (...) {
      error = std::current_exception();
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    lock.lock();
    stats_.load_s += took;
    if (error) {
      if (!error_) error_ = error;
    } else {
      const std::size_t bytes = image_bytes(image);
      const std::vector<int> victims = make_room(bytes);
      // The slots are written without the lock (the main thread reads a slot only while it is
      // loaded_ and pinned, and only this thread writes slots), so that a loader thread
      // descheduled here never holds up an acquire.
      lock.unlock();
      for (int v : victims) slots_[v] = index_[v].header;
      slots_[id] = std::move(image);
      lock.lock();
      loaded_[id] = 1;
      fresh_[id] = 1;
      bytes_[id] = bytes;
      in_memory_ += bytes;
      last_use_[id] = ++clock_;
      ++stats_.loads;
      stats_.bytes_loaded += static_cast<std::int64_t>(bytes);
    }
    loading_ = -1;
    loaded_cv_.notify_all();
  }
}

double ImageCache::acquire(const std::vector<int>& ids) {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  current_ = ids;
  next_.clear();
  bool missing = false;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (loaded_[*it] && !fresh_[*it]) ++stats_.hits;
    missing |= !loaded_[*it];
    enqueue(*it, true);
  }
  if (missing) wake_loader_.notify_all();
  loaded_cv_.wait(lock, [&] {
    if (error_) return true;
    for (int id : ids)
      if (!loaded_[id]) return false;
    return true;
  });
  if (error_) std::rethrow_exception(error_);
  for (int id : ids) {
    fresh_[id] = 0;
    last_use_[id] = ++clock_;
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats_.wait_s += waited;
  return waited;
}

void ImageCache::prefetch(const std::vector<int>& ids) {
  const std::lock_guard<std::mutex> lock(mutex_);
  next_ = ids;
  bool missing = false;
  for (int id : ids) {
    if (loaded_[id]) last_use_[id] = ++clock_;
    missing |= !loaded_[id];
    enqueue(id, false);
  }
  if (missing) wake_loader_.notify_all();
}

ImageCacheStats ImageCache::stats() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::size_t ImageCache::bytes_in_memory() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return in_memory_;
}

}  // namespace celeste::io
