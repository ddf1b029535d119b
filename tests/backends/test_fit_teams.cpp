// The production fit kernel (FitSources through model::fit_targets) on this executable's
// backend at several team shapes (execution.team_size × execution.vector_length), against
// Kokkos::Serial at 1 × 1 on a small synthetic field (every source a target, neighbours at the
// catalog values):
//  * at 1 × 1 the catalog (parameters, ELBO, iterations, linear-response sds) is bitwise
//    Serial's on every backend;
//  * at any other shape it agrees with Serial to 1e-10 relative, and two runs at the same
//    shape are bitwise equal (the team reduction is in a fixed worker order);
//  * the fit reports the shape it ran; a team size the backend cannot run is a ConfigError.
// Shapes per stamp: Serial and openmp.t1 1 × 1 and 1 × 2 (vector lanes run in sequence on host
// spaces, but each lane is a worker with its own partial sums: the lane path runs); openmp.t2
// also 2 × 1 and 2 × 2; CUDA its default as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/test_backend.hpp"
#include "model/generator.hpp"
#include "model/init_params.hpp"
#include "model/patches.hpp"
#include "model/source_fit.hpp"
#include "util/error.hpp"

namespace celeste::testing {
namespace {

struct Field {
  model::SyntheticSurvey survey;
  model::SurveyPatches patches;
  std::vector<model::SourceParams> params;
  std::vector<int> targets;
  std::vector<SourceBounds> boxes;
};

const Field& field() {
  static const Field f = [] {
    Field f;
    config::GenerateConfig cfg;
    cfg.seed = 1313;
    cfg.bands = {"g", "r", "i"};
    cfg.epochs = 1;
    cfg.width = cfg.height = 160;
    cfg.source_count = 14;
    cfg.psf_components = 2;
    f.survey = model::generate_survey(cfg);
    f.patches = model::build_patches(f.survey.initial, f.survey.images);
    for (std::size_t s = 0; s < f.survey.initial.size(); ++s) {
      const auto& e = f.survey.initial[s];
      f.params.push_back(model::generic_init_params(e));
      f.targets.push_back(static_cast<int>(s));
      f.boxes.push_back(model::target_bounds(e.ra, e.dec, f.patches.max_radius[s]));
    }
    return f;
  }();
  return f;
}

std::vector<model::SourceFit> fit(const std::string& backend, int team_size, int vector_length) {
  const Field& f = field();
  model::FitOptions o;
  o.backend = backend;
  o.team_size = team_size;
  o.vector_length = vector_length;
  return model::fit_targets(f.survey.images, f.patches, f.params, f.targets, f.boxes, o);
}

// Largest |a − b| / max(|b|, 1e-300) over the parameters, ELBO and finite sds of all fits.
double max_relative_difference(const std::vector<model::SourceFit>& a,
                               const std::vector<model::SourceFit>& b) {
  double worst = 0;
  auto see = [&](double x, double y) {
    if (std::isnan(x) && std::isnan(y)) return;
    const double d = std::fabs(x - y) / std::max(std::fabs(y), 1e-300);
    worst = std::max(worst, std::isnan(d) ? INFINITY : d);
  };
  for (std::size_t t = 0; t < b.size(); ++t) {
    for (int p = 0; p < kNumParams; ++p) see(a[t].params[p], b[t].params[p]);
    see(a[t].result.f_final, b[t].result.f_final);
    for (int p = 0; p < kNumParams; ++p) see(a[t].lr_sd[p], b[t].lr_sd[p]);
  }
  return worst;
}

void expect_bitwise(const std::vector<model::SourceFit>& a, const std::vector<model::SourceFit>& b,
                    const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t t = 0; t < b.size(); ++t) {
    for (int p = 0; p < kNumParams; ++p)
      EXPECT_EQ(a[t].params[p], b[t].params[p]) << what << ": source " << t << " param " << p;
    EXPECT_EQ(a[t].result.f_final, b[t].result.f_final) << what << ": source " << t;
    EXPECT_EQ(a[t].result.iterations, b[t].result.iterations) << what << ": source " << t;
    EXPECT_EQ(a[t].result.status, b[t].result.status) << what << ": source " << t;
    for (int p = 0; p < kNumParams; ++p)
      if (!(std::isnan(a[t].lr_sd[p]) && std::isnan(b[t].lr_sd[p])))
        EXPECT_EQ(a[t].lr_sd[p], b[t].lr_sd[p]) << what << ": source " << t << " sd " << p;
  }
}

void expect_shape(const std::vector<model::SourceFit>& fits, int team_size, int vector_length,
                  const std::string& what) {
  ASSERT_FALSE(fits.empty());
  EXPECT_EQ(fits.front().team_shape.team_size, team_size) << what;
  EXPECT_EQ(fits.front().team_shape.vector_length, vector_length) << what;
}

TEST(FitTeams, ShapesAgreeWithSerial) {
  const std::vector<model::SourceFit> serial = fit("serial", 1, 1);
  int converged = 0;
  for (const auto& f : serial) converged += f.result.status == optimizer::converged;
  ASSERT_GE(converged, static_cast<int>(serial.size()) - 1) << "the reference fits converge";
  expect_shape(serial, 1, 1, "Serial 1 x 1");

  const std::string me = kTestBackendName;
  expect_bitwise(fit(me, 1, 1), serial, me + " 1 x 1 against Serial 1 x 1");

  struct Shape {
    int team_size, vector_length;
  };
  std::vector<Shape> shapes{{1, 2}};
  if (TestExecSpace().concurrency() >= 2) {
    shapes.push_back({2, 1});
    shapes.push_back({2, 2});
  }
  for (const Shape& s : shapes) {
    const std::string what = me + " " + std::to_string(s.team_size) + " x " +
                             std::to_string(s.vector_length);
    const auto first = fit(me, s.team_size, s.vector_length);
    expect_shape(first, s.team_size, s.vector_length, what);
    const double difference = max_relative_difference(first, serial);
    std::printf("%s: max relative difference against Serial 1 x 1: %.3g\n", what.c_str(),
                difference);
    EXPECT_LE(difference, 1e-10) << what << " against Serial";
    expect_bitwise(fit(me, s.team_size, s.vector_length), first, what + ", run twice");
  }
}

TEST(FitTeams, DefaultShapeIsTheBackendsDefault) {
  const auto fits = fit(kTestBackendName, 0, 0);
  const model::TeamShape d = model::default_team_shape<TestExecSpace>();
  ASSERT_FALSE(fits.empty());
  EXPECT_EQ(fits.front().team_shape.vector_length, d.vector_length);
  // A GPU default is capped at what the kernel can launch with; host defaults are 1.
  EXPECT_LE(fits.front().team_shape.team_size, d.team_size);
  EXPECT_GE(fits.front().team_shape.team_size, 1);
  if (Kokkos::SpaceAccessibility<Kokkos::HostSpace, TestMemSpace>::accessible)
    expect_bitwise(fits, fit("serial", 1, 1), "host default against Serial 1 x 1");
}

TEST(FitTeams, TooLargeTeamIsAConfigError) {
  const int too_many = Kokkos::SpaceAccessibility<Kokkos::HostSpace, TestMemSpace>::accessible
                           ? TestExecSpace().concurrency() + 1
                           : 1024;
  try {
    fit(kTestBackendName, too_many, 1);
    ADD_FAILURE() << "team size " << too_many << " ran on " << kTestBackendName;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("execution.team_size " + std::to_string(too_many)),
              std::string::npos)
        << e.what();
  }
}

