// The WCS through WCSLIB (issue 15): the SDSS frames agree with the former TAN code, PC + CDELT,
// CROTA2, SIP and other projections are read correctly, bad WCS headers are named, concurrent
// transforms through one WCS are safe, and what write_wcs writes reads back.
#include <fitsio.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "celeste/math.hpp"
#include "harness/shared_data.hpp"
#include "io/fits_file.hpp"
#include "io/fits_wcs.hpp"
#include "tan_reference.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

using celeste::testing::ReferenceTan;
using celeste::testing::scratch_dir;
using celeste::testing::shared_data_path;
using Keys = std::vector<std::pair<std::string, std::string>>;

// A 4 x 4 float image whose header holds `keys` (values as FITS writes them: 'text', numbers).
std::string header_file(const std::string& name, const Keys& keys) {
  const std::string path = scratch_dir("fits_wcs") + "/" + name + ".fits";
  fitsfile* f = nullptr;
  int status = 0;
  long naxes[2] = {4, 4};
  std::vector<float> v(16, 0.0f);
  fits_create_diskfile(&f, path.c_str(), &status);
  fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
  for (const auto& [key, value] : keys) {
    std::string card = key;
    card.resize(8, ' ');
    card += "= " + value;
    fits_write_record(f, card.c_str(), &status);
  }
  fits_write_img(f, TFLOAT, 1, 16, v.data(), &status);
  fits_close_file(f, &status);
  EXPECT_EQ(status, 0) << path;
  return path;
}

survey::Wcs read_file_wcs(const std::string& path) {
  FitsFile f = FitsFile::open_read(path);
  return read_wcs(f);
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17G", v);
  return buf;
}

double pix_distance(const std::array<double, 2>& a, const std::array<double, 2>& b) {
  return std::hypot(a[0] - b[0], a[1] - b[1]);
}

// Pixels of a grid covering a width x height image and 100 px around it.
std::vector<std::array<double, 2>> grid(double width, double height) {
  std::vector<std::array<double, 2>> g;
  for (int a = 0; a <= 20; ++a)
    for (int b = 0; b <= 20; ++b)
      g.push_back({-100 + a * (width + 200) / 20, -100 + b * (height + 200) / 20});
  return g;
}

// Pixel distances between `wcs` and `expected` at each grid pixel, both ways: `wcs`'s sky
// position measured in pixels through `expected`, and `expected`'s through `wcs`.
template <class Expected>
std::vector<double> sky_disagreements_px(const survey::Wcs& wcs, const Expected& expected,
                                         double width, double height) {
  std::vector<double> d;
  for (const auto& p : grid(width, height)) {
    const auto u = wcs.pix_to_world(p[0], p[1]);
    d.push_back(pix_distance(expected.world_to_pix(u[0], u[1]), p));
    const auto ue = expected.pix_to_world(p[0], p[1]);
    d.push_back(pix_distance(wcs.world_to_pix(ue[0], ue[1]), p));
  }
  return d;
}

template <class Expected>
double max_sky_disagreement_px(const survey::Wcs& wcs, const Expected& expected, double width,
                               double height) {
  const auto d = sky_disagreements_px(wcs, expected, width, height);
  return *std::max_element(d.begin(), d.end());
}

// Two codes agree "to 1e-10 px" beyond what doubles resolve: two ulps of the larger of the
// coordinate (RA up to 360 deg) and WCSLIB's native latitude (near 90 deg at the reference
// point), in pixels of `deg_per_px`. At RA 336 deg and 0.396 arcsec/px this is 1.0e-9 px, at
// RA 10 deg 2.6e-10 px.
constexpr double kAgreePx = 1e-10;
double floor_px(double ra_deg, double deg_per_px) {
  const double big = std::max(std::abs(ra_deg), 90.0);
  return 2 * (std::nextafter(big, 1e300) - big) / deg_per_px;
}

ReferenceTan reference_from_keys(const FitsFile& f) {
  ReferenceTan t;
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i + 1);
    t.crpix[i] = f.read_double("CRPIX" + n);
    t.crval[i] = f.read_double("CRVAL" + n);
    for (int j = 0; j < 2; ++j) t.cd[i][j] = f.read_double("CD" + n + "_" + std::to_string(j + 1));
  }
  return t;
}

