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
  img.wcs = survey::TanWcs({5, 4}, {20.0, 1.0}, {{{-1.1e-4, 0}, {0, 1.1e-4}}});
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
  expect_input_error([&] { read_generic_images(p); }, p, {"HDU 4", "truncated file?"});
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

TEST(BadInput, SingularAndNonTanWcs) {
  const std::string sing = edited_stamp("singular_wcs", 1, [](fitsfile* f, int* st) {
    fits_update_key_dbl(f, "CD1_1", 1e-4, 6, nullptr, st);
    fits_update_key_dbl(f, "CD1_2", 1e-4, 6, nullptr, st);
    fits_update_key_dbl(f, "CD2_1", 1e-4, 6, nullptr, st);
    fits_update_key_dbl(f, "CD2_2", 1e-4, 6, nullptr, st);
  });
  expect_input_error([&] { read_generic_images(sing); }, sing, {"HDU 1", "singular"});
  const std::string sin = edited_stamp("sin_wcs", 1, [](fitsfile* f, int* st) {
    fits_update_key_str(f, "CTYPE1", "RA---SIN", nullptr, st);
  });
  expect_input_error([&] { read_generic_images(sin); }, sin, {"CTYPE1", "only a TAN WCS"});
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

}  // namespace
}  // namespace celeste::io
