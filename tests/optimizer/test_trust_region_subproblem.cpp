// Trust-region subproblem (model.md §6.2): interior, boundary and hard cases against their
// optimality conditions, the Cauchy point, and a brute-force minimizer for n = 2.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "celeste/optimizer/trust_region_subproblem.hpp"
#include "harness/test_backend.hpp"
#include "optimizer/test_matrices.hpp"

namespace {

using namespace celeste::optimizer;
using celeste::optimizer::testing::DenseMatrix;
using HostMatrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using HostVector = Kokkos::View<double*, Kokkos::HostSpace>;

struct Problem {
  DenseMatrix q;            // eigenvectors (columns)
  std::vector<double> d;    // eigenvalues, in the order of q's columns
  DenseMatrix h;
  std::vector<double> g;
};

Problem make_problem(const std::vector<double>& d, const std::vector<double>& qg, unsigned seed) {
  const int n = int(d.size());
  std::mt19937_64 rng(seed);
  Problem p{celeste::optimizer::testing::random_orthogonal(n, rng), d, DenseMatrix(n), {}};
  p.h = celeste::optimizer::testing::with_spectrum(p.q, d);
  p.g.assign(n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) p.g[i] += p.q(i, k) * qg[k];
  return p;
}

struct Solved {
  TrustRegionStep step;
  std::vector<double> s;
};

// Root finding run to convergence: for the optimality conditions to hold to ~1e-10, more than
// the 5 iterations of Optim's default are sometimes needed (|λ - λ_prev| < 1e-10 translates to
// ||s|| errors of 1e-8 and more near the pole at -λ_1).
TrustRegionSubproblemOptions converged_root_finding() {
  TrustRegionSubproblemOptions o;
  o.max_root_iterations = 60;
  o.root_tolerance = 1e-13;
  return o;
}

Solved solve(const DenseMatrix& h, const std::vector<double>& g, double delta,
             const TrustRegionSubproblemOptions& options = TrustRegionSubproblemOptions()) {
  const int n = h.n;
  HostMatrix hv("h", n, n);
  HostVector gv("g", n), sv("s", n);
  HostVector buffer("ws", trust_region_subproblem_workspace_doubles(n));
  for (int i = 0; i < n; ++i) {
    gv(i) = g[i];
    for (int j = 0; j < n; ++j) hv(i, j) = h(i, j);
  }
  TrustRegionSubproblemWorkspace<Kokkos::HostSpace> ws(buffer.data(), n);
  Solved out;
  out.step = solve_trust_region_subproblem(n, gv, hv, delta, sv, ws, options);
  out.s.assign(sv.data(), sv.data() + n);
  // The input Hessian must be left untouched.
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) EXPECT_EQ(hv(i, j), h(i, j));
  return out;
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

double model(const DenseMatrix& h, const std::vector<double>& g, const std::vector<double>& s) {
  double gs = 0, shs = 0;
  for (int i = 0; i < h.n; ++i) {
    gs += g[i] * s[i];
    for (int j = 0; j < h.n; ++j) shs += s[i] * h(i, j) * s[j];
  }
  return gs + 0.5 * shs;
}

// ||(H + λI) s + g|| / (||H|| ||s|| + ||g||): relative residual of the stationarity condition.
double stationarity_residual(const DenseMatrix& h, const std::vector<double>& g,
                             const std::vector<double>& s, double lambda) {
  double r2 = 0;
  for (int i = 0; i < h.n; ++i) {
    double r = g[i] + lambda * s[i];
    for (int j = 0; j < h.n; ++j) r += h(i, j) * s[j];
    r2 += r * r;
  }
  return std::sqrt(r2) /
         (celeste::optimizer::testing::frobenius_norm(h) * norm(s) + norm(g));
}

// Best model value along -g within the region, and the Cauchy point's (N&W eq. 4.12).
double model_along_gradient(const DenseMatrix& h, const std::vector<double>& g, double delta) {
  double best = 0;
  const double gn = norm(g);
  for (int k = 1; k <= 20000; ++k) {
    std::vector<double> s(g.size());
    for (size_t i = 0; i < g.size(); ++i) s[i] = -g[i] / gn * delta * k / 20000.0;
    best = std::min(best, model(h, g, s));
  }
  return best;
}
double cauchy_model_value(const DenseMatrix& h, const std::vector<double>& g, double delta) {
  double ghg = 0;
  for (int i = 0; i < h.n; ++i)
    for (int j = 0; j < h.n; ++j) ghg += g[i] * h(i, j) * g[j];
  const double gn = norm(g);
  const double tau = ghg <= 0 ? 1.0 : std::min(gn * gn * gn / (delta * ghg), 1.0);
  std::vector<double> s(g.size());
  for (size_t i = 0; i < g.size(); ++i) s[i] = -tau * delta / gn * g[i];
  return model(h, g, s);
}

TEST(TrustRegionSubproblem, InteriorIsTheNewtonStep) {
  for (int n : {2, 7, 41}) {
    std::vector<double> d(n), qg(n);
    for (int i = 0; i < n; ++i) {
      d[i] = 1.0 + 9.0 * i / std::max(n - 1, 1);
      qg[i] = std::sin(1.0 + i);
    }
    const Problem p = make_problem(d, qg, 100 + n);
    const Solved out = solve(p.h, p.g, 1e3);
    ASSERT_EQ(out.step.eigen_status, EigenStatus::converged);
    EXPECT_TRUE(out.step.interior);
    EXPECT_EQ(out.step.lambda, 0.0);
    // Newton step from the known eigendecomposition: s = -Q diag(1/d) qg.
    double err = 0, ref = 0, m_ref = 0;
    for (int i = 0; i < n; ++i) {
      double si = 0;
      for (int k = 0; k < n; ++k) si -= p.q(i, k) * qg[k] / d[k];
      err = std::max(err, std::abs(out.s[i] - si));
      ref = std::max(ref, std::abs(si));
    }
    for (int k = 0; k < n; ++k) m_ref -= 0.5 * qg[k] * qg[k] / d[k];
    EXPECT_LE(err / ref, 1e-13) << "n = " << n;
    EXPECT_NEAR(out.step.model_value, m_ref, 1e-13 * std::abs(m_ref)) << "n = " << n;
  }
}

void expect_boundary_optimal(const Problem& p, double delta, const char* what) {
  SCOPED_TRACE(what);
  const double lambda_min = *std::min_element(p.d.begin(), p.d.end());
  const double cauchy = cauchy_model_value(p.h, p.g, delta);
  {
    const Solved out = solve(p.h, p.g, delta, converged_root_finding());
    ASSERT_EQ(out.step.eigen_status, EigenStatus::converged);
    EXPECT_FALSE(out.step.interior);
    EXPECT_FALSE(out.step.hard_case);
    EXPECT_TRUE(out.step.reached_solution);
    EXPECT_NEAR(norm(out.s), delta, 1e-8 * delta);
    EXPECT_GE(out.step.lambda, 0.0);
    EXPECT_GT(out.step.lambda + lambda_min, 0.0);  // H + λI positive definite
    EXPECT_LE(stationarity_residual(p.h, p.g, out.s, out.step.lambda), 1e-10);
    EXPECT_NEAR(out.step.model_value, model(p.h, p.g, out.s),
                1e-12 * std::abs(out.step.model_value));
    EXPECT_LE(out.step.model_value, cauchy);
  }
  {
    // Optim's limits (5 iterations, 1e-10): near the solution, at least the Cauchy decrease.
    const Solved out = solve(p.h, p.g, delta);
    EXPECT_FALSE(out.step.interior);
    EXPECT_LE(out.step.root_iterations, 5);
    EXPECT_NEAR(norm(out.s), delta, 1e-3 * delta);
    EXPECT_LE(out.step.model_value, cauchy);
  }
}

TEST(TrustRegionSubproblem, BoundaryPositiveDefinite) {
  const int n = 41;
  std::vector<double> d(n), qg(n);
  for (int i = 0; i < n; ++i) {
    d[i] = std::pow(10.0, -2.0 + 5.0 * i / (n - 1));
    qg[i] = std::cos(0.3 + 2.0 * i);
  }
  const Problem p = make_problem(d, qg, 7);
  expect_boundary_optimal(p, 0.5, "PD, step outside");
}

TEST(TrustRegionSubproblem, BoundaryIndefinite) {
  for (int n : {2, 7, 44}) {
    std::vector<double> d(n), qg(n);
    for (int i = 0; i < n; ++i) {
      d[i] = -3.0 + 8.0 * i / std::max(n - 1, 1);
      qg[i] = 0.5 + std::sin(3.0 * i);
    }
    const Problem p = make_problem(d, qg, 17 + n);
    expect_boundary_optimal(p, 0.7, "indefinite");
    expect_boundary_optimal(p, 5.0, "indefinite, large radius");
  }
}

TEST(TrustRegionSubproblem, SmallestEigenvalueBarelyPositive) {
  // λ_1 in (0, 1e-8): never interior, boundary through root finding from λ_lb.
  const Problem p = make_problem({1e-9, 1.0, 2.0}, {1.0, 1.0, 1.0}, 3);
  expect_boundary_optimal(p, 1.0, "nearly singular");
}

TEST(TrustRegionSubproblem, HardCaseUsesTheCorrectSign) {
  for (int n : {2, 7, 41}) {
    std::vector<double> d(n), qg(n);
    for (int i = 0; i < n; ++i) {
      d[i] = i == 0 ? -2.0 : 1.0 + i;
      qg[i] = i == 0 ? 0.0 : 0.3 * std::cos(1.0 * i);  // g ⟂ eigenvector of λ_1 = -2
    }
    const Problem p = make_problem(d, qg, 33 + n);
    const double delta = 3.0;
    const Solved out = solve(p.h, p.g, delta);
    SCOPED_TRACE("n = " + std::to_string(n));
    ASSERT_EQ(out.step.eigen_status, EigenStatus::converged);
    EXPECT_TRUE(out.step.hard_case);
    EXPECT_FALSE(out.step.interior);
    EXPECT_NEAR(norm(out.s), delta, 1e-10 * delta);
    EXPECT_NEAR(out.step.lambda, 2.0, 1e-12);
    // (H - λ_1 I) s = -g holds only with the N&W sign (Optim v0.7.8's gives +g on the
    // complement of q_1).
    EXPECT_LE(stationarity_residual(p.h, p.g, out.s, out.step.lambda), 1e-12);
    // Global minimizer of the model: optimal value known in closed form.
    double m_ref = -0.5 * 2.0 * 0;  // filled below
    double r2 = 0;
    for (int i = 1; i < n; ++i) {
      const double c = qg[i] / (d[i] + 2.0);
      r2 += c * c;
      m_ref += -qg[i] * c + 0.5 * d[i] * c * c;
    }
    m_ref += 0.5 * d[0] * (delta * delta - r2);
    EXPECT_NEAR(out.step.model_value, m_ref, 1e-12 * std::abs(m_ref));
    EXPECT_LE(out.step.model_value, model_along_gradient(p.h, p.g, delta));
    EXPECT_LE(out.step.model_value, cauchy_model_value(p.h, p.g, delta));
  }
}

TEST(TrustRegionSubproblem, HardCaseCandidateWithShortRadiusUsesRootFinding) {
  // g ⟂ q_1 but the step on the complement is already longer than Δ: ordinary boundary case.
  const Problem p = make_problem({-2.0, 1.0, 3.0, 4.0}, {0.0, 5.0, 5.0, 5.0}, 5);
  const Solved out = solve(p.h, p.g, 0.5, converged_root_finding());
  EXPECT_FALSE(out.step.hard_case);
  EXPECT_NEAR(norm(out.s), 0.5, 1e-8);
  EXPECT_LE(stationarity_residual(p.h, p.g, out.s, out.step.lambda), 1e-10);
}

TEST(TrustRegionSubproblem, ZeroGradientNegativeCurvature) {
  // g = 0 at a saddle: the step is Δ along the most negative curvature direction.
  const Problem p = make_problem({-1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}, 9);
  const Solved out = solve(p.h, p.g, 2.0);
  EXPECT_TRUE(out.step.hard_case);
  EXPECT_NEAR(norm(out.s), 2.0, 1e-14);
  EXPECT_NEAR(out.step.model_value, -0.5 * 1.0 * 4.0, 1e-13);
}

// Minimum of the model on the circle ||s|| = Δ (n = 2): grid, then golden-section refinement.
double circle_minimum(const DenseMatrix& h, const std::vector<double>& g, double delta) {
  auto on_circle = [&](double a) { return model(h, g, {delta * std::cos(a), delta * std::sin(a)}); };
  const int grid = 4096;
  const double step = 2 * M_PI / grid;
  int best_k = 0;
  for (int k = 1; k < grid; ++k)
    if (on_circle(k * step) < on_circle(best_k * step)) best_k = k;
  double lo = (best_k - 1) * step, hi = (best_k + 1) * step;
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 100; ++it) {
    const double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
    if (on_circle(a) < on_circle(b)) hi = b; else lo = a;
  }
  return on_circle(0.5 * (lo + hi));
}

