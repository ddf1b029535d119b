#pragma once
// Trust-region subproblem  min_s m(s) = g^T s + ½ s^T H s  subject to ||s|| ≤ Δ, by the
// "nearly exact" method of Moré & Sorensen as in Optim.jl v0.7.8 `solve_tr_subproblem!`
// (model.md §6.2, Nocedal & Wright Alg. 4.3), on one thread or with a team's eigen-solve.
//
//   TrustRegionStep solve_trust_region_subproblem(n, g, H, delta, s, workspace, options)
//     g: length n; H: n×n symmetric (not modified); s: length n, receives the step.
//     workspace: TrustRegionSubproblemWorkspace<MemorySpace> over
//                trust_region_subproblem_workspace_doubles(n) doubles.
//   Every view's extents must be exactly n (the Kokkos Kernels routines take sizes from them).
//
// Steps (numbers as in model.md §6.2):
//  1. H = Q diag(λ_1 ≤ … ≤ λ_n) Q^T by Jacobi (symmetric_eigen.hpp); qg = Q^T g.
//  2. λ_1 ≥ 1e-8 and ||H^{-1} g||² = Σ qg_i²/λ_i² ≤ Δ²: interior Newton step s = -H^{-1} g,
//     solved by KokkosBatched LU + Trsv (spd_solve.hpp).
//  3. Otherwise the step lies on the boundary: λ_lb = -λ_1 + max(1e-8, c (λ_n - λ_1)) with
//     c = options.shift_floor_relative (Optim and the default: 1e-8; the ELBO fit uses 1e-12,
//     docs/optimizer.md "Shift floor").
//     Hard case (λ_1 < 0, qg ≈ 0 on the λ_1 eigenspace, and the step built from the other
//     eigenvectors at λ = -λ_1 is shorter than Δ): s = τ q_1 - Σ_{i∉cluster} qg_i/(λ_i+λ) q_i
//     with τ = sqrt(Δ² - r²). This is the minimizer; Optim v0.7.8 adds +qg_i/(λ_i+λ) q_i
//     instead, which is not a stationary point (model.md §12 A7): deliberate fix.
//     Otherwise at most `max_root_iterations` Newton steps on the secular equation, each with
//     chol(H + λI) done as unpivoted LU (identical factors up to the diagonal scaling, see
//     spd_solve.hpp) through KokkosBatched, stopping when |λ - λ_prev| < tolerance; the step
//     returned is the one computed at the start of the last iteration (as Optim).
//  4. m = g^T s + ½ s^T H s with the unmodified H.
//
// Where the LU of H + λI meets a non-positive pivot (H + λI only numerically SPD: λ within
// rounding of -λ_1, possible when all eigenvalues coincide) the same quantities are taken from
// the eigendecomposition instead: s = -Σ qg_i/(λ_i+λ) q_i and ||q||² = Σ qg_i²/(λ_i+λ)³.
// Optim would throw PosDefException there; the fallback keeps the kernel exception-free.
#include <Kokkos_Core.hpp>
#include <cstddef>

#include "celeste/math.hpp"
#include "celeste/optimizer/spd_solve.hpp"
#include "celeste/optimizer/symmetric_eigen.hpp"

namespace celeste::optimizer {

struct TrustRegionSubproblemOptions {
  double root_tolerance = 1e-10;   // stop when |λ - λ_prev| < root_tolerance
  int max_root_iterations = 5;     // Newton steps on the secular equation
  double min_eigenvalue_for_interior = 1e-8;  // λ_1 below this: never the interior step
  double hard_case_tolerance = 1e-10;  // eigenvalue cluster width and |qg_i| "zero" threshold
  // c in the smallest multiplier λ_lb = -λ_1 + max(1e-8, c (λ_n - λ_1)) of a boundary step:
  // keeps H + λI safely positive definite. Optim v0.7.8: 1e-8. Where the secular root lies
  // below λ_lb (λ_1 < 0 and ||s(λ_lb)|| < Δ) the step is s(λ_lb), damped by λ_lb + λ_1 in every
  // direction; with a large spread that shift dwarfs the small curvatures (docs/optimizer.md).
  double shift_floor_relative = 1e-8;
  int max_jacobi_sweeps = kDefaultJacobiMaxSweeps;
};

struct TrustRegionStep {
  double model_value = 0.0;  // m = g^T s + ½ s^T H s
  double lambda = 0.0;       // multiplier of the constraint (0 for the interior step)
  bool interior = false;     // the unconstrained Newton step, strictly inside the region
  bool hard_case = false;
  bool reached_solution = true;  // root finding met its tolerance (always true otherwise)
  int root_iterations = 0;
  EigenStatus eigen_status = EigenStatus::not_converged;  // s is valid only if converged
  int eigen_sweeps = 0;
  double min_eigenvalue = 0.0;   // λ_1 of H
};

KOKKOS_INLINE_FUNCTION constexpr std::size_t trust_region_subproblem_workspace_doubles(int n) {
  return 2 * std::size_t(n) * std::size_t(n) + 3 * std::size_t(n);
}

// Views over caller-provided storage (host memory, device memory or team scratch).
template <class MemorySpace>
struct TrustRegionSubproblemWorkspace {
  using matrix_type = Kokkos::View<double**, Kokkos::LayoutRight, MemorySpace,
                                   Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using vector_type = Kokkos::View<double*, Kokkos::LayoutRight, MemorySpace,
                                   Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  matrix_type eigenvectors;  // Q, column i is q_i
  matrix_type work;          // Jacobi input copy, then the LU factors of H + λI
  vector_type eigenvalues;   // λ_1 ≤ … ≤ λ_n
  vector_type qg;            // Q^T g
  vector_type tmp;           // H s, L^{-1} s

