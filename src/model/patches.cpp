#include "model/patches.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "celeste/math.hpp"
#include "celeste/model/star_stamp.hpp"

namespace celeste::model {

long SourcePatch::active_count() const {
  long n = 0;
  for (auto a : active) n += a;
  return n;
}

PixelBox pixel_box(const survey::Image& image, const std::array<double, 2>& p0, double radius) {
  return {std::max(1, static_cast<int>(std::floor(p0[0] - radius))),
          std::min(image.width, static_cast<int>(std::ceil(p0[0] + radius))),
          std::max(1, static_cast<int>(std::floor(p0[1] - radius))),
          std::min(image.height, static_cast<int>(std::ceil(p0[1] + radius)))};
}

namespace {
// choose_patch_radius of the petascale code (model.md §4.5): the profile is approximated by one
// Gaussian of width O; the patch reaches kPatchEdgeSigmas · O (1.64, the one-sided 95 % point
// of a normal), or less far where the profile drops below kSkyFraction of the sky per unit
// flux first.
constexpr double kPatchEdgeSigmas = 1.64;
constexpr double kSkyFraction = 1.0 / 20.0;
// The catalog's galaxy scale σ widens O by w σ / kGalaxyWidthDivisor (the petascale code's
// constant, kept as published).
constexpr double kGalaxyWidthDivisor = 0.67;
}  // namespace

double patch_radius(const survey::CatalogEntry& entry, const survey::Image& image,
                    const PatchOptions& options) {
  // PSF width: w · sqrt(λ_max(C)) · A with C the mixture's second moment (weights / A).
  double A = 0;
  for (const auto& k : image.psf) A += k.weight;
  double c11 = 0, c12 = 0, c22 = 0;
  for (const auto& k : image.psf) {
    const double a = k.weight / A;
    c11 += a * (k.mean[0] * k.mean[0] + k.cov[0]);
    c12 += a * (k.mean[0] * k.mean[1] + k.cov[1]);
    c22 += a * (k.mean[1] * k.mean[1] + k.cov[2]);
  }
  const double tr = c11 + c22, det = c11 * c22 - c12 * c12;
  const double lmax = 0.5 * tr + std::sqrt(std::max(0.0, 0.25 * tr * tr - det));
  const double w = options.width_scale;
  double O = w * std::sqrt(lmax) * A;
  const bool both = options.radius_from_both_types;
  if (both || !entry.is_star) O += w * entry.gal_radius_px / kGalaxyWidthDivisor;
  const double own = (entry.is_star ? entry.star_fluxes : entry.gal_fluxes)[image.band];
  const double F = std::max(
      1e-6, both ? std::max(entry.star_fluxes[image.band], entry.gal_fluxes[image.band]) : own);
  const double sky = image.sky[image.index(std::max(1, image.width / 2), std::max(1, image.height / 2))];
  const double t =
      std::min(std::exp(-0.5 * kPatchEdgeSigmas * kPatchEdgeSigmas) / (std::sqrt(2 * kPi) * O),
               kSkyFraction * sky / F);
  const double r2 = -2.0 * O * O * (std::log(t) + 0.5 * kLog2Pi + std::log(O));
  return std::min(options.max_radius_px, std::sqrt(std::max(0.0, r2)));
}

namespace {
int stamp_grid_columns(const survey::Image& im, const PatchOptions& options) {
  return std::max(1, static_cast<int>(std::ceil(im.width / options.stamp_spacing_px)));
}
int stamp_grid_rows(const survey::Image& im, const PatchOptions& options) {
  return std::max(1, static_cast<int>(std::ceil(im.height / options.stamp_spacing_px)));
}
}  // namespace

int star_stamp_node(const survey::Image& im, double h, double w, const PatchOptions& options) {
  if (!options.pixelized_stars || im.pixel_psf.empty()) return -1;
  const double S = options.stamp_spacing_px;
  const int nh = stamp_grid_columns(im, options), nw = stamp_grid_rows(im, options);
  const int i = std::clamp(static_cast<int>(std::floor((h - 0.5) / S)), 0, nh - 1);
  const int j = std::clamp(static_cast<int>(std::floor((w - 0.5) / S)), 0, nw - 1);
  return j * nh + i;
}

StarStamp make_star_stamp(const survey::Image& im, int node, const PatchOptions& options) {
  StarStamp st;
  if (node < 0) return st;
  const double S = options.stamp_spacing_px;
  const int nh = stamp_grid_columns(im, options);
  const int i = node % nh, j = node / nh;
  // Node centre (1-based, continuous), kept inside the image.
  st.center = {std::min(0.5 + (i + 0.5) * S, im.width + 0.5),
               std::min(0.5 + (j + 0.5) * S, im.height + 0.5)};
  const survey::EigenPsf& psf = im.pixel_psf;
  const std::string where = psf.source + ": PSF stamp at (h, w) = (" +
                            std::to_string(st.center[0]) + ", " + std::to_string(st.center[1]) +
                            ")";
  if (psf.rnrow != psf.rncol || psf.rnrow < 5 || psf.rnrow % 2 == 0)
    throw std::invalid_argument(where + " is " + std::to_string(psf.rncol) + " x " +
                                std::to_string(psf.rnrow) +
                                "; a square stamp of odd side >= 5 is needed");
  // stamp_at takes the 0-based frame (row, col) of the node centre.
  const std::vector<double> stamp = psf.stamp_at(st.center[1] - 1.0, st.center[0] - 1.0);
  double sum = 0;
  for (double v : stamp) {
    if (!std::isfinite(v)) throw std::invalid_argument(where + " has non-finite values");
    sum += v;
  }
  if (!(sum > 0)) throw std::invalid_argument(where + " does not sum to a positive flux");
  st.size = psf.rnrow;
  st.coeffs = star_stamp_coefficients(stamp, st.size);
  return st;
}

std::optional<SourcePatch> source_patch(const survey::CatalogEntry& e, const survey::Image& im,
                                        int n, const PatchOptions& options) {
  const auto p0 = im.wcs.world_to_pix(e.ra, e.dec);
  if (!std::isfinite(p0[0]) || !std::isfinite(p0[1])) return std::nullopt;
  const double r = patch_radius(e, im, options);
  const PixelBox box = pixel_box(im, p0, r);
  if (box.empty()) return std::nullopt;  // off this image
  const int h0 = box.h0, h1 = box.h1, w0 = box.w0, w1 = box.w1;
  SourcePatch p;
  p.image = n;
  p.h0 = h0;
  p.h1 = h1;
  p.w0 = w0;
  p.w1 = w1;
  p.radius = r;
  p.p0 = p0;
  p.u0 = {e.ra, e.dec};
  p.jac = im.wcs.pixel_world_jacobian(e.ra, e.dec);
  p.star_stamp = star_stamp_node(im, p0[0], p0[1], options);
  p.active.assign(static_cast<std::size_t>(p.box_width()) * (w1 - w0 + 1), 0);
  const double r2min = options.min_radius_px * options.min_radius_px;
  for (int w = w0; w <= w1; ++w)
    for (int h = h0; h <= h1; ++h) {
      const std::size_t i = im.index(h, w);
      const float x = im.pixels[i];
      if (std::isnan(x)) continue;
      const double dh = h - p0[0], dw = w - p0[1];
      const bool near = dh * dh + dw * dw < r2min;
      const bool bright = x > im.iota[h - 1] * im.sky[i] * (1.0 + options.noise_fraction);
      p.active[static_cast<std::size_t>(w - w0) * p.box_width() + (h - h0)] = near || bright;
    }
  return p;
}

void find_neighbors(SurveyPatches& patches, int images) {
  const int S = static_cast<int>(patches.by_source.size());
  patches.neighbors.assign(S, {});
  // Boxes overlap in at least one image (sweep over sources sorted by box start).
  for (int n = 0; n < images; ++n) {
    struct Box { int s, h0, h1, w0, w1; };
    std::vector<Box> boxes;
    for (int s = 0; s < S; ++s)
      for (const auto& p : patches.by_source[s])
        if (p.image == n) boxes.push_back({s, p.h0, p.h1, p.w0, p.w1});
    std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.h0 < b.h0; });
    for (std::size_t i = 0; i < boxes.size(); ++i)
      for (std::size_t j = i + 1; j < boxes.size() && boxes[j].h0 <= boxes[i].h1; ++j)
        if (boxes[j].w0 <= boxes[i].w1 && boxes[i].w0 <= boxes[j].w1) {
          patches.neighbors[boxes[i].s].push_back(boxes[j].s);
          patches.neighbors[boxes[j].s].push_back(boxes[i].s);
        }
  }
  for (auto& nb : patches.neighbors) {
    std::sort(nb.begin(), nb.end());
    nb.erase(std::unique(nb.begin(), nb.end()), nb.end());
  }
}

