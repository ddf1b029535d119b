#include "inference/type_evidence.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <memory>

#include "celeste/model/color_prior.hpp"
#include "celeste/model/kl.hpp"

namespace celeste::inference {
namespace {

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

// The hypothesis' conditional ELBO: the objective f = −ELBO at θ (under the prior `cp`)
// without its type term Σ χ_i (ln χ_i − ln Φ_i) and without the galaxy-scale prior density
// χ₂ ln p(σ) (which the evidence integrates): Σ pixels − Σ_i χ_i KL_i, with χ at a simplex
// bound, i.e. the held type's terms to 0.5 %. Both terms from kernels/celeste/model/kl.hpp,
// the one place they are written.
double conditional_elbo(double f, const model::SourceParams& th, const model::ColorPrior& cp) {
  std::array<double, kNumParams> grad{};
  std::array<double, kNumParams * kNumParams> hess{};
  double value = 0;
  const model::PriorValue pv = model::add_prior_terms(th.data(), cp, value, grad.data(), hess.data());
  double type_kl = 0;
  for (int i = 0; i < kNumTypes; ++i) {
    const double chi = th[param::chi(i)];
    type_kl += chi * (std::log(chi) - cp.log_type_prior[i]);
  }
  return -f + type_kl - pv.scale_prior;
}

// The quadratures below run as sweeps over a cache of integrand values: a value not yet known
// counts a miss (and is requested by the integrand), and the branch that needed it stops there;
// the caller evaluates every requested value in one batch and sweeps again, until a sweep
// misses nothing. The last sweep is then exactly the sequential algorithm with every value at
// hand, and each sweep's batch holds the next values of every open branch at once.

// Adaptive Simpson quadrature of g over [a, b] given g(a), g(m), g(b).
double adaptive_simpson(const std::function<double(double)>& g, double a, double b, double fa,
                        double fm, double fb, double whole, double eps, int depth,
                        const long& misses) {
  const double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
  const long before = misses;
  const double flm = g(lm), frm = g(rm);
  if (misses != before) return 0;  // requested for the next sweep
  const double left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
  const double right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
  const double delta = left + right - whole;
  if (depth <= 0 || std::fabs(delta) <= 15.0 * eps) return left + right + delta / 15.0;
  return adaptive_simpson(g, a, m, fa, flm, fm, left, eps / 2, depth - 1, misses) +
         adaptive_simpson(g, m, b, fm, frm, fb, right, eps / 2, depth - 1, misses);
}

// ∫ g over [a, b] with x_star (the optimum) a node, to `rel_tol` of the result: the first pass
// takes its tolerance from a coarse estimate, which a sharp peak at x_star overestimates, so a
// second pass (re-using the cached values of g) tightens it to the first result.
double integrate_through(const std::function<double(double)>& g, double a, double x_star, double b,
                         double rel_tol, int max_depth, const long& misses) {
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
      const long before = misses;
      const double flo = g(lo), fm = g(m), fhi = g(hi);
      if (misses != before) continue;
      const double whole = (hi - lo) / 6.0 * (flo + 4.0 * fm + fhi);
      total += adaptive_simpson(g, lo, hi, flo, fm, fhi, whole, eps, max_depth, misses);
    }
    return total;
  };
  const long before = misses;
  double coarse = 0;
  for (std::size_t k = 0; k + 1 < nodes.size(); ++k)
    coarse += (nodes[k + 1] - nodes[k]) * 0.5 * (g(nodes[k]) + g(nodes[k + 1]));
  if (misses != before) return 0;
  const int panels = static_cast<int>(nodes.size()) - 1;
  const double first = pass(rel_tol * coarse / panels);
  if (misses != before || !(first > 0)) return first;
  return pass(rel_tol * first / panels);
}

