#include "io/sdss_field.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <tuple>

#include "io/fits_file.hpp"
#include "io/fits_wcs.hpp"
#include "io/input_warning.hpp"
#include "io/psf_fit.hpp"
#include "io/psf_validation.hpp"
#include "io/sdss_psf.hpp"
#include "util/checked_int.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace celeste::io {
namespace {

std::string padded(int value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*d", width, value);
  return buf;
}

std::string first_existing(const std::string& dir, const std::vector<std::string>& names,
                           const std::string& what) {
  std::string tried;
  for (const auto& n : names) {
    const std::string p = dir + "/" + n;
    if (::access(p.c_str(), F_OK) == 0) return p;
    tried += (tried.empty() ? "" : ", ") + n;
  }
  throw InputError(dir + ": no " + what + " file (tried " + tried + ")");
}

}  // namespace

std::string sdss_frame_path(const std::string& dir, int run, int camcol, int field, int band) {
  const std::string base = "frame-" + std::string(survey::kBandNames[band]) + "-" +
                           padded(run, 6) + "-" + std::to_string(camcol) + "-" + padded(field, 4);
  return first_existing(dir, {base + ".fits.bz2", base + ".fits", base + ".fits.gz"}, "frame");
}

std::string sdss_fpm_path(const std::string& dir, int run, int camcol, int field, int band) {
  const std::string base = "fpM-" + padded(run, 6) + "-" + survey::kBandNames[band] +
                           std::to_string(camcol) + "-" + padded(field, 4);
  return first_existing(dir, {base + ".fit.gz", base + ".fit", base + ".fits"}, "fpM mask");
}

std::string sdss_psfield_path(const std::string& dir, int run, int camcol, int field) {
  return dir + "/psField-" + padded(run, 6) + "-" + std::to_string(camcol) + "-" +
         padded(field, 4) + ".fit";
}

std::string sdss_photofield_path(const std::string& dir, int run, int camcol) {
  return dir + "/photoField-" + padded(run, 6) + "-" + std::to_string(camcol) + ".fits";
}

std::string sdss_photoobj_path(const std::string& dir, int run, int camcol, int field) {
  return dir + "/photoObj-" + padded(run, 6) + "-" + std::to_string(camcol) + "-" +
         padded(field, 4) + ".fits";
}

double bilinear_clamped(const std::vector<double>& grid, int nx, int ny, double x, double y) {
  // Callers validate the table (read_sdss_frame); these guards keep a bad call from reading
  // outside the grid (NaN coordinates would make floor() an arbitrary index).
  if (nx < 1 || ny < 1 || grid.size() != static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny))
    throw std::invalid_argument("bilinear_clamped: grid of " + std::to_string(grid.size()) +
                                " values is not " + std::to_string(nx) + " x " +
                                std::to_string(ny));
  if (!std::isfinite(x) || !std::isfinite(y))
    throw std::invalid_argument("bilinear_clamped: coordinate (" + std::to_string(x) + ", " +
                                std::to_string(y) + ") is not finite");
  x = std::clamp(x, 0.0, static_cast<double>(nx - 1));
  y = std::clamp(y, 0.0, static_cast<double>(ny - 1));
  const int x0 = std::min(static_cast<int>(std::floor(x)), std::max(nx - 2, 0));
  const int y0 = std::min(static_cast<int>(std::floor(y)), std::max(ny - 2, 0));
  const int x1 = std::min(x0 + 1, nx - 1), y1 = std::min(y0 + 1, ny - 1);
  const double fx = x - x0, fy = y - y0;
  auto g = [&](int xi, int yi) { return grid[static_cast<std::size_t>(yi) * nx + xi]; };
  return (1 - fx) * (1 - fy) * g(x0, y0) + fx * (1 - fy) * g(x1, y0) + (1 - fx) * fy * g(x0, y1) +
         fx * fy * g(x1, y1);
}

