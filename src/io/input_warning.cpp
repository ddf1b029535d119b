#include "io/input_warning.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace celeste::io {

void warn_input(const std::string& message) {
  std::fprintf(stderr, "celeste: warning: %s\n", message.c_str());
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
