#include "inference/output_plan.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "celeste/param_layout.hpp"
#include "celeste/version.hpp"
#include "inference/checkpoint.hpp"
#include "io/atomic_file.hpp"
#include "io/input_warning.hpp"
#include "survey/bands.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/paths.hpp"

namespace celeste::inference {
namespace fs = std::filesystem;
namespace {

// The names output.model_images writes (model_image_path).
bool is_model_image_name(const std::string& name) {
  static const std::regex pattern("model-[0-9]{3}-[ugriz]\\.fits");
  return std::regex_match(name, pattern);
}

}  // namespace

std::vector<std::string> run_input_files(const config::RunConfig& cfg) {
  std::vector<std::string> files{cfg.file, cfg.catalog.path};
  for (const auto& src : cfg.images) {
    if (src.format == "generic") {
      files.insert(files.end(), src.paths.begin(), src.paths.end());
    } else {
      std::error_code ec;
      std::vector<std::string> in_dir;
      for (const auto& e : fs::directory_iterator(src.directory, ec))
        if (e.is_regular_file(ec)) in_dir.push_back(e.path().string());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    }
  }
  return files;
}

std::string model_image_path(const OutputPlan& plan, int n, int band) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%03d-%s.fits", n + 1, survey::kBandNames[band]);
  return (fs::path(plan.directory) / name).string();
}

OutputPlan plan_outputs(const config::RunConfig& cfg, bool prepare_folder) {
  const config::OutputOptions& o = cfg.output;
  OutputPlan plan;
  plan.directory = o.directory;
  plan.model_images = o.model_images;
  auto in_dir = [&](const std::string& name) { return (fs::path(o.directory) / name).string(); };
  plan.catalog_fits = in_dir(o.catalog_fits);
  plan.catalog_hdf5 = in_dir(o.catalog_hdf5);
  plan.report = in_dir(o.report);
  plan.checkpoint = in_dir(kCheckpointName);
  if (!o.log.empty()) plan.log = in_dir(o.log);  // an absolute path stays as it is
  plan.input_files = run_input_files(cfg);

  // Distinct outputs. Model image names are model-NNN-B.fits: the named outputs must not look
  // like one.
  struct Named {
    const char* key;
    const std::string* path;
  };
  std::vector<Named> named{{"output.catalog_fits", &plan.catalog_fits},
                           {"output.catalog_hdf5", &plan.catalog_hdf5},
                           {"output.report", &plan.report},
                           {"the checkpoint", &plan.checkpoint}};
  if (!plan.log.empty()) named.push_back({"output.log", &plan.log});
  for (std::size_t i = 0; i < named.size(); ++i) {
    for (std::size_t j = i + 1; j < named.size(); ++j)
      if (same_file(*named[i].path, *named[j].path))
        throw ConfigError(cfg.file + ": " + named[i].key + " and " + named[j].key +
                          " are the same file (" + *named[i].path +
                          "); each output needs its own name");
    const std::string name = fs::path(*named[i].path).filename().string();
    if (plan.model_images && is_model_image_name(name))
      throw ConfigError(cfg.file + ": " + named[i].key + " '" + name +
                        "' has the form of a model image (model-NNN-B.fits), which "
                        "output.model_images writes");
    for (const auto& input : plan.input_files)
      if (same_file(*named[i].path, input))
        throw ConfigError(cfg.file + ": " + named[i].key + " (" + *named[i].path +
                          ") is an input of this run; writing it would destroy the input");
  }
  if (plan.model_images)
    for (const auto& input : plan.input_files)
      if (same_file(fs::path(input).parent_path().string(), o.directory)) {
        if (is_model_image_name(fs::path(input).filename().string()))
          throw ConfigError(cfg.file + ": input " + input +
                            " has a model image's name in output.directory; "
                            "output.model_images would overwrite it");
      }

  if (!o.overwrite)
    for (const auto& n : named)
      // The log is checked when it is opened: --resume appends to it (run_pipeline.cpp).
      if (n.path != &plan.checkpoint && n.path != &plan.log && fs::exists(*n.path))
        throw ConfigError(cfg.file + ": output.overwrite is false and " + *n.path + " exists");

  if (!prepare_folder) return plan;
  // The folder: created, writable (probe), stale temporaries removed.
  std::error_code ec;
  fs::create_directories(o.directory, ec);
  if (ec)
    throw InputError(o.directory + ": cannot create the output folder (output.directory): " +
                     ec.message());
  if (!fs::is_directory(o.directory, ec))
    throw InputError(o.directory + ": output.directory is not a folder");
  const std::string probe = in_dir(".celeste-probe-" + std::to_string(::getpid()));
  {
    std::FILE* f = std::fopen(probe.c_str(), "w");
    const bool ok = f && std::fputs("probe\n", f) >= 0;
    const int err = errno;
    if (f) std::fclose(f);
    std::remove(probe.c_str());
    if (!ok)
      throw InputError(o.directory + ": the output folder is not writable: " +
                       std::strerror(err));
  }
  for (const auto& stale : io::remove_stale_temporaries(o.directory))
    log::info("celeste run: removed " + stale + ", a temporary file of an interrupted run");
  return plan;
}

void check_free_space(const OutputPlan& plan, std::uintmax_t bytes) {
  std::error_code ec;
  const fs::space_info sp = fs::space(plan.directory, ec);
  if (ec) return;  // no figure to check against (some file systems); the writes will tell
  if (sp.available < bytes)
    throw InputError(plan.directory + ": not enough free space for the outputs: " +
                     std::to_string(bytes / 1048576 + 1) + " MiB needed, " +
                     std::to_string(sp.available / 1048576) + " MiB available");
}

std::uintmax_t expected_output_bytes(const OutputPlan& plan, long targets, long sources,
                                     const std::vector<long>& image_pixels) {
  // ~70 columns of ≤ 8 bytes, twice (FITS + HDF5), plus headers; the checkpoint keeps ~800 B
  // per catalog source; model images: 4 float HDUs per image.
  constexpr std::uintmax_t kCatalogRowBytes = 70 * 8, kHeaderBytes = 1 << 20;
  constexpr std::uintmax_t kCheckpointSourceBytes = 2 * sizeof(double) * kNumParams + 64;
  std::uintmax_t bytes = 2 * kCatalogRowBytes * static_cast<std::uintmax_t>(targets) +
                         kCheckpointSourceBytes * static_cast<std::uintmax_t>(sources) +
                         4 * kHeaderBytes;
  if (plan.model_images)
    for (long px : image_pixels) bytes += 4 * 4 * static_cast<std::uintmax_t>(px) + kHeaderBytes;
  return bytes;
}

std::uint64_t run_fingerprint(const config::RunConfig& cfg, const OutputPlan& plan) {
  std::uint64_t h = kFnvOffset;
  const std::string version = CELESTE_VERSION_STRING;
  h = fnv1a(version.data(), version.size(), h);
  std::ifstream in(cfg.file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  h = fnv1a(text.data(), text.size(), h);
  for (const auto& f : plan.input_files) {
    const std::string p = canonical_path(f);
    h = fnv1a(p.data(), p.size() + 1, h);
    std::error_code ec;
    const auto size = static_cast<std::uint64_t>(fs::file_size(f, ec));
    const auto mtime = ec ? 0 : fs::last_write_time(f, ec).time_since_epoch().count();
    h = fnv1a(&size, sizeof size, h);
    const auto m = static_cast<std::int64_t>(mtime);
    h = fnv1a(&m, sizeof m, h);
  }
  return h;
}

}  // namespace celeste::inference
