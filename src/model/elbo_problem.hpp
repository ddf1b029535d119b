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

  int num_tasks() const { return static_cast<int>(task_patch_begin.size()) - 1; }
};

// The image's PSF mixture in the kernels' form.
std::vector<PsfGaussian> image_psf_gaussians(const survey::Image& image);

ElboBatchHost build_elbo_batch(const std::vector<survey::Image>& images,
                               const SurveyPatches& patches,
                               const std::vector<SourceParams>& params,
                               const std::vector<int>& targets);

// Bytes of the batch's arrays on the device (each padded to runtime::HotArena::kAlign).
std::size_t elbo_batch_bytes(const ElboBatchHost& host);

// The batch in MemorySpace: in Views Kokkos allocates, or, given `arena` (host-accessible
// spaces only: execution.memory: hbw), in unmanaged Views over the arena's block, which must
// outlive them.
template <class MemorySpace>
ElboInputs<MemorySpace> upload_elbo_batch(const ElboBatchHost& host,
                                          runtime::HotArena* arena = nullptr) {
  ElboInputs<MemorySpace> in;
  auto copy = [arena](auto& view, const auto& vec, const char* label) {
    using V = std::remove_reference_t<decltype(view)>;
    if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) {
      if (arena) {
        using T = typename V::value_type;
        view = V(static_cast<T*>(arena->take(vec.size() * sizeof(T))), vec.size());
        for (std::size_t i = 0; i < vec.size(); ++i) view(i) = vec[i];
        return;
      }
    }
    view = V(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), vec.size());
    auto mirror = Kokkos::create_mirror_view(view);
    for (std::size_t i = 0; i < vec.size(); ++i) mirror(i) = vec[i];
    Kokkos::deep_copy(view, mirror);
  };
  copy(in.task_patch_begin, host.task_patch_begin, "Celeste::task_patch_begin");
  copy(in.patches, host.patches, "Celeste::patches");
  copy(in.psf, host.psf, "Celeste::psf");
  copy(in.pixels, host.pixels, "Celeste::pixels");
  copy(in.stamps, host.stamps, "Celeste::star_stamps");
  return in;
}

}  // namespace celeste::model
