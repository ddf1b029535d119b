#include "io/generic_images.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/atomic_file.hpp"
#include "io/fits_file.hpp"
#include "io/fits_wcs.hpp"
#include "io/input_warning.hpp"
#include "io/psf_validation.hpp"
#include "util/checked_int.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const char* const kCalibVecExt = "CALIBVEC";
const char* const kSkyMapExt = "SKYMAP";

std::string hdu_label(const FitsFile& f) {
  return f.path() + "[HDU " + std::to_string(f.current_hdu()) + "]";
}

std::string extname(const FitsFile& f) {
  return f.has_key("EXTNAME") ? f.read_string("EXTNAME") : std::string();
}

bool is_data_image(const FitsFile& f) {
  if (f.hdu_kind() != HduKind::image) return false;
  return !f.image_shape().empty();
}

std::string band_name_of(const FitsFile& f);

// PSF_P0..PSF_P{6K-1} in the stamp order (module header). Zero-amplitude components (the
// stamps' "_2kpsf" files pad a 2-component fit to 3) are dropped.
std::vector<survey::PsfComponent> read_psf_keywords(const FitsFile& f) {
  int n = 0;
  while (f.has_key("PSF_P" + std::to_string(n))) ++n;
  if (n == 0) f.fail_input("missing keyword PSF_P0 (Gaussian-mixture PSF parameters)");
  if (n % 6 != 0)
    f.fail_input("keywords PSF_P0..PSF_P" + std::to_string(n - 1) + ": " + std::to_string(n) +
                 " PSF parameters is not a multiple of 6 (amplitude, 2 means, 3 covariances "
                 "per component)");
  const int k_count = n / 6;
  auto p = [&](int i) { return f.read_double("PSF_P" + std::to_string(i)); };
  std::vector<survey::PsfComponent> psf;
  for (int k = 0; k < k_count; ++k) {
    survey::PsfComponent c;
    c.weight = p(k);
    c.mean = {p(k_count + 2 * k), p(k_count + 2 * k + 1)};
    const double xx = p(3 * k_count + 3 * k), yy = p(3 * k_count + 3 * k + 1),
                 xy = p(3 * k_count + 3 * k + 2);
    c.cov = {xx, xy, yy};
    if (!std::isfinite(c.weight) || !std::isfinite(c.mean[0]) || !std::isfinite(c.mean[1]) ||
        !std::isfinite(xx) || !std::isfinite(yy) || !std::isfinite(xy))
      f.fail_input("PSF component " + std::to_string(k) + " has a non-finite parameter "
                   "(keywords PSF_P*)", "PSF_P" + std::to_string(k));
    if (c.weight == 0) continue;
    psf.push_back(c);
  }
  if (psf.empty()) f.fail_input("every PSF component (PSF_P*) has zero amplitude", "PSF_P0", "0");
  // Amplitudes, means and covariances within the documented bounds (io/psf_validation.hpp).
  validate_psf_mixture(psf, hdu_label(f) + " (band " + band_name_of(f) + ", keywords PSF_P*)",
                       f.path(), f.current_hdu());
  return psf;
}

// The BAND (or FILTER) keyword's text for messages, "?" when absent.
std::string band_name_of(const FitsFile& f) {
  if (f.has_key("BAND")) return f.read_string("BAND");
  if (f.has_key("FILTER")) return f.read_string("FILTER");
  return "?";
}

int read_band(const FitsFile& f) {
  const char* key = f.has_key("BAND") ? "BAND" : f.has_key("FILTER") ? "FILTER" : nullptr;
  if (!key) f.fail_input("missing keyword BAND (or FILTER): which of u g r i z");
  const std::string name = f.read_string(key);
  const int b = survey::band_index(name);
  if (b < 0) f.fail_input("keyword " + std::string(key) + " = '" + name + "' is not one of u g r i z");
  return b;
}

double read_positive(const FitsFile& f, const std::string& key) {
  const double v = f.read_double(key);
  if (!(v > 0) || !std::isfinite(v))
    f.fail_input("keyword " + key + " = " + std::to_string(v) + " must be positive and finite",
                 key, std::to_string(v));
  return v;
}

