#pragma once
// Small valid inputs for the bad-input tests (tests/io/test_bad_inputs.cpp,
// tests/io/test_fuzz_readers.cpp, tests/e2e/test_badinput_corpus.cpp), and raw CFITSIO edits
// to break them. Everything is written to a scratch folder; ../shared/data is only read.
//
//   write_small_generic_survey(dir)  r.fits (one 24 x 24 r image), init.fits (3 sources),
//                                    truth.fits (coadd-format truth for `celeste score`)
//   make_mini_sdss_field(dir)        the 100 x 100 SDSS cut-out of run 1000 camcol 1 field 100
//                                    as a complete field: frame (decompressed, so it can be
//                                    edited), psField, fpM, photoObj, and a photoField written
//                                    from the psField's own gain / dark variance
//   edit_fits(path, hdu, f)          opens `path` read-write on `hdu` and runs f(fptr, &status)
#include <fitsio.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "harness/shared_data.hpp"
#include "io/catalog_entries.hpp"
#include "io/generic_images.hpp"
#include "model/generator.hpp"
#include "score/truth_catalog.hpp"

namespace celeste::testing::fixtures {

inline constexpr const char* kCutout = "sdss/tractor-cutout-1000-1-100";

// The generic survey: one r image (24 x 24 px), its initial catalog and the truth.
inline void write_small_generic_survey(const std::string& dir, int size = 24, int sources = 3) {
  config::GenerateConfig cfg;
  cfg.bands = {"r"};
  cfg.width = cfg.height = size;
  cfg.source_count = sources;
  cfg.seed = 5;
  const auto survey = model::generate_survey(cfg);
  io::write_generic_images(dir + "/r.fits", survey.images);
  io::write_catalog_entries(dir + "/init.fits", survey.initial);
  std::vector<score::CoaddTruthRow> rows;
  for (const auto& e : survey.truth) rows.push_back(score::coadd_truth_row_from_entry(e));
  score::write_coadd_truth(dir + "/truth.fits", rows);
}

// Opens `path` read-write at `hdu` (1-based) and runs `edit`; fails the test on a CFITSIO error.
inline void edit_fits(const std::string& path, int hdu,
                      const std::function<void(fitsfile*, int*)>& edit) {
  fitsfile* f = nullptr;
  int status = 0, type = 0;
  fits_open_diskfile(&f, path.c_str(), READWRITE, &status);
  fits_movabs_hdu(f, hdu, &type, &status);
  edit(f, &status);
  fits_close_file(f, &status);
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  EXPECT_EQ(status, 0) << "test setup: editing " << path << " HDU " << hdu << ": " << text;
}

// `src` (possibly compressed) copied to the plain FITS file `dst`.
inline void copy_fits_decompressed(const std::string& src, const std::string& dst) {
  fitsfile* in = nullptr;
  fitsfile* out = nullptr;
  int status = 0;
  std::filesystem::remove(dst);
  fits_open_diskfile(&in, src.c_str(), READONLY, &status);
  fits_create_diskfile(&out, dst.c_str(), &status);
  fits_copy_file(in, out, 1, 1, 1, &status);
  fits_close_file(out, &status);
  fits_close_file(in, &status);
  EXPECT_EQ(status, 0) << "test setup: decompressing " << src;
}

inline void copy_file(const std::string& src, const std::string& dst) {
  std::filesystem::copy_file(src, dst, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(dst, std::filesystem::perms::owner_read |
                                        std::filesystem::perms::owner_write);
}

// File names of the mini field (run 1000, camcol 1, field 100, band r).
struct MiniField {
  std::string dir, frame, psfield, fpm, photoobj, photofield;
};

inline MiniField mini_field_names(const std::string& dir) {
  return {dir, dir + "/frame-r-001000-1-0100.fits", dir + "/psField-001000-1-0100.fit",
          dir + "/fpM-001000-r1-0100.fit", dir + "/photoObj-001000-1-0100.fits",
          dir + "/photoField-001000-1.fits"};
}

// Returns false (and the caller skips) when ../shared/data is absent.
inline bool make_mini_sdss_field(const std::string& dir) {
  const std::string src = shared_data_path(kCutout);
  if (src.empty()) return false;
  const MiniField m = mini_field_names(dir);
  copy_fits_decompressed(src + "/frame-r-001000-1-0100.fits.bz2", m.frame);
  copy_file(src + "/psField-001000-1-0100.fit", m.psfield);
  copy_file(src + "/fpM-001000-r1-0100.fit", m.fpm);
  copy_file(src + "/photoObj-001000-1-0100.fits", m.photoobj);
  // photoField: the same detector constants the psField carries (HDU 7, gain / dark_variance).
  double gain[5], dark[5];
  {
    fitsfile* f = nullptr;
    int status = 0, type = 0, col = 0, anynul = 0;
    fits_open_diskfile(&f, m.psfield.c_str(), READONLY, &status);
    fits_movabs_hdu(f, 7, &type, &status);
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("gain"), &col, &status);
    fits_read_col(f, TDOUBLE, col, 1, 1, 5, nullptr, gain, &anynul, &status);
    fits_get_colnum(f, CASEINSEN, const_cast<char*>("dark_variance"), &col, &status);
    fits_read_col(f, TDOUBLE, col, 1, 1, 5, nullptr, dark, &anynul, &status);
    fits_close_file(f, &status);
    EXPECT_EQ(status, 0) << "test setup: psField detector constants";
  }
  {
    std::filesystem::remove(m.photofield);
    fitsfile* f = nullptr;
    int status = 0;
    char* ttype[] = {const_cast<char*>("FIELD"), const_cast<char*>("GAIN"),
                     const_cast<char*>("DARK_VARIANCE")};
    char* tform[] = {const_cast<char*>("1J"), const_cast<char*>("5E"), const_cast<char*>("5E")};
    fits_create_diskfile(&f, m.photofield.c_str(), &status);
    fits_create_img(f, 8, 0, nullptr, &status);
    fits_create_tbl(f, BINARY_TBL, 1, 3, ttype, tform, nullptr, "PHOTOFIELD", &status);
    int field = 100;
    fits_write_col(f, TINT, 1, 1, 1, 1, &field, &status);
    fits_write_col(f, TDOUBLE, 2, 1, 1, 5, gain, &status);
    fits_write_col(f, TDOUBLE, 3, 1, 1, 5, dark, &status);
    fits_close_file(f, &status);
    EXPECT_EQ(status, 0) << "test setup: photoField";
  }
  return true;
}

// A run configuration of the mini field (band r) with its photoObj catalog.
inline std::string mini_field_run_config(const std::string& dir, const std::string& out) {
  return "images:\n  - format: sdss\n    directory: " + dir +
         "\n    run: 1000\n    camcol: 1\n    field: 100\n    bands: [r]\n"
         "catalog:\n  format: photoobj\n  path: " + dir + "/photoObj-001000-1-0100.fits\n"
         "output:\n  directory: " + out + "\n";
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace celeste::testing::fixtures
