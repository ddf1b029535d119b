#pragma once
// The footprint index of a run's input images: for every image, where to read it and its
// metadata and sky footprint from the FITS headers only (no pixel is read). The run plans with
// it and loads an image's pixels only when a task needs them (io/image_cache.hpp,
// docs/scheduling.md "Task-local images").
#include <array>
#include <string>
#include <vector>

#include "survey/image.hpp"

namespace celeste::io {

// Where one image's data is: image `ordinal` of a generic file, or one band of an SDSS field.
struct ImageRef {
  enum class Format { generic, sdss } format = Format::generic;
  std::string path;  // generic: the file
  int ordinal = 0;   // generic: 0-based image of the file
  std::string directory;  // sdss: the field's folder
  int run = 0, camcol = 0, field = 0;
  std::string band;       // sdss: u..z
  int psf_components = 3; // sdss: mixture fitted to the psField PSF
};

struct ImageFootprint {
  ImageRef ref;
  // The image without pixels: source, band, width, height, WCS, survey ids, epoch.
  survey::Image header;
  // Sky (ra, dec) of the pixel grid's corners (0.5, 0.5), (W + 0.5, 0.5), (W + 0.5, H + 0.5),
  // (0.5, H + 0.5) and of the edges' midpoints, in that order around the image.
  std::array<std::array<double, 2>, 8> outline{};
  // Their bounding box in raw degrees (the regions' coordinates, regions.hpp), grown by one
  // pixel. An image across RA 0/360 gets RA 0..360 (it meets every region).
  double ra_min = 0, ra_max = 0, dec_min = 0, dec_max = 0;
};

// The footprints of a generic file's images, in file order.
std::vector<ImageFootprint> index_generic_file(const std::string& path);
// The footprints of an SDSS field's bands, in `bands` order; every file the field needs must
// exist (InputError naming the first missing one).
std::vector<ImageFootprint> index_sdss_field(const std::string& directory, int run, int camcol,
                                             int field, const std::vector<std::string>& bands,
                                             int psf_components);

// The image's pixels and everything else, as read_generic_images / read_sdss_field give it.
survey::Image load_indexed_image(const ImageFootprint& footprint);

// Bytes an image holds in memory (pixels, sky, ι, PSF stamps): what the cache counts.
std::size_t image_bytes(const survey::Image& image);

// The images whose footprint box meets `box` (ra_min, ra_max, dec_min, dec_max, raw degrees)
// grown by `halo_deg` (RA by halo_deg / cos(dec), at the box's largest |dec|), ascending.
std::vector<int> images_meeting(const std::vector<ImageFootprint>& index,
                                const std::array<double, 4>& box, double halo_deg);

}  // namespace celeste::io
