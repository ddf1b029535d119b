#pragma once
// Patches, active pixels and neighbours (model.md §4.5, §7.2), from the initial catalog.
//
// Every (source, image) pair whose pixel box meets the image has a patch: the box
// floor(p0 − r) .. ceil(p0 + r) clipped to the image (r = patch radius from the catalog entry),
// the linearized WCS at the catalog position, and the active-pixel bitmap of the petascale
// code: unmasked and within 8 px of p0, or brighter than 1.5× the expected sky count.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "survey/catalog.hpp"
#include "survey/image.hpp"

namespace celeste::model {

struct PatchOptions {
  double width_scale = 1.2;       // w of choose_patch_radius
  double max_radius_px = 25.0;
  double min_radius_px = 8.0;     // active if within this distance of the centre
  double noise_fraction = 0.5;    // ... or x > ι ε (1 + noise_fraction)
  // Stars rendered with the image's pixelized PSF where it has one (model variant K); false:
  // with the Gaussian mixture (variant P, the published model).
  bool pixelized_stars = true;
  // Where a fixed neighbour's light enters a target's background (model variant K): at every
  // pixel of the neighbour's patch box. false (variant P, the published model): only at the
  // neighbour's own active pixels, which drops a bright galaxy's wings beyond 8 px wherever
  // they are fainter than half the sky; on the synthetic demo that left up to 130 electrons
  // per pixel unmodelled under a star 12 px from an r = 18 galaxy, and the star was fitted as
  // a small galaxy (docs/decisions.md "Neighbour light").
  bool neighbor_light_in_box = true;
  // The patch radius from the larger of the entry's star and galaxy extents (variant K), so
  // that the pixels a source is fitted on do not depend on the initial catalog's type (and
  // neither does the galaxy scale bound derived from them, source_fit.hpp target_bounds).
  // false (variant P): from the entry's own type.
  bool radius_from_both_types = true;
  // The pixelized PSF is evaluated on a grid of nodes this far apart (px) and each patch uses
  // its nearest node: the SDSS PSF changes by ~0.1 % of its peak over 128 px (docs/psf.md).
  double stamp_spacing_px = 256.0;
};

// The pixels within `radius` of pixel position p0: floor(p0 − r) .. ceil(p0 + r) clipped to the
// image, inclusive and 1-based (empty when h0 > h1 or w0 > w1). Patches and the renderer share it.
struct PixelBox {
  int h0, h1, w0, w1;
  bool empty() const { return h0 > h1 || w0 > w1; }
};
PixelBox pixel_box(const survey::Image& image, const std::array<double, 2>& p0, double radius);

// One pixelized star profile: the image's PSF at a grid node, as star_stamp.hpp coefficients.
struct StarStamp {
  std::array<double, 2> center{};  // (h, w) where the PSF was evaluated
  int size = 0;                    // stamp side n
  std::vector<double> coeffs;      // (n + 2)² star_stamp.hpp coefficients
};

struct SourcePatch {
  int image = 0;
  int h0 = 0, h1 = -1, w0 = 0, w1 = -1;  // inclusive box, 1-based pixel coordinates
  double radius = 0;                     // px
  std::array<double, 2> p0{};            // pixel position of u0
  std::array<double, 2> u0{};            // catalog (ra, dec)
  std::array<double, 4> jac{};           // ∂(h, w)/∂(ra, dec) at u0
  std::vector<std::uint8_t> active;      // (w − w0) * box_width + (h − h0)
  int star_stamp = -1;                   // into SurveyPatches::star_stamps; -1: PSF mixture

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
  std::vector<StarStamp> star_stamps;               // pixelized star profiles in use
  bool neighbor_light_in_box = true;                // PatchOptions::neighbor_light_in_box

  // The star stamp coefficients of a patch and its size (nullptr, 0: the PSF mixture).
  const double* stamp_coeffs(const SourcePatch& p) const {
    return p.star_stamp < 0 ? nullptr : star_stamps[p.star_stamp].coeffs.data();
  }
  int stamp_size(const SourcePatch& p) const {
    return p.star_stamp < 0 ? 0 : star_stamps[p.star_stamp].size;
  }
  // Whether neighbour patch p contributes its light to another source's pixel (h, w).
  bool lights(const SourcePatch& p, int h, int w) const {
    return neighbor_light_in_box ? p.contains(h, w) : p.is_active(h, w);
  }
};

// Grid node of the pixelized PSF nearest to (h, w) in `image` (node = j · columns + i), or −1
// when stars use the PSF mixture there (no pixelized PSF, or options.pixelized_stars false).
int star_stamp_node(const survey::Image& image, double h, double w, const PatchOptions& options);
// The star stamp of node `node` (size 0 for node −1). Throws std::invalid_argument naming the
// PSF's source for a non-square or even-sided stamp, non-finite values or a non-positive sum.
StarStamp make_star_stamp(const survey::Image& image, int node, const PatchOptions& options);

// Radius (px) of a source's patch in an image (model.md §4.5 choose_patch_radius).
double patch_radius(const survey::CatalogEntry& entry, const survey::Image& image,
                    const PatchOptions& options = {});

// The patch of `entry` on image `n` (nullopt when its box misses the image), with its active
// pixels; `star_stamp` holds the PSF grid node (star_stamp_node), which attach_star_stamps
// turns into an index of SurveyPatches::star_stamps.
std::optional<SourcePatch> source_patch(const survey::CatalogEntry& entry,
                                        const survey::Image& image, int n,
                                        const PatchOptions& options = {});
// Replaces the grid nodes in `patches.by_source` by indices of patches.star_stamps, made from
// images[patch.image] (one stamp per image and node).
void attach_star_stamps(SurveyPatches& patches, const std::vector<survey::Image>& images,
                        const PatchOptions& options);
// patches.neighbors from the boxes in patches.by_source (only h0..w1 and image are read).
void find_neighbors(SurveyPatches& patches, int images);

// Every source's patches on every image (source_patch, attach_star_stamps, find_neighbors).
SurveyPatches build_patches(const survey::Catalog& catalog,
                            const std::vector<survey::Image>& images,
                            const PatchOptions& options = {});

}  // namespace celeste::model
