#include "config/yaml_section.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace celeste::config {
namespace {

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
    case YAML::NodeType::Sequence: return "a list of " + std::to_string(node.size()) + " items";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
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
    throw ConfigError(msg.str());
  }
  // yaml-cpp keeps the first of duplicated keys silently; a duplicate is always a mistake.
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (!seen.insert(k).second) {
      std::ostringstream msg;
      msg << location(file_, kv.first.Mark()) << ": key '" << key_path(k)
          << "': appears twice in the same mapping; expected each key once";
      throw ConfigError(msg.str());
    }
  }
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
  throw ConfigError(msg.str());
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
    throw ConfigError(msg.str());
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

long long YamlSection::required_int(const std::string& key, const std::string& expected) {
  YAML::Node n = lookup_required(key, expected);
  return convert<long long>(n, key, expected);
}

long long YamlSection::optional_int(const std::string& key, long long fallback,
                                    const std::string& expected) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  return required_int(key, expected);
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
      throw ConfigError(msg.str());
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
    throw ConfigError(msg.str());
  }
}

YamlSection load_yaml_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError(file + ": cannot open configuration file (missing or unreadable)");
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::ParserException& e) {
    std::ostringstream msg;
    msg << location(file, e.mark) << ": YAML syntax error: " << e.msg;
    throw ConfigError(msg.str());
  }
  if (!root.IsDefined() || root.IsNull())
    throw ConfigError(file + ": configuration file is empty; expected a mapping of keys");
  return YamlSection(root, file, "");
}

}  // namespace celeste::config
