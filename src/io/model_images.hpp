#pragma once
// Model, residual and chi images of one survey image (`output.model_images: true`, docs/run.md):
// a FITS file of four image HDUs in the input image's own pixel grid and WCS, so ds9 and
// astropy overlay them on the input frame:
//   HDU 1 DATA   observed light minus sky, nmgy per pixel (x / ι − ε; masked pixels NaN)
//   HDU 2 MODEL  fitted light of all sources, nmgy per pixel (Σ_s E[G_s], posterior means and
//                type probabilities, no sky)
//   HDU 3 RESID  DATA − MODEL, nmgy
//   HDU 4 CHI    (x − F) / sqrt(F) with F = ι (ε + MODEL) the expected photo-electrons (Poisson)
#include <string>
#include <vector>

#include "io/provenance.hpp"
#include "survey/image.hpp"

namespace celeste::io {

// model_nmgy: per pixel, index as survey::Image. Writes exactly `path` (the caller makes it
// atomic: io::AtomicOutputSet); the provenance keywords in the primary HDU (DATA), RUNID in
// the others, CHECKSUM/DATASUM in each. Throws InputError.
void write_model_image_file(const std::string& path, const survey::Image& image,
                            const std::vector<double>& model_nmgy,
                            const OutputProvenance& provenance = {});

// The same written atomically (temporary + rename).
void write_model_image(const std::string& path, const survey::Image& image,
                       const std::vector<double>& model_nmgy);

}  // namespace celeste::io
