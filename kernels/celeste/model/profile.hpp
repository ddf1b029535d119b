#pragma once
// Star and galaxy profiles at one pixel with exact first and second derivatives
// (model.md §5.2, §5.3, §5.8 point 2).
//
// Work per Gaussian component is done in the 5-dimensional space d = (μ_h, μ_w, ν s_1, ν s_2,
// ν s_3) (mean and ν-scaled packed covariance), summed over components, and mapped once per
// pixel to the model parameters with the patch's WCS Jacobian J (position) and the shape
// Jacobian M / Hessians T (ψ = (ρ, φ, σ)). The dev and exp sums are kept apart so the θ
// derivatives come for free: f = θ F_dev + (1 − θ) F_exp, ∂f/∂θ = F_dev − F_exp.
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/model/components.hpp"
#include "celeste/model/shape.hpp"

namespace celeste::model {

// Packed index of (i, j), i <= j, in an n×n symmetric upper triangle.
KOKKOS_INLINE_FUNCTION constexpr int sym_index(int n, int i, int j) {
  return i * n - i * (i - 1) / 2 + (j - i);
}

// Σ_components g · (1, ∇ ln φ, ∇² ln φ + ∇ ln φ ∇ ln φᵀ) in the 5-space (first 2 only for stars).
struct ComponentSums {
  double s0;
  double s1[5];
  double s2[15];  // packed upper 5×5
};


// Adds one component to the sums of a block of kPixelBlock pixels, lane p holding pixel p at
// offset (dh[p], dw[p]) = m − c; kShape: also the covariance part. Laid out so the compiler
// vectorizes across pixels; the exp stays a scalar loop (no portable vector exp).
inline constexpr int kPixelBlock = 8;

struct ComponentSumsBlock {
  double s0[kPixelBlock];
  double s1[5][kPixelBlock];
  double s2[15][kPixelBlock];
};

KOKKOS_INLINE_FUNCTION void clear(ComponentSumsBlock& a) {
  for (int p = 0; p < kPixelBlock; ++p) {
    a.s0[p] = 0;
    for (int i = 0; i < 5; ++i) a.s1[i][p] = 0;
    for (int i = 0; i < 15; ++i) a.s2[i][p] = 0;
  }
}

template <bool kShape>
KOKKOS_INLINE_FUNCTION void accumulate_component_block(const ProfileComponent& c,
                                                       const double* dh, const double* dw,
                                                       ComponentSumsBlock& a) {
  const double P11 = c.prec[0], P12 = c.prec[1], P22 = c.prec[2];
  double y0[kPixelBlock], y1[kPixelBlock], v0[kPixelBlock], v1[kPixelBlock], g[kPixelBlock];
  for (int p = 0; p < kPixelBlock; ++p) {
    y0[p] = dh[p] - c.offset[0];
    y1[p] = dw[p] - c.offset[1];
    v0[p] = P11 * y0[p] + P12 * y1[p];
    v1[p] = P12 * y0[p] + P22 * y1[p];
    g[p] = -0.5 * (y0[p] * v0[p] + y1[p] * v1[p]);
  }
  for (int p = 0; p < kPixelBlock; ++p) g[p] = c.norm * kmath::exp(g[p]);
  for (int p = 0; p < kPixelBlock; ++p) {
    const double gp = g[p], a0 = v0[p], a1 = v1[p];
    a.s0[p] += gp;
    a.s1[0][p] += gp * a0;
    a.s1[1][p] += gp * a1;
    a.s2[0][p] += gp * (a0 * a0 - P11);
    a.s2[1][p] += gp * (a0 * a1 - P12);
    a.s2[5][p] += gp * (a1 * a1 - P22);
  }
  if constexpr (kShape) {
    const double nu = c.nu, nu2 = nu * nu;
    for (int p = 0; p < kPixelBlock; ++p) {
      const double gp = g[p], a0 = v0[p], a1 = v1[p];
      const double ds0 = nu * 0.5 * (a0 * a0 - P11);
      const double ds1 = nu * (a0 * a1 - P12);
      const double ds2 = nu * 0.5 * (a1 * a1 - P22);
      const double dv00 = -a0 * P11, dv01 = -(a1 * P11 + a0 * P12), dv02 = -a1 * P12;
      const double dv10 = -a0 * P12, dv11 = -(a1 * P12 + a0 * P22), dv12 = -a1 * P22;
      a.s1[2][p] += gp * ds0;
      a.s1[3][p] += gp * ds1;
      a.s1[4][p] += gp * ds2;
      a.s2[2][p] += gp * (nu * dv00 + a0 * ds0);
      a.s2[3][p] += gp * (nu * dv01 + a0 * ds1);
      a.s2[4][p] += gp * (nu * dv02 + a0 * ds2);
      a.s2[6][p] += gp * (nu * dv10 + a1 * ds0);
      a.s2[7][p] += gp * (nu * dv11 + a1 * ds1);
      a.s2[8][p] += gp * (nu * dv12 + a1 * ds2);
      const double h00 = a0 * dv00 + c.hess_const[0];
      const double h01 = a0 * dv01 + c.hess_const[1];
      const double h02 = a0 * dv02 + c.hess_const[2];
      const double h11 = a0 * dv11 + a1 * dv01 + c.hess_const[3];
      const double h12 = a0 * dv12 + a1 * dv02 + c.hess_const[4];
      const double h22 = a1 * dv12 + c.hess_const[5];
      a.s2[9][p] += gp * (nu2 * h00 + ds0 * ds0);
      a.s2[10][p] += gp * (nu2 * h01 + ds0 * ds1);
      a.s2[11][p] += gp * (nu2 * h02 + ds0 * ds2);
      a.s2[12][p] += gp * (nu2 * h11 + ds1 * ds1);
      a.s2[13][p] += gp * (nu2 * h12 + ds1 * ds2);
      a.s2[14][p] += gp * (nu2 * h22 + ds2 * ds2);
    }
  }
}

KOKKOS_INLINE_FUNCTION void lane_sums(const ComponentSumsBlock& b, int p, ComponentSums& a) {
  a.s0 = b.s0[p];
  for (int i = 0; i < 5; ++i) a.s1[i] = b.s1[i][p];
  for (int i = 0; i < 15; ++i) a.s2[i] = b.s2[i][p];
}

// Profiles with derivatives. Star: u = (ra, dec). Galaxy: (ra, dec, θ, ρ, φ, σ).
struct StarProfile {
  double f;
  double grad[2];
  double hess[3];  // packed upper 2×2
};
struct GalaxyProfile {
  double f;
  double grad[6];
  double hess[21];  // packed upper 6×6
};

// jac = ∂(h, w)/∂(ra, dec), row-major {dh/dra, dh/ddec, dw/dra, dw/ddec}.
KOKKOS_INLINE_FUNCTION void star_profile_from_sums(const ComponentSums& a, const double jac[4],
                                                   StarProfile& out) {
  out.f = a.s0;
  // ∇_u = Jᵀ s1, ∇²_u = Jᵀ S2 J
  out.grad[0] = jac[0] * a.s1[0] + jac[2] * a.s1[1];
  out.grad[1] = jac[1] * a.s1[0] + jac[3] * a.s1[1];
  const double S00 = a.s2[0], S01 = a.s2[1], S11 = a.s2[5];
  for (int p = 0, idx = 0; p < 2; ++p)
    for (int q = p; q < 2; ++q, ++idx) {
      const double Jp0 = jac[p], Jp1 = jac[2 + p], Jq0 = jac[q], Jq1 = jac[2 + q];
      out.hess[idx] = Jp0 * (S00 * Jq0 + S01 * Jq1) + Jp1 * (S01 * Jq0 + S11 * Jq1);
    }
}

KOKKOS_INLINE_FUNCTION double s5(const ComponentSums& a, int i, int j) {
  return i <= j ? a.s2[sym_index(5, i, j)] : a.s2[sym_index(5, j, i)];
}

KOKKOS_INLINE_FUNCTION void galaxy_profile_from_sums(const ComponentSums& dev,
                                                     const ComponentSums& ex, const double jac[4],
                                                     double frac_dev, const ShapeDerivs& shape,
                                                     GalaxyProfile& out) {
  const double th = frac_dev, om = 1.0 - frac_dev;
  ComponentSums a;  // θ-weighted sums
  a.s0 = th * dev.s0 + om * ex.s0;
  for (int i = 0; i < 5; ++i) a.s1[i] = th * dev.s1[i] + om * ex.s1[i];
  for (int i = 0; i < 15; ++i) a.s2[i] = th * dev.s2[i] + om * ex.s2[i];
  double dtheta1[5];  // ∂(s1)/∂θ
  for (int i = 0; i < 5; ++i) dtheta1[i] = dev.s1[i] - ex.s1[i];

  // Linear map L (6 params × 5-space) except θ: rows ra, dec use J, rows ρ, φ, σ use M.
  // L[p][a]: ∂(5-space coordinate a)/∂(param p).
  double L[6][5] = {};
  L[0][0] = jac[0];
  L[0][1] = jac[2];
  L[1][0] = jac[1];
  L[1][1] = jac[3];
  for (int p = 0; p < 3; ++p)
    for (int c = 0; c < 3; ++c) L[3 + p][2 + c] = shape.jac[c][p];

  out.f = a.s0;
  for (int p = 0; p < 6; ++p) {
    double s = 0;
    for (int i = 0; i < 5; ++i) s += L[p][i] * a.s1[i];
    out.grad[p] = s;
  }
  out.grad[2] = dev.s0 - ex.s0;
  // Hessian: L S2 Lᵀ + Σ_c s1[2+c] T_c on (ψ, ψ); θ row: L ∂s1/∂θ; (θ, θ) = 0.
  double LS[6][5];
  for (int p = 0; p < 6; ++p)
    for (int j = 0; j < 5; ++j) {
      double s = 0;
      for (int i = 0; i < 5; ++i) s += L[p][i] * s5(a, i, j);
      LS[p][j] = s;
    }
  for (int p = 0; p < 6; ++p)
    for (int q = p; q < 6; ++q) {
      double s = 0;
      for (int j = 0; j < 5; ++j) s += LS[p][j] * L[q][j];
      out.hess[sym_index(6, p, q)] = s;
    }
  for (int p = 0; p < 3; ++p)
    for (int q = p; q < 3; ++q) {
      double t = 0;
      for (int c = 0; c < 3; ++c) t += a.s1[2 + c] * shape.hess[c][p][q];
      out.hess[sym_index(6, 3 + p, 3 + q)] += t;
    }
  for (int p = 0; p < 6; ++p) {
    if (p == 2) continue;
    double s = 0;
    for (int i = 0; i < 5; ++i) s += L[p][i] * dtheta1[i];
    out.hess[p < 2 ? sym_index(6, p, 2) : sym_index(6, 2, p)] = s;
  }
  out.hess[sym_index(6, 2, 2)] = 0;
}

}  // namespace celeste::model
