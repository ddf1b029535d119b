#pragma once
// Typed, validated options: one struct per concern, filled from YAML by config/load_config.
// Defaults are the specification's values (model.md §6 and §7) so a config
// only names what differs. Keys and meanings: docs/config.md.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "celeste/model_constants.hpp"
#include "survey/bands.hpp"

namespace celeste::config {

// One survey input: `generic` FITS images (celeste generate's format) or one SDSS field.
struct ImageSourceOptions {
  std::string format;              // "generic" | "sdss"
  std::vector<std::string> paths;  // generic: one FITS file per image
  std::string directory;           // sdss: folder holding frame/psField/fpM/photoField files
  int run = 0, camcol = 0, field = 0;
  std::vector<std::string> bands = survey::all_band_names();
};

struct CatalogOptions {
  std::string format = "generic";  // "generic" (celeste's FITS table) | "photoobj"
  std::string path;
};

// Sky box to process (degrees); absent = every source of the catalog.
struct RegionOptions {
  double ra_min = 0, ra_max = 0, dec_min = 0, dec_max = 0;
};

// Variant K's type prior: the empirical star fraction 0.28 (the one Celeste.jl's catalog
// simulator uses, and the demo generator). P's 99 : 1 over-weighted stars to offset the galaxy
// model's extra freedom; K decides the type by evidence with the galaxy shape's Occam factor
// (inference/type_evidence.hpp), so it takes the sky's fraction. docs/decisions.md.
inline constexpr double kTypePriorK[2] = {0.28, 0.72};

struct ModelOptions {
  // "K": P with stars rendered by the survey's pixelized PSF where it has one (SDSS psField);
  // "P": the petascale-era published model exactly (stars are the PSF mixture). docs/config.md.
  std::string variant = "K";
  int psf_components = 2;              // Gaussian components per PSF (1..kMaxPsfComponents)
  // Unnormalized P(star), P(galaxy). Default: kTypePriorK in variant K, the specification's
  // (model.md §1.3) in P.
  std::array<double, 2> type_prior{kTypePriorK[0], kTypePriorK[1]};
};

// Trust-region Newton (model.md §6.2-6.3).
struct OptimizerOptions {
  int max_iterations = 50;
  double x_tol = 1e-7;
  double f_tol = 1e-6;
  double g_tol = 1e-8;
  double initial_radius = 1.0;
  double max_radius = 1e9;
};

// Joint inference and task decomposition (model.md §7).
struct InferenceOptions {
  int passes = 3;                 // block-coordinate passes over a region's sources
  long long seed = 42;            // Cyclades permutation seed
  int stages = 2;                 // shifted second partition
  long long region_target_pixels = 2'000'000;  // expected bright pixels per region
};

struct ExecutionOptions {
  std::string backend;  // "" = build default; "serial" | "openmp" | "cuda"
  int threads = 0;      // 0 = default (OMP_NUM_THREADS, else cores x threads_per_core)
  // Hardware threads used per core when the thread count is the default (1: one per core).
  int threads_per_core = 1;
  // Where the pixel data and ELBO scratch live: "auto" | "hbw" | "ddr"
  // (runtime/memory_placement.hpp).
  std::string memory = "auto";
  // Team shape of the fit kernel: threads per source × vector lanes per thread; 0 = the
  // backend's default (kernels/celeste/model/team_shape.hpp).
  int team_size = 0;
  int vector_length = 0;
  // Distributed runs: children per rank in the dynamic tree scheduler (docs/scheduling.md).
  int scheduler_fanout = 8;
  // Bound on the images a process keeps in memory (MB; 0 = the default, docs/config.md).
  double image_cache_mb = 0;
};

struct OutputOptions {
  std::string directory;
  std::string catalog_fits = "catalog.fits";
  std::string catalog_hdf5 = "catalog.h5";
  std::string report = "report.json";
  bool overwrite = true;
  double checkpoint_seconds = 300;  // long runs checkpoint at least this often
  bool model_images = false;  // model-NNN-B.fits per image: data, model, residual, chi
  // The log also in this file ("" none): a name in `directory`, or an absolute path
  // (util/log.hpp, docs/run.md "Log and progress").
  std::string log;
};

// `celeste run CONFIG.yaml`
struct RunConfig {
  std::string file;  // the YAML file it came from (for messages)
  std::vector<ImageSourceOptions> images;
  CatalogOptions catalog;
  std::optional<RegionOptions> region;
  ModelOptions model;
  OptimizerOptions optimizer;
  InferenceOptions inference;
  ExecutionOptions execution;
  OutputOptions output;
};

// `celeste generate CONFIG.yaml`: a synthetic survey drawn from the model.
struct GenerateConfig {
  std::string file;
  long long seed = 1;
  std::vector<std::string> bands = survey::all_band_names();
  int epochs = 1;                         // images per band
  // A mosaic of fields_x × fields_y overlapping fields (each image_size, neighbours sharing
  // field_overlap_px), all in one tangent projection: a multi-field survey (distributed runs).
  int fields_x = 1, fields_y = 1;
  int field_overlap_px = 64;
  int width = 256, height = 256;          // pixels (h along NAXIS1, w along NAXIS2)
  double ra_center = 0.0, dec_center = 0.0;  // degrees
  double pixel_scale_arcsec = 0.396;
  double epoch_offset_px = 0.0;           // max random pointing offset between epochs
  int source_count = 100;
  double star_fraction = 0.28;
  std::string truth_catalog;              // optional: render this catalog instead of sampling
  int psf_components = 2;
  double psf_sigma_px = 1.4;
  std::vector<double> sky_nmgy{0.2696, 0.3425, 0.7748, 1.6903, 4.9176};    // per band
  std::vector<double> iota{146.9, 838.1, 829.8, 597.2, 129.8};             // e-/nmgy per band
  std::string output_directory;
};

RunConfig load_run_config(const std::string& file);
GenerateConfig load_generate_config(const std::string& file);

}  // namespace celeste::config
