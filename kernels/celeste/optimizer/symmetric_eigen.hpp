#pragma once
// Symmetric eigendecomposition A = V diag(w) V^T by cyclic Jacobi rotations, on one thread or
// collectively over a team (team_symmetric_eigen: same bits).
//
// Kokkos Kernels 3.4.1 has no usable symmetric eigensolver (SerialEigendecomposition is a stub,
// build-stack.md), so the trust-region subproblem (model.md §6.2 step 1) uses this one. Jacobi
// is chosen over tridiagonalization + QL because it is short, branch-light, needs no extra
// storage beyond A and V, is accurate to machine precision in ||A v - λ v|| / ||A|| and in
// orthogonality, and is deterministic (fixed rotation order), so every backend gives the same
// bits. Cost is about 10 sweeps of n(n-1)/2 rotations of O(n) each: ~3 Mflop at n = 41.
//
//   EigenResult serial_symmetric_eigen(int n, A, eigenvalues, eigenvectors, max_sweeps = 50)
//     A:            n×n rank-2 view, symmetric on input (both triangles are read); destroyed.
//     eigenvalues:  rank-1 view, length ≥ n: ascending on return.
//     eigenvectors: n×n rank-2 view: column j is the unit eigenvector of eigenvalues(j).
//   Status nonfinite_input returns at once (nothing else is written); not_converged leaves the
//   best approximation so far (still sorted).
#include <Kokkos_Core.hpp>
#include <cfloat>

#include "celeste/math.hpp"
#include "celeste/optimizer/loops.hpp"

