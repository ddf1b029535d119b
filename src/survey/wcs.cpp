#include "survey/wcs.hpp"

#include <wcslib/wcs.h>
#include <wcslib/wcserr.h>
#include <wcslib/wcshdr.h>
#include <wcslib/wcsprintf.h>
#include <wcslib/wcsutil.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>

#include "celeste/math.hpp"

namespace celeste::survey {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// WCSLIB's header parser, error switch and print buffer are process-wide state: parsing and
// writing headers take this lock (rare, at load and output time).
std::mutex& header_mutex() {
  static std::mutex m;
  return m;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string keyrecord(const std::string& key, const std::string& value) {
  char card[81];
  std::snprintf(card, sizeof card, "%-8.8s= %-70.70s", key.c_str(), value.c_str());
  return card;
}

std::string keyrecord(const std::string& key, double value) {
  char v[32];
  std::snprintf(v, sizeof v, "%20.17G", value);
  return keyrecord(key, std::string(v));
}

// The axis (0 or 1) whose CTYPE is a celestial latitude (DEC--, xLAT), -1 when neither is.
int latitude_axis_of(const wcsprm& w) {
  for (int i = 0; i < 2; ++i) {
    const char* c = w.ctype[i];
    if (std::strncmp(c, "DEC-", 4) == 0 || std::strncmp(c + 1, "LAT", 3) == 0) return i;
  }
  return -1;
}

// The rejected WCS keyrecords of a header, as WCSLIB's parser reports them (one line each).
std::string rejected_report(std::vector<char> header, int nkeyrec) {
  wcsprintf_set(nullptr);  // buffer WCSLIB's report
  int nreject = 0, nwcs = 0;
  wcsprm* all = nullptr;
  wcspih(header.data(), nkeyrec, WCSHDR_all, 2, &nreject, &nwcs, &all);
  wcsvfree(&nwcs, &all);
  std::string report = wcsprintf_buf() ? wcsprintf_buf() : "";
  wcsprintf_set(stderr);  // frees the buffer
  return report;
}

// The keyword of the first rejected keyrecord in a WCSLIB parser report: the report repeats
// each rejected keyrecord whole, so its name is the first 8 characters before "= ".
std::string first_rejected_keyword(const std::string& report, const std::string& header) {
  for (std::size_t k = 0; k + 80 <= header.size(); k += 80) {
    const std::string card = header.substr(k, 80);
    if (card.size() < 10 || card.compare(8, 2, "= ") != 0) continue;
    if (report.find(card.substr(0, 30)) == std::string::npos) continue;
    std::string key = card.substr(0, 8);
    key.erase(key.find_last_not_of(' ') + 1);
    return key;
  }
  return "";
}

}  // namespace

// The parsed header's WCS descriptions (all of them, as wcspih allocated them) and the one in
// use. WCSLIB transforms write scratch memory inside the struct, hence the lock.
struct Wcs::Parsed {
  wcsprm* all = nullptr;
  int nwcs = 0;
  wcsprm* wcs = nullptr;
  std::mutex mutex;
  ~Parsed() { wcsvfree(&nwcs, &all); }
};

bool Wcs::cd_usable(const std::array<std::array<double, 2>, 2>& cd) {
  const double det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  const double scale = std::abs(cd[0][0]) + std::abs(cd[0][1]) + std::abs(cd[1][0]) +
                       std::abs(cd[1][1]);
  return std::isfinite(det) && std::isfinite(scale) && scale != 0 &&
         std::abs(det) > 1e-12 * scale * scale;
}

Wcs::Wcs(std::array<double, 2> crpix, std::array<double, 2> crval,
         std::array<std::array<double, 2>, 2> cd) {
  for (int i = 0; i < 2; ++i) {
    if (!std::isfinite(crpix[i]))
      throw std::invalid_argument("CRPIX" + std::to_string(i + 1) + " = " +
                                  number_text(crpix[i]) + " is not finite");
    if (!std::isfinite(crval[i]))
      throw std::invalid_argument("CRVAL" + std::to_string(i + 1) + " = " +
                                  number_text(crval[i]) + " is not finite");
  }
  if (std::abs(crval[1]) > 90)
    throw std::invalid_argument("CRVAL2 = " + number_text(crval[1]) +
                                " is outside [-90, 90] (the reference declination, degrees)");
  if (!cd_usable(cd))
    throw std::invalid_argument("singular or non-finite TAN WCS (CD matrix determinant " +
                                number_text(cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0]) + ")");
  std::string cards = keyrecord("CTYPE1", "'RA---TAN'") + keyrecord("CTYPE2", "'DEC--TAN'");
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i + 1);
    cards += keyrecord("CRPIX" + n, crpix[i]) + keyrecord("CRVAL" + n, crval[i]);
    for (int j = 0; j < 2; ++j) cards += keyrecord("CD" + n + "_" + std::to_string(j + 1), cd[i][j]);
  }
  *this = from_header(cards);
}

