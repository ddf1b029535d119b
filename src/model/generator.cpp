#include "model/generator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "celeste/model/source_render.hpp"
#include "model/render.hpp"
#include "celeste/math.hpp"
#include "celeste/model_constants.hpp"

namespace celeste::model {
namespace {

constexpr double kDegPerArcsec = 1.0 / 3600.0;
// Sampled r fluxes are truncated to ln ℓ_r in [0, 7] (1 .. e^7 ≈ 1100 nmgy, r ≈ 22.5 .. 14.9):
// fainter is below detection, brighter saturates SDSS.
constexpr double kMinLogFluxR = 0.0, kMaxLogFluxR = 7.0;
// Sampled galaxy scales σ in [0.6, 8] px: resolved at SDSS seeing, inside a 25-px patch.
constexpr double kMinScalePx = 0.6, kMaxScalePx = 8.0;
// Sources stay this far (px) inside the images' common footprint (plus the epoch offset).
constexpr double kFootprintMarginPx = 4.0;

// Cholesky sample of N(mean, cov) in 4 dimensions.
void sample_mvn4(std::mt19937_64& rng, const double mean[4], const double cov[4][4], double out[4]) {
  double L[4][4] = {};
  for (int j = 0; j < 4; ++j) {
    double d = cov[j][j];
    for (int k = 0; k < j; ++k) d -= L[j][k] * L[j][k];
    L[j][j] = std::sqrt(d);
    for (int i = j + 1; i < 4; ++i) {
      double s = cov[i][j];
      for (int k = 0; k < j; ++k) s -= L[i][k] * L[j][k];
      L[i][j] = s / L[j][j];
    }
  }
  std::normal_distribution<double> N(0.0, 1.0);
  double z[4];
  for (double& v : z) v = N(rng);
  for (int i = 0; i < 4; ++i) {
    out[i] = mean[i];
    for (int k = 0; k <= i; ++k) out[i] += L[i][k] * z[k];
  }
}

int sample_categorical(std::mt19937_64& rng, const double* weights, int n) {
  std::discrete_distribution<int> d(weights, weights + n);
  return d(rng);
}

// The mosaic's extent in pixels along h and w: fields side by side, sharing the overlap.
double mosaic_extent(int image_px, int fields, int overlap_px) {
  return image_px + static_cast<double>(fields - 1) * (image_px - overlap_px);
}

}  // namespace

SourceParams point_parameters(const survey::CatalogEntry& e) {
  std::array<double, kNumParams> p{};
  p[param::ra] = e.ra;
  p[param::dec] = e.dec;
  p[param::frac_dev] = e.gal_frac_dev;
  p[param::axis_ratio] = e.gal_axis_ratio;
  p[param::angle] = e.gal_angle;
  p[param::radius] = e.gal_radius_px;
  for (int t = 0; t < kNumTypes; ++t) {
    const auto& f = t == 0 ? e.star_fluxes : e.gal_fluxes;
    p[param::gamma(t)] = std::log(f[kRefBand]);
    for (int j = 0; j < kNumColors; ++j) p[param::beta(t, j)] = std::log(f[j + 1] / f[j]);
  }
  p[param::chi(0)] = e.is_star ? 1.0 : 0.0;
  p[param::chi(1)] = e.is_star ? 0.0 : 1.0;
  return p;
}

survey::Catalog sample_catalog(const config::GenerateConfig& cfg, std::mt19937_64& rng) {
  namespace c = constants;
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> N(0.0, 1.0);
  const double scale_deg = cfg.pixel_scale_arcsec * kDegPerArcsec;
  const double margin_px = kFootprintMarginPx + cfg.epoch_offset_px;
  // Over the whole mosaic (one field: the image).
  const double extent_h = mosaic_extent(cfg.width, cfg.fields_x, cfg.field_overlap_px);
  const double extent_w = mosaic_extent(cfg.height, cfg.fields_y, cfg.field_overlap_px);
  const double half_h = std::max(1.0, extent_h / 2.0 - margin_px) * scale_deg;
  const double half_w = std::max(1.0, extent_w / 2.0 - margin_px) * scale_deg;
  const double cos_dec = std::cos(cfg.dec_center * kRadPerDeg);
  survey::Catalog cat;
  for (int s = 0; s < cfg.source_count; ++s) {
    survey::CatalogEntry e;
    e.objid = s + 1;
    e.ra = cfg.ra_center + (2 * U(rng) - 1) * half_h / cos_dec;
    e.dec = cfg.dec_center + (2 * U(rng) - 1) * half_w;
    e.is_star = U(rng) < cfg.star_fraction;
    const int t = e.is_star ? 0 : 1;
    double log_r;
    do {
      log_r = c::kLogFluxMean[t] + std::sqrt(c::kLogFluxVar[t]) * N(rng);
    } while (log_r < kMinLogFluxR || log_r > kMaxLogFluxR);
    const int k = sample_categorical(rng, c::kColorWeight[t], kNumColorComponents);
    double colors[4];
    sample_mvn4(rng, c::kColorMean[t][k], c::kColorCov[t][k], colors);
    for (int b = 0; b < kNumBands; ++b) {
      double e_b = log_r;
      for (int j = 0; j < kNumColors; ++j) e_b += color_sign(b, j) * colors[j];
      e.star_fluxes[b] = e.gal_fluxes[b] = std::exp(e_b);
    }
    // Profiles: mostly close to pure exponential or pure de Vaucouleurs, as in SDSS, so the
    // Stripe 82 shape metrics (which score only fracdev < 0.05 or > 0.95) have objects; kept
    // inside the variational family's box [0.01, 0.99] (model.md §3.3).
    const double kind = U(rng);
    e.gal_frac_dev = e.is_star ? 0.5
                     : kind < 0.4 ? 0.01 + 0.03 * U(rng)
                     : kind < 0.7 ? 0.99 - 0.03 * U(rng)
                                  : 0.05 + 0.9 * U(rng);
    e.gal_axis_ratio = e.is_star ? 0.8 : 0.25 + 0.7 * U(rng);
    e.gal_angle = e.is_star ? 0.0 : kPi * U(rng);
    double log_sigma;
    do {
      log_sigma = c::kRadiusPriorMean + std::sqrt(c::kRadiusPriorVar) * N(rng);
    } while (log_sigma < std::log(kMinScalePx) || log_sigma > std::log(kMaxScalePx));
    e.gal_radius_px = e.is_star ? 0.2 : std::exp(log_sigma);
    cat.push_back(e);
  }
  return cat;
}

std::vector<survey::Image> make_image_geometry(const config::GenerateConfig& cfg,
                                               std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double scale_deg = cfg.pixel_scale_arcsec * kDegPerArcsec;
  std::vector<survey::Image> images;
  const int fields = cfg.fields_x * cfg.fields_y;
  for (const auto& band_name : cfg.bands) {
    const int band = survey::band_index(band_name);
    for (int f = 0; f < fields; ++f)
    for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
      survey::Image im;
      im.band = band;
      im.epoch = epoch;
      im.field = f;
      im.width = cfg.width;
      im.height = cfg.height;
      im.source = "synthetic " + band_name + (fields > 1 ? " field " + std::to_string(f) : "") +
                  " epoch " + std::to_string(epoch);
      // This field's centre in mosaic pixels from the mosaic centre (0 for one field): the
      // tangent point stays at the survey centre, the reference pixel moves.
      const double step_h = cfg.width - cfg.field_overlap_px;
      const double step_w = cfg.height - cfg.field_overlap_px;
      const double field_h = (f % cfg.fields_x - (cfg.fields_x - 1) / 2.0) * step_h;
      const double field_w = (f / cfg.fields_x - (cfg.fields_y - 1) / 2.0) * step_w;
      // Pointing: random offset up to epoch_offset_px, rotation up to ±2°.
      const double off_h = cfg.epoch_offset_px * (2 * U(rng) - 1);
      const double off_w = cfg.epoch_offset_px * (2 * U(rng) - 1);
      const double rot = (epoch == 0 ? 0.0 : (2 * U(rng) - 1) * 2.0) * kRadPerDeg;
      const std::array<std::array<double, 2>, 2> cd{
          {{-scale_deg * std::cos(rot), scale_deg * std::sin(rot)},
           {scale_deg * std::sin(rot), scale_deg * std::cos(rot)}}};
      im.wcs = survey::Wcs({cfg.width / 2.0 + 0.5 + off_h - field_h,
                               cfg.height / 2.0 + 0.5 + off_w - field_w},
                              {cfg.ra_center, cfg.dec_center}, cd);
      // PSF: a core and wider wings, slightly elliptical, seeing varying by ±10 %.
      const double seeing = cfg.psf_sigma_px * (0.9 + 0.2 * U(rng));
      double weight_left = 1.0;
      for (int k = 0; k < cfg.psf_components; ++k) {
        survey::PsfComponent pc;
        pc.weight = k + 1 == cfg.psf_components ? weight_left : 0.8 * weight_left;
        weight_left -= pc.weight;
        const double s = seeing * (1.0 + 1.2 * k);
        const double e1 = 0.05 * (2 * U(rng) - 1), e2 = 0.05 * (2 * U(rng) - 1);
        pc.mean = {0.05 * (2 * U(rng) - 1), 0.05 * (2 * U(rng) - 1)};
        pc.cov = {s * s * (1 + e1), s * s * e2, s * s * (1 - e1)};
        im.psf.push_back(pc);
      }
      im.sky.assign(static_cast<std::size_t>(cfg.width) * cfg.height,
                    static_cast<float>(cfg.sky_nmgy[band]));
      im.iota.assign(cfg.width, cfg.iota[band]);
      images.push_back(std::move(im));
    }
  }
  return images;
}

