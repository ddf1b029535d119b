#pragma once
// SDSS psField KL eigen-PSF (model.md §10.4; data README "psField"): per band 4 eigenimages of
// 51 x 51 pixels whose weights are polynomials in the frame position.
#include <array>
#include <string>
#include <vector>

namespace celeste::io {

struct SdssEigenPsf {
  std::string source;  // "psField-...fit[HDU n]"
  int nrow_b = 0, ncol_b = 0;
  int rnrow = 0, rncol = 0;  // stamp size (51 x 51)
  std::vector<std::array<double, 25>> coeffs;  // per eigenimage, C in file order
  std::vector<std::vector<double>> eigen;      // per eigenimage, RROWS row-major [row][col]

  // The PSF stamp at 0-based frame pixel (row, col), row-major [row][col], rnrow x rncol,
  // unnormalized: Σ_i w_i eigen_i with w_i = Σ_{k<nrow_b, j<ncol_b} C_i[5k + j]
  // (0.001 (row + 0.5))^k (0.001 (col + 0.5))^j (orientation verified against
  // psf_reference/, see tests/io/test_sdss_psf.cpp and model.md §12 A5).
  std::vector<double> stamp_at(double row, double col) const;
};

// band 0..4 = u..z, HDU band + 2 in CFITSIO numbering. Throws InputError (file, HDU, column).
SdssEigenPsf read_sdss_eigen_psf(const std::string& psfield_path, int band);

}  // namespace celeste::io
