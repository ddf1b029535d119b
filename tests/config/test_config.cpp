// Configuration loading: valid files load into the typed options; every malformed file is a
// ConfigError whose message names the file, the line, the key and what was expected.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/effective_config.hpp"
#include "config/options.hpp"
#include "harness/shared_data.hpp"
#include "util/error.hpp"

namespace {

using celeste::ConfigError;
using celeste::config::load_generate_config;
using celeste::config::load_run_config;

std::string write_yaml(const std::string& name, const std::string& text) {
  static const std::string dir = celeste::testing::scratch_dir("config");
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << text;
  return path;
}

const char* kValidRun = R"(images:
  - format: generic
    paths: [a-r.fits, a-g.fits]
  - format: sdss
    directory: /data/sdss
    run: 94
    camcol: 1
    field: 12
catalog:
  format: photoobj
  path: photoObj.fits
region:
  ra: [0.1, 0.2]
  dec: [-0.3, -0.1]
optimizer:
  max_iterations: 40
  g_tol: 1.0e-9
inference:
  passes: 2
  seed: 7
execution:
  threads: 2
output:
  directory: out
)";

// Load `text` as a run config and return the ConfigError message (fails if none is thrown).
std::string run_error(const std::string& name, const std::string& text) {
  const std::string path = write_yaml(name, text);
  try {
    load_run_config(path);
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "message must name the file: " << msg;
    return msg;
  }
  ADD_FAILURE() << name << ": expected a ConfigError";
  return "";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Config, ValidRunConfigLoadsEveryField) {
  const auto c = load_run_config(write_yaml("valid", kValidRun));
  ASSERT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.images[0].format, "generic");
  EXPECT_EQ(c.images[0].paths.size(), 2u);
  EXPECT_EQ(c.images[1].run, 94);
  EXPECT_EQ(c.images[1].bands.size(), 5u);
  EXPECT_EQ(c.catalog.format, "photoobj");
  ASSERT_TRUE(c.region.has_value());
  EXPECT_DOUBLE_EQ(c.region->dec_min, -0.3);
  EXPECT_EQ(c.optimizer.max_iterations, 40);
  EXPECT_DOUBLE_EQ(c.optimizer.g_tol, 1e-9);
  EXPECT_DOUBLE_EQ(c.optimizer.f_tol, 1e-6);  // spec default kept
  EXPECT_EQ(c.inference.passes, 2);
  EXPECT_EQ(c.inference.seed, 7);
  EXPECT_EQ(c.execution.threads, 2);
  // Relative paths resolve against the config file's folder.
  const std::string dir = std::filesystem::path(c.file).parent_path().string();
  EXPECT_EQ(c.output.directory, dir + "/out");
  EXPECT_EQ(c.images[0].paths[1], dir + "/a-g.fits");
  EXPECT_EQ(c.images[1].directory, "/data/sdss");  // absolute stays
  EXPECT_EQ(c.output.catalog_fits, "catalog.fits");
  EXPECT_EQ(c.model.variant, "K");         // default: pixelized star profile
  EXPECT_FALSE(c.output.model_images);     // default off
}

// The effective configuration written into every output's provenance is itself a run config
// that loads to the same options (defaults made explicit) and writes back identically.
TEST(Config, EffectiveConfigLoadsToTheSameOptions) {
  const auto c = load_run_config(write_yaml("effective_src", kValidRun));
  const std::string text = celeste::config::effective_config_yaml(c);
  EXPECT_TRUE(contains(text, "f_tol: 9.9999999999999995e-07")) << "defaults are written: " << text;
  EXPECT_TRUE(contains(text, "max_iterations: 40")) << text;
  const auto again = load_run_config(write_yaml("effective_out", text));
  EXPECT_EQ(celeste::config::effective_config_yaml(again), text);
  ASSERT_EQ(again.images.size(), 2u);
  EXPECT_EQ(again.images[0].paths, c.images[0].paths);
  EXPECT_EQ(again.images[1].field, 12);
  EXPECT_EQ(again.catalog.path, c.catalog.path);
  ASSERT_TRUE(again.region.has_value());
  EXPECT_EQ(again.region->dec_min, -0.3);
  EXPECT_EQ(again.optimizer.g_tol, 1e-9);
  EXPECT_EQ(again.model.type_prior, c.model.type_prior);
  EXPECT_EQ(again.inference.seed, 7);
  EXPECT_EQ(again.output.directory, c.output.directory);
  EXPECT_EQ(again.output.checkpoint_seconds, c.output.checkpoint_seconds);
}

