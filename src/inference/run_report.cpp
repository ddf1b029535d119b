// The run report: JSON (machine-readable, keys documented in docs/run.md) and a human summary.
#include <cstdio>
#include <sstream>

#include "inference/run_pipeline.hpp"
#include "util/text_format.hpp"

namespace celeste::inference {
namespace {

// "memory" and "layout": the hot arrays' placement and bytes per memory space, peak resident
// memory, the host-thread layout (docs/run.md "Running on KNL / HBM nodes").
std::string memory_layout_json(const RunReport& r) {
  std::ostringstream o;
  const auto space = [](const runtime::PlacementTotals& t) {
    std::ostringstream s;
    s << "{\"peak_bytes\": " << t.peak_bytes << ", \"placed_bytes\": " << t.placed_bytes
      << ", \"allocations\": " << t.allocations << "}";
    return s.str();
  };
  const auto& p = r.placement;
  o << "  \"memory\": {\"requested\": " << json_quoted(r.memory.requested)
    << ", \"placement\": " << json_quoted(runtime::memory_kind_name(r.memory.kind))
    << ", \"reason\": " << json_quoted(r.memory.reason)
    << ", \"peak_resident_bytes\": " << r.peak_resident_bytes
    << ", \"largest_batch_bytes\": " << p.largest_batch_bytes
    << ", \"spaces\": {\"hbw\": " << space(p.hbw) << ", \"ddr\": " << space(p.ddr)
    << "}, \"hbw_spilled_bytes\": " << p.hbw_spilled_bytes << "},\n";
  const auto& l = r.layout;
  o << "  \"layout\": {\"threads\": " << l.threads << ", \"threads_per_core\": "
    << l.threads_per_core << ", \"threads_source\": " << json_quoted(l.threads_source)
    << ", \"proc_bind\": " << json_quoted(l.proc_bind) << ", \"places\": "
    << json_quoted(l.places) << ", \"binding_source\": " << json_quoted(l.binding_source)
    << ", \"cores_used\": " << l.cores_used << ", \"thread_cpus\": [";
  for (std::size_t i = 0; i < l.thread_cpus.size(); ++i)
    o << (i ? ", " : "") << json_quoted(l.thread_cpus[i]);
  o << "]},\n";
  return o.str();
}

// "catalog_rows": how the catalog file's rows became the run's sources (docs/run.md):
// read = sum of dropped + sources; sources = targets + fixed_neighbors + unused.
std::string catalog_rows_json(const RunReport& r) {
  std::ostringstream o;
  o << "{\"read\": " << r.catalog_rows.read << ", \"dropped\": {";
  for (std::size_t i = 0; i < r.catalog_rows.dropped.size(); ++i)
    o << (i ? ", " : "") << json_quoted(r.catalog_rows.dropped[i].first) << ": "
      << r.catalog_rows.dropped[i].second;
  o << "}, \"sources\": " << r.catalog_sources << ", \"targets\": " << r.targets
    << ", \"fixed_neighbors\": " << r.fixed_neighbors << ", \"unused\": " << r.unused_sources
    << "}";
  return o.str();
}

// The image-loading counters as JSON members (docs/run.md "report.json keys").
std::string image_loading_json(const ImageLoadingCounters& c) {
  std::ostringstream o;
  o << "\"image_loading_s\": " << json_number(c.wait_first_s + c.wait_late_s)
    << ", \"image_loading_first_task_s\": " << json_number(c.wait_first_s)
    << ", \"image_loading_late_s\": " << json_number(c.wait_late_s)
    << ", \"image_loading_plan_s\": " << json_number(c.plan_s)
    << ", \"images_loaded\": " << c.loads << ", \"image_cache_hits\": " << c.hits
    << ", \"image_cache_evictions\": " << c.evictions
    << ", \"image_bytes_loaded\": " << c.bytes_loaded
    << ", \"image_read_s\": " << json_number(c.read_s);
  return o.str();
}

}  // namespace

std::string report_json(const RunReport& r) {
  std::ostringstream o;
  const auto& t = r.timings;
  const io::OutputProvenance& p = r.provenance;
  o << "{\n"
    << "  \"run_id\": " << json_quoted(r.run_id) << ",\n"
    << "  \"provenance\": {\"software\": " << json_quoted(io::software_name())
    << ", \"version\": " << json_quoted(io::software_version())
    << ", \"git_commit\": " << json_quoted(io::software_commit())
    << ", \"start_utc\": " << json_quoted(p.start_utc)
    << ", \"date_utc\": " << json_quoted(p.date_utc) << ", \"host\": " << json_quoted(p.host)
    << ", \"backend\": " << json_quoted(p.backend) << ", \"threads\": " << p.threads
    << ",\n    \"config_yaml\": " << json_quoted(p.config_yaml) << ",\n    \"inputs\": [";
  for (std::size_t i = 0; i < p.inputs.size(); ++i)
    o << (i ? ",\n      " : "\n      ") << "{\"path\": " << json_quoted(p.inputs[i].path)
      << ", \"bytes\": " << p.inputs[i].bytes
      << ", \"modified_utc\": " << json_quoted(p.inputs[i].modified_utc) << "}";
  o << (p.inputs.empty() ? "" : "\n    ") << "]},\n"
    << "  \"config\": " << json_quoted(r.config_file) << ",\n"
    << "  \"backend\": " << json_quoted(r.backend) << ",\n"
    << "  \"threads\": " << r.threads << ",\n"
    << "  \"images\": " << r.images << ",\n"
    << "  \"catalog_sources\": " << r.catalog_sources << ",\n"
    << "  \"sources\": " << r.targets << ",\n"
    << "  \"fixed_neighbors\": " << r.fixed_neighbors << ",\n"
    << "  \"catalog_rows\": " << catalog_rows_json(r) << ",\n"
    << "  \"stages\": " << r.stages << ",\n"
    << "  \"regions\": " << r.regions << ",\n"
    << "  \"passes\": " << r.passes << ",\n"
    << "  \"fits\": " << r.fits << ",\n"
    << "  \"newton_iterations\": " << r.newton_iterations << ",\n"
    << "  \"elbo_evaluations\": " << r.elbo_evaluations << ",\n"
    << "  \"active_pixel_visits\": " << r.active_pixel_visits << ",\n"
    << "  \"inactive_pixel_visits\": " << r.inactive_pixel_visits << ",\n"
    << "  \"star_hypotheses_tried\": " << r.star_hypotheses_tried << ",\n"
    << "  \"star_hypotheses_accepted\": " << r.star_hypotheses_accepted << ",\n"
    << "  \"star_hypothesis_fits\": " << r.star_hypothesis_fits << ",\n"
    << "  \"type_evidence_calls\": " << r.type_evidence_calls << ",\n"
    << "  \"type_evidence_flips\": " << r.type_evidence_flips << ",\n"
    << "  \"type_evidence_fits\": " << r.type_evidence_fits << ",\n"
    << "  \"type_evidence_evaluations\": " << r.type_evidence_evaluations << ",\n"
    << "  \"flops_per_visit\": " << r.flops_per_visit << ",\n"
    << "  \"elbo_flops\": " << json_number(r.elbo_flops) << ",\n"
    << "  \"optimizer_flops\": " << json_number(r.optimizer_flops) << ",\n"
    << "  \"flops\": " << json_number(r.total_flops) << ",\n"
    << "  \"gflops\": " << json_number(r.gflops) << ",\n"
    << "  \"sources_per_s\": " << json_number(r.sources_per_s) << ",\n"
    << "  \"timings\": {\"total_s\": " << json_number(t.total)
    << ", \"image_loading_s\": " << json_number(t.image_loading)
    << ", \"setup_s\": " << json_number(t.setup)
    << ", \"task_processing_s\": " << json_number(t.task_processing)
    << ", \"load_imbalance_s\": " << json_number(t.load_imbalance)
    << ", \"output_s\": " << json_number(t.output) << ", \"other_s\": " << json_number(t.other)
    << "},\n"
    << "  \"optimizer\": {\"converged\": " << r.converged
    << ", \"max_iterations\": " << r.max_iterations << ", \"failed\": " << r.failed
    << ", \"not_fitted\": " << r.not_fitted << ", \"mean_iterations\": "
    << json_number(r.fits ? static_cast<double>(r.newton_iterations) / r.fits : 0.0)
    << ", \"failure_flags\": {";
  for (std::size_t i = 0; i < r.failure_flag_counts.size(); ++i)
    o << (i ? ", " : "") << json_quoted(r.failure_flag_counts[i].first) << ": "
      << r.failure_flag_counts[i].second;
  o << "}, \"warning_flags\": {";
  for (std::size_t i = 0; i < r.warning_flag_counts.size(); ++i)
    o << (i ? ", " : "") << json_quoted(r.warning_flag_counts[i].first) << ": "
      << r.warning_flag_counts[i].second;
  o << "}},\n"
    << "  \"checkpoints\": {\"written\": " << r.checkpoints_written
    << ", \"resumed\": " << (r.resumed ? "true" : "false")
    << ", \"resumed_fits\": " << r.resumed_fits << ", \"resumed_rounds\": " << r.resumed_rounds
    << ", \"resumed_inference_s\": " << json_number(r.resumed_inference_s) << "},\n";
  // Task-local images (docs/run.md): this process's (rank 0's in a distributed run).
  o << "  \"image_cache_mb\": " << json_number(r.image_cache_mb) << ",\n  \"image_loading\": {"
    << image_loading_json(r.image_loading) << "},\n";
  // Distributed runs: per rank (docs/run.md) and per task (input of `celeste schedule-sim`).
  o << "  \"mpi_ranks\": " << r.ranks << ",\n  \"scheduler_fanout\": " << r.scheduler_fanout
    << ",\n  \"ranks\": [";
  for (std::size_t i = 0; i < r.rank_activity.size(); ++i) {
    const RankActivity& a = r.rank_activity[i];
    o << (i ? ",\n    " : "\n    ") << "{\"rank\": " << a.rank << ", \"tasks\": " << a.tasks
      << ", \"sources\": " << a.sources << ", \"task_processing_s\": " << json_number(a.fitting_s)
      << ", \"waiting_s\": " << json_number(a.waiting_s)
      << ", \"load_imbalance_s\": " << json_number(a.idle_s) << ", \"rma_gets\": " << a.rma.gets
      << ", \"rma_puts\": " << a.rma.puts << ", \"rma_bytes_got\": " << a.rma.bytes_got
      << ", \"rma_bytes_put\": " << a.rma.bytes_put
      << ", \"scheduler_messages\": " << a.scheduler_messages << ", "
      << image_loading_json(a.images) << "}";
  }
  o << (r.rank_activity.empty() ? "" : "\n  ") << "],\n  \"tasks\": [";
  for (std::size_t i = 0; i < r.task_times.size(); ++i) {
    const TaskTime& t = r.task_times[i];
    o << (i ? ", " : "") << "{\"stage\": " << t.stage << ", \"id\": " << t.region
      << ", \"rank\": " << t.rank << ", \"seconds\": " << json_number(t.seconds)
      << ", \"cost\": " << json_number(t.cost) << ", \"sources\": " << t.sources
      << ", \"fits\": " << t.fits << ", \"newton_iterations\": " << t.newton_iterations
      << ", \"elbo_evaluations\": " << t.elbo_evaluations
      << ", \"active_pixel_visits\": " << t.active_pixel_visits
      << ", \"type_evidence_calls\": " << t.type_evidence_calls << "}";
  }
  o << "],\n";
  o << memory_layout_json(r);
  o << "  \"outputs\": [";
  for (std::size_t i = 0; i < r.outputs.size(); ++i)
    o << (i ? ", " : "") << json_quoted(r.outputs[i]);
  o << "]\n}\n";
  return o.str();
}

std::string report_summary(const RunReport& r) {
  std::ostringstream o;
  const auto& t = r.timings;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Celeste-K run: %d targets fitted in %d images, %d stage(s), %d region(s), %d "
                "passes\n",
                r.targets, r.images, r.stages, r.regions, r.passes);
  o << buf;
  // Targets, fixed neighbours and dropped rows told apart (docs/run.md "catalog_rows").
  std::snprintf(buf, sizeof buf,
                "  catalog: %ld rows read, %ld dropped, %d sources: %d targets (inside the "
                "region), %d fixed neighbours (modelled, not fitted), %d unused (outside the "
                "region, away from every target)\n",
                r.catalog_rows.read, r.catalog_rows.dropped_total(), r.catalog_sources, r.targets,
                r.fixed_neighbors, r.unused_sources);
  o << buf;
  for (const auto& [reason, n] : r.catalog_rows.dropped)
    if (n > 0) {
      std::snprintf(buf, sizeof buf, "    dropped %-20s %ld rows\n", reason.c_str(), n);
      o << buf;
    }
  std::snprintf(buf, sizeof buf,
                "  %ld fits, %ld Newton iterations (%.1f per fit), %ld ELBO evaluations\n",
                r.fits, r.newton_iterations,
                r.fits ? static_cast<double>(r.newton_iterations) / r.fits : 0.0,
                r.elbo_evaluations);
  o << buf;
  std::snprintf(buf, sizeof buf,
                "  %ld active pixel visits x %ld FLOPs + optimizer %.3g FLOPs = %.3g FLOPs: "
                "%.2f GFLOP/s on %d thread(s) (%s)\n",
                r.active_pixel_visits, r.flops_per_visit, r.optimizer_flops, r.total_flops,
                r.gflops, r.threads, r.backend.c_str());
  o << buf;
  std::snprintf(buf, sizeof buf,
                "  time %.2f s: loading %.2f, setup %.2f, task processing %.2f (load imbalance "
                "%.2f), output %.2f, other %.2f; %.2f sources/s\n",
                t.total, t.image_loading, t.setup, t.task_processing, t.load_imbalance, t.output,
                t.other, r.sources_per_s);
  o << buf;
  std::snprintf(buf, sizeof buf,
                "  optimizer: %d converged, %d at iteration limit, %d failed, %d not fitted\n",
                r.converged, r.max_iterations, r.failed, r.not_fitted);
  o << buf;
  for (const auto& [name, count] : r.failure_flag_counts)
    if (count > 0) {
      std::snprintf(buf, sizeof buf, "    flag %-20s %d sources\n", name.c_str(), count);
      o << buf;
    }
  for (const auto& [name, count] : r.warning_flag_counts)
    if (count > 0) {
      std::snprintf(buf, sizeof buf, "    warning %-20s %d sources\n", name.c_str(), count);
      o << buf;
    }
  {
    ImageLoadingCounters total = r.image_loading;
    if (!r.rank_activity.empty()) {
      total = {};
      for (const auto& a : r.rank_activity) {
        total.wait_first_s += a.images.wait_first_s;
        total.wait_late_s += a.images.wait_late_s;
        total.plan_s += a.images.plan_s;
        total.loads += a.images.loads;
        total.hits += a.images.hits;
        total.evictions += a.images.evictions;
        total.bytes_loaded += a.images.bytes_loaded;
      }
    }
    std::snprintf(buf, sizeof buf,
                  "  images: %ld loads (%.1f MB), %ld cache hits, %ld evictions (cache %.0f MB); "
                  "waits: plan %.2f s, first tasks %.2f s, late prefetch %.2f s\n",
                  total.loads, static_cast<double>(total.bytes_loaded) / 1e6, total.hits,
                  total.evictions, r.image_cache_mb, total.plan_s, total.wait_first_s,
                  total.wait_late_s);
    o << buf;
  }
  if (!r.rank_activity.empty()) {
    const RankActivity* worst = &r.rank_activity.front();
    for (const auto& a : r.rank_activity)
      if (a.idle_s + a.waiting_s > worst->idle_s + worst->waiting_s) worst = &a;
    std::snprintf(buf, sizeof buf,
                  "  %d MPI ranks (scheduler fan-out %d); worst rank %d: %d tasks, %.2f s "
                  "fitting, %.2f s waiting, %.2f s idle at the end of stages\n",
                  r.ranks, r.scheduler_fanout, worst->rank, worst->tasks, worst->fitting_s,
                  worst->waiting_s, worst->idle_s);
    o << buf;
  }
  // Memory and thread layout (docs/run.md "Running on KNL / HBM nodes").
  const auto mib = [](std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); };
  std::snprintf(buf, sizeof buf,
                "  memory: pixel data and ELBO scratch in %s (%s); peak %.1f MiB hbw, %.1f MiB "
                "ddr, largest batch %.1f MiB; peak resident %.1f MiB\n",
                runtime::memory_kind_name(r.memory.kind), r.memory.reason.c_str(),
                mib(r.placement.hbw.peak_bytes), mib(r.placement.ddr.peak_bytes),
                mib(r.placement.largest_batch_bytes), mib(r.peak_resident_bytes));
  o << buf;
  std::snprintf(buf, sizeof buf,
                "  threads: %d (%s), %d per core, OMP_PROC_BIND=%s OMP_PLACES=%s (%s)%s\n",
                r.layout.threads, r.layout.threads_source.c_str(), r.layout.threads_per_core,
                r.layout.proc_bind.empty() ? "unset" : r.layout.proc_bind.c_str(),
                r.layout.places.empty() ? "unset" : r.layout.places.c_str(),
                r.layout.binding_source.c_str(),
                r.layout.cores_used > 0
                    ? (", on " + std::to_string(r.layout.cores_used) + " core(s)").c_str()
                    : "");
  o << buf;
  for (const auto& p : r.outputs) o << "  wrote " << p << "\n";
  return o.str();
}

}  // namespace celeste::inference
