// YAML -> typed options. Each section is read strictly: unknown keys, wrong types, missing
// required keys and out-of-range values are ConfigErrors naming file, line, key, expectation.
#include <algorithm>
#include <filesystem>
#include <limits>

#include "config/options.hpp"
#include "celeste/model/components.hpp"
#include "config/yaml_section.hpp"
#include "survey/bands.hpp"
#include "util/checked_int.hpp"
#include "util/error.hpp"
#include "util/limits.hpp"

namespace celeste::config {
namespace {

// A list of integers in [lo, hi] (`length` of them; 0: any number), `fallback` when absent.
std::vector<int> optional_int_list(YamlSection& s, const std::string& key,
                                   const std::vector<int>& fallback, std::size_t length, int lo,
                                   int hi, const std::string& expected) {
  const std::vector<double> values = s.optional_doubles(
      key, std::vector<double>(fallback.begin(), fallback.end()), length, expected);
  std::vector<int> out;
  for (double v : values) {
    s.check(v >= lo && v <= hi && v == static_cast<int>(v), key, expected);
    out.push_back(static_cast<int>(v));
  }
  return out;
}

using survey::kBandNames;
constexpr long long kLongLongMin = std::numeric_limits<long long>::min();
constexpr long long kLongLongMax = std::numeric_limits<long long>::max();
// SDSS file names hold the run in 6 digits and the field in 4 (frame-r-000094-1-0012.fits).
constexpr long long kMaxSdssRun = 999999;
constexpr long long kMaxSdssField = 9999;
// `generate` keeps a catalog entry per source twice (truth, initial catalog): ten million
// sources is ~3 GB, far above any useful synthetic field; more is almost surely a typo.
constexpr long long kMaxGenerateSources = 10'000'000;

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

// One images entry; an SDSS entry with `fields: [...]` stands for one source per field.
std::vector<ImageSourceOptions> read_image_source(YamlSection s) {
  ImageSourceOptions o;
  std::vector<int> fields;
  const std::string& file = s.file();
  o.format = s.required_choice("format", {"generic", "sdss"});
  if (o.format == "generic") {
    o.paths = s.required_strings("paths", "a list of FITS file paths");
    for (auto& p : o.paths) p = resolve_path(file, p);
  } else {
    o.directory = resolve_path(
        file, s.required_string("directory", "the folder holding the SDSS field's files"));
    // SDSS file names zero-pad the run to 6 and the field to 4 digits (sdss_field.cpp).
    o.run = s.required_int<int>("run", 1, kMaxSdssRun, "a positive SDSS run number");
    o.camcol = s.required_int<int>("camcol", 1, 6, "an SDSS camcol");
    // One field (`field: 12`) or several of the same run and camcol (`fields: [12, 13]`).
    const std::string one_or_more = "exactly one of field (an SDSS field number) and fields (a "
                                    "list of them)";
    s.check(s.has("field") != s.has("fields"), s.has("field") ? "fields" : "field", one_or_more);
    if (s.has("field")) {
      fields.push_back(s.required_int<int>("field", 1, kMaxSdssField, "a positive SDSS field number"));
    } else {
      const std::string what = "a list of distinct SDSS field numbers, each 1.." +
                               std::to_string(kMaxSdssField);
      fields = optional_int_list(s, "fields", {}, 0, 1, kMaxSdssField, what);
      s.check(!fields.empty(), "fields", what);
      std::vector<int> sorted = fields;
      std::sort(sorted.begin(), sorted.end());
      s.check(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), "fields", what);
    }
    o.bands = s.optional_strings("bands", o.bands, "a list of band names (u g r i z)");
    check_bands(s, "bands", o.bands);
  }
  s.finish();
  if (o.format == "generic") return {o};
  std::vector<ImageSourceOptions> out;
  for (int f : fields) {
    o.field = f;
    out.push_back(o);
  }
  return out;
}

}  // namespace

