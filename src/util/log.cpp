#include "util/log.hpp"

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

namespace celeste::log {
namespace {

std::mutex g_mutex;
Level g_level = Level::normal;
int g_rank = 0, g_ranks = 1;
std::FILE* g_file = nullptr;

enum class Kind { error, warning, info, detail };

void write(Kind kind, const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const bool verbose = g_level == Level::verbose;
  if (kind == Kind::detail && !verbose) return;
  // Rank 0 speaks for a distributed run; warnings and errors come from whichever rank has them.
  if ((kind == Kind::info || kind == Kind::detail) && g_rank != 0 && !verbose) return;
  const std::string prefix = g_ranks > 1 && verbose ? "rank " + std::to_string(g_rank) + ": " : "";
  const bool to_stderr = kind == Kind::error || (kind == Kind::warning && g_level != Level::quiet) ||
                         (kind == Kind::info && g_level != Level::quiet) || kind == Kind::detail;
  if (to_stderr) std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
  if (g_file) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    std::fprintf(g_file, "%s %s%s\n", stamp, prefix.c_str(), line.c_str());
    std::fflush(g_file);
  }
}

}  // namespace

void set_level(Level level) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_level = level;
}

Level level() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_level;
}

void set_rank(int rank, int ranks) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_rank = rank;
  g_ranks = ranks;
}

std::string open_file(const std::string& path, bool append) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_file) std::fclose(g_file);
  g_file = std::fopen(path.c_str(), append ? "a" : "w");
  return g_file ? "" : std::strerror(errno);
}

void close_file() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_file) std::fclose(g_file);
  g_file = nullptr;
}

bool file_open() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_file != nullptr;
}

void error(const std::string& line) { write(Kind::error, line); }
void warning(const std::string& line) { write(Kind::warning, line); }
void info(const std::string& line) { write(Kind::info, line); }
void detail(const std::string& line) { write(Kind::detail, line); }

std::string format(const char* fmt, ...) {
  std::va_list args;
  va_start(args, fmt);
  std::va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, args);
  va_end(args);
  return out;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return format("%ld min %02ld s", s / 60, s % 60);
  return format("%ld h %02ld min", s / 3600, (s % 3600) / 60);
}

std::string progress_text(long done, long total, long done_before, double fitting_s,
                          double elapsed_s) {
  const long this_session = done - done_before;
  const double eta = this_session > 0 ? fitting_s * static_cast<double>(total - done) /
                                            static_cast<double>(this_session)
                                      : -1.0;
  const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(total > 0 ? total : 1);
  return format("%ld/%ld fits (%.0f %%), %s elapsed, ETA %s", done, total, percent,
                duration_text(elapsed_s).c_str(), duration_text(eta).c_str());
}

}  // namespace celeste::log