SdssFrame read_sdss_frame(const std::string& path) {
  FitsFile f = FitsFile::open_read(path);  // a corrupt or truncated file stops here
  if (f.num_hdus() < 3)
    throw InputError(path + ": an SDSS frame needs 3 HDUs (image, calibvec, sky), found " +
                         std::to_string(f.num_hdus()),
                     {path, 0, 0, "", std::to_string(f.num_hdus())});
  SdssFrame fr;
  fr.path = path;
  f.move_to(1);
  fr.wcs = read_wcs(f);
  const std::string filter = f.has_key("FILTER") ? f.read_string("FILTER") : "";
  fr.band = survey::band_index(filter);
  if (fr.band < 0)
    f.fail_input("keyword FILTER = '" + filter + "' is not one of u g r i z", "FILTER", filter);
  fr.run = f.read_int_in("RUN", 0, kIntMax);
  fr.camcol = f.read_int_in("CAMCOL", 1, 6);
  if (f.has_key("FRAME")) fr.field = f.read_int_in("FRAME", 0, kIntMax);
  FitsImage img = f.read_image();
  fr.width = static_cast<int>(img.width);  // read_image checked both axes fit an int
  fr.height = static_cast<int>(img.height);
  fr.nmgy = std::move(img.data);

  f.move_to(2);
  fr.calibvec = f.read_array_double();
  if (static_cast<long>(fr.calibvec.size()) != fr.width)
    f.fail_input("calibvec has " + std::to_string(fr.calibvec.size()) +
                     " values, the image has " + std::to_string(fr.width) + " columns",
                 "calibvec", std::to_string(fr.calibvec.size()));
  for (std::size_t i = 0; i < fr.calibvec.size(); ++i) {
    const double c = fr.calibvec[i];
    if (!(c > 0) || !std::isfinite(c))
      f.fail_input("calibvec column " + std::to_string(i) + " = " + std::to_string(c) +
                       " is not a positive number (nanomaggies per count)",
                   "calibvec", std::to_string(c));
  }

  f.move_to(3);
  if (f.hdu_kind() != HduKind::binary_table) f.fail_input("expected the sky table (ALLSKY)");
  if (f.num_rows() < 1) f.fail_input("the sky table (ALLSKY, XINTERP, YINTERP) has no rows");
  const std::vector<long> dims = f.column_dims("ALLSKY");
  if (dims.size() != 2) f.fail_input("ALLSKY must be a 2-D cell (TDIM)", "ALLSKY");
  const std::vector<double> allsky = f.read_cell_double("ALLSKY", 1);
  // The grid's shape comes from TDIM, its values from the cell: they must agree, or the
  // interpolation would index outside the values read.
  if (dims[0] < 1 || dims[1] < 1 || dims[0] > kIntMax || dims[1] > kIntMax ||
      static_cast<unsigned long long>(dims[0]) * static_cast<unsigned long long>(dims[1]) !=
          allsky.size())
    f.fail_input("column ALLSKY: TDIM (" + std::to_string(dims[0]) + ", " +
                     std::to_string(dims[1]) + ") does not match its " +
                     std::to_string(allsky.size()) + " values",
                 "ALLSKY", std::to_string(allsky.size()));
  const int nx = static_cast<int>(dims[0]), ny = static_cast<int>(dims[1]);
  for (std::size_t i = 0; i < allsky.size(); ++i)
    if (!std::isfinite(allsky[i]))
      f.fail_input("column ALLSKY element " + std::to_string(i) + " (grid x " +
                       std::to_string(i % nx) + ", y " + std::to_string(i / nx) + ") = " +
                       std::to_string(allsky[i]) + " is not a finite sky value",
                   "ALLSKY", std::to_string(allsky[i]));
  const std::vector<double> xi = f.read_cell_double("XINTERP", 1);
  const std::vector<double> yi = f.read_cell_double("YINTERP", 1);
  if (static_cast<long>(xi.size()) < fr.width || static_cast<long>(yi.size()) < fr.height)
    f.fail_input("XINTERP/YINTERP (" + std::to_string(xi.size()) + "/" +
                     std::to_string(yi.size()) + ") shorter than the image",
                 static_cast<long>(xi.size()) < fr.width ? "XINTERP" : "YINTERP");
  // Interpolation coordinates must be numbers (a NaN would index anywhere, issue 12); values
  // off the grid are clamped to it, as SDSS does.
  for (const auto& [name, table, count] :
       {std::make_tuple("XINTERP", &xi, fr.width), std::make_tuple("YINTERP", &yi, fr.height)})
    for (int i = 0; i < count; ++i)
      if (!std::isfinite((*table)[i]))
        f.fail_input(std::string("column ") + name + " element " + std::to_string(i) + " = " +
                         std::to_string((*table)[i]) +
                         " is not a finite sky-grid coordinate",
                     name, std::to_string((*table)[i]));
  fr.sky_counts.resize(fr.nmgy.size());
  for (int row = 0; row < fr.height; ++row)
    for (int col = 0; col < fr.width; ++col)
      fr.sky_counts[static_cast<std::size_t>(row) * fr.width + col] =
          bilinear_clamped(allsky, nx, ny, xi[col], yi[row]);
  return fr;
}

