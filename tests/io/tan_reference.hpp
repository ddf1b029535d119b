#pragma once
// The project's TAN-only WCS as it was before WCSLIB (issue 15), kept as a test oracle: the
// closed-form gnomonic projection with LONPOLE = 180 and a CD matrix, and the model.md §2.6
// Jacobian recipe. WCSLIB must reproduce it on the SDSS frames.
#include <algorithm>
#include <array>
#include <cmath>

#include "celeste/math.hpp"

namespace celeste::testing {

struct ReferenceTan {
  std::array<double, 2> crpix, crval;
  std::array<std::array<double, 2>, 2> cd;

  std::array<std::array<double, 2>, 2> cd_inv() const {
    const double det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
    return {{{cd[1][1] / det, -cd[0][1] / det}, {-cd[1][0] / det, cd[0][0] / det}}};
  }

  std::array<double, 2> pix_to_world(double h, double w) const {
    const double dh = h - crpix[0], dw = w - crpix[1];
    const double x = (cd[0][0] * dh + cd[0][1] * dw) * kRadPerDeg;
    const double y = (cd[1][0] * dh + cd[1][1] * dw) * kRadPerDeg;
    const double ra0 = crval[0] * kRadPerDeg, dec0 = crval[1] * kRadPerDeg;
    const double d = std::cos(dec0) - y * std::sin(dec0);
    const double ra = ra0 + std::atan2(x, d);
    const double dec = std::atan2(std::sin(dec0) + y * std::cos(dec0), std::hypot(x, d));
    double ra_deg = std::fmod(ra / kRadPerDeg, 360.0);
    if (ra_deg < 0) ra_deg += 360.0;
    return {ra_deg, dec / kRadPerDeg};
  }

  std::array<double, 2> world_to_pix(double ra, double dec) const {
    const double ra0 = crval[0] * kRadPerDeg, dec0 = crval[1] * kRadPerDeg;
    const double a = ra * kRadPerDeg - ra0, d = dec * kRadPerDeg;
    const double cos_c =
        std::sin(dec0) * std::sin(d) + std::cos(dec0) * std::cos(d) * std::cos(a);
    const double x = std::cos(d) * std::sin(a) / cos_c;
    const double y =
        (std::cos(dec0) * std::sin(d) - std::sin(dec0) * std::cos(d) * std::cos(a)) / cos_c;
    const double xd = x / kRadPerDeg, yd = y / kRadPerDeg;
    const auto inv = cd_inv();
    return {crpix[0] + inv[0][0] * xd + inv[0][1] * yd, crpix[1] + inv[1][0] * xd + inv[1][1] * yd};
  }

  std::array<double, 4> pixel_world_jacobian(double ra, double dec) const {
    const auto p0 = world_to_pix(ra, dec);
    const auto u_half = pix_to_world(p0[0] + 0.5, p0[1] + 0.5);
    double delta = std::max(std::abs(u_half[0] - ra), std::abs(u_half[1] - dec));
    if (delta > 180) delta = std::abs(delta - 360);
    const auto p_ra = world_to_pix(ra + delta, dec);
    const auto p_dec = world_to_pix(ra, dec + delta);
    return {(p_ra[0] - p0[0]) / delta, (p_dec[0] - p0[0]) / delta, (p_ra[1] - p0[1]) / delta,
            (p_dec[1] - p0[1]) / delta};
  }
};

}  // namespace celeste::testing
