#include "model/elbo_problem.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "celeste/model/source_render.hpp"

namespace celeste::model {
namespace {

struct TaskData {
  std::vector<PatchGeometry> patches;
  std::vector<PsfGaussian> psf;
  std::vector<VisitedPixel> pixels;  // backgrounds: the sky only (neighbours in pixel_neighbors)
  std::vector<int> patch_stamp;      // per patch: SurveyPatches::star_stamps index, -1 none
  // The neighbour patches lighting this task's pixels, as (source, index into
  // SurveyPatches::by_source[source]), with the task-local PSF offset of their image; per
  // pixel (CSR) the local indices of those lighting it, in the order they are summed.
  struct Neighbor {
    int source, patch, psf_begin, psf_count;
  };
  std::vector<Neighbor> neighbors;
  std::vector<int> pixel_neighbor_begin{0};
  std::vector<int> pixel_neighbors;
  long neighbor_visits = 0;
};

TaskData build_task(const std::vector<survey::Image>& images, const SurveyPatches& sp, int target) {
  TaskData d;
  for (const auto& patch : sp.by_source[target]) {
    const auto& im = images[patch.image];
    const auto psf = image_psf_gaussians(im);
    PatchGeometry g{};
    g.band = im.band;
    g.psf_begin = static_cast<int>(d.psf.size());
    g.psf_count = static_cast<int>(psf.size());
    g.pixel_begin = static_cast<int>(d.pixels.size());
    g.stamp_begin = 0;  // set when the batch is merged
    g.stamp_size = sp.stamp_size(patch);
    for (int i = 0; i < 2; ++i) {
      g.p0[i] = patch.p0[i];
      g.u0[i] = patch.u0[i];
    }
    for (int i = 0; i < 4; ++i) g.jac[i] = patch.jac[i];
    // Neighbours with a patch in this image (neighbour order, then their patches' order: the
    // order their light is summed in).
    const int first_neighbor = static_cast<int>(d.neighbors.size());
    for (int s : sp.neighbors[target]) {
      const auto& theirs = sp.by_source[s];
      for (std::size_t j = 0; j < theirs.size(); ++j)
        if (theirs[j].image == patch.image)
          d.neighbors.push_back({s, static_cast<int>(j), g.psf_begin, g.psf_count});
    }
    const int end_neighbor = static_cast<int>(d.neighbors.size());
    d.psf.insert(d.psf.end(), psf.begin(), psf.end());
    for (int w = patch.w0; w <= patch.w1; ++w)
      for (int h = patch.h0; h <= patch.h1; ++h) {
        if (!patch.is_active(h, w)) continue;
        const std::size_t i = im.index(h, w);
        VisitedPixel px{};
        px.h = h;
        px.w = w;
        px.x = im.pixels[i];
        px.iota = im.iota[h - 1];
        px.background_mean = im.sky[i];
        px.background_var = 0;
        for (int k = first_neighbor; k < end_neighbor; ++k) {
          const auto& n = d.neighbors[k];
          if (!sp.lights(sp.by_source[n.source][n.patch], h, w)) continue;
          d.pixel_neighbors.push_back(k);
          ++d.neighbor_visits;
        }
        d.pixel_neighbor_begin.push_back(static_cast<int>(d.pixel_neighbors.size()));
        px.constant = px.x * std::log(px.iota) - std::lgamma(px.x + 1.0);
        d.pixels.push_back(px);
      }
    g.pixel_count = static_cast<int>(d.pixels.size()) - g.pixel_begin;
    if (g.pixel_count > 0) {
      d.patches.push_back(g);
      d.patch_stamp.push_back(patch.star_stamp);
    }
  }
  return d;
}

// The batch's neighbour light on the host, in place (NeighborLight::on_host).
void render_neighbor_light_on_host(ElboBatchHost& host) {
  using Host = Kokkos::DefaultHostExecutionSpace;
  using Mem = Kokkos::HostSpace;
  ElboInputs<Mem> in;
  in.task_patch_begin = Kokkos::View<int*, Mem>("Celeste::task_patch_begin", 0);
  in.psf = Kokkos::View<PsfGaussian*, Mem>(host.psf.data(), host.psf.size());
  in.pixels = Kokkos::View<VisitedPixel*, Mem>(host.pixels.data(), host.pixels.size());
  in.stamps = Kokkos::View<double*, Mem>(host.stamps.data(), host.stamps.size());
  NeighborLightInputs<Mem> light;
  light.patches = Kokkos::View<NeighborPatch*, Mem>(host.neighbor_patches.data(),
                                                    host.neighbor_patches.size());
  light.params = Kokkos::View<double*, Mem>(host.neighbor_params.data(),
                                            host.neighbor_params.size());
  light.pixel_begin = Kokkos::View<int*, Mem>(host.pixel_neighbor_begin.data(),
                                              host.pixel_neighbor_begin.size());
  light.pixel_patches = Kokkos::View<int*, Mem>(host.pixel_neighbors.data(),
                                                host.pixel_neighbors.size());
  light.num_components = host.neighbor_components;
  add_neighbor_light(Host(), in, light);
  Host().fence();
  host.neighbor_patches.clear();
  host.neighbor_params.clear();
  host.neighbor_param_sources.clear();
  host.pixel_neighbor_begin.clear();
  host.pixel_neighbors.clear();
  host.task_neighbor_begin.clear();
  host.task_neighbors.clear();
  host.neighbor_components = 0;
}

}  // namespace

std::vector<PsfGaussian> image_psf_gaussians(const survey::Image& im) {
  std::vector<PsfGaussian> psf;
  for (const auto& k : im.psf)
    psf.push_back({k.weight, {k.mean[0], k.mean[1]}, {k.cov[0], k.cov[1], k.cov[2]}});
  return psf;
}

std::size_t elbo_batch_bytes(const ElboBatchHost& host) {
  using runtime::HotArena;
  return HotArena::padded(host.task_patch_begin.size() * sizeof(int)) +
         HotArena::padded(host.patches.size() * sizeof(PatchGeometry)) +
         HotArena::padded(host.psf.size() * sizeof(PsfGaussian)) +
         HotArena::padded(host.pixels.size() * sizeof(VisitedPixel)) +
         HotArena::padded(host.stamps.size() * sizeof(double));
}

ElboBatchHost build_elbo_batch(const std::vector<survey::Image>& images,
                               const SurveyPatches& patches,
                               const std::vector<SourceParams>& params,
                               const std::vector<int>& targets, NeighborLight neighbor_light) {
  const int T = static_cast<int>(targets.size());
  ElboBatchHost host;
  std::map<int, int> stamp_offset;  // star_stamps index -> offset in host.stamps
  auto stamp_begin = [&](int st) {
    auto it = stamp_offset.find(st);
    if (it == stamp_offset.end()) {
      it = stamp_offset.emplace(st, static_cast<int>(host.stamps.size())).first;
      const auto& c = patches.star_stamps[st].coeffs;
      host.stamps.insert(host.stamps.end(), c.begin(), c.end());
    }
    return it->second;
  };
  // Each (neighbour, image) patch and each neighbour's parameters once per batch: tasks share
  // neighbours, and the light a patch casts depends on neither the task nor the pixel.
  std::map<std::pair<int, int>, int> neighbor_index;  // (source, its patch) -> neighbor_patches
  std::map<int, int> params_begin;                    // source -> neighbor_params offset
  // A whole task's batch (ResidentTask) is tens of MB: its pixels are allocated once at their
  // final size (counted first), and the targets are built in blocks merged as they come, so
  // the per-target copies never hold the whole batch a second time.
  std::size_t num_pixels = 0;
  for (int s : targets)
    for (const auto& patch : patches.by_source[s])
      for (int w = patch.w0; w <= patch.w1; ++w)
        for (int h = patch.h0; h <= patch.h1; ++h) num_pixels += patch.is_active(h, w) ? 1 : 0;
  host.pixels.reserve(num_pixels);
  host.pixel_neighbor_begin.reserve(num_pixels + 1);
  host.pixel_neighbor_begin.assign(1, 0);
  host.task_neighbor_begin.assign(1, 0);
  const int block = std::max(64, 4 * Kokkos::DefaultHostExecutionSpace().concurrency());
  std::vector<TaskData> tasks;
  for (int first = 0; first < T; first += block) {
    const int count = std::min(block, T - first);
    tasks.assign(count, TaskData());
    Kokkos::parallel_for(
        "Celeste::ELBO::build_tasks",
        Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, count),
        [&](int t) { tasks[t] = build_task(images, patches, targets[first + t]); });
    for (auto& d : tasks) {
      const int psf_offset = static_cast<int>(host.psf.size());
      const int pixel_offset = static_cast<int>(host.pixels.size());
      for (std::size_t k = 0; k < d.patches.size(); ++k) {
        PatchGeometry g = d.patches[k];
        g.psf_begin += psf_offset;
        g.pixel_begin += pixel_offset;
        if (const int st = d.patch_stamp[k]; st >= 0) g.stamp_begin = stamp_begin(st);
        host.patches.push_back(g);
      }
      std::vector<int> global(d.neighbors.size());
      for (std::size_t k = 0; k < d.neighbors.size(); ++k) {
        const auto& n = d.neighbors[k];
        auto [it, added] = neighbor_index.emplace(std::make_pair(n.source, n.patch),
                                                  static_cast<int>(host.neighbor_patches.size()));
        global[k] = it->second;
        if (!added) continue;
        const SourcePatch& q = patches.by_source[n.source][n.patch];
        auto [pit, new_source] =
            params_begin.emplace(n.source, static_cast<int>(host.neighbor_params.size()));
        if (new_source) {
          host.neighbor_params.insert(host.neighbor_params.end(), params[n.source].begin(),
                                      params[n.source].end());
          host.neighbor_param_sources.push_back(n.source);
        }
        NeighborPatch np{};
        np.params_begin = pit->second;
        np.band = images[q.image].band;
        np.psf_begin = n.psf_begin + psf_offset;
        np.psf_count = n.psf_count;
        np.stamp_size = patches.stamp_size(q);
        np.stamp_begin = q.star_stamp >= 0 ? stamp_begin(q.star_stamp) : 0;
        np.components_begin = host.neighbor_components;
        host.neighbor_components += n.psf_count * (1 + kNumProfileComponents);
        for (int i = 0; i < 2; ++i) {
          np.p0[i] = q.p0[i];
          np.u0[i] = q.u0[i];
        }
        for (int i = 0; i < 4; ++i) np.jac[i] = q.jac[i];
        host.neighbor_patches.push_back(np);
      }
      host.task_neighbors.insert(host.task_neighbors.end(), global.begin(), global.end());
      host.task_neighbor_begin.push_back(static_cast<int>(host.task_neighbors.size()));
      const int list_offset = static_cast<int>(host.pixel_neighbors.size());
      for (int k : d.pixel_neighbors) host.pixel_neighbors.push_back(global[k]);
      for (std::size_t p = 1; p < d.pixel_neighbor_begin.size(); ++p)
        host.pixel_neighbor_begin.push_back(list_offset + d.pixel_neighbor_begin[p]);
      host.psf.insert(host.psf.end(), d.psf.begin(), d.psf.end());
      host.pixels.insert(host.pixels.end(), d.pixels.begin(), d.pixels.end());
      host.task_patch_begin.push_back(static_cast<int>(host.patches.size()));
      host.active_visits.push_back(static_cast<long>(d.pixels.size()));
      host.neighbor_visits.push_back(d.neighbor_visits);
      d = TaskData();  // merged
    }
  }
  if (neighbor_light == NeighborLight::on_host || host.neighbor_patches.empty())
    render_neighbor_light_on_host(host);
  return host;
}

}  // namespace celeste::model
