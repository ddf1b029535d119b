// Bad inputs: each gives a clear InputError naming the file and the reason, never a crash or a
// partial output. NaN/Inf pixels are the exception: masked with a warning.
#include <fitsio.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "harness/shared_data.hpp"
#include "io/bad_input_fixtures.hpp"
#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "io/generic_images.hpp"
#include "io/photoobj.hpp"
#include "io/sdss_field.hpp"
#include "io/sdss_psf.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

namespace fs = std::filesystem;
using celeste::testing::scratch_dir;
using celeste::testing::shared_data_path;

// Runs `f`, requires an InputError whose message contains `file` and every `reason` fragment.
void expect_input_error(const std::function<void()>& f, const std::string& file,
                        std::initializer_list<std::string> reasons) {
  try {
    f();
    ADD_FAILURE() << "no error for " << file;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << "message does not name the file: " << msg;
    for (const auto& r : reasons)
      EXPECT_NE(msg.find(r), std::string::npos) << "message lacks '" << r << "': " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << file << ": " << e.what();
  }
}

survey::Image small_image() {
  survey::Image img;
  img.source = "test";
  img.band = 2;
  img.width = 10;
  img.height = 8;
  img.wcs = survey::Wcs({5, 4}, {20.0, 1.0}, {{{-1.1e-4, 0}, {0, 1.1e-4}}});
  img.psf = {{1.0, {0, 0}, {2, 0, 2}}};
  img.iota.assign(10, 800.0);
  img.sky.assign(80, 0.5f);
  img.pixels.assign(80, 450.0f);
  return img;
}

// A valid generic image file, then `edit` applied to HDU `hdu` with raw CFITSIO.
std::string edited_stamp(const std::string& name, int hdu,
                         const std::function<void(fitsfile*, int*)>& edit) {
  const std::string path = scratch_dir("bad_" + name) + "/" + name + ".fits";
  write_generic_images(path, {small_image()});
  fitsfile* f = nullptr;
  int status = 0, type = 0;
  fits_open_file(&f, path.c_str(), READWRITE, &status);
  fits_movabs_hdu(f, hdu, &type, &status);
  edit(f, &status);
  fits_close_file(f, &status);
  EXPECT_EQ(status, 0) << "test setup for " << name;
  return path;
}

std::string delete_key(const std::string& key) {
  return edited_stamp("no_" + key, 1, [&](fitsfile* f, int* st) {
    fits_delete_key(f, key.c_str(), st);
  });
}

TEST(BadInput, MissingFile) {
  const std::string p = scratch_dir("bad_missing") + "/nope.fits";
  expect_input_error([&] { read_generic_images(p); }, p, {"No such file"});
  expect_input_error([&] { read_photoobj(p); }, p, {"No such file"});
  expect_input_error([&] { read_catalog_entries(p); }, p, {"No such file"});
}

