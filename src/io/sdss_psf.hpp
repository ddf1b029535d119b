#pragma once
// SDSS psField KL eigen-PSF (model.md §10.4; data README "psField"): per band 4 eigenimages of
// 51 x 51 pixels whose weights are polynomials in the frame position.
#include <string>

#include "survey/eigen_psf.hpp"

namespace celeste::io {

using SdssEigenPsf = survey::EigenPsf;

// band 0..4 = u..z, HDU band + 2 in CFITSIO numbering. Throws InputError (file, HDU, column).
SdssEigenPsf read_sdss_eigen_psf(const std::string& psfield_path, int band);

}  // namespace celeste::io
