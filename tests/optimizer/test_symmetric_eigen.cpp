// Jacobi eigensolver against known spectra, and the KokkosBatched LU/Trsv SPD solve path,
// both run inside Kokkos kernels on the backend under test.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "celeste/optimizer/spd_solve.hpp"
#include "celeste/optimizer/symmetric_eigen.hpp"
#include "harness/test_backend.hpp"
#include "optimizer/test_matrices.hpp"

namespace {

using celeste::testing::TestExecSpace;
using celeste::testing::TestMemSpace;
using namespace celeste::optimizer;
using celeste::optimizer::testing::DenseMatrix;

using Matrices = Kokkos::View<double***, Kokkos::LayoutRight, TestMemSpace>;
using Vectors = Kokkos::View<double**, Kokkos::LayoutRight, TestMemSpace>;

struct EigenCase {
  std::vector<double> spectrum;  // any order
  unsigned seed;
};

// Runs serial_symmetric_eigen on every matrix in parallel on the backend under test.
struct EigenRun {
  std::vector<EigenStatus> status;
  std::vector<int> sweeps;
  Matrices::HostMirror vectors;
  Vectors::HostMirror values;
};

// team_size 0: serial_symmetric_eigen, one matrix per thread; ≥ 1: team_symmetric_eigen, one
// matrix per team of that size.
EigenRun run_eigen(const std::vector<DenseMatrix>& matrices, int n, int max_sweeps = 50,
                   int team_size = 0) {
  const int batch = int(matrices.size());
  Matrices a("a", batch, n, n), v("v", batch, n, n);
  Vectors w("w", batch, n);
  Kokkos::View<int*, TestMemSpace> status("status", batch), sweeps("sweeps", batch);
  auto a_host = Kokkos::create_mirror_view(a);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) a_host(b, i, j) = matrices[b](i, j);
  Kokkos::deep_copy(a, a_host);
  if (team_size == 0) {
    Kokkos::parallel_for(
        "Celeste::Optimizer::Test::eigen", Kokkos::RangePolicy<TestExecSpace>(0, batch),
        KOKKOS_LAMBDA(int b) {
          auto ab = Kokkos::subview(a, b, Kokkos::ALL, Kokkos::ALL);
          auto vb = Kokkos::subview(v, b, Kokkos::ALL, Kokkos::ALL);
          auto wb = Kokkos::subview(w, b, Kokkos::ALL);
          const EigenResult r = serial_symmetric_eigen(n, ab, wb, vb, max_sweeps);
          status(b) = int(r.status);
          sweeps(b) = r.sweeps;
        });
  } else {
    using policy = Kokkos::TeamPolicy<TestExecSpace>;
    Kokkos::parallel_for(
        "Celeste::Optimizer::Test::team_eigen", policy(batch, team_size),
        KOKKOS_LAMBDA(const policy::member_type& member) {
          const int b = member.league_rank();
          auto ab = Kokkos::subview(a, b, Kokkos::ALL, Kokkos::ALL);
          auto vb = Kokkos::subview(v, b, Kokkos::ALL, Kokkos::ALL);
          auto wb = Kokkos::subview(w, b, Kokkos::ALL);
          const EigenResult r = team_symmetric_eigen(member, n, ab, wb, vb, max_sweeps);
          Kokkos::single(Kokkos::PerTeam(member), [&]() {
            status(b) = int(r.status);
            sweeps(b) = r.sweeps;
          });
        });
  }
  EigenRun run;
  run.vectors = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  run.values = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), w);
  auto status_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), status);
  auto sweeps_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), sweeps);
  for (int b = 0; b < batch; ++b) {
    run.status.push_back(EigenStatus(status_host(b)));
    run.sweeps.push_back(sweeps_host(b));
  }
  return run;
}

