#pragma once
// Where the optimizer's dense linear algebra runs: on one thread (SerialLoops) or collectively
// over a Kokkos team's threads (TeamLoops<Member>). The eigen-solve (symmetric_eigen.hpp), the
// SPD solves (spd_solve.hpp) and the trust-region subproblem (trust_region_subproblem.hpp) are
// written once over a Loops policy.
//
//   for_range(n, f)        f(i) for i in [0, n): in order, or spread over the team's threads
//   single(f)              f() on one thread of the team
//   barrier()              team barrier (nothing on one thread)
//   lu(A)                  A <- L\U, unpivoted (KokkosBatched SerialLU / TeamLU, Unblocked)
//   trsv_unit_lower(A, b)  b <- L^{-1} b with L the unit lower triangle of A (Serial/TeamTrsv)
//   trsv_upper(A, b)       b <- U^{-1} b with U the upper triangle of A
//   gemv(alpha, A, x, beta, y)   y <- alpha A x + beta y      (SerialGemv / TeamGemv)
//   gemv_t(alpha, A, x, beta, y) y <- alpha A^T x + beta y
//
// Contract that makes both policies give the same bits: every thread runs the same control
// flow on the same shared data and reads it only between barriers; each element is written by
// one thread with the serial arithmetic (KokkosBatched's Team routines, Unblocked, do each
// element's update in the Serial routines' order). The linear-algebra calls start and end with
// a barrier, so their inputs and outputs may be read and written around them freely.
#include <KokkosBatched_Gemv_Decl.hpp>
#include <KokkosBatched_Gemv_Serial_Impl.hpp>
#include <KokkosBatched_Gemv_Team_Impl.hpp>
#include <KokkosBatched_LU_Decl.hpp>
#include <KokkosBatched_LU_Serial_Impl.hpp>
#include <KokkosBatched_LU_Team_Impl.hpp>
#include <KokkosBatched_Trsv_Decl.hpp>
#include <KokkosBatched_Trsv_Serial_Impl.hpp>
#include <KokkosBatched_Trsv_Team_Impl.hpp>
#include <Kokkos_Core.hpp>

namespace celeste::optimizer {

struct SerialLoops {
  template <class F>
  KOKKOS_INLINE_FUNCTION void for_range(int n, const F& f) const {
    for (int i = 0; i < n; ++i) f(i);
  }
  template <class F>
  KOKKOS_INLINE_FUNCTION void single(const F& f) const {
    f();
  }
  KOKKOS_INLINE_FUNCTION void barrier() const {}

  template <class AView>
  KOKKOS_INLINE_FUNCTION void lu(const AView& A) const {
    KokkosBatched::SerialLU<KokkosBatched::Algo::LU::Unblocked>::invoke(A);
  }
  template <class AView, class BView>
  KOKKOS_INLINE_FUNCTION void trsv_unit_lower(const AView& A, const BView& b) const {
    using namespace KokkosBatched;
    SerialTrsv<Uplo::Lower, Trans::NoTranspose, Diag::Unit, Algo::Trsv::Unblocked>::invoke(1.0,
                                                                                          A, b);
  }
  template <class AView, class BView>
  KOKKOS_INLINE_FUNCTION void trsv_upper(const AView& A, const BView& b) const {
    using namespace KokkosBatched;
    SerialTrsv<Uplo::Upper, Trans::NoTranspose, Diag::NonUnit, Algo::Trsv::Unblocked>::invoke(
        1.0, A, b);
  }
  template <class AView, class XView, class YView>
  KOKKOS_INLINE_FUNCTION void gemv(double alpha, const AView& A, const XView& x, double beta,
                                   const YView& y) const {
    using namespace KokkosBatched;
    SerialGemv<Trans::NoTranspose, Algo::Gemv::Unblocked>::invoke(alpha, A, x, beta, y);
  }
  template <class AView, class XView, class YView>
  KOKKOS_INLINE_FUNCTION void gemv_t(double alpha, const AView& A, const XView& x, double beta,
                                     const YView& y) const {
    using namespace KokkosBatched;
    SerialGemv<Trans::Transpose, Algo::Gemv::Unblocked>::invoke(alpha, A, x, beta, y);
  }
};

template <class Member>
struct TeamLoops {
  const Member& member;

  template <class F>
  KOKKOS_INLINE_FUNCTION void for_range(int n, const F& f) const {
    Kokkos::parallel_for(Kokkos::TeamThreadRange(member, n), f);
  }
  template <class F>
  KOKKOS_INLINE_FUNCTION void single(const F& f) const {
    Kokkos::single(Kokkos::PerTeam(member), f);
  }
  KOKKOS_INLINE_FUNCTION void barrier() const { member.team_barrier(); }

  template <class AView>
  KOKKOS_INLINE_FUNCTION void lu(const AView& A) const {
    member.team_barrier();
    KokkosBatched::TeamLU<Member, KokkosBatched::Algo::LU::Unblocked>::invoke(member, A);
    member.team_barrier();
  }
  template <class AView, class BView>
  KOKKOS_INLINE_FUNCTION void trsv_unit_lower(const AView& A, const BView& b) const {
    using namespace KokkosBatched;
    member.team_barrier();
    TeamTrsv<Member, Uplo::Lower, Trans::NoTranspose, Diag::Unit,
             Algo::Trsv::Unblocked>::invoke(member, 1.0, A, b);
    member.team_barrier();
  }
  template <class AView, class BView>
  KOKKOS_INLINE_FUNCTION void trsv_upper(const AView& A, const BView& b) const {
    using namespace KokkosBatched;
    member.team_barrier();
    TeamTrsv<Member, Uplo::Upper, Trans::NoTranspose, Diag::NonUnit,
             Algo::Trsv::Unblocked>::invoke(member, 1.0, A, b);
    member.team_barrier();
  }
  template <class AView, class XView, class YView>
  KOKKOS_INLINE_FUNCTION void gemv(double alpha, const AView& A, const XView& x, double beta,
                                   const YView& y) const {
    using namespace KokkosBatched;
    member.team_barrier();
    TeamGemv<Member, Trans::NoTranspose, Algo::Gemv::Unblocked>::invoke(member, alpha, A, x,
                                                                        beta, y);
    member.team_barrier();
  }
  template <class AView, class XView, class YView>
  KOKKOS_INLINE_FUNCTION void gemv_t(double alpha, const AView& A, const XView& x, double beta,
                                     const YView& y) const {
    using namespace KokkosBatched;
    member.team_barrier();
    TeamGemv<Member, Trans::Transpose, Algo::Gemv::Unblocked>::invoke(member, alpha, A, x, beta,
                                                                      y);
    member.team_barrier();
  }
};

}  // namespace celeste::optimizer
