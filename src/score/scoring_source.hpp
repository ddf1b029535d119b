#pragma once
// One source as the scorer compares it: truth, our catalog and the initial catalog are all
// converted to this common form first (truth_catalog.hpp, catalog_input.hpp), so matching and
// metrics know nothing of file formats. Conventions are those of Celeste.jl's
// AccuracyBenchmark data frames, except that colors are already in magnitudes.
//
// NaN means "missing": a statistic skips a source whose value (or error) is NaN, exactly as
// Celeste.jl skips `missing` and NaN errors (docs/score.md).
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace celeste::score {

// SDSS pixel scale: position errors are reported in these pixels, and coadd radii (arcsec)
// are converted with it.
inline constexpr double kSdssArcsecPerPixel = 0.396;

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
inline constexpr int kNumColors = 4;  // u-g, g-r, r-i, i-z
inline constexpr std::array<const char*, kNumColors> kColorNames{"color_ug", "color_gr",
                                                                 "color_ri", "color_iz"};

struct ScoringSource {
  std::int64_t objid = 0;
  double ra_deg = 0, dec_deg = 0;
  // Probability of being a star (truth: exactly 0 or 1). "Predicted galaxy" is < 0.5.
  double prob_star = 0;
  // r-band flux in nmgy: truth from its r magnitude; a Celeste catalog's exp(log_flux_r),
  // the log-normal median. Missing (NaN) when the truth flux is not > 0.
  double flux_r_nmgy = kMissing;
  // Colors (band b minus band b+1) in magnitudes.
  std::array<double, kNumColors> color_mag{kMissing, kMissing, kMissing, kMissing};
  // Galaxy shape: de Vaucouleurs fraction, minor/major axis ratio, radius in pixels
  // (circularised half-light radius; for Celeste σ·sqrt(ρ)), position angle in [0, 180).
  // Truth stars have these missing.
  double gal_frac_dev = kMissing;
  double gal_axis_ratio = kMissing;
  double gal_radius_px = kMissing;
  double gal_angle_deg = kMissing;
  // Posterior standard deviations (catalogs with uncertainties only): of ln(r flux) and of
  // each color in magnitudes.
  double log_flux_r_sd = kMissing;
  std::array<double, kNumColors> color_mag_sd{kMissing, kMissing, kMissing, kMissing};
};

using ScoringCatalog = std::vector<ScoringSource>;

}  // namespace celeste::score