void check_known_spectra(int n, const std::vector<EigenCase>& cases) {
  std::vector<DenseMatrix> matrices;
  for (const auto& c : cases) {
    std::mt19937_64 rng(c.seed);
    matrices.push_back(celeste::optimizer::testing::with_spectrum(
        celeste::optimizer::testing::random_orthogonal(n, rng), c.spectrum));
  }
  const EigenRun run = run_eigen(matrices, n);
  for (size_t b = 0; b < cases.size(); ++b) {
    SCOPED_TRACE("case " + std::to_string(b) + ", n = " + std::to_string(n));
    ASSERT_EQ(run.status[b], EigenStatus::converged);
    EXPECT_LE(run.sweeps[b], 20);
    const DenseMatrix& a = matrices[b];
    // The zero matrix case is measured in absolute terms.
    const double norm_a = std::max(celeste::optimizer::testing::frobenius_norm(a), 1e-300);
    std::vector<double> truth = cases[b].spectrum;
    std::sort(truth.begin(), truth.end());
    double max_value_error = 0, max_residual = 0, max_orthogonality = 0;
    for (int j = 0; j < n; ++j) {
      if (j > 0) EXPECT_LE(run.values(b, j - 1), run.values(b, j)) << "not ascending";
      max_value_error = std::max(max_value_error, std::abs(run.values(b, j) - truth[j]));
      double residual2 = 0;
      for (int i = 0; i < n; ++i) {
        double av = 0;
        for (int k = 0; k < n; ++k) av += a(i, k) * run.vectors(b, k, j);
        const double r = av - run.values(b, j) * run.vectors(b, i, j);
        residual2 += r * r;
      }
      max_residual = std::max(max_residual, std::sqrt(residual2));
      for (int k = 0; k < n; ++k) {
        double dot = 0;
        for (int i = 0; i < n; ++i) dot += run.vectors(b, i, j) * run.vectors(b, i, k);
        max_orthogonality = std::max(max_orthogonality, std::abs(dot - (j == k ? 1.0 : 0.0)));
      }
    }
    std::printf("n=%2d case %zu: %2d sweeps, |w - truth| %.1e, residual %.1e, orthogonality %.1e\n",
                n, b, run.sweeps[b], max_value_error / norm_a, max_residual / norm_a,
                max_orthogonality);
    if (norm_a == 1e-300) {
      EXPECT_EQ(max_value_error, 0.0);
      EXPECT_EQ(max_residual, 0.0);
    } else {
      EXPECT_LE(max_value_error / norm_a, 1e-12);
      EXPECT_LE(max_residual / norm_a, 1e-12);
    }
    EXPECT_LE(max_orthogonality, 1e-12);
  }
}

std::vector<double> uniform_spectrum(int n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> d(n);
  for (double& x : d) x = u(rng);
  return d;
}

TEST(SymmetricEigen, TwoByTwo) {
  check_known_spectra(2, {{{-1.0, 3.0}, 1},
                          {{2.0, 2.0}, 2},          // repeated
                          {{0.0, 0.0}, 3},          // zero matrix
                          {{-4.0, 1e-9}, 4},
                          {{1e6, -1e-6}, 5}});
}

TEST(SymmetricEigen, SevenClusteredAndNegative) {
  check_known_spectra(7, {{{1.0, 1.0 + 1e-12, 1.0 + 2e-12, -5.0, -5.0, 0.0, 3.0}, 11},
                          {{-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0}, 12},  // -I rotated
                          {{-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}, 13}});
}

TEST(SymmetricEigen, FortyOne) {
  std::vector<double> repeated(41, 2.5);
  for (int i = 0; i < 10; ++i) repeated[i] = -7.0;
  check_known_spectra(41, {{uniform_spectrum(41, -10.0, 10.0, 21), 21},
                           {repeated, 22},
                           {uniform_spectrum(41, 1e-3, 1e3, 23), 23}});
}

TEST(SymmetricEigen, FortyFourWideRange) {
  std::vector<double> wide(44);
  for (int i = 0; i < 44; ++i) wide[i] = (i % 3 == 0 ? -1.0 : 1.0) * std::pow(10.0, -8.0 + 12.0 * i / 43.0);
  std::vector<double> clustered = uniform_spectrum(44, -1.0, 1.0, 32);
  for (int i = 0; i < 8; ++i) clustered[i] = -0.5 + 1e-13 * i;
  check_known_spectra(44, {{wide, 31}, {clustered, 32}, {uniform_spectrum(44, -1e4, 1e4, 33), 33}});
}

TEST(SymmetricEigen, ZeroDiagonalAndDiagonalInputs) {
  // Off-diagonal only: the relative negligibility test can never fire; the floor must end it.
  DenseMatrix antidiagonal(3);
  antidiagonal(0, 1) = antidiagonal(1, 0) = 1.0;
  antidiagonal(1, 2) = antidiagonal(2, 1) = 1e-300;
  DenseMatrix diagonal(3);
  diagonal(0, 0) = 3.0;
  diagonal(1, 1) = -1.0;
  diagonal(2, 2) = 2.0;
  const EigenRun run = run_eigen({antidiagonal, diagonal}, 3);
  ASSERT_EQ(run.status[0], EigenStatus::converged);
  EXPECT_NEAR(run.values(0, 0), -1.0, 1e-15);
  EXPECT_NEAR(run.values(0, 1), 0.0, 1e-15);
  EXPECT_NEAR(run.values(0, 2), 1.0, 1e-15);
  ASSERT_EQ(run.status[1], EigenStatus::converged);
  EXPECT_EQ(run.sweeps[1], 0);
  EXPECT_EQ(run.values(1, 0), -1.0);
  EXPECT_EQ(run.values(1, 1), 2.0);
  EXPECT_EQ(run.values(1, 2), 3.0);
  EXPECT_EQ(run.vectors(1, 1, 0), 1.0);  // eigenvector of -1 is e_1
  EXPECT_EQ(run.vectors(1, 2, 1), 1.0);
  EXPECT_EQ(run.vectors(1, 0, 2), 1.0);
}

