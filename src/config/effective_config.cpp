#include "config/effective_config.hpp"

#include <yaml-cpp/yaml.h>

namespace celeste::config {
namespace {

// Numbers keep every digit (17 significant), so the text reproduces the run's values.
YAML::Emitter& number(YAML::Emitter& e, double v) {
  e.SetDoublePrecision(17);
  return e << v;
}

}  // namespace

std::string effective_config_yaml(const RunConfig& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "images" << YAML::Value << YAML::BeginSeq;
  for (const auto& im : c.images) {
    e << YAML::BeginMap << YAML::Key << "format" << YAML::Value << im.format;
    if (im.format == "generic") {
      e << YAML::Key << "paths" << YAML::Value << YAML::Flow << im.paths;
    } else {
      e << YAML::Key << "directory" << YAML::Value << im.directory;
      e << YAML::Key << "run" << YAML::Value << im.run;
      e << YAML::Key << "camcol" << YAML::Value << im.camcol;
      e << YAML::Key << "field" << YAML::Value << im.field;
      e << YAML::Key << "bands" << YAML::Value << YAML::Flow << im.bands;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::Key << "catalog" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "format" << YAML::Value << c.catalog.format;
  e << YAML::Key << "path" << YAML::Value << c.catalog.path << YAML::EndMap;
  if (c.region) {
    e << YAML::Key << "region" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "ra" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    number(e, c.region->ra_min);
    number(e, c.region->ra_max) << YAML::EndSeq;
    e << YAML::Key << "dec" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    number(e, c.region->dec_min);
    number(e, c.region->dec_max) << YAML::EndSeq << YAML::EndMap;
  }
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "variant" << YAML::Value << c.model.variant;
  e << YAML::Key << "psf_components" << YAML::Value << c.model.psf_components;
  e << YAML::Key << "type_prior" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  number(e, c.model.type_prior[0]);
  number(e, c.model.type_prior[1]) << YAML::EndSeq << YAML::EndMap;
  const OptimizerOptions& o = c.optimizer;
  e << YAML::Key << "optimizer" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "max_iterations" << YAML::Value << o.max_iterations;
  e << YAML::Key << "x_tol" << YAML::Value;
  number(e, o.x_tol) << YAML::Key << "f_tol" << YAML::Value;
  number(e, o.f_tol) << YAML::Key << "g_tol" << YAML::Value;
  number(e, o.g_tol) << YAML::Key << "initial_radius" << YAML::Value;
  number(e, o.initial_radius) << YAML::Key << "max_radius" << YAML::Value;
  number(e, o.max_radius) << YAML::EndMap;
  const InferenceOptions& inf = c.inference;
  e << YAML::Key << "inference" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "passes" << YAML::Value << inf.passes;
  e << YAML::Key << "seed" << YAML::Value << inf.seed;
  e << YAML::Key << "stages" << YAML::Value << inf.stages;
  e << YAML::Key << "region_target_pixels" << YAML::Value << inf.region_target_pixels
    << YAML::EndMap;
  const ExecutionOptions& x = c.execution;
  e << YAML::Key << "execution" << YAML::Value << YAML::BeginMap;
  if (!x.backend.empty()) e << YAML::Key << "backend" << YAML::Value << x.backend;
  e << YAML::Key << "threads" << YAML::Value << x.threads;
  e << YAML::Key << "image_cache_mb" << YAML::Value;
  number(e, x.image_cache_mb);
  e << YAML::Key << "team_size" << YAML::Value << x.team_size;
  e << YAML::Key << "vector_length" << YAML::Value << x.vector_length;
  e << YAML::Key << "scheduler" << YAML::Value << YAML::BeginMap << YAML::Key << "fanout"
    << YAML::Value << x.scheduler_fanout << YAML::EndMap << YAML::EndMap;
  const OutputOptions& out = c.output;
  e << YAML::Key << "output" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "directory" << YAML::Value << out.directory;
  e << YAML::Key << "catalog_fits" << YAML::Value << out.catalog_fits;
  e << YAML::Key << "catalog_hdf5" << YAML::Value << out.catalog_hdf5;
  e << YAML::Key << "report" << YAML::Value << out.report;
  e << YAML::Key << "overwrite" << YAML::Value << out.overwrite;
  e << YAML::Key << "model_images" << YAML::Value << out.model_images;
  if (!out.log.empty()) e << YAML::Key << "log" << YAML::Value << out.log;
  e << YAML::Key << "checkpoint_seconds" << YAML::Value;
  number(e, out.checkpoint_seconds) << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace celeste::config
