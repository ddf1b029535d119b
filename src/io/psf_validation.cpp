#include "io/psf_validation.hpp"

#include <cmath>
#include <cstdio>

#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::io {
namespace {

struct Site {
  const std::string& where;
  const std::string& file;
  int hdu;
};

[[noreturn]] void bad(const Site& s, const std::string& item, double value,
                      const std::string& what) {
  throw InputError(s.where + ": " + what, {s.file, s.hdu, 0, item, format_significant(value, 6)});
}

}  // namespace

void validate_psf_mixture(const std::vector<survey::PsfComponent>& psf, const std::string& where,
                          const std::string& file, int hdu) {
  const Site site{where, file, hdu};
  if (psf.empty()) throw InputError(where + ": the PSF has no components", {file, hdu, 0, "", ""});
  double total = 0;
  for (std::size_t k = 0; k < psf.size(); ++k) {
    const survey::PsfComponent& c = psf[k];
    const std::string comp = "PSF component " + std::to_string(k);
    if (!std::isfinite(c.weight) || c.weight < 0)
      bad(site, comp + " amplitude", c.weight,
          comp + ": amplitude " + format_significant(c.weight, 6) + " must be finite and >= 0");
    total += c.weight;
    for (int a = 0; a < 2; ++a)
      if (!std::isfinite(c.mean[a]) || std::abs(c.mean[a]) > kMaxPsfOffsetPx)
        bad(site, comp + " mean", c.mean[a],
            comp + ": mean (" + format_significant(c.mean[0], 6) + ", " +
                format_significant(c.mean[1], 6) + ") px is more than " +
                format_significant(kMaxPsfOffsetPx, 6) + " px from the PSF centre (or not finite)");
    const double xx = c.cov[0], xy = c.cov[1], yy = c.cov[2];
    const std::string cov = "covariance (varxx " + format_significant(xx, 6) + ", varyy " +
                            format_significant(yy, 6) + ", varxy " + format_significant(xy, 6) +
                            ") px^2";
    if (!std::isfinite(xx) || !std::isfinite(xy) || !std::isfinite(yy))
      bad(site, comp + " covariance", !std::isfinite(xx) ? xx : !std::isfinite(yy) ? yy : xy,
          comp + ": " + cov + " is not finite");
    if (!(xx > 0 && yy > 0 && xx * yy - xy * xy > 0))
      bad(site, comp + " covariance", xx * yy - xy * xy,
          comp + ": " + cov + " is not positive definite");
    // Eigenvalues of [[xx, xy], [xy, yy]].
    const double mean = 0.5 * (xx + yy), half = std::hypot(0.5 * (xx - yy), xy);
    const double lo = mean - half, hi = mean + half;
    if (lo < kMinPsfVariancePx2 || hi > kMaxPsfVariancePx2)
      bad(site, comp + " covariance", lo < kMinPsfVariancePx2 ? lo : hi,
          comp + ": " + cov + " has principal variances " + format_significant(lo, 6) + " and " +
              format_significant(hi, 6) + " px^2; expected both in [" +
              format_significant(kMinPsfVariancePx2, 6) + ", " +
              format_significant(kMaxPsfVariancePx2, 6) + "]");
  }
  if (!(total > 0))
    bad(site, "PSF amplitudes", total,
        "the PSF amplitudes sum to " + format_significant(total, 6) +
            "; expected a positive total");
}

void validate_psf_stamp(const std::vector<double>& stamp, int width, int height,
                        const std::string& where, const std::string& file, int hdu) {
  const Site site{where, file, hdu};
  if (width < 1 || height < 1 ||
      stamp.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    throw InputError(where + ": PSF stamp of " + std::to_string(stamp.size()) +
                         " values is not " + std::to_string(width) + " x " +
                         std::to_string(height),
                     {file, hdu, 0, "PSF stamp", std::to_string(stamp.size())});
  double sum = 0;
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    if (!std::isfinite(stamp[i]))
      bad(site, "PSF stamp", stamp[i],
          "PSF stamp pixel (" + std::to_string(i % width) + ", " + std::to_string(i / width) +
              ") is " + format_significant(stamp[i], 6) + ", not a finite number");
    sum += stamp[i];
  }
  if (!(sum > 0) || !std::isfinite(sum))
    bad(site, "PSF stamp", sum,
        "the PSF stamp sums to " + format_significant(sum, 6) +
            "; expected a positive total (all-zero or negated eigen-images?)");
}

}  // namespace celeste::io
