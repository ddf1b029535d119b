#pragma once
// Regions ("tasks", model.md §7.5): the sky box cut into rectangles of roughly equal expected
// work, in two stages whose interior boundaries are kept apart so that sources cut off from
// their neighbours by a stage-1 boundary are optimized together with them in stage 2
// (docs/scheduling.md, docs/decisions.md "Scheduling").
//
// All coordinates are raw degrees (RA and Dec, no cos(dec) factor), as in the neighbour
// distance of §7.2 and the 0.5°×0.5° boxes of §7.5. Pure host code, deterministic.
#include <vector>

namespace celeste::inference {

struct SkyBox {
  double ra_min = 0, ra_max = 0, dec_min = 0, dec_max = 0;  // degrees
};

struct SkyPoint {
  double ra = 0, dec = 0;  // degrees
};

// §7.5 target test: ra_min < ra < ra_max and dec_min < dec < dec_max (strict).
bool strictly_inside(const SkyBox& box, const SkyPoint& point);

struct Region {
  SkyBox box;
  std::vector<int> targets;  // catalog indices strictly inside box, ascending
  double work = 0;           // Σ work of the targets
};

struct RegionOptions {
  // Stop splitting a region once its work is at most this (> 0). For about N regions use
  // (total work)/N: leaves then hold between roughly half and all of it (stage 1).
  double target_work = 0;
  // Never create a region with a side shorter than this (degrees): a split is only placed where
  // both children keep this width. Keeps regions much wider than a source's neighbourhood.
  double min_side_deg = 0;
  // Stage 2 only: minimum distance (degrees) between a stage-2 boundary and any parallel
  // stage-1 boundary whose extent overlaps it. With clearance = 2·d, no source lies within d of
  // a stage-1 boundary and within d of a stage-2 boundary of the same orientation. Choose
  // d ≥ the neighbour distance of §7.2 (max patch radius sum, in degrees).
  double stage2_clearance_deg = 0;
  // Stage 2 only: a stage-2 split must leave each child at least this fraction of the parent's
  // work (in (0, 0.5]); inside that band the best-balanced split with enough clearance wins.
  double stage2_min_work_fraction = 0.25;
};

struct TwoStageRegions {
  std::vector<Region> stage1;
  std::vector<Region> stage2;
  // Stage-2 splits for which no split position in the work band kept stage2_clearance_deg
  // from the stage-1 boundaries (the position with the most clearance was used instead). Zero
  // means the clearance guarantee holds everywhere; run_pipeline warns otherwise.
  int stage2_clearance_shortfalls = 0;
};

// Stage 1: recursive bisection of `sky`. A region whose work exceeds target_work and that holds
// at least two sources is split across its longer side (ties: RA) at the position that best
// balances the children's work, halfway between two neighbouring source coordinates, so no
// source lies on a boundary; if that side cannot be split (all sources share the coordinate, or
// min_side_deg forbids it) the other side is tried, else the region is a leaf. Sources not
// strictly inside `sky` belong to no region; every other source is a target of exactly one.
// Regions are listed depth first, lower half (smaller RA or Dec) first.
// Throws std::invalid_argument on an empty box, mismatched sizes, non-finite positions,
// negative or non-finite work, or target_work ≤ 0.
std::vector<Region> partition_regions(const SkyBox& sky, const std::vector<SkyPoint>& positions,
                                      const std::vector<double>& work,
                                      const RegionOptions& options);

// Stage 1 as above, and stage 2: the same recursion, except that each split is chosen among the
// positions leaving both children ≥ stage2_min_work_fraction of the work as the best-balanced
// one whose line keeps stage2_clearance_deg from every parallel, overlapping stage-1 boundary
// (or, if none does, the one with the most clearance; counted in stage2_clearance_shortfalls).
// With stage2_clearance_deg = 0 both stages are identical.
TwoStageRegions partition_two_stages(const SkyBox& sky, const std::vector<SkyPoint>& positions,
                                     const std::vector<double>& work,
                                     const RegionOptions& options);

// The sources a region's problem needs: its targets (strictly inside) and the fixed neighbours,
// sources not strictly inside but with ra_min − margin ≤ ra ≤ ra_max + margin and
// dec_min − margin ≤ dec ≤ dec_max + margin (raw degrees, like §7.2's max(|Δra|, |Δdec|)).
struct RegionSources {
  std::vector<int> targets;          // ascending catalog indices
  std::vector<int> fixed_neighbors;  // ascending catalog indices
};
RegionSources region_sources(const SkyBox& box, const std::vector<SkyPoint>& positions,
                             double margin_deg);

}  // namespace celeste::inference
