#include "model/render.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "celeste/model/prototypes.hpp"
#include "celeste/model/source_render.hpp"

namespace celeste::model {
namespace {
constexpr double kRenderSigmas = 6.0;
constexpr double kMaxRenderRadiusPx = 120.0;
}  // namespace

std::vector<double> render_sources_nmgy(const survey::Image& image,
                                        const std::vector<SourceParams>& params,
                                        const PatchOptions& options) {
  const int K = static_cast<int>(image.psf.size());
  if (K < 1 || K > kMaxPsfComponents)
    throw std::invalid_argument(image.source + ": PSF must have 1.." +
                                std::to_string(kMaxPsfComponents) + " components");
  const std::vector<PsfGaussian> psf = image_psf_gaussians(image);
  double psf_var = 0;
  for (const auto& k : psf) psf_var = std::max(psf_var, std::max(k.cov[0], k.cov[2]));
  const GalaxyPrototypes proto = galaxy_prototypes();
  double widest_prototype = 0;  // largest ν (the outermost dev Gaussian)
  for (int j = 0; j < kNumProfileComponents; ++j)
    widest_prototype = std::max(widest_prototype, proto.variance[j]);
  std::map<int, StarStamp> stamps;  // grid node -> stamp
  std::vector<double> nmgy(static_cast<std::size_t>(image.width) * image.height, 0.0);
  std::vector<ProfileComponent> comps(kMaxComponentsPerPatch);
  for (const auto& theta : params) {
    const auto p0 = image.wcs.world_to_pix(theta[param::ra], theta[param::dec]);
    if (!std::isfinite(p0[0]) || !std::isfinite(p0[1])) continue;
    const int node = star_stamp_node(image, p0[0], p0[1], options);
    auto it = stamps.find(node);
    if (it == stamps.end()) it = stamps.emplace(node, make_star_stamp(image, node, options)).first;
    const StarStamp& st = it->second;
    double shape_cov[3];
    shape_covariance(theta[param::axis_ratio], theta[param::angle], theta[param::radius],
                     shape_cov);
    build_patch_components(psf.data(), K, shape_cov, comps.data());
    const Brightness bright = brightness(theta.data(), image.band);
    // Out to where the widest Gaussian has dropped by e^-18 (kRenderSigmas = 6σ), at least the
    // stamp's extent for pixelized stars; capped at kMaxRenderRadiusPx (a bright galaxy's far
    // wings are below the noise there).
    const double sigma2 = theta[param::radius] * theta[param::radius];
    const double widest = psf_var + (theta[param::chi(1)] > 0 ? widest_prototype * sigma2 : 0.0);
    double radius = std::min(kMaxRenderRadiusPx, kRenderSigmas * std::sqrt(widest) + 2.0);
    if (st.size > 0) radius = std::max(radius, 0.5 * (st.size - 1));
    const PixelBox box = pixel_box(image, p0, radius);
    const double* coeffs = st.size > 0 ? st.coeffs.data() : nullptr;
    for (int w = box.w0; w <= box.w1; ++w)
      for (int h = box.h0; h <= box.h1; ++h) {
        double f_star, f_gal, mean, second;
        profile_values(comps.data(), K, theta[param::frac_dev], coeffs, st.size, h - p0[0],
                       w - p0[1], f_star, f_gal);
        source_moments(theta.data(), bright, f_star, f_gal, mean, second);
        nmgy[image.index(h, w)] += mean;
      }
  }
  return nmgy;
}

}  // namespace celeste::model
