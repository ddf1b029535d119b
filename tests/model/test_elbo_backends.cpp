// The ELBO kernel gives the same value, gradient and Hessian on Serial and OpenMP, with team
// sizes 1 and 2 (1e-12 relative): run in every backend executable and at 1 and 2 threads.
// In the Serial executable the space under test is Kokkos::Serial itself, so the comparison
// would be of the kernel with itself (it cannot fail): that stamp skips, saying so. The kernel's
// correctness on any space is ElboReference.* (an independent brute-force AD evaluator).
#include <gtest/gtest.h>

#include <random>
#include <type_traits>

#include "harness/test_backend.hpp"
#include "model/elbo_checks.hpp"
#include "model/elbo_test_problem.hpp"

namespace celeste::testing {
namespace {

TEST(ElboBackends, SerialAndOpenMPAgree) {
  if (std::is_same<TestExecSpace, Kokkos::Serial>::value)
    GTEST_SKIP() << "the backend under test (" << kTestBackendName
                 << ") is Kokkos::Serial, the reference space itself: comparing Serial with "
                    "Serial cannot fail. Cross-backend agreement is checked by the openmp.t1 / "
                    "openmp.t2 stamps; correctness against an independent evaluator by "
                    "ElboReference.*";
  std::mt19937_64 rng(7);
  const TestProblem prob = make_test_problem(rng, 5, 2, 6);
  std::vector<std::array<double, kNumParams>> thetas;
  for (int i = 0; i < 12; ++i)
    thetas.push_back(random_parameters(rng, prob, static_cast<SourceKind>(i % 3)));
  const auto serial = run_kernel<Kokkos::Serial>(prob, thetas);
  const int max_team = std::min(2, TestExecSpace().concurrency());
  for (int team_size = 1; team_size <= max_team; ++team_size) {
    const auto other = run_kernel<TestExecSpace>(prob, thetas, team_size);
    for (std::size_t i = 0; i < thetas.size(); ++i) {
      EXPECT_LE(std::fabs(other[i].value - serial[i].value), 1e-12 * std::fabs(serial[i].value));
      EXPECT_LE(scaled_gradient_error(other[i].grad.data(), serial[i].grad.data()), 1e-12);
      EXPECT_LE(scaled_hessian_error(other[i].hess.data(), serial[i].hess.data()), 1e-12);
      if (team_size == 1)  // same team size: identical operation order, bitwise equal
        EXPECT_EQ(other[i].value, serial[i].value) << kTestBackendName;
    }
  }
}

}  // namespace
}  // namespace celeste::testing
