// The harness itself: this one source is stamped per Kokkos backend and thread count. It checks
// that the backend really runs (concurrency as registered) and the team + scratch pattern the
// model kernels rely on gives identical results on every backend.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <cstdlib>
#include <string>

#include "harness/test_backend.hpp"

namespace {

using celeste::testing::TestExecSpace;
using celeste::testing::TestMemSpace;

TEST(KokkosBackend, ConcurrencyMatchesRegistration) {
  const int concurrency = TestExecSpace::concurrency();
  if (std::string(celeste::testing::kTestBackendName) == "serial") {
    EXPECT_EQ(concurrency, 1);
  } else {
    EXPECT_GE(concurrency, 1);
    EXPECT_LE(concurrency, 2);  // registered at --kokkos-threads=1 and 2
  }
}

TEST(KokkosBackend, ParallelReduceSumsExactly) {
  const int n = 100000;
  long long sum = 0;
  Kokkos::parallel_reduce(
      "Celeste::Test::sum", Kokkos::RangePolicy<TestExecSpace>(0, n),
      KOKKOS_LAMBDA(int i, long long& acc) { acc += i; }, sum);
  EXPECT_EQ(sum, static_cast<long long>(n) * (n - 1) / 2);
}

// One team per "source", per-team scratch, nested reduction: the shape of the ELBO kernel.
TEST(KokkosBackend, TeamScratchReductionIsDeterministic) {
  using policy_t = Kokkos::TeamPolicy<TestExecSpace>;
  using scratch_view = Kokkos::View<double*, typename TestExecSpace::scratch_memory_space,
                                    Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  const int teams = 37, per_team = 1000, scratch_len = 8;
  Kokkos::View<double*, TestMemSpace> out("Celeste::Test::out", teams);
  policy_t policy(teams, Kokkos::AUTO);
  policy.set_scratch_size(0, Kokkos::PerTeam(scratch_view::shmem_size(scratch_len)));
  Kokkos::parallel_for(
      "Celeste::Test::team_scratch", policy, KOKKOS_LAMBDA(const policy_t::member_type& team) {
        scratch_view params(team.team_scratch(0), scratch_len);
        const int t = team.league_rank();
        Kokkos::single(Kokkos::PerTeam(team), [&]() {
          for (int k = 0; k < scratch_len; ++k) params(k) = 1.0 / (t + k + 1);
        });
        team.team_barrier();
        double acc = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, per_team),
            [&](int i, double& a) { a += params(i % scratch_len) * (i + 1); }, acc);
        Kokkos::single(Kokkos::PerTeam(team), [&]() { out(t) = acc; });
      });
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  for (int t = 0; t < teams; ++t) {
    double expected = 0;
    for (int i = 0; i < per_team; ++i) expected += 1.0 / (t + i % scratch_len + 1) * (i + 1);
    EXPECT_NEAR(host(t), expected, 1e-12 * expected) << "team " << t;
  }
}

}  // namespace
