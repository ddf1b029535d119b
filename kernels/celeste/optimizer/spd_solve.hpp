#pragma once
// Symmetric positive definite solves through Kokkos Kernels batched routines, single thread.
//
// Kokkos Kernels 3.4.1 batched has no Cholesky (build-stack.md); it has LU without pivoting.
// For SPD A, unpivoted LU is as stable as Cholesky and is Cholesky in disguise:
//   A = L U with L unit lower triangular and U = D L^T, D = diag(U) > 0, so
//   A = R^T R with R = D^{1/2} L^T.
// That identity gives the quantity the trust-region root finding needs from chol(A)
// (model.md §6.2, q = R^{-T} s):  ||q||^2 = s^T A^{-1} s = sum_i (L^{-1} s)_i^2 / U_ii.
//
//   bool spd_factor(n, A)                         in place: A <- L\U; false if a pivot is not
//                                                 positive and finite (A not numerically SPD)
//   void spd_solve_factored(n, LU, b)             b <- A^{-1} b
//   double spd_inverse_quadratic_form(n, LU, s, tmp)  s^T A^{-1} s (tmp: length-n scratch)
//
// All views are rank-1 / rank-2 Kokkos views whose extents are exactly n (the batched
// routines take sizes from the view extents).
#include <KokkosBatched_Gemv_Decl.hpp>
#include <KokkosBatched_Gemv_Serial_Impl.hpp>
#include <KokkosBatched_LU_Decl.hpp>
#include <KokkosBatched_LU_Serial_Impl.hpp>
#include <KokkosBatched_Trsv_Decl.hpp>
#include <KokkosBatched_Trsv_Serial_Impl.hpp>
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"

namespace celeste::optimizer {

template <class MatrixView>
KOKKOS_INLINE_FUNCTION bool spd_factor(int n, const MatrixView& A);

template <class MatrixView, class VectorView>
KOKKOS_INLINE_FUNCTION void spd_solve_factored(int n, const MatrixView& LU, const VectorView& b);

template <class MatrixView, class VectorView, class TmpView>
KOKKOS_INLINE_FUNCTION double spd_inverse_quadratic_form(int n, const MatrixView& LU,
                                                         const VectorView& s,
                                                         const TmpView& tmp);

// y <- alpha A x + beta y (no transpose) through KokkosBatched::SerialGemv.
template <class MatrixView, class XView, class YView>
KOKKOS_INLINE_FUNCTION void serial_gemv(double alpha, const MatrixView& A, const XView& x,
                                        double beta, const YView& y);
// y <- alpha A^T x + beta y.
template <class MatrixView, class XView, class YView>
KOKKOS_INLINE_FUNCTION void serial_gemv_transposed(double alpha, const MatrixView& A,
                                                   const XView& x, double beta, const YView& y);

// --------------------------------------------------------------------------- implementation

template <class MatrixView>
KOKKOS_INLINE_FUNCTION bool spd_factor(int n, const MatrixView& A) {
  // tiny = 0: no pivot perturbation; a non-positive pivot is reported instead.
  KokkosBatched::SerialLU<KokkosBatched::Algo::LU::Unblocked>::invoke(A);
  for (int i = 0; i < n; ++i) {
    const double pivot = A(i, i);
    // For SPD A every pivot is positive (it is a ratio of leading principal minors).
    if (!(pivot > 0.0) || !is_finite(pivot)) return false;
  }
  return true;
}

template <class MatrixView, class VectorView>
KOKKOS_INLINE_FUNCTION void spd_solve_factored(int /*n*/, const MatrixView& LU,
                                               const VectorView& b) {
  using namespace KokkosBatched;
  SerialTrsv<Uplo::Lower, Trans::NoTranspose, Diag::Unit, Algo::Trsv::Unblocked>::invoke(1.0, LU,
                                                                                        b);
  SerialTrsv<Uplo::Upper, Trans::NoTranspose, Diag::NonUnit, Algo::Trsv::Unblocked>::invoke(
      1.0, LU, b);
}

template <class MatrixView, class VectorView, class TmpView>
KOKKOS_INLINE_FUNCTION double spd_inverse_quadratic_form(int n, const MatrixView& LU,
                                                         const VectorView& s,
                                                         const TmpView& tmp) {
  using namespace KokkosBatched;
  for (int i = 0; i < n; ++i) tmp(i) = s(i);
  SerialTrsv<Uplo::Lower, Trans::NoTranspose, Diag::Unit, Algo::Trsv::Unblocked>::invoke(1.0, LU,
                                                                                        tmp);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += tmp(i) * tmp(i) / LU(i, i);
  return sum;
}

template <class MatrixView, class XView, class YView>
KOKKOS_INLINE_FUNCTION void serial_gemv(double alpha, const MatrixView& A, const XView& x,
                                        double beta, const YView& y) {
  using namespace KokkosBatched;
  SerialGemv<Trans::NoTranspose, Algo::Gemv::Unblocked>::invoke(alpha, A, x, beta, y);
}

template <class MatrixView, class XView, class YView>
KOKKOS_INLINE_FUNCTION void serial_gemv_transposed(double alpha, const MatrixView& A,
                                                   const XView& x, double beta, const YView& y) {
  using namespace KokkosBatched;
  SerialGemv<Trans::Transpose, Algo::Gemv::Unblocked>::invoke(alpha, A, x, beta, y);
}

}  // namespace celeste::optimizer