// 1e-10 px beyond the resolution of the sky coordinates themselves (floor_px): a double RA
// near 336 deg (Stripe 82) is only known to one ulp, 5.7e-14 deg = 5.2e-10 px at 0.396
// arcsec/px, and each code rounds its own way.
TEST(FitsWcs, SdssFramesAgreeWithTheTanCodeTo1e10Px) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  std::vector<std::string> frames;
  for (const char* b : {"u", "g", "r", "i", "z"}) {
    frames.push_back("sdss/stripe82-94-1-12/frame-" + std::string(b) + "-000094-1-0012.fits.bz2");
    frames.push_back("sdss/stripe82-m2-2583-2-136/frame-" + std::string(b) +
                     "-002583-2-0136.fits.bz2");
  }
  frames.push_back("sdss/tractor-cutout-1000-1-100/frame-r-001000-1-0100.fits.bz2");
  int checked = 0;
  std::vector<double> current_vs_new, round_trip;
  double worst_excess = -1, worst_jacobian = 0, worst_floor = 0;
  for (const std::string& rel : frames) {
    const std::string path = shared_data_path(rel);
    if (path.empty()) continue;
    FitsFile f = FitsFile::open_read(path);
    const survey::Wcs wcs = read_wcs(f);
    const ReferenceTan ref = reference_from_keys(f);
    const double width = f.read_double("NAXIS1"), height = f.read_double("NAXIS2");
    const double scale = std::sqrt(std::abs(ref.cd[0][0] * ref.cd[1][1] - ref.cd[0][1] * ref.cd[1][0]));
    const double ulp2_px = floor_px(ref.crval[0], scale);
    worst_floor = std::max(worst_floor, ulp2_px);
    for (double d : sky_disagreements_px(wcs, ref, width, height)) {
      current_vs_new.push_back(d);
      worst_excess = std::max(worst_excess, d - ulp2_px);
    }
    for (const auto& p : grid(width, height)) {
      const auto u = wcs.pix_to_world(p[0], p[1]);
      const double d = pix_distance(wcs.world_to_pix(u[0], u[1]), p);
      round_trip.push_back(d);
      worst_excess = std::max(worst_excess, d - ulp2_px);
      // The patches' Jacobian: the same recipe, now through WCSLIB.
      const auto jn = wcs.pixel_world_jacobian(u[0], u[1]);
      const auto jr = ref.pixel_world_jacobian(u[0], u[1]);
      double jscale = 0, diff = 0;
      for (int k = 0; k < 4; ++k) {
        jscale = std::max(jscale, std::abs(jr[k]));
        diff = std::max(diff, std::abs(jn[k] - jr[k]));
      }
      worst_jacobian = std::max(worst_jacobian, diff / jscale);
    }
    ++checked;
  }
  ASSERT_GE(checked, 5);
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  std::printf("SDSS frames: %d; current TAN vs WCSLIB: median %.3g px, max %.3g px; WCSLIB round "
              "trip: median %.3g, max %.3g px; 2-ulp floor %.3g px; max beyond it %.3g px; "
              "Jacobian max relative difference %.3g\n",
              checked, median(current_vs_new),
              *std::max_element(current_vs_new.begin(), current_vs_new.end()), median(round_trip),
              *std::max_element(round_trip.begin(), round_trip.end()), worst_floor, worst_excess,
              worst_jacobian);
  EXPECT_LT(worst_excess, kAgreePx);
  // Both quotients divide ~5e-10 px position noise by a half-pixel step.
  EXPECT_LT(worst_jacobian, 1e-8);
}

// TAN keys shared by the synthetic headers: 1024 x 1024 pixels, at RA 10 deg, where one ulp of
// the RA (1.8e-15 deg) is 2e-11 px, so 1e-10 px is resolvable.
Keys tan_keys(const std::string& ctype_suffix = "") {
  return {{"CTYPE1", "'RA---TAN" + ctype_suffix + "'"},
          {"CTYPE2", "'DEC--TAN" + ctype_suffix + "'"},
          {"CRPIX1", "512.5"},
          {"CRPIX2", "480.25"},
          {"CRVAL1", "10.2"},
          {"CRVAL2", "-0.9"}};
}

