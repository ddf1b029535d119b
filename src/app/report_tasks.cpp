#include "app/report_tasks.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "util/checked_int.hpp"
#include "util/error.hpp"

namespace celeste::app {

namespace {

// Stages beyond this are a corrupt report, not a run (the pipeline has two).
constexpr int kMaxStages = 64;

}  // namespace

std::vector<std::vector<scheduling::SimTask>> read_report_tasks(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the run report", {path, 0, 0, "", ""});
  // JSON is YAML (1.2): the report is read with the project's YAML parser.
  YAML::Node report;
  try {
    report = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    throw InputError(path + ": not a JSON run report: " + e.what(), {path, 0, 0, "", ""});
  }
  const YAML::Node tasks = report.IsMap() ? report["tasks"] : YAML::Node();
  if (!tasks || !tasks.IsSequence())
    throw InputError(path + ": no \"tasks\" array (per-task durations: a report of a run with "
                            "the distributed pipeline, docs/scheduling.md)",
                     {path, 0, 0, "tasks", ""});

  std::vector<std::vector<scheduling::SimTask>> stages;
  std::set<std::pair<int, int>> seen;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const YAML::Node entry = tasks[i];
    const std::string where = "tasks[" + std::to_string(i) + "]";
    const auto bad = [&](const std::string& key, const std::string& why) -> InputError {
      std::string value;
      if (entry.IsMap() && !key.empty() && entry[key]) {
        const YAML::Node v = entry[key];
        value = v.IsScalar() ? v.Scalar() : "(not a number)";
      }
      return InputError(path + ": " + where + (key.empty() ? "" : "." + key) + ": " + why +
                            (value.empty() ? "" : " (got " + value + ")"),
                        {path, 0, 0, where + (key.empty() ? "" : "." + key), value});
    };
    if (!entry.IsMap()) throw bad("", "expected an object {\"stage\", \"id\", \"seconds\"}");
    const auto integer = [&](const char* key, long long lo, long long hi) {
      const YAML::Node v = entry[key];
      if (!v) throw bad(key, "missing");
      long long x = 0;
      const std::string text = v.IsScalar() ? v.Scalar() : "";
      if (text.empty() || text.find_first_not_of("-0123456789") != std::string::npos ||
          !YAML::convert<long long>::decode(v, x))
        throw bad(key, "expected an integer");
      if (x < lo || x > hi)
        throw bad(key, "expected " + std::to_string(lo) + ".." + std::to_string(hi));
      return static_cast<int>(x);
    };
    const auto number = [&](const char* key) {
      const YAML::Node v = entry[key];
      double x = 0;
      // Tag "!" is a quoted scalar: "1.5" in JSON is a string, not a number.
      if (!v.IsScalar() || v.Tag() == "!" || !YAML::convert<double>::decode(v, x))
        throw bad(key, "expected a number");
      if (!std::isfinite(x) || x < 0) throw bad(key, "expected a finite number >= 0");
      return x;
    };
    const int stage = integer("stage", 1, kMaxStages);
    const int id = integer("id", kIntMin, kIntMax);
    if (!entry["seconds"]) throw bad("seconds", "missing");
    const double seconds = number("seconds");
    const double cost = entry["cost"] ? number("cost") : seconds;
    if (!seen.insert({stage, id}).second) throw bad("id", "a second entry for this stage and id");
    if (static_cast<int>(stages.size()) < stage) stages.resize(static_cast<std::size_t>(stage));
    stages[static_cast<std::size_t>(stage - 1)].push_back({id, cost, seconds});
  }
  return stages;
}

}  // namespace celeste::app
