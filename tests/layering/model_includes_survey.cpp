#include "config/options.hpp"  // allowed: model depends on config and survey
#include "survey/image.hpp"