TEST(SymmetricEigen, ReportsNonFiniteAndNonConvergence) {
  std::mt19937_64 rng(41);
  DenseMatrix good = celeste::optimizer::testing::with_spectrum(
      celeste::optimizer::testing::random_orthogonal(41, rng), uniform_spectrum(41, -1, 1, 41));
  DenseMatrix with_nan = good;
  with_nan(3, 5) = std::numeric_limits<double>::quiet_NaN();
  DenseMatrix with_inf = good;
  with_inf(7, 7) = std::numeric_limits<double>::infinity();
  EigenRun run = run_eigen({good, with_nan, with_inf}, 41);
  EXPECT_EQ(run.status[0], EigenStatus::converged);
  EXPECT_EQ(run.status[1], EigenStatus::nonfinite_input);
  EXPECT_EQ(run.status[2], EigenStatus::nonfinite_input);
  run = run_eigen({good}, 41, /*max_sweeps=*/2);
  EXPECT_EQ(run.status[0], EigenStatus::not_converged);
  EXPECT_EQ(run.sweeps[0], 2);
}

// Many SPD systems solved through KokkosBatched SerialLU + SerialTrsv in one kernel.
// The team solve gives the serial solve's bits (status, sweeps, eigenvalues, eigenvectors) at
// team sizes 1 and 2, for converging, clustered, wide-range, zero-diagonal, non-finite and
// non-converging inputs.
TEST(SymmetricEigen, TeamSolveIsBitwiseTheSerialOne) {
  std::mt19937_64 rng(4141);
  using celeste::optimizer::testing::random_orthogonal;
  using celeste::optimizer::testing::with_spectrum;
  std::vector<double> clustered = uniform_spectrum(44, -1.0, 1.0, 32);
  for (int i = 0; i < 8; ++i) clustered[i] = -0.5 + 1e-13 * i;
  std::vector<double> wide(44);
  for (int i = 0; i < 44; ++i) wide[i] = (i % 3 == 0 ? -1.0 : 1.0) * std::pow(10.0, -8.0 + 12.0 * i / 43.0);
  std::vector<DenseMatrix> m{with_spectrum(random_orthogonal(44, rng), uniform_spectrum(44, -10, 10, 1)),
                             with_spectrum(random_orthogonal(44, rng), clustered),
                             with_spectrum(random_orthogonal(44, rng), wide)};
  DenseMatrix antidiagonal(44);
  for (int i = 0; i + 1 < 44; ++i) antidiagonal(i, i + 1) = antidiagonal(i + 1, i) = i % 2 ? 1.0 : 1e-300;
  m.push_back(antidiagonal);
  DenseMatrix with_nan = m[0];
  with_nan(3, 5) = std::numeric_limits<double>::quiet_NaN();
  m.push_back(with_nan);
  const int max_team = std::min(2, TestExecSpace().concurrency());  // Serial, openmp.t1: 1
  for (int sweeps : {50, 2}) {
    const EigenRun serial = run_eigen(m, 44, sweeps);
    for (int team_size = 1; team_size <= max_team; ++team_size) {
      const EigenRun team = run_eigen(m, 44, sweeps, team_size);
      for (std::size_t b = 0; b < m.size(); ++b) {
        SCOPED_TRACE("matrix " + std::to_string(b) + ", team size " + std::to_string(team_size) +
                     ", max sweeps " + std::to_string(sweeps));
        EXPECT_EQ(team.status[b], serial.status[b]);
        EXPECT_EQ(team.sweeps[b], serial.sweeps[b]);
        if (serial.status[b] == EigenStatus::nonfinite_input) continue;
        int differing = 0;
        for (int i = 0; i < 44; ++i) {
          differing += team.values(b, i) != serial.values(b, i);
          for (int j = 0; j < 44; ++j) differing += team.vectors(b, i, j) != serial.vectors(b, i, j);
        }
        EXPECT_EQ(differing, 0) << "eigenvalue/eigenvector entries not bitwise equal";
      }
    }
  }
}

