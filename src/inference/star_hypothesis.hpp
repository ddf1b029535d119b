#pragma once
// The star hypothesis of a blend (model variant K): a source called a galaxy with a degenerate
// shape (a needle, axis ratio near its bound, or unresolved, σ near its bound) next to close
// neighbours is often two or more stars whose light the block-coordinate fit shared out wrongly:
// one source became a streak over its neighbour, and no single-source step can undo it. The
// move refits the source as a star (its type prior held at "star"), then its close neighbours
// and the source in turn, and keeps the result only if the ELBO of the group went up. The ELBO
// change of the whole catalog is the sum of the changes of the single-source objectives the
// refits see (each holds the others fixed), so the test is on the model's own objective.
// docs/decisions.md "Star hypothesis of blends".
#include <functional>
#include <vector>

#include "inference/checkpoint.hpp"
#include "model/source_fit.hpp"
#include "survey/image.hpp"
#include "survey/source_result.hpp"

namespace celeste::inference {

struct StarHypothesisOptions {
  double max_axis_ratio = 0.1;     // a galaxy at or below this axis ratio is a candidate ...
  double max_scale_px = 0.3;       // ... and one at or below this scale
  double cluster_radius_px = 8.0;  // close neighbours: centres within this distance
  int max_sweeps = 30;             // held-star source + neighbour refits before the free refit,
  double min_sweep_gain = 1.0;     // ... until a sweep gains less than this (nats)
};

struct StarHypothesisOutcome {
  bool tried = false;
  bool accepted = false;
  double elbo_gain = 0;            // of the group, when tried (accepted iff > 0)
  std::vector<int> changed;        // sources whose parameters/records changed (accepted)
  WorkCounters work;               // fits, iterations, evaluations, visits of the move
};

// Whether source s (a target) is a candidate: galaxy call with a degenerate shape.
bool star_hypothesis_candidate(const model::SourceParams& p, const StarHypothesisOptions& o);

// Tries the move on target s. `movable` says which sources may change (the region's targets);
// params/records are updated in place only when the move is accepted. `after_each_fit`, when
// set, is called after every fit of the move (a move may take seconds: a distributed run
// answers its scheduler messages there); it must not touch params or records.
StarHypothesisOutcome try_star_hypothesis(const std::vector<survey::Image>& images,
                                          const model::SurveyPatches& patches,
                                          std::vector<model::SourceParams>& params,
                                          std::vector<survey::SourceResult>& records,
                                          const std::vector<SourceBounds>& boxes,
                                          const std::vector<bool>& movable, int s,
                                          const model::FitOptions& fit_options,
                                          const StarHypothesisOptions& options,
                                          const std::function<void()>& after_each_fit = {});

}  // namespace celeste::inference
