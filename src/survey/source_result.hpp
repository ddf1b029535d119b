#pragma once
// The raw result of fitting one target source (model.md §8.3): its initial position, the 44
// canonical variational parameters (layout kernels/celeste/param_layout.hpp) and how the
// optimizer ended. io/catalog_columns turns these into catalog rows.
#include <array>
#include <cstdint>
#include <limits>

#include "celeste/optimizer/status.hpp"
#include "celeste/param_layout.hpp"

namespace celeste::survey {

struct SourceResult {
  std::int64_t objid = 0;
  double ra_init = 0, dec_init = 0;  // degrees (the catalog position it started from)
  std::array<double, kNumParams> params{};  // canonical parameters, 0-based (param_layout.hpp)
  int status_code = optimizer::not_fitted;  // optimizer::OptimizerStatus
  int iterations = 0;
  int failure_flags = 0;  // optimizer::failure_flag bits
  double elbo = 0, elbo_gain = 0, grad_norm = 0;
  bool bad_sky = false;  // model.md §8.3
  // Galaxy major-axis position angle on the sky, degrees east of north in [0, 180), from φ
  // (pixel coordinates) through the WCS at the source; NaN when unknown.
  double gal_position_angle_deg = std::numeric_limits<double>::quiet_NaN();
  // Linear-response posterior sds by canonical index (kernels/celeste/model/linear_response.hpp;
  // position in degrees); NaN where not computed (the catalog then uses the mean-field sds).
  std::array<double, kNumParams> lr_sd = nan_array();

  static std::array<double, kNumParams> nan_array() {
    std::array<double, kNumParams> a;
    a.fill(std::numeric_limits<double>::quiet_NaN());
    return a;
  }
};

}  // namespace celeste::survey
