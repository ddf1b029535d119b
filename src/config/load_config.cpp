// YAML -> typed options. Each section is read strictly: unknown keys, wrong types, missing
// required keys and out-of-range values are ConfigErrors naming file, line, key, expectation.
#include <algorithm>
#include <filesystem>

#include "config/options.hpp"
#include "celeste/model/components.hpp"
#include "config/yaml_section.hpp"
#include "survey/bands.hpp"
#include "util/error.hpp"

namespace celeste::config {
namespace {

using survey::kBandNames;
const std::string kPsfComponentsExpected =
    "an integer 1.." + std::to_string(model::kMaxPsfComponents);

// Relative paths in a config are relative to the config file's folder, so a config and its
// inputs move together and work from any current directory.
std::string resolve_path(const std::string& config_file, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(config_file).parent_path() / path).lexically_normal().string();
}

void check_bands(YamlSection& s, const std::string& key, const std::vector<std::string>& bands) {
  for (const auto& b : bands)
    s.check(std::find(kBandNames.begin(), kBandNames.end(), b) != kBandNames.end(), key,
            "band names from u, g, r, i, z");
  std::vector<std::string> sorted = bands;
  std::sort(sorted.begin(), sorted.end());
  s.check(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), key,
          "each band at most once");
}

ImageSourceOptions read_image_source(YamlSection s) {
  ImageSourceOptions o;
  const std::string& file = s.file();
  o.format = s.required_choice("format", {"generic", "sdss"});
  if (o.format == "generic") {
    o.paths = s.required_strings("paths", "a list of FITS file paths");
    for (auto& p : o.paths) p = resolve_path(file, p);
  } else {
    o.directory = resolve_path(
        file, s.required_string("directory", "the folder holding the SDSS field's files"));
    o.run = static_cast<int>(s.required_int("run", "a positive SDSS run number"));
    s.check(o.run > 0, "run", "a positive SDSS run number");
    o.camcol = static_cast<int>(s.required_int("camcol", "an SDSS camcol 1..6"));
    s.check(o.camcol >= 1 && o.camcol <= 6, "camcol", "an SDSS camcol 1..6");
    o.field = static_cast<int>(s.required_int("field", "a positive SDSS field number"));
    s.check(o.field > 0, "field", "a positive SDSS field number");
    o.bands = s.optional_strings("bands", o.bands, "a list of band names (u g r i z)");
    check_bands(s, "bands", o.bands);
  }
  s.finish();
  return o;
}

}  // namespace

RunConfig load_run_config(const std::string& file) {
  YamlSection root = load_yaml_file(file);
  RunConfig c;
  c.file = file;
  for (auto& s : root.required_section_list("images")) c.images.push_back(read_image_source(s));

  {
    YamlSection s = root.required_section("catalog");
    c.catalog.format = s.optional_choice("format", {"generic", "photoobj"}, c.catalog.format);
    c.catalog.path = resolve_path(file, s.required_string("path", "the initial catalog's FITS file path"));
    s.finish();
  }
  if (auto s = root.optional_section("region")) {
    RegionOptions r;
    auto ra = s->required_doubles("ra", 2, "[ra_min, ra_max] in degrees");
    auto dec = s->required_doubles("dec", 2, "[dec_min, dec_max] in degrees");
    s->check(ra[0] < ra[1], "ra", "[ra_min, ra_max] with ra_min < ra_max");
    s->check(dec[0] < dec[1] && dec[0] >= -90 && dec[1] <= 90, "dec",
             "[dec_min, dec_max] with -90 <= dec_min < dec_max <= 90");
    r.ra_min = ra[0]; r.ra_max = ra[1]; r.dec_min = dec[0]; r.dec_max = dec[1];
    s->finish();
    c.region = r;
  }
  if (auto s = root.optional_section("model")) {
    ModelOptions& m = c.model;
    m.variant = s->optional_choice("variant", {"K", "P"}, m.variant);
    m.psf_components = static_cast<int>(s->optional_int("psf_components", m.psf_components, kPsfComponentsExpected));
    s->check(m.psf_components >= 1 && m.psf_components <= model::kMaxPsfComponents,
             "psf_components", kPsfComponentsExpected);
    auto prior = s->optional_doubles("type_prior", {m.type_prior[0], m.type_prior[1]}, 2,
                                     "[p_star, p_galaxy], both positive");
    s->check(prior[0] > 0 && prior[1] > 0, "type_prior", "[p_star, p_galaxy], both positive");
    m.type_prior = {prior[0], prior[1]};
    s->finish();
  }
  if (auto s = root.optional_section("optimizer")) {
    OptimizerOptions& o = c.optimizer;
    o.max_iterations = static_cast<int>(
        s->optional_int("max_iterations", o.max_iterations, "a positive integer"));
    s->check(o.max_iterations > 0, "max_iterations", "a positive integer");
    o.x_tol = s->optional_double("x_tol", o.x_tol, "a non-negative number");
    s->check(o.x_tol >= 0, "x_tol", "a non-negative number");
    o.f_tol = s->optional_double("f_tol", o.f_tol, "a non-negative number");
    s->check(o.f_tol >= 0, "f_tol", "a non-negative number");
    o.g_tol = s->optional_double("g_tol", o.g_tol, "a non-negative number");
    s->check(o.g_tol >= 0, "g_tol", "a non-negative number");
    o.initial_radius = s->optional_double("initial_radius", o.initial_radius, "a positive number");
    s->check(o.initial_radius > 0, "initial_radius", "a positive number");
    o.max_radius = s->optional_double("max_radius", o.max_radius, "a positive number");
    s->check(o.max_radius >= o.initial_radius, "max_radius", "a number >= initial_radius");
    s->finish();
  }
  if (auto s = root.optional_section("inference")) {
    InferenceOptions& o = c.inference;
    o.passes = static_cast<int>(s->optional_int("passes", o.passes, "a positive integer"));
    s->check(o.passes > 0, "passes", "a positive integer");
    o.seed = s->optional_int("seed", o.seed, "an integer");
    o.stages = static_cast<int>(s->optional_int("stages", o.stages, "1 or 2"));
    s->check(o.stages == 1 || o.stages == 2, "stages", "1 or 2");
    o.region_target_pixels = s->optional_int("region_target_pixels", o.region_target_pixels,
                                             "a positive integer");
    s->check(o.region_target_pixels > 0, "region_target_pixels", "a positive integer");
    s->finish();
  }
  if (auto s = root.optional_section("execution")) {
    ExecutionOptions& o = c.execution;
    o.backend = s->optional_choice("backend", {"serial", "openmp", "cuda"}, o.backend);
    o.threads = static_cast<int>(s->optional_int("threads", o.threads,
                                                 "a non-negative integer (0 = default)"));
    s->check(o.threads >= 0, "threads", "a non-negative integer (0 = default)");
    s->finish();
  }
  {
    YamlSection s = root.required_section("output");
    OutputOptions& o = c.output;
    o.directory = resolve_path(file, s.required_string("directory", "the output folder path"));
    o.catalog_fits = s.optional_string("catalog_fits", o.catalog_fits, "a file name");
    o.catalog_hdf5 = s.optional_string("catalog_hdf5", o.catalog_hdf5, "a file name");
    o.report = s.optional_string("report", o.report, "a file name");
    o.overwrite = s.optional_bool("overwrite", o.overwrite);
    o.model_images = s.optional_bool("model_images", o.model_images);
    o.checkpoint_seconds =
        s.optional_double("checkpoint_seconds", o.checkpoint_seconds, "a positive number");
    s.check(o.checkpoint_seconds > 0, "checkpoint_seconds", "a positive number");
    s.finish();
  }
  root.finish();
  return c;
}

