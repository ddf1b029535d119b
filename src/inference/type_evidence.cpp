#include "inference/type_evidence.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "celeste/model/color_prior.hpp"
#include "celeste/model/kl.hpp"

namespace celeste::inference {
namespace {

// Type priors that hold a fit at one type: the other's prior mass e^-100 costs it ~100 nats,
// more than the largest Occam factor considered (options.max_penalty_nats) plus the prior odds,
// so a held fit that still ends at the other type says that type wins by more than that. The
// q(type) a held fit starts from: inside the simplex box, whose bound maps to an infinite free
// coordinate (as star_hypothesis.cpp does for its held star).
constexpr double kHeldPriorMass = 3.7e-44;  // e^-100
constexpr double kHeldStart = 0.02;
// A galaxy call whose q(galaxy) is at least this is already the galaxy hypothesis.
constexpr double kGalaxyHypothesisChi = 0.99;

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

bool compact(const model::SourceParams& p, const TypeEvidenceOptions& o) {
  return p[param::radius] <= o.compact_scale_px || p[param::axis_ratio] <= o.compact_axis_ratio;
}

// The parameters of the galaxy block: shape, and the galaxy's flux, colours and colour weights.
bool galaxy_block(int p) {
  if (p >= param::frac_dev && p <= param::radius) return true;
  if (p == param::gamma(1) || p == param::zeta(1)) return true;
  for (int j = 0; j < kNumColors; ++j)
    if (p == param::beta(1, j) || p == param::lambda(1, j)) return true;
  for (int d = 0; d < kNumColorComponents; ++d)
    if (p == param::kappa(1, d)) return true;
  return false;
}

// Copies type `from`'s flux, colour and colour-weight parameters to type `to`.
void copy_flux_and_colours(model::SourceParams& p, int from, int to) {
  p[param::gamma(to)] = p[param::gamma(from)];
  p[param::zeta(to)] = p[param::zeta(from)];
  for (int j = 0; j < kNumColors; ++j) {
    p[param::beta(to, j)] = p[param::beta(from, j)];
    p[param::lambda(to, j)] = p[param::lambda(from, j)];
  }
  for (int d = 0; d < kNumColorComponents; ++d) p[param::kappa(to, d)] = p[param::kappa(from, d)];
}

// The ELBO's prior terms at θ under type prior Φ (kernels/celeste/model/kl.hpp, the one place
// they are written): the type part Σ χ_i (ln χ_i − ln Φ_i) of the KL, and χ₂ ln p(σ).
struct TypeAndScaleTerms {
  double type_kl = 0;
  double scale_prior = 0;
};
TypeAndScaleTerms type_and_scale_terms(const model::SourceParams& th,
                                       const std::array<double, kNumTypes>& type_prior) {
  const model::ColorPrior cp = model::make_color_prior(type_prior.data());
  std::vector<double> grad(kNumParams, 0.0), hess(kNumParams * kNumParams, 0.0);
  double value = 0;
  const model::PriorValue pv = model::add_prior_terms(th.data(), cp, value, grad.data(), hess.data());
  TypeAndScaleTerms out;
  for (int i = 0; i < kNumTypes; ++i) {
    const double chi = th[param::chi(i)];
    out.type_kl += chi * (std::log(chi) - cp.log_type_prior[i]);
  }
  out.scale_prior = pv.scale_prior;
  return out;
}

// The hypothesis' conditional ELBO: the objective f = −ELBO at θ (under `type_prior`) without
// its type term and without the galaxy-scale prior density (which the evidence integrates):
// Σ pixels − Σ_i χ_i KL_i, with χ at a simplex bound, i.e. the held type's terms to 0.5 %.
double conditional_elbo(double f, const model::SourceParams& th,
                        const std::array<double, kNumTypes>& type_prior) {
  const TypeAndScaleTerms t = type_and_scale_terms(th, type_prior);
  return -f + t.type_kl - t.scale_prior;
}

// Adaptive Simpson quadrature of g over [a, b] given g(a), g(m), g(b).
double adaptive_simpson(const std::function<double(double)>& g, double a, double b, double fa,
                        double fm, double fb, double whole, double eps, int depth) {
  const double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
  const double flm = g(lm), frm = g(rm);
  const double left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
  const double right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
  const double delta = left + right - whole;
  if (depth <= 0 || std::fabs(delta) <= 15.0 * eps) return left + right + delta / 15.0;
  return adaptive_simpson(g, a, m, fa, flm, fm, left, eps / 2, depth - 1) +
         adaptive_simpson(g, m, b, fm, frm, fb, right, eps / 2, depth - 1);
}

// ∫ g over [a, b] with x_star (the optimum) a node, to `rel_tol` of the result: the first pass
// takes its tolerance from a coarse estimate, which a sharp peak at x_star overestimates, so a
// second pass (re-using the cached values of g) tightens it to the first result.
double integrate_through(const std::function<double(double)>& g, double a, double x_star, double b,
                         double rel_tol, int max_depth) {
  constexpr int kPanelsPerSide = 1;
  std::vector<double> nodes;
  auto side = [&](double lo, double hi) {
    if (hi <= lo) return;
    for (int k = 0; k < kPanelsPerSide; ++k) nodes.push_back(lo + (hi - lo) * k / kPanelsPerSide);
  };
  side(a, x_star);
  side(x_star, b);
  nodes.push_back(b);
  auto pass = [&](double eps) {
    double total = 0;
    for (std::size_t k = 0; k + 1 < nodes.size(); ++k) {
      const double lo = nodes[k], hi = nodes[k + 1], m = 0.5 * (lo + hi);
      const double flo = g(lo), fm = g(m), fhi = g(hi);
      const double whole = (hi - lo) / 6.0 * (flo + 4.0 * fm + fhi);
      total += adaptive_simpson(g, lo, hi, flo, fm, fhi, whole, eps, max_depth);
    }
    return total;
  };
  double coarse = 0;
  for (std::size_t k = 0; k + 1 < nodes.size(); ++k)
    coarse += (nodes[k + 1] - nodes[k]) * 0.5 * (g(nodes[k]) + g(nodes[k + 1]));
  const int panels = static_cast<int>(nodes.size()) - 1;
  const double first = pass(rel_tol * coarse / panels);
  if (!(first > 0)) return first;
  return pass(rel_tol * first / panels);
}

// Standard normal distribution function.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

}  // namespace

double shape_occam_integral(const std::function<double(int, double)>& delta_l,
                            const model::SourceParams& optimum, const SourceBounds& box,
                            const TypeEvidenceOptions& options) {
  namespace c = constants;
  // Cached per (coordinate, value): the bisections of the two passes share their nodes.
  std::map<std::pair<int, double>, double> cache;
  auto weight = [&](int index, double x) {  // exp(L − L*), 0 where the ELBO is not finite
    auto hit = cache.find({index, x});
    if (hit == cache.end()) hit = cache.emplace(std::make_pair(index, x), delta_l(index, x)).first;
    const double d = hit->second;
    return std::isfinite(d) ? std::exp(std::min(d, 700.0)) : 0.0;
  };
  double log_factor = 0;
  // θ and ρ: uniform on their boxes.
  for (int index : {param::frac_dev, param::axis_ratio}) {
    const double lo = box.lo[index], hi = box.hi[index];
    const double density = 1.0 / (hi - lo);
    auto g = [&](double x) { return weight(index, x) * density; };
    log_factor += std::log(integrate_through(g, lo, std::clamp(optimum[index], lo, hi), hi,
                                             options.relative_tolerance, options.max_depth));
  }
  {  // φ: uniform on one period (the image depends on φ mod π), wrapped into the box.
    const double lo = box.lo[param::angle], hi = box.hi[param::angle];
    const double phi0 = optimum[param::angle];
    auto wrap = [&](double x) {
      while (x < lo) x += M_PI;
      while (x > hi) x -= M_PI;
      return x;
    };
    auto g = [&](double x) { return weight(param::angle, wrap(x)) / M_PI; };
    log_factor += std::log(integrate_through(g, phi0 - M_PI / 2, phi0, phi0 + M_PI / 2,
                                             options.relative_tolerance, options.max_depth));
  }
  {  // ln σ: the log-normal scale prior normalized on the σ box.
    const double tlo = std::log(box.lo[param::radius]), thi = std::log(box.hi[param::radius]);
    const double mu = c::kRadiusPriorMean, sd = std::sqrt(c::kRadiusPriorVar);
    const double mass = normal_cdf((thi - mu) / sd) - normal_cdf((tlo - mu) / sd);
    auto g = [&](double t) {
      const double z = (t - mu) / sd;
      const double density = std::exp(-0.5 * z * z) / (sd * std::sqrt(2 * M_PI) * mass);
      return weight(param::radius, std::exp(t)) * density;
    };
    const double t_star = std::clamp(std::log(optimum[param::radius]), tlo, thi);
    log_factor += std::log(integrate_through(g, tlo, t_star, thi, options.relative_tolerance,
                                             options.max_depth));
  }
  return log_factor;
}

double shape_occam_factor(const std::vector<survey::Image>& images,
                          const model::SurveyPatches& patches,
                          std::vector<model::SourceParams>& params, const SourceBounds& box,
                          int s, const model::FitOptions& evaluate,
                          const TypeEvidenceOptions& options, WorkCounters& work) {
  const model::SourceParams optimum = params[s];
  auto l_at = [&](const model::SourceParams& theta) {
    params[s] = theta;
    const model::SourceFit at = model::fit_targets(images, patches, params, {s}, {box}, evaluate)[0];
    work.count_evaluation(at);
    ++work.type_evidence_evaluations;
    return conditional_elbo(at.result.f_initial, theta, evaluate.type_prior);
  };
  const double l_star = l_at(optimum);
  // L(θ) − L* along one coordinate: the conditional ELBO has the galaxy-scale prior density
  // taken out (the integral carries the proper prior instead).
  auto delta_l = [&](int index, double x) {
    model::SourceParams theta = optimum;
    theta[index] = x;
    return l_at(theta) - l_star;
  };
  const double log_factor = shape_occam_integral(delta_l, optimum, box, options);
  params[s] = optimum;
  return log_factor;
}

TypeEvidenceOutcome decide_type_by_evidence(const std::vector<survey::Image>& images,
                                            const model::SurveyPatches& patches,
                                            std::vector<model::SourceParams>& params,
                                            std::vector<survey::SourceResult>& records,
                                            const std::vector<SourceBounds>& boxes, int s,
                                            const model::FitOptions& fit_options,
                                            const TypeEvidenceOptions& options) {
  TypeEvidenceOutcome out;
  // A star call stays: the Occam factor only lowers the galaxy's evidence.
  if (!(params[s][param::chi(0)] < 0.5) || patches.by_source[s].empty()) return out;
  out.evaluated = true;
  const auto& phi = fit_options.type_prior;
  model::FitOptions evaluate = fit_options;  // the objective at the current point only
  evaluate.trust_region.max_iterations = 0;
  evaluate.linear_response = false;
  auto held = [&](int type) {
    model::FitOptions o = fit_options;
    o.type_prior = {type == 0 ? 1.0 : kHeldPriorMass, type == 1 ? 1.0 : kHeldPriorMass};
    return o;
  };
  const model::SourceParams current = params[s];
  auto fit_held = [&](int type, model::SourceParams start) {
    start[param::chi(type)] = 1 - kHeldStart;
    start[param::chi(1 - type)] = kHeldStart;
    params[s] = start;
    model::SourceFit f = model::fit_targets(images, patches, params, {s}, {boxes[s]}, held(type))[0];
    out.work.count(f);
    ++out.work.type_evidence_fits;
    params[s] = current;
    return f;
  };
  auto held_conditional_elbo = [&](const model::SourceFit& f, int type) {
    return conditional_elbo(f.result.f_final, f.params, held(type).type_prior);
  };

  // The galaxy hypothesis: the current fit where q(galaxy) is at its bound already.
  model::SourceFit galaxy;
  bool galaxy_refitted = false;
  double l_galaxy;
  if (current[param::chi(1)] >= kGalaxyHypothesisChi) {
    galaxy = model::fit_targets(images, patches, params, {s}, {boxes[s]}, evaluate)[0];
    out.work.count_evaluation(galaxy);
    ++out.work.type_evidence_evaluations;
    galaxy.params = current;
    l_galaxy = conditional_elbo(galaxy.result.f_initial, current, phi);
  } else {
    galaxy = fit_held(1, current);
    galaxy_refitted = true;
    l_galaxy = held_conditional_elbo(galaxy, 1);
  }
  model::SourceFit star = fit_held(0, current);
  double l_star = held_conditional_elbo(star, 0);
  // Where a compact galaxy fits better, the star may have started from a poor state (its flux
  // and colours were fitted to what a galaxy call left over): it is refitted with the galaxy's
  // flux and colours, which is the galaxy's own light for a point-like one, and the better
  // kept. (A resolved galaxy's light is no better a star start than the star's own.)
  if (l_galaxy > l_star && compact(galaxy.params, options)) {
    model::SourceParams start = galaxy.params;
    copy_flux_and_colours(start, 1, 0);
    const model::SourceFit second = fit_held(0, start);
    const double l_second = held_conditional_elbo(second, 0);
    if (second.params[param::chi(0)] >= 0.5 && l_second > l_star) {
      star = second;
      l_star = l_second;
    }
  }
  // Where the star fits better, the galaxy fit may have been a worse local optimum (the two
  // share the position, and the star's flux and position are often the better start): the
  // galaxy is refitted from the star's state with its own shape, and the better galaxy kept.
  if (l_star > l_galaxy && star.params[param::chi(0)] >= 0.5) {
    model::SourceParams start = star.params;
    for (int p = 0; p < kNumParams; ++p)
      if (galaxy_block(p)) start[p] = galaxy.params[p];
    const model::SourceFit second = fit_held(1, start);
    const double l_second = held_conditional_elbo(second, 1);
    if (second.params[param::chi(1)] >= 0.5 && l_second > l_galaxy) {
      galaxy = second;
      galaxy_refitted = true;
      l_galaxy = l_second;
    }
  }

  const double log_prior_odds = std::log(phi[0]) - std::log(phi[1]);
  double log_odds = log_prior_odds + l_star - l_galaxy;
  // A held fit that left its type (see kHeldPriorMass): that hypothesis loses by more than any
  // Occam factor considered.
  if (star.params[param::chi(0)] < 0.5)
    log_odds = -options.max_penalty_nats - 1;
  else if (galaxy_refitted && galaxy.params[param::chi(1)] < 0.5)
    log_odds = options.max_penalty_nats + 1;
  if (log_odds < 0 && log_odds > -options.max_penalty_nats) {
    params[s] = galaxy.params;
    const std::int64_t before = out.work.type_evidence_evaluations;
    out.shape_occam = shape_occam_factor(images, patches, params, boxes[s], s, evaluate, options,
                                         out.work);
    out.shape_evaluations = static_cast<int>(out.work.type_evidence_evaluations - before);
    log_odds -= out.shape_occam;
  }
  out.log_odds_star = log_odds;
  const double chi_star =
      std::clamp(logistic(log_odds), constants::kTypeSimplexLower, 1 - constants::kTypeSimplexLower);

  // The source's final state: the winning hypothesis (with the galaxy block from the galaxy
  // hypothesis either way), q(type) from the evidence.
  model::SourceParams final_params = galaxy.params;
  if (log_odds > 0) {
    out.flipped = true;
    final_params = star.params;
    for (int p = 0; p < kNumParams; ++p)
      if (galaxy_block(p)) final_params[p] = galaxy.params[p];
    model::record_fit(star, records[s]);
  } else if (galaxy_refitted) {
    model::record_fit(galaxy, records[s]);
  }
  final_params[param::chi(0)] = chi_star;
  final_params[param::chi(1)] = 1 - chi_star;
  params[s] = final_params;
  // The record's ELBO is the model's objective at the final state, under the run's prior.
  const model::SourceFit at_final = model::fit_targets(images, patches, params, {s}, {boxes[s]}, evaluate)[0];
  out.work.count_evaluation(at_final);
  ++out.work.type_evidence_evaluations;
  records[s].elbo = -at_final.result.f_initial;
  return out;
}

}  // namespace celeste::inference
