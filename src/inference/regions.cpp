#include "inference/regions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace celeste::inference {

namespace {

constexpr int kAxisRa = 0;
constexpr int kAxisDec = 1;

double coordinate(const SkyPoint& p, int axis) { return axis == kAxisRa ? p.ra : p.dec; }
double box_lo(const SkyBox& b, int axis) { return axis == kAxisRa ? b.ra_min : b.dec_min; }
double box_hi(const SkyBox& b, int axis) { return axis == kAxisRa ? b.ra_max : b.dec_max; }

// A split line: coordinate `axis` = position, for the other coordinate in [lo, hi].
struct SplitSegment {
  int axis;
  double position;
  double lo, hi;
};

struct Node {
  SkyBox box;
  std::vector<int> sources;
};

struct SplitCandidate {
  int left_count;      // the first left_count sources (sorted along the axis) go left
  double position;     // strictly between the two neighbouring coordinates
  double left_work;
  double imbalance;    // |left work − right work|
  double clearance;    // distance to the nearest parallel, overlapping stage-1 boundary
};

class RecursiveBisection {
 public:
  // `avoid` = the stage-1 boundaries when building stage 2, nullptr for stage 1.
  RecursiveBisection(const std::vector<SkyPoint>& positions, const std::vector<double>& work,
                     const RegionOptions& options, const std::vector<SplitSegment>* avoid)
      : positions_(positions), work_(work), options_(options), avoid_(avoid) {}

  void run(const SkyBox& sky) {
    Node root{sky, {}};
    for (int s = 0; s < static_cast<int>(positions_.size()); ++s) {
      if (strictly_inside(sky, positions_[s])) root.sources.push_back(s);
    }
    // Explicit stack (a region can be split once per source in degenerate catalogs); pushing
    // the upper child first makes regions come out depth first, lower half first.
    std::vector<Node> stack;
    stack.push_back(std::move(root));
    while (!stack.empty()) {
      Node node = std::move(stack.back());
      stack.pop_back();
      split_or_emit(std::move(node), stack);
    }
  }

  std::vector<Region> regions;
  std::vector<SplitSegment> segments;
  int clearance_shortfalls = 0;

 private:
  double work_of(const std::vector<int>& sources) const {
    double total = 0;
    for (int s : sources) total += work_[s];
    return total;
  }

  void split_or_emit(Node node, std::vector<Node>& stack) {
    if (node.sources.size() >= 2 && work_of(node.sources) > options_.target_work) {
      const double ra_side = node.box.ra_max - node.box.ra_min;
      const double dec_side = node.box.dec_max - node.box.dec_min;
      const int first_axis = ra_side >= dec_side ? kAxisRa : kAxisDec;
      for (int axis : {first_axis, 1 - first_axis}) {
        if (try_split(node, axis, stack)) return;
      }
    }
    Region region;
    region.box = node.box;
    region.targets = std::move(node.sources);
    std::sort(region.targets.begin(), region.targets.end());
    region.work = work_of(region.targets);
    regions.push_back(std::move(region));
  }

  // Positions of the stage-1 boundaries parallel to a split along `axis` whose extent overlaps
  // the node's range in the other coordinate (touching counts: conservative), sorted.
  std::vector<double> parallel_boundaries(const Node& node, int axis) const {
    std::vector<double> found;
    if (avoid_ == nullptr) return found;
    const double lo = box_lo(node.box, 1 - axis);
    const double hi = box_hi(node.box, 1 - axis);
    for (const SplitSegment& seg : *avoid_) {
      if (seg.axis == axis && seg.lo <= hi && seg.hi >= lo) found.push_back(seg.position);
    }
    std::sort(found.begin(), found.end());
    return found;
  }