// Standard normal distribution function.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// One sweep of the four integrals (see adaptive_simpson), with `weight(index, x)` the cached
// exp(L − L*) at coordinate `index` of the optimum set to x.
double shape_occam_sweep(const std::function<double(int, double)>& weight,
                         const model::SourceParams& optimum, const SourceBounds& box,
                         const TypeEvidenceOptions& options, const long& misses) {
  namespace c = constants;
  double log_factor = 0;
  // θ and ρ: uniform on their boxes.
  for (int index : {param::frac_dev, param::axis_ratio}) {
    const double lo = box.lo[index], hi = box.hi[index];
    const double density = 1.0 / (hi - lo);
    auto g = [&](double x) { return weight(index, x) * density; };
    log_factor += std::log(integrate_through(g, lo, std::clamp(optimum[index], lo, hi), hi,
                                             options.relative_tolerance, options.max_depth, misses));
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
                                             options.relative_tolerance, options.max_depth, misses));
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
                                             options.max_depth, misses));
  }
  return log_factor;
}

}  // namespace

double shape_occam_integral(
    const std::function<std::vector<double>(const std::vector<ShapePoint>&)>& delta_l,
    const model::SourceParams& optimum, const SourceBounds& box,
    const TypeEvidenceOptions& options) {
  namespace c = constants;
  // ΔL per (coordinate, value), shared by the two passes and the sweeps; the values a sweep
  // missed, in the order first asked for.
  std::map<std::pair<int, double>, double> cache;
  std::vector<ShapePoint> wanted;
  std::set<std::pair<int, double>> wanted_keys;
  long misses = 0;
  auto weight = [&](int index, double x) {  // exp(L − L*), 0 where the ELBO is not finite
    const auto hit = cache.find({index, x});
    if (hit == cache.end()) {
      ++misses;
      if (wanted_keys.insert({index, x}).second) wanted.push_back({index, x});
      return 0.0;
    }
    const double d = hit->second;
    return std::isfinite(d) ? std::exp(std::min(d, 700.0)) : 0.0;
  };
  while (true) {
    misses = 0;
    wanted.clear();
    wanted_keys.clear();
    const double log_factor = shape_occam_sweep(weight, optimum, box, options, misses);
    if (wanted.empty()) return log_factor;
    const std::vector<double> values = delta_l(wanted);
    for (std::size_t k = 0; k < wanted.size(); ++k)
      cache.emplace(std::make_pair(wanted[k].index, wanted[k].value), values[k]);
  }
}

double shape_occam_factor(const model::TargetObjective& objective,
                          const model::SourceParams& optimum, const SourceBounds& box,
                          const model::ColorPrior& prior, const TypeEvidenceOptions& options,
                          WorkCounters& work) {
  auto l_at = [&](const model::SourceParams& theta) {
    work.count_values(1);
    ++work.type_evidence_evaluations;
    return conditional_elbo(objective(theta), theta, prior);
  };
  const double l_star = l_at(optimum);
  // L(θ) − L* along one coordinate: the conditional ELBO has the galaxy-scale prior density
  // taken out (the integral carries the proper prior instead). A sweep's points in one launch.
  auto delta_l = [&](const std::vector<ShapePoint>& points) {
    std::vector<model::SourceParams> thetas(points.size(), optimum);
    for (std::size_t k = 0; k < points.size(); ++k) thetas[k][points[k].index] = points[k].value;
    const std::vector<double> f = objective(thetas);
    work.count_values(static_cast<std::int64_t>(points.size()));
    work.type_evidence_evaluations += static_cast<std::int64_t>(points.size());
    std::vector<double> out(points.size());
    for (std::size_t k = 0; k < points.size(); ++k)
      out[k] = conditional_elbo(f[k], thetas[k], prior) - l_star;
    return out;
  };
  return shape_occam_integral(delta_l, optimum, box, options);
}

