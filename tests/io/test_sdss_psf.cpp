// psField eigen-PSF reconstruction against the oracle in psf_reference/ (model.md §10.4,
// §12 A5) and the Gaussian-mixture fit to it (§10.5).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "harness/shared_data.hpp"
#include "io/fits_file.hpp"
#include "io/psf_fit.hpp"
#include "io/sdss_psf.hpp"

namespace celeste::io {
namespace {

using celeste::testing::shared_data_path;
const char* kM2 = "sdss/stripe82-m2-2583-2-136";

// Max |stamp - reference| over the reference's 25 x 25 (stamp indices 13..37).
double max_error_vs_reference(const std::vector<double>& stamp, const FitsImage& ref) {
  double max_err = 0;
  for (int j = 0; j < 25; ++j)      // reference FITS axis 2 = stamp row
    for (int i = 0; i < 25; ++i)    // reference FITS axis 1 = stamp col
      max_err = std::max(max_err, std::abs(stamp[(13 + j) * 51 + (13 + i)] - ref.data[j * 25 + i]));
  return max_err;
}

TEST(SdssPsf, ReconstructionMatchesReference) {
  CELESTE_REQUIRE_SHARED_DATA(kM2);
  const std::string psfield = shared_data_path(std::string(kM2) + "/psField-002583-2-0136.fit");
  for (int band : {2, 3}) {  // r (nrow_b = ncol_b = 2: orientation matters), i (constant)
    const std::string b = band == 2 ? "r" : "i";
    const SdssEigenPsf psf = read_sdss_eigen_psf(psfield, band);
    FitsFile ref_file = FitsFile::open_read(
        shared_data_path(std::string(kM2) + "/psf_reference/sdss-002583-2-0136-psf-" + b + ".fits"));
    const FitsImage ref = ref_file.read_image();
    ASSERT_EQ(ref.width, 25);
    const double err = max_error_vs_reference(psf.stamp_at(600, 500), ref);
    std::printf("psField %s-band PSF at (row 600, col 500) vs psf_reference: max |error| %.3g\n",
                b.c_str(), err);
    EXPECT_LT(err, 1e-6);
    if (band == 2) {
      // The swapped orientation (row <-> col powers) is measurably different here, so the
      // test above decides §12 A5.
      EXPECT_GT(max_error_vs_reference(psf.stamp_at(500, 600), ref), 1e-6);
    }
  }
}

TEST(SdssPsf, MixtureFitReproducesStamp) {
  CELESTE_REQUIRE_SHARED_DATA(kM2);
  const SdssEigenPsf psf =
      read_sdss_eigen_psf(shared_data_path(std::string(kM2) + "/psField-002583-2-0136.fit"), 2);
  const std::vector<double> stamp = psf.stamp_at(744, 1024);
  double prev_sse = 1e30;
  for (int k : {2, 3}) {
    const PsfFitResult fit = fit_psf_mixture(stamp, psf.rncol, psf.rnrow, k);
    double sum = 0, peak = 0;
    for (double v : stamp) sum += v, peak = std::max(peak, v);
    std::printf("PSF mixture K=%d: SSE %.3g (stamp sum %.4f, peak %.4f), max |residual| %.3g, "
                "%d iterations, weights sum %.4f\n",
                k, fit.sse, sum, peak, fit.max_abs_residual, fit.iterations,
                [&] { double s = 0; for (auto& c : fit.components) s += c.weight; return s; }());
    EXPECT_GT(fit.sse, 0);
    EXPECT_LT(fit.sse, 1e-3);  // model.md §10.5
    EXPECT_LT(fit.max_abs_residual, 0.05 * peak);
    EXPECT_EQ(static_cast<int>(fit.components.size()), k);
    EXPECT_LE(fit.sse, prev_sse * 1.0001);
    prev_sse = fit.sse;
    // Refit is reproducible (model.md §9.2 #19: two fits agree to 1e-6).
    const PsfFitResult again = fit_psf_mixture(stamp, psf.rncol, psf.rnrow, k);
    EXPECT_NEAR(again.sse, fit.sse, 1e-12);
  }
}

}  // namespace
}  // namespace celeste::io
