#include "model/source_fit.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "celeste/model/color_prior.hpp"
#include "celeste/model/elbo_value.hpp"
#include "celeste/model/fit_sources.hpp"
#include "celeste/model_constants.hpp"
#include "runtime/backend.hpp"

namespace celeste::model {

SourceBounds target_bounds(double ra0, double dec0, double max_patch_radius_px) {
  SourceBounds b = make_source_bounds(ra0, dec0, constants::kPositionHalfWidthDeg);
  if (max_patch_radius_px > 0)
    b.hi[param::radius] =
        std::clamp(kMaxScalePerPatchRadius * max_patch_radius_px,
                   // keep the box non-degenerate for a tiny patch
                   2 * b.lo[param::radius], b.hi[param::radius]);
  return b;
}

namespace {

// An explicit team size above what Exec can launch: a ConfigError (Kokkos would abort).
template <class Exec>
void check_team_size(const FitSources<Exec>& f, const TeamShape& shape) {
  const int max = fit_team_size_max(Exec(), f, shape.vector_length);
  if (shape.team_size > max)
    throw ConfigError("execution.team_size " + std::to_string(shape.team_size) +
                      " is more than the " + std::string(Exec::name()) +
                      " backend can run the fit kernel with (at most " + std::to_string(max) +
                      (Kokkos::SpaceAccessibility<Kokkos::HostSpace,
                                                  typename Exec::memory_space>::accessible
                           ? " here: the thread count"
                           : " at this vector length") +
                      ")");
}

// The hot arrays of one launch: the batch and `scratch_bytes` of scratch, in one memkind block
// (hbw, host spaces) or where Kokkos puts them (Mem; the scratch then is Exec's team scratch),
// counted per kind for the report while they live. A batch built with NeighborLight::deferred
// gets its neighbours' light rendered on Exec once placed (neighbor_light.hpp); those inputs
// live only for that launch.
template <class Exec>
struct PlacedBatch {
  using Mem = typename Exec::memory_space;
  ElboInputs<Mem> in;
  Kokkos::View<char*, Mem> scratch;  // hbw only
  std::unique_ptr<runtime::HotArena> arena;
  std::size_t ddr_bytes = 0;