TEST(TrustRegionSubproblem, MatchesBruteForceOnTheCircle) {
  // n = 2: the minimizer is the interior Newton step (if H ≻ 0 and it fits) or on the circle.
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  int interior = 0, hard = 0, boundary = 0;
  double worst_gap = 0, worst_default_gap = 0;
  for (int trial = 0; trial < 300; ++trial) {
    DenseMatrix h(2);
    h(0, 0) = 3 * u(rng);
    h(1, 1) = 3 * u(rng);
    h(0, 1) = h(1, 0) = 3 * u(rng);
    std::vector<double> g{u(rng), u(rng)};
    if (trial % 10 == 0) {
      // Hard case: g along the eigenvector of the larger eigenvalue, H indefinite.
      h(0, 0) = -1.5;
      h(1, 1) = 2.0;
      h(0, 1) = h(1, 0) = 0.0;
      g = {0.0, 0.5 * u(rng)};
    }
    const double delta = 0.1 + 2.0 * std::abs(u(rng));
    double best = std::min(0.0, circle_minimum(h, g, delta));
    const double det = h(0, 0) * h(1, 1) - h(0, 1) * h(1, 0);
    if (h(0, 0) > 0 && det > 0) {
      const std::vector<double> newton{-(h(1, 1) * g[0] - h(0, 1) * g[1]) / det,
                                       -(-h(1, 0) * g[0] + h(0, 0) * g[1]) / det};
      if (norm(newton) <= delta) best = std::min(best, model(h, g, newton));
    }
    const double scale = std::max(1.0, std::abs(best));

    const Solved out = solve(h, g, delta, converged_root_finding());
    ASSERT_EQ(out.step.eigen_status, EigenStatus::converged);
    interior += out.step.interior;
    hard += out.step.hard_case;
    boundary += !out.step.interior && !out.step.hard_case;
    EXPECT_LE(norm(out.s), delta * (1 + 1e-10)) << "trial " << trial;
    EXPECT_NEAR(out.step.model_value, best, 1e-10 * scale) << "trial " << trial;
    worst_gap = std::max(worst_gap, std::abs(out.step.model_value - best) / scale);

    // Optim's default limits: a step of at least the Cauchy decrease, close to the optimum.
    const Solved fast = solve(h, g, delta);
    EXPECT_LE(fast.step.model_value, cauchy_model_value(h, g, delta) + 1e-14 * scale)
        << "trial " << trial;
    EXPECT_NEAR(norm(fast.s), out.step.interior ? norm(out.s) : delta, 1e-3 * delta)
        << "trial " << trial;
    worst_default_gap =
        std::max(worst_default_gap, std::abs(fast.step.model_value - best) / scale);
  }
  EXPECT_GT(interior, 0);
  EXPECT_GT(hard, 0);
  EXPECT_GT(boundary, 0);
  std::printf(
      "brute force n=2: %d interior, %d hard, %d boundary; worst |m - m_brute|/scale %.2e "
      "(converged root finding), %.2e (5 iterations)\n",
      interior, hard, boundary, worst_gap, worst_default_gap);
}

}  // namespace

