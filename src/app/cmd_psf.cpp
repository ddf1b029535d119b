// `celeste psf CONFIG.yaml`: the PSF diagnostic of a run's SDSS images (docs/psf.md). Per
// band: the psField PSF reconstructed at five frame positions (centre and the four corners at
// 10 % / 90 % of the frame) against the Gaussian mixture the galaxy profiles use (fitted at the
// centre): weighted second moments (Gaussian weight of sd 2 px about the stamp centre) as a
// width, an ellipticity and an orientation in image axes, and the mixture's largest residual
// relative to the stamp's peak.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/cli.hpp"
#include "config/options.hpp"
#include "celeste/model/components.hpp"
#include "io/sdss_field.hpp"
#include "model/elbo_problem.hpp"
#include "util/error.hpp"
#include "celeste/math.hpp"

namespace celeste::app {
namespace {

struct StampMoments {
  double width_px, ellipticity, angle_deg;  // angle from h (columns) towards w (rows)
};

// Moments of a row-major [w][h] n x n grid about its centre, weight exp(-r^2 / (2 * 2^2)).
StampMoments weighted_moments(const std::vector<double>& s, int n) {
  const double c = 0.5 * (n - 1);
  double sum = 0, hh = 0, hw = 0, ww = 0;
  for (int w = 0; w < n; ++w)
    for (int h = 0; h < n; ++h) {
      const double dh = h - c, dw = w - c;
      const double v = s[static_cast<std::size_t>(w) * n + h] *
                       std::exp(-0.5 * (dh * dh + dw * dw) / 4.0);
      sum += v;
      hh += v * dh * dh;
      hw += v * dh * dw;
      ww += v * dw * dw;
    }
  hh /= sum;
  hw /= sum;
  ww /= sum;
  const double e1 = (hh - ww) / (hh + ww), e2 = 2 * hw / (hh + ww);
  return {std::sqrt(0.5 * (hh + ww)), std::hypot(e1, e2),
          0.5 * std::atan2(e2, e1) * kDegPerRad};
}

// The mixture on the stamp's grid, through the same Gaussian components stars and galaxies use.
std::vector<double> mixture_on_grid(const survey::Image& im, int n) {
  const double c = 0.5 * (n - 1);
  std::vector<double> out(static_cast<std::size_t>(n) * n, 0.0);
  for (const auto& k : model::image_psf_gaussians(im)) {
    const model::ProfileComponent g = model::star_component(k);
    for (int w = 0; w < n; ++w)
      for (int h = 0; h < n; ++h)
        out[static_cast<std::size_t>(w) * n + h] += model::component_value(g, h - c, w - c);
  }
  return out;
}

}  // namespace

int cmd_psf(CommandArgs& a) {
  if (a.args.size() != 1 || a.args[0].rfind("--", 0) == 0)
    throw UsageError("psf: expected exactly one argument, CONFIG.yaml");
  const auto cfg = config::load_run_config(a.args[0]);
  int shown = 0;
  for (const auto& src : cfg.images) {
    if (src.format != "sdss") continue;
    const auto images = io::read_sdss_field(src.directory, src.run, src.camcol, src.field,
                                            src.bands, cfg.model.psf_components);
    std::printf("SDSS %d/%d/%d: psField PSF vs the %d-component mixture (moments weighted by a "
                "Gaussian of sd 2 px; angle from h (columns) towards w (rows))\n",
                src.run, src.camcol, src.field, cfg.model.psf_components);
    std::printf("%-4s %-22s %9s %8s %9s   %s\n", "band", "position (h, w)", "width_px",
                "ellip", "angle", "mixture: width ellip angle, max |stamp - mixture| / peak");
    for (const auto& im : images) {
      const auto& psf = im.pixel_psf;
      const int n = psf.rncol;
      const auto mix = mixture_on_grid(im, n);
      const StampMoments mm = weighted_moments(mix, n);
      const double fh[5] = {0.5, 0.1, 0.9, 0.1, 0.9}, fw[5] = {0.5, 0.1, 0.1, 0.9, 0.9};
      for (int p = 0; p < 5; ++p) {
        const double h = 0.5 + fh[p] * im.width, w = 0.5 + fw[p] * im.height;
        const auto stamp = psf.stamp_at(w - 1.0, h - 1.0);
        const StampMoments sm = weighted_moments(stamp, n);
        double peak = 0, worst = 0;
        for (std::size_t i = 0; i < stamp.size(); ++i) {
          peak = std::max(peak, stamp[i]);
          worst = std::max(worst, std::abs(stamp[i] - mix[i]));
        }
        char pos[64];
        std::snprintf(pos, sizeof pos, "(%.0f, %.0f)%s", h, w, p == 0 ? " centre" : "");
        std::printf("%-4s %-22s %9.3f %8.4f %9.2f   %.3f %.4f %.2f, %.3f\n",
                    survey::kBandNames[im.band], pos, sm.width_px, sm.ellipticity, sm.angle_deg,
                    mm.width_px, mm.ellipticity, mm.angle_deg, worst / peak);
      }
    }
    ++shown;
  }
  if (shown == 0) throw ConfigError(a.args[0] + ": no SDSS image source (the diagnostic reads psField PSFs)");
  return kExitOk;
}

}  // namespace celeste::app
