#include "scheduling/synthetic_tasks.hpp"

#include <cmath>
#include <random>
#include <stdexcept>

namespace celeste::scheduling {

namespace {

// A uniform double in (0, 1) from the top 53 bits: never 0, so log() below is finite.
double open_unit(std::mt19937_64& gen) {
  return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53;
}

}  // namespace

std::vector<std::vector<SimTask>> synthetic_tasks(const SyntheticTaskOptions& options) {
  if (options.tasks < 0 || options.stages < 0)
    throw std::invalid_argument("synthetic tasks: negative task or stage count");
  if (!(options.median_s > 0) || !std::isfinite(options.median_s) || !(options.sigma >= 0) ||
      !std::isfinite(options.sigma))
    throw std::invalid_argument("synthetic tasks: median must be > 0 and sigma >= 0");
  const double two_pi = 6.283185307179586476925286766559;
  std::vector<std::vector<SimTask>> stages(static_cast<std::size_t>(options.stages));
  for (int s = 0; s < options.stages; ++s) {
    std::seed_seq seq{static_cast<std::uint32_t>(options.seed),
                      static_cast<std::uint32_t>(options.seed >> 32),
                      static_cast<std::uint32_t>(s)};
    std::mt19937_64 gen(seq);
    auto& tasks = stages[static_cast<std::size_t>(s)];
    tasks.reserve(static_cast<std::size_t>(options.tasks));
    for (int i = 0; i < options.tasks; ++i) {
      const double u1 = open_unit(gen), u2 = open_unit(gen);
      const double z = std::sqrt(-2 * std::log(u1)) * std::cos(two_pi * u2);
      const double seconds = options.median_s * std::exp(options.sigma * z);
      tasks.push_back({i, seconds, seconds});
    }
  }
  return stages;
}

}  // namespace celeste::scheduling
