// `celeste generate CONFIG.yaml`: draw a synthetic survey from the model and write it.
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "app/cli.hpp"
#include "app/survey_files.hpp"
#include "config/options.hpp"
#include "model/generator.hpp"
#include "util/error.hpp"

namespace celeste::app {
namespace {

std::string gigabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
  return buf;
}

// Memory the process may use: physical memory, or less under an address-space limit.
double usable_memory_bytes() {
  double bytes = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                 static_cast<double>(::sysconf(_SC_PAGESIZE));
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_AS, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    bytes = std::min(bytes, static_cast<double>(lim.rlim_cur));
  return bytes;
}

// Free bytes on the file system that will hold `dir` (its nearest existing ancestor).
double free_disk_bytes(const std::string& dir) {
  namespace fs = std::filesystem;
  fs::path p = fs::absolute(dir);
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0) return -1;  // unknown: do not refuse
  return static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
}

// The survey is rendered in memory, then written one band at a time (model/generator.hpp,
// app/survey_files.cpp): every image's pixels and sky (float, 8 bytes per pixel), a copy of
// the band being written (8 bytes per pixel of its epochs) and one image's write buffers
// (double sky and calibration, float image and inverse variance: 24 bytes per pixel) plus the
// renderer's double buffer of one image (8 bytes per pixel). On disk each image is a float
// image and a float inverse variance: 8 bytes per pixel. Checked before any work, so an
// oversized request is an error naming the keys, not a std::bad_alloc minutes later.
void check_generate_size(const config::GenerateConfig& cfg) {
  const double pixels = static_cast<double>(cfg.width) * cfg.height;
  const double images =
      static_cast<double>(cfg.bands.size()) * cfg.epochs * cfg.fields_x * cfg.fields_y;
  const double memory = pixels * (8.0 * images + 8.0 * cfg.epochs + 32.0) +
                        2.0 * cfg.source_count * sizeof(survey::CatalogEntry);
  const std::string request =
      "generate.image_size [" + std::to_string(cfg.width) + ", " + std::to_string(cfg.height) +
      "] x generate.epochs " + std::to_string(cfg.epochs) + " x generate.fields " +
      std::to_string(cfg.fields_x * cfg.fields_y) + " x " +
      std::to_string(cfg.bands.size()) + " band(s) (generate.bands) = " +
      std::to_string(static_cast<long long>(pixels * images)) + " pixels";
  const ErrorSite site{cfg.file, 0, 0, "generate.image_size",
                       std::to_string(cfg.width) + "x" + std::to_string(cfg.height)};
  const double have = usable_memory_bytes();
  if (have > 0 && memory > have)
    throw ConfigError(cfg.file + ": " + request + " need about " + gigabytes(memory) +
                          " of memory (" + std::to_string(static_cast<long long>(memory)) +
                          " bytes); this machine allows " + gigabytes(have) +
                          ". Use fewer or smaller images.",
                      site);
  const double disk = 8.0 * pixels * images;
  const double free = free_disk_bytes(cfg.output_directory);
  if (free >= 0 && disk > free)
    throw ConfigError(cfg.file + ": " + request + " need about " + gigabytes(disk) +
                          " of disk (" + std::to_string(static_cast<long long>(disk)) +
                          " bytes) in output.directory " + cfg.output_directory + ", which has " +
                          gigabytes(free) + " free",
                      site);
}

}  // namespace

int cmd_generate(CommandArgs& a) {
  if (a.args.size() != 1 || a.args[0].rfind("--", 0) == 0)
    throw UsageError("generate: expected exactly one argument, CONFIG.yaml");
  const auto cfg = config::load_generate_config(a.args[0]);
  check_generate_size(cfg);
  const auto survey = model::generate_survey(cfg, read_given_truth(cfg));
  const auto files = write_survey(survey, cfg);
  std::size_t stars = 0;
  for (const auto& e : survey.truth) stars += e.is_star ? 1 : 0;
  std::printf("generated %zu sources (%zu stars, %zu galaxies) in %zu images (%zu bands x %d "
              "epochs x %d fields, %dx%d px)\n",
              survey.truth.size(), stars, survey.truth.size() - stars, survey.images.size(),
              cfg.bands.size(), cfg.epochs, cfg.fields_x * cfg.fields_y, cfg.width, cfg.height);
  for (const auto& f : files) std::printf("  wrote %s\n", f.c_str());
  return kExitOk;
}

}  // namespace celeste::app
