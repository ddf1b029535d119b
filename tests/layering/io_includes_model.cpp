#include "model/patches.hpp"  // io sits beside model, not above it: expected to fail
