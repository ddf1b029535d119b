#pragma once
// Numbers and strings as text: for error messages (a value as the user wrote it) and for the
// JSON files the drivers write (run report, score report).

#include <cmath>
#include <cstdio>
#include <string>

namespace celeste {

// `v` with `digits` significant digits (%g): 6 for a value in a message, 9 to show a header
// value as written, 17 to round-trip a double.
inline std::string format_significant(double v, int digits = 9) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// A JSON number that reads back as the same double; NaN and infinities (not JSON) are null.
inline std::string json_number(double v) {
  return std::isfinite(v) ? format_significant(v, 17) : std::string("null");
}

// A JSON string: quotes, backslashes and control characters escaped.
inline std::string json_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace celeste