TEST(FitsWcs, PcCdeltHeaderIsTheCdMatrixPcTimesCdelt) {
  const double rho = 0.3, cdelt1 = -1.1e-4, cdelt2 = 1.3e-4;
  Keys keys = tan_keys();
  keys.insert(keys.end(), {{"CDELT1", num(cdelt1)},
                           {"CDELT2", num(cdelt2)},
                           {"PC1_1", num(std::cos(rho))},
                           {"PC1_2", num(-std::sin(rho))},
                           {"PC2_1", num(std::sin(rho))},
                           {"PC2_2", num(std::cos(rho))}});
  const survey::Wcs wcs = read_file_wcs(header_file("pc_cdelt", keys));
  const ReferenceTan ref{{512.5, 480.25},
                         {10.2, -0.9},
                         {{{cdelt1 * std::cos(rho), -cdelt1 * std::sin(rho)},
                           {cdelt2 * std::sin(rho), cdelt2 * std::cos(rho)}}}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(wcs.cd()[i][j], ref.cd[i][j], 1e-19);
  EXPECT_LT(max_sky_disagreement_px(wcs, ref, 1024, 1024), kAgreePx + floor_px(10.2, 1.1e-4));
}

TEST(FitsWcs, Crota2HeaderRotatesTheCdeltAxes) {
  const double rho_deg = 30, cdelt1 = -1.1e-4, cdelt2 = 1.1e-4;
  Keys keys = tan_keys();
  keys.insert(keys.end(),
              {{"CDELT1", num(cdelt1)}, {"CDELT2", num(cdelt2)}, {"CROTA2", num(rho_deg)}});
  const survey::Wcs wcs = read_file_wcs(header_file("crota2", keys));
  const double r = rho_deg * kRadPerDeg;
  // The FITS convention (WCS paper II §6.1): a rotation of the intermediate axes by CROTA2.
  const ReferenceTan ref{{512.5, 480.25},
                         {10.2, -0.9},
                         {{{cdelt1 * std::cos(r), -cdelt2 * std::sin(r)},
                           {cdelt1 * std::sin(r), cdelt2 * std::cos(r)}}}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(wcs.cd()[i][j], ref.cd[i][j], 1e-19);
  EXPECT_LT(max_sky_disagreement_px(wcs, ref, 1024, 1024), kAgreePx + floor_px(10.2, 1.1e-4));
}

// SIP: pixel offsets (u, v) from CRPIX become u + f(u, v), v + g(u, v) before the CD matrix.
struct SipExpected {
  ReferenceTan tan;
  double a20, a02, a11, b20, b02, b11;
  std::array<double, 2> distorted(double h, double w) const {
    const double u = h - tan.crpix[0], v = w - tan.crpix[1];
    return {tan.crpix[0] + u + a20 * u * u + a02 * v * v + a11 * u * v,
            tan.crpix[1] + v + b20 * u * u + b02 * v * v + b11 * u * v};
  }
  std::array<double, 2> pix_to_world(double h, double w) const {
    const auto d = distorted(h, w);
    return tan.pix_to_world(d[0], d[1]);
  }
};

TEST(FitsWcs, SipHeaderAppliesItsPolynomials) {
  const SipExpected sip{{{512.5, 480.25}, {10.2, -0.9}, {{{-1.1e-4, 2e-7}, {1e-7, 1.1e-4}}}},
                        6.1e-6, -4.3e-6, 2.7e-6, -3.9e-6, 5.7e-6, 3.1e-6};
  Keys keys = tan_keys("-SIP");
  keys.insert(keys.end(), {{"CD1_1", num(sip.tan.cd[0][0])},
                           {"CD1_2", num(sip.tan.cd[0][1])},
                           {"CD2_1", num(sip.tan.cd[1][0])},
                           {"CD2_2", num(sip.tan.cd[1][1])},
                           {"A_ORDER", "2"},
                           {"A_2_0", num(sip.a20)},
                           {"A_0_2", num(sip.a02)},
                           {"A_1_1", num(sip.a11)},
                           {"B_ORDER", "2"},
                           {"B_2_0", num(sip.b20)},
                           {"B_0_2", num(sip.b02)},
                           {"B_1_1", num(sip.b11)}});
  const survey::Wcs wcs = read_file_wcs(header_file("sip", keys));
  double worst_forward = 0, worst_round_trip = 0, shift = 0;
  for (int a = 0; a <= 10; ++a)
    for (int b = 0; b <= 10; ++b) {
      const double h = 1 + a * 102.3, w = 1 + b * 102.3;
      const auto u = wcs.pix_to_world(h, w);
      // Where the sky position lies in the undistorted TAN frame, vs the SIP polynomial.
      worst_forward =
          std::max(worst_forward, pix_distance(sip.tan.world_to_pix(u[0], u[1]), sip.distorted(h, w)));
      worst_round_trip = std::max(worst_round_trip, pix_distance(wcs.world_to_pix(u[0], u[1]), {h, w}));
      shift = std::max(shift, pix_distance(sip.distorted(h, w), {h, w}));
    }
  std::printf("SIP: distortion up to %.3g px; forward max error %.3g px, round trip %.3g px\n",
              shift, worst_forward, worst_round_trip);
  EXPECT_GT(shift, 1.0);  // the polynomial matters at this size
  EXPECT_LT(worst_forward, kAgreePx + floor_px(10.2, 1.1e-4));
  EXPECT_LT(worst_round_trip, kAgreePx + floor_px(10.2, 1.1e-4));
}

TEST(FitsWcs, SinAndZeaProjectionsFollowTheirFormulas) {
  const double d = 1e-3;  // deg per pixel
  const survey::Wcs sin = read_file_wcs(header_file(
      "sin", {{"CTYPE1", "'RA---SIN'"}, {"CTYPE2", "'DEC--SIN'"}, {"CRPIX1", "100"},
              {"CRPIX2", "100"}, {"CRVAL1", "0"}, {"CRVAL2", "0"}, {"CDELT1", num(-d)},
              {"CDELT2", num(d)}}));
  // On the equator through the reference point, sin(ra) = x (radians of the projection plane).
  for (int n : {-900, -300, 300, 900}) {
    const auto u = sin.pix_to_world(100 - n, 100);
    const double expected = std::asin(n * d * kRadPerDeg) * kDegPerRad;
    EXPECT_NEAR(u[0] > 180 ? u[0] - 360 : u[0], expected, 1e-12) << n;
    EXPECT_NEAR(u[1], 0, 1e-12);
  }
  const survey::Wcs zea = read_file_wcs(header_file(
      "zea", {{"CTYPE1", "'RA---ZEA'"}, {"CTYPE2", "'DEC--ZEA'"}, {"CRPIX1", "100"},
              {"CRPIX2", "100"}, {"CRVAL1", "0"}, {"CRVAL2", "90"}, {"CDELT1", num(-d)},
              {"CDELT2", num(d)}}));
  // At the pole, the radius R (radians) maps to the latitude θ with R² = 2 (1 - sin θ).
  for (int n : {100, 1000, 5000}) {
    const auto u = zea.pix_to_world(100, 100 - n);
    const double r = n * d * kRadPerDeg;
    EXPECT_NEAR(u[1], std::asin(1 - r * r / 2) * kDegPerRad, 1e-10) << n;
    const auto p = zea.world_to_pix(u[0], u[1]);
    EXPECT_LT(pix_distance(p, {100, 100.0 - n}), 1e-8) << n;
  }
}

TEST(FitsWcs, DeclinationFirstAxesAreRead) {
  const survey::Wcs swapped = read_file_wcs(header_file(
      "dec_first", {{"CTYPE1", "'DEC--TAN'"}, {"CTYPE2", "'RA---TAN'"}, {"CRPIX1", "10"},
                    {"CRPIX2", "20"}, {"CRVAL1", "-0.9"}, {"CRVAL2", "336.7"},
                    {"CD1_1", "0"}, {"CD1_2", "1.1E-4"}, {"CD2_1", "1.1E-4"}, {"CD2_2", "0"}}));
  EXPECT_EQ(swapped.latitude_axis(), 0);
  // RA follows axis 1 through CD2_1, Dec axis 2 through CD1_2: the usual TAN, CD diagonal.
  const ReferenceTan ref{{10, 20}, {336.7, -0.9}, {{{1.1e-4, 0}, {0, 1.1e-4}}}};
  for (double h : {1.0, 50.0, 300.0})
    for (double w : {1.0, 70.0, 400.0}) {
      const auto u = swapped.pix_to_world(h, w);
      EXPECT_LT(pix_distance(ref.world_to_pix(u[0], u[1]), {h, w}), kAgreePx + floor_px(336.7, 1.1e-4));
      EXPECT_LT(pix_distance(swapped.world_to_pix(u[0], u[1]), {h, w}), kAgreePx + floor_px(336.7, 1.1e-4));
    }
}

void expect_wcs_error(const std::string& path, const std::vector<std::string>& parts) {
  try {
    read_file_wcs(path);
    ADD_FAILURE() << path << ": no error";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << p << " in: " << msg;
  }
}

TEST(FitsWcs, BadHeadersNameFileAndKeyword) {
  Keys cd = {{"CD1_1", "-1.1E-4"}, {"CD2_2", "1.1E-4"}};
  auto with = [&](Keys k, const Keys& extra) {
    k.insert(k.end(), extra.begin(), extra.end());
    return k;
  };
  Keys unknown = with(tan_keys(), cd);
  unknown[0].second = "'RA---QQQ'";
  unknown[1].second = "'DEC--QQQ'";
  expect_wcs_error(header_file("unknown_projection", unknown), {"CTYPE1", "QQQ"});
  Keys linear = with(tan_keys(), cd);
  linear[0].second = "'LINEAR'";
  linear[1].second = "'LINEAR'";
  expect_wcs_error(header_file("linear_axes", linear), {"CTYPE1", "not a celestial"});
  expect_wcs_error(header_file("bad_pv", with(with(tan_keys(), cd), {{"PV2_1", "'abc'"}})),
                   {"PV2_1", "rejected by WCSLIB"});
  Keys lat = with(tan_keys(), cd);
  lat[5].second = "95";
  expect_wcs_error(header_file("crval2_95", lat), {"CRVAL2 = 95", "outside [-90, 90]"});
  expect_wcs_error(header_file("no_linear", tan_keys()), {"CD1_1", "missing"});
  expect_wcs_error(header_file("pc_huge", with(tan_keys(), {{"CDELT1", "2"}, {"CDELT2", "2"}})),
                   {"CDELT1", "deg/pixel"});
}

// WCSLIB's distortion code keeps scratch values inside the struct: transforms from several
// threads through one shared WCS must still give each thread its own exact answers.
TEST(FitsWcs, ConcurrentTransformsThroughOneWcsAreExact) {
  Keys keys = tan_keys("-SIP");
  keys.insert(keys.end(), {{"CD1_1", "-1.1E-4"}, {"CD2_2", "1.1E-4"}, {"A_ORDER", "3"},
                           {"A_2_0", "2E-6"}, {"A_0_3", "1E-9"}, {"B_ORDER", "3"},
                           {"B_1_1", "-2E-6"}, {"B_3_0", "-1E-9"}});
  const survey::Wcs wcs = read_file_wcs(header_file("threads", keys));
  constexpr int kThreads = 4, kPoints = 150000;
  auto pixel = [](int t, int k) {
    return std::array<double, 2>{1 + (k * 37 + t * 101) % 1024 + 0.25 * t, 1 + (k * 53) % 1024 + 0.5};
  };
  std::vector<std::vector<std::array<double, 2>>> serial(kThreads), parallel(kThreads);
  for (int t = 0; t < kThreads; ++t)
    for (int k = 0; k < kPoints; ++k) {
      const auto p = pixel(t, k);
      serial[t].push_back(wcs.pix_to_world(p[0], p[1]));
    }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPoints; ++k) {
        const auto p = pixel(t, k);
        parallel[t].push_back(wcs.pix_to_world(p[0], p[1]));
      }
    });
  for (auto& th : threads) th.join();
  int mismatches = 0;
  for (int t = 0; t < kThreads; ++t)
    for (int k = 0; k < kPoints; ++k) mismatches += parallel[t][k] != serial[t][k];
  EXPECT_EQ(mismatches, 0);
}

