#pragma once
// The fixed neighbours' light at a batch's visited pixels (model.md §4.5, §7.1), rendered where
// the batch lives with the value-only source_render.hpp code:
//   background_mean += Σ E[G_s'],  background_var += Σ Var[G_s']
// over the neighbour patches listed for each pixel, in list order.
//
//   add_neighbor_light(exec, in, light)
//     in:    the batch (ElboInputs); its pixels' backgrounds hold the sky (mean) and 0 (var)
//            on entry and the sky plus the neighbours on return. in.psf and in.stamps also
//            hold the neighbour patches' PSFs and star stamps (NeighborPatch offsets).
//     light: the neighbour patches, their sources' parameters and the per-pixel lists
//            (built on the host by src/model/elbo_problem.cpp).
//
//   rerender_neighbor_light(exec, in, light, sky, pixel_list, patch_list)
//     the same for the listed pixels only (indices into in.pixels), each started from its
//     sky (per in.pixels) instead of its current background, building the components of the
//     listed neighbour patches only (those lighting the listed pixels): a task placed once
//     renders its neighbours' current light at a chunk's pixels before each fit of the chunk
//     (src/model/source_fit.cpp, ResidentTask).
// Two launches: one thread per neighbour patch builds its profile components, brightness
// moments and centre (once per patch, as the fit kernel does for a target); one thread per
// pixel sums the neighbours' moments in list order, so every backend and thread count gives
// the same bits.
#include <Kokkos_Core.hpp>

#include "celeste/model/elbo_inputs.hpp"
#include "celeste/model/source_render.hpp"

