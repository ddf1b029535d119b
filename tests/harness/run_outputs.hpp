#pragma once
// Inputs and outputs of end-to-end runs shared by the e2e tests: a synthetic survey written as
// the generic files a run config names, bitwise catalog comparison, and an SDSS sky box.
#include <string>

#include "config/options.hpp"
#include "harness/celeste_exe.hpp"
#include "survey/catalog.hpp"

namespace celeste::testing {

// The survey `cfg` generates, in `dir`: one generic image file per band, `<band>.fits` (all
// its fields and epochs), and the perturbed initial catalog `init.fits`.
void write_generic_survey(const std::string& dir, const config::GenerateConfig& cfg);

// Every numeric column of two catalog FITS files, bit for bit (`what` names the comparison).
void expect_same_catalog(const std::string& a, const std::string& b, const std::string& what = "");

// A run config's `region:` block: the RA slice [ra_from, ra_to] (fractions of the span) of
// `catalog`'s bounding box, over its whole Dec range (1e-3 deg margin).
std::string catalog_region_yaml(const survey::Catalog& catalog, double ra_from, double ra_to);

// The catalog pair opened in Python as a user would (tests/python/check_catalog_outputs.py:
// astropy and h5py, every warning an error). Runs /usr/bin/python3, else the python3 on PATH,
// whichever imports astropy and h5py (scripts/setup installs Debian's python3-astropy and
// python3-h5py); when neither does, the result says so with status 127: a failure, not a skip.
CommandResult check_catalog_in_python(const std::string& fits_path, const std::string& h5_path);

}  // namespace celeste::testing
