#pragma once
// Test objectives for the Newton trust-region tests: value, gradient and Hessian, row by row,
// so that the serial and the team evaluation perform exactly the same floating-point
// operations per entry (team vs serial results must agree bit for bit).
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"

namespace celeste::optimizer::testing {

enum TestFunctionKind : int {
  rosenbrock_chain = 0,  // Σ_{i<n-1} 100 (x_{i+1} - x_i²)² + (1 - x_i)²; minimum at 1
  convex_quadratic = 1,  // ½ xᵀAx - bᵀx, A tridiagonal SPD (4 + i on the diagonal, -1 beside)
  quartic_saddle = 2,    // x_0⁴ - x_0² + Σ_{i≥1} x_i²; minima at x_0 = ±1/√2, f = -1/4
  log_barrier = 3,       // Σ x_i - 2 ln x_i; NaN for x_i < 0, +inf at 0; minimum at 2
  finite_only_at_start = 4,  // Σ x_i² where x_0 == 3 exactly, NaN everywhere else
  nan_everywhere = 5,
  inconsistent_gradient = 6,  // f = 1, g = 1, H = I: no step ever decreases f
  nan_hessian = 7,            // Σ x_i² with H(0,0) = NaN
};

struct TestFunction {
  int kind = rosenbrock_chain;
  int n = 2;

  template <class YView>
  KOKKOS_INLINE_FUNCTION double value(const YView& x) const {
    double f = 0.0;
    switch (kind) {
      case rosenbrock_chain:
        for (int i = 0; i + 1 < n; ++i) {
          const double a = x(i + 1) - x(i) * x(i), b = 1.0 - x(i);
          f += 100.0 * a * a + b * b;
        }
        return f;
      case convex_quadratic:
        for (int i = 0; i < n; ++i) f += 0.5 * x(i) * quadratic_row_product(x, i) - rhs(i) * x(i);
        return f;
      case quartic_saddle:
        f = x(0) * x(0) * x(0) * x(0) - x(0) * x(0);
        for (int i = 1; i < n; ++i) f += x(i) * x(i);
        return f;
      case log_barrier:
        for (int i = 0; i < n; ++i) f += x(i) - 2.0 * kmath::log(x(i));
        return f;
      case finite_only_at_start:
      case nan_hessian:
        for (int i = 0; i < n; ++i) f += x(i) * x(i);
        if (kind == finite_only_at_start && x(0) != 3.0) return nan();
        return f;
      case nan_everywhere:
        return nan();
      default:
        return 1.0;
    }
  }

  template <class YView>
  KOKKOS_INLINE_FUNCTION double gradient_row(const YView& x, int i) const {
    double g = 0.0;
    switch (kind) {
      case rosenbrock_chain:
        if (i >= 1) g += 200.0 * (x(i) - x(i - 1) * x(i - 1));
        if (i + 1 < n) g += -400.0 * x(i) * (x(i + 1) - x(i) * x(i)) - 2.0 * (1.0 - x(i));
        return g;
      case convex_quadratic:
        return quadratic_row_product(x, i) - rhs(i);
      case quartic_saddle:
        return i == 0 ? 4.0 * x(0) * x(0) * x(0) - 2.0 * x(0) : 2.0 * x(i);
      case log_barrier:
        return 1.0 - 2.0 / x(i);
      case finite_only_at_start:
        return x(0) != 3.0 ? nan() : 2.0 * x(i);
      case nan_hessian:
        return 2.0 * x(i);
      case nan_everywhere:
        return nan();
      default:
        return 1.0;
    }
  }

  template <class YView, class HView>
  KOKKOS_INLINE_FUNCTION void hessian_row(const YView& x, int i, const HView& h) const {
    for (int j = 0; j < n; ++j) h(i, j) = 0.0;
    switch (kind) {
      case rosenbrock_chain:
        if (i >= 1) {
          h(i, i) += 200.0;
          h(i, i - 1) = -400.0 * x(i - 1);
        }
        if (i + 1 < n) {
          h(i, i) += 1200.0 * x(i) * x(i) - 400.0 * x(i + 1) + 2.0;
          h(i, i + 1) = -400.0 * x(i);
        }
        return;
      case convex_quadratic:
        h(i, i) = 4.0 + i;
        if (i >= 1) h(i, i - 1) = -1.0;
        if (i + 1 < n) h(i, i + 1) = -1.0;
        return;
      case quartic_saddle:
        h(i, i) = i == 0 ? 12.0 * x(0) * x(0) - 2.0 : 2.0;
        return;
      case log_barrier:
        h(i, i) = 2.0 / (x(i) * x(i));
        return;
      case finite_only_at_start:
        h(i, i) = x(0) != 3.0 ? nan() : 2.0;
        return;
      case nan_hessian:
        h(i, i) = i == 0 ? nan() : 2.0;
        return;
      case nan_everywhere:
        h(i, i) = nan();
        return;
      default:
        h(i, i) = 1.0;
        return;
    }
  }

  // Serial-level objective.
  template <class YView, class GView, class HView>
  KOKKOS_INLINE_FUNCTION bool operator()(const YView& y, double& f, const GView& g,
                                         const HView& h) const {
    f = value(y);
    for (int i = 0; i < n; ++i) {
      g(i) = gradient_row(y, i);
      hessian_row(y, i, h);
    }
    return true;
  }

  KOKKOS_INLINE_FUNCTION static double nan() {
    volatile double zero = 0.0;
    return zero / zero;
  }

 private:
  template <class YView>
  KOKKOS_INLINE_FUNCTION double quadratic_row_product(const YView& x, int i) const {
    double r = (4.0 + i) * x(i);
    if (i >= 1) r -= x(i - 1);
    if (i + 1 < n) r -= x(i + 1);
    return r;
  }
  KOKKOS_INLINE_FUNCTION static double rhs(int i) { return 1.0 + i % 3; }
};

// Per-problem objective for the batched drivers: kind per problem; the team version spreads
// gradient and Hessian rows over the team and either evaluates f redundantly on every thread
// (bitwise equal to serial) or by a team reduction (the ELBO's pattern; not bitwise equal).
template <class MemorySpace>
struct TestProblemSet {
  Kokkos::View<const int*, MemorySpace> kinds;
  int n = 2;
  bool team_reduction = false;

  KOKKOS_INLINE_FUNCTION TestFunction function(int problem) const {
    TestFunction fn;
    fn.kind = kinds(problem);
    fn.n = n;
    return fn;
  }

  template <class YView, class GView, class HView>
  KOKKOS_INLINE_FUNCTION bool operator()(int problem, const YView& y, double& f, const GView& g,
                                         const HView& h) const {
    return function(problem)(y, f, g, h);
  }

  template <class MemberType, class YView, class GView, class HView>
  KOKKOS_INLINE_FUNCTION bool operator()(const MemberType& member, int problem, const YView& y,
                                         double& f, const GView& g, const HView& h) const {
    const TestFunction fn = function(problem);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(member, n), [&](int i) {
      g(i) = fn.gradient_row(y, i);
      fn.hessian_row(y, i, h);
    });
    if (team_reduction && fn.kind == rosenbrock_chain) {
      double sum = 0.0;
      Kokkos::parallel_reduce(
          Kokkos::TeamThreadRange(member, n - 1),
          [&](int i, double& acc) {
            const double a = y(i + 1) - y(i) * y(i), b = 1.0 - y(i);
            acc += 100.0 * a * a + b * b;
          },
          sum);
      f = sum;
    } else {
      f = fn.value(y);
    }
    return true;
  }
};

}  // namespace celeste::optimizer::testing
