#include "score/scorer.hpp"  // model must not depend on scoring: expected to fail
