#include "app/survey_files.hpp"

#include <cstdio>
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
  // One file per band (its epochs), and per field of a mosaic: survey-r.fits, or
  // survey-r-f003.fits for field 3 (fields numbered along x first).
  const int fields = cfg.fields_x * cfg.fields_y;
  for (int f = 0; f < fields; ++f)
    for (int b = 0; b < kNumBands; ++b) {
      std::vector<survey::Image> images;
      for (const auto& im : survey.images)
        if (im.band == b && im.field == f) images.push_back(im);
      if (images.empty()) continue;
      char field_suffix[16] = "";
      if (fields > 1) std::snprintf(field_suffix, sizeof field_suffix, "-f%03d", f);
      const std::string name =
          "survey-" + std::string(survey::kBandNames[b]) + field_suffix + ".fits";
      const std::string path = (fs::path(cfg.output_directory) / name).string();
      io::write_generic_images(path, images);
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
