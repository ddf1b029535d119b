// The bad-input corpus (issue 12): dozens of distinct broken inputs, built programmatically in a
// scratch folder from a small valid synthetic survey and from edited copies of the real SDSS
// cut-out in ../shared/data (never modified), across every reader: generic image FITS, FITS
// catalog, photoObj, SDSS frame, psField, fpM, photoField, YAML run and generate
// configurations, command-line arguments and `celeste score` inputs. Each case runs the
// celeste executable and checks its exit code (2 usage/configuration, 1 input) and that its
// output names the file or key (and, for warnings, that the run still succeeds).
#include <fitsio.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"
#include "io/bad_input_fixtures.hpp"
#include "io/photoobj.hpp"

namespace celeste::testing {
namespace {

namespace fs = std::filesystem;
namespace fx = fixtures;

// ------------------------------------------------------------------------------ helpers

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

void set_dbl(const std::string& path, int hdu, const char* key, double v) {
  fx::edit_fits(path, hdu, [&](fitsfile* f, int* st) { fits_update_key_dbl(f, key, v, 12, nullptr, st); });
}
void set_lng(const std::string& path, int hdu, const char* key, long long v) {
  fx::edit_fits(path, hdu, [&](fitsfile* f, int* st) { fits_update_key_lng(f, key, v, nullptr, st); });
}
void set_str(const std::string& path, int hdu, const char* key, const char* v) {
  fx::edit_fits(path, hdu, [&](fitsfile* f, int* st) { fits_update_key_str(f, key, v, nullptr, st); });
}
void delete_key(const std::string& path, int hdu, const char* key) {
  fx::edit_fits(path, hdu, [&](fitsfile* f, int* st) { fits_delete_key(f, key, st); });
}
// One float written into a table cell (1-based row and element).
void set_cell(const std::string& path, int hdu, const char* column, long row, long element,
              double v) {
  fx::edit_fits(path, hdu, [&](fitsfile* f, int* st) {
    int col = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>(column), &col, st);
    fits_write_col(f, TDOUBLE, col, row, element, 1, &v, st);
  });
}
void delete_column(const std::string& path, int hdu, const char* column) {
  fx::edit_fits(path, hdu, [&](fitsfile* f, int* st) {
    int col = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>(column), &col, st);
    fits_delete_col(f, col, st);
  });
}
void delete_hdu(const std::string& path, int hdu) {
  fx::edit_fits(path, hdu, [](fitsfile* f, int* st) { fits_delete_hdu(f, nullptr, st); });
}
void truncate_to(const std::string& path, std::size_t bytes) {
  fs::resize_file(path, bytes);
}
// A header card of `path` rewritten byte for byte (the first card starting with `key`).
void raw_card(const std::string& path, const std::string& key, const std::string& card,
              std::size_t from = 0) {
  std::string b = fx::read_file(path);
  std::size_t p = from;
  while ((p = b.find(key, p)) != std::string::npos && p % 80 != 0) ++p;
  ASSERT_NE(p, std::string::npos) << key << " in " << path;
  std::string c = card;
  c.resize(80, ' ');
  b.replace(p, 80, c);
  fx::write_file(path, b);
}
// Every eigen-image of the r band's psField table (HDU 4) times `factor`.
void scale_eigen(const std::string& psfield, double factor) {
  fx::edit_fits(psfield, 4, [&](fitsfile* f, int* st) {
    int col = 0, anynul = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("RROWS"), &col, st);
    for (long row = 1; row <= 4; ++row) {
      std::vector<double> e(2601);
      fits_read_col(f, TDOUBLE, col, row, 1, 2601, nullptr, e.data(), &anynul, st);
      for (double& v : e) v *= factor;
      fits_write_col(f, TDOUBLE, col, row, 1, 2601, e.data(), st);
    }
  });
}
// The photoObj row (1-based) of the first object of type `type` (3 galaxy, 6 star) that
// Celeste initialises from.
long usable_row(const std::string& photoobj, int type) {
  const auto rows = io::read_photoobj_rows(photoobj);
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].objc_type == type && io::usable_for_initialisation(rows[i]))
      return static_cast<long>(i) + 1;
  ADD_FAILURE() << "no usable object of type " << type << " in " << photoobj;
  return 1;
}

// ------------------------------------------------------------------------------ the cases

// Files of one case's folder: the generic survey and (when the data is there) the mini SDSS
// field, fresh copies of the pristine ones.
struct Paths {
  std::string dir, image, catalog, truth, run_yaml, out;
  fx::MiniField sdss;
  std::string sdss_yaml;
};

std::string run_yaml(const Paths& p, const std::string& extra = "") {
  return "images:\n  - format: generic\n    paths: [" + p.image + "]\ncatalog:\n  format: generic\n"
         "  path: " + p.catalog + "\n" + extra + "output:\n  directory: " + p.out + "\n";
}