// Survey ids (RUN, CAMCOL, FIELD): 0 when absent, else a checked non-negative int.
int read_optional_int(const FitsFile& f, const std::string& key) {
  return f.has_key(key) ? f.read_int_in(key, 0, kIntMax) : 0;
}

// Header and pixels of one image HDU (the file is positioned on it).
struct RawEpoch {
  survey::Image image;  // everything but pixels / sky / iota
  std::vector<float> nmgy;
  std::vector<float> invvar;  // empty when absent
  std::vector<double> calib;  // per column
  std::vector<double> sky_counts;  // per pixel
  double gain = 1;
};

RawEpoch read_image_hdu(FitsFile& f) {
  RawEpoch e;
  survey::Image& img = e.image;
  img.source = hdu_label(f);
  FitsImage px = f.read_image();  // shape problems first: they explain missing keywords best
  img.wcs = read_wcs(f);
  img.band = read_band(f);
  const double calib = read_positive(f, "CALIB");
  const double sky = f.read_double("SKY");
  if (!(sky > 0) || !std::isfinite(sky))
    f.fail_input("keyword SKY = " + std::to_string(sky) +
                     ": the sky level (counts per pixel) must be positive (model.md §11.4)",
                 "SKY", std::to_string(sky));
  e.gain = read_positive(f, "GAIN");
  img.run = read_optional_int(f, "RUN");
  img.camcol = read_optional_int(f, "CAMCOL");
  img.field = read_optional_int(f, "FIELD");
  img.psf = read_psf_keywords(f);
  img.width = static_cast<int>(px.width);
  img.height = static_cast<int>(px.height);
  e.nmgy = std::move(px.data);
  e.calib.assign(static_cast<std::size_t>(img.width), calib);
  e.sky_counts.assign(e.nmgy.size(), sky);
  return e;
}

void read_companion(FitsFile& f, RawEpoch& e) {
  const std::string name = extname(f);
  FitsImageD px = f.read_image_double();
  const survey::Image& img = e.image;
  if (name == kCalibVecExt) {
    if (px.width != img.width || px.height != 1)
      f.fail_input("CALIBVEC is " + std::to_string(px.width) + " x " + std::to_string(px.height) +
                   ", expected " + std::to_string(img.width) + " x 1 for image " + img.source);
    for (int h = 0; h < img.width; ++h) {
      if (!(px.data[h] > 0) || !std::isfinite(px.data[h]))
        f.fail_input("CALIBVEC column " + std::to_string(h + 1) + " is not positive");
      e.calib[h] = px.data[h];
    }
    return;
  }
  if (px.width != img.width || px.height != img.height)
    f.fail_input((name.empty() ? std::string("inverse-variance HDU") : name) + " is " +
                 std::to_string(px.width) + " x " + std::to_string(px.height) + ", image " +
                 img.source + " is " + std::to_string(img.width) + " x " +
                 std::to_string(img.height));
  if (name == kSkyMapExt) {
    for (std::size_t i = 0; i < px.data.size(); ++i) {
      if (!(px.data[i] > 0) || !std::isfinite(px.data[i]))
        f.fail_input("SKYMAP has a non-positive sky value at pixel index " + std::to_string(i));
      e.sky_counts[i] = px.data[i];
    }
  } else {
    e.invvar.assign(px.data.begin(), px.data.end());
  }
}

