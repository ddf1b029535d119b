// `celeste score` end to end, run as a process: a small constructed truth + catalog with
// hand-computed answers, the error paths, and Celeste.jl's Stripe 82 table reproduced from
// the real coadd truth FITS with the VI results as our catalog and the MCMC results as the
// initial catalog.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/celeste_exe.hpp"
#include "harness/shared_data.hpp"
#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "score/celeste_jl_csv.hpp"
#include "score/magnitudes.hpp"
#include "score/truth_catalog.hpp"

namespace celeste::score {
namespace {

using Result = celeste::testing::CommandResult;
using celeste::testing::run_celeste;

using celeste::testing::read_text;

// `"field": value` inside the JSON object `"key": {...}` of `section` ("metrics" or
// "calibration"; the report's objects are flat); null -> NaN. Fails the test when absent.
double json_field(const std::string& json, const std::string& key, const std::string& field,
                  const std::string& section = "metrics") {
  const std::size_t from = json.find("\"" + section + "\": {");
  if (from == std::string::npos) {
    ADD_FAILURE() << "no section " << section;
    return NAN;
  }
  const std::size_t obj = json.find("\"" + key + "\": {", from);
  if (obj == std::string::npos) {
    ADD_FAILURE() << "no object " << key << " in\n" << json;
    return NAN;
  }
  const std::size_t end = json.find('}', obj);
  const std::size_t at = json.find("\"" + field + "\": ", obj);
  if (at == std::string::npos || at > end) {
    ADD_FAILURE() << "no " << key << "." << field;
    return NAN;
  }
  const char* value = json.c_str() + at + field.size() + 4;
  if (std::string(value, 4) == "null") return NAN;
  return std::strtod(value, nullptr);
}

// A top-level integer `"key": N`.
long json_count(const std::string& json, const std::string& key) {
  const std::size_t at = json.find("\n  \"" + key + "\": ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << key;
    return -1;
  }
  return std::strtol(json.c_str() + at + key.size() + 7, nullptr, 10);
}

// Our catalog format with the columns the scorer reads (io's writer, so the contract's names).
struct CatalogRows {
  std::vector<double> ra, dec, prob_star, log_flux_r, log_flux_r_sd, frac_dev, axis_ratio,
      radius, angle;
  std::array<std::vector<double>, 4> color, color_sd;
  std::vector<std::int64_t> bad_sky, objid;
  void add(double ra_deg, double dec_deg, double p_star, double flux_r, double flux_sd,
           std::array<double, 4> colors, std::array<double, 4> sds, double fd, double ab,
           double r_px, double angle_deg, bool bad) {
    ra.push_back(ra_deg);
    dec.push_back(dec_deg);
    prob_star.push_back(p_star);
    log_flux_r.push_back(std::log(flux_r));
    log_flux_r_sd.push_back(flux_sd);
    for (int c = 0; c < 4; ++c) {
      color[c].push_back(colors[c]);
      color_sd[c].push_back(sds[c]);
    }
    frac_dev.push_back(fd);
    axis_ratio.push_back(ab);
    radius.push_back(r_px);
    angle.push_back(angle_deg);
    bad_sky.push_back(bad ? 1 : 0);
    objid.push_back(static_cast<std::int64_t>(objid.size()) + 1);
  }
  void write(const std::string& path) const {
    std::vector<io::CatalogColumn> cols;
    auto real = [&](const std::string& name, const std::vector<double>& v) {
      io::CatalogColumn c;
      c.name = name;
      c.real = v;
      cols.push_back(c);
    };
    io::CatalogColumn id;
    id.name = "objid";
    id.kind = io::ColumnKind::int64;
    id.integer = objid;
    cols.push_back(id);
    real("ra", ra);
    real("dec", dec);
    real("prob_star", prob_star);
    real("log_flux_r", log_flux_r);
    real("log_flux_r_sd", log_flux_r_sd);
    const char* names[4] = {"color_ug", "color_gr", "color_ri", "color_iz"};
    for (int c = 0; c < 4; ++c) {
      real(names[c], color[c]);
      real(std::string(names[c]) + "_sd", color_sd[c]);
    }
    real("gal_frac_dev", frac_dev);
    real("gal_axis_ratio", axis_ratio);
    real("gal_radius_px", radius);
    real("gal_angle_deg", angle);
    io::CatalogColumn sky;
    sky.name = "bad_sky";
    sky.kind = io::ColumnKind::logical;
    sky.integer = bad_sky;
    cols.push_back(sky);
    io::write_catalog_fits_file(path, cols);
  }
};

constexpr double kPixelDeg = 0.396 / 3600.0;

class ScoreCliSmall : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::celeste::testing::scratch_dir("score_cli");
    std::vector<CoaddTruthRow> truth(3);
    truth[0].objid = 1;  // a star
    truth[0].ra_deg = 10.0;
    truth[0].dec_deg = 0.5;
    truth[0].is_star = true;
    truth[0].flux_nmgy = {2, 4, 8, 10, 12};
    truth[1].objid = 2;  // an exponential galaxy
    truth[1].ra_deg = 10.01;
    truth[1].dec_deg = 0.5;
    truth[1].is_star = false;
    truth[1].flux_nmgy = {1, 2, 5, 7, 8};
    truth[1].gal_frac_dev = 0.02;
    truth[1].gal_axis_ratio = 0.4;
    truth[1].gal_angle_deg = 170;
    truth[1].gal_radius_px = 3;
    truth[2].objid = 3;  // a star only a bad-sky source is near: unmatched
    truth[2].ra_deg = 10.02;
    truth[2].dec_deg = 0.5;
    truth[2].is_star = true;
    truth[2].flux_nmgy = {2, 4, 8, 10, 12};
    write_coadd_truth(dir_ + "/truth.fits", truth);

