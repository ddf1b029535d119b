#pragma once
// Benchmarks behind `celeste bench`: machine peak FLOP rate and ELBO kernel throughput.
#include <string>

namespace celeste::bench {

struct PeakResult {
  double gflops = 0;
  int threads = 0;
  std::string backend;
};
// Double-precision peak by a register-resident FMA microbenchmark on every host thread.
PeakResult measure_peak(double seconds = 1.0);

struct ElboBenchResult {
  int sources = 0, images = 0, threads = 0, psf_components = 0;
  std::string backend;
  long visits_per_evaluation = 0;  // active pixel visits of one evaluation of every source
  int repetitions = 0;
  double seconds = 0;
  double pixel_visits_per_s = 0;
  long flops_per_visit = 0;
  double gflops = 0;
  double peak_gflops = 0, peak_fraction = 0;
};
// Value + gradient + Hessian of every source of a synthetic SDSS-like field (5 bands,
// `sources` sources, catalog-initialised neighbours), repeated for at least `seconds`.
// `backend`: Kokkos execution space by name ("" = the build's default; runtime/backend.hpp).
ElboBenchResult bench_elbo(int sources, double seconds, const std::string& backend = "");

struct FitBenchResult {
  int sources = 0, images = 0, threads = 0, repetitions = 0;
  std::string backend;
  double seconds = 0;               // wall time of the fits (all repetitions)
  double setup_seconds = 0;         // of which host-side task assembly (build_elbo_batch)
  double sources_per_s_per_core = 0;  // sources fitted per second per host thread
  double mean_newton_iterations = 0;  // per source
  long elbo_evaluations = 0;        // per repetition, all sources
  double pixel_visits_per_s = 0;    // ELBO pixel visits (value + gradient + Hessian)
  int converged = 0;                // sources with status converged (last repetition)
};
// Per-source Newton trust-region fits of every source of a synthetic SDSS-like field (5
// bands, catalog-initialised neighbours, targets from the generic initialization, linear-
// response uncertainties on), repeated for at least `seconds`.
FitBenchResult bench_fit(int sources, double seconds, const std::string& backend = "");

}  // namespace celeste::bench