TEST(TrustRegionSubproblem, ShiftFloorRelativeToSpreadDampsSmallCurvatures) {
  // The ELBO-fit pattern (docs/decisions.md "Optimizer: convergence at bounds"): λ_1 slightly
  // negative, a huge spread, a coordinate with curvature 0.02 and gradient 0.02 (a parameter
  // converging to its bound; Newton step -1), and a radius so large that the secular root lies
  // below λ_lb: the step is s(λ_lb), whose component along that eigenvector is
  // -0.02 / (0.02 + λ_lb), λ_lb = 0.005 + c (λ_n - λ_1) (Newton: -1).
  const std::vector<double> d{-0.005, 0.02, 1e3, 4e7};
  const Problem p = make_problem(d, {1e-4, 0.02, 1.0, 1.0}, 5);
  auto component = [&](const std::vector<double>& s, int k) {
    double c = 0;
    for (int i = 0; i < 4; ++i) c += p.q(i, k) * s[i];
    return c;
  };
  const Solved optim = solve(p.h, p.g, 1e6);  // Optim's floor: λ_lb = 0.005 + 1e-8 · 4e7
  EXPECT_FALSE(optim.step.interior);
  const double spread = 4e7 + 0.005;
  EXPECT_NEAR(component(optim.s, 1), -0.02 / (0.025 + 1e-8 * spread), 1e-9);  // -0.047
  TrustRegionSubproblemOptions elbo;
  elbo.shift_floor_relative = 1e-12;  // λ_lb = 0.005 + 4e-5: damped by λ_1 only
  const Solved fixed = solve(p.h, p.g, 1e6, elbo);
  // Tolerance: H + λI has condition ~1e12 here (measured error 4e-8).
  EXPECT_NEAR(component(fixed.s, 1), -0.02 / (0.025 + 1e-12 * spread), 1e-6);  // -0.80
  EXPECT_LT(model(p.h, p.g, fixed.s), model(p.h, p.g, optim.s));
}

