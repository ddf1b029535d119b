#include "model/patches.hpp"

#include <algorithm>
#include <cmath>

namespace celeste::model {

long SourcePatch::active_count() const {
  long n = 0;
  for (auto a : active) n += a;
  return n;
}

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
  if (!entry.is_star) O += w * entry.gal_radius_px / 0.67;
  const double F = std::max(1e-6, (entry.is_star ? entry.star_fluxes : entry.gal_fluxes)[image.band]);
  const double sky = image.sky[image.index(std::max(1, image.width / 2), std::max(1, image.height / 2))];
  const double t = std::min(std::exp(-0.5 * 1.64 * 1.64) / (std::sqrt(2 * M_PI) * O),
                            sky / (20.0 * F));
  const double r2 = -2.0 * O * O * (std::log(t) + 0.5 * std::log(2 * M_PI) + std::log(O));
  return std::min(options.max_radius_px, std::sqrt(std::max(0.0, r2)));
}

SurveyPatches build_patches(const survey::Catalog& catalog,
                            const std::vector<survey::Image>& images,
                            const PatchOptions& options) {
  const int S = static_cast<int>(catalog.size());
  SurveyPatches out;
  out.by_source.resize(S);
  out.neighbors.resize(S);
  out.max_radius.assign(S, 0.0);
  for (int s = 0; s < S; ++s) {
    const auto& e = catalog[s];
    for (int n = 0; n < static_cast<int>(images.size()); ++n) {
      const auto& im = images[n];
      const auto p0 = im.wcs.world_to_pix(e.ra, e.dec);
      if (!std::isfinite(p0[0]) || !std::isfinite(p0[1])) continue;
      const double r = patch_radius(e, im, options);
      const int h0 = std::max(1, static_cast<int>(std::floor(p0[0] - r)));
      const int h1 = std::min(im.width, static_cast<int>(std::ceil(p0[0] + r)));
      const int w0 = std::max(1, static_cast<int>(std::floor(p0[1] - r)));
      const int w1 = std::min(im.height, static_cast<int>(std::ceil(p0[1] + r)));
      if (h0 > h1 || w0 > w1) continue;  // off this image
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
      out.max_radius[s] = std::max(out.max_radius[s], r);
      out.by_source[s].push_back(std::move(p));
    }
  }
  // Neighbours: boxes overlap in at least one image (sweep over sources sorted by box start).
  for (int n = 0; n < static_cast<int>(images.size()); ++n) {
    struct Box { int s, h0, h1, w0, w1; };
    std::vector<Box> boxes;
    for (int s = 0; s < S; ++s)
      for (const auto& p : out.by_source[s])
        if (p.image == n) boxes.push_back({s, p.h0, p.h1, p.w0, p.w1});
    std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.h0 < b.h0; });
    for (std::size_t i = 0; i < boxes.size(); ++i)
      for (std::size_t j = i + 1; j < boxes.size() && boxes[j].h0 <= boxes[i].h1; ++j)
        if (boxes[j].w0 <= boxes[i].w1 && boxes[i].w0 <= boxes[j].w1) {
          out.neighbors[boxes[i].s].push_back(boxes[j].s);
          out.neighbors[boxes[j].s].push_back(boxes[i].s);
        }
  }
  for (auto& nb : out.neighbors) {
    std::sort(nb.begin(), nb.end());
    nb.erase(std::unique(nb.begin(), nb.end()), nb.end());
  }
  return out;
}

}  // namespace celeste::model
