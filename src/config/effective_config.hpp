#pragma once
// The effective configuration of a run as YAML: every key of docs/config.md with the value the
// run used (defaults included, paths resolved against the config's folder). It is written into
// every output's provenance (docs/io.md), and it is itself a valid `celeste run` config.
#include <string>

#include "config/options.hpp"

namespace celeste::config {

std::string effective_config_yaml(const RunConfig& cfg);

}  // namespace celeste::config
