#pragma once
// Locating the real SDSS test data in ../shared/data (relative to the repository root).
// Tests that need it call CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12"), which skips the
// test with a message naming the folder when it is absent (CI without ../shared, a laptop).
#include <gtest/gtest.h>

#include <string>

namespace celeste::testing {

// The shared data folder: $CELESTE_SHARED_DATA if set, else <repo>/../shared/data.
std::string shared_data_dir();

// Full path of `relative` inside the shared data folder, or "" when it does not exist.
std::string shared_data_path(const std::string& relative);

// A fresh, empty scratch folder for this test (under the system temp folder, per process).
std::string scratch_dir(const std::string& name);

}  // namespace celeste::testing

#define CELESTE_REQUIRE_SHARED_DATA(relative)                                          \
  do {                                                                                 \
    if (::celeste::testing::shared_data_path(relative).empty()) {                      \
      GTEST_SKIP() << "real survey data not found: " << ::celeste::testing::shared_data_dir() \
                   << "/" << (relative) << " is absent (set CELESTE_SHARED_DATA or place "   \
                   << "../shared/data beside the repository)";                         \
    }                                                                                  \
  } while (0)
