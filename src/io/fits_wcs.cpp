#include "io/fits_wcs.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::io {
namespace {

constexpr double kMaxDegPerPixel = 1.0;

}  // namespace

survey::TanWcs read_tan_wcs(const FitsFile& file) {
  const char* expected_ctype[2] = {"RA---TAN", "DEC--TAN"};
  for (int i = 0; i < 2; ++i) {
    const std::string key = "CTYPE" + std::to_string(i + 1);
    if (file.has_key(key) && file.read_string(key) != expected_ctype[i])
      file.fail_input("keyword " + key + " = '" + file.read_string(key) + "': only a TAN WCS (" +
                      expected_ctype[i] + ") is supported");
  }
  // Each value is checked by name, so the message says which keyword is wrong and why.
  auto finite_key = [&](const std::string& key) {
    const double v = file.read_double(key);
    if (!std::isfinite(v))
      file.fail_input("keyword " + key + " = " + std::to_string(v) + " is not a finite number",
                      key, std::to_string(v));
    return v;
  };
  const std::array<double, 2> crpix{finite_key("CRPIX1"), finite_key("CRPIX2")};
  const std::array<double, 2> crval{finite_key("CRVAL1"), finite_key("CRVAL2")};
  if (std::abs(crval[1]) > 90)
    file.fail_input("keyword CRVAL2 = " + format_significant(crval[1]) +
                        " is outside [-90, 90] (the reference declination, degrees)",
                    "CRVAL2", format_significant(crval[1]));
  std::array<std::array<double, 2>, 2> cd{{{0, 0}, {0, 0}}};
  const bool has_cd = file.has_key("CD1_1") || file.has_key("CD1_2") || file.has_key("CD2_1") ||
                      file.has_key("CD2_2");
  if (has_cd) {
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const std::string key = "CD" + std::to_string(i + 1) + "_" + std::to_string(j + 1);
        cd[i][j] = file.has_key(key) ? finite_key(key) : 0.0;
      }
  } else if (file.has_key("CDELT1") || file.has_key("CDELT2")) {
    cd[0][0] = finite_key("CDELT1");
    cd[1][1] = finite_key("CDELT2");
  } else {
    file.fail_input("missing keyword CD1_1 (no CD matrix or CDELT in the TAN WCS)", "CD1_1");
  }
  const double det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  if (!survey::TanWcs::cd_usable(cd))
    file.fail_input("the CD matrix (CD1_1 " + format_significant(cd[0][0]) + ", CD1_2 " +
                        format_significant(cd[0][1]) + ", CD2_1 " + format_significant(cd[1][0]) +
                        ", CD2_2 " + format_significant(cd[1][1]) + ") is singular (determinant " +
                        format_significant(det) + "): no pixel scale",
                    "CD1_1", format_significant(cd[0][0]));
  // A TAN projection is only meaningful up to 90 degrees from its centre; a pixel scale of
  // degrees per pixel (an arcsec value in degrees' place, say) is never a survey image.
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      if (std::abs(cd[i][j]) > kMaxDegPerPixel) {
        const std::string key = "CD" + std::to_string(i + 1) + "_" + std::to_string(j + 1);
        file.fail_input("keyword " + key + " = " + format_significant(cd[i][j]) +
                            " deg/pixel is outside [-" + format_significant(kMaxDegPerPixel) +
                            ", " + format_significant(kMaxDegPerPixel) + "]",
                        key, format_significant(cd[i][j]));
      }
  try {
    return survey::TanWcs(crpix, crval, cd);
  } catch (const std::invalid_argument& e) {
    file.fail_input(std::string("WCS unusable: ") + e.what());
  }
}

void write_tan_wcs(FitsFile& file, const survey::TanWcs& wcs) {
  file.write_key("CTYPE1", "RA---TAN", "TANgent plane");
  file.write_key("CTYPE2", "DEC--TAN", "TANgent plane");
  file.write_key("CRVAL1", wcs.crval()[0], "Reference RA (deg)");
  file.write_key("CRVAL2", wcs.crval()[1], "Reference Dec (deg)");
  file.write_key("CRPIX1", wcs.crpix()[0], "Reference pixel, axis 1 (1-based)");
  file.write_key("CRPIX2", wcs.crpix()[1], "Reference pixel, axis 2 (1-based)");
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      file.write_key("CD" + std::to_string(i + 1) + "_" + std::to_string(j + 1), wcs.cd()[i][j],
                     "CD matrix (deg/pixel)");
}

}  // namespace celeste::io