RunConfig load_run_config(const std::string& file) {
  YamlSection root = load_yaml_file(file);
  RunConfig c;
  c.file = file;
  for (auto& s : root.required_section_list("images"))
    for (auto& source : read_image_source(s)) c.images.push_back(std::move(source));

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
    m.psf_components = s->optional_int<int>("psf_components", m.psf_components, 1,
                                            model::kMaxPsfComponents, "an integer");
    // The default prior is the variant's.
    if (m.variant == "P") m.type_prior = {constants::kTypePriorP[0], constants::kTypePriorP[1]};
    auto prior = s->optional_doubles("type_prior", {m.type_prior[0], m.type_prior[1]}, 2,
                                     "[p_star, p_galaxy], both positive");
    s->check(prior[0] > 0 && prior[1] > 0, "type_prior", "[p_star, p_galaxy], both positive");
    m.type_prior = {prior[0], prior[1]};
    s->finish();
  }
  if (auto s = root.optional_section("optimizer")) {
    OptimizerOptions& o = c.optimizer;
    o.max_iterations =
        s->optional_int<int>("max_iterations", o.max_iterations, 1, kIntMax, "a positive integer");
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
    o.passes = s->optional_int<int>("passes", o.passes, 1, kIntMax, "a positive integer");
    o.seed = s->optional_int<long long>("seed", o.seed, kLongLongMin, kLongLongMax, "an integer");
    o.stages = s->optional_int<int>("stages", o.stages, 1, 2, "1 or 2");
    o.region_target_pixels = s->optional_int<long long>(
        "region_target_pixels", o.region_target_pixels, 1, kLongLongMax, "a positive integer");
    s->finish();
  }
  if (auto s = root.optional_section("execution")) {
    ExecutionOptions& o = c.execution;
    o.backend = s->optional_choice("backend", {"serial", "openmp", "cuda"}, o.backend);
    o.threads = s->optional_int<int>("threads", o.threads, 0, kMaxHostThreads,
                                     "a thread count (0 = default; " +
                                         std::to_string(kMaxHostThreads) +
                                         " is the most Kokkos' OpenMP backend supports)");
    o.threads_per_core = s->optional_int<int>(
        "threads_per_core", o.threads_per_core, 1, kMaxHostThreads,
        "hardware threads per core (1 = one thread per core)");
    o.memory = s->optional_choice("memory", {"auto", "hbw", "ddr"}, o.memory);
    o.image_cache_mb = s->optional_double("image_cache_mb", o.image_cache_mb,
                                          "a number of megabytes >= 0 (0 = the default)");
    s->check(o.image_cache_mb >= 0 && o.image_cache_mb <= 1e9, "image_cache_mb",
             "a number of megabytes in 0..1e9 (0 = the default)");
    o.team_size = s->optional_int<int>("team_size", o.team_size, 0, kMaxTeamSize,
                                       "threads per source (0 = the backend's default; at most " +
                                           std::to_string(kMaxTeamSize) + ")");
    o.vector_length = s->optional_int<int>(
        "vector_length", o.vector_length, 0, kMaxVectorLength,
        "vector lanes per team thread: 0 (the backend's default) or a power of two up to " +
            std::to_string(kMaxVectorLength));
    s->check(o.vector_length == 0 || (o.vector_length & (o.vector_length - 1)) == 0,
               "vector_length",
               "vector lanes per team thread: 0 (the backend's default) or a power of two up "
               "to " + std::to_string(kMaxVectorLength));
    if (auto sched = s->optional_section("scheduler")) {
      o.scheduler_fanout = sched->optional_int<int>(
          "fanout", o.scheduler_fanout, 1, kIntMax,
          "a positive integer (children per rank in the scheduler's tree)");
      sched->finish();
    }
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
    o.log = s.optional_string("log", o.log, "a file path (relative: in output.directory)");
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
  c.seed = s.optional_int<long long>("seed", c.seed, kLongLongMin, kLongLongMax, "an integer");
  c.bands = s.optional_strings("bands", c.bands, "a list of band names (u g r i z)");
  check_bands(s, "bands", c.bands);
  c.epochs = s.optional_int<int>("epochs", c.epochs, 1, 100, "an integer");
  const auto size = optional_int_list(s, "image_size", {c.width, c.height}, 2, 8, 8192,
                                      "[width, height] in pixels, each 8..8192");
  c.width = size[0];
  c.height = size[1];
  const auto fields = optional_int_list(s, "fields", {c.fields_x, c.fields_y}, 2, 1, 64,
                                        "[nx, ny]: a mosaic of nx by ny fields, each 1..64");
  c.fields_x = fields[0];
  c.fields_y = fields[1];
  c.field_overlap_px = s.optional_int<int>("field_overlap_px", c.field_overlap_px, 0,
                                           std::min(c.width, c.height) - 1,
                                           "pixels shared by neighbouring fields, less than the "
                                           "image size");
  auto center = s.optional_doubles("center", {c.ra_center, c.dec_center}, 2,
                                   "[ra, dec] in degrees");
  s.check(center[1] > -89 && center[1] < 89, "center", "[ra, dec] with |dec| < 89 degrees");
  c.ra_center = center[0];
  c.dec_center = center[1];
  c.pixel_scale_arcsec = s.optional_double("pixel_scale_arcsec", c.pixel_scale_arcsec,
                                           "a positive number of arcsec, at most 3600");
  s.check(c.pixel_scale_arcsec > 0 && c.pixel_scale_arcsec <= 3600, "pixel_scale_arcsec",
          "a positive number of arcsec, at most 3600 (the readers accept at most 1 deg/pixel)");
  c.epoch_offset_px = s.optional_double("epoch_offset_px", c.epoch_offset_px,
                                        "a non-negative number of pixels");
  s.check(c.epoch_offset_px >= 0, "epoch_offset_px", "a non-negative number of pixels");
  c.source_count =
      s.optional_int<int>("source_count", c.source_count, 0, kMaxGenerateSources,
                          "a number of sources");
  c.star_fraction = s.optional_double("star_fraction", c.star_fraction, "a number in [0, 1]");
  s.check(c.star_fraction >= 0 && c.star_fraction <= 1, "star_fraction", "a number in [0, 1]");
  c.truth_catalog = resolve_path(file, s.optional_string("truth_catalog", "", "a FITS catalog path"));
  c.psf_components = s.optional_int<int>("psf_components", c.psf_components, 1,
                                         model::kMaxPsfComponents, "an integer");
  // The widest generated component is ~5.1 sigma; the readers accept PSF variances up to
  // 1e4 px^2 (io/psf_validation.hpp), so the survey stays readable for sigma <= 15 px.
  c.psf_sigma_px = s.optional_double("psf_sigma_px", c.psf_sigma_px,
                                     "a PSF width in pixels, 0.05..15");
  s.check(c.psf_sigma_px >= 0.05 && c.psf_sigma_px <= 15, "psf_sigma_px",
          "a PSF width in pixels, 0.05..15");
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