GenerateConfig load_generate_config(const std::string& file) {
  YamlSection root = load_yaml_file(file);
  GenerateConfig c;
  c.file = file;
  YamlSection s = root.required_section("generate");
  c.seed = s.optional_int("seed", c.seed, "an integer");
  c.bands = s.optional_strings("bands", c.bands, "a list of band names (u g r i z)");
  check_bands(s, "bands", c.bands);
  c.epochs = static_cast<int>(s.optional_int("epochs", c.epochs, "an integer 1..100"));
  s.check(c.epochs >= 1 && c.epochs <= 100, "epochs", "an integer 1..100");
  auto size = s.optional_doubles("image_size", {double(c.width), double(c.height)}, 2,
                                 "[width, height] in pixels, each 8..8192");
  s.check(size[0] >= 8 && size[1] >= 8 && size[0] <= 8192 && size[1] <= 8192 &&
              size[0] == static_cast<int>(size[0]) && size[1] == static_cast<int>(size[1]),
          "image_size", "[width, height] in pixels, each 8..8192");
  c.width = static_cast<int>(size[0]);
  c.height = static_cast<int>(size[1]);
  auto center = s.optional_doubles("center", {c.ra_center, c.dec_center}, 2,
                                   "[ra, dec] in degrees");
  s.check(center[1] > -89 && center[1] < 89, "center", "[ra, dec] with |dec| < 89 degrees");
  c.ra_center = center[0];
  c.dec_center = center[1];
  c.pixel_scale_arcsec = s.optional_double("pixel_scale_arcsec", c.pixel_scale_arcsec,
                                           "a positive number");
  s.check(c.pixel_scale_arcsec > 0, "pixel_scale_arcsec", "a positive number");
  c.epoch_offset_px = s.optional_double("epoch_offset_px", c.epoch_offset_px,
                                        "a non-negative number of pixels");
  s.check(c.epoch_offset_px >= 0, "epoch_offset_px", "a non-negative number of pixels");
  c.source_count = static_cast<int>(s.optional_int("source_count", c.source_count,
                                                   "a non-negative integer"));
  s.check(c.source_count >= 0, "source_count", "a non-negative integer");
  c.star_fraction = s.optional_double("star_fraction", c.star_fraction, "a number in [0, 1]");
  s.check(c.star_fraction >= 0 && c.star_fraction <= 1, "star_fraction", "a number in [0, 1]");
  c.truth_catalog = resolve_path(file, s.optional_string("truth_catalog", "", "a FITS catalog path"));
  c.psf_components = static_cast<int>(s.optional_int("psf_components", c.psf_components, kPsfComponentsExpected));
  s.check(c.psf_components >= 1 && c.psf_components <= model::kMaxPsfComponents, "psf_components",
          kPsfComponentsExpected);
  c.psf_sigma_px = s.optional_double("psf_sigma_px", c.psf_sigma_px, "a positive number");
  s.check(c.psf_sigma_px > 0, "psf_sigma_px", "a positive number");
  const std::string per_band = "a list with one positive number per band";
  c.sky_nmgy = s.optional_doubles("sky_nmgy", c.sky_nmgy, 0, per_band);
  c.iota = s.optional_doubles("iota", c.iota, 0, per_band);
  for (const auto* key : {"sky_nmgy", "iota"}) {
    const auto& v = std::string(key) == "sky_nmgy" ? c.sky_nmgy : c.iota;
    s.check(v.size() == 5 || v.size() == c.bands.size(), key, per_band + " (5 or len(bands))");
    for (double x : v) s.check(x > 0, key, per_band);
  }
  s.finish();
  YamlSection out = root.required_section("output");
  c.output_directory = resolve_path(file, out.required_string("directory", "the output folder path"));
  out.finish();
  root.finish();
  return c;
}

}  // namespace celeste::config