namespace celeste::optimizer {

enum class EigenStatus : int { converged = 0, not_converged = 1, nonfinite_input = 2 };

struct EigenResult {
  EigenStatus status = EigenStatus::not_converged;
  int sweeps = 0;  // sweeps performed
};

inline constexpr int kDefaultJacobiMaxSweeps = 50;

template <class AView, class ValuesView, class VectorsView>
KOKKOS_INLINE_FUNCTION EigenResult serial_symmetric_eigen(
    int n, const AView& A, const ValuesView& eigenvalues, const VectorsView& eigenvectors,
    int max_sweeps = kDefaultJacobiMaxSweeps);

// The same solver collectively over `member`'s threads (A, eigenvalues and eigenvectors shared,
// e.g. team scratch): each rotation's O(n) row updates are spread over the threads, two
// barriers per rotation; the bits are serial_symmetric_eigen's for any team size. Every thread
// gets the result.
template <class Member, class AView, class ValuesView, class VectorsView>
KOKKOS_INLINE_FUNCTION EigenResult team_symmetric_eigen(
    const Member& member, int n, const AView& A, const ValuesView& eigenvalues,
    const VectorsView& eigenvectors, int max_sweeps = kDefaultJacobiMaxSweeps);

// --------------------------------------------------------------------------- implementation

namespace detail {

// The rotation that zeroes A(p, q): t = tan of its angle, c, s and Rutishauser's τ = s/(1+c).
struct JacobiRotation {
  double t, c, s, tau;
};
KOKKOS_INLINE_FUNCTION JacobiRotation jacobi_rotation(double app, double aqq, double apq) {
  const double theta = (aqq - app) / (2.0 * apq);
  // t = tan of the rotation angle, the smaller root of t^2 + 2 theta t - 1 = 0. For huge
  // |theta| theta^2 would overflow; then t ≈ 1/(2 theta) to full precision.
  double t;
  if (kmath::fabs(theta) > 1e150) {
    t = 1.0 / (2.0 * theta);
  } else {
    t = 1.0 / (kmath::fabs(theta) + kmath::sqrt(theta * theta + 1.0));
    if (theta < 0.0) t = -t;
  }
  const double c = 1.0 / kmath::sqrt(t * t + 1.0);
  const double s = t * c;
  return JacobiRotation{t, c, s, s / (1.0 + c)};
}

// Row r ∉ {p, q} of one rotation: A(r, p), A(r, q) and their mirror images.
template <class AView>
KOKKOS_INLINE_FUNCTION void jacobi_rotate_row(int r, int p, int q, const JacobiRotation& rot,
                                              const AView& A) {
  const double s = rot.s, tau = rot.tau;
  const double arp = A(r, p);
  const double arq = A(r, q);
  const double new_rp = arp - s * (arq + tau * arp);
  const double new_rq = arq + s * (arp - tau * arq);
  A(r, p) = new_rp;
  A(p, r) = new_rp;
  A(r, q) = new_rq;
  A(q, r) = new_rq;
}
// Row r of the eigenvector update V ← V J.
template <class VectorsView>
KOKKOS_INLINE_FUNCTION void jacobi_rotate_vector_row(int r, int p, int q,
                                                     const JacobiRotation& rot,
                                                     const VectorsView& V) {
  const double s = rot.s, tau = rot.tau;
  const double vrp = V(r, p);
  const double vrq = V(r, q);
  V(r, p) = vrp - s * (vrq + tau * vrp);
  V(r, q) = vrq + s * (vrp - tau * vrq);
}

// The loops run through a Loops policy (loops.hpp): SerialLoops or TeamLoops, same bits.

// One Jacobi rotation in the (p, q) plane that zeroes A(p, q); A stays exactly symmetric
// because both triangles are written with the same value. Rutishauser's formulation (updates
// as corrections, tau = s/(1+c)) keeps the rounding error of each rotation at O(eps |a|).
// Row r of A and of V is updated by one thread; rows p and q are the rotated diagonal.
template <class Loops, class AView, class VectorsView>
KOKKOS_INLINE_FUNCTION void jacobi_rotate(const Loops& loops, int n, int p, int q, const AView& A,
                                          const VectorsView& V) {
  const double apq = A(p, q);
  const double app = A(p, p);
  const double aqq = A(q, q);
  const JacobiRotation rot = jacobi_rotation(app, aqq, apq);
  loops.barrier();  // every thread has read A(p, p), A(q, q), A(p, q)
  loops.for_range(n, [&](int r) {
    if (r == p) {
      A(p, p) = app - rot.t * apq;
      A(p, q) = 0.0;
    } else if (r == q) {
      A(q, q) = aqq + rot.t * apq;
      A(q, p) = 0.0;
    } else {
      jacobi_rotate_row(r, p, q, rot, A);
    }
    jacobi_rotate_vector_row(r, p, q, rot, V);
  });
  loops.barrier();
}

template <class Loops, class AView>
KOKKOS_INLINE_FUNCTION double off_diagonal_sum(const Loops&, int n, const AView& A) {
  double off_sum = 0.0;  // by every thread alike: same order, same value
  for (int p = 0; p < n - 1; ++p)
    for (int q = p + 1; q < n; ++q) off_sum += kmath::fabs(A(p, q));
  return off_sum;
}

template <class Loops, class AView, class ValuesView, class VectorsView>
KOKKOS_INLINE_FUNCTION EigenResult symmetric_eigen(const Loops& loops, int n, const AView& A,
                                                   const ValuesView& eigenvalues,
                                                   const VectorsView& eigenvectors,
                                                   int max_sweeps) {
  EigenResult result;
  double max_abs = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double a = A(i, j);
      if (!is_finite(a)) {
        result.status = EigenStatus::nonfinite_input;
        return result;
      }
      max_abs = kmath::fabs(a) > max_abs ? kmath::fabs(a) : max_abs;
    }
  loops.for_range(n, [&](int i) {
    for (int j = 0; j < n; ++j) eigenvectors(i, j) = (i == j) ? 1.0 : 0.0;
  });

