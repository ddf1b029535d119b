#include "config/yaml_section.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace celeste::config {
namespace {

constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;  // 1 MiB

std::string location(const std::string& file, const YAML::Mark& mark) {
  std::ostringstream out;
  out << file;
  if (!mark.is_null()) out << ':' << mark.line + 1 << ':' << mark.column + 1;
  return out.str();
}


}  // namespace

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing (key absent)";
  switch (node.Type()) {
    case YAML::NodeType::Null: return "an empty value";
    case YAML::NodeType::Sequence: {
      // Short lists of scalars also show their items: "a list of 2 items [100000, 100000]".
      std::string items;
      bool scalars = node.size() <= 8;
      for (const auto& item : node) {
        if (!scalars) break;
        if (!item.IsScalar() || item.Scalar().size() > 24) scalars = false;
        else items += (items.empty() ? "" : ", ") + item.Scalar();
      }
      return "a list of " + std::to_string(node.size()) + " items" +
             (scalars && node.size() > 0 ? " [" + items + "]" : "");
    }
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: {
      // Messages quote at most 80 characters of a (possibly hostile) value.
      const std::string& v = node.Scalar();
      return "'" + (v.size() > 80 ? v.substr(0, 77) + "..." : v) + "'";
    }
    default: return "an undefined value";
  }
}

YamlSection::YamlSection(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap()) {
    std::ostringstream msg;
    msg << location(file_, node_.Mark()) << ": "
        << (path_.empty() ? std::string("document") : "key '" + path_ + "'")
        << ": expected a mapping of keys, got " << describe_node(node_);
    ErrorSite where{file_, 0, node_.Mark().is_null() ? 0 : node_.Mark().line + 1, path_, ""};
    throw ConfigError(msg.str(), where);
  }
  // yaml-cpp keeps the first of duplicated keys silently; a duplicate is always a mistake.
  // Keys must be plain scalars: a list or mapping as a key ("? [a, b]: 1") names nothing.
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      std::ostringstream msg;
      msg << location(file_, kv.first.Mark()) << ": "
          << (path_.empty() ? std::string("document") : "key '" + path_ + "'")
          << ": a key must be a plain word, got " << describe_node(kv.first) << " as a key";
      throw ConfigError(msg.str(), site(kv.first.Mark(), "", ""));
    }
    const std::string k = kv.first.Scalar();
    if (!seen.insert(k).second) {
      std::ostringstream msg;
      msg << location(file_, kv.first.Mark()) << ": key '" << key_path(k)
          << "': appears twice in the same mapping; expected each key once";
      throw ConfigError(msg.str(), site(kv.first.Mark(), k, ""));
    }
  }
}

ErrorSite YamlSection::site(const YAML::Mark& mark, const std::string& key,
                            const std::string& value) const {
  ErrorSite where;
  where.file = file_;
  where.line = mark.is_null() ? 0 : mark.line + 1;
  where.item = key_path(key);
  where.value = value;
  return where;
}

std::string YamlSection::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void YamlSection::fail_at(const YAML::Node& where, const std::string& key,
                          const std::string& expected, const std::string& got) const {
  std::ostringstream msg;
  const YAML::Mark mark = where.IsDefined() ? where.Mark() : node_.Mark();
  msg << location(file_, mark) << ": key '" << key_path(key) << "': expected " << expected;
  if (!got.empty()) msg << ", got " << got;
  throw ConfigError(msg.str(), site(mark, key, where.IsDefined() && where.IsScalar()
                                                   ? where.Scalar()
                                                   : std::string()));
}

void YamlSection::fail(const std::string& key, const std::string& expected) const {
  YAML::Node where = node_[key];
  fail_at(where, key, expected, where.IsDefined() ? describe_node(where) : "");
}

bool YamlSection::has(const std::string& key) const {
  const YAML::Node n = node_[key];
  return n.IsDefined();
}

YAML::Node YamlSection::lookup(const std::string& key) {
  used_.insert(key);
  return node_[key];
}

