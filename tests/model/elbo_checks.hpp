#pragma once
// Scaled error norms used by the derivative tests. Every parameter is measured in its natural
// unit D_p (1e-4 deg ≈ 0.9 px for ra/dec, 1 otherwise), so no parameter's large raw derivative
// (∂/∂ra is ~1e4 per degree-pixel) hides errors in the others:
//   gradient: ‖D(a − b)‖_∞ / ‖D b‖_∞,   Hessian: max|D(A − B)D| / max|D B D|.
#include <array>
#include <cmath>
#include <vector>

#include "celeste/param_layout.hpp"

namespace celeste::testing {

inline double param_unit(int p) { return p == param::ra || p == param::dec ? 1e-4 : 1.0; }

inline double scaled_gradient_error(const double* a, const double* b, int n = kNumParams) {
  double num = 0, den = 0;
  for (int p = 0; p < n; ++p) {
    num = std::fmax(num, std::fabs(param_unit(p) * (a[p] - b[p])));
    den = std::fmax(den, std::fabs(param_unit(p) * b[p]));
  }
  return num / den;
}

inline double scaled_hessian_error(const double* A, const double* B, int n = kNumParams) {
  double num = 0, den = 0;
  for (int p = 0; p < n; ++p)
    for (int q = 0; q < n; ++q) {
      const double s = param_unit(p) * param_unit(q);
      num = std::fmax(num, std::fabs(s * (A[p * n + q] - B[p * n + q])));
      den = std::fmax(den, std::fabs(s * B[p * n + q]));
    }
  return num / den;
}

}  // namespace celeste::testing