    const double gr_star = 2.5 * std::log10(8.0 / 4.0);
    CatalogRows cat;
    // Star: half a pixel north, r flux 10 % high (ln error 0.0953 = 0.95 sd), g-r 0.1 mag off.
    cat.add(10.0, 0.5 + 0.5 * kPixelDeg, 0.9, 8.8, 0.1,
            {2.5 * std::log10(2.0), gr_star + 0.1, 2.5 * std::log10(10.0 / 8), 2.5 * std::log10(1.2)},
            {0.05, 0.05, 0.05, 0.05}, 0.5, 0.5, 1.0, 0.0, false);
    // Galaxy predicted as a star, exact position and fluxes, angle 20° away across 180°.
    cat.add(10.01, 0.5, 0.8, 5.0, 0.1,
            {2.5 * std::log10(2.0), 2.5 * std::log10(2.5), 2.5 * std::log10(1.4),
             2.5 * std::log10(8.0 / 7)},
            {0.05, 0.05, 0.05, 0.05}, 0.01, 0.5, 2.5, 10.0, false);
    cat.add(10.02, 0.5, 0.9, 8.0, 0.1, {0, 0, 0, 0}, {1, 1, 1, 1}, 0.5, 0.5, 1.0, 0.0, true);
    cat.write(dir_ + "/catalog.fits");
  }
  std::string dir_;
};

