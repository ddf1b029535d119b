// `celeste bench elbo|fit|peak`: ELBO kernel throughput, per-source fit throughput and this
// machine's peak FLOP rate.
#include <cstdio>
#include <string>

#include "app/cli.hpp"
#include "bench/benchmarks.hpp"
#include "bench/flop_count.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"

namespace celeste::app {

int cmd_bench(CommandArgs& a) {
  if (a.args.empty() || (a.args[0] != "elbo" && a.args[0] != "peak" && a.args[0] != "fit"))
    throw ConfigError("bench: expected 'elbo', 'fit' or 'peak' (see celeste bench --help)");
  const std::string what = a.args[0];
  bool json = false;
  int threads = 0, sources = 500;
  std::string backend;
  double seconds = 3.0;
  for (std::size_t i = 1; i < a.args.size(); ++i) {
    std::string v;
    if (a.args[i] == "--json")
      json = true;
    else if (take_option(a.args, i, "--threads", v))
      threads = parse_int_option("--threads", v);
    else if (take_option(a.args, i, "--backend", v))
      backend = v;
    else if (take_option(a.args, i, "--sources", v))
      sources = parse_int_option("--sources", v);
    else if (take_option(a.args, i, "--seconds", v))
      seconds = parse_int_option("--seconds", v);
    else
      throw ConfigError("bench: unknown option '" + a.args[i] + "'");
  }
  runtime::Runtime rt(a.argc, a.argv, {threads, true});
  if (what == "fit") {
    const auto r = bench::bench_fit(sources, seconds, backend);
    if (json) {
      std::printf(
          "{\"benchmark\": \"fit\", \"backend\": \"%s\", \"threads\": %d, \"sources\": %d, "
          "\"images\": %d, \"repetitions\": %d, \"seconds\": %.4f, \"setup_seconds\": %.4f, "
          "\"sources_per_s_per_core\": %.3f, \"mean_newton_iterations\": %.3f, "
          "\"elbo_evaluations\": %ld, \"pixel_visits_per_s\": %.1f, \"converged\": %d}\n",
          r.backend.c_str(), r.threads, r.sources, r.images, r.repetitions, r.seconds,
          r.setup_seconds, r.sources_per_s_per_core, r.mean_newton_iterations,
          r.elbo_evaluations, r.pixel_visits_per_s, r.converged);
    } else {
      std::printf("per-source fit (Newton trust region, from the generic initialization), %d "
                  "sources, %d images, %s, %d thread(s)\n",
                  r.sources, r.images, r.backend.c_str(), r.threads);
      std::printf("  %d repetition(s) in %.2f s (host task assembly %.2f s): %.2f sources/s per "
                  "thread\n",
                  r.repetitions, r.seconds, r.setup_seconds, r.sources_per_s_per_core);
      std::printf("  %.1f Newton iterations per source, %ld ELBO evaluations per repetition, "
                  "%.3e pixel visits/s, %d/%d converged\n",
                  r.mean_newton_iterations, r.elbo_evaluations, r.pixel_visits_per_s,
                  r.converged, r.sources);
    }
    return kExitOk;
  }
  const auto peak = bench::measure_peak(what == "peak" ? seconds : 1.0);
  if (what == "peak") {
    if (json)
      std::printf("{\"benchmark\": \"peak\", \"peak_gflops\": %.3f, \"threads\": %d, "
                  "\"backend\": \"%s\"}\n",
                  peak.gflops, peak.threads, peak.backend.c_str());
    else
      std::printf("double-precision peak (FMA microbenchmark): %.2f GFLOP/s on %d thread(s), "
                  "%s\n",
                  peak.gflops, peak.threads, peak.backend.c_str());
    return kExitOk;
  }
  auto r = bench::bench_elbo(sources, seconds, backend);
  r.peak_gflops = peak.gflops;
  r.peak_fraction = r.gflops / peak.gflops;
  if (json) {
    std::printf(
        "{\"benchmark\": \"elbo\", \"backend\": \"%s\", \"threads\": %d, \"sources\": %d, "
        "\"images\": %d, \"psf_components\": %d, \"visits_per_evaluation\": %ld, "
        "\"repetitions\": %d, \"seconds\": %.4f, \"pixel_visits_per_s\": %.1f, "
        "\"flops_per_visit\": %ld, \"celeste_jl_flops_per_visit\": %ld, \"gflops\": %.3f, "
        "\"peak_gflops\": %.3f, \"peak_fraction\": %.4f}\n",
        r.backend.c_str(), r.threads, r.sources, r.images, r.psf_components,
        r.visits_per_evaluation, r.repetitions, r.seconds, r.pixel_visits_per_s,
        r.flops_per_visit, bench::kCelesteJlFlopsPerVisit, r.gflops, r.peak_gflops,
        r.peak_fraction);
  } else {
    std::printf("ELBO value+gradient+Hessian, %d sources, %d images, K=%d, %s, %d thread(s)\n",
                r.sources, r.images, r.psf_components, r.backend.c_str(), r.threads);
    std::printf("  active pixel visits per evaluation of all sources: %ld\n",
                r.visits_per_evaluation);
    std::printf("  %d repetitions in %.2f s: %.3e pixel visits/s\n", r.repetitions, r.seconds,
                r.pixel_visits_per_s);
    std::printf("  %ld FLOPs per visit (Celeste.jl: %ld): %.2f GFLOP/s = %.1f%% of measured "
                "peak %.2f GFLOP/s\n",
                r.flops_per_visit, bench::kCelesteJlFlopsPerVisit, r.gflops,
                100 * r.peak_fraction, r.peak_gflops);
  }
  return kExitOk;
}

}  // namespace celeste::app