  // render_light = false: the caller renders the pending neighbour light itself (ResidentTask).
  PlacedBatch(const ElboBatchHost& host, std::size_t scratch_bytes, runtime::MemoryKind memory,
              bool render_light = true) {
    constexpr bool host_space = Kokkos::SpaceAccessibility<Kokkos::HostSpace, Mem>::accessible;
    const std::size_t bytes = elbo_batch_bytes(host) + scratch_bytes;
    runtime::note_batch(bytes);
    if (host_space && memory == runtime::MemoryKind::hbw) {
      arena = std::make_unique<runtime::HotArena>(bytes);
      in = upload_elbo_batch<Mem>(host, arena.get());
      scratch = Kokkos::View<char*, Mem>(static_cast<char*>(arena->take(scratch_bytes)),
                                         scratch_bytes);
      arena->verify_in_hbw();
    } else {
      in = upload_elbo_batch<Mem>(host);
      ddr_bytes = bytes;
      runtime::note_placed(runtime::MemoryKind::ddr, ddr_bytes);
    }
    // Read once, not by every Newton iteration: not hot arrays, so Kokkos places them and the
    // report's memory figures (the hot arrays') leave them out (docs/run.md).
    if (render_light && host.neighbor_light_pending()) {
      add_neighbor_light(Exec(), in, upload_neighbor_light<Mem>(host));
      Exec().fence();
    }
  }
  ~PlacedBatch() {
    if (!arena) runtime::note_released(runtime::MemoryKind::ddr, ddr_bytes);
  }
  PlacedBatch(const PlacedBatch&) = delete;
  PlacedBatch& operator=(const PlacedBatch&) = delete;
};

// The team shape the fit runs with on Exec (an explicit one Exec cannot launch: ConfigError).
template <class Exec>
TeamShape checked_team_shape(const FitOptions& options) {
  const TeamShape requested{options.team_size, options.vector_length};
  const TeamShape shape = resolve_team_shape<Exec>(requested);
  if (requested.team_size > 0) check_team_size(FitSources<Exec>(), shape);
  return shape;
}

// The fit kernel's scratch pool for `shape`: one slot per thread that can run a team (host
// spaces; on a GPU the placement does not apply and Kokkos' team scratch is not counted).
template <class Exec>
std::size_t fit_scratch_bytes(const TeamShape& shape) {
  constexpr bool host_space =
      Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename Exec::memory_space>::accessible;
  return host_space ? static_cast<std::size_t>(Kokkos::Experimental::UniqueToken<Exec>().size()) *
                          FitSources<Exec>::pool_slot_bytes(shape.workers())
                    : 0;
}

// The fit kernel on placed inputs whose tasks are `targets` in order (their pixel visits per
// evaluation in active_visits / neighbor_visits): the starts and boxes uploaded, the fit run on
// Exec, the results copied back. scratch_pool: the placed pool (hbw), or empty for Kokkos'
// team scratch.
template <class Exec>
std::vector<SourceFit> fit_placed(const ElboInputs<typename Exec::memory_space>& in,
                                  const Kokkos::View<char*, typename Exec::memory_space>& scratch_pool,
                                  const std::vector<long>& active_visits,
                                  const std::vector<long>& neighbor_visits,
                                  const std::vector<SourceParams>& params,
                                  const std::vector<int>& targets,
                                  const std::vector<SourceBounds>& target_box,
                                  const FitOptions& options) {
  using Mem = typename Exec::memory_space;
  const int T = static_cast<int>(targets.size());
  std::vector<SourceFit> out(T);
  const TeamShape requested{options.team_size, options.vector_length};
  FitSources<Exec> f;
  f.in = in;
  f.scratch_pool = scratch_pool;
  f.bounds = Kokkos::View<SourceBounds*, Mem>("Celeste::Fit::bounds", T);
  f.y = Kokkos::View<double**, Kokkos::LayoutRight, Mem>("Celeste::Fit::y", T, kNumFreeParams);
  f.theta = Kokkos::View<double**, Kokkos::LayoutRight, Mem>("Celeste::Fit::theta", T, kNumParams);
  f.results = Kokkos::View<optimizer::OptimizerResult*, Mem>("Celeste::Fit::results", T);
  f.prior = make_color_prior(options.type_prior.data());
  f.options = options.trust_region;
  if (options.linear_response) {
    f.lr_sd = decltype(f.lr_sd)("Celeste::Fit::lr_sd", T, kNumParams);
    f.lr_cov = decltype(f.lr_cov)("Celeste::Fit::lr_cov", T, kNumMeanParams, kNumMeanParams);
    f.lr_flags = decltype(f.lr_flags)("Celeste::Fit::lr_flags", T);
  }
  if (options.record_trace)
    f.trace = decltype(f.trace)("Celeste::Fit::trace", T,
                                std::max(0, options.trust_region.max_iterations), 3);
  auto bounds_h = Kokkos::create_mirror_view(f.bounds);
  auto y_h = Kokkos::create_mirror_view(f.y);
  for (int t = 0; t < T; ++t) {
    bounds_h(t) = target_box[t];
    SourceParams theta = params[targets[t]];
    enforce_bounds(theta.data(), target_box[t]);
    double y[kNumFreeParams];
    to_free(theta.data(), target_box[t], y);
    for (int i = 0; i < kNumFreeParams; ++i) y_h(t, i) = y[i];
  }
  Kokkos::deep_copy(f.bounds, bounds_h);
  Kokkos::deep_copy(f.y, y_h);
  const TeamShape ran = fit_sources(Exec(), f, requested);

  auto theta_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.theta);
  auto results_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.results);
  for (int t = 0; t < T; ++t) {
    for (int p = 0; p < kNumParams; ++p) out[t].params[p] = theta_h(t, p);
    out[t].result = results_h(t);
    out[t].active_visits = active_visits[t];
    out[t].neighbor_visits = neighbor_visits[t];
    out[t].execution_space = Exec::name();
    out[t].team_shape = ran;
    out[t].lr_sd.fill(std::nan(""));
    out[t].lr_flags = lr_flag::unavailable;  // until the linear response below says otherwise
  }
  if (options.linear_response) {
    auto sd_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.lr_sd);
    auto cov_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.lr_cov);
    auto flags_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.lr_flags);
    for (int t = 0; t < T; ++t) {
      for (int p = 0; p < kNumParams; ++p) out[t].lr_sd[p] = sd_h(t, p);
      for (int i = 0; i < kNumMeanParams; ++i)
        for (int j = 0; j < kNumMeanParams; ++j)
          out[t].lr_cov[i * kNumMeanParams + j] = cov_h(t, i, j);
      out[t].lr_flags = flags_h(t);
    }
  }
  if (options.record_trace) {
    auto trace_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.trace);
    for (int t = 0; t < T; ++t) {
      const int n = std::min<int>(out[t].result.iterations, static_cast<int>(trace_h.extent(1)));
      for (int i = 0; i < n; ++i)
        out[t].trace.push_back({trace_h(t, i, 0), trace_h(t, i, 1), trace_h(t, i, 2) != 0.0});
    }
  }
  return out;
}

