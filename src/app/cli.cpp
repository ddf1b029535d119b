#include "app/cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <optional>

#include "runtime/runtime.hpp"
#include "util/checked_int.hpp"
#include "util/error.hpp"
#include "util/limits.hpp"
#include "util/log.hpp"
#include "util/text_format.hpp"
#include "celeste/version.hpp"

namespace celeste::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"info", "show version, Kokkos backends, execution space, threads and MPI ranks",
       "usage: celeste info [--json] [--backend serial|openmp|cuda] [--threads N]\n"
       "\n"
       "Prints the Celeste-K version, the Kokkos and Kokkos Kernels versions, the Kokkos\n"
       "backends and memory spaces compiled in, the execution space in use with its\n"
       "concurrency, the number of MPI ranks, the NUMA nodes with their memory (which are\n"
       "high-bandwidth for memkind), cores and hardware threads, and the thread binding in\n"
       "force. Kokkos' own options (--kokkos-threads=N, --kokkos-tools-library=LIB, ...)\n"
       "work with every subcommand.\n"
       "  --json        one JSON object instead of text\n"
       "  --backend B   report on backend B instead of the build default\n"
       "  --threads N   number of host threads (default: OMP_NUM_THREADS or all cores)\n",
       cmd_info, true},
      {"run", "fit a catalog: images + initial catalog -> catalog (FITS, HDF5) + report",
       "usage: celeste run CONFIG.yaml [--threads N] [--backend B] [--resume] [--quiet|--verbose]\n"
       "       mpirun -np R celeste run CONFIG.yaml [--threads N] ...   (R MPI ranks)\n"
       "\n"
       "The production job: loads the images overlapping the configured sky region,\n"
       "initialises sources from a catalog, fits every source by variational inference and\n"
       "writes the catalog (FITS binary table and HDF5) with a run report.\n"
       "  --threads N   host threads per rank (default: execution.threads, else all cores)\n"
       "  --backend B   Kokkos execution space: serial, openmp or cuda, among those this\n"
       "                build has (celeste info); default execution.backend, else the\n"
       "                build's default\n"
       "  --resume   continue from output.directory/checkpoint.ckpt (written every\n"
       "             output.checkpoint_seconds); the catalog is the uninterrupted run's\n"
       "  --quiet    only errors on stderr; --verbose: per field, region and task lines\n"
       "             (output.log: the log also in a file; docs/run.md \"Log and progress\")\n"
       "Configuration keys: docs/config.md. Exit codes: 0 ok, 1 failure or no source\n"
       "fitted, 2 bad config.\n",
       cmd_run, true},
      {"generate", "draw a synthetic survey (images + truth catalog) from the model",
       "usage: celeste generate CONFIG.yaml [--threads N]\n"
       "\n"
       "Renders a synthetic multi-band, multi-epoch survey from Celeste's model (PSF, WCS,\n"
       "sky, calibration, Poisson noise) and writes FITS images and the truth catalog.\n"
       "Configuration keys: docs/config.md.\n",
       cmd_generate},
      {"psf", "PSF diagnostic: psField PSF vs the fitted mixture across each SDSS frame",
       "usage: celeste psf CONFIG.yaml\n"
       "\n"
       "For the SDSS images of a run configuration: per band, the psField PSF at the frame\n"
       "centre and four corners against the Gaussian mixture used for galaxies (width,\n"
       "ellipticity, orientation in image axes, largest residual). docs/psf.md.\n",
       cmd_psf},
      {"score", "compare a catalog with a truth catalog (Stripe 82 metrics)",
       "usage: celeste score --truth TRUTH.fits --catalog OUT.fits [--initial INIT.fits]\n"
       "                     [--json] [--out FILE]\n"
       "\n"
       "Matches sources by position and reports the Celeste papers' accuracy metrics and the\n"
       "calibration of the posterior uncertainties.\n",
       cmd_score},
      {"bench", "benchmarks: ELBO kernel and per-source fit throughput, machine peak FLOP rate",
       "usage: celeste bench elbo|fit|peak [--json] [--threads N] [--backend B] [--sources N]\n"
       "                                   [--seconds S]\n"
       "\n"
       "  --backend B   Kokkos execution space for elbo and fit: serial, openmp or cuda,\n"
       "                among those this build has (celeste info); peak is always the host\n"
       "  elbo   value+gradient+Hessian throughput on a realistic synthetic batch\n"
       "  fit    per-source Newton trust-region fits: sources/s per core on the same field\n"
       "  peak   this machine's double-precision peak FLOP rate (microbenchmark)\n",
       cmd_bench, true},
      {"schedule-sim", "predict distributed runs: the tree scheduler on P virtual ranks",
       "usage: celeste schedule-sim (--report REPORT.json | --synthetic N [--seed S]\n"
       "                            [--stages S] [--median-s X] [--sigma X])\n"
       "                            [--ranks 1,2,4,...] [--fanout F] [--latency-us X]\n"
       "                            [--poll-ms X] [--prefetch-s X] [--chunk-divisor K] [--json]\n"
       "\n"
       "Discrete-event simulation of the dynamic tree scheduler of distributed runs on P\n"
       "virtual ranks (no MPI): per P the predicted makespan, its lower bound, efficiency\n"
       "(task-seconds / (P x makespan)), load imbalance and waiting (fractions of P x\n"
       "makespan) and scheduler messages. docs/scheduling.md, \"Simulator\".\n"
       "  --report FILE     per-task durations of a run report (key \"tasks\")\n"
       "  --synthetic N     N tasks per stage, log-normal durations (median 10 s, sigma 0.5)\n"
       "  --seed S, --stages S (default 1, 2), --median-s X, --sigma X: the synthetic survey\n"
       "  --ranks LIST      virtual rank counts (default 1,2,4,...,8192)\n"
       "  --fanout F        tree fan-out (default 8)\n"
       "  --latency-us X    per-message latency in microseconds (default 5)\n"
       "  --poll-ms X       a fitting rank reads its messages every X ms (default 0: at once)\n"
       "  --prefetch-s X    a rank asks for its next task X s before the running one ends\n"
       "                    (default 0: when idle)\n"
       "  --chunk-divisor K chunk rule's k (default 2)\n"
       "  --json            one JSON object instead of the table\n",
       cmd_schedule_sim},
  };
  return table;
}

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "Celeste-K %s: Bayesian variational inference for astronomical catalogs\n"
               "\nusage: celeste COMMAND [ARGS...]\n\ncommands:\n",
               CELESTE_VERSION_STRING);
  for (const auto& c : commands()) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\nEvery command takes --quiet (only errors on stderr) and --verbose (more detail),\n"
               "and Kokkos' own --kokkos-* options.\n"
               "`celeste COMMAND --help` describes one command.\n");
}

}  // namespace