struct Case {
  std::string name;
  std::string reader;  // what kind of input is bad, for the summary
  bool sdss = false;   // needs the real SDSS cut-out
  std::function<void(const Paths&)> setup;
  // Command line after `celeste`; {dir}, {run}, {sdss}, {image}, {catalog}, {truth} expand.
  std::string args;
  int exit_code = 1;
  std::vector<std::string> expect;  // each must appear in the output (placeholders expand)
  std::string env;  // shell text before the command: environment assignments, ulimit
  // Further checks after the run (files left as they were, ...).
  std::function<void(const Paths&, const CommandResult&)> verify;
  // A failed run whose complete output set is still written, each row flagged with why it
  // failed (no target could be fitted): the one exception to "a failure leaves no result".
  bool writes_flagged_result = false;
};

std::string expand(std::string s, const Paths& p) {
  s = replace_all(s, "{run}", p.run_yaml);
  s = replace_all(s, "{sdss}", p.sdss_yaml);
  s = replace_all(s, "{image}", p.image);
  s = replace_all(s, "{catalog}", p.catalog);
  s = replace_all(s, "{truth}", p.truth);
  s = replace_all(s, "{frame}", p.sdss.frame);
  s = replace_all(s, "{psfield}", p.sdss.psfield);
  s = replace_all(s, "{fpm}", p.sdss.fpm);
  s = replace_all(s, "{photoobj}", p.sdss.photoobj);
  s = replace_all(s, "{photofield}", p.sdss.photofield);
  return replace_all(s, "{dir}", p.dir);
}