void attach_star_stamps(SurveyPatches& patches, const std::vector<survey::Image>& images,
                        const PatchOptions& options) {
  std::map<std::pair<int, int>, int> stamp_index;  // (image, node) -> patches.star_stamps
  for (auto& source : patches.by_source)
    for (auto& p : source) {
      const int node = p.star_stamp;
      if (node < 0) continue;
      auto it = stamp_index.find({p.image, node});
      if (it == stamp_index.end()) {
        it = stamp_index
                 .emplace(std::make_pair(p.image, node), static_cast<int>(patches.star_stamps.size()))
                 .first;
        patches.star_stamps.push_back(make_star_stamp(images[p.image], node, options));
      }
      p.star_stamp = it->second;
    }
}

SurveyPatches build_patches(const survey::Catalog& catalog,
                            const std::vector<survey::Image>& images,
                            const PatchOptions& options) {
  const int S = static_cast<int>(catalog.size());
  SurveyPatches out;
  out.by_source.resize(S);
  out.max_radius.assign(S, 0.0);
  out.neighbor_light_in_box = options.neighbor_light_in_box;
  for (int s = 0; s < S; ++s)
    for (int n = 0; n < static_cast<int>(images.size()); ++n)
      if (auto p = source_patch(catalog[s], images[n], n, options)) {
        out.max_radius[s] = std::max(out.max_radius[s], p->radius);
        out.by_source[s].push_back(std::move(*p));
      }
  attach_star_stamps(out, images, options);
  find_neighbors(out, static_cast<int>(images.size()));
  return out;
}

}  // namespace celeste::model