TEST_F(ScoreCliSmall, JsonReportHasHandComputedValues) {
  const Result r = run_celeste("score --truth " + dir_ + "/truth.fits --catalog " + dir_ +
                               "/catalog.fits --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string& j = r.output;
  EXPECT_EQ(json_count(j, "truth_rows"), 3);
  EXPECT_EQ(json_count(j, "catalog_rows"), 3);
  EXPECT_EQ(json_count(j, "catalog_excluded_bad_sky"), 1);
  EXPECT_EQ(json_count(j, "matched"), 2);
  EXPECT_EQ(json_count(j, "unmatched_truth"), 1);
  EXPECT_EQ(json_field(j, "position", "n"), 2);
  EXPECT_NEAR(json_field(j, "position", "catalog"), 0.25, 1e-6);
  EXPECT_TRUE(std::isnan(json_field(j, "position", "initial")));
  EXPECT_EQ(json_field(j, "missed_stars", "n"), 1);
  EXPECT_EQ(json_field(j, "missed_stars", "catalog"), 0);
  EXPECT_EQ(json_field(j, "missed_galaxies", "n"), 1);
  EXPECT_EQ(json_field(j, "missed_galaxies", "catalog"), 1);
  const double star_mag_error = std::fabs(flux_to_asinh_mag(8.8, 2) - flux_to_asinh_mag(8, 2));
  EXPECT_NEAR(json_field(j, "flux_r_mag", "catalog"), star_mag_error / 2, 1e-6);
  EXPECT_NEAR(json_field(j, "color_gr", "catalog"), 0.05, 1e-6);  // (0.1 + 0) / 2
  EXPECT_EQ(json_field(j, "gal_angle_deg", "n"), 1);
  EXPECT_NEAR(json_field(j, "gal_angle_deg", "catalog"), 20, 1e-4);  // float32 truth angle
  EXPECT_NEAR(json_field(j, "gal_radius_px", "catalog"), 0.5, 1e-5);
  EXPECT_NEAR(json_field(j, "gal_frac_dev", "catalog"), 0.01, 1e-6);
  // Calibration: ln r flux errors 0.953 sd (star) and ~0 (galaxy); g-r 2 sd and ~0.
  EXPECT_EQ(json_field(j, "log_flux_r", "n", "calibration"), 2);
  EXPECT_NEAR(json_field(j, "log_flux_r", "within_0.5", "calibration"), 0.5, 1e-12);
  EXPECT_NEAR(json_field(j, "log_flux_r", "within_1", "calibration"), 1.0, 1e-12);
  EXPECT_NEAR(json_field(j, "color_gr", "within_1", "calibration"), 0.5, 1e-12);
  EXPECT_NEAR(json_field(j, "color_gr", "within_3", "calibration"), 1.0, 1e-12);
}

TEST_F(ScoreCliSmall, TableToFileAndInitialCatalog) {
  // The initial catalog: the truth itself as generic entries, the star 0.8 px east.
  survey::Catalog initial(2);
  initial[0].ra = 10.0 + 0.8 * kPixelDeg / std::cos(0.5 * M_PI / 180);
  initial[0].dec = 0.5;
  initial[0].is_star = true;
  initial[0].star_fluxes = {2, 4, 8, 10, 12};
  initial[1].ra = 10.01;
  initial[1].dec = 0.5;
  initial[1].is_star = false;
  initial[1].gal_fluxes = {1, 2, 5, 7, 8};
  initial[1].gal_axis_ratio = 0.4;
  initial[1].gal_radius_px = 3 / std::sqrt(0.4);
  initial[1].gal_angle = 170 * M_PI / 180;
  initial[1].gal_frac_dev = 0.02;
  io::write_catalog_entries(dir_ + "/initial.fits", initial);

  const std::string out = dir_ + "/report.txt";
  const Result r = run_celeste("score --truth=" + dir_ + "/truth.fits --catalog " + dir_ +
                               "/catalog.fits --initial " + dir_ + "/initial.fits --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "");
  const std::string table = read_text(out);
  EXPECT_NE(table.find("matched within 0.396 arcsec in both catalogs: 2 truth objects"),
            std::string::npos) << table;
  EXPECT_NE(table.find("initial: " + dir_ + "/initial.fits (generic format, 2 rows"),
            std::string::npos) << table;
  // position: catalog (0.5 + 0)/2 = 0.25 px, initial (0.8 + 0)/2 = 0.4 px.
  EXPECT_NE(table.find("position         px            2    0.250000    0.400000   -0.150000"),
            std::string::npos) << table;
  EXPECT_NE(table.find("missed_galaxies  fraction      1    1.000000    0.000000"),
            std::string::npos) << table;

  const Result j = run_celeste("score --truth " + dir_ + "/truth.fits --catalog " + dir_ +
                               "/catalog.fits --initial " + dir_ + "/initial.fits --json");
  ASSERT_EQ(j.status, 0) << j.output;
  EXPECT_NEAR(json_field(j.output, "position", "initial"), 0.4, 1e-6);
  EXPECT_NEAR(json_field(j.output, "position", "diff"), -0.15, 1e-6);
  // std(|diffs| = 0.3, 0) / sqrt(2) = 0.3/sqrt(2)/sqrt(2) = 0.15.
  EXPECT_NEAR(json_field(j.output, "position", "diff_sd"), 0.15, 1e-6);
  EXPECT_NEAR(json_field(j.output, "gal_radius_px", "initial"), 0.0, 1e-5);
  EXPECT_NEAR(json_field(j.output, "gal_angle_deg", "initial"), 0.0, 1e-4);
}

TEST_F(ScoreCliSmall, ErrorsNameTheFileAndTheProblem) {
  Result r = run_celeste("score --catalog " + dir_ + "/catalog.fits");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--truth TRUTH.fits is required"), std::string::npos) << r.output;
  r = run_celeste("score --truth " + dir_ + "/truth.fits --catalog " + dir_ + "/c.fits --frob");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("unknown argument '--frob'"), std::string::npos) << r.output;
  r = run_celeste("score --truth " + dir_ + "/absent.fits --catalog " + dir_ + "/catalog.fits");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(dir_ + "/absent.fits"), std::string::npos) << r.output;
  // The truth file is not a catalog: the missing columns are named.
  r = run_celeste("score --truth " + dir_ + "/truth.fits --catalog " + dir_ + "/truth.fits");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(dir_ + "/truth.fits"), std::string::npos) << r.output;
  // No truth object near any catalog source.
  std::vector<CoaddTruthRow> far(1);
  far[0].ra_deg = 200;
  far[0].dec_deg = 10;
  write_coadd_truth(dir_ + "/far.fits", far);
  r = run_celeste("score --truth " + dir_ + "/far.fits --catalog " + dir_ + "/catalog.fits");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no truth object has a source"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(dir_ + "/far.fits"), std::string::npos) << r.output;
}

