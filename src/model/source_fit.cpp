#include "model/source_fit.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
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

  PlacedBatch(const ElboBatchHost& host, std::size_t scratch_bytes, runtime::MemoryKind memory) {
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
    if (host.neighbor_light_pending()) {
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

// The fit on execution space Exec: the batch is uploaded to Exec's memory, fitted there, and
// the results copied back.
template <class Exec>
std::vector<SourceFit> fit_targets_on(const std::vector<survey::Image>& images,
                                      const SurveyPatches& patches,
                                      const std::vector<SourceParams>& params,
                                      const std::vector<int>& targets,
                                      const std::vector<SourceBounds>& target_box,
                                      const FitOptions& options) {
  using Mem = typename Exec::memory_space;
  const int T = static_cast<int>(targets.size());
  std::vector<SourceFit> out(T);
  if (T == 0) return out;
  const ElboBatchHost host =
      build_elbo_batch(images, patches, params, targets, NeighborLight::deferred);

  FitSources<Exec> f;
  const TeamShape requested{options.team_size, options.vector_length};
  const TeamShape shape = resolve_team_shape<Exec>(requested);
  if (requested.team_size > 0) check_team_size(f, shape);
  // The scratch: one slot per thread that can run a team (host spaces; on a GPU the
  // placement does not apply and Kokkos' team scratch is not counted).
  constexpr bool host_space = Kokkos::SpaceAccessibility<Kokkos::HostSpace, Mem>::accessible;
  const std::size_t scratch_bytes =
      host_space ? static_cast<std::size_t>(Kokkos::Experimental::UniqueToken<Exec>().size()) *
                       FitSources<Exec>::pool_slot_bytes(shape.workers())
                 : 0;
  const PlacedBatch<Exec> placed(host, scratch_bytes, options.memory);
  f.in = placed.in;
  if (placed.arena) f.scratch_pool = placed.scratch;
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
    out[t].active_visits = host.active_visits[t];
    out[t].neighbor_visits = host.neighbor_visits[t];
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
