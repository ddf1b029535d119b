#pragma once
// Constant tables that device code may read. nvcc rejects device code that reads a
// namespace-scope constexpr array (model_constants.hpp's tables): "identifier ... is undefined
// in device code"; it accepts a function-local `static constexpr` copy. A kernel function that
// indexes a table therefore reads a local copy:
//   static constexpr auto mean = device_table(constants::kColorMean);   // mean[i][d][j]
// The copy holds the same doubles, so host results do not change (issue 13, docs/decisions.md).
#include <Kokkos_Core.hpp>

#include <cstddef>

namespace celeste {

template <class T, std::size_t N>
struct DeviceArray {
  T v[N];
  KOKKOS_INLINE_FUNCTION constexpr const T& operator[](int i) const { return v[i]; }
};

namespace detail {
template <class T>
struct DeviceTableOf {
  using type = T;
};
template <class T, std::size_t N>
struct DeviceTableOf<T[N]> {
  using type = DeviceArray<typename DeviceTableOf<T>::type, N>;
};
}  // namespace detail

template <class T>
KOKKOS_INLINE_FUNCTION constexpr T device_table(const T& x) {
  return x;
}

// A (nested) C array as a (nested) DeviceArray with the same elements; constexpr, so its use in
// a `static constexpr` initializer is evaluated by the compiler, never at run time.
template <class T, std::size_t N>
KOKKOS_INLINE_FUNCTION constexpr typename detail::DeviceTableOf<T[N]>::type device_table(
    const T (&a)[N]) {
  typename detail::DeviceTableOf<T[N]>::type r{};
  for (std::size_t i = 0; i < N; ++i) r.v[i] = device_table(a[i]);
  return r;
}

}  // namespace celeste
