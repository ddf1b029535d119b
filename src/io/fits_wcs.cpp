#include "io/fits_wcs.hpp"

#include <cmath>
#include <string>

#include "util/text_format.hpp"

namespace celeste::io {
namespace {

constexpr double kMaxDegPerPixel = 1.0;

std::string ij_key(const char* stem, int i, int j) {
  return stem + std::to_string(i + 1) + "_" + std::to_string(j + 1);
}

}  // namespace

survey::Wcs read_wcs(const FitsFile& file) {
  // Numeric WCS keywords are read by name first, so a missing, non-numeric or non-finite value
  // is reported with its keyword (WCSLIB's parser would only count it as rejected).
  auto finite_key = [&](const std::string& key) {
    const double v = file.read_double(key);
    if (!std::isfinite(v))
      file.fail_input("keyword " + key + " = " + std::to_string(v) + " is not a finite number",
                      key, std::to_string(v));
    return v;
  };
  for (const char* key : {"CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2"}) finite_key(key);
  bool has_cd = false, has_linear = false;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      for (const char* stem : {"CD", "PC"}) {
        const std::string key = ij_key(stem, i, j);
        if (!file.has_key(key)) continue;
        finite_key(key);
        has_linear = true;
        has_cd = has_cd || stem[0] == 'C';
      }
    }
    for (const std::string& key : {"CDELT" + std::to_string(i + 1), "CROTA" + std::to_string(i + 1)})
      if (file.has_key(key)) {
        finite_key(key);
        has_linear = has_linear || key[1] == 'D';
      }
  }
  if (!has_linear)
    file.fail_input("missing keyword CD1_1 (no CD matrix, PC matrix or CDELT in the WCS)",
                    "CD1_1");
  survey::Wcs wcs;
  try {
    wcs = survey::Wcs::from_header(file.header_keyrecords());
  } catch (const survey::WcsError& e) {
    file.fail_input(e.what(), e.keyword());
  }
  // A pixel scale of degrees per pixel (an arcsec value in degrees' place, say) is never a
  // survey image, and no projection of a survey image is meaningful that far out.
  const auto& m = wcs.cd();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      if (std::abs(m[i][j]) > kMaxDegPerPixel) {
        const std::string key = has_cd ? ij_key("CD", i, j) : "CDELT" + std::to_string(i + 1);
        const std::string what =
            has_cd ? "keyword " + key + " = " : "the matrix element " + ij_key("PC", i, j) +
                                                     " x CDELT" + std::to_string(i + 1) + " = ";
        file.fail_input(what + format_significant(m[i][j]) + " deg/pixel is outside [-" +
                            format_significant(kMaxDegPerPixel) + ", " +
                            format_significant(kMaxDegPerPixel) + "]",
                        key, format_significant(m[i][j]));
      }
  return wcs;
}

void write_wcs(FitsFile& file, const survey::Wcs& wcs) {
  for (const std::string& card : wcs.header_keyrecords()) file.write_keyrecord(card);
}

}  // namespace celeste::io
