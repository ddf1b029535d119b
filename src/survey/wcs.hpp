#pragma once
// FITS TAN (gnomonic) world coordinate system: pixel (h, w) <-> (ra, dec) in degrees, with
// 1-based pixel coordinates as in FITS (CRPIX is 1-based). Plus the local linearization the
// model uses (model.md §2.6).
#include <array>

namespace celeste::survey {

class TanWcs {
 public:
  TanWcs() = default;
  // crpix: reference pixel (1-based, axis 1 then 2); crval: (ra, dec) at crpix in degrees;
  // cd: [[CD1_1, CD1_2], [CD2_1, CD2_2]] in degrees per pixel. Throws std::invalid_argument
  // naming the value when the CD matrix is singular or not finite, CRPIX/CRVAL not finite or
  // CRVAL2 outside [-90, 90].
  TanWcs(std::array<double, 2> crpix, std::array<double, 2> crval,
         std::array<std::array<double, 2>, 2> cd);

  std::array<double, 2> pix_to_world(double h, double w) const;
  std::array<double, 2> world_to_pix(double ra, double dec) const;

  // J = ∂(pixel)/∂(world) at world position `u0` (model.md §2.6 finite-difference recipe,
  // step ≈ half a pixel), row-major {dh/dra, dh/ddec, dw/dra, dw/ddec}. RA in raw degrees.
  std::array<double, 4> pixel_world_jacobian(double ra, double dec) const;

  const std::array<double, 2>& crpix() const { return crpix_; }
  const std::array<double, 2>& crval() const { return crval_; }
  const std::array<std::array<double, 2>, 2>& cd() const { return cd_; }
  bool valid() const { return valid_; }

  // Whether a CD matrix is finite and far enough from singular to invert (the constructor's
  // test, for readers that name the keyword before constructing).
  static bool cd_usable(const std::array<std::array<double, 2>, 2>& cd);

 private:
  std::array<double, 2> crpix_{0, 0};
  std::array<double, 2> crval_{0, 0};
  std::array<std::array<double, 2>, 2> cd_{{{1, 0}, {0, 1}}};
  std::array<std::array<double, 2>, 2> cd_inv_{{{1, 0}, {0, 1}}};
  bool valid_ = false;
};

// Position angle on the sky (degrees east of north, in [0, 180)) of the pixel-space direction
// (cos φ, sin φ) in (h, w), through the inverse of jac = ∂(h, w)/∂(ra, dec) (row-major, as
// pixel_world_jacobian) at declination dec_deg. Used to report galaxy orientations
// independently of the image they were measured in.
double sky_position_angle_deg(double phi, const std::array<double, 4>& jac, double dec_deg);

// An axis angle in degrees reduced to [0, 180) (an ellipse's axis is the same at θ and θ + 180°;
// Celeste.jl's canonical_angle). The one reduction used by the catalog, WCS and scorer.
double angle_0_180_deg(double angle_deg);

}  // namespace celeste::survey