survey::Image to_model_units(RawEpoch&& e) {
  survey::Image img = std::move(e.image);
  const long bad = mask_nonfinite(e.nmgy);
  if (bad > 0)
    warn_input(img.source + ": " + std::to_string(bad) + " of " + std::to_string(e.nmgy.size()) +
               " pixels are NaN or Inf; they are masked");
  img.iota.resize(static_cast<std::size_t>(img.width));
  for (int h = 0; h < img.width; ++h) {
    img.iota[h] = e.gain / e.calib[h];
    if (!(img.iota[h] > 0) || !std::isfinite(static_cast<float>(img.iota[h])))
      throw InputError(img.source + ": GAIN / CALIB = " + std::to_string(img.iota[h]) +
                           " electrons per nmgy at column " + std::to_string(h + 1) +
                           " is not a usable calibration",
                       {img.source, 0, 0, "CALIB", std::to_string(e.calib[h])});
  }
  img.pixels.resize(e.nmgy.size());
  img.sky.resize(e.nmgy.size());
  std::size_t zero_weight_count = 0, usable = 0;
  for (int w = 1; w <= img.height; ++w)
    for (int h = 1; h <= img.width; ++h) {
      const std::size_t i = img.index(h, w);
      const double eps = e.sky_counts[i] * e.calib[h - 1];
      img.sky[i] = static_cast<float>(eps);
      if (!(img.sky[i] > 0) || !std::isfinite(img.sky[i]))
        throw InputError(img.source + ": sky " + std::to_string(eps) + " nmgy (SKY x CALIB) at "
                             "pixel (" + std::to_string(h) + ", " + std::to_string(w) +
                             ") is not a positive single-precision number",
                         {img.source, 0, 0, "SKY", std::to_string(e.sky_counts[i])});
      const bool zero_weight = !e.invvar.empty() && !(e.invvar[i] > 0 && std::isfinite(e.invvar[i]));
      zero_weight_count += zero_weight;
      const double x = img.iota[h - 1] * (e.nmgy[i] + eps);
      // A pixel whose electrons overflow float is as unusable as a NaN one.
      const bool masked = zero_weight || std::isnan(e.nmgy[i]) || !std::isfinite(float(x));
      img.pixels[i] = masked ? kNaN : static_cast<float>(x);
      usable += !masked;
    }
  if (usable == 0)
    warn_input(img.source + ": every pixel is masked (" +
               (zero_weight_count == img.pixels.size()
                    ? std::string("the inverse variance is zero, negative or not finite everywhere")
                    : std::string("zero inverse variance or NaN/Inf values")) +
               "); the image contributes nothing to the fit");
  return img;
}

}  // namespace

namespace {

// The metadata of an image HDU without its pixels (the file is positioned on it).
survey::Image read_image_header(const FitsFile& f) {
  survey::Image img;
  img.source = hdu_label(f);
  const std::vector<long> shape = f.image_shape();
  if (shape.size() != 2)
    f.fail_input("image HDU has " + std::to_string(shape.size()) + " axes; a 2-D image is needed");
  const auto width = checked_integer<int>(shape[0], 1, kIntMax);
  const auto height = checked_integer<int>(shape[1], 1, kIntMax);
  if (!width || !height)
    f.fail_input("image of " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) +
                 " pixels: each side must be 1.." + std::to_string(kIntMax));
  img.width = *width;
  img.height = *height;
  img.wcs = read_wcs(f);
  img.band = read_band(f);
  img.run = read_optional_int(f, "RUN");
  img.camcol = read_optional_int(f, "CAMCOL");
  img.field = read_optional_int(f, "FIELD");
  return img;
}

