// MPI smoke test, registered at 1 and 2 ranks: every rank runs Kokkos, results are combined.
#include <gtest/gtest.h>
#include <mpi.h>

#include <Kokkos_Core.hpp>

namespace {

// Rank r sums r*1000 .. r*1000+999 on its own Kokkos default space (a free function: nvcc
// rejects a device lambda inside a TEST body).
long long local_sum(int rank) {
  long long local = 0;
  Kokkos::parallel_reduce(
      "Celeste::Test::mpi_local", Kokkos::RangePolicy<>(0, 1000),
      KOKKOS_LAMBDA(int i, long long& acc) { acc += rank * 1000LL + i; }, local);
  return local;
}

TEST(MpiSmoke, AllreduceOfPerRankKokkosSums) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_GE(size, 1);
  long long local = local_sum(rank);
  long long total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  const long long n = 1000LL * size;
  EXPECT_EQ(total, n * (n - 1) / 2);
}

TEST(MpiSmoke, RanksSeeDistinctIds) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int max_rank = -1;
  MPI_Allreduce(&rank, &max_rank, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(max_rank, size - 1);
}

}  // namespace
