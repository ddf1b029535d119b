#include "survey/eigen_psf.hpp"

#include <cmath>

namespace celeste::survey {

std::vector<double> EigenPsf::stamp_at(double row, double col) const {
  std::vector<double> out(static_cast<std::size_t>(rnrow) * rncol, 0.0);
  const double y = 0.001 * (row + 0.5), x = 0.001 * (col + 0.5);
  for (std::size_t i = 0; i < eigen.size(); ++i) {
    double w = 0;
    for (int k = 0; k < nrow_b; ++k)
      for (int j = 0; j < ncol_b; ++j)
        w += coeffs[i][5 * k + j] * std::pow(y, k) * std::pow(x, j);
    for (std::size_t p = 0; p < out.size(); ++p) out[p] += w * eigen[i][p];
  }
  return out;
}

}  // namespace celeste::survey