namespace {

using celeste::testing::TestExecSpace;
using celeste::testing::TestMemSpace;

// One subproblem per team of the backend under test: team_subproblem_eigen, then
// subproblem_from_eigen over TeamLoops (KokkosBatched TeamLU / TeamTrsv / TeamGemv), the path
// team_minimize takes when the subproblem is spread over a team (the GPU default). nvcc: the
// device lambda lives in a free function, not in a TEST body.
struct TeamSolved {
  std::vector<TrustRegionStep> steps;
  std::vector<std::vector<double>> s;
};
TeamSolved solve_on_teams(const std::vector<Problem>& problems, const std::vector<double>& deltas,
                          int team_size, const TrustRegionSubproblemOptions& options) {
  const int batch = int(problems.size()), n = problems[0].h.n;
  using Matrices = Kokkos::View<double***, Kokkos::LayoutRight, TestMemSpace>;
  using Vectors = Kokkos::View<double**, Kokkos::LayoutRight, TestMemSpace>;
  Matrices h("h", batch, n, n);
  Vectors g("g", batch, n), s("s", batch, n),
      buffer("ws", batch, trust_region_subproblem_workspace_doubles(n));
  Kokkos::View<double*, TestMemSpace> delta("delta", batch);
  Kokkos::View<TrustRegionStep*, TestMemSpace> steps("steps", batch);
  auto h_host = Kokkos::create_mirror_view(h);
  auto g_host = Kokkos::create_mirror_view(g);
  auto delta_host = Kokkos::create_mirror_view(delta);
  for (int b = 0; b < batch; ++b) {
    delta_host(b) = deltas[b];
    for (int i = 0; i < n; ++i) {
      g_host(b, i) = problems[b].g[i];
      for (int j = 0; j < n; ++j) h_host(b, i, j) = problems[b].h(i, j);
    }
  }
  Kokkos::deep_copy(h, h_host);
  Kokkos::deep_copy(g, g_host);
  Kokkos::deep_copy(delta, delta_host);
  using policy = Kokkos::TeamPolicy<TestExecSpace>;
  Kokkos::parallel_for(
      "Celeste::Optimizer::Test::team_subproblem", policy(batch, team_size),
      KOKKOS_LAMBDA(const policy::member_type& member) {
        const int b = member.league_rank();
        const TrustRegionSubproblemWorkspace<TestMemSpace> ws(&buffer(b, 0), n);
        auto hb = Kokkos::subview(h, b, Kokkos::ALL, Kokkos::ALL);
        auto gb = Kokkos::subview(g, b, Kokkos::ALL);
        auto sb = Kokkos::subview(s, b, Kokkos::ALL);
        const EigenResult eigen = team_subproblem_eigen(member, n, hb, ws, options);
        const TrustRegionStep step =
            subproblem_from_eigen(TeamLoops<policy::member_type>{member}, n, gb, hb, delta(b),
                                  sb, ws, options, eigen);
        Kokkos::single(Kokkos::PerTeam(member), [&]() { steps(b) = step; });
      });
  auto steps_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), steps);
  auto s_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), s);
  TeamSolved out;
  for (int b = 0; b < batch; ++b) {
    out.steps.push_back(steps_host(b));
    out.s.emplace_back(&s_host(b, 0), &s_host(b, 0) + n);
  }
  return out;
}

}  // namespace

