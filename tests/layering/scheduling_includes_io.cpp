#include "io/atomic_file.hpp"  // the scheduler does no I/O (only util below it): expected to fail