TEST(BadInput, UnreadablePermissions) {
  const std::string p = scratch_dir("bad_perm") + "/secret.fits";
  write_generic_images(p, {small_image()});
  fs::permissions(p, fs::perms::none);
  if (::geteuid() != 0) {
    expect_input_error([&] { read_generic_images(p); }, p, {"Permission denied"});
    return;
  }
  // Root reads anything: check as an unprivileged user in a child process.
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(3);
    try {
      read_generic_images(p);
    } catch (const InputError& e) {
      const std::string m = e.what();
      _exit(m.find(p) != std::string::npos && m.find("Permission denied") != std::string::npos ? 0 : 1);
    }
    _exit(2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong message, 2: no error, 3: could not drop root";
}

TEST(BadInput, TruncatedFits) {
  const std::string dir = scratch_dir("bad_trunc");
  const std::string p = dir + "/trunc.fits";
  write_generic_images(p, {small_image(), small_image()});
  fs::resize_file(p, fs::file_size(p) - 1000);  // cut into the last HDU's data block
  expect_input_error([&] { read_generic_images(p); }, p, {"HDU 4", "the file is truncated"});
}

TEST(BadInput, NotFitsAndEmptyFile) {
  const std::string dir = scratch_dir("bad_notfits");
  std::ofstream(dir + "/text.fits") << "this is not a FITS file\n";
  std::ofstream(dir + "/empty.fits");
  expect_input_error([&] { read_generic_images(dir + "/text.fits"); }, dir + "/text.fits",
                     {"cannot open as FITS"});
  expect_input_error([&] { read_generic_images(dir + "/empty.fits"); }, dir + "/empty.fits",
                     {"cannot open as FITS"});
}

TEST(BadInput, MissingKeywords) {
  for (const std::string key : {"CALIB", "GAIN", "SKY", "CRVAL1", "PSF_P0"}) {
    const std::string p = delete_key(key);
    expect_input_error([&] { read_generic_images(p); }, p, {"HDU 1", key});
  }
  const std::string p = edited_stamp("no_band", 1, [](fitsfile* f, int* st) {
    fits_delete_key(f, "BAND", st);
  });
  expect_input_error([&] { read_generic_images(p); }, p, {"missing keyword BAND"});
}

TEST(BadInput, BadKeywordValues) {
  const std::string band = edited_stamp("bad_band", 1, [](fitsfile* f, int* st) {
    fits_update_key_str(f, "BAND", "q", nullptr, st);
  });
  expect_input_error([&] { read_generic_images(band); }, band, {"'q' is not one of u g r i z"});
  const std::string sky = edited_stamp("bad_sky", 1, [](fitsfile* f, int* st) {
    fits_update_key_dbl(f, "SKY", -3.0, 6, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(sky); }, sky, {"SKY", "positive"});
  const std::string psf = edited_stamp("bad_psf", 1, [](fitsfile* f, int* st) {
    double v = 1;
    fits_update_key(f, TDOUBLE, "PSF_P6", &v, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(psf); }, psf, {"not a multiple of 6"});
  const std::string cov = edited_stamp("bad_psf_cov", 1, [](fitsfile* f, int* st) {
    fits_update_key_dbl(f, "PSF_P3", -2.0, 6, nullptr, st);  // varxx < 0
  });
  expect_input_error([&] { read_generic_images(cov); }, cov, {"not positive definite"});
}

TEST(BadInput, SingularWcsAndUnknownProjection) {
  const std::string sing = edited_stamp("singular_wcs", 1, [](fitsfile* f, int* st) {
    fits_update_key_dbl(f, "CD1_1", 1e-4, 6, nullptr, st);
    fits_update_key_dbl(f, "CD1_2", 1e-4, 6, nullptr, st);
    fits_update_key_dbl(f, "CD2_1", 1e-4, 6, nullptr, st);
    fits_update_key_dbl(f, "CD2_2", 1e-4, 6, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(sing); }, sing, {"HDU 1", "singular"});
  // Every projection WCSLIB knows is read (issue 15); one it does not know is named.
  const std::string qqq = edited_stamp("qqq_wcs", 1, [](fitsfile* f, int* st) {
    fits_update_key_str(f, "CTYPE1", "RA---QQQ", nullptr, st);
    fits_update_key_str(f, "CTYPE2", "DEC--QQQ", nullptr, st);
  });
  expect_input_error([&] { read_generic_images(qqq); }, qqq, {"HDU 1", "CTYPE1", "RA---QQQ"});
}

TEST(BadInput, WrongHduLayout) {
  // An inverse-variance HDU first (no WCS): the image HDU is missing.
  const std::string dir = scratch_dir("bad_layout");
  const std::string p = dir + "/ivar_only.fits";
  {
    fitsfile* f = nullptr;
    int status = 0;
    long naxes[2] = {4, 4};
    std::vector<float> v(16, 1.0f);
    fits_create_file(&f, p.c_str(), &status);
    fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
    fits_write_img(f, TFLOAT, 1, 16, v.data(), &status);
    fits_close_file(f, &status);
    ASSERT_EQ(status, 0);
  }
  expect_input_error([&] { read_generic_images(p); }, p, {"HDU 1", "CRPIX1"});
  // Only an empty primary HDU.
  const std::string e = dir + "/no_images.fits";
  {
    fitsfile* f = nullptr;
    int status = 0;
    fits_create_file(&f, e.c_str(), &status);
    fits_create_img(f, FLOAT_IMG, 0, nullptr, &status);
    fits_close_file(f, &status);
    ASSERT_EQ(status, 0);
  }
  expect_input_error([&] { read_generic_images(e); }, e, {"no image HDU"});
  // Inverse variance of the wrong shape.
  const std::string s = edited_stamp("ivar_shape", 2, [](fitsfile* f, int* st) {
    fits_update_key_lng(f, "NAXIS2", 4, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(s); }, s, {"HDU 2", "is 10 x 4"});
  // A table where only images belong.
  const std::string t = dir + "/table.fits";
  write_catalog_entries(t, {});
  expect_input_error([&] { read_generic_images(t); }, t, {"HDU 2", "table"});
}

TEST(BadInput, ZeroSizeImage) {
  const std::string p = scratch_dir("bad_zero") + "/zero.fits";
  {
    fitsfile* f = nullptr;
    int status = 0;
    long naxes[2] = {0, 5};
    fits_create_file(&f, p.c_str(), &status);
    fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
    double crpix = 1;
    fits_update_key(f, TDOUBLE, "CRPIX1", &crpix, nullptr, &status);
    fits_close_file(f, &status);
    ASSERT_EQ(status, 0);
  }
  expect_input_error([&] { read_generic_images(p); }, p, {"HDU 1", "zero-size"});
}

TEST(BadInput, NanAndInfPixelsAreMaskedWithWarning) {
  const std::string p = edited_stamp("nan_pixels", 1, [](fitsfile* f, int* st) {
    float bad[3] = {std::nanf(""), INFINITY, -INFINITY};
    fits_write_img(f, TFLOAT, 5, 3, bad, st);
  });
  ::testing::internal::CaptureStderr();
  const auto images = read_generic_images(p);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(p), std::string::npos) << err;
  EXPECT_NE(err.find("3 of 80 pixels are NaN or Inf"), std::string::npos) << err;
  long masked = 0;
  for (float x : images.at(0).pixels) masked += std::isnan(x);
  EXPECT_EQ(masked, 3);
}

TEST(BadInput, CatalogProblems) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-m2-2583-2-136");
  // The M2 photoObj: HDU 2 is an empty image, not a table.
  const std::string m2 =
      shared_data_path("sdss/stripe82-m2-2583-2-136/photoObj-002583-2-0136.fits");
  expect_input_error([&] { read_photoobj(m2); }, m2, {"HDU 2", "no objects"});
  // A table without the photoObj columns.
  const std::string dir = scratch_dir("bad_catalog");
  const std::string generic = dir + "/generic.fits";
  write_catalog_entries(generic, {survey::CatalogEntry{}});
  expect_input_error([&] { read_photoobj(generic); }, generic, {"HDU 2", "missing column RUN"});
  // Empty catalog and sources off every image.
  const std::vector<survey::Image> images{small_image()};
  expect_input_error([&] { validate_catalog_against_images({}, images, generic); }, generic,
                     {"no usable sources"});
  survey::CatalogEntry far;
  far.ra = 200;
  far.dec = 30;
  expect_input_error([&] { validate_catalog_against_images({far}, images, generic); }, generic,
                     {"outside every image"});
  survey::CatalogEntry inside;
  inside.ra = 20;
  inside.dec = 1;
  EXPECT_NO_THROW(validate_catalog_against_images({far, inside}, images, generic));
  // A generic catalog lacking a column.
  const std::string stamp = dir + "/stamp.fits";
  write_generic_images(stamp, images);
  expect_input_error([&] { read_catalog_entries(stamp); }, stamp, {"no binary table"});
}

TEST(BadInput, SdssFieldProblems) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-m2-2583-2-136");
  const std::string dir = scratch_dir("bad_sdss");
  expect_input_error([&] { read_sdss_field(dir, 2583, 2, 136, {"r"}, 2); }, dir,
                     {"no frame file", "frame-r-002583-2-0136.fits.bz2"});
  expect_input_error([&] { read_sdss_field(dir, 2583, 2, 136, {"y"}, 2); }, dir,
                     {"'y' is not one of"});
  // A stamp is not a frame (one image, no calibvec / sky HDUs).
  const std::string stamp = dir + "/stamp.fits";
  write_generic_images(stamp, {small_image()});
  expect_input_error([&] { read_sdss_frame(stamp); }, stamp, {"needs 3 HDUs"});
  // A photoObj is not a psField; a field absent from photoField.
  const std::string src = shared_data_path("sdss/stripe82-m2-2583-2-136");
  const std::string pobj = src + "/photoObj-002583-2-0136.fits";
  expect_input_error([&] { read_sdss_eigen_psf(pobj, 2); }, pobj, {"HDU 4"});
  const std::string pf = src + "/photoField-002583-2.fits";
  expect_input_error([&] { read_photofield_detector(pf, 9999, 2); }, pf,
                     {"no row with FIELD = 9999"});
}

TEST(BadInput, OutputFolderMissingLeavesNothing) {
  const std::string dir = scratch_dir("bad_output");
  const std::string p = dir + "/absent/cat.fits";
  expect_input_error([&] { write_catalog_outputs({}, p, ""); }, p, {"does not exist"});
  expect_input_error([&] { write_generic_images(dir + "/absent/img.fits", {small_image()}); },
                     dir + "/absent/img.fits", {"does not exist"});
  survey::Image broken = small_image();
  broken.sky[3] = 0;
  expect_input_error([&] { write_generic_images(dir + "/img.fits", {broken}); },
                     dir + "/img.fits", {"sky must be positive"});
  EXPECT_TRUE(fs::is_empty(dir));
}


// ------------------------------------------------------------------------- issue 12

namespace fx = celeste::testing::fixtures;

// Runs `f`, requires no exception and returns what it wrote on stderr.
std::string captured_stderr(const std::function<void()>& f) {
  ::testing::internal::CaptureStderr();
  try {
    f();
  } catch (const std::exception& e) {
    ::testing::internal::GetCapturedStderr();
    ADD_FAILURE() << "unexpected error: " << e.what();
    return "";
  }
  return ::testing::internal::GetCapturedStderr();
}

// The mini SDSS field (run 1000/1/100, r) in a fresh folder, or "" to skip.
std::string mini_field(const std::string& name) {
  const std::string dir = scratch_dir(name);
  return fx::make_mini_sdss_field(dir) ? dir : "";
}

#define REQUIRE_MINI_FIELD(dir)                                              \
  if ((dir).empty()) GTEST_SKIP() << "real survey data not found: " << fx::kCutout

TEST(BadInput, SdssSkyInterpolationTableNanIsNamed) {
  for (const char* column : {"XINTERP", "YINTERP"}) {
    const std::string dir = mini_field(std::string("sky_nan_") + column);
    REQUIRE_MINI_FIELD(dir);
    const auto m = fx::mini_field_names(dir);
    fx::edit_fits(m.frame, 3, [&](fitsfile* f, int* st) {
      int col = 0;
      fits_get_colnum(f, CASEINSEN, const_cast<char*>(column), &col, st);
      float nan = std::nanf("");
      fits_write_col(f, TFLOAT, col, 1, 6, 1, &nan, st);
    });
    expect_input_error([&] { read_sdss_frame(m.frame); }, m.frame,
                       {"HDU 3", std::string("column ") + column, "element 5", "nan"});
  }
}

TEST(BadInput, SdssSkyGridShapeMismatchIsNamed) {
  const std::string dir = mini_field("sky_tdim");
  REQUIRE_MINI_FIELD(dir);
  const auto m = fx::mini_field_names(dir);
  fx::edit_fits(m.frame, 3, [](fitsfile* f, int* st) {
    fits_update_key_str(f, "TDIM1", "(128,192)", nullptr, st);  // 24576 != 49152 values
  });
  expect_input_error([&] { read_sdss_frame(m.frame); }, m.frame, {"HDU 3", "ALLSKY", "TDIM"});
}

TEST(BadInput, BilinearClampedNeverReadsOutsideTheGrid) {
  const std::vector<double> grid(12, 1.0);
  EXPECT_THROW(bilinear_clamped(grid, 4, 3, std::nan(""), 1.0), std::invalid_argument);
  EXPECT_THROW(bilinear_clamped(grid, 4, 3, 1.0, std::nan("")), std::invalid_argument);
  EXPECT_THROW(bilinear_clamped(grid, 5, 3, 1.0, 1.0), std::invalid_argument);
  EXPECT_DOUBLE_EQ(bilinear_clamped(grid, 4, 3, 1e300, -1e300), 1.0);
}

TEST(BadInput, CorruptCompressedFrameSaysCorrupt) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string dir = scratch_dir("bad_bz2");
  const std::string src =
      shared_data_path("sdss/stripe82-94-1-12/frame-r-000094-1-0012.fits.bz2");
  const std::string bytes = fx::read_file(src);
  // Half a bzip2 stream decompresses to part of HDU 1: it used to be "needs 3 HDUs, found 1".
  const std::string half = dir + "/frame-r-000094-1-0012.fits.bz2";
  fx::write_file(half, bytes.substr(0, bytes.size() / 2));
  expect_input_error([&] { read_sdss_frame(half); }, half,
                     {"bzip2-compressed file is corrupt or truncated"});
  // A few hundred bytes: CFITSIO cannot even open it ("could not allocate memory").
  const std::string tiny = dir + "/tiny.fits.bz2";
  fx::write_file(tiny, bytes.substr(0, 600));
  expect_input_error([&] { read_sdss_frame(tiny); }, tiny, {"corrupt or truncated"});
  // A flipped byte in the middle breaks a block's CRC.
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  const std::string flip = dir + "/flip.fits.bz2";
  fx::write_file(flip, flipped);
  expect_input_error([&] { read_sdss_frame(flip); }, flip, {"corrupt or truncated"});
}

TEST(BadInput, WcsCrval2OutOfRangeIsNamed) {
  const std::string p = edited_stamp("crval2_100", 1, [](fitsfile* f, int* st) {
    fits_update_key_dbl(f, "CRVAL2", 100.0, 6, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(p); }, p,
                     {"HDU 1", "CRVAL2 = 100", "outside [-90, 90]"});
  const std::string q = edited_stamp("crpix_huge", 1, [](fitsfile* f, int* st) {
    fits_update_key_dbl(f, "CD1_1", 45.0, 6, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(q); }, q, {"HDU 1", "CD1_1 = 45"});
}

TEST(BadInput, PsFieldNanEigenImageNamesFileAndBand) {
  const std::string dir = mini_field("psfield_nan");
  REQUIRE_MINI_FIELD(dir);
  const auto m = fx::mini_field_names(dir);
  fx::edit_fits(m.psfield, 4, [](fitsfile* f, int* st) {  // band r: HDU 4
    int col = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("RROWS"), &col, st);
    std::vector<float> eigen(2601, 0.001f);
    eigen[1300] = std::nanf("");
    fits_write_col(f, TFLOAT, col, 2, 1, 2601, eigen.data(), st);
  });
  expect_input_error([&] { read_sdss_eigen_psf(m.psfield, 2); }, m.psfield,
                     {"HDU 4", "band r", "RROWS row 2", "nan"});
}

// Eigen-images scaled by `factor` in every row of the r band's table.
void scale_eigen_images(const std::string& psfield, double factor) {
  fx::edit_fits(psfield, 4, [&](fitsfile* f, int* st) {
    int col = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("RROWS"), &col, st);
    for (long row = 1; row <= 4; ++row) {
      std::vector<double> e(2601);
      int anynul = 0;
      fits_read_col(f, TDOUBLE, col, row, 1, 2601, nullptr, e.data(), &anynul, st);
      for (double& v : e) v *= factor;
      fits_write_col(f, TDOUBLE, col, row, 1, 2601, e.data(), st);
    }
  });
}

TEST(BadInput, InvalidSdssPsfIsRejectedNotFitted) {
  for (const double factor : {-1.0, 0.0}) {
    const std::string dir = mini_field(factor < 0 ? "psf_negated" : "psf_zero");
    REQUIRE_MINI_FIELD(dir);
    const auto m = fx::mini_field_names(dir);
    scale_eigen_images(m.psfield, factor);
    expect_input_error([&] { read_sdss_field(dir, 1000, 1, 100, {"r"}, 2); }, m.psfield,
                       {"HDU 4", "band r", "PSF stamp sums to"});
  }
}

TEST(BadInput, InvalidGenericPsfIsRejected) {
  // K = 1: PSF_P0 amplitude, P1/P2 mean, P3 varxx, P4 varyy, P5 varxy.
  struct Case {
    const char* name;
    std::vector<std::pair<const char*, double>> keys;
    const char* reason;
  };
  const Case cases[] = {
      {"negative_amp", {{"PSF_P0", -1.0}}, "amplitude -1"},
      {"huge_var", {{"PSF_P3", 1e12}, {"PSF_P4", 1e12}}, "principal variances"},
      {"tiny_var", {{"PSF_P3", 1e-12}, {"PSF_P4", 1e-12}}, "principal variances"},
      {"far_mean", {{"PSF_P1", 100.0}}, "from the PSF centre"},
  };
  for (const Case& c : cases) {
    const std::string p = edited_stamp(std::string("psf_") + c.name, 1, [&](fitsfile* f, int* st) {
      for (const auto& [key, v] : c.keys) fits_update_key_dbl(f, key, v, 12, nullptr, st);
    });
    expect_input_error([&] { read_generic_images(p); }, p, {"HDU 1", "PSF component 0", c.reason});
  }
}

TEST(BadInput, FullyMaskedImageWarns) {
  const std::string zero = edited_stamp("ivar_zero", 2, [](fitsfile* f, int* st) {
    std::vector<float> v(80, 0.0f);
    fits_write_img(f, TFLOAT, 1, 80, v.data(), st);
  });
  const std::string neg = edited_stamp("ivar_negative", 2, [](fitsfile* f, int* st) {
    std::vector<float> v(80, -1.0f);
    fits_write_img(f, TFLOAT, 1, 80, v.data(), st);
  });
  for (const std::string& p : {zero, neg}) {
    const std::string err = captured_stderr([&] { read_generic_images(p); });
    EXPECT_NE(err.find(p), std::string::npos) << err;
    EXPECT_NE(err.find("every pixel is masked"), std::string::npos) << err;
  }
  const std::string dir = mini_field("sdss_all_nan");
  REQUIRE_MINI_FIELD(dir);
  const auto m = fx::mini_field_names(dir);
  fx::edit_fits(m.frame, 1, [](fitsfile* f, int* st) {
    std::vector<float> v(10000, std::nanf(""));
    fits_write_img(f, TFLOAT, 1, 10000, v.data(), st);
  });
  const std::string err = captured_stderr([&] { read_sdss_field(dir, 1000, 1, 100, {"r"}, 2); });
  EXPECT_NE(err.find(m.frame + ": every pixel is masked"), std::string::npos) << err;
}

TEST(BadInput, ImplausibleCatalogValuesNameColumnAndRow) {
  const std::string dir = scratch_dir("bad_catalog_values");
  struct Case {
    const char* name;
    std::function<void(survey::CatalogEntry&)> edit;
    const char* column;
  };
  const Case cases[] = {
      {"nan_flux", [](survey::CatalogEntry& e) { e.star_fluxes[2] = std::nan(""); }, "star_fluxes"},
      {"negative_flux", [](survey::CatalogEntry& e) { e.gal_fluxes[0] = -3; }, "gal_fluxes"},
      {"absurd_flux", [](survey::CatalogEntry& e) { e.star_fluxes[4] = 1e12; }, "star_fluxes"},
      {"axis_ratio_big", [](survey::CatalogEntry& e) { e.gal_axis_ratio = 1.5; }, "gal_axis_ratio"},
      {"axis_ratio_zero", [](survey::CatalogEntry& e) { e.gal_axis_ratio = 0; }, "gal_axis_ratio"},
      {"negative_radius", [](survey::CatalogEntry& e) { e.gal_radius_px = -2; }, "gal_radius_px"},
      {"nan_angle", [](survey::CatalogEntry& e) { e.gal_angle = std::nan(""); }, "gal_angle"},
      {"nan_ra", [](survey::CatalogEntry& e) { e.ra = std::nan(""); }, "ra"},
      {"frac_dev", [](survey::CatalogEntry& e) { e.gal_frac_dev = 2; }, "gal_frac_dev"},
  };
  for (const Case& c : cases) {
    survey::Catalog cat(3);
    for (auto& e : cat) {
      e.ra = 20;
      e.dec = 1;
      e.star_fluxes = e.gal_fluxes = {1, 2, 3, 4, 5};
      e.objid = 7;
    }
    cat[1].objid = 4242;
    c.edit(cat[1]);
    const std::string p = dir + "/" + c.name + ".fits";
    write_catalog_entries(p, cat);
    expect_input_error([&] { read_catalog_entries(p); }, p,
                       {"HDU 2", std::string("column ") + c.column, "row 2", "objid 4242"});
  }
  // A star's unmeasured (NaN) galaxy shape is not an error (Celeste.jl catalogs).
  survey::Catalog star(1);
  star[0].ra = 20;
  star[0].is_star = true;
  star[0].gal_frac_dev = star[0].gal_axis_ratio = star[0].gal_angle = star[0].gal_radius_px =
      std::nan("");
  write_catalog_entries(dir + "/star.fits", star);
  EXPECT_NO_THROW(read_catalog_entries(dir + "/star.fits"));
}

TEST(BadInput, PhotoObjImplausibleRowIsSkippedWithWarning) {
  const std::string dir = mini_field("photoobj_bad_row");
  REQUIRE_MINI_FIELD(dir);
  const auto m = fx::mini_field_names(dir);
  const auto rows = read_photoobj_rows(m.photoobj);
  const auto good = read_photoobj(m.photoobj);
  // The first usable galaxy and the first usable star.
  long galaxy = -1, star = -1;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!usable_for_initialisation(rows[i])) continue;
    if (rows[i].objc_type == 3 && galaxy < 0) galaxy = static_cast<long>(i);
    if (rows[i].objc_type == 6 && star < 0) star = static_cast<long>(i);
  }
  ASSERT_GE(galaxy, 0);
  ASSERT_GE(star, 0);
  const bool dev = rows[galaxy].fracdev[2] > 0.5;
  fx::edit_fits(m.photoobj, 2, [&](fitsfile* f, int* st) {
    int col = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("RA"), &col, st);
    double nan = std::nan("");
    fits_write_col(f, TDOUBLE, col, star + 1, 1, 1, &nan, st);
    fits_get_colnum(f, CASEINSEN, const_cast<char*>(dev ? "AB_DEV" : "AB_EXP"), &col, st);
    float ab = 7;
    fits_write_col(f, TFLOAT, col, galaxy + 1, 3, 1, &ab, st);  // r band
  });
  survey::Catalog read;
  const std::string err = captured_stderr([&] { read = read_photoobj(m.photoobj); });
  EXPECT_EQ(read.size(), good.size() - 2);
  for (const long i : {star, galaxy}) {
    EXPECT_NE(err.find(m.photoobj + ": HDU 2: objid " + std::to_string(rows[i].objid)),
              std::string::npos)
        << err;
    for (const auto& e : read) EXPECT_NE(e.objid, rows[i].objid);
  }
  EXPECT_NE(err.find("column RA = nan"), std::string::npos) << err;
  EXPECT_NE(err.find(std::string("column AB_") + (dev ? "DEV" : "EXP") + " (r) = 7"),
            std::string::npos)
      << err;
}

