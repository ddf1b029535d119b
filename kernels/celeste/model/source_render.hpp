#pragma once
// Value-only rendering of a source at a pixel: the unit-flux star and galaxy profiles and the
// brightness moments combined into E[G_s] and E[G_s²] (model.md §4.2). Used for the fixed
// neighbours' background of an ELBO task and by the synthetic survey generator; the derivative
// path is elbo_pixel.hpp.
#include <Kokkos_Core.hpp>

#include "celeste/model/brightness.hpp"
#include "celeste/model/components.hpp"
#include "celeste/model/linear_wcs.hpp"
#include "celeste/model/shape.hpp"
#include "celeste/model/star_stamp.hpp"
#include "celeste/param_layout.hpp"

namespace celeste::model {

// Star components [0, K) then galaxy components [K, 15K) of one patch, for shape `shape_cov`.
KOKKOS_INLINE_FUNCTION int build_patch_components(const PsfGaussian* psf, int K,
                                                  const double shape_cov[3],
                                                  ProfileComponent* comps) {
  const GalaxyPrototypes proto = galaxy_prototypes();
  for (int k = 0; k < K; ++k) comps[k] = star_component(psf[k]);
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < kNumProfileComponents; ++j)
      comps[K + k * kNumProfileComponents + j] = galaxy_component(psf[k], proto, j, shape_cov);
  return K * (1 + kNumProfileComponents);
}

// Unit-flux profiles at pixel offset (dh, dw) from the source centre. The star profile is the
// pixelized stamp when stamp_n > 0 (star_stamp.hpp), else the K PSF components.
KOKKOS_INLINE_FUNCTION void profile_values(const ProfileComponent* comps, int K, double frac_dev,
                                           const double* stamp, int stamp_n, double dh, double dw,
                                           double& f_star, double& f_gal) {
  f_star = 0;
  if (stamp_n > 0)
    f_star = star_stamp_value(stamp, stamp_n, dh, dw);
  else
    for (int k = 0; k < K; ++k) f_star += component_value(comps[k], dh, dw);
  double dev = 0, ex = 0;
  for (int c = K; c < K * (1 + kNumProfileComponents); ++c) {
    const double v = component_value(comps[c], dh, dw);
    if (comps[c].is_dev)
      dev += v;
    else
      ex += v;
  }
  f_gal = frac_dev * dev + (1.0 - frac_dev) * ex;
}

// E[G_s] and E[G_s²] (nmgy, nmgy²) from the profiles and the band's brightness moments.
KOKKOS_INLINE_FUNCTION void source_moments(const double* theta, const Brightness& b,
                                           double f_star, double f_gal, double& mean,
                                           double& second) {
  const double chi0 = theta[param::chi(0)], chi1 = theta[param::chi(1)];
  mean = chi0 * b.E[0] * f_star + chi1 * b.E[1] * f_gal;
  second = chi0 * b.E2[0] * f_star * f_star + chi1 * b.E2[1] * f_gal * f_gal;
}

}  // namespace celeste::model