// The fit on execution space Exec: the batch is built, placed in Exec's memory, fitted there,
// and the results copied back.
template <class Exec>
std::vector<SourceFit> fit_targets_on(const std::vector<survey::Image>& images,
                                      const SurveyPatches& patches,
                                      const std::vector<SourceParams>& params,
                                      const std::vector<int>& targets,
                                      const std::vector<SourceBounds>& target_box,
                                      const FitOptions& options) {
  if (targets.empty()) return {};
  const ElboBatchHost host =
      build_elbo_batch(images, patches, params, targets, NeighborLight::deferred);
  const TeamShape shape = checked_team_shape<Exec>(options);
  const PlacedBatch<Exec> placed(host, fit_scratch_bytes<Exec>(shape), options.memory);
  return fit_placed<Exec>(placed.in, placed.scratch, host.active_visits, host.neighbor_visits,
                          params, targets, target_box, options);
}

// A ResidentTask's arrays on Exec: the task's batch and scratch (its patch table and task
// offsets are overwritten by each chunk's: never larger than the whole task's), the
// neighbour lists with a parameter array refilled per chunk, and every pixel's sky.
template <class Exec>
struct ResidentArrays {
  using Mem = typename Exec::memory_space;
  PlacedBatch<Exec> placed;
  NeighborLightInputs<Mem> light;
  Kokkos::View<double*, Mem> sky;

  ResidentArrays(const ElboBatchHost& host, std::size_t scratch_bytes, runtime::MemoryKind memory)
      : placed(host, scratch_bytes, memory, /*render_light=*/false) {
    if (!host.neighbor_light_pending()) return;  // the backgrounds are the sky for good
    light = upload_neighbor_light<Mem>(host);
    std::vector<double> sky_h(host.pixels.size());
    for (std::size_t p = 0; p < sky_h.size(); ++p) sky_h[p] = host.pixels[p].background_mean;
    place_array(sky, sky_h, "Celeste::Resident::sky");
  }
};

// Overwrites view(0 .. vec.size()) with vec.
template <class View, class Vector>
void overwrite_front(const View& view, const Vector& vec) {
  const auto front = Kokkos::subview(view, std::make_pair(std::size_t(0), vec.size()));
  auto mirror = Kokkos::create_mirror_view(front);
  for (std::size_t i = 0; i < vec.size(); ++i) mirror(i) = vec[i];
  Kokkos::deep_copy(front, mirror);
}

}  // namespace

std::vector<SourceFit> fit_targets(const std::vector<survey::Image>& images,
                                   const SurveyPatches& patches,
                                   const std::vector<SourceParams>& params,
                                   const std::vector<int>& targets,
                                   const std::vector<SourceBounds>& target_box,
                                   const FitOptions& options) {
  return runtime::with_backend(options.backend, [&](auto space) {
    return fit_targets_on<decltype(space)>(images, patches, params, targets, target_box, options);
  });
}

