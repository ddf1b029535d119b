#include "io/model_images.hpp"

#include <cmath>
#include <limits>

#include "io/atomic_file.hpp"
#include "io/fits_file.hpp"
#include "io/fits_wcs.hpp"
#include "io/provenance.hpp"
#include "util/error.hpp"

namespace celeste::io {

void write_model_image_file(const std::string& path, const survey::Image& image,
                            const std::vector<double>& model_nmgy,
                            const OutputProvenance& provenance) {
  const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
  if (model_nmgy.size() != n || image.pixels.size() != n || image.sky.size() != n)
    throw InputError(path + ": model image size does not match " + image.source);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> data(n), model(n), resid(n), chi(n);
  for (int w = 1; w <= image.height; ++w)
    for (int h = 1; h <= image.width; ++h) {
      const std::size_t i = image.index(h, w);
      const double iota = image.iota[h - 1], eps = image.sky[i], x = image.pixels[i];
      model[i] = static_cast<float>(model_nmgy[i]);
      if (std::isnan(x)) {
        data[i] = resid[i] = chi[i] = nan;
        continue;
      }
      const double expected = iota * (eps + model_nmgy[i]);
      data[i] = static_cast<float>(x / iota - eps);
      resid[i] = static_cast<float>(x / iota - eps - model_nmgy[i]);
      chi[i] = static_cast<float>((x - expected) / std::sqrt(expected));
    }
  {
    FitsFile f = FitsFile::create(path);
    const struct {
      const char* name;
      const std::vector<float>* values;
      const char* unit;
      const char* what;
    } hdus[] = {{"DATA", &data, "nanomaggy", "observed light minus sky"},
                {"MODEL", &model, "nanomaggy", "fitted light of all sources (no sky)"},
                {"RESID", &resid, "nanomaggy", "DATA - MODEL"},
                {"CHI", &chi, "", "(counts - expected) / sqrt(expected), Poisson"}};
    for (const auto& hdu : hdus) {
      f.append_image(image.width, image.height, *hdu.values);
      f.write_key("EXTNAME", hdu.name, hdu.what);
      if (*hdu.unit) f.write_key("BUNIT", hdu.unit);
      f.write_key("BAND", survey::kBandNames[image.band], "u g r i z");
      f.write_key("SOURCE", image.source, "input image");
      if (&hdu == &hdus[0]) write_fits_provenance(f, provenance);  // the primary HDU
      else if (!provenance.run_id.empty())
        f.write_key("RUNID", provenance.run_id, "run that wrote this output set");
      write_wcs(f, image.wcs);
    }
    for (int k = f.num_hdus(); k >= 1; --k) {  // checksums last
      f.move_to(k);
      f.write_checksum();
    }
    f.close();
  }
}

void write_model_image(const std::string& path, const survey::Image& image,
                       const std::vector<double>& model_nmgy) {
  AtomicOutput out(path);
  write_model_image_file(out.temp_path(), image, model_nmgy);
  out.commit();
}

}  // namespace celeste::io
