// The Kokkos ELBO kernel (value, gradient, Hessian over the 44 canonical parameters) against
// the independent brute-force reference evaluator differentiated by forward-mode AD.
// Required agreement: 1e-10 relative (scaled norms, elbo_checks.hpp).
#include <gtest/gtest.h>

#include <random>

#include "model/elbo_checks.hpp"
#include "model/elbo_test_problem.hpp"
#include "model/jet.hpp"
#include "model/reference_elbo.hpp"

namespace celeste::testing {
namespace {

ElboOutput reference_output(const TestProblem& prob, const std::array<double, kNumParams>& th) {
  constexpr int NL = kNumLikelihoodParams;
  std::vector<Jet<NL>> pl(kNumParams);
  for (int p = 0; p < kNumParams; ++p) pl[p] = p < NL ? Jet<NL>::variable(th[p], p) : Jet<NL>(th[p]);
  const Jet<NL> like = reference_likelihood(prob.patches, pl.data());
  std::vector<Jet<kNumParams>> pp(kNumParams);
  for (int p = 0; p < kNumParams; ++p) pp[p] = Jet<kNumParams>::variable(th[p], p);
  const Jet<kNumParams> prior = reference_prior_terms(pp.data());
  ElboOutput r;
  r.value = like.v + prior.v;
  r.hess.assign(kNumParams * kNumParams, 0.0);
  for (int p = 0; p < kNumParams; ++p) {
    r.grad[p] = prior.g[p] + (p < NL ? like.g[p] : 0.0);
    for (int q = 0; q < kNumParams; ++q)
      r.hess[p * kNumParams + q] = prior.h[p][q] + (p < NL && q < NL ? like.h[p][q] : 0.0);
  }
  return r;
}

void check_against_reference(SourceKind kind, int psf_k, std::uint64_t seed, int stamp_n = 0) {
  std::mt19937_64 rng(seed);
  const TestProblem prob =
      make_test_problem(rng, /*num_patches=*/5, psf_k, /*half_size=*/5, stamp_n);
  std::vector<std::array<double, kNumParams>> thetas;
  for (int i = 0; i < 3; ++i) thetas.push_back(random_parameters(rng, prob, kind));
  const auto kernel = run_kernel<Kokkos::DefaultExecutionSpace>(prob, thetas);
  for (std::size_t i = 0; i < thetas.size(); ++i) {
    const ElboOutput ref = reference_output(prob, thetas[i]);
    const double value_err = std::fabs(kernel[i].value - ref.value) / std::fabs(ref.value);
    const double grad_err = scaled_gradient_error(kernel[i].grad.data(), ref.grad.data());
    const double hess_err = scaled_hessian_error(kernel[i].hess.data(), ref.hess.data());
    EXPECT_LE(value_err, 1e-10) << "point " << i;
    EXPECT_LE(grad_err, 1e-10) << "point " << i;
    EXPECT_LE(hess_err, 1e-10) << "point " << i;
    std::printf("  point %zu: value %.6e  rel errors value %.2e grad %.2e hess %.2e\n", i,
                ref.value, value_err, grad_err, hess_err);
  }
}

TEST(ElboReference, StarMatchesReference) { check_against_reference(SourceKind::star, 2, 11); }
TEST(ElboReference, GalaxyMatchesReference) { check_against_reference(SourceKind::galaxy, 2, 12); }
TEST(ElboReference, MixedMatchesReference) { check_against_reference(SourceKind::mixed, 2, 13); }
TEST(ElboReference, ThreeComponentPsfMatchesReference) {
  check_against_reference(SourceKind::mixed, 3, 14);
}

// Pixelized star profile (model variant K): the stamp's spline, transform and position
// derivatives against the reference's own B-spline sum differentiated by AD.
TEST(ElboReference, PixelizedStarMatchesReference) {
  check_against_reference(SourceKind::star, 2, 16, /*stamp_n=*/21);
}
TEST(ElboReference, PixelizedStarMixedMatchesReference) {
  check_against_reference(SourceKind::mixed, 3, 17, /*stamp_n=*/25);
}

// `model.type_prior` reaches the KL: ELBO(Φ') − ELBO(Φ) = Σ_i χ_i (ln Φ'_i − ln Φ_i), and
// ∂/∂χ_i shifts by ln Φ'_i − ln Φ_i.
TEST(ElboReference, ConfigurableTypePrior) {
  std::mt19937_64 rng(15);
  const TestProblem prob = make_test_problem(rng, 2, 2, 3);
  const std::vector<std::array<double, kNumParams>> thetas{
      random_parameters(rng, prob, SourceKind::mixed)};
  const double other[2] = {0.95, 0.05};
  const auto base = run_kernel<Kokkos::DefaultExecutionSpace>(prob, thetas);
  const auto changed =
      run_kernel<Kokkos::DefaultExecutionSpace>(prob, thetas, 1, model::make_color_prior(other));
  double expected = 0;
  for (int i = 0; i < 2; ++i) {
    const double shift = std::log(other[i]) - std::log(constants::kTypePriorP[i]);
    expected += thetas[0][param::chi(i)] * shift;
    EXPECT_NEAR(changed[0].grad[param::chi(i)] - base[0].grad[param::chi(i)], shift, 1e-9);
  }
  EXPECT_NEAR(changed[0].value - base[0].value, expected, 1e-9 * std::fabs(base[0].value));
}

}  // namespace
}  // namespace celeste::testing
