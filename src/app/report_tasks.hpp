#pragma once
// The per-task durations of a run report (report.json, key "tasks"), for celeste schedule-sim:
//   "tasks": [{"stage": 1, "id": 0, "seconds": 12.5, "cost": 3.1e6}, ...]
// stage (1-based integer), id (integer, distinct within a stage) and seconds (>= 0) are
// required; cost (>= 0, the scheduler's estimate) is optional and defaults to seconds; other
// keys (e.g. the rank that ran it) are ignored. docs/scheduling.md, "Simulator".
#include <string>
#include <vector>

#include "scheduling/schedule_sim.hpp"

namespace celeste::app {

// Index s of the result holds stage s+1's tasks (a stage without tasks is empty). Throws
// InputError naming the file, the entry and the key for a missing file, bad JSON, no "tasks"
// array or a bad entry.
std::vector<std::vector<scheduling::SimTask>> read_report_tasks(const std::string& path);

}  // namespace celeste::app
