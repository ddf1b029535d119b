#pragma once
// The one checked integer conversion. Every integer read from a YAML key, a command-line option
// or a FITS keyword/column goes through it before it is narrowed to the type that stores it, so
// 4294967297 is an error naming the key and the allowed range instead of wrapping to 1.
//
//   parse_integer("42")                  -> 42 (decimal, optional sign, nothing else)
//   checked_integer<int>(v, lo, hi)      -> v as int when lo <= v <= hi, else std::nullopt
//   integer_range_text(1, kIntMax)       -> "1..2147483647"
// Callers turn a nullopt into their own error type with the site (YamlSection, FitsFile,
// app/cli.cpp parse_int_option).
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

namespace celeste {

inline constexpr long long kIntMax = std::numeric_limits<int>::max();
inline constexpr long long kIntMin = std::numeric_limits<int>::min();

// A whole string as a decimal integer ("-12", "+7"); nullopt for anything else, including
// empty text, spaces, fractions, exponents and values outside long long.
inline std::optional<long long> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = (text[0] == '+' || text[0] == '-') ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  for (std::size_t k = i; k < text.size(); ++k)
    if (text[k] < '0' || text[k] > '9') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

// `value` as T when it lies in [lo, hi] (which must itself lie within T).
template <class T>
std::optional<T> checked_integer(long long value, long long lo, long long hi) {
  static_assert(std::numeric_limits<T>::is_integer, "checked_integer narrows to an integer type");
  if (value < lo || value > hi) return std::nullopt;
  if (value < static_cast<long long>(std::numeric_limits<T>::min()) ||
      (value > 0 && static_cast<unsigned long long>(value) >
                        static_cast<unsigned long long>(std::numeric_limits<T>::max())))
    return std::nullopt;
  return static_cast<T>(value);
}

inline std::string integer_range_text(long long lo, long long hi) {
  return std::to_string(lo) + ".." + std::to_string(hi);
}

}  // namespace celeste
