#pragma once
// File identity for the checks that an output is not an input and that two outputs differ.

#include <filesystem>
#include <string>
#include <system_error>

namespace celeste {

// Absolute, normalized, symlinks of the existing part resolved: two spellings of one file
// ("./c.fits", "c.fits", a symbolic link to it) give the same string, existing or not.
inline std::string canonical_path(const std::string& p) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal().string() : c.string();
}

// Whether two paths name one file: one inode when both exist (hard links too), else the same
// canonical path.
inline bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    const bool eq = fs::equivalent(a, b, ec);
    if (!ec) return eq;
  }
  return canonical_path(a) == canonical_path(b);
}

}  // namespace celeste
