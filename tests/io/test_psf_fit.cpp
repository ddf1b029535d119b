// PSF mixture fit (model.md §10.5): the objective's analytic gradient and Hessian (free,
// box-transformed coordinates) against central finite differences, and the fit on the real
// r- and i-band psField PSFs at the frame centre.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "harness/shared_data.hpp"
#include "io/psf_fit.hpp"
#include "io/sdss_psf.hpp"

namespace celeste::io {
namespace {

using celeste::testing::shared_data_path;
const char* kM2 = "sdss/stripe82-m2-2583-2-136";

// A smooth synthetic stamp (two elliptical Gaussians on a 15 x 13 grid) so the residuals are
// not small: the r ∇²m part of the Hessian matters.
std::vector<double> synthetic_stamp(int width, int height) {
  std::vector<double> s(static_cast<std::size_t>(width) * height);
  for (int row = 0; row < height; ++row)
    for (int col = 0; col < width; ++col) {
      const double h = col - 0.5 * (width - 1) - 0.3, w = row - 0.5 * (height - 1) + 0.2;
      s[row * width + col] = 0.08 * std::exp(-0.5 * (h * h / 2.0 + w * w / 3.5 - 0.4 * h * w)) +
                             0.01 * std::exp(-0.5 * (h * h + w * w) / 9.0);
    }
  return s;
}

double rel_err(double a, double b, double scale) { return std::abs(a - b) / scale; }

TEST(PsfFit, GradientAndHessianMatchCentralDifferences) {
  const int width = 15, height = 13;
  const std::vector<double> stamp = synthetic_stamp(width, height);
  std::mt19937 rng(20261123);
  std::uniform_real_distribution<double> jitter(-1.5, 1.5);
  for (int k : {1, 2, 3}) {
    const PsfMixtureObjective obj(stamp, width, height, k);
    const int n = obj.num_params();
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<double> y = obj.initial_free();
      for (double& v : y) v += jitter(rng);
      std::vector<double> g(n), h(static_cast<std::size_t>(n) * n);
      const double f = obj.evaluate(y.data(), g.data(), h.data());
      ASSERT_TRUE(std::isfinite(f));
      double gscale = 0, hscale = 0;
      for (double v : g) gscale = std::max(gscale, std::abs(v));
      for (double v : h) hscale = std::max(hscale, std::abs(v));
      double max_g = 0, max_h = 0, max_asym = 0;
      const double eps = 1e-5;
      std::vector<double> gp(n), gm(n), hp(h.size()), hm(h.size());
      for (int a = 0; a < n; ++a) {
        std::vector<double> yp = y, ym = y;
        yp[a] += eps;
        ym[a] -= eps;
        const double fp = obj.evaluate(yp.data(), gp.data(), nullptr);
        const double fm = obj.evaluate(ym.data(), gm.data(), nullptr);
        // Gradient vs central difference of f; Hessian column a vs central difference of g.
        max_g = std::max(max_g, rel_err(g[a], (fp - fm) / (2 * eps), gscale));
        for (int b = 0; b < n; ++b) {
          max_h = std::max(max_h, rel_err(h[b * n + a], (gp[b] - gm[b]) / (2 * eps), hscale));
          max_asym = std::max(max_asym, std::abs(h[a * n + b] - h[b * n + a]));
        }
      }
      std::printf("K=%d point %d: f %.4g, max|g| %.3g, max|H| %.3g, FD rel err: gradient %.2e, "
                  "Hessian %.2e\n",
                  k, trial, f, gscale, hscale, max_g, max_h);
      EXPECT_LT(max_g, 1e-6);
      EXPECT_LT(max_h, 1e-6);
      EXPECT_EQ(max_asym, 0.0);
    }
  }
}

TEST(PsfFit, RealPsfRAndIBands) {
  CELESTE_REQUIRE_SHARED_DATA(kM2);
  for (int band : {2, 3}) {
    const SdssEigenPsf psf = read_sdss_eigen_psf(
        shared_data_path(std::string(kM2) + "/psField-002583-2-0136.fit"), band);
    const std::vector<double> stamp = psf.stamp_at(0.5 * (1489 - 1), 0.5 * (2048 - 1));
    for (int k : {2, 3}) {
      const PsfFitResult fit = fit_psf_mixture(stamp, psf.rncol, psf.rnrow, k);
      std::printf("band %c K=%d: SSE %.6g, max |residual| %.3g, %d iterations, converged %d\n",
                  band == 2 ? 'r' : 'i', k, fit.sse, fit.max_abs_residual, fit.iterations,
                  int(fit.converged));
      EXPECT_GT(fit.sse, 0);
      EXPECT_LT(fit.sse, 1e-3);  // model.md §10.5
    }
  }
}

}  // namespace
}  // namespace celeste::io
