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

// warning_flags bits: a fit that ended normally but that a user should know about. Kept apart
// from optimizer::failure_flag (why a fit stopped abnormally) so that a parameter at its box
// bound, common on converged sources, is not counted as a failure (docs/io.md). CONTRACT:
// written to the catalog; append new bits, never renumber.
namespace warning_flag {
inline constexpr unsigned at_bound = 1u << 0;              // a parameter ended at its box bound
                                                           // (the fit's box_at_bound test)
inline constexpr unsigned sd_at_bound = 1u << 1;           // a mean parameter at its bound was
                                                           // conditioned on: its *_sd is NaN
inline constexpr unsigned sd_shape_conditioned = 1u << 2;  // -H not positive definite with the
                                                           // shape: the gal_*_sd are NaN
inline constexpr unsigned sd_mean_field = 1u << 3;         // not positive definite without it
                                                           // either: ra/dec/shape sds NaN, flux
                                                           // and colour sds mean-field
inline constexpr unsigned sd_unavailable = 1u << 4;        // no finite Hessian: as sd_mean_field

// Every bit with its name and meaning, in bit order (the failure bits' record type).
inline constexpr optimizer::failure_flag::NamedFlag kNamed[] = {
    {at_bound, "at_bound", "a parameter ended at its box bound"},
    {sd_at_bound, "sd_at_bound", "a parameter at its bound has no linear-response sd (NaN)"},
    {sd_shape_conditioned, "sd_shape_conditioned", "no shape sds (NaN): Hessian not definite"},
    {sd_mean_field, "sd_mean_field", "no position/shape sds (NaN), flux sds mean-field"},
    {sd_unavailable, "sd_unavailable", "no finite Hessian: as sd_mean_field"}};
}  // namespace warning_flag

struct SourceResult {
  std::int64_t objid = 0;
  double ra_init = 0, dec_init = 0;  // degrees (the catalog position it started from)
  std::array<double, kNumParams> params{};  // canonical parameters, 0-based (param_layout.hpp)
  int status_code = optimizer::not_fitted;  // optimizer::OptimizerStatus
  int iterations = 0;
  int failure_flags = 0;  // optimizer::failure_flag bits, without at_bound (a warning)
  int warning_flags = 0;  // warning_flag bits
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
