#pragma once
// An image's world coordinate system, pixel (h, w) <-> (ra, dec) in degrees, through WCSLIB:
// every celestial FITS WCS it reads (TAN, SIN, ZEA, ... with CD, PC + CDELT or CROTA, and the
// SIP and TPV distortions). Pixel coordinates are 1-based as in FITS (h along axis 1). Plus the
// local linearization the model uses (model.md §2.6).
//
// Copies share one parsed, immutable WCSLIB description. Every transform locks it: WCSLIB keeps
// scratch memory inside the struct (the distortion's intermediate coordinates), so two threads
// must not transform through one struct at the same time (docs/decisions.md, issue 15).
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace celeste::survey {

// A header WCS that WCSLIB cannot parse or set up; the message is WCSLIB's own, and `keyword`
// names the header keyword at fault when it is known ("" otherwise).
class WcsError : public std::invalid_argument {
 public:
  WcsError(const std::string& what, std::string keyword)
      : std::invalid_argument(what), keyword_(std::move(keyword)) {}
  const std::string& keyword() const { return keyword_; }

 private:
  std::string keyword_;
};

class Wcs {
 public:
  Wcs() = default;  // no WCS: valid() is false
  // A TAN WCS: crpix the reference pixel (1-based, axis 1 then 2), crval (ra, dec) there in
  // degrees, cd = [[CD1_1, CD1_2], [CD2_1, CD2_2]] in degrees per pixel. Throws
  // std::invalid_argument naming the value when the CD matrix is singular or not finite,
  // CRPIX / CRVAL not finite or CRVAL2 outside [-90, 90].
  Wcs(std::array<double, 2> crpix, std::array<double, 2> crval,
      std::array<std::array<double, 2>, 2> cd);

  // The primary WCS (no alternate letter) of a header given as consecutive 80-character
  // keyrecords (CFITSIO's fits_hdr2str). Every WCS keyrecord must parse, and the two axes must
  // be a celestial longitude / latitude pair (either order); a header with no CTYPEi at all is
  // TAN (RA---TAN / DEC--TAN, as Celeste.jl's stamps are). Throws WcsError.
  static Wcs from_header(const std::string& keyrecords);

  // NaN, NaN where WCSLIB finds no solution (a position the projection cannot reach).
  std::array<double, 2> pix_to_world(double h, double w) const;  // ra in [0, 360)
  std::array<double, 2> world_to_pix(double ra, double dec) const;

  // J = ∂(pixel)/∂(world) at world position (ra, dec) (model.md §2.6 finite-difference
  // recipe, step ≈ half a pixel), row-major {dh/dra, dh/ddec, dw/dra, dw/ddec}; RA in raw
  // degrees. Feeds the patches' local linear WCS (kernels/celeste/model/linear_wcs.hpp).
  std::array<double, 4> pixel_world_jacobian(double ra, double dec) const;

  // The reference point and the linear part at it (CDi_j, or PCi_j · CDELTi), as WCSLIB set
  // them up; ra / dec indices follow the header's celestial axes.
  const std::array<double, 2>& crpix() const { return crpix_; }
  const std::array<double, 2>& crval() const { return crval_; }
  const std::array<std::array<double, 2>, 2>& cd() const { return cd_; }
  int latitude_axis() const { return lat_axis_; }  // 0 or 1: which CRVAL is the latitude
  bool valid() const { return static_cast<bool>(wcs_); }

  // The WCS as FITS keyrecords (80 characters each, no blank ones), written by WCSLIB with
  // 17 significant digits so that from_header() reads back the same transform.
  std::vector<std::string> header_keyrecords() const;

  // Whether a linear matrix is finite and far enough from singular to invert.
  static bool cd_usable(const std::array<std::array<double, 2>, 2>& cd);

 private:
  struct Parsed;
  std::shared_ptr<Parsed> wcs_;
  std::array<double, 2> crpix_{0, 0};
  std::array<double, 2> crval_{0, 0};
  std::array<std::array<double, 2>, 2> cd_{{{1, 0}, {0, 1}}};
  int lat_axis_ = 1;
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
