#pragma once
// Random but realistic single-source ELBO problems for the model-core tests: several bands
// and epochs (patches), K-component PSFs, a rotated/scaled WCS Jacobian (SDSS-like 0.396″/px),
// sky plus fixed-neighbour background, Poisson-like counts. Also the upload to ElboInputs and
// a batched kernel runner (one task per parameter vector, all tasks sharing the patches).
#include <Kokkos_Core.hpp>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "celeste/model/color_prior.hpp"
#include "celeste/model/elbo_kernel.hpp"
#include "celeste/model/star_stamp.hpp"
#include "celeste/transforms.hpp"
#include "model/reference_elbo.hpp"

namespace celeste::testing {

enum class SourceKind { star, galaxy, mixed };

struct TestProblem {
  std::vector<ReferencePatch> patches;
  std::array<double, 2> u0{};  // catalog position
};

// A skewed pixelized PSF stamp (n × n, row-major [w][h]): the patch's mixture plus an
// off-centre blob, so the star profile is not any Gaussian mixture.
inline std::vector<double> skewed_stamp(const std::vector<model::PsfGaussian>& psf, int n) {
  std::vector<double> s(static_cast<std::size_t>(n) * n, 0.0);
  const double c = 0.5 * (n - 1);
  for (int w = 0; w < n; ++w)
    for (int h = 0; h < n; ++h) {
      double v = 0;
      for (const auto& k : psf)
        v += k.weight * gaussian_density(h - c - k.mean[0], w - c - k.mean[1], k.cov[0],
                                         k.cov[1], k.cov[2]);
      v += 0.05 * gaussian_density(h - c - 1.3, w - c + 0.7, 0.8, 0.1, 0.6);
      s[static_cast<std::size_t>(w) * n + h] = v;
    }
  return s;
}

// stamp_n > 0: stars use a pixelized stamp of that side (star_stamp.hpp) instead of the mixture.
inline TestProblem make_test_problem(std::mt19937_64& rng, int num_patches, int psf_k,
                                     int half_size, int stamp_n = 0) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  TestProblem prob;
  prob.u0 = {10.0 + U(rng), 0.5 + U(rng)};
  const double px_per_deg = 3600.0 / 0.396;
  for (int n = 0; n < num_patches; ++n) {
    ReferencePatch patch;
    auto& g = patch.geometry;
    g.band = n % 5;
    g.u0[0] = prob.u0[0];
    g.u0[1] = prob.u0[1];
    g.p0[0] = 30.0 + 10 * U(rng);
    g.p0[1] = 40.0 + 10 * U(rng);
    const double rot = 2 * M_PI * U(rng), scale = px_per_deg * (0.95 + 0.1 * U(rng));
    g.jac[0] = scale * std::cos(rot);
    g.jac[1] = -scale * std::sin(rot);
    g.jac[2] = scale * std::sin(rot);
    g.jac[3] = scale * std::cos(rot);
    for (int k = 0; k < psf_k; ++k) {
      model::PsfGaussian psf{};
      psf.weight = k == 0 ? 0.7 + 0.2 * U(rng) : 0.05 + 0.2 * U(rng);
      psf.mean[0] = 0.3 * (U(rng) - 0.5);
      psf.mean[1] = 0.3 * (U(rng) - 0.5);
      const double s1 = (1.0 + k) * (0.8 + 0.6 * U(rng)), s2 = (1.0 + k) * (0.8 + 0.6 * U(rng));
      const double r = 0.4 * (U(rng) - 0.5);
      psf.cov[0] = s1 * s1;
      psf.cov[1] = r * s1 * s2;
      psf.cov[2] = s2 * s2;
      patch.psf.push_back(psf);
    }
    if (stamp_n > 0) {
      g.stamp_size = stamp_n;
      patch.stamp = model::star_stamp_coefficients(skewed_stamp(patch.psf, stamp_n), stamp_n);
    }
    const double iota = 150 + 700 * U(rng), sky = 0.2 + 1.5 * U(rng);
    const int h0 = static_cast<int>(g.p0[0]), w0 = static_cast<int>(g.p0[1]);
    for (int w = w0 - half_size; w <= w0 + half_size; ++w)
      for (int h = h0 - half_size; h <= h0 + half_size; ++h) {
        if (U(rng) < 0.1) continue;  // some pixels inactive / masked
        model::VisitedPixel px{};
        px.h = h;
        px.w = w;
        px.iota = iota;
        px.background_mean = sky + 0.5 * U(rng) * U(rng);  // sky + a faint neighbour
        px.background_var = 0.01 * U(rng) * U(rng);
        const double r2 = (h - g.p0[0]) * (h - g.p0[0]) + (w - g.p0[1]) * (w - g.p0[1]);
        const double expected = iota * (sky + 8.0 * std::exp(-r2 / 8.0));
        std::poisson_distribution<long> pois(expected);
        px.x = static_cast<double>(pois(rng));
        px.constant = px.x * std::log(iota) - std::lgamma(px.x + 1.0);
        patch.pixels.push_back(px);
      }
    prob.patches.push_back(patch);
  }
  return prob;
}

