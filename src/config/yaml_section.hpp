#pragma once
// Strict, schema-driven reading of one YAML mapping.
//
// Every accessor either returns a validated value or throws ConfigError with the message
//   "<file>:<line>:<col>: key '<dotted.path>': expected <what>, got <what was there>"
// and finish() rejects any key the schema did not ask for (typos never become silent defaults).
#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/checked_int.hpp"
#include "util/error.hpp"

namespace celeste::config {

class YamlSection {
 public:
  // `node` must be a mapping (checked); `path` is the dotted key path ("" for the document).
  YamlSection(YAML::Node node, std::string file, std::string path);

  // Scalars. `expected` describes the accepted values in words ("a positive integer").
  std::string required_string(const std::string& key, const std::string& expected = "a string");
  std::string optional_string(const std::string& key, const std::string& fallback,
                              const std::string& expected = "a string");
  double required_double(const std::string& key, const std::string& expected = "a number");
  double optional_double(const std::string& key, double fallback,
                         const std::string& expected = "a number");
  // Integers: range-checked in [lo, hi] before they are narrowed to T (util/checked_int.hpp),
  // so a value outside the range (4294967297 for an int) is an error naming the range.
  template <class T>
  T required_int(const std::string& key, long long lo, long long hi,
                 const std::string& expected);
  template <class T>
  T optional_int(const std::string& key, T fallback, long long lo, long long hi,
                 const std::string& expected);
  bool optional_bool(const std::string& key, bool fallback);

  // One of a fixed set of words.
  std::string optional_choice(const std::string& key, const std::vector<std::string>& choices,
                              const std::string& fallback);
  std::string required_choice(const std::string& key, const std::vector<std::string>& choices);

  // Sequences of scalars; `length` = 0 accepts any non-empty length.
  std::vector<double> optional_doubles(const std::string& key, std::vector<double> fallback,
                                       std::size_t length, const std::string& expected);
  std::vector<double> required_doubles(const std::string& key, std::size_t length,
                                       const std::string& expected);
  std::vector<std::string> optional_strings(const std::string& key,
                                            std::vector<std::string> fallback,
                                            const std::string& expected);
  std::vector<std::string> required_strings(const std::string& key, const std::string& expected);

  // Nested mappings and sequences of mappings.
  bool has(const std::string& key) const;
  YamlSection required_section(const std::string& key);
  std::optional<YamlSection> optional_section(const std::string& key);
  std::vector<YamlSection> required_section_list(const std::string& key);

  // Range checks on a value already read: throw naming `key` when `ok` is false.
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;
  void check(bool ok, const std::string& key, const std::string& expected) const {
    if (!ok) fail(key, expected);
  }

  // Reject keys nobody asked for. Call after reading every key of this section.
  void finish() const;

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node lookup(const std::string& key);  // marks `key` as used; null node when absent
  YAML::Node lookup_required(const std::string& key, const std::string& expected);
  std::string key_path(const std::string& key) const;
  ErrorSite site(const YAML::Mark& mark, const std::string& key, const std::string& value) const;
  [[noreturn]] void fail_at(const YAML::Node& where, const std::string& key,
                            const std::string& expected, const std::string& got) const;
  template <class T>
  T convert(const YAML::Node& value, const std::string& key, const std::string& expected) const;

  long long integer_in_range(const YAML::Node& value, const std::string& key, long long lo,
                             long long hi, const std::string& expected) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> used_;
};

// Describe a YAML node for an error message: "'abc' (a string)", "a list", "null", ...
std::string describe_node(const YAML::Node& node);

template <class T>
T YamlSection::required_int(const std::string& key, long long lo, long long hi,
                            const std::string& expected) {
  const YAML::Node n = lookup_required(key, expected);
  const std::optional<T> v = checked_integer<T>(integer_in_range(n, key, lo, hi, expected), lo, hi);
  if (!v) fail_at(n, key, expected + " (" + integer_range_text(lo, hi) + ")", describe_node(n));
  return *v;
}

template <class T>
T YamlSection::optional_int(const std::string& key, T fallback, long long lo, long long hi,
                            const std::string& expected) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  return required_int<T>(key, lo, hi, expected);
}

// Parse `file` and return its top-level mapping. Missing/unreadable file or YAML syntax errors
// become ConfigError naming the file (and line, where the parser knows it).
YamlSection load_yaml_file(const std::string& file);

}  // namespace celeste::config
