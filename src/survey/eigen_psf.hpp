#pragma once
// A pixelized PSF that varies over the image as a polynomial-weighted sum of eigen-images
// (SDSS psField KL basis, model.md §10.4; data README "psField"): per eigenimage i a
// rnrow x rncol stamp and weights w_i(row, col) = Σ_{k<nrow_b, j<ncol_b} C_i[5k + j]
// (0.001 (row + 0.5))^k (0.001 (col + 0.5))^j at 0-based frame pixel (row, col)
// (orientation verified against psf_reference/: tests/io/test_sdss_psf.cpp, model.md §12 A5).
#include <array>
#include <string>
#include <vector>

namespace celeste::survey {

struct EigenPsf {
  std::string source;  // where it came from, for messages: "psField-...fit[HDU n]"
  int nrow_b = 0, ncol_b = 0;
  int rnrow = 0, rncol = 0;                    // stamp size (51 x 51 for SDSS); 0: none
  std::vector<std::array<double, 25>> coeffs;  // per eigenimage, C in file order
  std::vector<std::vector<double>> eigen;      // per eigenimage, row-major [row][col]

  bool empty() const { return rnrow == 0 || eigen.empty(); }
  // The PSF stamp at 0-based frame pixel (row, col), row-major [row][col], rnrow x rncol,
  // unnormalized.
  std::vector<double> stamp_at(double row, double col) const;
};

}  // namespace celeste::survey
