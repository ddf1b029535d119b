#include "app/survey_files.hpp"

#include <filesystem>

#include "io/catalog_entries.hpp"
#include "io/generic_images.hpp"
#include "score/truth_catalog.hpp"
#include "survey/image.hpp"
#include "util/error.hpp"

namespace celeste::app {

std::optional<survey::Catalog> read_given_truth(const config::GenerateConfig& cfg) {
  if (cfg.truth_catalog.empty()) return std::nullopt;
  return io::read_catalog_entries(cfg.truth_catalog);
}

std::vector<std::string> write_survey(const model::SyntheticSurvey& survey,
                                      const config::GenerateConfig& cfg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(cfg.output_directory, ec);
  if (ec)
    throw InputError(cfg.output_directory + ": cannot create output directory: " + ec.message());
  std::vector<std::string> written;
  for (int b = 0; b < kNumBands; ++b) {
    std::vector<survey::Image> band_images;
    for (const auto& im : survey.images)
      if (im.band == b) band_images.push_back(im);
    if (band_images.empty()) continue;
    const std::string path =
        (fs::path(cfg.output_directory) / ("survey-" + std::string(survey::kBandNames[b]) + ".fits"))
            .string();
    io::write_generic_images(path, band_images);
    written.push_back(path);
  }
  std::vector<score::CoaddTruthRow> rows;
  for (const auto& e : survey.truth) rows.push_back(score::coadd_truth_row_from_entry(e));
  const auto dir = fs::path(cfg.output_directory);
  score::write_coadd_truth((dir / "truth.fits").string(), rows);
  io::write_catalog_entries((dir / "truth-catalog.fits").string(), survey.truth);
  io::write_catalog_entries((dir / "init-catalog.fits").string(), survey.initial);
  for (const char* f : {"truth.fits", "truth-catalog.fits", "init-catalog.fits"})
    written.push_back((dir / f).string());
  return written;
}

}  // namespace celeste::app