// The start of an ELF binary with embedded NULs (13 bytes; sizeof counts the final NUL too).
constexpr char kElfGarbage[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\xff\xfe";

std::vector<Case> corpus() {
  std::vector<Case> c;
  auto add = [&](Case x) { c.push_back(std::move(x)); };
  const std::string run = "run {run}";
  const std::string psf = "psf {sdss}";
  auto yaml = [](const std::string& extra) {
    return [extra](const Paths& p) { write_text(p.run_yaml, run_yaml(p, extra)); };
  };
  auto yaml_text = [](const std::string& text) {
    return [text](const Paths& p) { write_text(p.run_yaml, expand(text, p)); };
  };

  // ---------------------------------------------------------------- generic image FITS
  const std::string G = "generic image";
  add({"image missing", G, false, [](const Paths& p) { fs::remove(p.image); }, run, 1, {"{image}", "No such file"}});
  add({"image empty file", G, false, [](const Paths& p) { fx::write_file(p.image, ""); }, run, 1, {"{image}"}});
  add({"image is text", G, false, [](const Paths& p) { fx::write_file(p.image, "SIMPLE? no, a text file\n"); }, run, 1, {"{image}", "cannot open as FITS"}});
  add({"image is a directory", G, false, [](const Paths& p) { fs::remove(p.image); fs::create_directory(p.image); }, run, 1, {"{image}", "directory"}});
  add({"image truncated in data", G, false, [](const Paths& p) { truncate_to(p.image, fs::file_size(p.image) - 1000); }, run, 1, {"{image}", "truncated"}});
  add({"image truncated in a header", G, false, [](const Paths& p) { truncate_to(p.image, 2880 * 3 + 100); }, run, 1, {"{image}", "truncated"}});
  add({"image first byte flipped", G, false, [](const Paths& p) { auto b = fx::read_file(p.image); b[0] = 'X'; fx::write_file(p.image, b); }, run, 1, {"{image}"}});
  add({"image CRVAL2 100", G, false, [](const Paths& p) { set_dbl(p.image, 1, "CRVAL2", 100); }, run, 1, {"{image}", "CRVAL2 = 100", "[-90, 90]"}});
  add({"image singular CD", G, false, [](const Paths& p) { for (const char* k : {"CD1_1", "CD1_2", "CD2_1", "CD2_2"}) set_dbl(p.image, 1, k, 1e-4); }, run, 1, {"{image}", "singular"}});
  add({"image CD 45 deg/pixel", G, false, [](const Paths& p) { set_dbl(p.image, 1, "CD1_1", 45); }, run, 1, {"{image}", "CD1_1 = 45"}});
  add({"image unknown projection", G, false, [](const Paths& p) { set_str(p.image, 1, "CTYPE1", "RA---QQQ"); set_str(p.image, 1, "CTYPE2", "DEC--QQQ"); }, run, 1, {"{image}", "CTYPE1", "RA---QQQ"}});
  add({"image no BAND", G, false, [](const Paths& p) { delete_key(p.image, 1, "BAND"); }, run, 1, {"{image}", "BAND"}});
  add({"image BAND q", G, false, [](const Paths& p) { set_str(p.image, 1, "BAND", "q"); }, run, 1, {"{image}", "'q'"}});
  add({"image SKY negative", G, false, [](const Paths& p) { set_dbl(p.image, 1, "SKY", -3); }, run, 1, {"{image}", "SKY"}});
  add({"image CALIB zero", G, false, [](const Paths& p) { set_dbl(p.image, 1, "CALIB", 0); }, run, 1, {"{image}", "CALIB"}});
  add({"image GAIN negative", G, false, [](const Paths& p) { set_dbl(p.image, 1, "GAIN", -1); }, run, 1, {"{image}", "GAIN"}});
  add({"image CRPIX1 not a number", G, false, [](const Paths& p) { set_str(p.image, 1, "CRPIX1", "twelve"); }, run, 1, {"{image}", "CRPIX1"}});
  add({"psf negative amplitude", G, false, [](const Paths& p) { set_dbl(p.image, 1, "PSF_P0", -1); set_dbl(p.image, 1, "PSF_P1", -1); }, run, 1, {"{image}", "amplitude"}});
  add({"psf variance 1e12", G, false, [](const Paths& p) { set_dbl(p.image, 1, "PSF_P6", 1e12); set_dbl(p.image, 1, "PSF_P7", 1e12); }, run, 1, {"{image}", "principal variances"}});
  add({"psf variance 1e-12", G, false, [](const Paths& p) { set_dbl(p.image, 1, "PSF_P6", 1e-12); set_dbl(p.image, 1, "PSF_P7", 1e-12); set_dbl(p.image, 1, "PSF_P8", 0); }, run, 1, {"{image}", "principal variances"}});
  add({"psf mean 100 px off", G, false, [](const Paths& p) { set_dbl(p.image, 1, "PSF_P2", 100); }, run, 1, {"{image}", "from the PSF centre"}});
  add({"psf not positive definite", G, false, [](const Paths& p) { set_dbl(p.image, 1, "PSF_P8", 50); }, run, 1, {"{image}", "not positive definite"}});
  add({"psf 7 parameters", G, false, [](const Paths& p) { set_dbl(p.image, 1, "PSF_P12", 1); }, run, 1, {"{image}", "not a multiple of 6"}});
  add({"image RUN above int", G, false, [](const Paths& p) { set_lng(p.image, 1, "RUN", 4294967390LL); }, run, 1, {"{image}", "RUN = 4294967390"}});
  add({"image RUN card '(' (CFITSIO abort)", G, false, [](const Paths& p) { raw_card(p.image, "RUN     =", "RUN     =                   (0 / SDSS run (0 = synthetic)"); }, run, 1, {"{image}", "RUN"}});
  add({"image NAXIS1 huge", G, false, [](const Paths& p) { raw_card(p.image, "NAXIS1  =", "NAXIS1  =               100000"); }, run, 1, {"{image}"}});
  add({"image is a catalog", G, false, [](const Paths& p) { fs::copy_file(p.catalog, p.image, fs::copy_options::overwrite_existing); }, run, 1, {"{image}", "table"}});
  add({"image ivar wrong shape", G, false, [](const Paths& p) { set_lng(p.image, 2, "NAXIS2", 4); }, run, 1, {"{image}", "HDU 2"}});
  // The only image fully masked: a warning naming it, then no target can be fitted, which is
  // a failed run (exit 1), not an empty catalog reported as success.
  add({"image fully masked (warning, nothing fitted)", G, false, [](const Paths& p) {
         fx::edit_fits(p.image, 2, [](fitsfile* f, int* st) { std::vector<float> z(24 * 24, 0.f); fits_write_img(f, TFLOAT, 1, z.size(), z.data(), st); });
       }, run, 1, {"warning: {image}[HDU 1]: every pixel is masked", "none of the 3 target sources could be fitted", "no_active_pixels     3 sources"}, "",
       [](const Paths& p, const CommandResult&) {
         EXPECT_TRUE(fs::exists(p.out + "/catalog.fits"));
         EXPECT_TRUE(fs::exists(p.out + "/catalog.h5"));
         std::ifstream in(p.out + "/report.json");
         const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
         EXPECT_NE(report.find("\"failed\": 3"), std::string::npos) << report;
       }, true});

  // ---------------------------------------------------------------- generic FITS catalog
  const std::string C = "FITS catalog";
  add({"catalog missing", C, false, [](const Paths& p) { fs::remove(p.catalog); }, run, 1, {"{catalog}", "No such file"}});
  add({"catalog truncated in a header", C, false, [](const Paths& p) { truncate_to(p.catalog, 2880 + 500); }, run, 1, {"{catalog}", "truncated"}});
  add({"catalog truncated in data", C, false, [](const Paths& p) { truncate_to(p.catalog, fs::file_size(p.catalog) - 2000); }, run, 1, {"{catalog}", "truncated"}});
  add({"catalog NaN flux", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "star_fluxes", 2, 3, std::nan("")); }, run, 1, {"{catalog}", "star_fluxes", "row 2"}});
  add({"catalog negative flux", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "gal_fluxes", 1, 1, -5); }, run, 1, {"{catalog}", "gal_fluxes", "row 1"}});
  add({"catalog flux 1e12 nmgy", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "star_fluxes", 3, 5, 1e12); }, run, 1, {"{catalog}", "star_fluxes", "row 3"}});
  add({"catalog axis ratio 1.5", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "gal_axis_ratio", 2, 1, 1.5); }, run, 1, {"{catalog}", "gal_axis_ratio", "row 2"}});
  add({"catalog negative radius", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "gal_radius_px", 1, 1, -1); }, run, 1, {"{catalog}", "gal_radius_px", "row 1"}});
  add({"catalog NaN angle", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "gal_angle", 3, 1, std::nan("")); }, run, 1, {"{catalog}", "gal_angle", "row 3"}});
  add({"catalog dec 95", C, false, [](const Paths& p) { set_cell(p.catalog, 2, "dec", 1, 1, 95); }, run, 1, {"{catalog}", "dec", "row 1"}});
  add({"catalog no gal_angle column", C, false, [](const Paths& p) { delete_column(p.catalog, 2, "gal_angle"); }, run, 1, {"{catalog}", "gal_angle"}});
  add({"catalog 3 fluxes per row", C, false, [](const Paths& p) {
         fx::edit_fits(p.catalog, 2, [](fitsfile* f, int* st) { fits_modify_vector_len(f, 4, 3, st); });
       }, run, 1, {"{catalog}", "star_fluxes"}});
  add({"catalog no rows", C, false, [](const Paths& p) {
         fx::edit_fits(p.catalog, 2, [](fitsfile* f, int* st) { long n = 0; fits_get_num_rows(f, &n, st); fits_delete_rows(f, 1, n, st); });
       }, run, 1, {"{catalog}", "no usable sources"}});
  add({"catalog far from the image", C, false, [](const Paths& p) {
         for (long r = 1; r <= 3; ++r) set_cell(p.catalog, 2, "ra", r, 1, 200.0);
       }, run, 1, {"{catalog}", "outside every image"}});
  add({"catalog is an image", C, false, [](const Paths& p) { fs::copy_file(p.image, p.catalog, fs::copy_options::overwrite_existing); }, run, 1, {"{catalog}", "no binary table"}});

  // ---------------------------------------------------------------- photoObj
  const std::string P = "photoObj";
  const std::string prun = "run {dir}/sdss-run.yaml";
  auto sdss_run = [](const Paths& p) {
    write_text(p.dir + "/sdss-run.yaml", fx::mini_field_run_config(p.sdss.dir, p.out));
  };
  add({"photoObj truncated", P, true, [=](const Paths& p) { sdss_run(p); truncate_to(p.sdss.photoobj, 30000); }, prun, 1, {"{photoobj}", "truncated"}});
  add({"photoObj no OBJC_TYPE", P, true, [=](const Paths& p) { sdss_run(p); delete_column(p.sdss.photoobj, 2, "OBJC_TYPE"); }, prun, 1, {"{photoobj}", "OBJC_TYPE"}});
  add({"photoObj OBJID not a number", P, true, [=](const Paths& p) {
         sdss_run(p);
         fx::edit_fits(p.sdss.photoobj, 2, [](fitsfile* f, int* st) { int col = 0; fits_get_colnum(f, CASEINSEN, const_cast<char*>("OBJID"), &col, st); char* v[] = {const_cast<char*>("12x45")}; fits_write_col_str(f, col, 3, 1, 1, v, st); });
       }, prun, 1, {"{photoobj}", "OBJID row 3"}});
  add({"photoObj is an empty image (M2)", P, true, [=](const Paths& p) {
         sdss_run(p);
         fx::copy_file(shared_data_path("sdss/stripe82-m2-2583-2-136/photoObj-002583-2-0136.fits"), p.sdss.photoobj);
       }, prun, 1, {"{photoobj}", "no objects"}});
  add({"photoObj NaN RA (warning, object skipped)", P, true, [=](const Paths& p) {
         sdss_run(p);
         set_cell(p.sdss.photoobj, 2, "RA", usable_row(p.sdss.photoobj, 6), 1, std::nan(""));
         set_cell(p.sdss.photoobj, 2, "AB_EXP", usable_row(p.sdss.photoobj, 3), 3, 7.0);
         set_cell(p.sdss.photoobj, 2, "AB_DEV", usable_row(p.sdss.photoobj, 3), 3, 7.0);
       }, prun + " --threads 1", 0, {"warning: {photoobj}: HDU 2: objid", "column RA = nan", "(r) = 7"}});

  // ---------------------------------------------------------------- SDSS frame
  const std::string F = "SDSS frame";
  add({"frame XINTERP NaN", F, true, [](const Paths& p) { set_cell(p.sdss.frame, 3, "XINTERP", 1, 17, std::nan("")); }, psf, 1, {"{frame}", "HDU 3", "XINTERP element 16"}});
  add({"frame YINTERP NaN", F, true, [](const Paths& p) { set_cell(p.sdss.frame, 3, "YINTERP", 1, 4, std::nan("")); }, psf, 1, {"{frame}", "HDU 3", "YINTERP element 3"}});
  add({"frame ALLSKY TDIM mismatch", F, true, [](const Paths& p) { set_str(p.sdss.frame, 3, "TDIM1", "(128,192)"); }, psf, 1, {"{frame}", "ALLSKY", "TDIM"}});
  add({"frame ALLSKY NaN", F, true, [](const Paths& p) { set_cell(p.sdss.frame, 3, "ALLSKY", 1, 100, std::nan("")); }, psf, 1, {"{frame}", "ALLSKY element 99"}});
  add({"frame calibvec zero", F, true, [](const Paths& p) {
         fx::edit_fits(p.sdss.frame, 2, [](fitsfile* f, int* st) { float z = 0; fits_write_img(f, TFLOAT, 7, 1, &z, st); });
       }, psf, 1, {"{frame}", "calibvec column 6"}});
  add({"frame FILTER y", F, true, [](const Paths& p) { set_str(p.sdss.frame, 1, "FILTER", "y"); }, psf, 1, {"{frame}", "FILTER"}});
  add({"frame CAMCOL 9", F, true, [](const Paths& p) { set_lng(p.sdss.frame, 1, "CAMCOL", 9); }, psf, 1, {"{frame}", "CAMCOL = 9"}});
  add({"frame CRVAL2 100", F, true, [](const Paths& p) { set_dbl(p.sdss.frame, 1, "CRVAL2", 100); }, psf, 1, {"{frame}", "CRVAL2 = 100", "[-90, 90]"}});
  add({"frame truncated", F, true, [](const Paths& p) { truncate_to(p.sdss.frame, 100000); }, psf, 1, {"{frame}", "truncated"}});
  add({"frame no sky HDU", F, true, [](const Paths& p) { delete_hdu(p.sdss.frame, 4); delete_hdu(p.sdss.frame, 3); }, psf, 1, {"{frame}", "needs 3 HDUs"}});
  add({"frame bz2 corrupt", F, true, [](const Paths& p) {
         fs::remove(p.sdss.frame);
         const auto b = fx::read_file(shared_data_path(std::string(fx::kCutout) + "/frame-r-001000-1-0100.fits.bz2"));
         fx::write_file(p.sdss.frame + ".bz2", b.substr(0, b.size() / 2));
       }, psf, 1, {"{frame}.bz2", "corrupt or truncated"}});
  add({"frame missing", F, true, [](const Paths& p) { fs::remove(p.sdss.frame); }, psf, 1, {"no frame file", "frame-r-001000-1-0100.fits"}});

  // ---------------------------------------------------------------- psField
  const std::string S = "psField";
  add({"psField NaN eigen-image", S, true, [](const Paths& p) { set_cell(p.sdss.psfield, 4, "RROWS", 1, 1300, std::nan("")); }, psf, 1, {"{psfield}", "HDU 4", "band r", "RROWS row 1"}});
  add({"psField negated eigen-images", S, true, [](const Paths& p) { scale_eigen(p.sdss.psfield, -1); }, psf, 1, {"{psfield}", "band r", "sums to"}});
  add({"psField all-zero eigen-images", S, true, [](const Paths& p) { scale_eigen(p.sdss.psfield, 0); }, psf, 1, {"{psfield}", "band r", "sums to"}});
  add({"psField NaN coefficient", S, true, [](const Paths& p) { set_cell(p.sdss.psfield, 4, "c", 2, 1, std::nan("")); }, psf, 1, {"{psfield}", "column c row 2"}});
  add({"psField nrow_b 9", S, true, [](const Paths& p) { set_cell(p.sdss.psfield, 4, "nrow_b", 1, 1, 9); }, psf, 1, {"{psfield}", "nrow_b"}});
  add({"psField RNROW 60", S, true, [](const Paths& p) { set_cell(p.sdss.psfield, 4, "RNROW", 1, 1, 60); }, psf, 1, {"{psfield}", "RNROW"}});
  add({"psField truncated", S, true, [](const Paths& p) { truncate_to(p.sdss.psfield, 150000); }, psf, 1, {"{psfield}", "truncated"}});
  add({"psField missing", S, true, [](const Paths& p) { fs::remove(p.sdss.psfield); }, psf, 1, {"{psfield}", "No such file"}});

  // ---------------------------------------------------------------- fpM, photoField
  const std::string M = "fpM / photoField";
  add({"fpM truncated", M, true, [](const Paths& p) { truncate_to(p.sdss.fpm, 200000); }, psf, 1, {"{fpm}", "truncated"}});
  add({"fpM no mask-name table", M, true, [](const Paths& p) { delete_hdu(p.sdss.fpm, 12); }, psf, 1, {"{fpm}", "mask-plane name table"}});
  add({"fpM plane index out of range", M, true, [](const Paths& p) { set_cell(p.sdss.fpm, 12, "Value", 1, 1, 99); }, psf, 1, {"{fpm}", "Value"}});
  add({"fpM NAXIS2 2^32+1", M, true, [](const Paths& p) { raw_card(p.sdss.fpm, "NAXIS2  =", "NAXIS2  =           4294967297", 2880); }, psf, 1, {"{fpm}", "NAXIS2 = 4294967297"}});
  add({"photoField GAIN negative", M, true, [](const Paths& p) { set_cell(p.sdss.photofield, 2, "GAIN", 1, 3, -4.7); }, psf, 1, {"{photofield}", "GAIN"}});
  add({"photoField no row for the field", M, true, [](const Paths& p) { set_cell(p.sdss.photofield, 2, "FIELD", 1, 1, 101); }, psf, 1, {"{photofield}", "FIELD = 100"}});
  add({"photoField missing", M, true, [](const Paths& p) { fs::remove(p.sdss.photofield); }, psf, 1, {"{photofield}", "No such file"}});

  // ---------------------------------------------------------------- YAML run configuration
  const std::string Y = "YAML config";
  add({"yaml passes 2^32+1", Y, false, yaml("inference:\n  passes: 4294967297\n"), run, 2, {"{run}:", "inference.passes", "1..2147483647"}});
  add({"yaml sdss run 2^32+94", Y, false, yaml_text("images:\n  - format: sdss\n    directory: {dir}\n    run: 4294967390\n    camcol: 1\n    field: 12\ncatalog:\n  path: c.fits\noutput:\n  directory: o\n"), run, 2, {"{run}:4:", "images[0].run", "1..999999"}});
  add({"yaml threads 100000", Y, false, yaml("execution:\n  threads: 100000\n"), run, 2, {"{run}:", "execution.threads", "0..512"}});
  add({"yaml max_iterations -1", Y, false, yaml("optimizer:\n  max_iterations: -1\n"), run, 2, {"{run}:", "optimizer.max_iterations"}});
  add({"yaml seed 10^20", Y, false, yaml("inference:\n  seed: 99999999999999999999\n"), run, 2, {"{run}:", "inference.seed", "too large"}});
  add({"yaml passes 2.5", Y, false, yaml("inference:\n  passes: 2.5\n"), run, 2, {"{run}:", "inference.passes", "'2.5'"}});
  add({"yaml g_tol NaN", Y, false, yaml("optimizer:\n  g_tol: .nan\n"), run, 2, {"{run}:", "optimizer.g_tol"}});
  add({"yaml x_tol list", Y, false, yaml("optimizer:\n  x_tol: [1, 2]\n"), run, 2, {"{run}:", "optimizer.x_tol", "[1, 2]"}});
  add({"yaml duplicate key", Y, false, yaml("inference:\n  passes: 2\n  passes: 3\n"), run, 2, {"{run}:", "inference.passes", "appears twice"}});
  add({"yaml unknown section", Y, false, yaml("colour:\n  red: 1\n"), run, 2, {"{run}:", "'colour'", "unknown key"}});
  add({"yaml unknown key", Y, false, yaml("model:\n  psf_components: 2\n  psf_colour: 3\n"), run, 2, {"{run}:", "model.psf_colour"}});
  add({"yaml list as key", Y, false, yaml("? [a, b]\n: 1\n"), run, 2, {"{run}:", "a key must be a plain word"}});
  add({"yaml syntax error", Y, false, yaml_text("images: [a\noutput: {\n"), run, 2, {"{run}:", "YAML syntax error"}});
  add({"yaml empty", Y, false, yaml_text(""), run, 2, {"{run}", "empty"}});
  add({"yaml binary garbage", Y, false, yaml_text(std::string(kElfGarbage, sizeof kElfGarbage - 1)), run, 2, {"{run}"}});
  add({"yaml deep nesting", Y, false, yaml_text("images: " + std::string(3000, '[') + std::string(3000, ']') + "\n"), run, 2, {"{run}"}});
  add({"yaml psf_components 9", Y, false, yaml("model:\n  psf_components: 9\n"), run, 2, {"{run}:", "model.psf_components", "1..4"}});
  add({"yaml reversed region", Y, false, yaml("region:\n  ra: [2, 1]\n  dec: [0, 1]\n"), run, 2, {"{run}:", "region.ra"}});
  add({"yaml config is a directory", Y, false, [](const Paths& p) { fs::remove(p.run_yaml); fs::create_directory(p.run_yaml); }, run, 2, {"{run}", "is a directory"}});
  add({"yaml config missing", Y, false, [](const Paths&) {}, "run {dir}/absent.yaml", 2, {"{dir}/absent.yaml", "cannot open"}});
  add({"yaml tagged integer", Y, false, yaml("inference:\n  passes: !!binary aGVsbG8=\n"), run, 2, {"{run}:", "inference.passes"}});

  // ---------------------------------------------------------------- command line
  const std::string L = "command line";
  auto valid = [](const Paths& p) { write_text(p.run_yaml, run_yaml(p)); };
  add({"cli unknown flag", L, false, valid, "run {run} --frobnicate", 2, {"--frobnicate"}});
  add({"cli run without config", L, false, valid, "run", 2, {"CONFIG.yaml"}});
  add({"cli run two configs", L, false, valid, "run {run} {run}", 2, {"exactly one"}});
  add({"cli threads 513", L, false, valid, "run {run} --threads 513", 2, {"--threads", "0..512", "'513'"}});
  add({"cli threads 100000", L, false, valid, "run {run} --threads=100000", 2, {"--threads", "0..512"}});
  add({"cli threads 2^32+2", L, false, valid, "run {run} --threads 4294967298", 2, {"--threads", "'4294967298'"}});
  add({"cli threads word", L, false, valid, "run {run} --threads many", 2, {"--threads", "'many'"}});
  add({"cli threads no value", L, false, valid, "run {run} --threads", 2, {"--threads needs a value"}});
  add({"cli info threads 1000", L, false, valid, "info --threads 1000", 2, {"--threads", "0..512"}});
  add({"cli OMP_NUM_THREADS 100000", L, false, valid, "info", 2, {"OMP_NUM_THREADS = 100000", "1..512"}, "OMP_NUM_THREADS=100000"});
  add({"cli bench sources 1e9", L, false, valid, "bench fit --sources 1e9", 2, {"--sources", "'1e9'"}});
  add({"cli unknown command", L, false, valid, "frobnicate", 2, {"unknown command 'frobnicate'"}});
  add({"cli generate two args", L, false, valid, "generate {run} {run}", 2, {"exactly one"}});

  // ---------------------------------------------------------------- celeste score
  const std::string R = "score inputs";
  add({"score --out is --catalog", R, false, valid, "score --truth {truth} --catalog {catalog} --out {dir}/./init.fits", 2, {"--out", "{catalog}"}, "",
       [](const Paths& p, const CommandResult&) {
         EXPECT_EQ(fx::read_file(p.catalog), fx::read_file(fs::path(p.dir).parent_path().string() + "/base/init.fits"))
             << "the catalog was overwritten";
       }});
  add({"score --out is --truth", R, false, valid, "score --truth {truth} --catalog {catalog} --out {truth}", 2, {"--out", "--truth", "{truth}"}});
  add({"score no --truth", R, false, valid, "score --catalog {catalog}", 2, {"--truth"}});
  add({"score --initial is --truth", R, false, valid, "score --truth {truth} --catalog {catalog} --initial {truth}", 2, {"--initial", "{truth}"}});
  add({"score catalog missing", R, false, valid, "score --truth {truth} --catalog {dir}/none.fits", 1, {"{dir}/none.fits"}});
  add({"score catalog truncated", R, false, [](const Paths& p) { truncate_to(p.catalog, 4000); }, "score --truth {truth} --catalog {catalog}", 1, {"{catalog}", "truncated"}});
  add({"score truth is an image", R, false, valid, "score --truth {image} --catalog {catalog}", 1, {"{image}"}});
  add({"score truth truncated", R, false, [](const Paths& p) { truncate_to(p.truth, fs::file_size(p.truth) - 1500); }, "score --truth {truth} --catalog {catalog}", 1, {"{truth}", "truncated"}});
  add({"score unknown argument", R, false, valid, "score --truth {truth} --catalog {catalog} --color", 2, {"--color"}});

  // ---------------------------------------------------------------- celeste generate
  const std::string N = "generate config";
  auto gen = [](const std::string& body) {
    return [body](const Paths& p) {
      write_text(p.dir + "/gen.yaml", "generate:\n" + body + "output:\n  directory: " + p.dir + "/gen-out\n");
    };
  };
  const std::string g = "generate {dir}/gen.yaml";
  add({"generate image 100000 x 100000", N, false, gen("  image_size: [100000, 100000]\n"), g, 2, {"{dir}/gen.yaml:", "generate.image_size", "[100000, 100000]"}});
  // Under an 8 GB address-space limit, so the request exceeds what the process may use on
  // any machine (the check compares with min(physical memory, RLIMIT_AS)).
  add({"generate 8192^2 x 100 epochs x 5 bands", N, false, gen("  image_size: [8192, 8192]\n  epochs: 100\n"), g, 2, {"{dir}/gen.yaml", "generate.image_size", "generate.epochs", "bytes"}, "ulimit -v 8000000;"});
  add({"generate epochs 0", N, false, gen("  epochs: 0\n"), g, 2, {"{dir}/gen.yaml:", "generate.epochs", "1..100"}});
  add({"generate source_count 2^32", N, false, gen("  source_count: 4294967296\n"), g, 2, {"{dir}/gen.yaml:", "generate.source_count"}});
  add({"generate psf_sigma_px 1000", N, false, gen("  psf_sigma_px: 1000\n"), g, 2, {"{dir}/gen.yaml:", "generate.psf_sigma_px"}});
  add({"generate pixel scale 1e9", N, false, gen("  pixel_scale_arcsec: 1.0e9\n"), g, 2, {"{dir}/gen.yaml:", "generate.pixel_scale_arcsec"}});
  add({"generate bands r r", N, false, gen("  bands: [r, r]\n"), g, 2, {"{dir}/gen.yaml:", "generate.bands"}});
  add({"generate truth catalog corrupt", N, false, [=](const Paths& p) {
         gen("  truth_catalog: " + p.catalog + "\n  image_size: [16, 16]\n")(p);
         truncate_to(p.catalog, 5000);
       }, g, 1, {"{catalog}", "truncated"}});
  add({"generate config is a directory", N, false, [](const Paths& p) { fs::create_directory(p.dir + "/gen.yaml"); }, g, 2, {"{dir}/gen.yaml", "is a directory"}});
  return c;
}