// Walks the file's HDUs: every image (wanted < 0) or only the wanted-th (0-based) in full;
// with headers_only, the others' headers (image_header) instead.
std::vector<survey::Image> walk_generic_file(const std::string& path, int wanted,
                                             bool headers_only) {
  FitsFile f = FitsFile::open_read(path);
  const int n = f.num_hdus();
  std::vector<survey::Image> images;
  std::vector<int> epochs_per_band(survey::kNumBands, 0);
  RawEpoch current;
  bool have_current = false, skipping = false;
  int ordinal = -1;
  auto finish = [&] {
    if (!have_current) return;
    current.image.epoch = epochs_per_band[current.image.band]++;
    images.push_back(to_model_units(std::move(current)));
    have_current = false;
  };
  for (int hdu = 1; hdu <= n; ++hdu) {
    f.move_to(hdu);
    if (!is_data_image(f)) {
      if (f.hdu_kind() != HduKind::image)
        f.fail_input("unexpected table HDU; a generic image file holds only image HDUs "
                     "(image, inverse variance, optional CALIBVEC/SKYMAP)");
      if (hdu == 1) continue;  // empty primary HDU
      f.fail_input("zero-size image (NAXIS = 0)");
    }
    const std::string name = extname(f);
    if (f.has_key("CRPIX1") && name != kCalibVecExt && name != kSkyMapExt) {
      finish();
      ++ordinal;
      skipping = headers_only || (wanted >= 0 && ordinal != wanted);
      if (skipping) {
        survey::Image header = read_image_header(f);
        header.epoch = epochs_per_band[header.band]++;
        if (headers_only) images.push_back(std::move(header));
        continue;
      }
      current = read_image_hdu(f);
      have_current = true;
      continue;
    }
    if (skipping) continue;  // a companion of an image not read
    if (!have_current)
      f.fail_input("HDU without a WCS (missing keyword CRPIX1) where an image HDU was "
                   "expected: it would be an inverse-variance or companion HDU with no image "
                   "before it");
    if (name.empty() && !current.invvar.empty())
      f.fail_input("second inverse-variance HDU for image " + current.image.source +
                   " (an image HDU needs CRPIX1 and the other Celeste keywords)");
    read_companion(f, current);
  }
  finish();
  if (images.empty())
    throw InputError(path + ": " +
                     (wanted >= 0 && ordinal >= 0
                          ? "no image " + std::to_string(wanted + 1) + " (the file holds " +
                                std::to_string(ordinal + 1) + ")"
                          : "no image HDU (a 2-D image with a WCS) in " + std::to_string(n) +
                                " HDU(s)"));
  return images;
}

}  // namespace

std::vector<survey::Image> read_generic_images(const std::string& path) {
  return walk_generic_file(path, -1, false);
}

std::vector<survey::Image> read_generic_image_headers(const std::string& path) {
  return walk_generic_file(path, -1, true);
}

survey::Image read_generic_image(const std::string& path, int ordinal) {
  return std::move(walk_generic_file(path, ordinal, false).front());
}

// ---------------------------------------------------------------------------------- write