// ------------------------------------------------------------------ Celeste.jl reproduction

constexpr const char* kResults = "sdss/celeste-jl-s82-reference-results";
constexpr const char* kCoadd = "sdss/stripe82-truth-only/coadd_for_4263_5_119.fit";

std::string results_file(const std::string& name) {
  return ::celeste::testing::shared_data_path(std::string(kResults) + "/" + name);
}

TEST(ScoreCliCelesteJl, ReproducesScoreTableFromCoaddTruthWithin1e6) {
  CELESTE_REQUIRE_SHARED_DATA(kResults);
  CELESTE_REQUIRE_SHARED_DATA(kCoadd);
  const std::string dir = ::celeste::testing::scratch_dir("score_cli_celeste_jl");
  using testing::read_csv;

  // Celeste.jl's VI results as our catalog (colors ln ratios -> magnitudes).
  const auto vb = read_csv(results_file("matched_vb.csv"));
  {
    CatalogRows cat;
    const auto ra = vb.numbers("ra"), dec = vb.numbers("dec"), p = vb.numbers("is_star");
    const auto flux = vb.numbers("flux_r_nmgy"), flux_sd = vb.numbers("log_flux_r_stderr");
    const auto fd = vb.numbers("gal_frac_dev"), ab = vb.numbers("gal_axis_ratio");
    const auto rad = vb.numbers("gal_radius_px"), angle = vb.numbers("gal_angle_deg");
    std::array<std::vector<double>, 4> c, sd;
    const char* names[4] = {"color_ug", "color_gr", "color_ri", "color_iz"};
    for (int k = 0; k < 4; ++k) {
      c[k] = vb.numbers(names[k]);
      sd[k] = vb.numbers(std::string(names[k]) + "_stderr");
    }
    for (std::size_t i = 0; i < ra.size(); ++i)
      cat.add(ra[i], dec[i], p[i], flux[i], flux_sd[i],
              {c[0][i] * kMagPerLn, c[1][i] * kMagPerLn, c[2][i] * kMagPerLn, c[3][i] * kMagPerLn},
              {sd[0][i] * kMagPerLn, sd[1][i] * kMagPerLn, sd[2][i] * kMagPerLn,
               sd[3][i] * kMagPerLn},
              fd[i], ab[i], rad[i], angle[i], false);
    cat.write(dir + "/vb.fits");
  }
  // Celeste.jl's MCMC results as a generic initial catalog (fluxes from r flux and colors,
  // σ = radius / sqrt(ρ), angle in radians) so that the run scores VI (first) vs MCMC (second).
  {
    const auto mc = read_csv(results_file("matched_mc.csv"));
    const auto ra = mc.numbers("ra"), dec = mc.numbers("dec"), p = mc.numbers("is_star");
    const auto flux = mc.numbers("flux_r_nmgy");
    const auto ug = mc.numbers("color_ug"), gr = mc.numbers("color_gr");
    const auto ri = mc.numbers("color_ri"), iz = mc.numbers("color_iz");
    const auto fd = mc.numbers("gal_frac_dev"), ab = mc.numbers("gal_axis_ratio");
    const auto rad = mc.numbers("gal_radius_px"), angle = mc.numbers("gal_angle_deg");
    survey::Catalog entries(ra.size());
    for (std::size_t i = 0; i < ra.size(); ++i) {
      survey::CatalogEntry& e = entries[i];
      e.ra = ra[i];
      e.dec = dec[i];
      e.is_star = !(p[i] < 0.5);  // Celeste.jl: predicted galaxy is P(star) < 0.5
      const double f_r = flux[i], f_g = f_r / std::exp(gr[i]), f_u = f_g / std::exp(ug[i]);
      const double f_i = f_r * std::exp(ri[i]), f_z = f_i * std::exp(iz[i]);
      e.star_fluxes = {f_u, f_g, f_r, f_i, f_z};
      e.gal_fluxes = e.star_fluxes;
      e.gal_frac_dev = fd[i];
      e.gal_axis_ratio = ab[i];
      e.gal_radius_px = rad[i] / std::sqrt(ab[i]);
      e.gal_angle = angle[i] * M_PI / 180;
      e.objid = static_cast<std::int64_t>(i) + 1;
    }
    io::write_catalog_entries(dir + "/mc_initial.fits", entries);
  }

  const std::string out = dir + "/score.json";
  const Result r = run_celeste("score --truth " + ::celeste::testing::shared_data_path(kCoadd) +
                               " --catalog " + dir + "/vb.fits --initial " + dir +
                               "/mc_initial.fits --json --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string json = read_text(out);
  EXPECT_EQ(json_count(json, "truth_rows"), 839);
  EXPECT_EQ(json_count(json, "truth_excluded_saturated"), 36);
  EXPECT_EQ(json_count(json, "matched"), 385) << json;

  const auto ref = read_csv(results_file("scoredf.csv"));
  const auto field = ref.text("field");
  const auto n = ref.numbers("N"), first = ref.numbers("first"), second = ref.numbers("second");
  const auto diff = ref.numbers("diff"), diff_sd = ref.numbers("diff_sd");
  ASSERT_EQ(field.size(), 13u);
  for (std::size_t i = 0; i < field.size(); ++i) {
    SCOPED_TRACE(field[i]);
    EXPECT_EQ(json_field(json, field[i], "n"), n[i]);
    EXPECT_NEAR(json_field(json, field[i], "catalog"), first[i], 1e-6);
    EXPECT_NEAR(json_field(json, field[i], "initial"), second[i], 1e-6);
    EXPECT_NEAR(json_field(json, field[i], "diff"), diff[i], 1e-6);
    EXPECT_NEAR(json_field(json, field[i], "diff_sd"), diff_sd[i], 1e-6);
  }
  // And the VI calibration (uscore_vb.csv), from our catalog's sds.
  const auto u = read_csv(results_file("uscore_vb.csv"));
  const auto qnames = u.text("field");
  const std::array<std::pair<const char*, const char*>, 4> keys{
      {{"within_half_sd", "within_0.5"}, {"within_1_sd", "within_1"},
       {"within_2_sd", "within_2"}, {"within_3_sd", "within_3"}}};
  for (const auto& [csv_key, json_key] : keys) {
    const auto values = u.numbers(csv_key);
    for (std::size_t q = 0; q < qnames.size(); ++q) {
      const std::string name = q == 0 ? "log_flux_r" : qnames[q];
      SCOPED_TRACE(name + " " + json_key);
      EXPECT_NEAR(json_field(json, name, json_key, "calibration"), values[q], 1e-6);
    }
  }
}

}  // namespace
}  // namespace celeste::score
