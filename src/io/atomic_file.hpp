#pragma once
// Atomic file output: write to a temporary file in the destination's folder, fsync it, then
// rename it over the destination. A crash or an error before commit() leaves the destination
// untouched (absent, or its previous complete version) and removes the temporary file.
#include <string>

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

// `text` written to `path` through an AtomicOutput (InputError naming the file on failure).
void write_text_file_atomically(const std::string& path, const std::string& text);

}  // namespace celeste::io