// A task placed once (model::ResidentTask: pixels, PSFs, stamps and neighbour lists uploaded at
// construction) fits chunk after chunk, round after round, bitwise as fit_targets builds and
// uploads each chunk afresh: each chunk's neighbour light is re-rendered on the device from the
// neighbours' current parameters (here the previous chunk's fits), at the backend's default
// shape and at 2 x 1 where the backend runs it.
TEST(FitTeams, ResidentTaskChunksAreBitwiseFitTargets) {
  const Field& f = field();
  std::vector<model::FitOptions> shapes(1);
  shapes[0].backend = kTestBackendName;
  if (TestExecSpace().concurrency() >= 2) {
    shapes.push_back(shapes[0]);
    shapes[1].team_size = 2;
  }
  for (const model::FitOptions& o : shapes) {
    const std::string what = std::string(kTestBackendName) + " team size " +
                             std::to_string(o.team_size);
    std::vector<model::SourceParams> params = f.params;
    const model::ResidentTask task(f.survey.images, f.patches, params, f.targets, o);
    long neighbor_visits = 0;
    for (int round = 0; round < 2; ++round)
      for (int parity = 0; parity < 2; ++parity) {
        std::vector<int> chunk;
        std::vector<SourceBounds> boxes;
        for (int s : f.targets)
          if (s % 2 == parity) {
            chunk.push_back(s);
            boxes.push_back(f.boxes[s]);
          }
        const auto resident = task.fit(params, chunk, boxes);
        const auto fresh = model::fit_targets(f.survey.images, f.patches, params, chunk, boxes, o);
        expect_bitwise(resident, fresh,
                       what + ", round " + std::to_string(round) + " chunk " + std::to_string(parity));
        for (std::size_t i = 0; i < chunk.size(); ++i) {
          EXPECT_EQ(resident[i].active_visits, fresh[i].active_visits);
          EXPECT_EQ(resident[i].neighbor_visits, fresh[i].neighbor_visits);
          neighbor_visits += resident[i].neighbor_visits;
          params[chunk[i]] = resident[i].params;  // the next chunk's neighbours moved
        }
      }
    // The chunks light each other: the re-rendered neighbour light is not vacuous.
    EXPECT_GT(neighbor_visits, 1000) << what;
    EXPECT_THROW(task.fit(params, {static_cast<int>(f.params.size())}, {f.boxes[0]}),
                 std::logic_error);
  }
}

}  // namespace
}  // namespace celeste::testing
