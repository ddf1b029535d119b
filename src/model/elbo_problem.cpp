#include "model/elbo_problem.hpp"

#include <cmath>
#include <map>

#include "celeste/model/source_render.hpp"

namespace celeste::model {
namespace {

struct TaskData {
  std::vector<PatchGeometry> patches;
  std::vector<PsfGaussian> psf;
  std::vector<VisitedPixel> pixels;
  std::vector<int> patch_stamp;  // per patch: SurveyPatches::star_stamps index, -1 none
  long neighbor_visits = 0;
};


// A neighbour rendered in one image: its components and brightness, ready for value-only use.
struct RenderedNeighbor {
  const SourcePatch* patch;
  const SourceParams* theta;
  std::vector<ProfileComponent> comps;
  int K;
  const double* stamp;  // pixelized star profile (nullptr: the PSF mixture)
  int stamp_n;
  Brightness bright;
  double center[2];
};

TaskData build_task(const std::vector<survey::Image>& images, const SurveyPatches& sp,
                    const std::vector<SourceParams>& params, int target) {
  TaskData d;
  for (const auto& patch : sp.by_source[target]) {
    const auto& im = images[patch.image];
    const auto psf = image_psf_gaussians(im);
    // Neighbours with a patch in this image.
    std::vector<RenderedNeighbor> nbrs;
    for (int s : sp.neighbors[target])
      for (const auto& q : sp.by_source[s]) {
        if (q.image != patch.image) continue;
        RenderedNeighbor r;
        r.patch = &q;
        r.theta = &params[s];
        r.K = static_cast<int>(psf.size());
        r.stamp = sp.stamp_coeffs(q);
        r.stamp_n = sp.stamp_size(q);
        r.comps.resize(kMaxComponentsPerPatch);
        const auto& th = params[s];
        double shape_cov[3];
        shape_covariance(th[param::axis_ratio], th[param::angle], th[param::radius], shape_cov);
        build_patch_components(psf.data(), r.K, shape_cov, r.comps.data());
        r.bright = brightness(th.data(), im.band);
        source_center(th.data(), q.p0.data(), q.u0.data(), q.jac.data(), r.center);
        nbrs.push_back(std::move(r));
      }
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
        for (const auto& r : nbrs) {
          if (!sp.lights(*r.patch, h, w)) continue;
          double fs, fg, mean, second;
          profile_values(r.comps.data(), r.K, (*r.theta)[param::frac_dev], r.stamp, r.stamp_n,
                         h - r.center[0],
                         w - r.center[1], fs, fg);
          source_moments(r.theta->data(), r.bright, fs, fg, mean, second);
          px.background_mean += mean;
          px.background_var += second - mean * mean;
          ++d.neighbor_visits;
        }
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
                               const std::vector<int>& targets) {
  const int T = static_cast<int>(targets.size());
  std::vector<TaskData> tasks(T);
  Kokkos::parallel_for(
      "Celeste::ELBO::build_tasks", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, T),
      [&](int t) { tasks[t] = build_task(images, patches, params, targets[t]); });
  ElboBatchHost host;
  std::map<int, int> stamp_offset;  // star_stamps index -> offset in host.stamps
  for (auto& d : tasks) {
    const int psf_offset = static_cast<int>(host.psf.size());
    const int pixel_offset = static_cast<int>(host.pixels.size());
    for (std::size_t k = 0; k < d.patches.size(); ++k) {
      PatchGeometry g = d.patches[k];
      g.psf_begin += psf_offset;
      g.pixel_begin += pixel_offset;
      if (const int st = d.patch_stamp[k]; st >= 0) {
        auto it = stamp_offset.find(st);
        if (it == stamp_offset.end()) {
          it = stamp_offset.emplace(st, static_cast<int>(host.stamps.size())).first;
          const auto& c = patches.star_stamps[st].coeffs;
          host.stamps.insert(host.stamps.end(), c.begin(), c.end());
        }
        g.stamp_begin = it->second;
      }
      host.patches.push_back(g);
    }
    host.psf.insert(host.psf.end(), d.psf.begin(), d.psf.end());
    host.pixels.insert(host.pixels.end(), d.pixels.begin(), d.pixels.end());
    host.task_patch_begin.push_back(static_cast<int>(host.patches.size()));
    host.active_visits.push_back(static_cast<long>(d.pixels.size()));
    host.neighbor_visits.push_back(d.neighbor_visits);
  }
  return host;
}

}  // namespace celeste::model
