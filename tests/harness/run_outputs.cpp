#include "harness/run_outputs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "io/generic_images.hpp"
#include "model/generator.hpp"
#include "survey/bands.hpp"

namespace celeste::testing {

void write_generic_survey(const std::string& dir, const config::GenerateConfig& cfg) {
  const auto survey = model::generate_survey(cfg);
  for (const auto& band : cfg.bands) {
    std::vector<survey::Image> images;
    for (const auto& im : survey.images)
      if (im.band == survey::band_index(band)) images.push_back(im);
    io::write_generic_images(dir + "/" + band + ".fits", images);
  }
  io::write_catalog_entries(dir + "/init.fits", survey.initial);
}

void expect_same_catalog(const std::string& a, const std::string& b, const std::string& what) {
  const auto ca = io::read_catalog_columns(a), cb = io::read_catalog_columns(b);
  ASSERT_EQ(ca.size(), cb.size()) << what;
  for (const auto& [name, va] : ca) {
    const auto& vb = cb.at(name);
    ASSERT_EQ(va.size(), vb.size()) << what << ": " << name;
    EXPECT_EQ(0, std::memcmp(va.data(), vb.data(), va.size() * sizeof(double)))
        << what << (what.empty() ? "" : ": ") << "column " << name << " differs";
  }
}

std::string catalog_region_yaml(const survey::Catalog& catalog, double ra_from, double ra_to) {
  double ra_lo = 1e9, ra_hi = -1e9, dec_lo = 1e9, dec_hi = -1e9;
  for (const auto& e : catalog) {
    ra_lo = std::min(ra_lo, e.ra);
    ra_hi = std::max(ra_hi, e.ra);
    dec_lo = std::min(dec_lo, e.dec);
    dec_hi = std::max(dec_hi, e.dec);
  }
  const double span = ra_hi - ra_lo;
  char region[256];
  std::snprintf(region, sizeof region, "region:\n  ra: [%.10f, %.10f]\n  dec: [%.10f, %.10f]\n",
                ra_lo + ra_from * span, ra_lo + ra_to * span, dec_lo - 1e-3, dec_hi + 1e-3);
  return region;
}

CommandResult check_catalog_in_python(const std::string& fits_path, const std::string& h5_path) {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(python) + " -c 'import astropy, h5py' >/dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) continue;
    return run_shell(std::string(python) + " " CELESTE_SOURCE_DIR
                     "/tests/python/check_catalog_outputs.py '" + fits_path + "' '" + h5_path +
                     "'");
  }
  return {127, "no python3 with astropy and h5py (/usr/bin/python3 or PATH); scripts/setup "
               "installs Debian's python3-astropy and python3-h5py"};
}

}  // namespace celeste::testing
