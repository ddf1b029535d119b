#pragma once
// The star/galaxy call by evidence (model variant K): the mean-field ELBO compares a star with a
// galaxy whose four shape parameters (θ, ρ, φ, σ) are point estimates, so a galaxy is credited
// with whatever those parameters gain from noise or from a neighbour's residual, with no Occam
// factor for them. A point-like galaxy (σ → 0) then ties with a star on the pixels and wins on
// noise. This round replaces the call of every galaxy-called target by the ratio of the two
// hypotheses' evidences:
//   ln Z_star ≈ ELBO of the source held at star (its flux and colours are already integrated
//               by q; the position is a point estimate in both hypotheses),
//   ln Z_gal  ≈ ELBO held at galaxy, with the galaxy-scale prior density at σ* replaced by
//               the shape prior's Occam factor ln ∫ exp(L(shape) − L*) p(shape) d shape,
//               taken as the product of one-dimensional integrals through the optimum along
//               θ, ρ, φ and ln σ (each prior proper: uniform on the θ and ρ boxes and on one
//               period of φ, the log-normal scale prior normalized on the σ box).
// prob_star = Φ_s Z_star / (Φ_s Z_star + Φ_g Z_gal), clamped to the type simplex box. A star
// call keeps the held-star fit (and the galaxy block of the galaxy fit), a galaxy call the
// galaxy fit. docs/decisions.md "Star/galaxy call by evidence".
#include <functional>
#include <vector>

#include "celeste/model/color_prior.hpp"
#include "inference/checkpoint.hpp"
#include "model/source_fit.hpp"
#include "survey/image.hpp"
#include "survey/source_result.hpp"

namespace celeste::inference {

struct TypeEvidenceOptions {
  // The Occam factor is computed only where it can change the call: ln odds (star : galaxy)
  // without it in (−max_penalty_nats, 0). The factors measured on the demo lie in −11 … 0
  // nats (docs/decisions.md).
  double max_penalty_nats = 15.0;
  // A galaxy this compact (σ at most, or axis ratio at most) also gets a star fit started from
  // its own flux and colours.
  double compact_scale_px = 1.0;
  double compact_axis_ratio = 0.1;
  double relative_tolerance = 1e-2;  // of each one-dimensional integral (adaptive Simpson)
  int max_depth = 10;                // of the adaptive Simpson bisection
};

struct TypeEvidenceOutcome {
  bool evaluated = false;      // a galaxy call whose evidence was compared
  bool flipped = false;        // ... now called a star
  double log_odds_star = 0;    // ln (Φ_s Z_star / Φ_g Z_gal)
  double shape_occam = 0;      // ln of the shape prior's Occam factor (0 when not needed)
  int shape_evaluations = 0;   // ELBO evaluations of the Occam factor's integrals
  WorkCounters work;           // fits and evaluations of the decision
};

// A point of a shape integral: coordinate `index` of the optimum set to `value`.
struct ShapePoint {
  int index;
  double value;
};

// ln ∫ exp(ΔL) p dθ dρ dφ d ln σ as the product of one-dimensional integrals through `optimum`,
// where delta_l(points)[k] is L − L* at points[k], and p the shape prior on `box` (uniform θ,
// ρ; φ uniform on one period; log-normal σ). The adaptive quadratures ask for their points in
// batches (every open branch's next points at once, each point once), and the result is that
// of evaluating them one after another.
double shape_occam_integral(
    const std::function<std::vector<double>(const std::vector<ShapePoint>&)>& delta_l,
    const model::SourceParams& optimum, const SourceBounds& box,
    const TypeEvidenceOptions& options);

// The galaxy shape's Occam factor at the galaxy hypothesis `galaxy` (q(galaxy) at its bound):
// ln ∫ exp(L − L*) p dθ dρ dφ d ln σ as the product of one-dimensional integrals, with L the
// ELBO under `prior` (the one `objective` evaluates) less the galaxy-scale prior term. Its
// value evaluations are counted in `work`.
double shape_occam_factor(const model::TargetObjective& objective,
                          const model::SourceParams& galaxy, const SourceBounds& box,
                          const model::ColorPrior& prior, const TypeEvidenceOptions& options,
                          WorkCounters& work);

// Decides the type of every galaxy-called target of `targets` by evidence; params/records are
// updated in place (the targets' parameters and records only: neighbours are held fixed). The
// targets must be pairwise non-neighbours (a Cyclades round): their decisions are then
// independent, and each hypothesis' fits of all of them run in one launch (in parallel).
// Outcomes in targets' order.
std::vector<TypeEvidenceOutcome> decide_types_by_evidence(
    const std::vector<survey::Image>& images, const model::SurveyPatches& patches,
    std::vector<model::SourceParams>& params, std::vector<survey::SourceResult>& records,
    const std::vector<SourceBounds>& boxes, const std::vector<int>& targets,
    const model::FitOptions& fit_options, const TypeEvidenceOptions& options);

// The same for one target s.
TypeEvidenceOutcome decide_type_by_evidence(const std::vector<survey::Image>& images,
                                            const model::SurveyPatches& patches,
                                            std::vector<model::SourceParams>& params,
                                            std::vector<survey::SourceResult>& records,
                                            const std::vector<SourceBounds>& boxes, int s,
                                            const model::FitOptions& fit_options,
                                            const TypeEvidenceOptions& options);

}  // namespace celeste::inference
