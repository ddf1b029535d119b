#pragma once
// A source's pixel position from its (ra, dec) through a patch's local linear WCS: the one
// place this map is written (model.md §2.3). Patches linearize the image WCS at a reference
// world position u0 with pixel position p0 and Jacobian jac = ∂(h, w)/∂(ra, dec), row-major.
#include <Kokkos_Core.hpp>

#include "celeste/param_layout.hpp"

namespace celeste::model {

KOKKOS_INLINE_FUNCTION void source_center(const double* theta, const double p0[2],
                                          const double u0[2], const double jac[4],
                                          double center[2]) {
  const double du0 = theta[param::ra] - u0[0], du1 = theta[param::dec] - u0[1];
  center[0] = p0[0] + jac[0] * du0 + jac[1] * du1;
  center[1] = p0[1] + jac[2] * du0 + jac[3] * du1;
}

}  // namespace celeste::model
