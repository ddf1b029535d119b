#include "config/options.hpp"  // survey is below config: expected to fail
