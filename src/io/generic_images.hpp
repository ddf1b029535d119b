#pragma once
// The generic image format ("Celeste stamp format"): what `celeste generate` writes and what
// Celeste.jl's real-data stamps in ../shared/data/sdss/celeste-stamps are. One FITS file holds
// one or more images (epochs/bands); per image, in order:
//   1. image HDU, float, nanomaggies, sky-subtracted, with header keywords
//        a celestial WCS (io/fits_wcs.hpp; written as WCSLIB writes it, with the CD matrix)
//        BAND (or FILTER) u|g|r|i|z, CALIB (nmgy per count), SKY (counts per pixel),
//        GAIN (electrons per count), DARKVAR (counts^2, optional), RUN CAMCOL FIELD (optional),
//        PSF_P0..PSF_P{6K-1}: K-component Gaussian mixture, pixel units:
//          amp_0..amp_{K-1}, (meanx_k, meany_k) for each k, (varxx_k, varyy_k, varxy_k) each k
//        (x = FITS axis 1 = h, y = axis 2 = w; zero-amplitude components are dropped);
//   2. optional inverse-variance HDU (nmgy^-2, same shape, no WCS); zero or non-finite weight
//      marks a pixel as masked;
//   3. optional extensions EXTNAME='CALIBVEC' (NAXIS1 = width, nmgy per count per column;
//      replaces CALIB) and EXTNAME='SKYMAP' (same shape as the image, sky in counts; replaces
//      SKY), written only when an image's calibration or sky is not constant.
// An image HDU is recognized by its WCS (CRPIX1). Full description: docs/io.md.
//
// Conversion to the model's quantities (model.md §2.1): ι(h) = GAIN / calib(h) electrons per
// nmgy, ε = sky_counts · calib(h) nmgy, x = ι (image + ε) electrons.
#include <array>
#include <string>
#include <vector>

#include "survey/image.hpp"

namespace celeste::io {

// Reads every image of a generic FITS file. Non-finite pixel values are masked (NaN) with one
// warning per image on stderr naming the file, HDU and count. Throws InputError (file, HDU,
// keyword and reason) on a missing/unreadable/truncated file, a missing keyword, a singular
// WCS, a zero-size image, a malformed PSF or an HDU layout that is not the one above.
std::vector<survey::Image> read_generic_images(const std::string& path);

// The images of the file without pixels (source, band, width, height, WCS, run/camcol/field,
// epoch; pixels, sky, iota and PSF empty), from the headers only: the footprint index's input.
std::vector<survey::Image> read_generic_image_headers(const std::string& path);

// Image `ordinal` (0-based, file order) of the file, as read_generic_images gives it, reading
// only its own HDUs' data.
survey::Image read_generic_image(const std::string& path, int ordinal);

// Per-band detector constants written to the header. Synthetic images have no detector, so
// the default is one count per electron (GAIN = 1) and no dark current; then CALIB = 1/ι.
struct GenericWriteOptions {
  std::array<double, survey::kNumBands> gain{1, 1, 1, 1, 1};           // electrons per count
  std::array<double, survey::kNumBands> dark_variance{0, 0, 0, 0, 0};  // counts^2
};

// Writes `images` (photo-electrons, sky in nmgy, ι per column) atomically (temporary file,
// fsync, rename). Masked (NaN) pixels are written as 0 with zero inverse variance; the
// inverse variance is 1 / ((max(x, ι ε)/GAIN/GAIN + DARKVAR) CALIB²), the Poisson variance
// of the observed pixel in nmgy² (floored at the sky's). read_generic_images gives back the
// same pixels to float32 precision.
void write_generic_images(const std::string& path, const std::vector<survey::Image>& images,
                          const GenericWriteOptions& options = {});

}  // namespace celeste::io
