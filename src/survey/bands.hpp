#pragma once
// The survey's photometric bands, the one list of their names: u, g, r, i, z (index 0..4, the
// kernels' band index, celeste/param_layout.hpp). r (kRefBand) is the reference band.
#include <array>
#include <string>
#include <vector>

#include "celeste/param_layout.hpp"

namespace celeste::survey {

using celeste::kNumBands;
inline constexpr std::array<const char*, kNumBands> kBandNames{"u", "g", "r", "i", "z"};
inline constexpr int kBandI = 3;  // i: the band of the bad-sky test (model.md §8.3)

// Index of a band name, -1 if it is not one.
inline int band_index(const std::string& name) {
  for (int b = 0; b < kNumBands; ++b)
    if (name == kBandNames[b]) return b;
  return -1;
}

// All band names in index order (the default band list of a config).
inline std::vector<std::string> all_band_names() {
  return std::vector<std::string>(kBandNames.begin(), kBandNames.end());
}

}  // namespace celeste::survey
