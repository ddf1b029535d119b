#include "io/fits_wcs.hpp"

#include <stdexcept>

#include "util/error.hpp"

namespace celeste::io {

survey::TanWcs read_tan_wcs(const FitsFile& file) {
  const char* expected_ctype[2] = {"RA---TAN", "DEC--TAN"};
  for (int i = 0; i < 2; ++i) {
    const std::string key = "CTYPE" + std::to_string(i + 1);
    if (file.has_key(key) && file.read_string(key) != expected_ctype[i])
      file.fail_input("keyword " + key + " = '" + file.read_string(key) + "': only a TAN WCS (" +
                      expected_ctype[i] + ") is supported");
  }
  const std::array<double, 2> crpix{file.read_double("CRPIX1"), file.read_double("CRPIX2")};
  const std::array<double, 2> crval{file.read_double("CRVAL1"), file.read_double("CRVAL2")};
  std::array<std::array<double, 2>, 2> cd{{{0, 0}, {0, 0}}};
  const bool has_cd = file.has_key("CD1_1") || file.has_key("CD1_2") || file.has_key("CD2_1") ||
                      file.has_key("CD2_2");
  if (has_cd) {
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const std::string key = "CD" + std::to_string(i + 1) + "_" + std::to_string(j + 1);
        cd[i][j] = file.has_key(key) ? file.read_double(key) : 0.0;
      }
  } else if (file.has_key("CDELT1") || file.has_key("CDELT2")) {
    cd[0][0] = file.read_double("CDELT1");
    cd[1][1] = file.read_double("CDELT2");
  } else {
    file.fail_input("missing keyword CD1_1 (no CD matrix or CDELT in the TAN WCS)");
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