namespace {

bool all_equal(const std::vector<double>& v, double rel) {
  for (double x : v)
    if (std::abs(x - v.front()) > rel * std::abs(v.front())) return false;
  return true;
}

void check_image_for_writing(const survey::Image& img, const std::string& path) {
  const std::string where = path + ": image " + img.source + " (band " +
                            std::to_string(img.band) + ")";
  const std::size_t n = static_cast<std::size_t>(img.width) * img.height;
  if (img.width <= 0 || img.height <= 0) throw InputError(where + ": zero-size image");
  if (img.pixels.size() != n || img.sky.size() != n ||
      img.iota.size() != static_cast<std::size_t>(img.width))
    throw InputError(where + ": pixels/sky/iota sizes do not match " +
                     std::to_string(img.width) + " x " + std::to_string(img.height));
  if (img.band < 0 || img.band >= survey::kNumBands) throw InputError(where + ": bad band index");
  if (!img.wcs.valid()) throw InputError(where + ": no valid WCS");
  if (img.psf.empty()) throw InputError(where + ": no PSF components");
  for (double iota : img.iota)
    if (!(iota > 0) || !std::isfinite(iota)) throw InputError(where + ": iota must be positive");
  for (float s : img.sky)
    if (!(s > 0) || !std::isfinite(s)) throw InputError(where + ": sky must be positive");
}

void write_psf_keywords(FitsFile& f, const std::vector<survey::PsfComponent>& psf) {
  const int k_count = static_cast<int>(psf.size());
  auto key = [](int i) { return "PSF_P" + std::to_string(i); };
  for (int k = 0; k < k_count; ++k) f.write_key(key(k), psf[k].weight, "amp" + std::to_string(k));
  for (int k = 0; k < k_count; ++k) {
    f.write_key(key(k_count + 2 * k), psf[k].mean[0], "meanx" + std::to_string(k));
    f.write_key(key(k_count + 2 * k + 1), psf[k].mean[1], "meany" + std::to_string(k));
  }
  for (int k = 0; k < k_count; ++k) {
    f.write_key(key(3 * k_count + 3 * k), psf[k].cov[0], "varxx" + std::to_string(k));
    f.write_key(key(3 * k_count + 3 * k + 1), psf[k].cov[2], "varyy" + std::to_string(k));
    f.write_key(key(3 * k_count + 3 * k + 2), psf[k].cov[1], "varxy" + std::to_string(k));
  }
}

void write_one_image(FitsFile& f, const survey::Image& img, double gain, double dark_variance) {
  const std::size_t n = img.pixels.size();
  std::vector<double> calib(img.iota.size());
  for (std::size_t h = 0; h < calib.size(); ++h) calib[h] = gain / img.iota[h];
  std::vector<double> sky_counts(n);
  for (int w = 1; w <= img.height; ++w)
    for (int h = 1; h <= img.width; ++h)
      sky_counts[img.index(h, w)] = img.sky[img.index(h, w)] / calib[h - 1];
  const bool constant_calib = all_equal(calib, 1e-15);
  const bool constant_sky = all_equal(sky_counts, 1e-7);
  double mean_calib = 0;
  for (double c : calib) mean_calib += c / calib.size();

  std::vector<float> nmgy(n), invvar(n);
  for (int w = 1; w <= img.height; ++w)
    for (int h = 1; h <= img.width; ++h) {
      const std::size_t i = img.index(h, w);
      const double x = img.pixels[i];
      if (std::isnan(x)) continue;  // masked: value 0, weight 0
      const double iota = img.iota[h - 1];
      nmgy[i] = static_cast<float>(x / iota - img.sky[i]);
      const double electrons = std::max(x, iota * img.sky[i]);
      const double var_counts = electrons / (gain * gain) + dark_variance;
      invvar[i] = static_cast<float>(1.0 / (var_counts * calib[h - 1] * calib[h - 1]));
    }

  f.append_image(img.width, img.height, nmgy);
  f.write_key("BUNIT", "nanomaggy", "sky-subtracted calibrated image");
  write_wcs(f, img.wcs);
  f.write_key("RUN", img.run, "SDSS run (0 = synthetic)");
  f.write_key("CAMCOL", img.camcol, "SDSS camcol");
  f.write_key("FIELD", img.field, "SDSS field");
  f.write_key("BAND", survey::kBandNames[img.band], "band");
  f.write_key("CALIB", constant_calib ? calib.front() : mean_calib,
              constant_calib ? "nMgy per count" : "mean nMgy per count (see CALIBVEC)");
  f.write_key("SKY", sky_counts[img.index((img.width + 1) / 2, (img.height + 1) / 2)],
              constant_sky ? "sky, counts per pixel" : "sky at centre, counts (see SKYMAP)");
  f.write_key("GAIN", gain, "electrons per count");
  f.write_key("DARKVAR", dark_variance, "dark variance, counts^2");
  write_psf_keywords(f, img.psf);

  f.append_image(img.width, img.height, invvar);
  f.write_key("BUNIT", "nanomaggy**-2", "inverse variance");
  if (!constant_calib) {
    f.append_image(img.width, 1, calib);
    f.write_key("EXTNAME", kCalibVecExt, "nMgy per count, per column");
  }
  if (!constant_sky) {
    f.append_image(img.width, img.height, sky_counts);
    f.write_key("EXTNAME", kSkyMapExt, "sky, counts per pixel");
  }
}

}  // namespace

void write_generic_images(const std::string& path, const std::vector<survey::Image>& images,
                          const GenericWriteOptions& options) {
  if (images.empty()) throw InputError(path + ": no images to write");
  for (const auto& img : images) check_image_for_writing(img, path);
  AtomicOutput out(path);
  FitsFile f = FitsFile::create(out.temp_path());
  for (const auto& img : images)
    write_one_image(f, img, options.gain[img.band], options.dark_variance[img.band]);
  f.close();
  out.commit();
}

}  // namespace celeste::io
