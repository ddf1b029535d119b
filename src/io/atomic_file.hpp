#pragma once
// Atomic file output: write to a temporary file in the destination's folder, fsync it, then
// rename it over the destination. A crash or an error before commit() leaves the destination
// untouched (absent, or its previous complete version) and removes the temporary file.
#include <memory>
#include <string>
#include <vector>

namespace celeste::io {

class AtomicOutput {
 public:
  // Checks that the destination folder exists and is writable (InputError otherwise).
  explicit AtomicOutput(std::string final_path);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();  // removes the temporary file unless committed

  // Where to write: "<dir>/.<name>.tmp-<pid>-<n>" (hidden; same file system as the target).
  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }

  // fsync(temp), rename(temp, final), fsync(dir). Throws InputError naming the file.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Several outputs committed as a unit: every file is written to its temporary first, and only
// when all are complete are they renamed into place, in the order they were added (the run
// puts its report last, so a present report means the whole set was committed). A failure
// before commit_all() leaves every destination untouched.
class AtomicOutputSet {
 public:
  // Adds a destination; returns its temporary path (write the file there).
  const std::string& add(const std::string& final_path);
  void commit_all();

 private:
  std::vector<std::unique_ptr<AtomicOutput>> outputs_;
};

// Removes the temporaries that killed runs left in `dir` (".<name>.tmp-<pid>-<n>" whose process
// is gone). Returns the paths removed.
std::vector<std::string> remove_stale_temporaries(const std::string& dir);

// `bytes` written to exactly `path` (binary; make it atomic with an AtomicOutput or
// AtomicOutputSet temporary). InputError naming `report_as` (default: path) on failure.
void write_file(const std::string& path, const std::string& bytes,
                const std::string& report_as = "");

}  // namespace celeste::io
