#pragma once
// Per-patch Gaussian components of a source's rendered profiles (model.md §2.4, §2.5).
//
// A patch is one (source, image) pair. The star profile is the image's PSF mixture placed at
// the source's pixel position; the galaxy profile is every PSF component convolved with every
// dev/exp prototype Gaussian stretched by the shape covariance Σ(ρ, φ, σ). Components depend on
// the image (PSF) and on the shape, not on the pixel, so they are built once per patch and
// evaluated at every active pixel.
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/model/prototypes.hpp"

namespace celeste::model {

inline constexpr int kMaxPsfComponents = 4;
inline constexpr int kMaxGalaxyComponents = kMaxPsfComponents * kNumProfileComponents;
inline constexpr int kMaxComponentsPerPatch = kMaxPsfComponents + kMaxGalaxyComponents;

// One Gaussian of an image PSF mixture, pixel units, (h, w) order; cov = (Σ_hh, Σ_hw, Σ_ww).
struct PsfGaussian {
  double weight;
  double mean[2];
  double cov[3];
};

// One Gaussian of a rendered profile: norm · N(m; c + offset, Σc) with c the source's pixel
// position. For galaxies `norm` excludes the θ / (1 − θ) weight of the profile type.
struct ProfileComponent {
  double offset[2];   // ξ_k: PSF component mean
  double prec[3];     // P = Σc⁻¹ as (P11, P12, P22)
  double norm;        // α_k η_j / (2π sqrt(det Σc))
  double nu;          // ν_j, the prototype variance scale (0 for star components)
  // Constant part of ∇²_s ln φ, symmetric 3×3 packed (00, 01, 02, 11, 12, 22) (model.md §5.2):
  // (½P11², P11P12, ½P12², P11P22 + P12², P12P22, ½P22²).
  double hess_const[6];
  int is_dev;         // 1: de Vaucouleurs component, 0: exponential (galaxies only)
};

// A bivariate normal's precision P = Σ⁻¹, packed (P11, P12, P22), and its normalization
// 1 / (2π sqrt(det Σ)), from the packed covariance (Σ11, Σ12, Σ22). The one place both are
// computed: profile components here, the PSF mixture fit (src/io/psf_fit.cpp).
struct GaussianPrecision {
  double prec[3];
  double norm;
};
KOKKOS_INLINE_FUNCTION GaussianPrecision gaussian_precision(double s11, double s12, double s22) {
  const double det = s11 * s22 - s12 * s12;
  const double inv_det = 1.0 / det;
  return {{s22 * inv_det, -s12 * inv_det, s11 * inv_det}, 1.0 / (2.0 * kPi * kmath::sqrt(det))};
}

KOKKOS_INLINE_FUNCTION void set_component_covariance(double s11, double s12, double s22,
                                                     double weight, ProfileComponent& c) {
  const GaussianPrecision g = gaussian_precision(s11, s12, s22);
  const double P11 = g.prec[0], P12 = g.prec[1], P22 = g.prec[2];
  c.prec[0] = P11;
  c.prec[1] = P12;
  c.prec[2] = P22;
  c.norm = weight * g.norm;
  c.hess_const[0] = 0.5 * P11 * P11;
  c.hess_const[1] = P11 * P12;
  c.hess_const[2] = 0.5 * P12 * P12;
  c.hess_const[3] = P11 * P22 + P12 * P12;
  c.hess_const[4] = P12 * P22;
  c.hess_const[5] = 0.5 * P22 * P22;
}

// Star component k: the PSF Gaussian itself.
KOKKOS_INLINE_FUNCTION ProfileComponent star_component(const PsfGaussian& psf) {
  ProfileComponent c{};
  c.offset[0] = psf.mean[0];
  c.offset[1] = psf.mean[1];
  c.nu = 0;
  c.is_dev = 0;
  set_component_covariance(psf.cov[0], psf.cov[1], psf.cov[2], psf.weight, c);
  return c;
}

// Galaxy component (k, j): PSF Gaussian k convolved with prototype j of shape `shape_cov`.
KOKKOS_INLINE_FUNCTION ProfileComponent galaxy_component(const PsfGaussian& psf,
                                                         const GalaxyPrototypes& proto, int j,
                                                         const double shape_cov[3]) {
  ProfileComponent c{};
  c.offset[0] = psf.mean[0];
  c.offset[1] = psf.mean[1];
  c.nu = proto.variance[j];
  c.is_dev = is_dev_component(j) ? 1 : 0;
  set_component_covariance(psf.cov[0] + c.nu * shape_cov[0], psf.cov[1] + c.nu * shape_cov[1],
                           psf.cov[2] + c.nu * shape_cov[2], psf.weight * proto.amplitude[j], c);
  return c;
}

// Value of one component at pixel offset (dh, dw) = m − c (no derivatives).
KOKKOS_INLINE_FUNCTION double component_value(const ProfileComponent& c, double dh, double dw) {
  const double y0 = dh - c.offset[0], y1 = dw - c.offset[1];
  const double q = c.prec[0] * y0 * y0 + 2.0 * c.prec[1] * y0 * y1 + c.prec[2] * y1 * y1;
  return c.norm * kmath::exp(-0.5 * q);
}

}  // namespace celeste::model
