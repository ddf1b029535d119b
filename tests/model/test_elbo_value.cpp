// The value-only ELBO kernel (kernels/celeste/model/elbo_value.hpp) gives the derivative
// kernel's value to rounding, for stars, galaxies and mixtures, with the PSF mixture and with
// pixelized star stamps, under both type priors, on the backend under test and at team sizes
// 1 and 2; and a batch of many vectors on one task's pixels gives each vector's own value.
#include <gtest/gtest.h>

#include <random>

#include "celeste/model/elbo_value.hpp"
#include "harness/test_backend.hpp"
#include "model/elbo_test_problem.hpp"

namespace celeste::testing {
namespace {

template <class ExecSpace>
std::vector<double> run_value_kernel(const TestProblem& prob,
                                     const std::vector<std::array<double, kNumParams>>& thetas,
                                     int team_size, const model::ColorPrior& prior) {
  using Mem = typename ExecSpace::memory_space;
  const int nt = static_cast<int>(thetas.size());
  auto in = upload_problem<Mem>(prob, nt);
  const auto theta = upload_thetas<Mem>(thetas);
  Kokkos::View<double*, Mem> value("value", nt);
  model::evaluate_elbo_value(ExecSpace(), in, theta, value, prior, team_size);
  ExecSpace().fence();
  auto v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), value);
  std::vector<double> out(nt);
  for (int t = 0; t < nt; ++t) out[t] = v(t);
  return out;
}

void expect_values_agree(const TestProblem& prob, std::mt19937_64& rng,
                         const model::ColorPrior& prior) {
  std::vector<std::array<double, kNumParams>> thetas;
  for (int i = 0; i < 12; ++i)
    thetas.push_back(random_parameters(rng, prob, static_cast<SourceKind>(i % 3)));
  const auto full = run_kernel<TestExecSpace>(prob, thetas, 1, prior);
  const int max_team = std::min(2, TestExecSpace().concurrency());
  for (int team_size = 1; team_size <= max_team; ++team_size) {
    const auto value = run_value_kernel<TestExecSpace>(prob, thetas, team_size, prior);
    for (std::size_t i = 0; i < thetas.size(); ++i)
      EXPECT_NEAR(value[i], full[i].value, 1e-12 * std::fabs(full[i].value))
          << "vector " << i << ", team size " << team_size << ", " << kTestBackendName;
  }
  // One vector alone and in a batch: the same value (each task its own vector).
  const auto alone = run_value_kernel<TestExecSpace>(prob, {thetas[4]}, 1, prior);
  const auto batch = run_value_kernel<TestExecSpace>(prob, thetas, 1, prior);
  EXPECT_EQ(alone[0], batch[4]);
}

TEST(ElboValue, MatchesDerivativeKernelWithPsfMixture) {
  std::mt19937_64 rng(11);
  const TestProblem prob = make_test_problem(rng, 5, 3, 6);
  expect_values_agree(prob, rng, model::make_color_prior());
  const double held_star[kNumTypes] = {1.0, 3.7e-44};
  expect_values_agree(prob, rng, model::make_color_prior(held_star));
}

TEST(ElboValue, MatchesDerivativeKernelWithStarStamps) {
  std::mt19937_64 rng(12);
  const TestProblem prob = make_test_problem(rng, 5, 2, 6, 9);
  expect_values_agree(prob, rng, model::make_color_prior());
}

}  // namespace
}  // namespace celeste::testing