// Random canonical parameters strictly inside the constraints.
inline std::array<double, kNumParams> random_parameters(std::mt19937_64& rng,
                                                        const TestProblem& prob,
                                                        SourceKind kind) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::array<double, kNumParams> p{};
  const double px_deg = 0.396 / 3600.0;
  p[param::ra] = prob.u0[0] + 1.5 * px_deg * (U(rng) - 0.5);
  p[param::dec] = prob.u0[1] + 1.5 * px_deg * (U(rng) - 0.5);
  p[param::frac_dev] = 0.1 + 0.8 * U(rng);
  p[param::axis_ratio] = 0.2 + 0.7 * U(rng);
  p[param::angle] = 3.0 * (U(rng) - 0.5);
  p[param::radius] = 0.8 + 2.5 * U(rng);
  for (int t = 0; t < kNumTypes; ++t) {
    p[param::gamma(t)] = 1.0 + 2.0 * U(rng);
    p[param::zeta(t)] = 0.001 + 0.09 * U(rng);
    for (int j = 0; j < kNumColors; ++j) {
      p[param::beta(t, j)] = 2.0 * (U(rng) - 0.5);
      p[param::lambda(t, j)] = 0.001 + 0.3 * U(rng);
    }
    double sum = 0, z[kNumColorComponents];
    for (int d = 0; d < kNumColorComponents; ++d) sum += (z[d] = 0.2 + U(rng));
    for (int d = 0; d < kNumColorComponents; ++d) p[param::kappa(t, d)] = z[d] / sum;
  }
  const double star = kind == SourceKind::star     ? 0.98 + 0.015 * U(rng)
                      : kind == SourceKind::galaxy ? 0.005 + 0.015 * U(rng)
                                                   : 0.1 + 0.8 * U(rng);
  p[param::chi(0)] = star;
  p[param::chi(1)] = 1.0 - star;
  return p;
}