// What write_wcs writes (WCSLIB's header, 17 digits) reads back as the same transform, SIP
// included; it is also what generated and model images carry.
TEST(FitsWcs, WrittenHeaderReadsBack) {
  Keys keys = tan_keys("-SIP");
  keys.insert(keys.end(), {{"CD1_1", "-1.1E-4"}, {"CD1_2", "3E-7"}, {"CD2_1", "2E-7"},
                           {"CD2_2", "1.1E-4"}, {"A_ORDER", "2"}, {"A_2_0", "2E-6"},
                           {"B_ORDER", "2"}, {"B_1_1", "-2E-6"}});
  const survey::Wcs wcs = read_file_wcs(header_file("sip_source", keys));
  const std::string out = scratch_dir("fits_wcs") + "/written.fits";
  {
    FitsFile f = FitsFile::create(out);
    f.append_image(4, 4, std::vector<float>(16, 0.0f));
    write_wcs(f, wcs);
    f.close();
  }
  const survey::Wcs back = read_file_wcs(out);
  double worst = 0;
  for (double h : {1.0, 300.0, 1024.0})
    for (double w : {1.0, 500.0, 1024.0})
      worst = std::max(worst, pix_distance(back.pix_to_world(h, w), wcs.pix_to_world(h, w)));
  EXPECT_LT(worst, 1e-12);  // degrees
  EXPECT_EQ(back.crpix(), wcs.crpix());
  EXPECT_EQ(back.cd(), wcs.cd());
}

}  // namespace
}  // namespace celeste::io
