// The shared-data locator: finds ../shared/data when present and skips cleanly when not.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "harness/shared_data.hpp"

namespace {

TEST(SharedData, LocatesTheRealSdssField) {
  CELESTE_REQUIRE_SHARED_DATA("sdss/stripe82-94-1-12");
  const std::string dir = celeste::testing::shared_data_path("sdss/stripe82-94-1-12");
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir;
  EXPECT_FALSE(celeste::testing::shared_data_path("README.md").empty());
}

TEST(SharedData, MissingFolderGivesEmptyPath) {
  EXPECT_TRUE(celeste::testing::shared_data_path("no/such/folder").empty());
}

TEST(SharedData, EnvironmentOverridesLocation) {
  const std::string before = celeste::testing::shared_data_dir();
  ::setenv("CELESTE_SHARED_DATA", "/tmp/celeste-elsewhere", 1);
  EXPECT_EQ(celeste::testing::shared_data_dir(), "/tmp/celeste-elsewhere");
  ::unsetenv("CELESTE_SHARED_DATA");
  EXPECT_EQ(celeste::testing::shared_data_dir(), before);
}

}  // namespace
