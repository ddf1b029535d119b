// `celeste run CONFIG.yaml [--threads N] [--resume]`: the production job.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "app/cli.hpp"
#include "config/options.hpp"
#include "inference/run_pipeline.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace celeste::app {

int cmd_run(CommandArgs& a) {
  std::string config_path;
  int threads = -1;
  inference::RunControl control;
  for (std::size_t i = 0; i < a.args.size(); ++i) {
    std::string v;
    if (take_option(a.args, i, "--threads", v))
      threads = parse_int_option("--threads", v);
    else if (take_option(a.args, i, "--backend", v))
      control.backend = v;
    else if (a.args[i] == "--resume")
      control.resume = true;
    else if (a.args[i].rfind("--", 0) == 0)
      throw ConfigError("run: unknown option '" + a.args[i] + "'");
    else if (config_path.empty())
      config_path = a.args[i];
    else
      throw ConfigError("run: expected exactly one CONFIG.yaml, got '" + a.args[i] + "' too");
  }
  if (config_path.empty()) throw ConfigError("run: expected a CONFIG.yaml argument");
  const auto cfg = config::load_run_config(config_path);
  runtime::RuntimeOptions ro;
  ro.threads = threads >= 0 ? threads : cfg.execution.threads;
  ro.threads_source = threads >= 0 ? "--threads" : "execution.threads";
  ro.threads_per_core = cfg.execution.threads_per_core;
  runtime::Runtime rt(a.argc, a.argv, ro);
  inference::RunReport report;
  try {
    report = inference::run_pipeline(cfg, control);
  } catch (...) {
    if (rt.mpi_size() == 1) throw;
    // An error every rank meets (a bad input file) is reported once: rank 0 prints it and
    // aborts the job at once, while the other ranks wait. One only this rank meets is
    // reported by it after the wait, and its abort ends the job.
    if (rt.mpi_rank() != 0) {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      log::error(log::format("celeste run: MPI rank %d of %d failed:", rt.mpi_rank(),
                             rt.mpi_size()));
    }
    const int code = report_current_exception("run");
    std::fflush(stderr);
    runtime::abort_job(code);
  }
  if (rt.mpi_rank() != 0) return kExitOk;  // rank 0 writes the outputs and reports
  std::fputs(inference::report_summary(report).c_str(), stdout);
  // Outputs are written either way (they show what went wrong); a run that fitted nothing
  // did not do its job.
  if (report.targets > 0 && report.converged + report.max_iterations == 0) {
    log::error(log::format("celeste run: error: %s: none of the %d target sources could be fitted "
                           "(%d failed, %d not fitted); the catalog's failure_flags say why",
                           cfg.file.c_str(), report.targets, report.failed, report.not_fitted));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace celeste::app
