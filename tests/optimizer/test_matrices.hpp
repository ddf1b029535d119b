#pragma once
// Host-side test matrices with known spectra for the optimizer tests.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace celeste::optimizer::testing {

// Row-major n×n matrix.
struct DenseMatrix {
  int n = 0;
  std::vector<double> a;
  explicit DenseMatrix(int size) : n(size), a(size_t(size) * size, 0.0) {}
  double& operator()(int i, int j) { return a[size_t(i) * n + j]; }
  double operator()(int i, int j) const { return a[size_t(i) * n + j]; }
};

// Random orthogonal matrix as a product of n Householder reflectors (orthogonal to rounding).
inline DenseMatrix random_orthogonal(int n, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  DenseMatrix q(n);
  for (int i = 0; i < n; ++i) q(i, i) = 1.0;
  std::vector<double> v(n);
  for (int k = 0; k < n; ++k) {
    double vv = 0.0;
    for (int i = 0; i < n; ++i) {
      v[i] = normal(rng);
      vv += v[i] * v[i];
    }
    // q <- q (I - 2 v v^T / v^T v)
    for (int r = 0; r < n; ++r) {
      double dot = 0.0;
      for (int i = 0; i < n; ++i) dot += q(r, i) * v[i];
      const double scale = 2.0 * dot / vv;
      for (int i = 0; i < n; ++i) q(r, i) -= scale * v[i];
    }
  }
  return q;
}

// A = Q diag(d) Q^T, exactly symmetric (upper triangle mirrored).
inline DenseMatrix with_spectrum(const DenseMatrix& q, const std::vector<double>& d) {
  const int n = q.n;
  DenseMatrix a(n);
  for (int i = 0; i < n; ++i)
    for (int j = i; j < n; ++j) {
      double sum = 0.0;
      for (int k = 0; k < n; ++k) sum += q(i, k) * d[k] * q(j, k);
      a(i, j) = sum;
      a(j, i) = sum;
    }
  return a;
}

inline double frobenius_norm(const DenseMatrix& a) {
  double s = 0.0;
  for (double x : a.a) s += x * x;
  return std::sqrt(s);
}

}  // namespace celeste::optimizer::testing
