#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/error.hpp"

namespace celeste::io {
namespace fs = std::filesystem;
namespace {

std::atomic<int> g_counter{0};

void fsync_path(const std::string& path, int flags, const std::string& what) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw InputError(path + ": cannot open to " + what + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw InputError(path + ": cannot " + what + ": " + std::strerror(err));
}

}  // namespace

AtomicOutput::AtomicOutput(std::string final_path) : final_path_(std::move(final_path)) {
  if (final_path_.empty()) throw InputError("(empty file name): no output path given");
  const fs::path target(final_path_);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(final_path_ + ": cannot write: folder " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError(final_path_ + ": cannot write: folder " + dir.string() +
                     " is not writable: " + std::strerror(errno));
  if (fs::is_directory(target, ec))
    throw InputError(final_path_ + ": cannot write: it is a folder");
  temp_path_ = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                       "-" + std::to_string(g_counter++)))
                   .string();
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicOutput::commit() {
  fsync_path(temp_path_, O_RDONLY, "flush to disk");
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    throw InputError(final_path_ + ": cannot move finished temporary file " + temp_path_ +
                     " into place: " + std::strerror(errno));
  committed_ = true;
  fs::path dir = fs::path(final_path_).parent_path();
  if (dir.empty()) dir = ".";
  // Make the rename itself durable; failure here does not undo a complete file.
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

const std::string& AtomicOutputSet::add(const std::string& final_path) {
  outputs_.push_back(std::make_unique<AtomicOutput>(final_path));
  return outputs_.back()->temp_path();
}

void AtomicOutputSet::commit_all() {
  for (auto& o : outputs_) o->commit();
}

std::vector<std::string> remove_stale_temporaries(const std::string& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    // ".<name>.tmp-<pid>-<n>"
    const auto tmp = name.rfind(".tmp-");
    if (name.size() < 2 || name[0] != '.' || tmp == std::string::npos || tmp == 0) continue;
    const auto dash = name.find('-', tmp + 5);
    if (dash == std::string::npos) continue;
    const std::string pid_text = name.substr(tmp + 5, dash - tmp - 5);
    const std::string n_text = name.substr(dash + 1);
    auto all_digits = [](const std::string& t) {
      return !t.empty() && t.size() < 12 &&
             t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!all_digits(pid_text) || !all_digits(n_text)) continue;
    const long pid = std::stol(pid_text);
    // Alive (or not ours to signal): leave it. ESRCH: the process is gone.
    if (pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (fs::remove(entry.path(), rm)) removed.push_back(entry.path().string());
  }
  return removed;
}

void write_file(const std::string& path, const std::string& bytes, const std::string& report_as) {
  const std::string& name = report_as.empty() ? path : report_as;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw InputError(name + ": cannot write " + path + ": " + std::strerror(errno));
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !ok)
    throw InputError(name + ": writing failed (disk full?): " + std::strerror(ok ? errno : err));
}

}  // namespace celeste::io
