#pragma once
// Synthetic task durations for scaling curves (celeste schedule-sim --synthetic): log-normal,
// a right-skewed distribution with a heavier tail than a normal, as region fitting times are
// (a few regions hold a bright galaxy or a crowded patch). docs/scheduling.md, "Simulator".
#include <cstdint>
#include <vector>

#include "scheduling/schedule_sim.hpp"

namespace celeste::scheduling {

struct SyntheticTaskOptions {
  int tasks = 0;             // per stage
  int stages = 2;
  std::uint64_t seed = 1;
  double median_s = 10;      // exp(mu)
  double sigma = 0.5;        // of log(seconds); mean = median * exp(sigma^2 / 2)
};

// Stage s (0-based) has ids 0..tasks-1 with seconds = median * exp(sigma * z), z standard normal
// from std::mt19937_64 (seeded through std::seed_seq with (seed, s)) by the Box-Muller
// transform; cost = seconds (the scheduler orders by the true duration: a perfect estimate).
// The same on every standard library (std::lognormal_distribution's algorithm is not fixed).
std::vector<std::vector<SimTask>> synthetic_tasks(const SyntheticTaskOptions& options);

}  // namespace celeste::scheduling