Wcs Wcs::from_header(const std::string& header_keyrecords) {
  std::string keyrecords = header_keyrecords.substr(0, header_keyrecords.size() / 80 * 80);
  bool has_ctype = false;
  for (std::size_t k = 0; k < keyrecords.size(); k += 80)
    has_ctype = has_ctype || keyrecords.compare(k, 5, "CTYPE") == 0;
  if (!has_ctype)
    keyrecords = keyrecord("CTYPE1", "'RA---TAN'") + keyrecord("CTYPE2", "'DEC--TAN'") + keyrecords;
  const int nkeyrec = static_cast<int>(keyrecords.size() / 80);
  std::vector<char> header(keyrecords.begin(), keyrecords.end());
  header.push_back('\0');
  auto parsed = std::make_shared<Parsed>();
  std::lock_guard<std::mutex> lock(header_mutex());
  wcserr_enable(1);  // WCSLIB's messages say what is wrong
  int nreject = 0;
  const int status =
      wcspih(header.data(), nkeyrec, WCSHDR_all, 0, &nreject, &parsed->nwcs, &parsed->all);
  if (status != 0)
    throw WcsError("WCSLIB could not parse the header (wcspih status " + std::to_string(status) +
                       ")",
                   "");
  if (nreject > 0) {
    const std::string report = rejected_report(header, nkeyrec);
    const std::string key = first_rejected_keyword(report, keyrecords);
    // One line: the report's runs of blanks and line breaks become single separators.
    std::string detail;
    for (char c : report) {
      if (c == '\n') c = ';';
      if (c == ' ' && (detail.empty() || detail.back() == ' ')) continue;
      if (c == ';' && !detail.empty() && detail.back() == ' ') detail.pop_back();
      detail += c;
    }
    while (!detail.empty() && (detail.back() == ';' || detail.back() == ' ')) detail.pop_back();
    throw WcsError((key.empty() ? std::string("a WCS keyword") : "keyword " + key) +
                       " rejected by WCSLIB (" + std::to_string(nreject) + " rejected): " + detail,
                   key);
  }
  for (int k = 0; k < parsed->nwcs; ++k)
    if (parsed->all[k].alt[0] == ' ' || parsed->all[k].alt[0] == '\0') parsed->wcs = &parsed->all[k];
  if (!parsed->wcs) throw WcsError("no WCS in the header (CTYPEi, CRPIXi, CRVALi)", "CTYPE1");
  wcsprm& w = *parsed->wcs;
  if (w.naxis != 2)
    throw WcsError("the WCS has " + std::to_string(w.naxis) +
                       " axes (WCSAXES); an image needs 2 celestial axes",
                   "WCSAXES");
  const int lat = latitude_axis_of(w);
  if (lat >= 0 && std::abs(w.crval[lat]) > 90) {
    const std::string key = "CRVAL" + std::to_string(lat + 1);
    throw WcsError("keyword " + key + " = " + number_text(w.crval[lat]) +
                       " is outside [-90, 90] (the reference latitude, degrees)",
                   key);
  }
  const std::string linear_key = (w.altlin & 2) ? "CD1_1" : (w.altlin & 1) ? "PC1_1" : "CDELT1";
  if (const int s = wcsset(&w); s != 0) {
    const std::string msg = w.err ? w.err->msg : "status " + std::to_string(s);
    std::string key;
    if (s == WCSERR_SINGULAR_MTX) key = linear_key;
    if (s == WCSERR_BAD_CTYPE || s == WCSERR_BAD_COORD_TRANS) key = "CTYPE1";
    const std::string what = s == WCSERR_SINGULAR_MTX
                                 ? "the linear transformation matrix (" + linear_key +
                                       " ...) is singular: no pixel scale"
                                 : "WCS unusable";
    throw WcsError(what + " (WCSLIB: " + msg + "; CTYPE1 = '" + w.ctype[0] + "', CTYPE2 = '" +
                       w.ctype[1] + "')",
                   key);
  }
  if (w.lng < 0 || w.lat < 0)
    throw WcsError(std::string("CTYPE1 = '") + w.ctype[0] + "', CTYPE2 = '" + w.ctype[1] +
                       "' are not a celestial longitude / latitude pair",
                   "CTYPE1");
  Wcs out;
  for (int i = 0; i < 2; ++i) {
    out.crpix_[i] = w.crpix[i];
    out.crval_[i] = w.crval[i];
    // WCSLIB leaves piximg unset when PC is the unit matrix: then the matrix is diag(CDELT).
    for (int j = 0; j < 2; ++j)
      out.cd_[i][j] = w.lin.unity || !w.lin.piximg ? (i == j ? w.lin.cdelt[i] : 0.0)
                                                   : w.lin.piximg[2 * i + j];
  }
  out.lat_axis_ = w.lat;
  if (!cd_usable(out.cd_)) {
    const auto& m = out.cd_;
    throw WcsError("the linear transformation matrix (" + linear_key + " ...: " +
                       number_text(m[0][0]) + ", " + number_text(m[0][1]) + ", " +
                       number_text(m[1][0]) + ", " + number_text(m[1][1]) +
                       " deg/pixel) is singular (determinant " +
                       number_text(m[0][0] * m[1][1] - m[0][1] * m[1][0]) + "): no pixel scale",
                   linear_key);
  }
  out.wcs_ = std::move(parsed);
  return out;
}

