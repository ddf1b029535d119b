#include "score/match.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include "celeste/math.hpp"

namespace celeste::score {

namespace {


std::array<double, 3> unit_vector(double ra_deg, double dec_deg) {
  const double ra = ra_deg * kRadPerDeg, dec = dec_deg * kRadPerDeg;
  return {std::cos(dec) * std::cos(ra), std::cos(dec) * std::sin(ra), std::sin(dec)};
}

double chord(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  const double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

}  // namespace

double angular_separation_deg(double ra1_deg, double dec1_deg, double ra2_deg, double dec2_deg) {
  const double dl = (ra2_deg - ra1_deg) * kRadPerDeg;
  const double s1 = std::sin(dec1_deg * kRadPerDeg), c1 = std::cos(dec1_deg * kRadPerDeg);
  const double s2 = std::sin(dec2_deg * kRadPerDeg), c2 = std::cos(dec2_deg * kRadPerDeg);
  const double y = std::hypot(c2 * std::sin(dl), c1 * s2 - s1 * c2 * std::cos(dl));
  const double x = s1 * s2 + c1 * c2 * std::cos(dl);
  return std::atan2(y, x) / kRadPerDeg;
}

std::vector<NearestMatch> match_nearest(const ScoringCatalog& truth,
                                        const ScoringCatalog& predictions, double radius_deg) {
  // Only predictions within the radius can match, and the nearest one overall is then also
  // the nearest within the radius; so a band in declination sorted once replaces Celeste.jl's
  // KD tree. Distances are chord lengths on the unit sphere converted to angles, as there.
  std::vector<std::size_t> by_dec(predictions.size());
  for (std::size_t j = 0; j < by_dec.size(); ++j) by_dec[j] = j;
  std::stable_sort(by_dec.begin(), by_dec.end(), [&](std::size_t a, std::size_t b) {
    return predictions[a].dec_deg < predictions[b].dec_deg;
  });
  std::vector<double> sorted_dec(by_dec.size());
  std::vector<std::array<double, 3>> xyz(predictions.size());
  for (std::size_t k = 0; k < by_dec.size(); ++k) sorted_dec[k] = predictions[by_dec[k]].dec_deg;
  for (std::size_t j = 0; j < predictions.size(); ++j)
    xyz[j] = unit_vector(predictions[j].ra_deg, predictions[j].dec_deg);

  // The declination band is widened slightly so rounding never drops a candidate at the edge.
  const double band = radius_deg * (1 + 1e-9) + 1e-12;
  std::vector<NearestMatch> out(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const auto t = unit_vector(truth[i].ra_deg, truth[i].dec_deg);
    const auto lo = std::lower_bound(sorted_dec.begin(), sorted_dec.end(), truth[i].dec_deg - band);
    const auto hi = std::upper_bound(sorted_dec.begin(), sorted_dec.end(), truth[i].dec_deg + band);
    bool found = false;
    std::size_t best = 0;
    double best_chord = 0;
    for (auto it = lo; it != hi; ++it) {
      const std::size_t j = by_dec[static_cast<std::size_t>(it - sorted_dec.begin())];
      const double d = chord(t, xyz[j]);
      if (!found || d < best_chord || (d == best_chord && j < best)) {
        found = true;
        best = j;
        best_chord = d;
      }
    }
    if (!found) continue;
    const double distance_deg = 2.0 * std::asin(best_chord / 2.0) / kRadPerDeg;
    if (distance_deg < radius_deg) out[i] = NearestMatch{true, best, distance_deg};
  }
  return out;
}

JointMatch match_jointly(const ScoringCatalog& truth,
                         const std::vector<const ScoringCatalog*>& predictions,
                         double radius_deg) {
  std::vector<std::vector<NearestMatch>> per_catalog;
  for (const ScoringCatalog* p : predictions)
    per_catalog.push_back(match_nearest(truth, *p, radius_deg));
  JointMatch out;
  out.prediction_rows.resize(predictions.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    bool in_all = true;
    for (const auto& m : per_catalog) in_all = in_all && m[i].matched;
    if (!in_all) continue;
    out.truth_rows.push_back(i);
    for (std::size_t c = 0; c < per_catalog.size(); ++c)
      out.prediction_rows[c].push_back(per_catalog[c][i].index);
  }
  return out;
}

}  // namespace celeste::score