std::vector<double> render_expected_counts(const survey::Image& image,
                                           const survey::Catalog& catalog) {
  std::vector<SourceParams> params;
  params.reserve(catalog.size());
  for (const auto& e : catalog) params.push_back(point_parameters(e));
  std::vector<double> counts = render_sources_nmgy(image, params, PatchOptions{});
  for (int w = 1; w <= image.height; ++w)
    for (int h = 1; h <= image.width; ++h) {
      const std::size_t i = image.index(h, w);
      counts[i] = (counts[i] + image.sky[i]) * image.iota[h - 1];
    }
  return counts;
}

void sample_counts(survey::Image& image, const std::vector<double>& expected, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  image.pixels.resize(expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    std::poisson_distribution<long long> pois(expected[i]);
    image.pixels[i] = static_cast<float>(pois(rng));
  }
}

survey::Catalog perturb_catalog(const survey::Catalog& truth, double pixel_scale_arcsec,
                                std::mt19937_64& rng) {
  std::normal_distribution<double> N(0.0, 1.0);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double px_deg = pixel_scale_arcsec * kDegPerArcsec;
  survey::Catalog out = truth;
  for (auto& e : out) {
    const double cos_dec = std::cos(e.dec * kRadPerDeg);
    e.ra += 0.3 * px_deg * N(rng) / cos_dec;
    e.dec += 0.3 * px_deg * N(rng);
    for (int b = 0; b < kNumBands; ++b) {
      e.star_fluxes[b] *= std::exp(0.2 * N(rng));
      e.gal_fluxes[b] *= std::exp(0.2 * N(rng));
    }
    if (e.star_fluxes[kRefBand] < 3.0 && U(rng) < 0.1) e.is_star = !e.is_star;
    e.gal_frac_dev = std::clamp(e.gal_frac_dev + 0.2 * N(rng), 0.0, 1.0);
    e.gal_axis_ratio = std::clamp(e.gal_axis_ratio + 0.1 * N(rng), 0.05, 1.0);
    e.gal_angle += 0.2 * N(rng);
    e.gal_radius_px = std::max(0.2, e.gal_radius_px * std::exp(0.2 * N(rng)));
  }
  return out;
}

SyntheticSurvey generate_survey(const config::GenerateConfig& cfg,
                                const std::optional<survey::Catalog>& given_truth) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(cfg.seed));
  SyntheticSurvey s;
  s.images = make_image_geometry(cfg, rng);
  s.truth = given_truth ? *given_truth : sample_catalog(cfg, rng);
  for (std::size_t n = 0; n < s.images.size(); ++n) {
    const auto expected = render_expected_counts(s.images[n], s.truth);
    sample_counts(s.images[n], expected, static_cast<std::uint64_t>(cfg.seed) * 1000003ULL + n);
  }
  s.initial = perturb_catalog(s.truth, cfg.pixel_scale_arcsec, rng);
  return s;
}

}  // namespace celeste::model
