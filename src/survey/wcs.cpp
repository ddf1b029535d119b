#include "survey/wcs.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "survey/image.hpp"
#include "celeste/math.hpp"

namespace celeste::survey {

bool TanWcs::cd_usable(const std::array<std::array<double, 2>, 2>& cd) {
  const double det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  const double scale = std::abs(cd[0][0]) + std::abs(cd[0][1]) + std::abs(cd[1][0]) +
                       std::abs(cd[1][1]);
  return std::isfinite(det) && std::isfinite(scale) && scale != 0 &&
         std::abs(det) > 1e-12 * scale * scale;
}

TanWcs::TanWcs(std::array<double, 2> crpix, std::array<double, 2> crval,
               std::array<std::array<double, 2>, 2> cd)
    : crpix_(crpix), crval_(crval), cd_(cd) {
  auto text = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return std::string(buf);
  };
  for (int i = 0; i < 2; ++i) {
    if (!std::isfinite(crpix[i]))
      throw std::invalid_argument("CRPIX" + std::to_string(i + 1) + " = " + text(crpix[i]) +
                                  " is not finite");
    if (!std::isfinite(crval[i]))
      throw std::invalid_argument("CRVAL" + std::to_string(i + 1) + " = " + text(crval[i]) +
                                  " is not finite");
  }
  if (std::abs(crval[1]) > 90)
    throw std::invalid_argument("CRVAL2 = " + text(crval[1]) +
                                " is outside [-90, 90] (the reference declination, degrees)");
  const double det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  if (!cd_usable(cd))
    throw std::invalid_argument("singular or non-finite TAN WCS (CD matrix determinant " +
                                text(det) + ")");
  cd_inv_ = {{{cd[1][1] / det, -cd[0][1] / det}, {-cd[1][0] / det, cd[0][0] / det}}};
  valid_ = true;
}

// Standard TAN: intermediate coordinates (x, y) in degrees = CD (p - crpix); native spherical
// coordinates of the gnomonic projection, then rotation to (ra, dec) with the native pole at
// (ra0, dec0) (LONPOLE = 180).
std::array<double, 2> TanWcs::pix_to_world(double h, double w) const {
  const double dh = h - crpix_[0], dw = w - crpix_[1];
  const double x = (cd_[0][0] * dh + cd_[0][1] * dw) * kRadPerDeg;
  const double y = (cd_[1][0] * dh + cd_[1][1] * dw) * kRadPerDeg;
  const double ra0 = crval_[0] * kRadPerDeg, dec0 = crval_[1] * kRadPerDeg;
  const double d = std::cos(dec0) - y * std::sin(dec0);
  const double ra = ra0 + std::atan2(x, d);
  const double dec = std::atan2(std::sin(dec0) + y * std::cos(dec0), std::hypot(x, d));
  double ra_deg = ra / kRadPerDeg;
  ra_deg = std::fmod(ra_deg, 360.0);
  if (ra_deg < 0) ra_deg += 360.0;
  return {ra_deg, dec / kRadPerDeg};
}

std::array<double, 2> TanWcs::world_to_pix(double ra, double dec) const {
  const double ra0 = crval_[0] * kRadPerDeg, dec0 = crval_[1] * kRadPerDeg;
  const double a = ra * kRadPerDeg - ra0, d = dec * kRadPerDeg;
  const double cos_c = std::sin(dec0) * std::sin(d) + std::cos(dec0) * std::cos(d) * std::cos(a);
  const double x = std::cos(d) * std::sin(a) / cos_c;
  const double y = (std::cos(dec0) * std::sin(d) - std::sin(dec0) * std::cos(d) * std::cos(a)) /
                   cos_c;
  const double xd = x / kRadPerDeg, yd = y / kRadPerDeg;
  return {crpix_[0] + cd_inv_[0][0] * xd + cd_inv_[0][1] * yd,
          crpix_[1] + cd_inv_[1][0] * xd + cd_inv_[1][1] * yd};
}

std::array<double, 4> TanWcs::pixel_world_jacobian(double ra, double dec) const {
  const auto p0 = world_to_pix(ra, dec);
  const auto u_half = pix_to_world(p0[0] + 0.5, p0[1] + 0.5);
  double delta = std::max(std::abs(u_half[0] - ra), std::abs(u_half[1] - dec));
  if (delta > 180) delta = std::abs(delta - 360);  // RA wrap
  const auto p_ra = world_to_pix(ra + delta, dec);
  const auto p_dec = world_to_pix(ra, dec + delta);
  return {(p_ra[0] - p0[0]) / delta, (p_dec[0] - p0[0]) / delta, (p_ra[1] - p0[1]) / delta,
          (p_dec[1] - p0[1]) / delta};
}

double sky_position_angle_deg(double phi, const std::array<double, 4>& jac, double dec_deg) {
  const double dh = std::cos(phi), dw = std::sin(phi);
  const double det = jac[0] * jac[3] - jac[1] * jac[2];
  const double dra = (jac[3] * dh - jac[1] * dw) / det;
  const double ddec = (-jac[2] * dh + jac[0] * dw) / det;
  double pa = std::atan2(dra * std::cos(dec_deg * kRadPerDeg), ddec) * kDegPerRad;
  return angle_0_180_deg(pa);
}

double angle_0_180_deg(double angle_deg) {
  double deg = std::fmod(angle_deg, 180.0);
  if (deg < 0) deg += 180.0;
  if (deg >= 180.0) deg -= 180.0;  // -tiny + 180 rounds to 180
  return deg;
}

}  // namespace celeste::survey