ResidentTask::ResidentTask(const std::vector<survey::Image>& images, const SurveyPatches& patches,
                           const std::vector<SourceParams>& params,
                           const std::vector<int>& targets, const FitOptions& options)
    : batch_(build_elbo_batch(images, patches, params, targets, NeighborLight::deferred)),
      task_of_source_(patches.by_source.size(), -1),
      options_(options) {
  for (std::size_t t = 0; t < targets.size(); ++t) task_of_source_.at(targets[t]) = static_cast<int>(t);
  runtime::with_backend(options_.backend, [&](auto space) {
    using Exec = decltype(space);
    const TeamShape shape = checked_team_shape<Exec>(options_);
    resident_ = std::make_shared<ResidentArrays<Exec>>(batch_, fit_scratch_bytes<Exec>(shape),
                                                       options_.memory);
  });
  neighbor_patches_ = static_cast<int>(batch_.neighbor_patches.size());
  auto release = [](auto& v) { std::decay_t<decltype(v)>().swap(v); };
  release(batch_.pixels);
  release(batch_.psf);
  release(batch_.stamps);
  release(batch_.neighbor_patches);
  release(batch_.neighbor_params);
  release(batch_.pixel_neighbor_begin);
  release(batch_.pixel_neighbors);
}

std::vector<SourceFit> ResidentTask::fit(const std::vector<SourceParams>& params,
                                         const std::vector<int>& targets,
                                         const std::vector<SourceBounds>& target_box) const {
  if (targets.empty()) return {};
  // The chunk's patch table (the store's patches of its targets, in order: their pixel, PSF
  // and stamp offsets point into the placed arrays) and the pixels its fit reads.
  std::vector<int> task_patch_begin{0};
  std::vector<PatchGeometry> chunk_patches;
  std::vector<int> chunk_pixels;
  std::vector<long> active_visits, neighbor_visits;
  for (int s : targets) {
    if (!holds(s))
      throw std::logic_error("ResidentTask::fit: source " + std::to_string(s) +
                             " is not one of the task's targets");
    const int k = task_of_source_[s];
    for (int i = batch_.task_patch_begin[k]; i < batch_.task_patch_begin[k + 1]; ++i) {
      const PatchGeometry& g = batch_.patches[i];
      chunk_patches.push_back(g);
      for (int p = g.pixel_begin; p < g.pixel_begin + g.pixel_count; ++p) chunk_pixels.push_back(p);
    }
    task_patch_begin.push_back(static_cast<int>(chunk_patches.size()));
    active_visits.push_back(batch_.active_visits[k]);
    neighbor_visits.push_back(batch_.neighbor_visits[k]);
  }
  // The neighbour patches lighting them (each once) and every neighbour's current parameters.
  std::vector<int> chunk_neighbors;
  std::vector<char> listed(neighbor_patches_, 0);
  if (neighbor_patches_ > 0)
    for (int s : targets) {
      const int k = task_of_source_[s];
      for (int i = batch_.task_neighbor_begin[k]; i < batch_.task_neighbor_begin[k + 1]; ++i) {
        const int q = batch_.task_neighbors[i];
        if (!listed[q]) chunk_neighbors.push_back(q);
        listed[q] = 1;
      }
    }
  std::vector<double> neighbor_params;
  for (int n : batch_.neighbor_param_sources)
    neighbor_params.insert(neighbor_params.end(), params[n].begin(), params[n].end());
  return runtime::with_backend(options_.backend, [&](auto space) {
    using Exec = decltype(space);
    using Mem = typename Exec::memory_space;
    const auto& r = *static_cast<const ResidentArrays<Exec>*>(resident_.get());
    ElboInputs<Mem> in = r.placed.in;
    overwrite_front(in.task_patch_begin, task_patch_begin);
    overwrite_front(in.patches, chunk_patches);
    in.task_patch_begin =
        Kokkos::subview(in.task_patch_begin, std::make_pair(std::size_t(0), task_patch_begin.size()));
    in.patches = Kokkos::subview(in.patches, std::make_pair(std::size_t(0), chunk_patches.size()));
    if (neighbor_patches_ > 0) {
      overwrite_front(r.light.params, neighbor_params);
      Kokkos::View<int*, Mem> pixel_list, patch_list;
      place_array(pixel_list, chunk_pixels, "Celeste::Resident::pixel_list");
      place_array(patch_list, chunk_neighbors, "Celeste::Resident::patch_list");
      rerender_neighbor_light(Exec(), in, r.light, r.sky, pixel_list, patch_list);
      Exec().fence();
    }
    return fit_placed<Exec>(in, r.placed.scratch, active_visits, neighbor_visits, params, targets,
                            target_box, options_);
  });
}

