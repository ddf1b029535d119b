#pragma once
// Fit of a K-component Gaussian mixture to a pixelized PSF stamp by least squares
// (model.md §10.5): minimize Σ_c (Σ_k w_k N(c - c0; μ_k, Σ(ρ_k, φ_k, σ_k)) - stamp_c)^2 over
// the stamp.
//
// Parameters per component θ = (μ_h, μ_w, ρ, φ, σ, w), Σ(ρ, φ, σ) the galaxy shape covariance
// (model.md §2.5), each box-transformed (scale 1): θ = lo + (hi - lo) / (1 + e^{-y}) with
// μ ∈ (-5, 5), ρ ∈ (0.1, 1), φ ∈ (-4π, 4π), σ ∈ (0.05, 10), w ∈ (0.05, 2). Start: μ = 0,
// ρ = 0.95, φ = 0, σ_k = sqrt(2k), w = 1/2. Minimized over the free y by the shared Newton trust
// region (celeste/optimizer/newton_trust_region.hpp) with the §6.4 settings and the exact
// Hessian H = 2 Σ_c (∇m_c ∇m_cᵀ + r_c ∇²m_c) (model.md §5.2–5.3), chain-ruled through the boxes.
#include <vector>

#include "survey/image.hpp"

namespace celeste::io {

struct PsfFitResult {
  std::vector<survey::PsfComponent> components;  // pixel units, (h, w) order, about the centre
  double sse = 0;               // Σ residual² at the optimum
  double max_abs_residual = 0;  // max |model - stamp|
  int iterations = 0;           // trust-region iterations (accepted + rejected steps)
  bool converged = false;       // the optimizer's f or g test held within 50 iterations
};

// The squared-error objective in the free (box-transformed) coordinates.
class PsfMixtureObjective {
 public:
  // stamp row-major [row][col] = [w][h], width columns (along h) by height rows; offsets are
  // measured from the stamp centre ((width-1)/2, (height-1)/2) in 0-based pixels.
  PsfMixtureObjective(const std::vector<double>& stamp, int width, int height, int components);
  int num_params() const { return 6 * k_; }
  // f(y) = Σ r²; fills grad (length n) and hess (n x n row-major, symmetric) when non-null.
  double evaluate(const double* y, double* grad, double* hess) const;
  // Max |r_c| at y.
  double max_abs_residual(const double* y) const;
  std::vector<double> initial_free() const;
  std::vector<survey::PsfComponent> components(const std::vector<double>& y) const;

 private:
  std::vector<double> stamp_;
  int width_, height_, k_;
};

// Throws std::invalid_argument for a bad stamp / K (< 1 or > 6).
PsfFitResult fit_psf_mixture(const std::vector<double>& stamp, int width, int height,
                             int num_components);

}  // namespace celeste::io