TEST(Config, ModelVariantAndModelImages) {
  const std::string extra = "model:\n  variant: P\n";
  std::string text = std::string(kValidRun) + extra;
  text = replace(text, "  directory: out\n", "  directory: out\n  model_images: true\n");
  const auto c = load_run_config(write_yaml("variant", text));
  EXPECT_EQ(c.model.variant, "P");
  EXPECT_TRUE(c.output.model_images);
  const auto msg = run_error("variant_h", std::string(kValidRun) + "model:\n  variant: H\n");
  EXPECT_NE(msg.find("model.variant"), std::string::npos) << msg;
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  const auto msg = run_error("unknown", replace(kValidRun, "  passes: 2", "  pases: 2"));
  EXPECT_TRUE(contains(msg, "inference.pases")) << msg;
  EXPECT_TRUE(contains(msg, "unknown key")) << msg;
  EXPECT_TRUE(contains(msg, ":19:3:")) << msg;  // line and column of the typo
  EXPECT_TRUE(contains(msg, "passes")) << msg;  // lists what is accepted
}

TEST(Config, UnknownTopLevelSection) {
  const auto msg = run_error("unknown_top", std::string(kValidRun) + "optimiser:\n  x: 1\n");
  EXPECT_TRUE(contains(msg, "'optimiser'")) << msg;
  EXPECT_TRUE(contains(msg, "unknown key")) << msg;
}

TEST(Config, WrongTypeIntegerGotWord) {
  const auto msg = run_error("wrong_type", replace(kValidRun, "max_iterations: 40",
                                                    "max_iterations: forty"));
  EXPECT_TRUE(contains(msg, "optimizer.max_iterations")) << msg;
  EXPECT_TRUE(contains(msg, "expected a positive integer")) << msg;
  EXPECT_TRUE(contains(msg, "'forty'")) << msg;
  EXPECT_TRUE(contains(msg, ":16:19:")) << msg;
}

TEST(Config, WrongTypeNumberGotList) {
  const auto msg = run_error("wrong_list", replace(kValidRun, "g_tol: 1.0e-9", "g_tol: [1, 2]"));
  EXPECT_TRUE(contains(msg, "optimizer.g_tol")) << msg;
  EXPECT_TRUE(contains(msg, "a list of 2 items")) << msg;
}

TEST(Config, MissingRequiredKey) {
  const auto msg = run_error("missing", replace(kValidRun, "  directory: out\n", "  overwrite: true\n"));
  EXPECT_TRUE(contains(msg, "output.directory")) << msg;
  EXPECT_TRUE(contains(msg, "required key is missing")) << msg;
}

TEST(Config, MissingRequiredSection) {
  const auto msg = run_error("missing_section",
                             replace(kValidRun, "catalog:\n  format: photoobj\n  path: photoObj.fits\n", ""));
  EXPECT_TRUE(contains(msg, "'catalog'")) << msg;
  EXPECT_TRUE(contains(msg, "required key is missing")) << msg;
}

// `fields: [...]` stands for one SDSS source per field; exactly one of field/fields.
TEST(Config, SdssFieldListExpandsToOneSourcePerField) {
  const auto cfg = load_run_config(write_yaml("fields", replace(kValidRun, "field: 12", "fields: [12, 13, 15]")));
  ASSERT_EQ(cfg.images.size(), 4u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(cfg.images[i].format, "sdss");
    EXPECT_EQ(cfg.images[i].directory, "/data/sdss");
    EXPECT_EQ(cfg.images[i].run, 94);
    EXPECT_EQ(cfg.images[i].camcol, 1);
  }
  EXPECT_EQ(cfg.images[1].field, 12);
  EXPECT_EQ(cfg.images[2].field, 13);
  EXPECT_EQ(cfg.images[3].field, 15);
  auto msg = run_error("both", replace(kValidRun, "field: 12", "field: 12\n    fields: [13]"));
  EXPECT_TRUE(contains(msg, "exactly one of field")) << msg;
  msg = run_error("neither", replace(kValidRun, "    field: 12\n", ""));
  EXPECT_TRUE(contains(msg, "exactly one of field")) << msg;
  msg = run_error("dup", replace(kValidRun, "field: 12", "fields: [12, 12]"));
  EXPECT_TRUE(contains(msg, "images[1].fields")) << msg;
  EXPECT_TRUE(contains(msg, "distinct")) << msg;
  msg = run_error("zero", replace(kValidRun, "field: 12", "fields: [0]"));
  EXPECT_TRUE(contains(msg, "images[1].fields")) << msg;
  msg = run_error("empty", replace(kValidRun, "field: 12", "fields: []"));
  EXPECT_TRUE(contains(msg, "images[1].fields")) << msg;
}

TEST(Config, OutOfRangeValue) {
  const auto msg = run_error("range", replace(kValidRun, "camcol: 1", "camcol: 9"));
  EXPECT_TRUE(contains(msg, "images[1].camcol")) << msg;
  EXPECT_TRUE(contains(msg, "1..6")) << msg;
  EXPECT_TRUE(contains(msg, "'9'")) << msg;
}