std::vector<TypeEvidenceOutcome> decide_types_by_evidence(
    const std::vector<survey::Image>& images, const model::SurveyPatches& patches,
    std::vector<model::SourceParams>& params, std::vector<survey::SourceResult>& records,
    const std::vector<SourceBounds>& boxes, const std::vector<int>& targets,
    const model::FitOptions& fit_options, const TypeEvidenceOptions& options) {
  const int T = static_cast<int>(targets.size());
  std::vector<TypeEvidenceOutcome> outcomes(T);
  const auto& phi = fit_options.type_prior;
  const model::ColorPrior prior = model::make_color_prior(phi.data());
  const model::ColorPrior held_prior[kNumTypes] = {
      model::make_color_prior(model::held_type_options(fit_options, 0).type_prior.data()),
      model::make_color_prior(model::held_type_options(fit_options, 1).type_prior.data())};

  // One decision per galaxy-called target (a star call stays: the Occam factor only lowers
  // the galaxy's evidence).
  struct Decision {
    int index;                       // into targets / outcomes
    int s;                           // catalog index
    model::SourceParams current;     // the mean-field fit
    std::unique_ptr<model::TargetObjective> objective;  // its pixels, neighbours as they are
    model::SourceFit galaxy, star;   // the hypotheses' fits
    bool galaxy_refitted = false;
    double l_galaxy = 0, l_star = 0;
  };
  std::vector<Decision> decisions;
  for (int i = 0; i < T; ++i) {
    const int s = targets[i];
    if (!(params[s][param::chi(0)] < 0.5) || patches.by_source[s].empty()) continue;
    outcomes[i].evaluated = true;
    Decision d;
    d.index = i;
    d.s = s;
    d.current = params[s];
    d.objective = std::make_unique<model::TargetObjective>(images, patches, params, s, boxes[s],
                                                           fit_options);
    decisions.push_back(std::move(d));
  }
  auto value_at = [&](Decision& d, const model::SourceParams& theta) {
    outcomes[d.index].work.count_values(1);
    ++outcomes[d.index].work.type_evidence_evaluations;
    return (*d.objective)(theta);
  };
  // Held fits of the decisions `which` from start(d), all in one launch (the targets are
  // pairwise non-neighbours: one's start is not another's neighbour light).
  auto fit_held = [&](int type, const std::vector<Decision*>& which,
                      const std::function<model::SourceParams(const Decision&)>& start) {
    std::vector<int> ids;
    std::vector<SourceBounds> box;
    for (Decision* d : which) {
      model::SourceParams p = start(*d);
      model::start_at_type(p, type);
      params[d->s] = p;
      ids.push_back(d->s);
      box.push_back(boxes[d->s]);
    }
    std::vector<model::SourceFit> fits = model::fit_targets(
        images, patches, params, ids, box, model::held_type_options(fit_options, type));
    for (std::size_t k = 0; k < which.size(); ++k) {
      params[which[k]->s] = which[k]->current;
      outcomes[which[k]->index].work.count(fits[k]);
      ++outcomes[which[k]->index].work.type_evidence_fits;
    }
    return fits;
  };
  auto held_conditional_elbo = [&](const model::SourceFit& f, int type) {
    return conditional_elbo(f.result.f_final, f.params, held_prior[type]);
  };

  // The galaxy hypothesis: the current fit where q(galaxy) is at its bound already, else a
  // held-galaxy fit; the star hypothesis: a held-star fit.
  std::vector<Decision*> to_fit, all;
  for (Decision& d : decisions) {
    all.push_back(&d);
    if (d.current[param::chi(1)] >= kGalaxyHypothesisChi) {
      d.galaxy.params = d.current;
      d.galaxy.result.f_final = value_at(d, d.current);
      d.l_galaxy = conditional_elbo(d.galaxy.result.f_final, d.current, prior);
    } else {
      to_fit.push_back(&d);
    }
  }
  if (!to_fit.empty()) {
    const auto fits = fit_held(1, to_fit, [](const Decision& d) { return d.current; });
    for (std::size_t k = 0; k < to_fit.size(); ++k) {
      to_fit[k]->galaxy = fits[k];
      to_fit[k]->galaxy_refitted = true;
      to_fit[k]->l_galaxy = held_conditional_elbo(fits[k], 1);
    }
  }
  if (!all.empty()) {
    const auto fits = fit_held(0, all, [](const Decision& d) { return d.current; });
    for (std::size_t k = 0; k < all.size(); ++k) {
      all[k]->star = fits[k];
      all[k]->l_star = held_conditional_elbo(fits[k], 0);
    }
  }
  // Where a compact galaxy fits better, the star may have started from a poor state (its flux
  // and colours were fitted to what a galaxy call left over): it is refitted with the galaxy's
  // flux and colours, which is the galaxy's own light for a point-like one, and the better
  // kept. (A resolved galaxy's light is no better a star start than the star's own.)
  std::vector<Decision*> second;
  for (Decision& d : decisions)
    if (d.l_galaxy > d.l_star && compact(d.galaxy.params, options)) second.push_back(&d);
  if (!second.empty()) {
    const auto fits = fit_held(0, second, [](const Decision& d) {
      model::SourceParams start = d.galaxy.params;
      copy_flux_and_colours(start, 1, 0);
      return start;
    });
    for (std::size_t k = 0; k < second.size(); ++k) {
      const double l = held_conditional_elbo(fits[k], 0);
      if (fits[k].params[param::chi(0)] >= 0.5 && l > second[k]->l_star) {
        second[k]->star = fits[k];
        second[k]->l_star = l;
      }
    }
  }
  // Where the star fits better, the galaxy fit may have been a worse local optimum (the two
  // share the position, and the star's flux and position are often the better start): the
  // galaxy is refitted from the star's state with its own shape, and the better galaxy kept.
  second.clear();
  for (Decision& d : decisions)
    if (d.l_star > d.l_galaxy && d.star.params[param::chi(0)] >= 0.5) second.push_back(&d);
  if (!second.empty()) {
    const auto fits = fit_held(1, second, [](const Decision& d) {
      model::SourceParams start = d.star.params;
      for (int p = 0; p < kNumParams; ++p)
        if (galaxy_block(p)) start[p] = d.galaxy.params[p];
      return start;
    });
    for (std::size_t k = 0; k < second.size(); ++k) {
      const double l = held_conditional_elbo(fits[k], 1);
      if (fits[k].params[param::chi(1)] >= 0.5 && l > second[k]->l_galaxy) {
        second[k]->galaxy = fits[k];
        second[k]->galaxy_refitted = true;
        second[k]->l_galaxy = l;
      }
    }
  }

  const double log_prior_odds = std::log(phi[0]) - std::log(phi[1]);
  for (Decision& d : decisions) {
    TypeEvidenceOutcome& out = outcomes[d.index];
    double log_odds = log_prior_odds + d.l_star - d.l_galaxy;
    // A held fit that left its type (see model::kHeldTypePriorMass): that hypothesis loses by
    // more than any Occam factor considered.
    if (d.star.params[param::chi(0)] < 0.5)
      log_odds = -options.max_penalty_nats - 1;
    else if (d.galaxy_refitted && d.galaxy.params[param::chi(1)] < 0.5)
      log_odds = options.max_penalty_nats + 1;
    if (log_odds < 0 && log_odds > -options.max_penalty_nats) {
      const std::int64_t before = out.work.type_evidence_evaluations;
      out.shape_occam =
          shape_occam_factor(*d.objective, d.galaxy.params, boxes[d.s], prior, options, out.work);
      out.shape_evaluations = static_cast<int>(out.work.type_evidence_evaluations - before);
      log_odds -= out.shape_occam;
    }
    out.log_odds_star = log_odds;
    const double chi_star = std::clamp(logistic(log_odds), constants::kTypeSimplexLower,
                                       1 - constants::kTypeSimplexLower);

    // The source's final state: the winning hypothesis (with the galaxy block from the galaxy
    // hypothesis either way), q(type) from the evidence.
    model::SourceParams final_params = d.galaxy.params;
    if (log_odds > 0) {
      out.flipped = true;
      final_params = d.star.params;
      for (int p = 0; p < kNumParams; ++p)
        if (galaxy_block(p)) final_params[p] = d.galaxy.params[p];
      model::record_fit(d.star, records[d.s]);
    } else if (d.galaxy_refitted) {
      model::record_fit(d.galaxy, records[d.s]);
    }
    final_params[param::chi(0)] = chi_star;
    final_params[param::chi(1)] = 1 - chi_star;
    params[d.s] = final_params;
    // The record's ELBO is the model's objective at the final state, under the run's prior.
    records[d.s].elbo = -value_at(d, final_params);
  }
  return outcomes;
}

TypeEvidenceOutcome decide_type_by_evidence(const std::vector<survey::Image>& images,
                                            const model::SurveyPatches& patches,
                                            std::vector<model::SourceParams>& params,
                                            std::vector<survey::SourceResult>& records,
                                            const std::vector<SourceBounds>& boxes, int s,
                                            const model::FitOptions& fit_options,
                                            const TypeEvidenceOptions& options) {
  return decide_types_by_evidence(images, patches, params, records, boxes, {s}, fit_options,
                                  options)[0];
}

}  // namespace celeste::inference