std::vector<double> frame_counts(const SdssFrame& fr) {
  std::vector<double> out(fr.nmgy.size());
  for (int row = 0; row < fr.height; ++row)
    for (int col = 0; col < fr.width; ++col) {
      const std::size_t i = static_cast<std::size_t>(row) * fr.width + col;
      out[i] = fr.nmgy[i] / fr.calibvec[col] + fr.sky_counts[i];
    }
  return out;
}

std::vector<double> frame_variance_nmgy2(const SdssFrame& fr, double gain, double dark_variance) {
  std::vector<double> counts = frame_counts(fr);
  for (int row = 0; row < fr.height; ++row)
    for (int col = 0; col < fr.width; ++col) {
      double& v = counts[static_cast<std::size_t>(row) * fr.width + col];
      v = (std::max(v, 0.0) / gain + dark_variance) * fr.calibvec[col] * fr.calibvec[col];
    }
  return counts;
}

SdssDetector read_photofield_detector(const std::string& path, int field, int band) {
  FitsFile f = FitsFile::open_read(path);
  if (f.num_hdus() < 2) throw InputError(path + ": photoField has no table HDU");
  f.move_to(2);
  if (band < 0 || band >= survey::kNumBands)
    throw InputError(path + ": band index " + std::to_string(band) + " is not 0..4");
  const auto fields = f.read_column_int("FIELD");
  for (const char* name : {"GAIN", "DARK_VARIANCE"})
    if (f.column_repeat(name) != survey::kNumBands)
      f.fail_input(std::string("column ") + name + " holds " +
                       std::to_string(f.column_repeat(name)) + " values per row, expected " +
                       std::to_string(survey::kNumBands) + " (u g r i z)",
                   name, std::to_string(f.column_repeat(name)));
  const auto gain = f.read_vector_column_double("GAIN");
  const auto dark = f.read_vector_column_double("DARK_VARIANCE");
  const std::string band_text = std::string(" (band ") + survey::kBandNames[band] + ")";
  for (std::size_t r = 0; r < fields.size(); ++r)
    if (fields[r] == field) {
      SdssDetector d{gain[r * survey::kNumBands + band], dark[r * survey::kNumBands + band]};
      if (!(d.gain > 0) || !std::isfinite(d.gain))
        f.fail_input("column GAIN for field " + std::to_string(field) + band_text + " = " +
                         std::to_string(d.gain) + " is not positive",
                     "GAIN", std::to_string(d.gain));
      if (!(d.dark_variance >= 0) || !std::isfinite(d.dark_variance))
        f.fail_input("column DARK_VARIANCE for field " + std::to_string(field) + band_text +
                         " = " + std::to_string(d.dark_variance) +
                         " is not a non-negative number",
                     "DARK_VARIANCE", std::to_string(d.dark_variance));
      return d;
    }
  f.fail_input("no row with FIELD = " + std::to_string(field), "FIELD", std::to_string(field));
}