TargetObjective::TargetObjective(const std::vector<survey::Image>& images,
                                 const SurveyPatches& patches,
                                 const std::vector<SourceParams>& params, int target,
                                 const SourceBounds& box, const FitOptions& options)
    : batch_(build_elbo_batch(images, patches, params, {target}, NeighborLight::deferred)),
      box_(box),
      options_(options) {
  runtime::with_backend(options_.backend, [&](auto space) {
    resident_ = std::make_shared<const PlacedBatch<decltype(space)>>(batch_, 0, options_.memory);
  });
}

double TargetObjective::operator()(const SourceParams& theta) const {
  return (*this)(std::vector<SourceParams>{theta})[0];
}

std::vector<double> TargetObjective::operator()(const std::vector<SourceParams>& thetas) const {
  const int T = static_cast<int>(thetas.size());
  std::vector<double> out(T);
  if (T == 0) return out;
  runtime::with_backend(options_.backend, [&](auto space) {
    using Exec = decltype(space);
    using Mem = typename Exec::memory_space;
    // One task per vector, all on the one target's resident pixels: its patches repeated
    // (the patch table and task offsets are the only arrays uploaded per call).
    const auto& placed = *static_cast<const PlacedBatch<Exec>*>(resident_.get());
    ElboInputs<Mem> in = placed.in;
    const int P = static_cast<int>(batch_.patches.size());
    in.task_patch_begin = Kokkos::View<int*, Mem>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "Celeste::Value::task_patch_begin"), T + 1);
    in.patches = Kokkos::View<PatchGeometry*, Mem>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "Celeste::Value::patches"),
        std::size_t(T) * P);
    auto begin_h = Kokkos::create_mirror_view(in.task_patch_begin);
    auto patches_h = Kokkos::create_mirror_view(in.patches);
    for (int t = 0; t <= T; ++t) begin_h(t) = t * P;
    for (int t = 0; t < T; ++t)
      for (int k = 0; k < P; ++k) patches_h(std::size_t(t) * P + k) = batch_.patches[k];
    Kokkos::deep_copy(in.task_patch_begin, begin_h);
    Kokkos::deep_copy(in.patches, patches_h);
    Kokkos::View<double**, Kokkos::LayoutRight, Mem> theta("Celeste::Value::theta", T, kNumParams);
    Kokkos::View<double*, Mem> value("Celeste::Value::value", T);
    auto theta_h = Kokkos::create_mirror_view(theta);
    for (int t = 0; t < T; ++t) {
      SourceParams th = thetas[t];
      enforce_bounds(th.data(), box_);
      double y[kNumFreeParams];
      to_free(th.data(), box_, y);
      to_canonical(y, box_, th.data());
      for (int p = 0; p < kNumParams; ++p) theta_h(t, p) = th[p];
    }
    Kokkos::deep_copy(theta, theta_h);
    evaluate_elbo_value(Exec(), in, theta, value, make_color_prior(options_.type_prior.data()),
                        options_.team_size);
    Exec().fence();
    auto value_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), value);
    for (int t = 0; t < T; ++t) out[t] = -value_h(t);
  });
  return out;
}

void record_fit(const SourceFit& fit, survey::SourceResult& record) {
  record.status_code = fit.result.status;
  record.iterations = fit.result.iterations;
  // A parameter at its bound is a warning, not a failure (survey::warning_flag); so are the
  // linear-response sds it could not compute (NaN in the catalog).
  namespace ff = optimizer::failure_flag;
  namespace wf = survey::warning_flag;
  record.failure_flags = static_cast<int>(fit.result.failure_flags & ~ff::at_bound);
  unsigned warnings = (fit.result.failure_flags & ff::at_bound) ? wf::at_bound : 0u;
  if (fit.lr_flags & lr_flag::at_bound) warnings |= wf::sd_at_bound;
  if (fit.lr_flags & lr_flag::shape_conditioned) warnings |= wf::sd_shape_conditioned;
  if (fit.lr_flags & lr_flag::mean_field) warnings |= wf::sd_mean_field;
  if (fit.lr_flags & lr_flag::unavailable) warnings |= wf::sd_unavailable;
  record.warning_flags = static_cast<int>(warnings);
  record.elbo = -fit.result.f_final;
  record.elbo_gain = fit.result.f_initial - fit.result.f_final;
  record.grad_norm = fit.result.gradient_norm_inf;
  record.lr_sd = fit.lr_sd;
}

}  // namespace celeste::model
