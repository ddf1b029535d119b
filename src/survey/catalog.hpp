#pragma once
// Catalog entries: the input record used to initialise sources (model.md §8.1), also the
// format of truth catalogs written by `celeste generate`.
#include <array>
#include <cstdint>
#include <vector>

#include "survey/image.hpp"

namespace celeste::survey {

struct CatalogEntry {
  double ra = 0, dec = 0;                    // degrees
  bool is_star = true;
  std::array<double, kNumBands> star_fluxes{};  // nmgy, u..z
  std::array<double, kNumBands> gal_fluxes{};   // nmgy, u..z
  double gal_frac_dev = 0.5;                 // θ: de Vaucouleurs weight
  double gal_axis_ratio = 0.8;               // ρ: minor/major
  double gal_angle = 0;                      // φ: radians, pixel coordinates (model.md §2.5)
  double gal_radius_px = 1;                  // σ: scale along the major axis, pixels
  std::int64_t objid = 0;                    // survey id (photoObj OBJID) or generator index
};

using Catalog = std::vector<CatalogEntry>;

}  // namespace celeste::survey
