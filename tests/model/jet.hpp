#pragma once
// Second-order forward-mode automatic differentiation for tests: a value with its dense
// gradient and Hessian over N inputs. Deliberately naive (no sparsity), so it shares nothing
// with the analytic derivative code it checks.
#include <cmath>

namespace celeste::testing {

template <int N>
struct Jet {
  double v = 0;
  double g[N] = {};
  double h[N][N] = {};

  Jet() = default;
  Jet(double c) : v(c) {}  // NOLINT: constants convert implicitly
  static Jet variable(double value, int i) {
    Jet j(value);
    j.g[i] = 1;
    return j;
  }
};

// f(a) with f' = d1, f'' = d2 at a.v.
template <int N>
Jet<N> chain(const Jet<N>& a, double f, double d1, double d2) {
  Jet<N> r;
  r.v = f;
  for (int i = 0; i < N; ++i) r.g[i] = d1 * a.g[i];
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) r.h[i][j] = d1 * a.h[i][j] + d2 * a.g[i] * a.g[j];
  return r;
}

template <int N> Jet<N> operator+(const Jet<N>& a, const Jet<N>& b) {
  Jet<N> r;
  r.v = a.v + b.v;
  for (int i = 0; i < N; ++i) r.g[i] = a.g[i] + b.g[i];
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) r.h[i][j] = a.h[i][j] + b.h[i][j];
  return r;
}
template <int N> Jet<N> operator-(const Jet<N>& a) { return chain(a, -a.v, -1.0, 0.0); }
template <int N> Jet<N> operator-(const Jet<N>& a, const Jet<N>& b) { return a + (-b); }
template <int N> Jet<N> operator*(const Jet<N>& a, const Jet<N>& b) {
  Jet<N> r;
  r.v = a.v * b.v;
  for (int i = 0; i < N; ++i) r.g[i] = a.v * b.g[i] + b.v * a.g[i];
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j)
      r.h[i][j] = a.v * b.h[i][j] + b.v * a.h[i][j] + a.g[i] * b.g[j] + b.g[i] * a.g[j];
  return r;
}
template <int N> Jet<N> operator*(double c, const Jet<N>& a) { return chain(a, c * a.v, c, 0.0); }
template <int N> Jet<N> operator*(const Jet<N>& a, double c) { return c * a; }
template <int N> Jet<N> operator+(const Jet<N>& a, double c) { return chain(a, a.v + c, 1.0, 0.0); }
template <int N> Jet<N> operator+(double c, const Jet<N>& a) { return a + c; }
template <int N> Jet<N> operator-(const Jet<N>& a, double c) { return a + (-c); }
template <int N> Jet<N> operator-(double c, const Jet<N>& a) { return (-a) + c; }
template <int N> Jet<N> inverse(const Jet<N>& a) {
  return chain(a, 1.0 / a.v, -1.0 / (a.v * a.v), 2.0 / (a.v * a.v * a.v));
}
template <int N> Jet<N> operator/(const Jet<N>& a, const Jet<N>& b) { return a * inverse(b); }
template <int N> Jet<N> operator/(const Jet<N>& a, double c) { return (1.0 / c) * a; }
template <int N> Jet<N> operator/(double c, const Jet<N>& a) { return c * inverse(a); }
template <int N> Jet<N> exp(const Jet<N>& a) {
  const double e = std::exp(a.v);
  return chain(a, e, e, e);
}
template <int N> Jet<N> log(const Jet<N>& a) {
  return chain(a, std::log(a.v), 1.0 / a.v, -1.0 / (a.v * a.v));
}
template <int N> Jet<N> sqrt(const Jet<N>& a) {
  const double s = std::sqrt(a.v);
  return chain(a, s, 0.5 / s, -0.25 / (s * a.v));
}
template <int N> Jet<N> sin(const Jet<N>& a) {
  return chain(a, std::sin(a.v), std::cos(a.v), -std::sin(a.v));
}
template <int N> Jet<N> cos(const Jet<N>& a) {
  return chain(a, std::cos(a.v), -std::sin(a.v), -std::cos(a.v));
}

inline double value_of(double x) { return x; }
template <int N> double value_of(const Jet<N>& x) { return x.v; }

}  // namespace celeste::testing
