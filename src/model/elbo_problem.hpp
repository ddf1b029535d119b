#pragma once
// Assembles the kernels' ElboInputs for a batch of target sources (one task each) from the
// survey images, the patches and every source's current parameters: the target's patches with
// their visited (active) pixels, and at each visited pixel the sky plus the fixed neighbours'
// E[G] and Var[G] (model.md §4.5 contributors: the neighbour's patch must contain the pixel and
// mark it active).
#include <Kokkos_Core.hpp>

#include <array>
#include <string>
#include <vector>

#include "celeste/model/elbo_inputs.hpp"
#include "celeste/model/neighbor_light.hpp"
#include "celeste/param_layout.hpp"
#include "model/patches.hpp"
#include "runtime/memory_placement.hpp"
#include "survey/image.hpp"

namespace celeste::model {

using SourceParams = std::array<double, kNumParams>;

struct ElboBatchHost {
  std::vector<int> task_patch_begin{0};
  std::vector<PatchGeometry> patches;
  std::vector<PsfGaussian> psf;
  std::vector<VisitedPixel> pixels;
  std::vector<double> stamps;         // pixelized star profiles used by the batch's patches
  std::vector<long> active_visits;    // per task: pixel visits per ELBO evaluation
  std::vector<long> neighbor_visits;  // per task: neighbour contributions in the background
  // The fixed neighbours' light still to be added to the pixels' backgrounds
  // (kernels/celeste/model/neighbor_light.hpp), batch-wide: each (neighbour, image) patch once,
  // its source's parameters once. Empty once rendered (NeighborLight::on_host).
  std::vector<NeighborPatch> neighbor_patches;
  std::vector<double> neighbor_params;
  std::vector<int> neighbor_param_sources;  // whose parameters neighbor_params holds, in order
  std::vector<int> pixel_neighbor_begin;  // per pixel + 1, into pixel_neighbors
  std::vector<int> pixel_neighbors;
  int neighbor_components = 0;
  // Per task + 1 (CSR): the neighbor_patches lighting its pixels, each once.
  std::vector<int> task_neighbor_begin;
  std::vector<int> task_neighbors;

  int num_tasks() const { return static_cast<int>(task_patch_begin.size()) - 1; }
  bool neighbor_light_pending() const { return !neighbor_patches.empty(); }
};

// Where build_elbo_batch's neighbour light is rendered: on the host while building (the
// pixels are complete), or later where the batch is uploaded (upload_neighbor_light +
// add_neighbor_light on the fit's execution space; the pixels hold the sky until then).
enum class NeighborLight { on_host, deferred };

// The image's PSF mixture in the kernels' form.
std::vector<PsfGaussian> image_psf_gaussians(const survey::Image& image);

ElboBatchHost build_elbo_batch(const std::vector<survey::Image>& images,
                               const SurveyPatches& patches,
                               const std::vector<SourceParams>& params,
                               const std::vector<int>& targets,
                               NeighborLight neighbor_light = NeighborLight::on_host);

// Bytes of the batch's arrays on the device (each padded to runtime::HotArena::kAlign).
std::size_t elbo_batch_bytes(const ElboBatchHost& host);

// A host array as a View of its memory space: Kokkos-allocated under `label`, or, given
// `arena` (host-accessible spaces only), an unmanaged View over the arena's next block.
template <class View, class Vector>
void place_array(View& view, const Vector& vec, const char* label,
                 runtime::HotArena* arena = nullptr) {
  using T = typename View::value_type;
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace,
                                           typename View::memory_space>::accessible) {
    if (arena) {
      view = View(static_cast<T*>(arena->take(vec.size() * sizeof(T))), vec.size());
      for (std::size_t i = 0; i < vec.size(); ++i) view(i) = vec[i];
      return;
    }
  }
  view = View(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), vec.size());
  auto mirror = Kokkos::create_mirror_view(view);
  for (std::size_t i = 0; i < vec.size(); ++i) mirror(i) = vec[i];
  Kokkos::deep_copy(view, mirror);
}

// The batch in MemorySpace: in Views Kokkos allocates, or, given `arena` (host-accessible
// spaces only: execution.memory: hbw), in unmanaged Views over the arena's block, which must
// outlive them.
template <class MemorySpace>
ElboInputs<MemorySpace> upload_elbo_batch(const ElboBatchHost& host,
                                          runtime::HotArena* arena = nullptr) {
  ElboInputs<MemorySpace> in;
  place_array(in.task_patch_begin, host.task_patch_begin, "Celeste::task_patch_begin", arena);
  place_array(in.patches, host.patches, "Celeste::patches", arena);
  place_array(in.psf, host.psf, "Celeste::psf", arena);
  place_array(in.pixels, host.pixels, "Celeste::pixels", arena);
  place_array(in.stamps, host.stamps, "Celeste::star_stamps", arena);
  return in;
}

// The batch's pending neighbour light in MemorySpace (Kokkos-allocated: read once per
// rendering, not by the fit's iterations).
template <class MemorySpace>
NeighborLightInputs<MemorySpace> upload_neighbor_light(const ElboBatchHost& host) {
  NeighborLightInputs<MemorySpace> light;
  place_array(light.patches, host.neighbor_patches, "Celeste::NeighborLight::patches");
  place_array(light.params, host.neighbor_params, "Celeste::NeighborLight::params");
  place_array(light.pixel_begin, host.pixel_neighbor_begin, "Celeste::NeighborLight::pixel_begin");
  place_array(light.pixel_patches, host.pixel_neighbors, "Celeste::NeighborLight::pixel_patches");
  light.num_components = host.neighbor_components;
  return light;
}

}  // namespace celeste::model