bool take_option(const std::vector<std::string>& args, std::size_t& i, const std::string& name,
                 std::string& value) {
  const std::string& a = args[i];
  if (a == name) {
    if (i + 1 >= args.size())
      throw UsageError("option " + name + " needs a value", {"", 0, 0, name, ""});
    value = args[++i];
    return true;
  }
  if (a.rfind(name + "=", 0) == 0) {
    value = a.substr(name.size() + 1);
    return true;
  }
  return false;
}

namespace {

// Options whose range is narrower than "any non-negative int", with the reason.
struct OptionLimit {
  const char* name;
  long long lo, hi;
  const char* why;
};
const OptionLimit kOptionLimits[] = {
    {"--threads", 0, kMaxHostThreads,
     "0 = default; Kokkos' OpenMP backend supports at most 512 threads"},
};

}  // namespace

int parse_int_option(const std::string& name, const std::string& value, long long lo,
                     long long hi, const std::string& why) {
  // The one checked integer conversion (util/checked_int.hpp), as for YAML keys.
  const std::optional<long long> v = parse_integer(value);
  const std::optional<int> checked = v ? checked_integer<int>(*v, lo, hi) : std::nullopt;
  if (checked) return *checked;
  const std::string shown = value.size() > 40 ? value.substr(0, 37) + "..." : value;
  throw UsageError("option " + name + ": expected an integer " + integer_range_text(lo, hi) +
                       (why.empty() ? "" : " (" + why + ")") + ", got '" + shown + "'" +
                       (v ? "" : value.find_first_not_of("+-0123456789") == std::string::npos &&
                                         !value.empty()
                                     ? " (too large)"
                                     : " (not an integer)"),
                   {"", 0, 0, name, value});
}