YAML::Node YamlSection::lookup_required(const std::string& key, const std::string& expected) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) {
    std::ostringstream msg;
    msg << location(file_, node_.Mark()) << ": key '" << key_path(key)
        << "': required key is missing; expected " << expected;
    throw ConfigError(msg.str(), site(node_.Mark(), key, ""));
  }
  return n;
}

template <class T>
T YamlSection::convert(const YAML::Node& value, const std::string& key,
                       const std::string& expected) const {
  if (!value.IsScalar()) fail_at(value, key, expected, describe_node(value));
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    fail_at(value, key, expected, describe_node(value));
  }
}

std::string YamlSection::required_string(const std::string& key, const std::string& expected) {
  YAML::Node n = lookup_required(key, expected);
  std::string s = convert<std::string>(n, key, expected);
  if (s.empty()) fail_at(n, key, expected, "an empty string");
  return s;
}

std::string YamlSection::optional_string(const std::string& key, const std::string& fallback,
                                         const std::string& expected) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return fallback;
  return convert<std::string>(n, key, expected);
}

double YamlSection::required_double(const std::string& key, const std::string& expected) {
  YAML::Node n = lookup_required(key, expected);
  const double v = convert<double>(n, key, expected);
  if (!std::isfinite(v)) fail_at(n, key, expected, describe_node(n));
  return v;
}

double YamlSection::optional_double(const std::string& key, double fallback,
                                    const std::string& expected) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  return required_double(key, expected);
}

long long YamlSection::integer_in_range(const YAML::Node& value, const std::string& key,
                                        long long lo, long long hi,
                                        const std::string& expected) const {
  const std::string range = expected + " (" + integer_range_text(lo, hi) + ")";
  if (!value.IsScalar()) fail_at(value, key, range, describe_node(value));
  // Decimal digits only (YAML's 0x/0o forms and yaml-cpp's lenient stream parse are not
  // integers a user means here); the whole text must be one integer within long long.
  const std::optional<long long> v = parse_integer(value.Scalar());
  if (!v) {
    fail_at(value, key, range,
            describe_node(value) +
                (value.Scalar().find_first_not_of("+-0123456789") == std::string::npos &&
                         !value.Scalar().empty()
                     ? " (too large)"
                     : ""));
  }
  if (*v < lo || *v > hi) fail_at(value, key, range, describe_node(value));
  return *v;
}

bool YamlSection::optional_bool(const std::string& key, bool fallback) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return fallback;
  return convert<bool>(n, key, "true or false");
}

std::string YamlSection::required_choice(const std::string& key,
                                         const std::vector<std::string>& choices) {
  std::string expected = "one of";
  for (std::size_t i = 0; i < choices.size(); ++i)
    expected += (i ? ", " : " ") + choices[i];
  YAML::Node n = lookup_required(key, expected);
  const std::string v = convert<std::string>(n, key, expected);
  for (const auto& c : choices)
    if (c == v) return v;
  fail_at(n, key, expected, describe_node(n));
}

std::string YamlSection::optional_choice(const std::string& key,
                                         const std::vector<std::string>& choices,
                                         const std::string& fallback) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  return required_choice(key, choices);
}

std::vector<double> YamlSection::required_doubles(const std::string& key, std::size_t length,
                                                  const std::string& expected) {
  YAML::Node n = lookup_required(key, expected);
  if (!n.IsSequence() || n.size() == 0 || (length != 0 && n.size() != length))
    fail_at(n, key, expected, describe_node(n));
  std::vector<double> out;
  for (const auto& item : n) {
    const double v = convert<double>(item, key, expected);
    if (!std::isfinite(v)) fail_at(item, key, expected, describe_node(item));
    out.push_back(v);
  }
  return out;
}

std::vector<double> YamlSection::optional_doubles(const std::string& key,
                                                  std::vector<double> fallback,
                                                  std::size_t length,
                                                  const std::string& expected) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  return required_doubles(key, length, expected);
}