TEST(Config, ImageCacheMegabytes) {
  EXPECT_EQ(load_run_config(write_yaml("cache_default", kValidRun)).execution.image_cache_mb, 0.0);
  const auto c = load_run_config(write_yaml(
      "cache", replace(kValidRun, "  threads: 2\n", "  threads: 2\n  image_cache_mb: 512.5\n")));
  EXPECT_EQ(c.execution.image_cache_mb, 512.5);
  for (const char* bad : {"-1", "2e9", "lots"}) {
    const auto msg = run_error("cache_bad", replace(kValidRun, "  threads: 2\n",
                                                    std::string("  threads: 2\n  image_cache_mb: ") +
                                                        bad + "\n"));
    EXPECT_TRUE(contains(msg, "execution.image_cache_mb")) << msg;
  }
}

TEST(Config, BadChoice) {
  const auto msg = run_error("choice", replace(kValidRun, "format: photoobj", "format: sextractor"));
  EXPECT_TRUE(contains(msg, "catalog.format")) << msg;
  EXPECT_TRUE(contains(msg, "one of generic, photoobj")) << msg;
}

// Issue 13: the fit kernel's team shape; 0 (the default) = the backend's own.
TEST(Config, TeamShape) {
  const auto d = load_run_config(write_yaml("team_default", kValidRun));
  EXPECT_EQ(d.execution.team_size, 0);
  EXPECT_EQ(d.execution.vector_length, 0);
  const auto c = load_run_config(write_yaml(
      "team", replace(kValidRun, "threads: 2\n", "threads: 2\n  team_size: 2\n  vector_length: 4\n")));
  EXPECT_EQ(c.execution.team_size, 2);
  EXPECT_EQ(c.execution.vector_length, 4);
  const std::string text = celeste::config::effective_config_yaml(c);
  EXPECT_TRUE(contains(text, "team_size: 2")) << text;
  EXPECT_TRUE(contains(text, "vector_length: 4")) << text;
  auto msg = run_error("team_odd_lanes",
                       replace(kValidRun, "threads: 2\n", "threads: 2\n  vector_length: 3\n"));
  EXPECT_TRUE(contains(msg, "execution.vector_length")) << msg;
  EXPECT_TRUE(contains(msg, "a power of two up to 32")) << msg;
  msg = run_error("team_big", replace(kValidRun, "threads: 2\n", "threads: 2\n  team_size: 2000\n"));
  EXPECT_TRUE(contains(msg, "execution.team_size")) << msg;
  EXPECT_TRUE(contains(msg, "0..1024")) << msg;
}

TEST(Config, ReversedInterval) {
  const auto msg = run_error("interval", replace(kValidRun, "ra: [0.1, 0.2]", "ra: [0.2, 0.1]"));
  EXPECT_TRUE(contains(msg, "region.ra")) << msg;
  EXPECT_TRUE(contains(msg, "ra_min < ra_max")) << msg;
}

TEST(Config, WrongLengthList) {
  const auto msg = run_error("length", replace(kValidRun, "dec: [-0.3, -0.1]", "dec: [-0.3]"));
  EXPECT_TRUE(contains(msg, "region.dec")) << msg;
  EXPECT_TRUE(contains(msg, "a list of 1 items")) << msg;
}

TEST(Config, SectionGivenAsScalar) {
  const auto msg = run_error("scalar_section", replace(kValidRun, "execution:\n  threads: 2\n",
                                                       "execution: fast\n"));
  EXPECT_TRUE(contains(msg, "'execution'")) << msg;
  EXPECT_TRUE(contains(msg, "expected a mapping")) << msg;
}

TEST(Config, DuplicateKey) {
  const auto msg = run_error("duplicate", replace(kValidRun, "  seed: 7\n", "  seed: 7\n  seed: 8\n"));
  EXPECT_TRUE(contains(msg, "inference.seed")) << msg;
  EXPECT_TRUE(contains(msg, "appears twice")) << msg;
}

TEST(Config, YamlSyntaxErrorHasLine) {
  const auto msg = run_error("syntax", "images:\n  - format: generic\n    paths: [a.fits\noutput: x\n");
  EXPECT_TRUE(contains(msg, "YAML syntax error")) << msg;
  EXPECT_TRUE(contains(msg, ":4:") || contains(msg, ":3:")) << msg;
}

TEST(Config, EmptyFileAndMissingFile) {
  EXPECT_TRUE(contains(run_error("empty", ""), "empty"));
  try {
    load_run_config("/nonexistent/dir/run.yaml");
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "/nonexistent/dir/run.yaml"));
    EXPECT_TRUE(contains(e.what(), "cannot open"));
  }
}