TEST(BadInput, TruncatedCatalogSaysTruncated) {
  const std::string dir = scratch_dir("bad_catalog_trunc");
  const std::string full = dir + "/full.fits";
  survey::Catalog cat(2);
  cat[0].ra = cat[1].ra = 20;
  write_catalog_entries(full, cat);
  const std::string bytes = fx::read_file(full);
  for (const std::size_t keep : {std::size_t(2880 + 3), std::size_t(2880 + 1000), bytes.size() - 100}) {
    const std::string p = dir + "/cut" + std::to_string(keep) + ".fits";
    fx::write_file(p, bytes.substr(0, keep));
    expect_input_error([&] { read_catalog_entries(p); }, p, {"truncated"});
  }
}

TEST(BadInput, IntegerKeywordsOutsideIntAreErrors) {
  // RUN = 2^32 + 94 used to be read as run 94.
  const std::string p = edited_stamp("run_huge", 1, [](fitsfile* f, int* st) {
    fits_update_key_lng(f, "RUN", 4294967390LL, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(p); }, p, {"HDU 1", "RUN = 4294967390", "outside"});
  const std::string dir = mini_field("psfield_nrow_b");
  REQUIRE_MINI_FIELD(dir);
  const auto m = fx::mini_field_names(dir);
  fx::edit_fits(m.psfield, 4, [](fitsfile* f, int* st) {
    int col = 0;
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("nrow_b"), &col, st);
    // The column is 32-bit (1J): replace it by a 64-bit one holding 2^32 + 1, which wraps to
    // the valid 1 when narrowed to int.
    fits_delete_col(f, col, st);
    fits_insert_col(f, col, const_cast<char*>("nrow_b"), const_cast<char*>("1K"), st);
    LONGLONG big[4] = {4294967297LL, 4294967297LL, 4294967297LL, 4294967297LL};
    fits_write_col(f, TLONGLONG, col, 1, 1, 4, big, st);
  });
  expect_input_error([&] { read_sdss_eigen_psf(m.psfield, 2); }, m.psfield,
                     {"HDU 4", "nrow_b"});
}


