// Per-source fits on a synthetic field from the generator with known truth (isolated and
// blended stars and galaxies, bright and faint; 220 sources). Every source is fitted from the
// generic initialization (model.md §8.2) at its noisy Photo-like catalog position, with its
// neighbours held at their true values: the sources are split into batches of pairwise
// non-neighbours (greedy colouring of the neighbour graph), and within a batch only the
// targets carry their starting values. Checks (issue 6):
//  * coverage: the fitted means of log r-flux and the 4 colours of the true type, and the
//    position, are within 3 linear-response posterior sds of the truth for >= 95 % of them
//    (the mean-field sds are printed for comparison: they under-cover, model.md §9.4);
//  * >= 99 % of the sources converge within 50 iterations;
//  * the type call (P(star) > 0.5) is right for >= 80 % of all sources (measured 88.2 %, 194 of
//    220: the faint ones, r < 5 nmgy, are ambiguous) and >= 93 % of those with r >= 5 nmgy
//    (measured 97.8 %, 90 of 92);
//  * the objective (−ELBO) never increases across accepted steps (per-iteration trace).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "model/generator.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"
#include "model/source_fit.hpp"

namespace celeste::testing {
namespace {

// Point-mass parameters at a truth entry (true type nearly certain, tiny variances): the
// values of the fixed neighbours.
model::SourceParams truth_params(const survey::CatalogEntry& e) {
  auto p = model::catalog_init_params(e);
  p[param::chi(0)] = e.is_star ? 0.995 : 0.005;
  p[param::chi(1)] = 1.0 - p[param::chi(0)];
  p[param::frac_dev] = e.gal_frac_dev;
  p[param::axis_ratio] = e.gal_axis_ratio;
  p[param::radius] = e.gal_radius_px;
  // Smallest variances, so that E[ℓ_b] = exp(γ + Sβ + v_b/2) is the true flux to 1e-4.
  for (int t = 0; t < kNumTypes; ++t) {
    p[param::zeta(t)] = 1e-4;
    for (int j = 0; j < kNumColors; ++j) p[param::lambda(t, j)] = 1e-4;
  }
  return p;
}

struct FieldFit {
  model::SyntheticSurvey survey;
  model::SurveyPatches patches;
  std::vector<model::SourceFit> fits;
  int batches = 0;
};

FieldFit fit_field(int sources, int size, std::uint64_t seed) {
  config::GenerateConfig cfg;
  cfg.seed = static_cast<long long>(seed);
  cfg.epochs = 1;
  cfg.width = cfg.height = size;
  cfg.source_count = sources;
  FieldFit ff;
  ff.survey = model::generate_survey(cfg);
  const auto& truth = ff.survey.truth;
  const auto& initial = ff.survey.initial;
  const int S = static_cast<int>(truth.size());
  ff.patches = model::build_patches(truth, ff.survey.images);
  // Greedy colouring: batch[s] differs from every neighbour's.
  std::vector<int> batch(S, -1);
  for (int s = 0; s < S; ++s) {
    std::vector<bool> used(S + 1, false);
    for (int n : ff.patches.neighbors[s])
      if (batch[n] >= 0) used[batch[n]] = true;
    int c = 0;
    while (used[c]) ++c;
    batch[s] = c;
    ff.batches = std::max(ff.batches, c + 1);
  }
  std::vector<model::SourceParams> truth_p;
  for (const auto& e : truth) truth_p.push_back(truth_params(e));
  model::FitOptions opts;
  opts.record_trace = true;
  ff.fits.resize(S);
  for (int c = 0; c < ff.batches; ++c) {
    auto params = truth_p;
    std::vector<int> targets;
    std::vector<SourceBounds> boxes;
    for (int s = 0; s < S; ++s) {
      if (batch[s] != c) continue;
      params[s] = model::generic_init_params(initial[s]);
      targets.push_back(s);
      boxes.push_back(model::target_bounds(initial[s].ra, initial[s].dec));
    }
    auto fits = model::fit_targets(ff.survey.images, ff.patches, params, targets, boxes, opts);
    for (std::size_t t = 0; t < targets.size(); ++t) ff.fits[targets[t]] = std::move(fits[t]);
  }
  return ff;
}

// Coverage tallies of one parameter class: |fit − truth| <= 3 sd.
// Also within 1 sd (68 % if calibrated), to show the LR sds are not merely inflated.
struct Tally {
  int mf = 0, lr = 0, mf1 = 0, lr1 = 0, n = 0;
  std::vector<double> ratio;  // sd_lr / sd_mf
  void add(double err, double sd_mf, double sd_lr) {
    ++n;
    mf += std::fabs(err) <= 3 * sd_mf;
    lr += std::fabs(err) <= 3 * sd_lr;
    mf1 += std::fabs(err) <= sd_mf;
    lr1 += std::fabs(err) <= sd_lr;
    if (sd_mf > 0) ratio.push_back(sd_lr / sd_mf);
  }
  void print(const char* name) const {
    if (n == 0) return;
    auto r = ratio;
    double median = 0;
    if (!r.empty()) {
      std::nth_element(r.begin(), r.begin() + r.size() / 2, r.end());
      median = r[r.size() / 2];
    }
    std::printf("  %-22s n=%4d  within 3 sd (1 sd): mean-field %5.1f%% (%5.1f%%)  linear "
                "response %5.1f%% (%5.1f%%)  median sd_lr/sd_mf %.2f\n",
                name, n, 100.0 * mf / n, 100.0 * mf1 / n, 100.0 * lr / n, 100.0 * lr1 / n, median);
  }
};

TEST(SourceFit, SyntheticFieldCoverageConvergenceMonotone) {
  const FieldFit ff = fit_field(/*sources=*/220, /*size=*/520, /*seed=*/31);
  const auto& truth = ff.survey.truth;
  const double n = static_cast<double>(truth.size());
  ASSERT_GE(truth.size(), 200u);
  Tally flux_star, flux_gal, color_star, color_gal, position, brightness, all;
  std::array<Tally, kNumColors> color_by_index;
  int converged50 = 0, correct_type = 0, lr_mean_field = 0, lr_shape_cond = 0, isolated = 0,
      blended = 0, faint = 0, accepted_steps = 0, increases = 0, bright = 0, correct_bright = 0;
  for (std::size_t s = 0; s < truth.size(); ++s) {
    const auto& f = ff.fits[s];
    const auto& e = truth[s];
    const int t = e.is_star ? 0 : 1;
    const auto& F = t == 0 ? e.star_fluxes : e.gal_fluxes;
    isolated += ff.patches.neighbors[s].empty();
    blended += !ff.patches.neighbors[s].empty();
    faint += F[kRefBand] < 5.0;
    lr_mean_field += (f.lr_flags & (model::lr_flag::mean_field | model::lr_flag::unavailable)) != 0;
    lr_shape_cond += (f.lr_flags & model::lr_flag::shape_conditioned) != 0;
    const double dlnr = f.params[param::gamma(t)] - std::log(F[kRefBand]);
    const double mf_r = std::sqrt(f.params[param::zeta(t)]), lr_r = f.lr_sd[param::gamma(t)];
    (t == 0 ? flux_star : flux_gal).add(dlnr, mf_r, lr_r);
    all.add(dlnr, mf_r, lr_r);
    brightness.add(dlnr, mf_r, lr_r);
    const bool debug = std::getenv("CELESTE_DEBUG_FIT") != nullptr;
    if (debug)
      std::printf("s%zu %s r=%7.2f nb=%zu dlnr=%+.3f mf=%.3f lr=%.3f |", s, t == 0 ? "star" : "gal ",
                  F[kRefBand], ff.patches.neighbors[s].size(), dlnr, mf_r, lr_r);
    for (int j = 0; j < kNumColors; ++j) {
      const double err = f.params[param::beta(t, j)] - std::log(F[j + 1] / F[j]);
      const double mf = std::sqrt(f.params[param::lambda(t, j)]), lr = f.lr_sd[param::beta(t, j)];
      (t == 0 ? color_star : color_gal).add(err, mf, lr);
      color_by_index[j].add(err, mf, lr);
      all.add(err, mf, lr);
      brightness.add(err, mf, lr);
      if (debug) std::printf(" c%d %+.3f/%.3f/%.3f", j, err, mf, lr);
    }
    // Position: a point estimate in mean-field VI (sd 0 there); LR sd in degrees.
    for (int k = 0; k < 2; ++k) {
      const double err = f.params[k] - (k == 0 ? e.ra : e.dec);
      position.add(err, 0.0, f.lr_sd[k]);
      all.add(err, 0.0, f.lr_sd[k]);
    }
    if (debug)
      std::printf(" | chi=%.3f it=%d st=%d lr=%u\n", f.params[param::chi(0)], f.result.iterations,
                  f.result.status, f.lr_flags);
    if (debug && f.result.status != optimizer::converged) {
      for (const auto& it : f.trace)
        std::printf("    f_before %.9g f_trial %.9g %s\n", it.f_before, it.f_trial,
                    it.accepted ? "accepted" : "rejected");
      std::printf("    params:");
      for (int p = 0; p < kNumParams; ++p) std::printf(" %.4g", f.params[p]);
      std::printf("\n");
    }
    converged50 += f.result.status == optimizer::converged && f.result.iterations <= 50;
    const bool type_right = (f.params[param::chi(0)] > 0.5) == e.is_star;
    correct_type += type_right;
    if (F[kRefBand] >= 5.0) {
      ++bright;
      correct_bright += type_right;
    }
    // Monotone objective across accepted steps: each accepted trial is below the point it
    // started from, and each step starts from the previous accepted value.
    ASSERT_EQ(static_cast<int>(f.trace.size()), f.result.iterations) << "source " << s;
    double f_accepted = f.result.f_initial;
    for (const auto& it : f.trace) {
      EXPECT_EQ(it.f_before, f_accepted) << "source " << s;
      if (it.accepted) {
        ++accepted_steps;
        increases += !(it.f_trial <= it.f_before);
        EXPECT_LE(it.f_trial, it.f_before) << "source " << s;
        f_accepted = it.f_trial;
      }
    }
    EXPECT_EQ(f_accepted, f.result.f_final) << "source " << s;
    EXPECT_LE(f.result.f_final, f.result.f_initial) << "source " << s;
  }
  std::printf("  %zu sources (%d isolated, %d with neighbours, %d with r < 5 nmgy), %d batches\n",
              truth.size(), isolated, blended, faint, ff.batches);
  flux_star.print("log r-flux, stars");
  flux_gal.print("log r-flux, galaxies");
  color_star.print("colours, stars");
  color_gal.print("colours, galaxies");
  for (int j = 0; j < kNumColors; ++j) {
    const char* names[] = {"colour u-g", "colour g-r", "colour r-i", "colour i-z"};
    color_by_index[j].print(names[j]);
  }
  position.print("position (ra, dec)");
  brightness.print("log r-flux + colours");
  all.print("all");
  std::printf("  converged within 50 iterations %.1f%%, correct type %.1f%%, LR fell back to "
              "mean field %d, LR shape-conditioned %d; %d accepted steps, %d increases\n",
              100.0 * converged50 / n, 100.0 * correct_type / n, lr_mean_field, lr_shape_cond,
              accepted_steps, increases);
  std::printf("  correct type: %d of %.0f (%.1f%%); r >= 5 nmgy: %d of %d (%.1f%%)\n", correct_type,
              n, 100.0 * correct_type / n, correct_bright, bright, 100.0 * correct_bright / bright);
  EXPECT_GE(static_cast<double>(all.lr) / all.n, 0.95);
  EXPECT_GE(static_cast<double>(brightness.lr) / brightness.n, 0.95);
  // Not a coverage bought by inflating the sds: a calibrated sd has 68 % within 1 sd.
  EXPECT_LE(static_cast<double>(all.lr1) / all.n, 0.85);
  // Issue 6: >= 99 %. Measured 100.0 % (220 of 220; slowest 49 iterations, median 21). Was
  // 97.7 % with Optim's subproblem shift floor 1e-8 (λ_n − λ_1): parameters converging to a
  // box/simplex bound were damped to ~1/20 of their Newton step (source_fit.hpp
  // elbo_trust_region_options, docs/decisions.md "Optimizer: convergence at bounds").
  EXPECT_GE(converged50 / n, 0.99);
  EXPECT_GE(correct_type / n, 0.80) << correct_type << " of " << n << " typed correctly";
  ASSERT_GT(bright, 50);
  EXPECT_GE(static_cast<double>(correct_bright) / bright, 0.93)
      << correct_bright << " of " << bright << " sources with r >= 5 nmgy typed correctly";
  EXPECT_EQ(increases, 0);
}

}  // namespace
}  // namespace celeste::testing
