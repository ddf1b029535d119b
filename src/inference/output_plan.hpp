#pragma once
// The run's output files, decided and checked before any work (docs/run.md "Outputs"):
//   - every output path (catalog FITS, catalog HDF5, report, checkpoint, model images) is
//     distinct from the others and from every input file (config, catalog, images);
//   - the output folder exists or can be created and is writable (a probe file is written and
//     removed); output.overwrite: false refuses existing outputs;
//   - stale temporaries of killed runs in that folder are removed;
//   - once the inputs are loaded, free space is checked against the expected output size.
// Problems are ConfigError (exit 2: the configuration names them) or InputError (exit 1: the
// file system refuses), naming the paths.
#include <cstdint>
#include <string>
#include <vector>

#include "config/options.hpp"

namespace celeste::inference {

inline constexpr const char* kCheckpointName = "checkpoint.ckpt";

struct OutputPlan {
  std::string directory;
  std::string catalog_fits, catalog_hdf5, report, checkpoint;  // full paths
  std::string log;  // output.log's full path; "" without one
  bool model_images = false;
  std::vector<std::string> input_files;  // what the run reads (for the fingerprint too)
};

// The files a run's config makes it read: config, catalog, generic image files, and every
// regular file of each SDSS field folder.
std::vector<std::string> run_input_files(const config::RunConfig& cfg);

// Validates and prepares the output folder (see above). Prints a note for stale temporaries.
// With prepare_folder false (the other ranks of a distributed run) only the names are checked:
// rank 0 alone creates, probes and cleans the folder.
OutputPlan plan_outputs(const config::RunConfig& cfg, bool prepare_folder = true);

// model-NNN-B.fits for image n (0-based) of band b.
std::string model_image_path(const OutputPlan& plan, int n, int band);

// InputError when the output folder has less than `bytes` available.
void check_free_space(const OutputPlan& plan, std::uintmax_t bytes);

// Expected bytes of the output set: catalogs (FITS + HDF5), report, checkpoint, model images.
std::uintmax_t expected_output_bytes(const OutputPlan& plan, long targets, long sources,
                                     const std::vector<long>& image_pixels);

// A hash of what determines the run's result: the config file's bytes, the software version,
// and every input file's path, size and modification time (resume refuses a checkpoint of a
// different run).
std::uint64_t run_fingerprint(const config::RunConfig& cfg, const OutputPlan& plan);

}  // namespace celeste::inference