// What tests/io/test_fuzz_readers.cpp found (CELESTE_FUZZ_SCALE=40..100), kept as fixed cases.
TEST(BadInput, FuzzFindingsStayFixed) {
  // A flipped bit made "RUN = 0 / ..." read "RUN = (0 / ...": CFITSIO 4.2's integer keyword
  // conversion (ffc2j) overflows a buffer on it and aborts the process.
  const std::string paren = edited_stamp("run_paren", 1, [](fitsfile* f, int* st) {
    fits_update_card(f, "RUN", "RUN     =                   (0 / SDSS run (0 = synthetic)", st);
  });
  expect_input_error([&] { read_generic_images(paren); }, paren, {"HDU 1", "RUN", "not an integer"});
  // NAXIS2 = 2^32 + 1 rows in an fpM mask table: CFITSIO still finds the HDUs after it but
  // reports the full count, and the readers allocated 2^32 rows (std::bad_alloc).
  const std::string dir = mini_field("fuzz_rows");
  REQUIRE_MINI_FIELD(dir);
  const auto m = fx::mini_field_names(dir);
  std::string bytes = fx::read_file(m.fpm);
  const std::size_t card = bytes.find("NAXIS2  =", 2880);
  ASSERT_NE(card, std::string::npos);
  std::string value = "NAXIS2  =           4294967297";
  value.resize(80, ' ');
  bytes.replace(card, 80, value);
  fx::write_file(m.fpm, bytes);
  expect_input_error([&] { read_fpm_mask(m.fpm, 100, 100); }, m.fpm,
                     {"HDU 2", "NAXIS2 = 4294967297"});
}

}  // namespace
}  // namespace celeste::io
