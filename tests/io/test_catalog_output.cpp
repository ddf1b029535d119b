// Output catalog: the params -> columns conversion (model.md §8.3, §9.2 #24-25) and the FITS /
// HDF5 files, read back with independent readers (CFITSIO and HDF5 C APIs directly).
#include <fitsio.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <celeste/param_layout.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness/run_outputs.hpp"
#include "harness/shared_data.hpp"
#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

namespace fs = std::filesystem;
using celeste::testing::scratch_dir;
constexpr double kMagPerLn = 2.5 / M_LN10;

survey::SourceResult galaxy_result() {
  survey::SourceResult r;
  r.objid = 1237663784734294016LL;  // above 2^53: must survive exactly in int64 columns
  r.ra_init = 336.6;
  r.dec_init = -0.9;
  auto& p = r.params;
  p[param::ra] = 336.60001;
  p[param::dec] = -0.90002;
  p[param::frac_dev] = 0.3;
  p[param::axis_ratio] = 0.5;
  p[param::angle] = -M_PI / 4;
  p[param::radius] = 10;
  p[param::gamma(0)] = std::log(3.0);
  p[param::gamma(1)] = std::log(20.0);
  p[param::zeta(0)] = 0.01;
  p[param::zeta(1)] = 0;
  for (int j = 0; j < 4; ++j) {
    p[param::beta(0, j)] = 0.1 * (j + 1);
    p[param::beta(1, j)] = -0.2 * (j + 1);
    p[param::lambda(0, j)] = 0.02;
    p[param::lambda(1, j)] = 0;
  }
  p[param::chi(0)] = 0.01;
  p[param::chi(1)] = 0.99;
  r.status_code = optimizer::converged;
  r.iterations = 17;
  r.failure_flags = 0;
  r.elbo = -12345.5;
  r.elbo_gain = 321.25;
  r.grad_norm = 1e-9;
  for (int p = 0; p < 44; ++p) r.lr_sd[p] = 1e-3 * (p + 1);  // linear-response sds
  r.gal_position_angle_deg = 42.5;
  return r;
}

survey::SourceResult star_result() {
  survey::SourceResult r = galaxy_result();
  r.objid = 42;
  r.params[param::chi(0)] = 0.8;
  r.params[param::chi(1)] = 0.2;
  r.params[param::angle] = 3.5;
  r.status_code = optimizer::max_iterations;
  r.failure_flags = 5;
  r.bad_sky = true;
  return r;
}

double value(const std::vector<CatalogColumn>& cols, const std::string& name, std::size_t row) {
  const CatalogColumn& c = find_column(cols, name);
  return c.kind == ColumnKind::real ? c.real.at(row) : double(c.integer.at(row));
}

TEST(CatalogColumns, AsinhMagnitudesMatchReference) {  // model.md §9.2 #24
  EXPECT_NEAR(asinh_magnitude(15, 0), 19.559677, 1e-5);
  EXPECT_NEAR(asinh_magnitude(15, 2), 19.559702, 1e-5);
}

