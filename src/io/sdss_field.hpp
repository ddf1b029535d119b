#pragma once
// One SDSS field (model.md §10): frame-*, psField, photoField and fpM files of (run, camcol,
// field) in one folder -> one survey::Image per band. File names follow the SAS layout; the
// frame and fpM may be compressed (.fits.bz2 / .fit.gz) or not.
#include <string>
#include <vector>

#include "survey/catalog.hpp"
#include "survey/image.hpp"

namespace celeste::io {

// The calibrated frame (HDU1 image in nmgy, HDU2 calibvec, HDU3 sky grid) with its WCS.
struct SdssFrame {
  std::string path;
  int band = 2, run = 0, camcol = 0, field = 0;
  int width = 0, height = 0;     // NAXIS1 (columns, h), NAXIS2 (rows, w)
  std::vector<float> nmgy;       // index row * width + col
  std::vector<double> calibvec;  // nmgy per count, per column
  std::vector<double> sky_counts;  // interpolated sky, counts, per pixel
  survey::Wcs wcs;
};

SdssFrame read_sdss_frame(const std::string& path);

// Bilinear interpolation of grid[y][x] (nx fastest) at 0-based (x, y), clamped to the grid
// (constant extrapolation), with the correct weights (1-fx)(1-fy) on (x0, y0) etc. (model.md
// §10.2; the reference code swaps them, §11.10).
double bilinear_clamped(const std::vector<double>& grid, int nx, int ny, double x, double y);

// counts = nmgy / calibvec + sky (the SDSS recipe); per pixel.
std::vector<double> frame_counts(const SdssFrame& frame);

// Poisson + read-noise variance in nmgy²: (counts / gain + dark_variance) calibvec².
std::vector<double> frame_variance_nmgy2(const SdssFrame& frame, double gain,
                                         double dark_variance);

// GAIN and DARK_VARIANCE of one band for `field` from photoField-RUN6-CAMCOL.fits.
struct SdssDetector {
  double gain = 0, dark_variance = 0;
};
SdssDetector read_photofield_detector(const std::string& path, int field, int band);

// fpM mask: pixels of the INTERP, SATUR, CR and GHOST planes (object bounding boxes, model.md
// §10.3). Returns a width x height byte mask, 1 = masked.
std::vector<unsigned char> read_fpm_mask(const std::string& path, int width, int height);

// Folder + (run, camcol, field, band) -> the file names (frame/fpM: the first that exists among
// compressed and plain variants; InputError listing the names tried when none does).
std::string sdss_frame_path(const std::string& dir, int run, int camcol, int field, int band);
std::string sdss_fpm_path(const std::string& dir, int run, int camcol, int field, int band);
std::string sdss_psfield_path(const std::string& dir, int run, int camcol, int field);
std::string sdss_photofield_path(const std::string& dir, int run, int camcol);
std::string sdss_photoobj_path(const std::string& dir, int run, int camcol, int field);

// Reads the field's images for `bands` (names u..z): electrons, sky (nmgy), ι = gain/calibvec,
// masks applied (NaN), non-finite pixels masked with a warning, PSF = K-component mixture fit
// to the psField PSF at the frame centre.
std::vector<survey::Image> read_sdss_field(const std::string& dir, int run, int camcol, int field,
                                           const std::vector<std::string>& bands,
                                           int psf_components);

// The field's images for `bands` without pixels (source, band, width, height, WCS, run,
// camcol, field), from the frames' first-HDU headers only; every file read_sdss_field needs
// must exist (InputError naming the first missing one). The footprint index's input.
std::vector<survey::Image> read_sdss_field_headers(const std::string& dir, int run, int camcol,
                                                   int field,
                                                   const std::vector<std::string>& bands);

// Clear errors before inference: empty catalog, or no source inside any image.
// Throws InputError naming `catalog_source` and the reason.
void validate_catalog_against_images(const survey::Catalog& catalog,
                                     const std::vector<survey::Image>& images,
                                     const std::string& catalog_source);

}  // namespace celeste::io