// The subproblem over a team (team sizes 1 and 2 where the backend allows) gives the serial
// solve's bits in every branch: interior Newton step, boundary (positive definite and
// indefinite, Optim's 5 root iterations and converged root finding), hard case, a hard-case
// candidate that is not one, zero gradient at a saddle, and a non-converging eigen-solve.
TEST(TrustRegionSubproblem, TeamSolveIsBitwiseTheSerialOne) {
  const int n = 41;
  std::vector<Problem> problems;
  std::vector<double> deltas;
  std::vector<const char*> names;
  auto add = [&](const char* name, std::vector<double> d, std::vector<double> qg, double delta) {
    problems.push_back(make_problem(d, qg, 700 + unsigned(problems.size())));
    deltas.push_back(delta);
    names.push_back(name);
  };
  std::vector<double> d(n), qg(n);
  for (int i = 0; i < n; ++i) { d[i] = 1.0 + 9.0 * i / (n - 1); qg[i] = std::sin(1.0 + i); }
  add("interior", d, qg, 1e3);
  for (int i = 0; i < n; ++i) { d[i] = std::pow(10.0, -2.0 + 5.0 * i / (n - 1)); qg[i] = std::cos(0.3 + 2.0 * i); }
  add("boundary, positive definite", d, qg, 0.5);
  for (int i = 0; i < n; ++i) { d[i] = -3.0 + 8.0 * i / (n - 1); qg[i] = 0.5 + std::sin(3.0 * i); }
  add("boundary, indefinite", d, qg, 0.7);
  for (int i = 0; i < n; ++i) { d[i] = i == 0 ? -2.0 : 1.0 + i; qg[i] = i == 0 ? 0.0 : 0.3 * std::cos(1.0 * i); }
  add("hard case", d, qg, 3.0);
  for (int i = 0; i < n; ++i) qg[i] = i == 0 ? 0.0 : 5.0;
  add("hard-case candidate, short radius", d, qg, 0.5);
  for (int i = 0; i < n; ++i) qg[i] = 0.0;
  add("zero gradient, saddle", d, qg, 2.0);
  TrustRegionSubproblemOptions few_sweeps;
  few_sweeps.max_jacobi_sweeps = 1;
  const int max_team = std::min(2, TestExecSpace().concurrency());  // Serial, openmp.t1: 1
  for (const TrustRegionSubproblemOptions& options :
       {TrustRegionSubproblemOptions(), converged_root_finding(), few_sweeps}) {
    for (int team_size = 1; team_size <= max_team; ++team_size) {
      const TeamSolved team = solve_on_teams(problems, deltas, team_size, options);
      for (std::size_t b = 0; b < problems.size(); ++b) {
        SCOPED_TRACE(std::string(names[b]) + ", team size " + std::to_string(team_size) +
                     ", max sweeps " + std::to_string(options.max_jacobi_sweeps) +
                     ", root iterations " + std::to_string(options.max_root_iterations));
        const Solved serial = solve(problems[b].h, problems[b].g, deltas[b], options);
        const TrustRegionStep &a = serial.step, &t = team.steps[b];
        EXPECT_EQ(t.eigen_status, a.eigen_status);
        EXPECT_EQ(t.eigen_sweeps, a.eigen_sweeps);
        EXPECT_EQ(t.interior, a.interior);
        EXPECT_EQ(t.hard_case, a.hard_case);
        EXPECT_EQ(t.reached_solution, a.reached_solution);
        EXPECT_EQ(t.root_iterations, a.root_iterations);
        EXPECT_EQ(std::memcmp(&t.lambda, &a.lambda, sizeof(double)), 0) << t.lambda << " vs " << a.lambda;
        EXPECT_EQ(std::memcmp(&t.model_value, &a.model_value, sizeof(double)), 0)
            << t.model_value << " vs " << a.model_value;
        EXPECT_EQ(std::memcmp(&t.min_eigenvalue, &a.min_eigenvalue, sizeof(double)), 0);
        int differing = 0;
        for (int i = 0; i < n; ++i) differing += std::memcmp(&team.s[b][i], &serial.s[i], sizeof(double)) != 0;
        EXPECT_EQ(differing, 0) << "step entries not bitwise the serial ones";
      }
    }
  }
  // The branches above were all taken (serial solves).
  EXPECT_TRUE(solve(problems[0].h, problems[0].g, deltas[0]).step.interior);
  EXPECT_TRUE(solve(problems[3].h, problems[3].g, deltas[3]).step.hard_case);
  EXPECT_FALSE(solve(problems[4].h, problems[4].g, deltas[4]).step.hard_case);
  EXPECT_NE(solve(problems[0].h, problems[0].g, deltas[0], few_sweeps).step.eigen_status,
            EigenStatus::converged);
}
