#include "io/input_warning.hpp"

#include <cmath>
#include <limits>

#include "util/log.hpp"

namespace celeste::io {

void warn_input(const std::string& message) {
  log::warning("celeste: warning: " + message);
}

long mask_nonfinite(std::vector<float>& values) {
  long n = 0;
  for (float& v : values)
    if (!std::isfinite(v)) {
      v = std::numeric_limits<float>::quiet_NaN();
      ++n;
    }
  return n;
}

}  // namespace celeste::io
