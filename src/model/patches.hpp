#pragma once
// Patches, active pixels and neighbours (model.md §4.5, §7.2), from the initial catalog.
//
// Every (source, image) pair whose pixel box meets the image has a patch: the box
// floor(p0 − r) .. ceil(p0 + r) clipped to the image (r = patch radius from the catalog entry),
// the linearized WCS at the catalog position, and the active-pixel bitmap of the petascale
// code: unmasked and within 8 px of p0, or brighter than 1.5× the expected sky count.
#include <array>
#include <cstdint>
#include <vector>

#include "survey/catalog.hpp"
#include "survey/image.hpp"

namespace celeste::model {

struct PatchOptions {
  double width_scale = 1.2;       // w of choose_patch_radius
  double max_radius_px = 25.0;
  double min_radius_px = 8.0;     // active if within this distance of the centre
  double noise_fraction = 0.5;    // ... or x > ι ε (1 + noise_fraction)
};

struct SourcePatch {
  int image = 0;
  int h0 = 0, h1 = -1, w0 = 0, w1 = -1;  // inclusive box, 1-based pixel coordinates
  double radius = 0;                     // px
  std::array<double, 2> p0{};            // pixel position of u0
  std::array<double, 2> u0{};            // catalog (ra, dec)
  std::array<double, 4> jac{};           // ∂(h, w)/∂(ra, dec) at u0
  std::vector<std::uint8_t> active;      // (w − w0) * box_width + (h − h0)

  int box_width() const { return h1 - h0 + 1; }
  bool contains(int h, int w) const { return h >= h0 && h <= h1 && w >= w0 && w <= w1; }
  // The corrected contributor test (model.md §4.5: the last column is inside the patch).
  bool is_active(int h, int w) const {
    return contains(h, w) && active[static_cast<std::size_t>(w - w0) * box_width() + (h - h0)];
  }
  long active_count() const;
};

struct SurveyPatches {
  std::vector<std::vector<SourcePatch>> by_source;  // patches of source s, image ascending
  std::vector<std::vector<int>> neighbors;          // sources whose boxes overlap s's, ascending
  std::vector<double> max_radius;                   // per source, over images
};

// Radius (px) of a source's patch in an image (model.md §4.5 choose_patch_radius).
double patch_radius(const survey::CatalogEntry& entry, const survey::Image& image,
                    const PatchOptions& options = {});

SurveyPatches build_patches(const survey::Catalog& catalog,
                            const std::vector<survey::Image>& images,
                            const PatchOptions& options = {});

}  // namespace celeste::model
