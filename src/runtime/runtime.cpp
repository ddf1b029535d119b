#include "runtime/runtime.hpp"

#include <Kokkos_Core.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/backend.hpp"
#include "runtime/cuda_device.hpp"
#include "util/checked_int.hpp"
#include "util/error.hpp"
#include "util/limits.hpp"
#include "celeste/version.hpp"

#if CELESTE_HAVE_MPI
#include <mpi.h>
#endif

namespace celeste::runtime {

#if defined(KOKKOS_ENABLE_OPENMP) && KOKKOS_VERSION < 40000
static_assert(kMaxHostThreads <= Kokkos::Impl::OpenMPExec::MAX_THREAD_COUNT,
              "util/limits.hpp kMaxHostThreads exceeds Kokkos' OpenMP thread pool");
#endif

namespace {

// One thread-count setting: where it came from and its text.
[[noreturn]] void thread_count_error(const std::string& source, const std::string& text) {
  throw ConfigError(source + " = " + text + ": expected a thread count 1.." +
                        std::to_string(kMaxHostThreads) + " (Kokkos' OpenMP backend keeps " +
                        std::to_string(kMaxHostThreads) +
                        " thread slots and crashes beyond them)",
                    {"", 0, 0, source, text});
}

int checked_count(const std::string& source, const std::string& text, bool zero_ok) {
  const std::optional<long long> v = parse_integer(text);
  const std::optional<int> n =
      v ? checked_integer<int>(*v, zero_ok ? 0 : 1, kMaxHostThreads) : std::nullopt;
  if (!n) thread_count_error(source, text);
  return *n;
}

}  // namespace

namespace {

struct ThreadCountSetting {
  int threads = 0;  // 0: none set
  std::string source;
};

ThreadCountSetting thread_count_setting(int argc, char** argv, const RuntimeOptions& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    for (const char* flag : {"--kokkos-threads=", "--kokkos-num-threads="})
      if (a.rfind(flag, 0) == 0) {
        const std::string name = std::string(flag).substr(0, std::string(flag).size() - 1);
        return {checked_count(name, a.substr(std::string(flag).size()), false), name};
      }
  }
  if (options.threads != 0)
    return {checked_count(options.threads_source, std::to_string(options.threads), false),
            options.threads_source};
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && *env) {
    // OMP_NUM_THREADS may be a list for nested levels ("8,2"); Kokkos uses the first.
    std::string first(env);
    first = first.substr(0, first.find(','));
    while (!first.empty() && first.back() == ' ') first.pop_back();
    while (!first.empty() && first.front() == ' ') first.erase(first.begin());
    return {checked_count("OMP_NUM_THREADS", first, false), "OMP_NUM_THREADS"};
  }
  const unsigned hw = std::thread::hardware_concurrency();
  if (hw > static_cast<unsigned>(kMaxHostThreads))
    return {kMaxHostThreads, "the host thread limit (" + std::to_string(kMaxHostThreads) + ")"};
  return {};
}

}  // namespace

int checked_thread_count(int argc, char** argv, const RuntimeOptions& options) {
  return thread_count_setting(argc, argv, options).threads;
}

namespace {

// Runs f with stdout pointing at stderr: Kokkos 3.4 prints its warnings and notices with
// printf, and stdout belongs to the subcommand's output (celeste info --json).
template <class F>
void with_stdout_on_stderr(F&& f) {
  std::fflush(stdout);
  std::cout.flush();
  const int saved = dup(STDOUT_FILENO);
  if (saved >= 0) dup2(STDERR_FILENO, STDOUT_FILENO);
  struct Restore {
    int saved;
    ~Restore() {
      std::fflush(stdout);
      std::cout.flush();
      if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
      }
    }
  } restore{saved};
  f();
}

// MPI ranks on this process's node (1 without MPI).
int ranks_on_node() {
#if CELESTE_HAVE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return 1;
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  int n = 1;
  MPI_Comm_size(local, &n);
  MPI_Comm_free(&local);
  return n;
#else
  return 1;
#endif
}

}  // namespace

