#pragma once
// The small synthetic fields the model and inference tests draw their scenes on: one epoch, a
// two-component PSF of sigma 1.4 px, the sky near RA 20 deg, Dec 1 deg, so a test states only
// what it is about (sizes, sources, seeds).
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "config/options.hpp"
#include "model/generator.hpp"
#include "survey/image.hpp"

namespace celeste::testing {

// The bands' flux ratios to r (u g r i z) of the tests' sources: a typical star's colours.
inline constexpr std::array<double, 5> kSceneColors{0.3, 0.7, 1.0, 1.2, 1.3};

// The images (geometry, PSF, sky; no counts yet) of a width x height field in `bands` (all
// five when empty), their noise drawn from `seed` once counts are sampled.
inline std::vector<survey::Image> small_field_images(int width, int height, std::uint64_t seed,
                                                     std::vector<std::string> bands = {}) {
  config::GenerateConfig cfg;
  if (!bands.empty()) cfg.bands = std::move(bands);
  cfg.epochs = 1;
  cfg.width = width;
  cfg.height = height;
  cfg.ra_center = 20.0;
  cfg.dec_center = 1.0;
  cfg.psf_components = 2;
  cfg.psf_sigma_px = 1.4;
  std::mt19937_64 rng(seed);
  return model::make_image_geometry(cfg, rng);
}

}  // namespace celeste::testing