std::vector<unsigned char> read_fpm_mask(const std::string& path, int width, int height) {
  FitsFile f = FitsFile::open_read(path);
  const int n = f.num_hdus();
  f.move_to(n);
  if (f.hdu_kind() != HduKind::binary_table || !f.has_column("defName"))
    f.fail_input("expected the mask-plane name table (defName, attributeName, Value) in the "
                 "last HDU");
  const auto def = f.read_column_string("defName");
  const auto attr = f.read_column_string("attributeName");
  const auto value = f.read_column_int_in("Value", 0, n);
  std::vector<unsigned char> mask(static_cast<std::size_t>(width) * height, 0);
  for (std::size_t i = 0; i < def.size(); ++i) {
    if (def[i] != "S_MASKTYPE") continue;
    if (attr[i] != "S_MASK_INTERP" && attr[i] != "S_MASK_SATUR" && attr[i] != "S_MASK_CR" &&
        attr[i] != "S_MASK_GHOST")
      continue;
    const int hdu = value[i] + 2;
    if (hdu > n) f.fail_input(attr[i] + " plane is HDU " + std::to_string(hdu) + " beyond the file");
    f.move_to(hdu);
    if (f.num_rows() == 0) continue;
    const auto cmin = f.read_column_int("cmin"), cmax = f.read_column_int("cmax");
    const auto rmin = f.read_column_int("rmin"), rmax = f.read_column_int("rmax");
    for (std::size_t r = 0; r < cmin.size(); ++r)
      for (long long row = std::max(0LL, rmin[r]); row <= std::min<long long>(rmax[r], height - 1); ++row)
        for (long long col = std::max(0LL, cmin[r]); col <= std::min<long long>(cmax[r], width - 1); ++col)
          mask[static_cast<std::size_t>(row) * width + col] = 1;
    f.move_to(n);
  }
  return mask;
}

std::vector<survey::Image> read_sdss_field_headers(const std::string& dir, int run, int camcol,
                                                   int field,
                                                   const std::vector<std::string>& bands) {
  std::vector<survey::Image> images;
  const std::string psfield = sdss_psfield_path(dir, run, camcol, field);
  const std::string photofield = sdss_photofield_path(dir, run, camcol);
  for (const std::string& file : {psfield, photofield})
    if (!std::filesystem::exists(file))
      throw InputError(file + ": cannot open: No such file or directory", {file, 0, 0, "", ""});
  for (const std::string& name : bands) {
    const int band = survey::band_index(name);
    if (band < 0) throw InputError(dir + ": band '" + name + "' is not one of u g r i z");
    const std::string path = sdss_frame_path(dir, run, camcol, field, band);
    sdss_fpm_path(dir, run, camcol, field, band);  // the mask must exist too
    FitsFile f = FitsFile::open_primary_header(path);
    f.move_to(1);
    survey::Image img;
    img.source = path;
    img.band = band;
    const std::string filter = f.has_key("FILTER") ? f.read_string("FILTER") : "";
    if (survey::band_index(filter) != band)
      f.fail_input("keyword FILTER = '" + filter + "', expected " + name, "FILTER", filter);
    const std::vector<long> shape = f.image_shape();
    if (shape.size() != 2 || shape[0] < 1 || shape[1] < 1 || shape[0] > kIntMax ||
        shape[1] > kIntMax)
      f.fail_input("the frame image is not a 2-D image of at most " + std::to_string(kIntMax) +
                   " pixels per side");
    img.width = static_cast<int>(shape[0]);
    img.height = static_cast<int>(shape[1]);
    img.wcs = read_wcs(f);
    img.run = run;
    img.camcol = camcol;
    img.field = field;
    images.push_back(std::move(img));
  }
  return images;
}