std::array<double, 2> Wcs::pix_to_world(double h, double w) const {
  if (!wcs_) return {kNaN, kNaN};
  const double pix[2] = {h, w};
  double img[2], world[2], phi, theta;
  int stat[1];
  int status;
  {
    std::lock_guard<std::mutex> lock(wcs_->mutex);
    status = wcsp2s(wcs_->wcs, 1, 2, pix, img, &phi, &theta, world, stat);
  }
  if (status != 0) return {kNaN, kNaN};
  double ra = std::fmod(world[wcs_->wcs->lng], 360.0);
  if (ra < 0) ra += 360.0;
  return {ra, world[wcs_->wcs->lat]};
}

std::array<double, 2> Wcs::world_to_pix(double ra, double dec) const {
  if (!wcs_) return {kNaN, kNaN};
  double world[2];
  world[wcs_->wcs->lng] = ra;
  world[wcs_->wcs->lat] = dec;
  double img[2], pix[2], phi, theta;
  int stat[1];
  int status;
  {
    std::lock_guard<std::mutex> lock(wcs_->mutex);
    status = wcss2p(wcs_->wcs, 1, 2, world, &phi, &theta, img, pix, stat);
  }
  if (status != 0) return {kNaN, kNaN};
  return {pix[0], pix[1]};
}

std::array<double, 4> Wcs::pixel_world_jacobian(double ra, double dec) const {
  const auto p0 = world_to_pix(ra, dec);
  const auto u_half = pix_to_world(p0[0] + 0.5, p0[1] + 0.5);
  double delta = std::max(std::abs(u_half[0] - ra), std::abs(u_half[1] - dec));
  if (delta > 180) delta = std::abs(delta - 360);  // RA wrap
  const auto p_ra = world_to_pix(ra + delta, dec);
  const auto p_dec = world_to_pix(ra, dec + delta);
  return {(p_ra[0] - p0[0]) / delta, (p_dec[0] - p0[0]) / delta, (p_ra[1] - p0[1]) / delta,
          (p_dec[1] - p0[1]) / delta};
}

std::vector<std::string> Wcs::header_keyrecords() const {
  std::vector<std::string> out;
  if (!wcs_) return out;
  int nkeyrec = 0;
  char* header = nullptr;
  int status;
  {
    std::lock_guard<std::mutex> hl(header_mutex());
    std::lock_guard<std::mutex> lock(wcs_->mutex);
    status = wcshdo(WCSHDO_P17, wcs_->wcs, &nkeyrec, &header);
  }
  if (status != 0) {
    wcsdealloc(header);
    throw WcsError("WCSLIB could not write the WCS header (wcshdo status " +
                       std::to_string(status) + ")",
                   "");
  }
  // WCSLIB writes the linear part as PCi_j + CDELTi; it is written as the CD matrix instead
  // (the form the SIP convention and the former TAN output use, and the one readers that know
  // only CD understand). CD = CDELT · PC is the same matrix, taken from the set-up transform.
  for (int k = 0; k < nkeyrec; ++k) {
    std::string card(header + 80 * k, 80);
    if (card.find_first_not_of(' ') == std::string::npos) continue;
    if (card.compare(0, 5, "CDELT") == 0) continue;
    if (card.compare(0, 2, "PC") == 0 && card[3] == '_' && card[5] == ' ') {
      const int i = card[2] - '1', j = card[4] - '1';
      char value[32];
      std::snprintf(value, sizeof value, "%20.17G", cd_[i][j]);
      card = keyrecord("CD" + card.substr(2, 3), std::string(value) + " / Linear transformation matrix, deg/pixel");
    }
    out.push_back(card);
  }
  wcsdealloc(header);
  return out;
}

double sky_position_angle_deg(double phi, const std::array<double, 4>& jac, double dec_deg) {
  const double dh = std::cos(phi), dw = std::sin(phi);
  const double det = jac[0] * jac[3] - jac[1] * jac[2];
  const double dra = (jac[3] * dh - jac[1] * dw) / det;
  const double ddec = (-jac[2] * dh + jac[0] * dw) / det;
  double pa = std::atan2(dra * std::cos(dec_deg * kRadPerDeg), ddec) * kDegPerRad;
  return angle_0_180_deg(pa);
}

double angle_0_180_deg(double angle_deg) {
  double deg = std::fmod(angle_deg, 180.0);
  if (deg < 0) deg += 180.0;
  if (deg >= 180.0) deg -= 180.0;  // -tiny + 180 rounds to 180
  return deg;
}

}  // namespace celeste::survey