std::vector<std::string> YamlSection::required_strings(const std::string& key,
                                                       const std::string& expected) {
  YAML::Node n = lookup_required(key, expected);
  if (!n.IsSequence() || n.size() == 0) fail_at(n, key, expected, describe_node(n));
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(convert<std::string>(item, key, expected));
  return out;
}

std::vector<std::string> YamlSection::optional_strings(const std::string& key,
                                                       std::vector<std::string> fallback,
                                                       const std::string& expected) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  return required_strings(key, expected);
}

YamlSection YamlSection::required_section(const std::string& key) {
  YAML::Node n = lookup_required(key, "a mapping of keys");
  if (!n.IsMap()) fail_at(n, key, "a mapping of keys", describe_node(n));
  return YamlSection(n, file_, key_path(key));
}

std::optional<YamlSection> YamlSection::optional_section(const std::string& key) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsMap()) fail_at(n, key, "a mapping of keys", describe_node(n));
  return YamlSection(n, file_, key_path(key));
}

std::vector<YamlSection> YamlSection::required_section_list(const std::string& key) {
  YAML::Node n = lookup_required(key, "a list of mappings");
  if (!n.IsSequence() || n.size() == 0)
    fail_at(n, key, "a non-empty list of mappings", describe_node(n));
  std::vector<YamlSection> out;
  std::size_t i = 0;
  for (const auto& item : n) {
    const std::string item_path = key_path(key) + "[" + std::to_string(i++) + "]";
    if (!item.IsMap()) {
      std::ostringstream msg;
      msg << location(file_, item.Mark()) << ": key '" << item_path
          << "': expected a mapping of keys, got " << describe_node(item);
      ErrorSite where = site(item.Mark(), key, "");
      where.item = item_path;
      throw ConfigError(msg.str(), where);
    }
    out.emplace_back(item, file_, item_path);
  }
  return out;
}

void YamlSection::finish() const {
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (used_.count(k)) continue;
    std::ostringstream msg;
    msg << location(file_, kv.first.Mark()) << ": key '" << key_path(k)
        << "': unknown key; expected one of";
    std::size_t i = 0;
    for (const auto& u : used_) msg << (i++ ? ", " : " ") << u;
    throw ConfigError(msg.str(), site(kv.first.Mark(), k, ""));
  }
}

YamlSection load_yaml_file(const std::string& file) {
  const ErrorSite where{file, 0, 0, "", ""};
  if (file.empty()) throw ConfigError("(empty file name): expected a YAML configuration file");
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (std::filesystem::is_directory(status))
    throw ConfigError(file + ": is a directory; expected a YAML configuration file", where);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw ConfigError(file + ": is not a regular file; expected a YAML configuration file", where);
  std::ifstream in(file);
  if (!in) {
    const std::string why = std::filesystem::exists(status) ? "unreadable" : "no such file";
    throw ConfigError(file + ": cannot open configuration file (" + why + ")", where);
  }
  // A configuration is a few kilobytes; refusing anything huge keeps the parser's memory small.
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > kMaxConfigBytes)
    throw ConfigError(file + ": configuration file is " + std::to_string(size) +
                          " bytes; expected a YAML file of at most " +
                          std::to_string(kMaxConfigBytes) + " bytes",
                      where);
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::ParserException& e) {
    std::ostringstream msg;
    msg << location(file, e.mark) << ": YAML syntax error: " << e.msg;
    ErrorSite at = where;
    at.line = e.mark.is_null() ? 0 : e.mark.line + 1;
    throw ConfigError(msg.str(), at);
  } catch (const YAML::Exception& e) {
    throw ConfigError(location(file, e.mark) + ": cannot parse the YAML: " + e.msg, where);
  } catch (const std::exception& e) {  // stream errors reading the file
    throw ConfigError(file + ": cannot read the configuration file: " + e.what(), where);
  }
  if (in.bad()) throw ConfigError(file + ": cannot read the configuration file (I/O error)", where);
  if (!root.IsDefined() || root.IsNull())
    throw ConfigError(file + ": configuration file is empty; expected a mapping of keys", where);
  return YamlSection(root, file, "");
}

}  // namespace celeste::config
