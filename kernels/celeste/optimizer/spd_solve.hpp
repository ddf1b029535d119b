#pragma once
// Symmetric positive definite solves through Kokkos Kernels batched routines, on one thread or
// over a team (a Loops policy, loops.hpp: SerialLU/TeamLU + SerialTrsv/TeamTrsv, same bits).
//
// Kokkos Kernels 3.4.1 batched has no Cholesky (build-stack.md); it has LU without pivoting.
// For SPD A, unpivoted LU is as stable as Cholesky and is Cholesky in disguise:
//   A = L U with L unit lower triangular and U = D L^T, D = diag(U) > 0, so
//   A = R^T R with R = D^{1/2} L^T.
// That identity gives the quantity the trust-region root finding needs from chol(A)
// (model.md §6.2, q = R^{-T} s):  ||q||^2 = s^T A^{-1} s = sum_i (L^{-1} s)_i^2 / U_ii.
//
//   bool spd_factor([loops,] n, A)                in place: A <- L\U; false if a pivot is not
//                                                 positive and finite (A not numerically SPD)
//   void spd_solve_factored([loops,] n, LU, b)    b <- A^{-1} b
//   double spd_inverse_quadratic_form([loops,] n, LU, s, tmp)  s^T A^{-1} s (tmp: length-n
//                                                 scratch)
// Without `loops` they run on the calling thread (SerialLoops). With TeamLoops every thread of
// the team calls them with the same shared views and every thread gets the result.
//
// All views are rank-1 / rank-2 Kokkos views whose extents are exactly n (the batched
// routines take sizes from the view extents).
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/optimizer/loops.hpp"

namespace celeste::optimizer {

template <class Loops, class MatrixView>
KOKKOS_INLINE_FUNCTION bool spd_factor(const Loops& loops, int n, const MatrixView& A);
template <class Loops, class MatrixView, class VectorView>
KOKKOS_INLINE_FUNCTION void spd_solve_factored(const Loops& loops, int n, const MatrixView& LU,
                                               const VectorView& b);
template <class Loops, class MatrixView, class VectorView, class TmpView>
KOKKOS_INLINE_FUNCTION double spd_inverse_quadratic_form(const Loops& loops, int n,
                                                         const MatrixView& LU,
                                                         const VectorView& s,
                                                         const TmpView& tmp);

template <class MatrixView>
KOKKOS_INLINE_FUNCTION bool spd_factor(int n, const MatrixView& A) {
  return spd_factor(SerialLoops{}, n, A);
}
template <class MatrixView, class VectorView>
KOKKOS_INLINE_FUNCTION void spd_solve_factored(int n, const MatrixView& LU, const VectorView& b) {
  spd_solve_factored(SerialLoops{}, n, LU, b);
}
template <class MatrixView, class VectorView, class TmpView>
KOKKOS_INLINE_FUNCTION double spd_inverse_quadratic_form(int n, const MatrixView& LU,
                                                         const VectorView& s,
                                                         const TmpView& tmp) {
  return spd_inverse_quadratic_form(SerialLoops{}, n, LU, s, tmp);
}

// y <- alpha A x + beta y (no transpose) on the calling thread (KokkosBatched::SerialGemv).
template <class MatrixView, class XView, class YView>
KOKKOS_INLINE_FUNCTION void serial_gemv(double alpha, const MatrixView& A, const XView& x,
                                        double beta, const YView& y) {
  SerialLoops{}.gemv(alpha, A, x, beta, y);
}
// y <- alpha A^T x + beta y.
template <class MatrixView, class XView, class YView>
KOKKOS_INLINE_FUNCTION void serial_gemv_transposed(double alpha, const MatrixView& A,
                                                   const XView& x, double beta, const YView& y) {
  SerialLoops{}.gemv_t(alpha, A, x, beta, y);
}

// --------------------------------------------------------------------------- implementation

template <class Loops, class MatrixView>
KOKKOS_INLINE_FUNCTION bool spd_factor(const Loops& loops, int n, const MatrixView& A) {
  // tiny = 0: no pivot perturbation; a non-positive pivot is reported instead.
  loops.lu(A);
  for (int i = 0; i < n; ++i) {
    const double pivot = A(i, i);
    // For SPD A every pivot is positive (it is a ratio of leading principal minors).
    if (!(pivot > 0.0) || !is_finite(pivot)) return false;
  }
  return true;
}

template <class Loops, class MatrixView, class VectorView>
KOKKOS_INLINE_FUNCTION void spd_solve_factored(const Loops& loops, int /*n*/,
                                               const MatrixView& LU, const VectorView& b) {
  loops.trsv_unit_lower(LU, b);
  loops.trsv_upper(LU, b);
}

template <class Loops, class MatrixView, class VectorView, class TmpView>
KOKKOS_INLINE_FUNCTION double spd_inverse_quadratic_form(const Loops& loops, int n,
                                                         const MatrixView& LU,
                                                         const VectorView& s,
                                                         const TmpView& tmp) {
  loops.barrier();  // s may just have been written, tmp may still be read
  loops.for_range(n, [&](int i) { tmp(i) = s(i); });
  loops.trsv_unit_lower(LU, tmp);
  double sum = 0.0;  // by every thread alike: same order, same value
  for (int i = 0; i < n; ++i) sum += tmp(i) * tmp(i) / LU(i, i);
  return sum;
}

}  // namespace celeste::optimizer