TEST(CatalogColumns, ReferenceConversions) {  // model.md §9.2 #25
  const auto cols = build_catalog_columns({galaxy_result()});
  EXPECT_DOUBLE_EQ(value(cols, "gal_radius_px", 0), 10 * std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(value(cols, "gal_scale_px", 0), 10);
  EXPECT_NEAR(value(cols, "gal_angle_deg", 0), 135, 1e-12);
  EXPECT_NEAR(value(cols, "flux_r", 0), 20, 1e-12);  // ζ = 0: mean = median = exp(γ_2)
  EXPECT_EQ(value(cols, "is_star", 0), 0);
  EXPECT_DOUBLE_EQ(value(cols, "prob_galaxy", 0), 0.99);
  EXPECT_NEAR(value(cols, "log_flux_r", 0), std::log(20.0), 1e-15);
  EXPECT_NEAR(value(cols, "flux_r_sd", 0), 0, 1e-12);
  // Galaxy colors β_2 = (-0.2, -0.4, -0.6, -0.8), in magnitudes.
  EXPECT_NEAR(value(cols, "color_gr", 0), kMagPerLn * -0.4, 1e-12);
  // u = r exp(-c1 - c2) = 20 exp(0.6); z = r exp(c3 + c4) = 20 exp(-1.4).
  EXPECT_NEAR(value(cols, "flux_u", 0), 20 * std::exp(0.6), 1e-10);
  EXPECT_NEAR(value(cols, "flux_z", 0), 20 * std::exp(-1.4), 1e-10);
  // mag_r against a golden computed by hand, not with the function that made the column: for
  // f >> b an asinh magnitude is the Pogson magnitude 22.5 - 2.5 log10(f / nmgy) (the
  // difference, -(2.5/ln 10)(b/f)^2 = -3.9e-5 mag here, is inside the tolerance).
  EXPECT_NEAR(value(cols, "mag_r", 0), 22.5 - 2.5 * std::log10(20.0), 1e-4);
  EXPECT_EQ(find_column(cols, "status").text.at(0), "converged");
}

// Every band's magnitude column against independent goldens: luptitudes (Lupton, Gunn & Szalay
// 1999; SDSS b per band 1.4, 0.9, 1.2, 1.8, 7.4 x 1e-10) evaluated offline in Python for the
// galaxy's fluxes u..z = 20 exp(0.6), 20 exp(0.4), 20, 20 exp(-0.6), 20 exp(-1.4) nmgy; and, at
// a vanishing flux, the zero-flux magnitudes -2.5 log10(b) that the SDSS documentation tables
// (24.63, 25.11, 24.80, 24.36, 22.83).
TEST(CatalogColumns, MagnitudesMatchIndependentGoldens) {
  const auto cols = build_catalog_columns({galaxy_result()});
  const char* bands[] = {"u", "g", "r", "i", "z"};
  const double lupt[] = {18.5959672645, 18.8131206501, 19.2473859264, 19.8985748649,
                         20.7437992325};
  const double pogson[] = {18.5959832880, 18.8131305289, 19.2474250108, 19.8988667337,
                           20.7674556975};
  for (int b = 0; b < 5; ++b) {
    const std::string name = std::string("mag_") + bands[b];
    EXPECT_NEAR(value(cols, name, 0), lupt[b], 1e-9) << name;
    // and below Pogson by the softening, by less than 0.03 mag even for faint z
    EXPECT_LT(value(cols, name, 0), pogson[b]) << name;
    EXPECT_GT(value(cols, name, 0), pogson[b] - 0.03) << name;
  }
  auto faint = galaxy_result();
  faint.params[param::gamma(1)] = std::log(1e-6);  // 1e-6 nmgy: f << b in every band
  const auto faint_cols = build_catalog_columns({faint});
  const double zero_flux[] = {24.63, 25.11, 24.80, 24.36, 22.83};
  for (int b = 0; b < 5; ++b) {
    const std::string name = std::string("mag_") + bands[b];
    EXPECT_NEAR(value(faint_cols, name, 0), zero_flux[b], 0.006) << name;
  }
}

TEST(CatalogColumns, StarUsesStarParametersAndLogNormalMoments) {
  const auto cols = build_catalog_columns({star_result()});
  EXPECT_EQ(value(cols, "is_star", 0), 1);
  // Star: γ = ln 3, ζ = 0.01, β = (0.1, 0.2, 0.3, 0.4), λ = 0.02.
  const double log_median_u = std::log(3.0) - 0.1 - 0.2, var_u = 0.01 + 0.02 + 0.02;
  const double mean_u = std::exp(log_median_u + var_u / 2);
  EXPECT_NEAR(value(cols, "flux_u", 0), mean_u, 1e-12);
  EXPECT_NEAR(value(cols, "flux_u_sd", 0), mean_u * std::sqrt(std::exp(var_u) - 1), 1e-12);
  EXPECT_NEAR(value(cols, "mag_u_sd", 0), kMagPerLn * std::sqrt(std::exp(var_u) - 1), 1e-12);
  EXPECT_NEAR(value(cols, "flux_r", 0), 3 * std::exp(0.005), 1e-12);
  // sds: linear response when present (lr_sd[p] = 1e-3 (p + 1) here), mean field in *_sd_mf.
  EXPECT_NEAR(value(cols, "log_flux_r_sd", 0), 1e-3 * (param::gamma(0) + 1), 1e-15);
  EXPECT_NEAR(value(cols, "log_flux_r_sd_mf", 0), 0.1, 1e-15);
  EXPECT_NEAR(value(cols, "color_iz_sd", 0), kMagPerLn * 1e-3 * (param::beta(0, 3) + 1), 1e-12);
  EXPECT_NEAR(value(cols, "color_iz_sd_mf", 0), kMagPerLn * std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(value(cols, "ra_sd", 0), 3600 * 1e-3 * (param::ra + 1), 1e-9);
  EXPECT_NEAR(value(cols, "gal_angle_deg", 0), std::fmod(3.5 * 180 / M_PI, 180), 1e-10);
  EXPECT_EQ(find_column(cols, "status").text.at(0), "max_iterations");
  EXPECT_EQ(value(cols, "status_code", 0), 1);
  EXPECT_EQ(value(cols, "failure_flags", 0), 5);
  EXPECT_EQ(value(cols, "bad_sky", 0), 1);
}

// ------------------------------------------------------------------ files, independent readers

// The contract: every name here must exist in both files (docs/io.md lists them).
std::vector<std::string> contract_names() {
  std::vector<std::string> n{"objid", "ra", "dec", "ra_init", "dec_init", "prob_star",
                             "prob_galaxy", "is_star"};
  for (std::string b : {"u", "g", "r", "i", "z"})
    for (std::string s : {"flux_", "mag_"}) {
      n.push_back(s + b);
      n.push_back(s + b + "_sd");
    }
  n.insert(n.end(), {"log_flux_r", "log_flux_r_sd", "log_flux_r_sd_mf"});
  for (std::string c : {"ug", "gr", "ri", "iz"}) n.push_back("color_" + c);
  for (std::string c : {"ug", "gr", "ri", "iz"}) {
    n.push_back("color_" + c + "_sd");
    n.push_back("color_" + c + "_sd_mf");
  }
  n.insert(n.end(), {"ra_sd", "dec_sd", "gal_frac_dev_sd", "gal_axis_ratio_sd",
                     "gal_angle_deg_sd", "gal_scale_px_sd", "gal_pa_deg"});
  n.insert(n.end(), {"gal_frac_dev", "gal_axis_ratio", "gal_angle_deg", "gal_radius_px",
                     "gal_scale_px", "status", "status_code", "iterations", "failure_flags",
                     "warning_flags", "elbo", "elbo_gain", "grad_norm", "bad_sky"});
  return n;
}

TEST(CatalogOutput, FitsAndHdf5ReadBackWithIndependentReaders) {
  const std::string dir = scratch_dir("catalog_out");
  const std::vector<survey::SourceResult> results{galaxy_result(), star_result()};
  const auto expected = build_catalog_columns(results);
  ASSERT_EQ(expected.size(), contract_names().size());
  for (const auto& name : contract_names()) EXPECT_NO_THROW(find_column(expected, name)) << name;
  write_catalog_outputs(results, dir + "/cat.fits", dir + "/cat.h5");

  // --- FITS through raw CFITSIO
  fitsfile* f = nullptr;
  int status = 0;
  ASSERT_EQ(fits_open_file(&f, (dir + "/cat.fits").c_str(), READONLY, &status), 0);
  ASSERT_EQ(fits_movnam_hdu(f, BINARY_TBL, const_cast<char*>("CATALOG"), 0, &status), 0);
  long nrows = 0;
  int ncols = 0;
  fits_get_num_rows(f, &nrows, &status);
  fits_get_num_cols(f, &ncols, &status);
  EXPECT_EQ(nrows, 2);
  EXPECT_EQ(ncols, static_cast<int>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const CatalogColumn& c = expected[i];
    const std::string idx = std::to_string(i + 1);
    char value[FLEN_VALUE] = {0};
    fits_read_key(f, TSTRING, ("TTYPE" + idx).c_str(), value, nullptr, &status);
    EXPECT_EQ(std::string(value), c.name);
    // TUNIT for the FITS-standard units; none for nanomaggy (astropy reads it from its
    // column block, docs/io.md).
    const bool fits_unit = c.unit == "deg" || c.unit == "arcsec" || c.unit == "mag" ||
                           c.unit == "pix";
    EXPECT_TRUE(fits_unit || c.unit.empty() || c.unit == "nanomaggy") << c.name << " " << c.unit;
    value[0] = '\0';
    fits_read_key(f, TSTRING, ("TUNIT" + idx).c_str(), value, nullptr, &status);
    if (status == KEY_NO_EXIST) status = 0;
    EXPECT_EQ(std::string(value), fits_unit ? c.unit : "") << c.name;
    // The whole description in TCOMMn (long-string convention).
    char* comm = nullptr;
    fits_read_key_longstr(f, ("TCOMM" + idx).c_str(), &comm, nullptr, &status);
    EXPECT_EQ(std::string(comm ? comm : ""), c.description) << c.name;
    if (comm) fits_free_memory(comm, &status);
    fits_read_key(f, TSTRING, ("TDISP" + idx).c_str(), value, nullptr, &status);
    EXPECT_EQ(std::string(value), c.tdisp) << c.name;
    int anynul = 0;
    const int col = static_cast<int>(i + 1);
    if (c.kind == ColumnKind::real) {
      std::vector<double> v(2);
      fits_read_col(f, TDOUBLE, col, 1, 1, 2, nullptr, v.data(), &anynul, &status);
      for (int r = 0; r < 2; ++r) EXPECT_EQ(v[r], c.real[r]) << c.name;
    } else if (c.kind == ColumnKind::text) {
      char buf0[32], buf1[32];
      char* bufs[2] = {buf0, buf1};
      fits_read_col_str(f, col, 1, 1, 2, const_cast<char*>(""), bufs, &anynul, &status);
      EXPECT_EQ(std::string(buf0), c.text[0]);
      EXPECT_EQ(std::string(buf1), c.text[1]);
    } else if (c.kind == ColumnKind::logical) {
      char v[2] = {0, 0};
      fits_read_col(f, TLOGICAL, col, 1, 1, 2, nullptr, v, &anynul, &status);
      for (int r = 0; r < 2; ++r) EXPECT_EQ(v[r], c.integer[r]) << c.name;
    } else {
      std::vector<LONGLONG> v(2);
      fits_read_col(f, TLONGLONG, col, 1, 1, 2, nullptr, v.data(), &anynul, &status);
      for (int r = 0; r < 2; ++r) EXPECT_EQ(v[r], c.integer[r]) << c.name;
    }
    ASSERT_EQ(status, 0) << c.name;
  }
  fits_close_file(f, &status);

  // --- HDF5 through the raw C API: one compound table, each field read by name
  hid_t h5 = H5Fopen((dir + "/cat.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(h5, 0);
  hid_t ds = H5Dopen2(h5, "/catalog", H5P_DEFAULT);
  ASSERT_GE(ds, 0);
  hid_t file_type = H5Dget_type(ds);
  ASSERT_EQ(H5Tget_class(file_type), H5T_COMPOUND);
  EXPECT_EQ(H5Tget_nmembers(file_type), static_cast<int>(expected.size()));
  hid_t space = H5Dget_space(ds);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  EXPECT_EQ(n, 2u);
  // Reads field `name` of both rows into `out` as `mem_type` (a one-member compound).
  auto read_field = [&](const std::string& name, hid_t mem_type, std::size_t size, void* out) {
    hid_t one = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(one, name.c_str(), 0, mem_type);
    const herr_t rc = H5Dread(ds, one, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Tclose(one);
    return rc;
  };
  auto string_attribute = [&](const std::string& name) {
    hid_t a = H5Aopen(ds, name.c_str(), H5P_DEFAULT);
    if (a < 0) return std::string("<missing>");
    hid_t t = H5Aget_type(a);
    char* text = nullptr;  // variable-length UTF-8
    H5Aread(a, t, &text);
    std::string out = text ? text : "";
    H5free_memory(text);
    H5Tclose(t);
    H5Aclose(a);
    return out;
  };
  for (std::size_t j = 0; j < expected.size(); ++j) {
    const CatalogColumn& c = expected[j];
    EXPECT_EQ(H5Tget_member_index(file_type, c.name.c_str()), static_cast<int>(j)) << c.name;
    if (c.kind == ColumnKind::real) {
      double v[2];
      ASSERT_GE(read_field(c.name, H5T_NATIVE_DOUBLE, sizeof(double), v), 0) << c.name;
      for (int r = 0; r < 2; ++r) EXPECT_EQ(v[r], c.real[r]) << c.name;
    } else if (c.kind == ColumnKind::text) {
      hid_t t = H5Tget_member_type(file_type, static_cast<unsigned>(j));
      const std::size_t width = H5Tget_size(t);
      EXPECT_EQ(H5Tget_strpad(t), H5T_STR_NULLPAD) << "no space padding";
      std::vector<char> buf(2 * width + 1, '\0');
      ASSERT_GE(read_field(c.name, t, width, buf.data()), 0);
      EXPECT_EQ(std::string(buf.data(), strnlen(buf.data(), width)), c.text[0]);
      EXPECT_EQ(std::string(buf.data() + width, strnlen(buf.data() + width, width)), c.text[1]);
      H5Tclose(t);
    } else {
      long long v[2];
      ASSERT_GE(read_field(c.name, H5T_NATIVE_LLONG, sizeof(long long), v), 0) << c.name;
      for (int r = 0; r < 2; ++r) EXPECT_EQ(v[r], c.integer[r]) << c.name;
    }
    EXPECT_EQ(string_attribute("FIELD_" + std::to_string(j) + "_UNIT"), c.unit) << c.name;
    EXPECT_EQ(string_attribute("FIELD_" + std::to_string(j) + "_DESCRIPTION"), c.description)
        << c.name;
  }
  H5Sclose(space);
  H5Tclose(file_type);
  H5Dclose(ds);
  H5Fclose(h5);

  // --- our own convenience reader agrees
  const auto back = read_catalog_columns(dir + "/cat.fits");
  EXPECT_DOUBLE_EQ(back.at("flux_r")[0], 20);
  EXPECT_EQ(back.at("is_star")[1], 1);
  EXPECT_EQ(back.count("status"), 0u);
}

OutputProvenance test_provenance(const std::string& dir) {
  OutputProvenance p;
  p.run_id = "20261201T000000Z-0000abcd";
  p.date_utc = "2026-12-01T00:00:10";
  p.start_utc = "2026-12-01T00:00:00";
  p.host = "testhost";
  p.backend = "Serial";
  p.threads = 1;
  // A line longer than a HISTORY card, and YAML that needs quoting.
  p.config_yaml = "images:\n  - format: generic\n    paths: [" + std::string(90, 'x') +
                  ".fits]\ncatalog: {format: generic, path: 'it''s: here.fits'}\n";
  const std::string input = dir + "/input.fits";
  std::ofstream(input) << "12345";
  p.inputs.push_back(describe_input_file(input));
  return p;
}

// The done-when check of issue 15, here on a catalog with every kind of row (the e2e demo runs
// it on a real run's output): astropy and h5py, warnings as errors, descriptions, units,
// provenance, CHECKSUM. Never skipped: scripts/setup installs python3-astropy and python3-h5py.
TEST(CatalogOutput, OpensInPythonAstropyAndH5py) {
  const std::string dir = scratch_dir("catalog_py");
  survey::SourceResult unfitted = galaxy_result();  // NaN sds: flagged sd_unavailable
  unfitted.status_code = optimizer::not_fitted;
  unfitted.lr_sd = survey::SourceResult::nan_array();
  write_catalog_outputs({galaxy_result(), star_result(), unfitted}, dir + "/cat.fits",
                        dir + "/cat.h5", test_provenance(dir));
  const testing::CommandResult r =
      testing::check_catalog_in_python(dir + "/cat.fits", dir + "/cat.h5");
  EXPECT_EQ(r.status, 0) << r.output;
  std::printf("%s", r.output.c_str());
}

TEST(CatalogOutput, ChecksumsVerifyAndProvenanceIsInBothHeaders) {
  const std::string dir = scratch_dir("catalog_sum");
  write_catalog_outputs({galaxy_result()}, dir + "/cat.fits", dir + "/cat.h5",
                        test_provenance(dir));
  fitsfile* f = nullptr;
  int status = 0;
  ASSERT_EQ(fits_open_file(&f, (dir + "/cat.fits").c_str(), READONLY, &status), 0);
  for (int hdu = 1; hdu <= 2; ++hdu) {
    fits_movabs_hdu(f, hdu, nullptr, &status);
    int data_ok = 0, hdu_ok = 0;
    fits_verify_chksum(f, &data_ok, &hdu_ok, &status);
    EXPECT_EQ(data_ok, 1) << "DATASUM of HDU " << hdu;
    EXPECT_EQ(hdu_ok, 1) << "CHECKSUM of HDU " << hdu;
    char value[FLEN_VALUE] = {0};
    for (const char* key : {"CELVERS", "CELGIT", "DATE", "RUNID", "HOST", "BACKEND", "INTIM1"}) {
      fits_read_keyword(f, key, value, nullptr, &status);
      EXPECT_EQ(status, 0) << key << " in HDU " << hdu;
      status = 0;
    }
  }
  fits_close_file(f, &status);
  // A changed byte is caught: flip one in the table data (the last 2880-byte block).
  {
    std::fstream io(dir + "/cat.fits", std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(0, std::ios::end);
    const auto size = static_cast<long>(io.tellg());
    io.seekp(size - 2880 + 10);
    io.put('\x7f');
  }
  ASSERT_EQ(fits_open_file(&f, (dir + "/cat.fits").c_str(), READONLY, &status), 0);
  fits_movabs_hdu(f, 2, nullptr, &status);
  int data_ok = 0, hdu_ok = 0;
  fits_verify_chksum(f, &data_ok, &hdu_ok, &status);
  EXPECT_EQ(data_ok, -1) << "a corrupted table must fail its DATASUM";
  fits_close_file(f, &status);
}

// A parameter at its bound is a warning (warning_flags bit 0), not a failure; a source that
// was never fitted is flagged for its missing sds.
TEST(CatalogColumns, WarningFlagsAreApartFromFailureFlags) {
  survey::SourceResult bound = galaxy_result();
  bound.warning_flags = survey::warning_flag::at_bound | survey::warning_flag::sd_at_bound;
  survey::SourceResult unfitted = galaxy_result();
  unfitted.status_code = optimizer::not_fitted;
  const auto cols = build_catalog_columns({bound, unfitted, galaxy_result()});
  EXPECT_EQ(value(cols, "failure_flags", 0), 0);
  EXPECT_EQ(value(cols, "warning_flags", 0), 3);
  EXPECT_EQ(value(cols, "warning_flags", 1), survey::warning_flag::sd_unavailable);
  EXPECT_EQ(value(cols, "warning_flags", 2), 0);
  for (const auto& c : cols)
    for (char ch : c.description + c.name + c.unit)
      EXPECT_TRUE(ch >= ' ' && ch <= '~') << c.name << ": FITS headers are printable ASCII";
}

// An output catalog is an input catalog: read_catalog_entries detects it.
TEST(CatalogOutput, OutputCatalogReadsBackAsInitialCatalog) {
  const std::string dir = scratch_dir("catalog_roundtrip");
  const std::vector<survey::SourceResult> results{galaxy_result(), star_result()};
  write_catalog_outputs(results, dir + "/cat.fits", "");
  const survey::Catalog entries = read_catalog_entries(dir + "/cat.fits");
  ASSERT_EQ(entries.size(), 2u);
  const auto cols = build_catalog_columns(results);
  for (std::size_t i = 0; i < 2; ++i) {
    const survey::CatalogEntry& e = entries[i];
    EXPECT_EQ(e.objid, results[i].objid);  // above 2^53: exact
    EXPECT_EQ(e.ra, results[i].params[param::ra]);
    EXPECT_EQ(e.dec, results[i].params[param::dec]);
    EXPECT_EQ(e.is_star, i == 1);
    for (int b = 0; b < 5; ++b) {
      const std::string flux = std::string("flux_") + survey::kBandNames[b];
      EXPECT_EQ(e.star_fluxes[b], value(cols, flux, i)) << flux;
      EXPECT_EQ(e.gal_fluxes[b], value(cols, flux, i)) << flux;
    }
    EXPECT_EQ(e.gal_frac_dev, 0.3);
    EXPECT_EQ(e.gal_axis_ratio, 0.5);
    EXPECT_EQ(e.gal_radius_px, 10);  // sigma (gal_scale_px), not gal_radius_px's sigma sqrt(rho)
    // phi back in radians, modulo pi (the same major axis)
    const double phi = results[i].params[param::angle];
    EXPECT_NEAR(std::remainder(e.gal_angle - phi, M_PI), 0, 1e-12);
  }
}

// A bad value in an output catalog read as input is named by the output's column.
TEST(CatalogOutput, BadOutputCatalogRowIsNamedByItsColumn) {
  const std::string dir = scratch_dir("catalog_bad_roundtrip");
  survey::SourceResult bad = galaxy_result();
  bad.params[param::radius] = -1;  // gal_scale_px: not a valid radius
  write_catalog_outputs({galaxy_result(), bad}, dir + "/cat.fits", "");
  try {
    read_catalog_entries(dir + "/cat.fits");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cat.fits: HDU 2: column gal_scale_px row 2 (objid 1237663784734294016)"),
              std::string::npos) << m;
  }
}

TEST(CatalogOutput, EmptyCatalogIsAValidPair) {
  const std::string dir = scratch_dir("catalog_empty");
  write_catalog_outputs({}, dir + "/cat.fits", dir + "/cat.h5", test_provenance(dir));
  EXPECT_EQ(read_catalog_columns(dir + "/cat.fits").at("ra").size(), 0u);
  EXPECT_TRUE(read_catalog_entries(dir + "/cat.fits").empty());
  const testing::CommandResult r =
      testing::check_catalog_in_python(dir + "/cat.fits", dir + "/cat.h5");
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(CatalogOutput, FailedWriteLeavesNoPartialFile) {
  const std::string dir = scratch_dir("catalog_fail");
  // The HDF5 destination folder does not exist: the FITS file must not appear either.
  try {
    write_catalog_outputs({galaxy_result()}, dir + "/cat.fits", dir + "/missing/cat.h5");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/cat.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "a temporary or partial file was left behind";
}

TEST(CatalogOutput, RewriteReplacesCompleteFile) {
  const std::string dir = scratch_dir("catalog_rewrite");
  write_catalog_outputs({galaxy_result()}, dir + "/cat.fits", "");
  write_catalog_outputs({galaxy_result(), star_result()}, dir + "/cat.fits", "");
  EXPECT_EQ(read_catalog_columns(dir + "/cat.fits").at("ra").size(), 2u);
  std::size_t files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += (void(e), 1);
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace celeste::io