template <class MemSpace>
model::ElboInputs<MemSpace> upload_problem(const TestProblem& prob, int num_tasks) {
  using namespace model;
  std::vector<PatchGeometry> patches;
  std::vector<PsfGaussian> psf;
  std::vector<VisitedPixel> pixels;
  std::vector<double> stamps;
  for (const auto& rp : prob.patches) {
    PatchGeometry g = rp.geometry;
    g.stamp_begin = static_cast<int>(stamps.size());
    stamps.insert(stamps.end(), rp.stamp.begin(), rp.stamp.end());
    g.psf_begin = static_cast<int>(psf.size());
    g.psf_count = static_cast<int>(rp.psf.size());
    g.pixel_begin = static_cast<int>(pixels.size());
    g.pixel_count = static_cast<int>(rp.pixels.size());
    psf.insert(psf.end(), rp.psf.begin(), rp.psf.end());
    pixels.insert(pixels.end(), rp.pixels.begin(), rp.pixels.end());
    patches.push_back(g);
  }
  const int np = static_cast<int>(patches.size());
  ElboInputs<MemSpace> in;
  in.task_patch_begin = Kokkos::View<int*, MemSpace>("task_patch_begin", num_tasks + 1);
  in.patches = Kokkos::View<PatchGeometry*, MemSpace>("patches", np * num_tasks);
  in.psf = Kokkos::View<PsfGaussian*, MemSpace>("psf", psf.size());
  in.pixels = Kokkos::View<VisitedPixel*, MemSpace>("pixels", pixels.size());
  in.stamps = Kokkos::View<double*, MemSpace>("stamps", stamps.size());
  auto st = Kokkos::create_mirror_view(in.stamps);
  for (std::size_t i = 0; i < stamps.size(); ++i) st(i) = stamps[i];
  Kokkos::deep_copy(in.stamps, st);
  auto tb = Kokkos::create_mirror_view(in.task_patch_begin);
  auto pa = Kokkos::create_mirror_view(in.patches);
  auto ps = Kokkos::create_mirror_view(in.psf);
  auto pi = Kokkos::create_mirror_view(in.pixels);
  for (int t = 0; t <= num_tasks; ++t) tb(t) = t * np;
  for (int t = 0; t < num_tasks; ++t)
    for (int i = 0; i < np; ++i) pa(t * np + i) = patches[i];
  for (std::size_t i = 0; i < psf.size(); ++i) ps(i) = psf[i];
  for (std::size_t i = 0; i < pixels.size(); ++i) pi(i) = pixels[i];
  Kokkos::deep_copy(in.task_patch_begin, tb);
  Kokkos::deep_copy(in.patches, pa);
  Kokkos::deep_copy(in.psf, ps);
  Kokkos::deep_copy(in.pixels, pi);
  return in;
}

// The parameter vectors as a (vectors × 44) View in MemSpace, one row per task.
template <class MemSpace>
Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> upload_thetas(
    const std::vector<std::array<double, kNumParams>>& thetas) {
  const int nt = static_cast<int>(thetas.size());
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> theta("theta", nt, kNumParams);
  auto th = Kokkos::create_mirror_view(theta);
  for (int t = 0; t < nt; ++t)
    for (int p = 0; p < kNumParams; ++p) th(t, p) = thetas[t][p];
  Kokkos::deep_copy(theta, th);
  return theta;
}

struct ElboOutput {
  double value;
  std::array<double, kNumParams> grad;
  std::vector<double> hess;  // 44×44 row-major
};

// Evaluates the kernel at every parameter vector (one task each) on ExecSpace.
template <class ExecSpace>
std::vector<ElboOutput> run_kernel(const TestProblem& prob,
                                   const std::vector<std::array<double, kNumParams>>& thetas,
                                   int team_size = 1,
                                   const model::ColorPrior& prior = model::make_color_prior()) {
  using Mem = typename ExecSpace::memory_space;
  const int nt = static_cast<int>(thetas.size());
  auto in = upload_problem<Mem>(prob, nt);
  const auto theta = upload_thetas<Mem>(thetas);
  Kokkos::View<double*, Mem> value("value", nt);
  Kokkos::View<double**, Kokkos::LayoutRight, Mem> grad("grad", nt, kNumParams);
  Kokkos::View<double***, Kokkos::LayoutRight, Mem> hess("hess", nt, kNumParams, kNumParams);
  model::evaluate_elbo(ExecSpace(), in, theta, value, grad, hess, prior, team_size);
  ExecSpace().fence();
  auto v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), value);
  auto g = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), grad);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), hess);
  std::vector<ElboOutput> out(nt);
  for (int t = 0; t < nt; ++t) {
    out[t].value = v(t);
    out[t].hess.resize(kNumParams * kNumParams);
    for (int p = 0; p < kNumParams; ++p) {
      out[t].grad[p] = g(t, p);
      for (int q = 0; q < kNumParams; ++q) out[t].hess[p * kNumParams + q] = h(t, p, q);
    }
  }
  return out;
}

}  // namespace celeste::testing
