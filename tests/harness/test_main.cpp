// GoogleTest main for every Celeste-K test executable: MPI (if built with it) and Kokkos are
// initialized once around all tests; Kokkos flags (--kokkos-threads=N) come from the command
// line that ctest registers (tests/CMakeLists.txt, cmake/CelesteTesting.cmake).
#include <gtest/gtest.h>

#include "runtime/runtime.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  celeste::runtime::Runtime runtime(argc, argv, {0, true});
  if (runtime.mpi_rank() != 0) {
    // Only rank 0 prints GoogleTest's report; failures still set every rank's exit code.
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  return RUN_ALL_TESTS();
}
