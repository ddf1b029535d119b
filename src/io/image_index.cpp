#include "io/image_index.hpp"

#include <algorithm>
#include <cmath>

#include "celeste/math.hpp"
#include "io/generic_images.hpp"
#include "io/sdss_field.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

ImageFootprint footprint_of(ImageRef ref, survey::Image header) {
  ImageFootprint fp;
  fp.ref = std::move(ref);
  const double w = header.width + 0.5, h = header.height + 0.5, mw = 0.5 * (w + 0.5),
               mh = 0.5 * (h + 0.5);
  const std::array<std::array<double, 2>, 8> pixels{
      {{0.5, 0.5}, {mw, 0.5}, {w, 0.5}, {w, mh}, {w, h}, {mw, h}, {0.5, h}, {0.5, mh}}};
  fp.ra_min = fp.dec_min = 1e300;
  fp.ra_max = fp.dec_max = -1e300;
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    fp.outline[i] = header.wcs.pix_to_world(pixels[i][0], pixels[i][1]);
    if (!std::isfinite(fp.outline[i][0]) || !std::isfinite(fp.outline[i][1]))
      throw InputError(header.source + ": the WCS gives no sky position for pixel (" +
                       std::to_string(pixels[i][0]) + ", " + std::to_string(pixels[i][1]) +
                       ") at the image's edge; its footprint is unknown");
    fp.ra_min = std::min(fp.ra_min, fp.outline[i][0]);
    fp.ra_max = std::max(fp.ra_max, fp.outline[i][0]);
    fp.dec_min = std::min(fp.dec_min, fp.outline[i][1]);
    fp.dec_max = std::max(fp.dec_max, fp.outline[i][1]);
  }
  // Grown by one pixel: between the points the edges (great circles in a tangent projection)
  // bow out of their box by far less than that.
  const auto& c = header.wcs.cd();
  const double px = std::sqrt(std::fabs(c[0][0] * c[1][1] - c[0][1] * c[1][0]));
  const double max_abs_dec = std::min(89.0, std::max(std::fabs(fp.dec_min), std::fabs(fp.dec_max)));
  fp.ra_min -= px / std::cos(max_abs_dec * kRadPerDeg);
  fp.ra_max += px / std::cos(max_abs_dec * kRadPerDeg);
  fp.dec_min -= px;
  fp.dec_max += px;
  if (fp.ra_max - fp.ra_min > 180.0) {  // across RA 0/360: every RA (a superset, never less)
    fp.ra_min = 0.0;
    fp.ra_max = 360.0;
  }
  fp.header = std::move(header);
  return fp;
}

}  // namespace

std::vector<ImageFootprint> index_generic_file(const std::string& path) {
  std::vector<ImageFootprint> out;
  auto headers = read_generic_image_headers(path);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    ImageRef ref;
    ref.format = ImageRef::Format::generic;
    ref.path = path;
    ref.ordinal = static_cast<int>(i);
    out.push_back(footprint_of(std::move(ref), std::move(headers[i])));
  }
  return out;
}

std::vector<ImageFootprint> index_sdss_field(const std::string& directory, int run, int camcol,
                                             int field, const std::vector<std::string>& bands,
                                             int psf_components) {
  std::vector<ImageFootprint> out;
  auto headers = read_sdss_field_headers(directory, run, camcol, field, bands);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    ImageRef ref;
    ref.format = ImageRef::Format::sdss;
    ref.directory = directory;
    ref.run = run;
    ref.camcol = camcol;
    ref.field = field;
    ref.band = bands[i];
    ref.psf_components = psf_components;
    out.push_back(footprint_of(std::move(ref), std::move(headers[i])));
  }
  return out;
}

survey::Image load_indexed_image(const ImageFootprint& fp) {
  const ImageRef& r = fp.ref;
  survey::Image im =
      r.format == ImageRef::Format::generic
          ? read_generic_image(r.path, r.ordinal)
          : std::move(read_sdss_field(r.directory, r.run, r.camcol, r.field, {r.band},
                                      r.psf_components)
                          .front());
  // The header the plan used must be the image's (a file changed while the run reads it).
  if (im.width != fp.header.width || im.height != fp.header.height || im.band != fp.header.band)
    throw InputError(im.source + ": the image changed since its header was indexed (" +
                     std::to_string(fp.header.width) + " x " + std::to_string(fp.header.height) +
                     " then, " + std::to_string(im.width) + " x " + std::to_string(im.height) +
                     " now)");
  return im;
}

std::size_t image_bytes(const survey::Image& im) {
  std::size_t b = im.pixels.capacity() * sizeof(float) + im.sky.capacity() * sizeof(float) +
                  im.iota.capacity() * sizeof(double) +
                  im.psf.capacity() * sizeof(survey::PsfComponent);
  b += im.pixel_psf.coeffs.capacity() * sizeof(im.pixel_psf.coeffs.front());
  for (const auto& e : im.pixel_psf.eigen) b += e.capacity() * sizeof(double);
  return b;
}

std::vector<int> images_meeting(const std::vector<ImageFootprint>& index,
                                const std::array<double, 4>& box, double halo_deg) {
  const double max_abs_dec = std::min(89.0, std::max(std::fabs(box[2]), std::fabs(box[3])) +
                                                halo_deg);
  const double ra_halo = halo_deg / std::cos(max_abs_dec * kRadPerDeg);
  std::vector<int> out;
  for (std::size_t n = 0; n < index.size(); ++n) {
    const ImageFootprint& fp = index[n];
    if (fp.ra_max >= box[0] - ra_halo && fp.ra_min <= box[1] + ra_halo &&
        fp.dec_max >= box[2] - halo_deg && fp.dec_min <= box[3] + halo_deg)
      out.push_back(static_cast<int>(n));
  }
  return out;
}

}  // namespace celeste::io