  TrustRegionSubproblemWorkspace() = default;
  // `buffer` holds trust_region_subproblem_workspace_doubles(n) doubles.
  KOKKOS_INLINE_FUNCTION TrustRegionSubproblemWorkspace(double* buffer, int n)
      : eigenvectors(buffer, n, n),
        work(buffer + std::size_t(n) * n, n, n),
        eigenvalues(buffer + 2 * std::size_t(n) * n, n),
        qg(buffer + 2 * std::size_t(n) * n + n, n),
        tmp(buffer + 2 * std::size_t(n) * n + 2 * n, n) {}
};

template <class GView, class HView, class SView, class MemorySpace>
KOKKOS_INLINE_FUNCTION TrustRegionStep solve_trust_region_subproblem(
    int n, const GView& g, const HView& H, double delta, const SView& s,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
    const TrustRegionSubproblemOptions& options = TrustRegionSubproblemOptions());

// The same split for a team (H, g, s and ws shared): step 1 collectively over `member`
// (team_symmetric_eigen; every thread gets its result), then steps 2–4 by subproblem_from_eigen
// either on one thread (SerialLoops, inside Kokkos::single) or collectively
// (TeamLoops<Member>: the LU, triangular solves and matrix-vector products through
// KokkosBatched's Team routines, the scalar control flow on every thread alike; every thread
// gets the step). Every combination gives the serial solve's bits.
template <class Member, class HView, class MemorySpace>
KOKKOS_INLINE_FUNCTION EigenResult team_subproblem_eigen(
    const Member& member, int n, const HView& H,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
    const TrustRegionSubproblemOptions& options = TrustRegionSubproblemOptions());
template <class Loops, class GView, class HView, class SView, class MemorySpace>
KOKKOS_INLINE_FUNCTION TrustRegionStep subproblem_from_eigen(
    const Loops& loops, int n, const GView& g, const HView& H, double delta, const SView& s,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
    const TrustRegionSubproblemOptions& options, const EigenResult& eigen);

// m(s) = g^T s + ½ s^T H s; `hs` (length n) receives H s.
template <class Loops, class GView, class HView, class SView, class TmpView>
KOKKOS_INLINE_FUNCTION double quadratic_model_value(const Loops& loops, int n, const GView& g,
                                                    const HView& H, const SView& s,
                                                    const TmpView& hs);

// --------------------------------------------------------------------------- implementation

template <class Loops, class GView, class HView, class SView, class TmpView>
KOKKOS_INLINE_FUNCTION double quadratic_model_value(const Loops& loops, int n, const GView& g,
                                                    const HView& H, const SView& s,
                                                    const TmpView& hs) {
  loops.gemv(1.0, H, s, 0.0, hs);
  double gs = 0.0, shs = 0.0;  // by every thread alike
  for (int i = 0; i < n; ++i) {
    gs += g(i) * s(i);
    shs += s(i) * hs(i);
  }
  return gs + 0.5 * shs;
}

namespace detail {

// s = -(H + λI)^{-1} g from the eigendecomposition; returns s^T (H + λI)^{-1} s = ||q||².
// The loops keep the serial solver's shape (i outer, rows inner, s updated in place): the
// same expressions give the same bits, where a per-row accumulator lets the compiler contract
// the multiply-adds differently (seen in the hard case: 886 of 1500 steps differed in the last
// bits at -march=native).
template <class Loops, class SView, class MemorySpace>
KOKKOS_INLINE_FUNCTION double eigen_regularized_step(
    const Loops& loops, int n, double lambda, const SView& s,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws) {
  loops.barrier();
  loops.for_range(n, [&](int r) { s(r) = 0.0; });
  double q_norm2 = 0.0;  // by every thread alike
  for (int i = 0; i < n; ++i) {
    const double shifted = ws.eigenvalues(i) + lambda;
    const double coefficient = ws.qg(i) / shifted;
    q_norm2 += coefficient * coefficient / shifted;
    loops.barrier();
    loops.for_range(n, [&](int r) { s(r) -= coefficient * ws.eigenvectors(r, i); });
  }
  loops.barrier();
  return q_norm2;
}

// s = -(H + λI)^{-1} g via KokkosBatched LU + Trsv; returns ||q||² = s^T (H + λI)^{-1} s.
template <class Loops, class GView, class HView, class SView, class MemorySpace>
KOKKOS_INLINE_FUNCTION double regularized_step(const Loops& loops, int n, const GView& g,
                                               const HView& H, double lambda, const SView& s,
                                               const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
                                               bool want_q_norm) {
  loops.barrier();  // the previous LU factors and s may still be read
  loops.for_range(n, [&](int i) {
    for (int j = 0; j < n; ++j) ws.work(i, j) = H(i, j) + (i == j ? lambda : 0.0);
  });
  if (!spd_factor(loops, n, ws.work)) return eigen_regularized_step(loops, n, lambda, s, ws);
  loops.for_range(n, [&](int i) { s(i) = -g(i); });
  spd_solve_factored(loops, n, ws.work, s);
  return want_q_norm ? spd_inverse_quadratic_form(loops, n, ws.work, s, ws.tmp) : 0.0;
}

}  // namespace detail

namespace detail {

// Row i of the eigen-solve's input: the symmetrized Hessian. Averaging with the transpose is
// exact for a symmetric H and protects Jacobi, which assumes symmetry, from an asymmetric one.
template <class HView, class MemorySpace>
KOKKOS_INLINE_FUNCTION void symmetrize_row(int n, int i, const HView& H,
                                           const TrustRegionSubproblemWorkspace<MemorySpace>& ws) {
  for (int j = 0; j < n; ++j) ws.work(i, j) = 0.5 * (H(i, j) + H(j, i));
}

}  // namespace detail

template <class GView, class HView, class SView, class MemorySpace>
KOKKOS_INLINE_FUNCTION TrustRegionStep solve_trust_region_subproblem(
    int n, const GView& g, const HView& H, double delta, const SView& s,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
    const TrustRegionSubproblemOptions& options) {
  // 1. Eigendecomposition of the (symmetrized) Hessian.
  for (int i = 0; i < n; ++i) detail::symmetrize_row(n, i, H, ws);
  const EigenResult eigen = serial_symmetric_eigen(n, ws.work, ws.eigenvalues, ws.eigenvectors,
                                                   options.max_jacobi_sweeps);
  return subproblem_from_eigen(SerialLoops{}, n, g, H, delta, s, ws, options, eigen);
}

template <class Member, class HView, class MemorySpace>
KOKKOS_INLINE_FUNCTION EigenResult team_subproblem_eigen(
    const Member& member, int n, const HView& H,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
    const TrustRegionSubproblemOptions& options) {
  Kokkos::parallel_for(Kokkos::TeamThreadRange(member, n),
                       [&](int i) { detail::symmetrize_row(n, i, H, ws); });
  member.team_barrier();
  return team_symmetric_eigen(member, n, ws.work, ws.eigenvalues, ws.eigenvectors,
                              options.max_jacobi_sweeps);
}

template <class Loops, class GView, class HView, class SView, class MemorySpace>
KOKKOS_INLINE_FUNCTION TrustRegionStep subproblem_from_eigen(
    const Loops& loops, int n, const GView& g, const HView& H, double delta, const SView& s,
    const TrustRegionSubproblemWorkspace<MemorySpace>& ws,
    const TrustRegionSubproblemOptions& options, const EigenResult& eigen) {
  // Every thread of a team runs this control flow on the same shared data (loops.hpp's
  // contract): the scalars below are computed by each thread alike.
  TrustRegionStep step;
  step.eigen_status = eigen.status;
  step.eigen_sweeps = eigen.sweeps;
  if (eigen.status != EigenStatus::converged) {
    loops.barrier();
    loops.for_range(n, [&](int i) { s(i) = 0.0; });
    loops.barrier();
    return step;
  }
  loops.gemv_t(1.0, ws.eigenvectors, g, 0.0, ws.qg);
  const double lambda_min = ws.eigenvalues(0);
  const double lambda_max = ws.eigenvalues(n - 1);
  step.min_eigenvalue = lambda_min;
  const double delta2 = delta * delta;

  // 2. Interior Newton step.
  if (lambda_min >= options.min_eigenvalue_for_interior) {
    double newton_norm2 = 0.0;
    for (int i = 0; i < n; ++i) {
      const double c = ws.qg(i) / ws.eigenvalues(i);
      newton_norm2 += c * c;
    }
    if (newton_norm2 <= delta2) {
      detail::regularized_step(loops, n, g, H, 0.0, s, ws, /*want_q_norm=*/false);
      step.interior = true;
      step.lambda = 0.0;
      step.model_value = quadratic_model_value(loops, n, g, H, s, ws.tmp);
      loops.barrier();
      return step;
    }
  }

  // 3. Boundary step.
  const double spread = lambda_max - lambda_min;
  const double lambda_lb = -lambda_min + kmath::fmax(1e-8, options.shift_floor_relative * spread);
  double lambda = lambda_lb;

  if (lambda_min < 0.0) {
    // Hard-case candidate: g has (numerically) no component along the eigenspace of λ_1.
    int cluster_end = 0;
    bool candidate = true;
    while (cluster_end < n &&
           kmath::fabs(ws.eigenvalues(cluster_end) - lambda_min) <= options.hard_case_tolerance) {
      if (kmath::fabs(ws.qg(cluster_end)) > options.hard_case_tolerance) candidate = false;
      ++cluster_end;
    }
    if (candidate) {
      // At λ = -λ_1 (the hard-case multiplier) the step without the λ_1 eigenspace:
      const double lambda_hard = -lambda_min;
      double r2 = 0.0;
      for (int i = cluster_end; i < n; ++i) {
        const double c = ws.qg(i) / (ws.eigenvalues(i) + lambda_hard);
        r2 += c * c;
      }
      if (r2 > delta2) {
        // Not the hard case after all: the boundary is reached with λ > -λ_1; start the root
        // finding inside the well-behaved part of the secular function.
        lambda = lambda_lb + 0.01 * spread;
      } else {
        const double tau = kmath::sqrt(delta2 - r2);
        loops.barrier();
        loops.for_range(n, [&](int r) { s(r) = tau * ws.eigenvectors(r, 0); });
        for (int i = cluster_end; i < n; ++i) {  // the serial shape (eigen_regularized_step)
          const double c = ws.qg(i) / (ws.eigenvalues(i) + lambda_hard);
          loops.barrier();
          loops.for_range(n, [&](int r) { s(r) -= c * ws.eigenvectors(r, i); });  // minus: §12 A7
        }
        step.hard_case = true;
        step.lambda = lambda_hard;
        step.model_value = quadratic_model_value(loops, n, g, H, s, ws.tmp);
        loops.barrier();
        return step;
      }
    }
  }

  // Newton iteration on the secular equation 1/||s(λ)|| = 1/Δ.
  step.reached_solution = false;
  for (int iteration = 0; iteration < options.max_root_iterations; ++iteration) {
    const double lambda_previous = lambda;
    const double q_norm2 = detail::regularized_step(loops, n, g, H, lambda, s, ws, true);
    double s_norm2 = 0.0;
    for (int i = 0; i < n; ++i) s_norm2 += s(i) * s(i);
    const double s_norm = kmath::sqrt(s_norm2);
    step.root_iterations = iteration + 1;
    step.lambda = lambda_previous;  // the multiplier the returned s was computed with
    if (!(q_norm2 > 0.0) || s_norm2 == 0.0) {
      // g = 0 (s = 0 is then optimal for this λ): the update would be 0/0.
      step.reached_solution = true;
      break;
    }
    lambda += (s_norm2 / q_norm2) * (s_norm - delta) / delta;
    // Newton may jump below the region where H + λI is positive definite: go halfway back.
    if (lambda < lambda_lb + 1e-8) lambda = lambda_lb + 0.5 * (lambda_previous - lambda_lb);
    if (kmath::fabs(lambda - lambda_previous) < options.root_tolerance) {
      step.reached_solution = true;
      break;
    }
  }
  // 4. Model value with the unmodified H.
  step.model_value = quadratic_model_value(loops, n, g, H, s, ws.tmp);
  loops.barrier();  // every thread has read s and tmp before the caller changes them
  return step;
}

}  // namespace celeste::optimizer
