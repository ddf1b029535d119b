// The harness itself: this one source is stamped per Kokkos backend and thread count. It checks
// that the backend really runs with the thread count its ctest entry registered (the
// --kokkos-threads=N on this process's own command line, read back from /proc/self/cmdline,
// so a 1-thread and a 2-thread run are told apart) on that many distinct threads, and that the
// team + scratch pattern the model kernels rely on gives identical results on every backend.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#if defined(CELESTE_TEST_BACKEND_OPENMP)
#include <omp.h>
#endif

#include "harness/test_backend.hpp"

namespace {

using celeste::testing::TestExecSpace;
using celeste::testing::TestMemSpace;

// N of --kokkos-threads=N / --kokkos-num-threads=N on this process's command line; 0 if none.
int registered_threads() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    const std::string arg = all.substr(start, end - start);
    for (const std::string flag : {"--kokkos-threads=", "--kokkos-num-threads="})
      if (arg.rfind(flag, 0) == 0) return std::atoi(arg.c_str() + flag.size());
    start = end + 1;
  }
  return 0;
}

// The number of distinct threads that ran iterations of one parallel_for.
int threads_used() {
#if defined(CELESTE_TEST_BACKEND_OPENMP)
  const int n = 1 << 16;
  Kokkos::View<int*, TestMemSpace> who("Celeste::Test::who", n);
  Kokkos::parallel_for(
      "Celeste::Test::who", Kokkos::RangePolicy<TestExecSpace>(0, n),
      KOKKOS_LAMBDA(int i) { who(i) = omp_get_thread_num(); });
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), who);
  std::set<int> ids(host.data(), host.data() + n);
  return static_cast<int>(ids.size());
#else
  return 1;
#endif
}

TEST(KokkosBackend, ConcurrencyMatchesRegistration) {
  const int concurrency = TestExecSpace::concurrency();
  if (std::string(celeste::testing::kTestBackendName) == "serial") {
    EXPECT_EQ(concurrency, 1);
    EXPECT_EQ(threads_used(), 1);
    return;
  }
  const int registered = registered_threads();
  if (registered == 0)
    GTEST_SKIP() << "no --kokkos-threads=N on the command line (ctest registers one per entry: "
                    "openmp.t1, openmp.t2); nothing to compare concurrency " << concurrency
                 << " with";
  EXPECT_EQ(concurrency, registered) << "registered --kokkos-threads=" << registered;
#if defined(CELESTE_TEST_BACKEND_OPENMP)
  EXPECT_EQ(threads_used(), registered) << "distinct OpenMP threads that ran a parallel_for";
#endif
}

// nvcc: a device lambda may not be written inside a TEST body (a private member function), so
// the device loops of the next two tests are free functions.
long long sum_of_indices(int n) {
  long long sum = 0;
  Kokkos::parallel_reduce(
      "Celeste::Test::sum", Kokkos::RangePolicy<TestExecSpace>(0, n),
      KOKKOS_LAMBDA(int i, long long& acc) { acc += i; }, sum);
  return sum;
}

TEST(KokkosBackend, ParallelReduceSumsExactly) {
  const int n = 100000;
  const long long sum = sum_of_indices(n);
  EXPECT_EQ(sum, static_cast<long long>(n) * (n - 1) / 2);
}

// One team per "source", per-team scratch, nested reduction: the shape of the ELBO kernel.
void team_scratch_sums(const Kokkos::View<double*, TestMemSpace>& out, int teams, int per_team,
                       int scratch_len) {
  using policy_t = Kokkos::TeamPolicy<TestExecSpace>;
  using scratch_view = Kokkos::View<double*, typename TestExecSpace::scratch_memory_space,
                                    Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
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
}

TEST(KokkosBackend, TeamScratchReductionIsDeterministic) {
  const int teams = 37, per_team = 1000, scratch_len = 8;
  Kokkos::View<double*, TestMemSpace> out("Celeste::Test::out", teams);
  team_scratch_sums(out, teams, per_team, scratch_len);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  for (int t = 0; t < teams; ++t) {
    double expected = 0;
    for (int i = 0; i < per_team; ++i) expected += 1.0 / (t + i % scratch_len + 1) * (i + 1);
    EXPECT_NEAR(host(t), expected, 1e-12 * expected) << "team " << t;
  }
}

}  // namespace
