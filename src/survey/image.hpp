#pragma once
// One survey image as the model consumes it, independent of the survey it came from
// (SDSS frame, generic/Celeste-stamp FITS, synthetic). Host-side; the kernels get packed
// device copies built from these (kernels/celeste/model/elbo_inputs.hpp).
//
// Pixel coordinates follow model.md: 1-based and continuous, pixel (h, w) centred at (h, w),
// h along FITS axis 1 (NAXIS1 = width), w along FITS axis 2 (NAXIS2 = height).
#include <array>
#include <string>
#include <vector>

#include "survey/bands.hpp"
#include "survey/eigen_psf.hpp"
#include "survey/wcs.hpp"

namespace celeste::survey {


// One Gaussian of a PSF mixture, pixel units, (h, w) order; cov = (Σ_hh, Σ_hw, Σ_ww).
struct PsfComponent {
  double weight = 0;
  std::array<double, 2> mean{0, 0};
  std::array<double, 3> cov{1, 0, 1};
};

struct Image {
  std::string source;  // where it came from, for messages: "file.fits[HDU 3]"
  int band = 2;        // 0..4 = u..z
  int width = 0;       // H: pixels along h (FITS axis 1)
  int height = 0;      // W: pixels along w (FITS axis 2)
  // Per pixel, index (w - 1) * width + (h - 1) (FITS storage order):
  std::vector<float> pixels;  // x: photo-electrons; NaN = masked
  std::vector<float> sky;     // ε: sky background, nmgy per pixel (> 0)
  std::vector<double> iota;   // ι(h): electrons per nmgy, one per column h (size width)
  std::vector<PsfComponent> psf;  // Gaussian mixture (galaxy profiles; stars when no stamp)
  EigenPsf pixel_psf;             // the survey's pixelized PSF, when it has one (SDSS)
  Wcs wcs;
  // Survey metadata (0 when unknown).
  int run = 0, camcol = 0, field = 0, epoch = 0;

  std::size_t index(int h, int w) const {
    return static_cast<std::size_t>(w - 1) * width + (h - 1);
  }
};

}  // namespace celeste::survey
