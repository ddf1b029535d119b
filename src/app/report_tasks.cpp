#include "app/report_tasks.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

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
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path + ": not a JSON run report: " + e.what(), {path, 0, 0, "", ""});
  }
  const auto tasks = report.find("tasks");
  if (!report.is_object() || tasks == report.end() || !tasks->is_array())
    throw InputError(path + ": no \"tasks\" array (per-task durations: a report of a run with "
                            "the distributed pipeline, docs/scheduling.md)",
                     {path, 0, 0, "tasks", ""});

  std::vector<std::vector<scheduling::SimTask>> stages;
  std::set<std::pair<int, int>> seen;
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    const nlohmann::json& entry = (*tasks)[i];
    const std::string where = "tasks[" + std::to_string(i) + "]";
    const auto bad = [&](const std::string& key, const std::string& why) -> InputError {
      const auto v = entry.is_object() ? entry.find(key) : entry.end();
      const std::string value = entry.is_object() && v != entry.end() ? v->dump() : "";
      return InputError(path + ": " + where + (key.empty() ? "" : "." + key) + ": " + why +
                            (value.empty() ? "" : " (got " + value + ")"),
                        {path, 0, 0, where + (key.empty() ? "" : "." + key), value});
    };
    if (!entry.is_object()) throw bad("", "expected an object {\"stage\", \"id\", \"seconds\"}");
    const auto integer = [&](const char* key, long long lo, long long hi) {
      const auto v = entry.find(key);
      if (v == entry.end()) throw bad(key, "missing");
      if (!v->is_number_integer()) throw bad(key, "expected an integer");
      const long long x = v->get<long long>();
      if (x < lo || x > hi)
        throw bad(key, "expected " + std::to_string(lo) + ".." + std::to_string(hi));
      return static_cast<int>(x);
    };
    const auto number = [&](const char* key) {
      const auto v = entry.find(key);
      if (!v->is_number()) throw bad(key, "expected a number");
      const double x = v->get<double>();
      if (!std::isfinite(x) || x < 0) throw bad(key, "expected a finite number >= 0");
      return x;
    };
    const int stage = integer("stage", 1, kMaxStages);
    const int id = integer("id", kIntMin, kIntMax);
    if (entry.find("seconds") == entry.end()) throw bad("seconds", "missing");
    const double seconds = number("seconds");
    const double cost = entry.find("cost") == entry.end() ? seconds : number("cost");
    if (!seen.insert({stage, id}).second) throw bad("id", "a second entry for this stage and id");
    if (static_cast<int>(stages.size()) < stage) stages.resize(static_cast<std::size_t>(stage));
    stages[static_cast<std::size_t>(stage - 1)].push_back({id, cost, seconds});
  }
  return stages;
}

}  // namespace celeste::app