  // Off-diagonal entries below this absolute floor are set to zero without rotating: they
  // perturb A by far less than eps ||A|| (so eigenpairs stay accurate to machine precision),
  // and the floor guarantees termination when diagonal entries are zero (where the relative
  // test below can never hold).
  const double absolute_floor = DBL_EPSILON * DBL_EPSILON * max_abs + DBL_MIN;

  bool converged = (n <= 1);
  int sweep = 0;
  while (!converged && sweep < max_sweeps) {
    const double off_sum = off_diagonal_sum(loops, n, A);
    if (off_sum == 0.0) {
      converged = true;
      break;
    }
    ++sweep;
    // First sweeps only rotate the large entries (Numerical Recipes' threshold strategy):
    // fewer rotations while the matrix is far from diagonal, same final accuracy.
    const double threshold = sweep < 4 ? 0.2 * off_sum / (double(n) * n) : 0.0;
    for (int p = 0; p < n - 1; ++p) {
      for (int q = p + 1; q < n; ++q) {
        const double abs_apq = kmath::fabs(A(p, q));
        if (abs_apq == 0.0) continue;
        // Negligible against both diagonal entries (in floating point) or below the floor:
        // zeroing it changes no eigenvalue beyond rounding of the diagonal itself.
        const double scaled = 100.0 * abs_apq;
        const double abs_app = kmath::fabs(A(p, p));
        const double abs_aqq = kmath::fabs(A(q, q));
        if (abs_apq <= absolute_floor ||
            (sweep > 4 && abs_app + scaled == abs_app && abs_aqq + scaled == abs_aqq)) {
          loops.barrier();
          loops.single([&]() {
            A(p, q) = 0.0;
            A(q, p) = 0.0;
          });
          loops.barrier();
          continue;
        }
        if (abs_apq <= threshold) continue;
        jacobi_rotate(loops, n, p, q, A, eigenvectors);
      }
    }
  }
  // The loop may have ended with the last sweep having zeroed everything.
  if (!converged) converged = (off_diagonal_sum(loops, n, A) == 0.0);
  result.sweeps = sweep;
  result.status = converged ? EigenStatus::converged : EigenStatus::not_converged;

  // Ascending order by selection sort (n swaps at most; deterministic for ties: the first
  // minimum wins).
  loops.barrier();
  loops.single([&]() {
    for (int i = 0; i < n; ++i) eigenvalues(i) = A(i, i);
    for (int i = 0; i < n - 1; ++i) {
      int k = i;
      for (int j = i + 1; j < n; ++j)
        if (eigenvalues(j) < eigenvalues(k)) k = j;
      if (k != i) {
        const double w = eigenvalues(i);
        eigenvalues(i) = eigenvalues(k);
        eigenvalues(k) = w;
        for (int r = 0; r < n; ++r) {
          const double v = eigenvectors(r, i);
          eigenvectors(r, i) = eigenvectors(r, k);
          eigenvectors(r, k) = v;
        }
      }
    }
  });
  loops.barrier();
  return result;
}

}  // namespace detail

template <class AView, class ValuesView, class VectorsView>
KOKKOS_INLINE_FUNCTION EigenResult serial_symmetric_eigen(int n, const AView& A,
                                                          const ValuesView& eigenvalues,
                                                          const VectorsView& eigenvectors,
                                                          int max_sweeps) {
  return detail::symmetric_eigen(SerialLoops{}, n, A, eigenvalues, eigenvectors,
                                 max_sweeps);
}

template <class Member, class AView, class ValuesView, class VectorsView>
KOKKOS_INLINE_FUNCTION EigenResult team_symmetric_eigen(const Member& member, int n,
                                                        const AView& A,
                                                        const ValuesView& eigenvalues,
                                                        const VectorsView& eigenvectors,
                                                        int max_sweeps) {
  return detail::symmetric_eigen(TeamLoops<Member>{member}, n, A, eigenvalues,
                                 eigenvectors, max_sweeps);
}

}  // namespace celeste::optimizer
