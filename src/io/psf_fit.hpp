#pragma once
// Fit of a K-component Gaussian mixture to a pixelized PSF stamp by least squares
// (model.md §10.5): minimize Σ_c (Σ_k w_k N(c - c0; μ_k, Σ_k) - stamp_c)^2 over the stamp.
//
// Parameters per component: weight w, mean (μ_h, μ_w), and the covariance through its Cholesky
// factor L = [[e^s1, 0], [b, e^s2]], Σ = L Lᵀ, which keeps Σ positive definite without bounds.
// Minimized with Levenberg-Marquardt (exact gradient 2 Jᵀ r, Gauss-Newton Hessian 2 JᵀJ,
// adaptive damping).
// TODO(optimizer): switch to the shared trust-region Newton (kernels/celeste/optimizer/) with
// the exact Hessian once its host-side objective interface is settled; the objective below is
// kept separate (PsfMixtureObjective) for that.
#include <vector>

#include "survey/image.hpp"

namespace celeste::io {

struct PsfFitResult {
  std::vector<survey::PsfComponent> components;  // pixel units, (h, w) order, about the centre
  double sse = 0;               // Σ residual² at the optimum
  double max_abs_residual = 0;  // max |model - stamp|
  int iterations = 0;
  bool converged = false;
};

// Residuals r_c = model_c - stamp_c and their Jacobian (row-major [pixel][parameter]).
class PsfMixtureObjective {
 public:
  // stamp row-major [row][col] = [w][h], width columns (along h) by height rows; offsets are
  // measured from the stamp centre ((width-1)/2, (height-1)/2) in 0-based pixels.
  PsfMixtureObjective(const std::vector<double>& stamp, int width, int height, int components);
  int num_params() const { return 6 * k_; }
  int num_residuals() const { return static_cast<int>(stamp_.size()); }
  // Returns Σ r²; fills r (and J when non-null).
  double residuals(const std::vector<double>& theta, std::vector<double>& r,
                   std::vector<double>* jacobian) const;
  std::vector<double> initial_params() const;
  std::vector<survey::PsfComponent> components(const std::vector<double>& theta) const;

 private:
  std::vector<double> stamp_;
  int width_, height_, k_;
};

// Throws std::invalid_argument for a bad stamp / K (< 1 or > 6).
PsfFitResult fit_psf_mixture(const std::vector<double>& stamp, int width, int height,
                             int num_components);

}  // namespace celeste::io