// ------------------------------------------------------------------------------ the test

// AddressSanitizer reserves terabytes of address space for its shadow memory at start, which
// an address-space limit (ulimit -v) forbids: in a sanitizer build such a case runs without
// the limit (the memory check still refuses it against the machine's memory).
std::string shell_prefix(const std::string& env) {
#if defined(__SANITIZE_ADDRESS__)
  if (env.find("ulimit -v") != std::string::npos) return "";
#endif
  return env;
}

struct Outcome {
  bool ran = false;
  CommandResult result;
  std::string command;
  double seconds = 0;
};

TEST(BadInputCorpus, EveryCaseFailsCleanlyAndNamesTheProblem) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string root = scratch_dir("badinput_corpus");
  // Pristine inputs, copied into each case's folder.
  const std::string base = root + "/base";
  fs::create_directories(base + "/sdss");
  fx::write_small_generic_survey(base);
  const bool have_sdss = fx::make_mini_sdss_field(base + "/sdss");
  const std::vector<Case> cases = corpus();

  std::set<std::string> names;
  for (const Case& c : cases) EXPECT_TRUE(names.insert(c.name).second) << "duplicate case " << c.name;

  std::vector<Paths> paths(cases.size());
  std::vector<Outcome> outcomes(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    if (c.sdss && !have_sdss) continue;
    Paths& p = paths[i];
    p.dir = root + "/case" + std::to_string(i);
    fs::create_directories(p.dir);
    p.image = p.dir + "/r.fits";
    p.catalog = p.dir + "/init.fits";
    p.truth = p.dir + "/truth.fits";
    p.run_yaml = p.dir + "/run.yaml";
    p.out = p.dir + "/out";
    for (const char* f : {"r.fits", "init.fits", "truth.fits"}) fx::copy_file(base + "/" + f, p.dir + "/" + f);
    if (c.sdss) {
      fs::create_directories(p.dir + "/sdss");
      for (const auto& e : fs::directory_iterator(base + "/sdss"))
        fx::copy_file(e.path().string(), p.dir + "/sdss/" + e.path().filename().string());
      p.sdss = fx::mini_field_names(p.dir + "/sdss");
      p.sdss_yaml = p.dir + "/sdss.yaml";
      write_text(p.sdss_yaml, fx::mini_field_run_config(p.sdss.dir, p.out));
    }
    write_text(p.run_yaml, run_yaml(p));
    c.setup(p);
    outcomes[i].ran = true;
    outcomes[i].command = expand(c.args, p);
  }

  // Two at a time (the tests share two cores); results are checked below, in this thread.
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < cases.size();) {
      if (!outcomes[i].ran) continue;
      const auto t = std::chrono::steady_clock::now();
      outcomes[i].result = run_celeste(outcomes[i].command, shell_prefix(cases[i].env));
      outcomes[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();

  std::map<std::string, int> per_reader;
  int ran = 0, skipped = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    if (!outcomes[i].ran) {
      ++skipped;
      continue;
    }
    ++ran;
    ++per_reader[c.reader];
    const CommandResult& r = outcomes[i].result;
    SCOPED_TRACE("case '" + c.name + "': " + (c.env.empty() ? "" : c.env + " ") + "celeste " +
                 outcomes[i].command);
    EXPECT_EQ(r.status, c.exit_code) << r.output;
    for (const std::string& part : c.expect) {
      const std::string want = expand(part, paths[i]);
      EXPECT_NE(r.output.find(want), std::string::npos) << "missing '" << want << "' in:\n" << r.output;
    }
    // A failure never leaves a partial result, nor a crash report.
    if (c.exit_code != 0 && !c.writes_flagged_result) {
      EXPECT_FALSE(fs::exists(paths[i].out + "/catalog.fits")) << r.output;
      EXPECT_EQ(r.output.find("Segmentation"), std::string::npos) << r.output;
      EXPECT_NE(r.output.find("celeste"), std::string::npos) << r.output;
    }
    if (c.verify) c.verify(paths[i], r);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("bad-input corpus: %d distinct cases run", ran);
  if (skipped) std::printf(" (%d SDSS cases skipped: %s absent)", skipped, fx::kCutout);
  std::printf(" in %.1f s\n", seconds);
  for (const auto& [reader, n] : per_reader) std::printf("  %-16s %d\n", reader.c_str(), n);
  EXPECT_GE(ran + skipped, 60);
}

}  // namespace
}  // namespace celeste::testing