double parse_number_option(const std::string& name, const std::string& value, double lo,
                           double hi) {
  const std::string shown = value.size() > 40 ? value.substr(0, 37) + "..." : value;
  const auto fail = [&](const std::string& why) {
    return UsageError("option " + name + ": expected a number in [" + format_significant(lo, 6) +
                          ", " + format_significant(hi, 6) + "], got '" + shown + "'" + why,
                      {"", 0, 0, name, value});
  };
  // strtod alone accepts leading spaces, "nan", "inf" and hexadecimal: only plain decimals here.
  if (value.empty() || value.find_first_not_of("+-.0123456789eE") != std::string::npos)
    throw fail(" (not a number)");
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size()) throw fail(" (not a number)");
  if (errno == ERANGE || !std::isfinite(v) || v < lo || v > hi) throw fail(" (out of range)");
  return v;
}

int parse_int_option(const std::string& name, const std::string& value) {
  for (const auto& limit : kOptionLimits)
    if (name == limit.name) return parse_int_option(name, value, limit.lo, limit.hi, limit.why);
  return parse_int_option(name, value, 0, kIntMax, "");
}

int report_current_exception(const char* command) {
  // Through the log: on stderr at every level, and in output.log when the run has one.
  const std::string name = command;
  try {
    throw;
  } catch (const UsageError& e) {
    log::error("celeste " + name + ": usage error: " + e.what() + "\n  (see celeste " + name +
               " --help)");
    return kExitUsage;
  } catch (const ConfigError& e) {
    log::error("celeste " + name + ": configuration error: " + e.what());
    return kExitUsage;
  } catch (const InputError& e) {
    log::error("celeste " + name + ": input error: " + e.what());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    log::error("celeste " + name + ": error: out of memory (the inputs or the configuration "
               "need more memory than this machine can give)");
    return kExitFailure;
  } catch (const std::exception& e) {
    log::error("celeste " + name + ": error: " + e.what());
    return kExitFailure;
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    if (argc >= 3) {
      for (const auto& c : commands())
        if (argv[2] == std::string(c.name)) {
          std::fputs(c.help, stdout);
          return kExitOk;
        }
    }
    print_usage(stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("Celeste-K %s\n", CELESTE_VERSION_STRING);
    return kExitOk;
  }
  for (const auto& c : commands()) {
    if (name != c.name) continue;
    CommandArgs ca;
    ca.argc = argc;
    ca.argv = argv;
    bool quiet = false, verbose = false;
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        std::fputs(c.help, stdout);
        return kExitOk;
      }
      // The log level is every subcommand's (util/log.hpp), so it is taken here.
      if (a == "--quiet")
        quiet = true;
      else if (a == "--verbose")
        verbose = true;
      else if (a.rfind("--kokkos-", 0) != 0)
        ca.args.push_back(a);
    }
    try {
      if (quiet && verbose)
        throw UsageError("options --quiet and --verbose exclude each other",
                         {"", 0, 0, "--quiet", ""});
      log::set_level(quiet ? log::Level::quiet : verbose ? log::Level::verbose : log::Level::normal);
      if (c.starts_runtime) return c.run(ca);
      runtime::Runtime rt(ca.argc, ca.argv, {0, false, "--threads"});
      return c.run(ca);
    } catch (...) {
      return report_current_exception(c.name);
    }
  }
  std::fprintf(stderr, "celeste: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return kExitUsage;
}

}  // namespace celeste::app