namespace celeste::model {

// A fixed neighbour's patch in one image.
struct NeighborPatch {
  int params_begin;      // into NeighborLightInputs::params: its source's kNumParams values
  int band;              // 0..4
  int psf_begin;         // into ElboInputs::psf: the image's PSF mixture
  int psf_count;         // K
  int stamp_begin;       // into ElboInputs::stamps
  int stamp_size;        // pixelized star profile side n; 0: the star is the PSF mixture
  int components_begin;  // into the component scratch: K (1 + kNumProfileComponents) of them
  double p0[2];          // the patch's local linear WCS (PatchGeometry's meaning)
  double u0[2];
  double jac[4];
};

template <class MemorySpace>
struct NeighborLightInputs {
  Kokkos::View<NeighborPatch*, MemorySpace> patches;
  Kokkos::View<double*, MemorySpace> params;
  Kokkos::View<int*, MemorySpace> pixel_begin;    // per visited pixel + 1, into pixel_patches
  Kokkos::View<int*, MemorySpace> pixel_patches;  // neighbour patch indices, per pixel
  int num_components = 0;                         // size of the component scratch
};

template <class ExecSpace, class MemorySpace>
void add_neighbor_light(const ExecSpace& exec, const ElboInputs<MemorySpace>& in,
                        const NeighborLightInputs<MemorySpace>& light);

template <class ExecSpace, class MemorySpace>
void rerender_neighbor_light(const ExecSpace& exec, const ElboInputs<MemorySpace>& in,
                             const NeighborLightInputs<MemorySpace>& light,
                             const Kokkos::View<double*, MemorySpace>& sky,
                             const Kokkos::View<int*, MemorySpace>& pixel_list,
                             const Kokkos::View<int*, MemorySpace>& patch_list);

// --------------------------------------------------------------------------- implementation

namespace detail {

// listed: the pixels are pixel_list's, each started from (sky, 0), and the patches rendered
// patch_list's (which must hold every patch those pixels' lists name; light's per-pixel lists
// must exist); otherwise all of in.pixels, each started from its current background, and all
// of light.patches.
template <class ExecSpace, class MemorySpace>
void render_neighbor_light(const ExecSpace& exec, const ElboInputs<MemorySpace>& in,
                           const NeighborLightInputs<MemorySpace>& light,
                           const Kokkos::View<double*, MemorySpace>& sky,
                           const Kokkos::View<int*, MemorySpace>& pixel_list,
                           const Kokkos::View<int*, MemorySpace>& patch_list, bool listed) {
  const int num_patches = static_cast<int>(light.patches.extent(0));
  const int num_rendered = static_cast<int>(listed ? patch_list.extent(0) : num_patches);
  const int num_pixels =
      static_cast<int>(listed ? pixel_list.extent(0) : in.pixels.extent(0));
  // Nothing to add; listed pixels are still reset to their sky below (their lists are then
  // empty, as patch_list covers every patch they list).
  if (num_pixels == 0 || (!listed && num_patches == 0)) return;
  using Kokkos::view_alloc;
  using Kokkos::WithoutInitializing;
  Kokkos::View<ProfileComponent*, MemorySpace> components(
      view_alloc(WithoutInitializing, "Celeste::NeighborLight::components"),
      light.num_components);
  Kokkos::View<Brightness*, MemorySpace> bright(
      view_alloc(WithoutInitializing, "Celeste::NeighborLight::brightness"), num_patches);
  Kokkos::View<double* [2], MemorySpace> center(
      view_alloc(WithoutInitializing, "Celeste::NeighborLight::center"), num_patches);
  const auto patches = light.patches;
  const auto params = light.params;
  const auto psf = in.psf;
  Kokkos::parallel_for(
      "Celeste::NeighborLight::components", Kokkos::RangePolicy<ExecSpace>(exec, 0, num_rendered),
      KOKKOS_LAMBDA(int j) {
        const int i = listed ? patch_list(j) : j;
        const NeighborPatch& q = patches(i);
        const double* theta = &params(q.params_begin);
        double shape_cov[3];
        shape_covariance(theta[param::axis_ratio], theta[param::angle], theta[param::radius],
                         shape_cov);
        build_patch_components(&psf(q.psf_begin), q.psf_count, shape_cov,
                               &components(q.components_begin));
        bright(i) = brightness(theta, q.band);
        double c[2];
        source_center(theta, q.p0, q.u0, q.jac, c);
        center(i, 0) = c[0];
        center(i, 1) = c[1];
      });
  const auto pixels = in.pixels;
  const auto stamps = in.stamps;
  const auto pixel_begin = light.pixel_begin;
  const auto pixel_patches = light.pixel_patches;
  Kokkos::parallel_for(
      "Celeste::NeighborLight::pixels", Kokkos::RangePolicy<ExecSpace>(exec, 0, num_pixels),
      KOKKOS_LAMBDA(int j) {
        const int p = listed ? pixel_list(j) : j;
        const double h = pixels(p).h, w = pixels(p).w;
        double mean_sum = listed ? sky(p) : pixels(p).background_mean;
        double var_sum = listed ? 0.0 : pixels(p).background_var;
        for (int k = pixel_begin(p); k < pixel_begin(p + 1); ++k) {
          const int i = pixel_patches(k);
          const NeighborPatch& q = patches(i);
          const double* theta = &params(q.params_begin);
          double fs, fg, mean, second;
          profile_values(&components(q.components_begin), q.psf_count, theta[param::frac_dev],
                         q.stamp_size > 0 ? &stamps(q.stamp_begin) : nullptr, q.stamp_size,
                         h - center(i, 0), w - center(i, 1), fs, fg);
          source_moments(theta, bright(i), fs, fg, mean, second);
          mean_sum += mean;
          var_sum += second - mean * mean;
        }
        pixels(p).background_mean = mean_sum;
        pixels(p).background_var = var_sum;
      });
}

}  // namespace detail

template <class ExecSpace, class MemorySpace>
void add_neighbor_light(const ExecSpace& exec, const ElboInputs<MemorySpace>& in,
                        const NeighborLightInputs<MemorySpace>& light) {
  detail::render_neighbor_light(exec, in, light, Kokkos::View<double*, MemorySpace>(),
                                Kokkos::View<int*, MemorySpace>(), Kokkos::View<int*, MemorySpace>(),
                                false);
}

template <class ExecSpace, class MemorySpace>
void rerender_neighbor_light(const ExecSpace& exec, const ElboInputs<MemorySpace>& in,
                             const NeighborLightInputs<MemorySpace>& light,
                             const Kokkos::View<double*, MemorySpace>& sky,
                             const Kokkos::View<int*, MemorySpace>& pixel_list,
                             const Kokkos::View<int*, MemorySpace>& patch_list) {
  detail::render_neighbor_light(exec, in, light, sky, pixel_list, patch_list, true);
}

}  // namespace celeste::model