TEST(Config, NonFiniteNumberRejected) {
  const auto msg = run_error("nan", replace(kValidRun, "g_tol: 1.0e-9", "g_tol: .nan"));
  EXPECT_TRUE(contains(msg, "optimizer.g_tol")) << msg;
}

TEST(Config, GenerateConfigDefaultsAndErrors) {
  const auto ok = load_generate_config(write_yaml("gen", "generate:\n  seed: 3\n  epochs: 2\n"
                                                  "  image_size: [64, 48]\noutput:\n  directory: d\n"));
  EXPECT_EQ(ok.seed, 3);
  EXPECT_EQ(ok.epochs, 2);
  EXPECT_EQ(ok.width, 64);
  EXPECT_EQ(ok.height, 48);
  EXPECT_EQ(ok.sky_nmgy.size(), 5u);
  const std::string bad = write_yaml("gen_bad", "generate:\n  bands: [r, q]\noutput:\n  directory: d\n");
  try {
    load_generate_config(bad);
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "generate.bands")) << e.what();
    EXPECT_TRUE(contains(e.what(), "u, g, r, i, z")) << e.what();
  }
}


// ------------------------------------------------------------------------- issue 12

TEST(Config, IntegersAboveIntAreRangeErrorsNotWrapped) {
  struct Case {
    const char* from;
    const char* to;
    const char* key;
    const char* range;
  };
  const Case cases[] = {
      {"passes: 2", "passes: 4294967297", "inference.passes", "1..2147483647"},  // was 1 pass
      {"run: 94", "run: 4294967390", "images[1].run", "1..999999"},              // was run 94
      {"max_iterations: 40", "max_iterations: 2147483648", "optimizer.max_iterations",
       "1..2147483647"},
      {"threads: 2", "threads: 100000", "execution.threads", "0..512"},
      {"field: 12", "field: -4294967284", "images[1].field", "1..9999"},
      {"seed: 7", "seed: 99999999999999999999", "inference.seed", "too large"},
      {"passes: 2", "passes: 2.5", "inference.passes", "'2.5'"},
      {"passes: 2", "passes: 0x10", "inference.passes", "'0x10'"},
  };
  for (const Case& c : cases) {
    const auto msg = run_error("huge_int", replace(kValidRun, c.from, c.to));
    EXPECT_TRUE(contains(msg, c.key)) << msg;
    EXPECT_TRUE(contains(msg, c.range)) << msg;
    EXPECT_TRUE(contains(msg, ".yaml:")) << "names the line: " << msg;
  }
  const std::string gen = write_yaml("gen_huge", "generate:\n  source_count: 4294967296\n"
                                                 "output:\n  directory: d\n");
  try {
    load_generate_config(gen);
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "generate.source_count")) << e.what();
    EXPECT_TRUE(contains(e.what(), "0..10000000")) << e.what();
    EXPECT_EQ(e.site().item, "generate.source_count");
    EXPECT_EQ(e.site().line, 2);
    EXPECT_EQ(e.site().value, "4294967296");
  }
}

TEST(Config, DirectoryAsConfigFileIsAConfigError) {
  const std::string dir = celeste::testing::scratch_dir("config_dir") + "/run.yaml";
  std::filesystem::create_directories(dir);
  try {
    load_run_config(dir);
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), dir)) << e.what();
    EXPECT_TRUE(contains(e.what(), "is a directory")) << e.what();
  }
}

TEST(Config, HostileYamlIsAConfigError) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  const std::string huge_key(2000, 'k');
  const std::pair<const char*, std::string> cases[] = {
      {"list key", replace(kValidRun, "output:\n", "? [a, b]\n: 1\noutput:\n")},
      {"unknown section", replace(kValidRun, "output:\n", "colour:\n  red: 1\noutput:\n")},
      {"huge key", replace(kValidRun, "output:\n", huge_key + ": 1\noutput:\n")},
      {"undefined alias", replace(kValidRun, "passes: 2", "passes: *nothing")},
      {"tagged value", replace(kValidRun, "passes: 2", "passes: !!binary aGVsbG8=")},
      {"nan integer", replace(kValidRun, "passes: 2", "passes: .nan")},
      {"inf number", replace(kValidRun, "g_tol: 1.0e-9", "g_tol: -.inf")},
      {"bool as integer", replace(kValidRun, "passes: 2", "passes: true")},
      {"deep nesting", replace(kValidRun, "passes: 2", "passes: " + deep)},
      {"document list", std::string("- a\n- b\n")},
      {"null section", replace(kValidRun, "execution:\n  threads: 2\n", "execution:\n")},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    const auto msg = run_error("hostile", text);
    EXPECT_FALSE(msg.empty());
    EXPECT_LT(msg.size(), 1000u) << "messages stay short: " << msg.substr(0, 200);
  }
}

}  // namespace
