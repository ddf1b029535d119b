#pragma once
// The expected log-likelihood of one visited pixel and its exact gradient and Hessian with
// respect to the active source's 28 likelihood parameters (model.md §4.2, §4.3, §5.4, §5.5).
#include <Kokkos_Core.hpp>

#include "celeste/math.hpp"
#include "celeste/model/brightness.hpp"
#include "celeste/model/elbo_inputs.hpp"
#include "celeste/model/profile.hpp"
#include "celeste/model/star_stamp.hpp"
#include "celeste/param_layout.hpp"

namespace celeste::model {

inline constexpr int kLikelihoodHessianSize =
    kNumLikelihoodParams * (kNumLikelihoodParams + 1) / 2;  // 406

// value + gradient + packed upper Hessian over canonical parameters 0..27.
struct LikelihoodSums {
  double value;
  double grad[kNumLikelihoodParams];
  double hess[kLikelihoodHessianSize];

  KOKKOS_INLINE_FUNCTION LikelihoodSums() { clear(); }
  KOKKOS_INLINE_FUNCTION void clear() {
    value = 0;
    for (int i = 0; i < kNumLikelihoodParams; ++i) grad[i] = 0;
    for (int i = 0; i < kLikelihoodHessianSize; ++i) hess[i] = 0;
  }
};

KOKKOS_INLINE_FUNCTION constexpr int lh_index(int p, int q) {  // p <= q
  return sym_index(kNumLikelihoodParams, p, q);
}
KOKKOS_INLINE_FUNCTION void add_sym(double* h, int p, int q, double v) {
  h[p <= q ? lh_index(p, q) : lh_index(q, p)] += v;
}

// Everything about the active source that is constant over one patch's pixels.
struct PatchSourceState {
  double center[2];  // c = p0 + J (u − u0): the source's pixel position
  double jac[4];
  double chi[kNumTypes];
  double frac_dev;
  Brightness bright;
  ShapeDerivs shape;
};

// The pixel's expected log-likelihood L_n from the mean E and variance V of its expected rate
// (delta-method expectation of x ln G − ι G, model.md §4.2): the one place it is written, for
// the derivative kernel below and the value kernel (elbo_value.hpp).
KOKKOS_INLINE_FUNCTION double pixel_log_likelihood(const VisitedPixel& px, double E, double V) {
  const double invE = 1.0 / E, invE2 = invE * invE;
  return px.constant + px.x * (kmath::log(E) - V * 0.5 * invE2) - px.iota * E;
}

// Adds the pixel's L_n(m) and its derivatives to `acc`, given the active source's profiles
// (with derivatives) at the pixel.
KOKKOS_INLINE_FUNCTION void accumulate_pixel_profiles(const VisitedPixel& px,
                                                      const PatchSourceState& st,
                                                      const StarProfile& sp,
                                                      const GalaxyProfile& gp,
                                                      LikelihoodSums& acc) {
  constexpr int U_count[kNumTypes] = {2, 6};  // star: (ra, dec); galaxy: (ra, dec, θ, ρ, φ, σ)
  const double f[kNumTypes] = {sp.f, gp.f};
  const double* df[kNumTypes] = {sp.grad, gp.grad};

  const Brightness& b = st.bright;
  // a = ∇E[G_s], e2 = ∇E[G_s²] over the 28 parameters.
  double a[kNumLikelihoodParams], e2[kNumLikelihoodParams];
  for (int p = 0; p < 6; ++p) a[p] = e2[p] = 0;
  double Es = 0, E2s = 0;
  for (int i = 0; i < kNumTypes; ++i) {
    const double chi = st.chi[i], fi = f[i];
    Es += chi * b.E[i] * fi;
    E2s += chi * b.E2[i] * fi * fi;
    for (int p = 0; p < U_count[i]; ++p) {
      a[p] += chi * b.E[i] * df[i][p];
      e2[p] += 2.0 * chi * b.E2[i] * fi * df[i][p];
    }
    for (int k = 0; k < kBrightnessParams; ++k) {
      const int q = brightness_param(i, k);
      a[q] = chi * fi * b.E[i] * b.w[k];
      e2[q] = chi * fi * fi * b.E2[i] * b.w2[k];
    }
    a[param::chi(i)] = b.E[i] * fi;
    e2[param::chi(i)] = b.E2[i] * fi * fi;
  }
  const double E = px.background_mean + Es;
  const double V = px.background_var + (E2s - Es * Es);
  const double x = px.x, iota = px.iota;
  const double invE = 1.0 / E, invE2 = invE * invE;
  const double TV = -0.5 * invE2, TE = invE + V * invE2 * invE, TVE = invE2 * invE,
               TEE = -invE2 - 3.0 * V * invE2 * invE2;
  acc.value += pixel_log_likelihood(px, E, V);

  // ∇L = x T_V ∇V + (x T_E − ι) ∇E, ∇V = e2 − 2 E_s a
  double bv[kNumLikelihoodParams];
  const double cg_v = x * TV, cg_e = x * TE - iota;
  for (int p = 0; p < kNumLikelihoodParams; ++p) {
    bv[p] = e2[p] - 2.0 * Es * a[p];
    acc.grad[p] += cg_v * bv[p] + cg_e * a[p];
  }
  // Dense part: x T_VE (∇V ∇Eᵀ + ∇E ∇Vᵀ) + (x T_EE − 2 x T_V) ∇E ∇Eᵀ (the −2aaᵀ of ∇²V).
  const double alpha = x * TVE, beta = x * TEE - 2.0 * x * TV;
  for (int p = 0, idx = 0; p < kNumLikelihoodParams; ++p) {
    const double rp = alpha * bv[p] + beta * a[p], sp_ = alpha * a[p];
    for (int q = p; q < kNumLikelihoodParams; ++q, ++idx) acc.hess[idx] += rp * a[q] + sp_ * bv[q];
  }
  // Structured part: c_E ∇²E[G_s] + c_E2 ∇²E[G_s²] (block structure of model.md §5.4).
  const double cE2 = x * TV, cE = x * TE - iota - 2.0 * x * TV * Es;
  const double* hf[kNumTypes] = {sp.hess, gp.hess};
  for (int i = 0; i < kNumTypes; ++i) {
    const double chi = st.chi[i], fi = f[i], Ei = b.E[i], E2i = b.E2[i];
    const int nU = U_count[i], ichi = param::chi(i);
    const double cf = cE * fi * Ei, cf2 = cE2 * fi * fi * E2i;  // scalar weights of ω, ω2
    for (int k = 0; k < kBrightnessParams; ++k) {
      const int pk = brightness_param(i, k);
      add_sym(acc.hess, pk, ichi, cf * b.w[k] + cf2 * b.w2[k]);  // (χ_i, ϑ_i)
      for (int l = k; l < kBrightnessParams; ++l)                 // (ϑ_i, ϑ_i)
        acc.hess[lh_index(pk, brightness_param(i, l))] +=
            chi * (cf * b.w[k] * b.w[l] + cf2 * b.w2[k] * b.w2[l]);
      const double ck = chi * (cE * Ei * b.w[k]), ck2 = chi * (cE2 * E2i * b.w2[k] * 2.0 * fi);
      for (int p = 0; p < nU; ++p)  // (U_i, ϑ_i)
        acc.hess[lh_index(p, pk)] += (ck + ck2) * df[i][p];
    }
    const double cu = cE * Ei + cE2 * E2i * 2.0 * fi;
    for (int p = 0; p < nU; ++p) acc.hess[lh_index(p, ichi)] += cu * df[i][p];  // (U_i, χ_i)
    // (U_i, U_i): χ_i (c_E E_i ∇²f + c_E2 E2_i 2 (f ∇²f + ∇f ∇fᵀ))
    const double cH = chi * (cE * Ei + 2.0 * cE2 * E2i * fi), cO = chi * 2.0 * cE2 * E2i;
    for (int p = 0; p < nU; ++p)
      for (int q = p; q < nU; ++q)
        acc.hess[lh_index(p, q)] += cH * hf[i][sym_index(nU, p, q)] + cO * df[i][p] * df[i][q];
  }
}

// A block of up to kPixelBlock consecutive visited pixels: the component sums for all of them
// at once (vectorized across pixels), then the per-pixel combination. The star profile is the
// pixelized stamp when stamp_n > 0 (star_stamp.hpp), else the n_star PSF components.
KOKKOS_INLINE_FUNCTION void accumulate_pixel_block(const VisitedPixel* px, int count,
                                                   const PatchSourceState& st,
                                                   const ProfileComponent* star_comps, int n_star,
                                                   const double* stamp, int stamp_n,
                                                   const ProfileComponent* gal_comps, int n_gal,
                                                   LikelihoodSums& acc) {
  double dh[kPixelBlock], dw[kPixelBlock];
  for (int p = 0; p < kPixelBlock; ++p) {
    const VisitedPixel& q = px[p < count ? p : 0];  // padding lanes repeat pixel 0, unused
    dh[p] = q.h - st.center[0];
    dw[p] = q.w - st.center[1];
  }
  ComponentSumsBlock star, dev, ex;
  clear(star);
  clear(dev);
  clear(ex);
  if (stamp_n > 0) {
    // f(m − c): ∂f/∂c = −∂f/∂(dh, dw), ∂²f/∂c² = ∂²f/∂(dh, dw)².
    for (int p = 0; p < kPixelBlock; ++p) {
      double f, g[2], h[3];
      star_stamp_profile(stamp, stamp_n, dh[p], dw[p], f, g, h);
      star.s0[p] = f;
      star.s1[0][p] = -g[0];
      star.s1[1][p] = -g[1];
      star.s2[0][p] = h[0];
      star.s2[1][p] = h[1];
      star.s2[5][p] = h[2];
    }
  } else {
    for (int k = 0; k < n_star; ++k)
      accumulate_component_block<false>(star_comps[k], dh, dw, star);
  }
  for (int k = 0; k < n_gal; ++k) {
    if (gal_comps[k].is_dev)
      accumulate_component_block<true>(gal_comps[k], dh, dw, dev);
    else
      accumulate_component_block<true>(gal_comps[k], dh, dw, ex);
  }
  for (int p = 0; p < count; ++p) {
    ComponentSums s_star, s_dev, s_ex;
    lane_sums(star, p, s_star);
    lane_sums(dev, p, s_dev);
    lane_sums(ex, p, s_ex);
    StarProfile sp;
    GalaxyProfile gp;
    star_profile_from_sums(s_star, st.jac, sp);
    galaxy_profile_from_sums(s_dev, s_ex, st.jac, st.frac_dev, st.shape, gp);
    accumulate_pixel_profiles(px[p], st, sp, gp, acc);
  }
}

}  // namespace celeste::model