// nvcc: a device lambda may not be written inside a TEST body (a private member function), so
// the device loops of the SpdSolve tests are free functions.
void solve_batch(int n, int batch, const Matrices& lu, const Vectors& b, const Vectors& x,
                 const Vectors& tmp, const Kokkos::View<double*, TestMemSpace>& quadratic,
                 const Kokkos::View<int*, TestMemSpace>& factored) {
  Kokkos::parallel_for(
      "Celeste::Optimizer::Test::spd_solve", Kokkos::RangePolicy<TestExecSpace>(0, batch),
      KOKKOS_LAMBDA(int k) {
        auto luk = Kokkos::subview(lu, k, Kokkos::ALL, Kokkos::ALL);
        auto xk = Kokkos::subview(x, k, Kokkos::ALL);
        factored(k) = spd_factor(n, luk) ? 1 : 0;
        for (int i = 0; i < n; ++i) xk(i) = b(k, i);
        spd_solve_factored(n, luk, xk);
        quadratic(k) = spd_inverse_quadratic_form(n, luk, Kokkos::subview(b, k, Kokkos::ALL),
                                                  Kokkos::subview(tmp, k, Kokkos::ALL));
      });
}

void factor_indefinite(const Kokkos::View<double**, Kokkos::LayoutRight, TestMemSpace>& a,
                       const Kokkos::View<int*, TestMemSpace>& ok) {
  Kokkos::parallel_for(
      "Celeste::Optimizer::Test::indefinite", Kokkos::RangePolicy<TestExecSpace>(0, 1),
      KOKKOS_LAMBDA(int) {
        // eigenvalues 3, 1, -1 (indefinite)
        a(0, 0) = 1; a(0, 1) = 2; a(0, 2) = 0;
        a(1, 0) = 2; a(1, 1) = 1; a(1, 2) = 0;
        a(2, 0) = 0; a(2, 1) = 0; a(2, 2) = 1;
        ok(0) = spd_factor(3, a) ? 1 : 0;
      });
}

TEST(SpdSolve, BatchedLuTrsvRelativeResidual) {
  const int n = 44, batch = 256;
  Matrices a("a", batch, n, n), lu("lu", batch, n, n);
  Vectors b("b", batch, n), x("x", batch, n), tmp("tmp", batch, n);
  Kokkos::View<double*, TestMemSpace> quadratic("quadratic", batch);
  Kokkos::View<int*, TestMemSpace> factored("factored", batch);
  auto a_host = Kokkos::create_mirror_view(a);
  auto b_host = Kokkos::create_mirror_view(b);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int k = 0; k < batch; ++k) {
    // Condition numbers from 1 to 1e8 across the batch.
    const double cond_exp = 8.0 * k / (batch - 1);
    std::vector<double> d(n);
    for (int i = 0; i < n; ++i) d[i] = std::pow(10.0, -cond_exp * i / (n - 1));
    const DenseMatrix m = celeste::optimizer::testing::with_spectrum(
        celeste::optimizer::testing::random_orthogonal(n, rng), d);
    for (int i = 0; i < n; ++i) {
      b_host(k, i) = normal(rng);
      for (int j = 0; j < n; ++j) a_host(k, i, j) = m(i, j);
    }
  }
  Kokkos::deep_copy(a, a_host);
  Kokkos::deep_copy(b, b_host);
  Kokkos::deep_copy(lu, a);
  solve_batch(n, batch, lu, b, x, tmp, quadratic, factored);
  auto x_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
  auto q_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), quadratic);
  auto f_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), factored);
  double worst = 0.0;
  for (int k = 0; k < batch; ++k) {
    ASSERT_EQ(f_host(k), 1) << "system " << k;
    double r2 = 0, a2 = 0, x2 = 0, bx = 0;
    for (int i = 0; i < n; ++i) {
      double ax = 0;
      for (int j = 0; j < n; ++j) {
        ax += a_host(k, i, j) * x_host(k, j);
        a2 += a_host(k, i, j) * a_host(k, i, j);
      }
      r2 += (ax - b_host(k, i)) * (ax - b_host(k, i));
      x2 += x_host(k, i) * x_host(k, i);
      bx += b_host(k, i) * x_host(k, i);
    }
    // Normwise backward error ||Ax - b|| / (||A|| ||x||): independent of the conditioning.
    const double relative_residual = std::sqrt(r2) / (std::sqrt(a2) * std::sqrt(x2));
    worst = std::max(worst, relative_residual);
    EXPECT_LE(relative_residual, 1e-12) << "system " << k;
    // s^T A^{-1} s through the unit-lower factor equals b . x.
    EXPECT_NEAR(q_host(k), bx, 1e-9 * std::abs(bx)) << "system " << k;
  }
  std::printf("worst normwise relative residual over %d systems: %.2e\n", batch, worst);
}

TEST(SpdSolve, RejectsIndefiniteMatrix) {
  Kokkos::View<double**, Kokkos::LayoutRight, TestMemSpace> a("a", 3, 3);
  Kokkos::View<int*, TestMemSpace> ok("ok", 2);
  factor_indefinite(a, ok);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ok);
  EXPECT_EQ(host(0), 0);
}

}  // namespace