Runtime::Runtime(int& argc, char** argv, const RuntimeOptions& options) {
  // Before MPI and Kokkos start: a bad count is a usage error, not a crash in Kokkos.
  const ThreadCountSetting threads =
      Kokkos::is_initialized() ? ThreadCountSetting{} : thread_count_setting(argc, argv, options);
  if (!Kokkos::is_initialized()) require_cuda_device();  // a CUDA build without a GPU: say so
#if CELESTE_HAVE_MPI
  if (options.use_mpi) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      // Only the main thread calls MPI; Kokkos threads never do.
      MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
      owns_mpi_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size_);
  }
#else
  (void)options.use_mpi;
#endif
  if (!Kokkos::is_initialized()) {
    // The layout (binding environment, default thread count) before OpenMP starts its threads.
    ThreadLayout layout = plan_thread_layout(threads.threads, threads.source,
                                             options.threads_per_core, ranks_on_node());
    // Only Kokkos' own flags are passed on: Kokkos 3.4 also accepts bare aliases such as
    // --threads, which belong to our subcommands. A thread count from the config is passed as
    // Kokkos' flag, whose spelling changed in Kokkos 3.7 (--kokkos-threads ->
    // --kokkos-num-threads).
    std::vector<char*> args{argv[0]};
    bool kokkos_thread_flag = false;
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]).rfind("--kokkos-", 0) == 0) {
        args.push_back(argv[i]);
        kokkos_thread_flag = kokkos_thread_flag ||
                             std::string(argv[i]).rfind("--kokkos-threads=", 0) == 0 ||
                             std::string(argv[i]).rfind("--kokkos-num-threads=", 0) == 0;
      }
#if KOKKOS_VERSION >= 30700
    std::string thread_flag = "--kokkos-num-threads=" + std::to_string(layout.threads);
#else
    std::string thread_flag = "--kokkos-threads=" + std::to_string(layout.threads);
#endif
    if (!kokkos_thread_flag) args.push_back(thread_flag.data());
    int kargc = static_cast<int>(args.size());
    args.push_back(nullptr);
    with_stdout_on_stderr([&] { Kokkos::initialize(kargc, args.data()); });
    layout.threads = static_cast<int>(Kokkos::DefaultHostExecutionSpace::concurrency());
    bind_and_read_threads(layout);
    set_thread_layout(layout);
  }
}

Runtime::~Runtime() {
  if (Kokkos::is_initialized()) with_stdout_on_stderr([] { Kokkos::finalize(); });
#if CELESTE_HAVE_MPI
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_mpi_ && !finalized) MPI_Finalize();
#endif
}

void abort_job(int code) {
#if CELESTE_HAVE_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

BuildInfo build_info() {
  BuildInfo info;
  info.celeste_version = CELESTE_VERSION_STRING;
  info.kokkos_version = std::to_string(KOKKOS_VERSION / 10000) + "." +
                        std::to_string(KOKKOS_VERSION / 100 % 100) + "." +
                        std::to_string(KOKKOS_VERSION % 100);
  info.kokkos_kernels_version = CELESTE_KOKKOSKERNELS_VERSION;
  const std::string names = enabled_backend_names();
  std::size_t start = 0;
  while (start < names.size()) {
    std::size_t end = names.find(' ', start);
    if (end == std::string::npos) end = names.size();
    info.enabled_backends.push_back(names.substr(start, end - start));
    start = end + 1;
  }
  info.default_backend = CELESTE_DEFAULT_BACKEND_NAME;
  info.memory_spaces.push_back("HostSpace");
#if defined(KOKKOS_ENABLE_HBWSPACE)
  info.memory_spaces.push_back("HBWSpace");
#endif
#if defined(KOKKOS_ENABLE_CUDA)
  for (const char* s : {"CudaSpace", "CudaUVMSpace", "CudaHostPinnedSpace"})
    info.memory_spaces.push_back(s);
#endif
  info.memory_spaces.push_back("memkind:hbw");
#if CELESTE_HAVE_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  info.mpi_library.assign(version, static_cast<std::size_t>(length));
  const auto newline = info.mpi_library.find_first_of(",\n");
  if (newline != std::string::npos) info.mpi_library.resize(newline);
#endif
  return info;
}

int backend_concurrency(const std::string& backend) {
  return with_backend(backend, [](auto space) { return static_cast<int>(space.concurrency()); });
}

}  // namespace celeste::runtime
