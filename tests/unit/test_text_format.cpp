// util/text_format.hpp: JSON output must parse (no "nan", escaped control characters) and
// round-trip doubles; message numbers keep the digits asked for.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "util/text_format.hpp"

namespace celeste {
namespace {

TEST(TextFormat, JsonNumberRoundTripsAndIsNullWhenNotFinite) {
  for (double v : {0.1, 1.0 / 3.0, -2.5e-300, 6.02214076e23, 1e308}) {
    const std::string t = json_number(v);
    EXPECT_EQ(std::strtod(t.c_str(), nullptr), v) << t;
  }
  EXPECT_EQ(json_number(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(json_number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(json_number(-std::numeric_limits<double>::infinity()), "null");
}

TEST(TextFormat, JsonQuotedEscapes) {
  EXPECT_EQ(json_quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quoted(std::string("tab\there\nnl")), "\"tab\\u0009here\\u000anl\"");
  EXPECT_EQ(json_quoted("/data/r\xc3\xa9sum\xc3\xa9.fits"), "\"/data/r\xc3\xa9sum\xc3\xa9.fits\"");
}

TEST(TextFormat, SignificantDigits) {
  EXPECT_EQ(format_significant(1.0 / 3.0, 6), "0.333333");
  EXPECT_EQ(format_significant(1.0 / 3.0), "0.333333333");
  EXPECT_EQ(format_significant(-0.000123456), "-0.000123456");
  EXPECT_EQ(format_significant(1e-4, 6), "0.0001");
}

}  // namespace
}  // namespace celeste
