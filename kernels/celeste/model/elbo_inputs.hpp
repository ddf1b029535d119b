#pragma once
// Device-side description of a batch of ELBO problems ("tasks"): one active source each, with
// its patches (one per image it overlaps) and the visited pixels of every patch. Built on the
// host by src/model/elbo_problem.cpp; consumed by the kernels in elbo_kernel.hpp.
//
// Neighbours are held fixed while a source is optimized (model.md §7.1), so their summed
// contribution to E_G and V_G at each visited pixel is a constant of the task
// ("background_mean"/"background_var", which also include the sky).
#include <Kokkos_Core.hpp>

#include "celeste/model/components.hpp"

namespace celeste::model {

// One (active source, image) pair: the linearized WCS at the source and where its PSF and
// visited pixels are.
struct PatchGeometry {
  int band;         // 0..4
  int psf_begin;    // into ElboInputs::psf
  int psf_count;    // K
  int pixel_begin;  // into ElboInputs::pixels
  int pixel_count;
  int stamp_begin = 0;  // into ElboInputs::stamps: the pixelized star profile's coefficients
  int stamp_size = 0;   // its stamp side n (star_stamp.hpp); 0: the star is the PSF mixture
  double p0[2];     // pixel position (h, w) of u0
  double u0[2];     // reference world position (ra, dec), degrees
  double jac[4];    // ∂(h, w)/∂(ra, dec) at u0, row-major {dh/dra, dh/ddec, dw/dra, dw/ddec}
};

// One visited pixel of a patch.
struct VisitedPixel {
  double h, w;             // pixel centre coordinates (1-based)
  double x;                // observed photo-electrons
  double iota;             // ι: electrons per nmgy
  double background_mean;  // ε + Σ_neighbours E[G_s'], nmgy
  double background_var;   // Σ_neighbours Var[G_s'], nmgy²
  double constant;         // x ln ι − ln Γ(x + 1): parameter-free part of the log-likelihood
};

template <class MemorySpace>
struct ElboInputs {
  Kokkos::View<int*, MemorySpace> task_patch_begin;  // size tasks + 1, into patches
  Kokkos::View<PatchGeometry*, MemorySpace> patches;
  Kokkos::View<PsfGaussian*, MemorySpace> psf;
  Kokkos::View<VisitedPixel*, MemorySpace> pixels;
  Kokkos::View<double*, MemorySpace> stamps;  // star_stamp.hpp coefficient grids, concatenated

  KOKKOS_INLINE_FUNCTION int num_tasks() const {
    return static_cast<int>(task_patch_begin.extent(0)) - 1;
  }
};

}  // namespace celeste::model
