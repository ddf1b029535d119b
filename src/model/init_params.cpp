#include "model/init_params.hpp"

#include <algorithm>
#include <cmath>

namespace celeste::model {
namespace {

void uniform_color_weights(SourceParams& p) {
  for (int t = 0; t < kNumTypes; ++t)
    for (int d = 0; d < kNumColorComponents; ++d) p[param::kappa(t, d)] = 1.0 / kNumColorComponents;
}

}  // namespace

SourceParams generic_init_params(const survey::CatalogEntry& e) {
  SourceParams p{};
  p[param::ra] = e.ra;
  p[param::dec] = e.dec;
  p[param::chi(0)] = 0.5;
  p[param::chi(1)] = 0.5;
  for (int t = 0; t < kNumTypes; ++t) {
    p[param::gamma(t)] = std::log(2.0);
    p[param::zeta(t)] = 1e-3;
    for (int j = 0; j < kNumColors; ++j) {
      p[param::beta(t, j)] = 0.0;
      p[param::lambda(t, j)] = 1e-2;
    }
  }
  p[param::frac_dev] = 0.5;
  p[param::axis_ratio] = 0.5;
  p[param::angle] = 0.0;
  p[param::radius] = 1.0;
  uniform_color_weights(p);
  return p;
}

SourceParams catalog_init_params(const survey::CatalogEntry& e) {
  SourceParams p{};
  p[param::ra] = e.ra;
  p[param::dec] = e.dec;
  p[param::chi(0)] = e.is_star ? 0.8 : 0.2;
  p[param::chi(1)] = 1.0 - p[param::chi(0)];
  for (int t = 0; t < kNumTypes; ++t) {
    const auto& F = t == 0 ? e.star_fluxes : e.gal_fluxes;
    p[param::gamma(t)] = std::log(std::max(0.1, F[kRefBand]));
    p[param::zeta(t)] = 1e-3;
    for (int j = 0; j < kNumColors; ++j) {
      const bool hi = F[j + 1] > 0, lo = F[j] > 0;
      p[param::beta(t, j)] = hi && lo ? std::clamp(std::log(F[j + 1] / F[j]), -9.0, 9.0)
                             : hi     ? 3.0
                             : lo     ? -3.0
                                      : 0.0;
      p[param::lambda(t, j)] = 1e-2;
    }
  }
  p[param::frac_dev] = std::clamp(e.gal_frac_dev, 0.015, 0.985);
  p[param::axis_ratio] = e.is_star ? 0.8 : std::clamp(e.gal_axis_ratio, 0.015, 0.985);
  p[param::angle] = e.gal_angle;
  p[param::radius] = e.is_star ? 0.2 : std::max(e.gal_radius_px, 0.2);
  uniform_color_weights(p);
  return p;
}

}  // namespace celeste::model
