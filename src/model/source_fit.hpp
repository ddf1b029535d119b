#pragma once
// Host driver of the per-source fit: for a set of target sources (pairwise non-neighbours, or
// with neighbours deliberately held at their current values), build their ELBO tasks, run the
// batched Newton trust-region kernel (kernels/celeste/model/fit_sources.hpp) and return the new
// parameters with per-source optimizer statistics.
#include <vector>

#include "celeste/optimizer/newton_trust_region.hpp"
#include "celeste/optimizer/status.hpp"
#include "celeste/transforms.hpp"
#include "model/elbo_problem.hpp"
#include "model/patches.hpp"

namespace celeste::model {

struct FitOptions {
  optimizer::NewtonTrustRegionOptions trust_region;
  int team_size = 1;  // threads per source (1: sources in parallel, deterministic)
};

struct SourceFit {
  SourceParams params{};              // canonical parameters after the fit
  optimizer::OptimizerResult result;  // status, iterations, flags, f_initial/f_final = −ELBO
  long active_visits = 0;             // pixel visits per ELBO evaluation
  long neighbor_visits = 0;           // neighbour contributions computed for the background
};

// The fixed box of a target source from its initial position (model.md §3.3).
SourceBounds target_bounds(double ra0, double dec0);

std::vector<SourceFit> fit_targets(const std::vector<survey::Image>& images,
                                   const SurveyPatches& patches,
                                   const std::vector<SourceParams>& params,
                                   const std::vector<int>& targets,
                                   const std::vector<SourceBounds>& target_box,
                                   const FitOptions& options = {});

}  // namespace celeste::model
