// ELBO gradient and Hessian against central finite differences (4-point, O(h⁴)) of the
// kernel's own value and gradient, at >= 20 random points each for stars, galaxies and mixed
// type probabilities, with fixed-neighbour background, 5 bands and a 2-component PSF.
// Required: relative error <= 1e-6 in the scaled ∞-norms of elbo_checks.hpp. Also the chain
// rule to the 41 free parameters (model.md §5.7) against finite differences in free space.
#include <gtest/gtest.h>

#include <random>

#include "celeste/transforms.hpp"
#include "model/elbo_checks.hpp"
#include "model/elbo_test_problem.hpp"

namespace celeste::testing {
namespace {

constexpr int kPointsPerKind = 20;

// Step for parameter p at θ: 1e-3 of its unit, relative for the log-scaled ones.
double fd_step(int p, double value) {
  const bool relative = (p >= param::zeta(0) && p <= param::zeta(1)) ||
                        (p >= param::lambda(0, 0) && p <= param::lambda(1, 3)) ||
                        p >= param::type_prob || p == param::radius;
  return 1e-3 * (relative ? value : param_unit(p));
}

void check_finite_differences(SourceKind kind, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const TestProblem prob = make_test_problem(rng, /*num_patches=*/5, /*psf_k=*/2,
                                             /*half_size=*/3);
  double worst_grad = 0, worst_hess = 0;
  for (int point = 0; point < kPointsPerKind; ++point) {
    const auto theta = random_parameters(rng, prob, kind);
    // Task 0: the point; then 4 perturbations (−2h, −h, +h, +2h) per parameter.
    std::vector<std::array<double, kNumParams>> thetas{theta};
    std::array<double, kNumParams> step{};
    for (int p = 0; p < kNumParams; ++p) {
      step[p] = fd_step(p, theta[p]);
      for (int m : {-2, -1, 1, 2}) {
        auto t = theta;
        t[p] += m * step[p];
        thetas.push_back(t);
      }
    }
    const auto out = run_kernel<Kokkos::DefaultExecutionSpace>(prob, thetas);
    std::array<double, kNumParams> fd_grad{};
    std::vector<double> fd_hess(kNumParams * kNumParams);
    for (int p = 0; p < kNumParams; ++p) {
      const auto& m2 = out[1 + 4 * p], &m1 = out[2 + 4 * p], &p1 = out[3 + 4 * p],
                 &p2 = out[4 + 4 * p];
      const double h12 = 12.0 * step[p];
      fd_grad[p] = (m2.value - 8.0 * m1.value + 8.0 * p1.value - p2.value) / h12;
      for (int q = 0; q < kNumParams; ++q)
        fd_hess[q * kNumParams + p] =
            (m2.grad[q] - 8.0 * m1.grad[q] + 8.0 * p1.grad[q] - p2.grad[q]) / h12;
    }
    const double ge = scaled_gradient_error(out[0].grad.data(), fd_grad.data());
    const double he = scaled_hessian_error(out[0].hess.data(), fd_hess.data());
    EXPECT_LE(ge, 1e-6) << "point " << point;
    EXPECT_LE(he, 1e-6) << "point " << point;
    // The analytic Hessian must be exactly symmetric.
    for (int p = 0; p < kNumParams; ++p)
      for (int q = 0; q < p; ++q)
        ASSERT_EQ(out[0].hess[p * kNumParams + q], out[0].hess[q * kNumParams + p]);
    worst_grad = std::fmax(worst_grad, ge);
    worst_hess = std::fmax(worst_hess, he);
  }
  std::printf("  %d points: worst relative error gradient %.2e, Hessian %.2e\n", kPointsPerKind,
              worst_grad, worst_hess);
}

TEST(ElboFiniteDifferences, Stars) { check_finite_differences(SourceKind::star, 101); }
TEST(ElboFiniteDifferences, Galaxies) { check_finite_differences(SourceKind::galaxy, 102); }
TEST(ElboFiniteDifferences, MixedTypes) { check_finite_differences(SourceKind::mixed, 103); }

// Free-parameter value/gradient/Hessian (chain rule of model.md §5.7) vs finite differences
// in the free coordinates.
TEST(ElboFiniteDifferences, FreeParameterChainRule) {
  std::mt19937_64 rng(104);
  const TestProblem prob = make_test_problem(rng, 5, 2, 3);
  const SourceBounds bounds =
      make_source_bounds(prob.u0[0], prob.u0[1], constants::kPositionHalfWidthDeg);
  double worst_grad = 0, worst_hess = 0;
  for (int point = 0; point < 5; ++point) {
    auto theta = random_parameters(rng, prob, SourceKind::mixed);
    enforce_bounds(theta.data(), bounds);
    std::array<double, kNumFreeParams> y{};
    to_free(theta.data(), bounds, y.data());
    const double h = 1e-3;
    std::vector<std::array<double, kNumParams>> thetas;
    auto push = [&](const std::array<double, kNumFreeParams>& yy) {
      std::array<double, kNumParams> t{};
      to_canonical(yy.data(), bounds, t.data());
      thetas.push_back(t);
    };
    push(y);
    for (int f = 0; f < kNumFreeParams; ++f)
      for (int m : {-2, -1, 1, 2}) {
        auto yy = y;
        yy[f] += m * h;
        push(yy);
      }
    const auto out = run_kernel<Kokkos::DefaultExecutionSpace>(prob, thetas);
    auto free_derivs = [&](int i, double* gy, double* Hy) {
      chain_rule_to_free(thetas[i].data(), bounds, out[i].grad.data(), out[i].hess.data(), gy,
                         Hy);
    };
    std::vector<double> gy(kNumFreeParams), Hy(kNumFreeParams * kNumFreeParams);
    free_derivs(0, gy.data(), Hy.data());
    std::vector<double> fd_g(kNumFreeParams), fd_H(kNumFreeParams * kNumFreeParams);
    std::vector<double> g_m2(kNumFreeParams), g_m1(kNumFreeParams), g_p1(kNumFreeParams),
        g_p2(kNumFreeParams), scratch(kNumFreeParams * kNumFreeParams);
    for (int f = 0; f < kNumFreeParams; ++f) {
      const int b = 1 + 4 * f;
      fd_g[f] = (out[b].value - 8 * out[b + 1].value + 8 * out[b + 2].value - out[b + 3].value) /
                (12 * h);
      free_derivs(b, g_m2.data(), scratch.data());
      free_derivs(b + 1, g_m1.data(), scratch.data());
      free_derivs(b + 2, g_p1.data(), scratch.data());
      free_derivs(b + 3, g_p2.data(), scratch.data());
      for (int q = 0; q < kNumFreeParams; ++q)
        fd_H[q * kNumFreeParams + f] = (g_m2[q] - 8 * g_m1[q] + 8 * g_p1[q] - g_p2[q]) / (12 * h);
    }
    double gnum = 0, gden = 0, hnum = 0, hden = 0;
    for (int f = 0; f < kNumFreeParams; ++f) {
      gnum = std::fmax(gnum, std::fabs(gy[f] - fd_g[f]));
      gden = std::fmax(gden, std::fabs(fd_g[f]));
      for (int q = 0; q < kNumFreeParams; ++q) {
        hnum = std::fmax(hnum, std::fabs(Hy[f * kNumFreeParams + q] - fd_H[f * kNumFreeParams + q]));
        hden = std::fmax(hden, std::fabs(fd_H[f * kNumFreeParams + q]));
        ASSERT_EQ(Hy[f * kNumFreeParams + q], Hy[q * kNumFreeParams + f]);
      }
    }
    EXPECT_LE(gnum / gden, 1e-6);
    EXPECT_LE(hnum / hden, 1e-6);
    worst_grad = std::fmax(worst_grad, gnum / gden);
    worst_hess = std::fmax(worst_hess, hnum / hden);
  }
  std::printf("  free parameters: worst relative error gradient %.2e, Hessian %.2e\n", worst_grad,
              worst_hess);
}

}  // namespace
}  // namespace celeste::testing
