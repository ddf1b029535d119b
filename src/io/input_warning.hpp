#pragma once
// Non-fatal input problems (NaN/Inf pixels masked, ...): one warning line of the log
// (util/log.hpp: stderr unless --quiet, and output.log), "celeste: warning: <file>: <what>". Kept in one place so tests and drivers agree on the form.
#include <string>
#include <vector>

namespace celeste::io {

void warn_input(const std::string& message);

// Sets non-finite values to NaN (the model's "masked" marker) and returns how many there were.
long mask_nonfinite(std::vector<float>& values);

}  // namespace celeste::io