  static double distance_to_nearest(const std::vector<double>& sorted, double x) {
    double best = std::numeric_limits<double>::infinity();
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), x);
    if (it != sorted.end()) best = std::min(best, *it - x);
    if (it != sorted.begin()) best = std::min(best, x - *(it - 1));
    return best;
  }

  bool try_split(Node& node, int axis, std::vector<Node>& stack) {
    std::vector<int>& sources = node.sources;
    // Sort by the coordinate, ties by index, so the split does not depend on input order.
    std::sort(sources.begin(), sources.end(), [&](int a, int b) {
      const double ca = coordinate(positions_[a], axis), cb = coordinate(positions_[b], axis);
      return ca < cb || (ca == cb && a < b);
    });
    const double lo = box_lo(node.box, axis), hi = box_hi(node.box, axis);
    const std::vector<double> boundaries = parallel_boundaries(node, axis);

    const int m = static_cast<int>(sources.size());
    double total = 0;
    for (int s : sources) total += work_[s];
    std::vector<SplitCandidate> candidates;
    double left_work = 0;
    for (int g = 1; g < m; ++g) {
      left_work += work_[sources[g - 1]];
      const double below = coordinate(positions_[sources[g - 1]], axis);
      const double above = coordinate(positions_[sources[g]], axis);
      const double position = 0.5 * (below + above);
      // Equal or adjacent doubles have no position strictly between them: a line there would
      // put a source on the boundary, a target of neither side.
      if (!(below < position && position < above)) continue;
      if (position - lo < options_.min_side_deg || hi - position < options_.min_side_deg) continue;
      candidates.push_back({g, position, left_work, std::abs(total - 2 * left_work),
                            distance_to_nearest(boundaries, position)});
    }
    if (candidates.empty()) return false;

    const SplitCandidate& chosen = avoid_ == nullptr ? best_balanced(candidates)
                                                     : stage2_choice(candidates, total);
    segments.push_back({axis, chosen.position, box_lo(node.box, 1 - axis),
                        box_hi(node.box, 1 - axis)});
    Node lower{node.box, std::vector<int>(sources.begin(), sources.begin() + chosen.left_count)};
    Node upper{node.box, std::vector<int>(sources.begin() + chosen.left_count, sources.end())};
    (axis == kAxisRa ? lower.box.ra_max : lower.box.dec_max) = chosen.position;
    (axis == kAxisRa ? upper.box.ra_min : upper.box.dec_min) = chosen.position;
    stack.push_back(std::move(upper));
    stack.push_back(std::move(lower));
    return true;
  }

  // The work-weighted median split (first of equally balanced ones).
  static const SplitCandidate& best_balanced(const std::vector<SplitCandidate>& candidates) {
    const SplitCandidate* best = &candidates.front();
    for (const SplitCandidate& c : candidates) {
      if (c.imbalance < best->imbalance) best = &c;
    }
    return *best;
  }

  // Stage 2: best balanced among splits in the work band that clear the stage-1 boundaries;
  // if the band is unreachable (one source dominates), best balanced among clearing splits;
  // otherwise the most clearance available (band if possible), counted as a shortfall.
  const SplitCandidate& stage2_choice(const std::vector<SplitCandidate>& candidates,
                                      double total) {
    const double min_child = options_.stage2_min_work_fraction * total;
    auto in_band = [&](const SplitCandidate& c) {
      return c.left_work >= min_child && total - c.left_work >= min_child;
    };
    auto clears = [&](const SplitCandidate& c) {
      return c.clearance >= options_.stage2_clearance_deg;
    };
    const bool band_reachable = std::any_of(candidates.begin(), candidates.end(), in_band);

    const SplitCandidate* best = nullptr;
    for (const SplitCandidate& c : candidates) {
      if (!clears(c) || (band_reachable && !in_band(c))) continue;
      if (best == nullptr || c.imbalance < best->imbalance) best = &c;
    }
    if (best != nullptr) return *best;

    ++clearance_shortfalls;
    for (const SplitCandidate& c : candidates) {
      if (band_reachable && !in_band(c)) continue;
      if (best == nullptr || c.clearance > best->clearance ||
          (c.clearance == best->clearance && c.imbalance < best->imbalance)) {
        best = &c;
      }
    }
    return *best;
  }

  const std::vector<SkyPoint>& positions_;
  const std::vector<double>& work_;
  const RegionOptions& options_;
  const std::vector<SplitSegment>* avoid_;
};