std::vector<survey::Image> read_sdss_field(const std::string& dir, int run, int camcol, int field,
                                           const std::vector<std::string>& bands,
                                           int psf_components) {
  std::vector<survey::Image> images;
  const std::string psfield = sdss_psfield_path(dir, run, camcol, field);
  const std::string photofield = sdss_photofield_path(dir, run, camcol);
  log::info(log::format("celeste: SDSS field %d/%d/%d: reading %zu frame(s), masks and "
                        "calibration; fitting %d-component PSF mixtures to the psField PSFs",
                        run, camcol, field, bands.size(), psf_components));
  for (const std::string& name : bands) {
    const auto t_band = std::chrono::steady_clock::now();
    const int band = survey::band_index(name);
    if (band < 0) throw InputError(dir + ": band '" + name + "' is not one of u g r i z");
    SdssFrame fr = read_sdss_frame(sdss_frame_path(dir, run, camcol, field, band));
    if (fr.band != band)
      throw InputError(fr.path + ": HDU 1: FILTER is " + survey::kBandNames[fr.band] +
                       ", expected " + name);
    const SdssDetector det = read_photofield_detector(photofield, field, band);
    const auto mask = read_fpm_mask(sdss_fpm_path(dir, run, camcol, field, band), fr.width,
                                    fr.height);
    const SdssEigenPsf eigen = read_sdss_eigen_psf(psfield, band);
    // The PSF at the frame centre must be a PSF before it is fitted (io/psf_validation.hpp):
    // an all-zero or negated eigen-image basis would otherwise "converge" to nonsense.
    const std::vector<double> stamp =
        eigen.stamp_at(0.5 * (fr.height - 1), 0.5 * (fr.width - 1));
    validate_psf_stamp(stamp, eigen.rncol, eigen.rnrow,
                       eigen.source + " at the centre of " + fr.path, psfield, band + 2);
    PsfFitResult psf;
    try {
      psf = fit_psf_mixture(stamp, eigen.rncol, eigen.rnrow, psf_components);
    } catch (const std::invalid_argument& e) {
      throw InputError(eigen.source + ": cannot fit the PSF mixture: " + e.what(),
                       {psfield, band + 2, 0, "RROWS", ""});
    }
    validate_psf_mixture(psf.components,
                         eigen.source + ": the " + std::to_string(psf_components) +
                             "-component mixture fitted to it",
                         psfield, band + 2);
    survey::Image img;
    img.source = fr.path;
    img.band = band;
    img.width = fr.width;
    img.height = fr.height;
    img.run = run;
    img.camcol = camcol;
    img.field = field;
    img.wcs = fr.wcs;
    img.psf = psf.components;
    img.pixel_psf = eigen;
    img.iota.resize(fr.width);
    for (int h = 0; h < fr.width; ++h) img.iota[h] = det.gain / fr.calibvec[h];
    const long bad = mask_nonfinite(fr.nmgy);
    if (bad > 0)
      warn_input(fr.path + ": " + std::to_string(bad) + " NaN/Inf pixels; they are masked");
    std::size_t usable = 0;
    img.pixels.resize(fr.nmgy.size());
    img.sky.resize(fr.nmgy.size());
    for (std::size_t i = 0; i < fr.nmgy.size(); ++i) {
      const int col = static_cast<int>(i % fr.width);
      const double eps = fr.sky_counts[i] * fr.calibvec[col];
      if (!(eps > 0))
        throw InputError(fr.path + ": HDU 3: interpolated sky is not positive at column " +
                         std::to_string(col) + ", row " + std::to_string(i / fr.width));
      img.sky[i] = static_cast<float>(eps);
      img.pixels[i] = (mask[i] || std::isnan(fr.nmgy[i]))
                          ? std::numeric_limits<float>::quiet_NaN()
                          : static_cast<float>(img.iota[col] * (fr.nmgy[i] + eps));
      usable += !std::isnan(img.pixels[i]);
    }
    if (usable == 0)
      warn_input(fr.path + ": every pixel is masked (fpM mask planes and NaN/Inf values); "
                 "the image contributes nothing to the fit");
    log::detail(log::format(
        "celeste: SDSS field %d/%d/%d band %s: %dx%d frame, %zu usable pixels, PSF mixture "
        "fitted (%d iterations); %.2f s",
        run, camcol, field, name.c_str(), fr.width, fr.height, usable, psf.iterations,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_band).count()));
    images.push_back(std::move(img));
  }
  return images;
}

void validate_catalog_against_images(const survey::Catalog& catalog,
                                     const std::vector<survey::Image>& images,
                                     const std::string& catalog_source) {
  if (catalog.empty())
    throw InputError(catalog_source + ": the catalog has no usable sources; nothing to fit");
  if (images.empty()) throw InputError(catalog_source + ": no images to fit the catalog against");
  for (const auto& e : catalog)
    for (const auto& img : images) {
      const auto p = img.wcs.world_to_pix(e.ra, e.dec);
      if (p[0] >= 0.5 && p[0] <= img.width + 0.5 && p[1] >= 0.5 && p[1] <= img.height + 0.5)
        return;
    }
  throw InputError(catalog_source + ": all " + std::to_string(catalog.size()) +
                   " catalog sources lie outside every image (" + std::to_string(images.size()) +
                   " images; e.g. source 1 at ra " + std::to_string(catalog.front().ra) +
                   ", dec " + std::to_string(catalog.front().dec) +
                   "): wrong catalog or wrong field?");
}

}  // namespace celeste::io