void validate(const SkyBox& sky, const std::vector<SkyPoint>& positions,
              const std::vector<double>& work, const RegionOptions& options) {
  if (!(std::isfinite(sky.ra_min) && std::isfinite(sky.ra_max) && std::isfinite(sky.dec_min) &&
        std::isfinite(sky.dec_max) && sky.ra_min < sky.ra_max && sky.dec_min < sky.dec_max)) {
    throw std::invalid_argument("regions: the sky box must have finite ra_min < ra_max and "
                                "dec_min < dec_max");
  }
  if (positions.size() != work.size()) {
    throw std::invalid_argument("regions: " + std::to_string(positions.size()) +
                                " source positions but " + std::to_string(work.size()) +
                                " work estimates");
  }
  for (std::size_t s = 0; s < positions.size(); ++s) {
    if (!std::isfinite(positions[s].ra) || !std::isfinite(positions[s].dec)) {
      throw std::invalid_argument("regions: source " + std::to_string(s) +
                                  " has a non-finite position");
    }
    if (!std::isfinite(work[s]) || work[s] < 0) {
      throw std::invalid_argument("regions: source " + std::to_string(s) +
                                  " has a negative or non-finite work estimate");
    }
  }
  if (!(options.target_work > 0) || !std::isfinite(options.target_work)) {
    throw std::invalid_argument("regions: target_work must be positive and finite");
  }
  if (!(options.min_side_deg >= 0) || !(options.stage2_clearance_deg >= 0)) {
    throw std::invalid_argument("regions: min_side_deg and stage2_clearance_deg must be >= 0");
  }
  if (!(options.stage2_min_work_fraction > 0 && options.stage2_min_work_fraction <= 0.5)) {
    throw std::invalid_argument("regions: stage2_min_work_fraction must be in (0, 0.5]");
  }
}

}  // namespace

bool strictly_inside(const SkyBox& box, const SkyPoint& point) {
  return box.ra_min < point.ra && point.ra < box.ra_max && box.dec_min < point.dec &&
         point.dec < box.dec_max;
}

std::vector<Region> partition_regions(const SkyBox& sky, const std::vector<SkyPoint>& positions,
                                      const std::vector<double>& work,
                                      const RegionOptions& options) {
  validate(sky, positions, work, options);
  RecursiveBisection stage1(positions, work, options, nullptr);
  stage1.run(sky);
  return std::move(stage1.regions);
}

TwoStageRegions partition_two_stages(const SkyBox& sky, const std::vector<SkyPoint>& positions,
                                     const std::vector<double>& work,
                                     const RegionOptions& options) {
  validate(sky, positions, work, options);
  RecursiveBisection stage1(positions, work, options, nullptr);
  stage1.run(sky);
  RecursiveBisection stage2(positions, work, options, &stage1.segments);
  stage2.run(sky);
  TwoStageRegions result;
  result.stage1 = std::move(stage1.regions);
  result.stage2 = std::move(stage2.regions);
  result.stage2_clearance_shortfalls = stage2.clearance_shortfalls;
  return result;
}

RegionSources region_sources(const SkyBox& box, const std::vector<SkyPoint>& positions,
                             double margin_deg) {
  if (!(margin_deg >= 0)) throw std::invalid_argument("region_sources: margin must be >= 0");
  RegionSources sources;
  for (int s = 0; s < static_cast<int>(positions.size()); ++s) {
    const SkyPoint& p = positions[s];
    if (strictly_inside(box, p)) {
      sources.targets.push_back(s);
    } else if (box.ra_min - margin_deg <= p.ra && p.ra <= box.ra_max + margin_deg &&
               box.dec_min - margin_deg <= p.dec && p.dec <= box.dec_max + margin_deg) {
      sources.fixed_neighbors.push_back(s);
    }
  }
  return sources;
}

}  // namespace celeste::inference
