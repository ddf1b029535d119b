// Regions (model.md §7.5, issue 5): recursive bisection into regions of roughly equal work, every
// source strictly inside the sky box a target of exactly one region per stage, stage-2
// boundaries kept away from parallel stage-1 boundaries, padding with fixed neighbours.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "inference/regions.hpp"

namespace celeste::inference {
namespace {

struct Catalog {
  std::vector<SkyPoint> positions;
  std::vector<double> work;
};

// Sources uniform over `area` (which may exceed the sky box), work 20 + 400·u³: most sources
// faint, a few bright ones dominating their neighbourhood, as in a real catalog. Portable
// uniform doubles from the top 53 bits of mt19937_64.
Catalog random_catalog(int n, const SkyBox& area, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  Catalog catalog;
  for (int s = 0; s < n; ++s) {
    catalog.positions.push_back({area.ra_min + (area.ra_max - area.ra_min) * uniform(),
                                 area.dec_min + (area.dec_max - area.dec_min) * uniform()});
    const double u = uniform();
    catalog.work.push_back(20 + 400 * u * u * u);
  }
  return catalog;
}

double total_work(const Catalog& catalog, const SkyBox& sky) {
  double total = 0;
  for (std::size_t s = 0; s < catalog.work.size(); ++s) {
    if (strictly_inside(sky, catalog.positions[s])) total += catalog.work[s];
  }
  return total;
}

// Regions tile the sky box, each region's targets are exactly the sources strictly inside it,
// and each source strictly inside the sky is a target of exactly one region.
void expect_exact_cover(const SkyBox& sky, const Catalog& catalog,
                        const std::vector<Region>& regions) {
  const int n = static_cast<int>(catalog.positions.size());
  std::vector<int> count(n, 0);
  double area = 0;
  for (const Region& region : regions) {
    const SkyBox& b = region.box;
    ASSERT_LT(b.ra_min, b.ra_max);
    ASSERT_LT(b.dec_min, b.dec_max);
    ASSERT_GE(b.ra_min, sky.ra_min);
    ASSERT_LE(b.ra_max, sky.ra_max);
    ASSERT_GE(b.dec_min, sky.dec_min);
    ASSERT_LE(b.dec_max, sky.dec_max);
    area += (b.ra_max - b.ra_min) * (b.dec_max - b.dec_min);
    std::vector<int> inside;
    double work = 0;
    for (int s = 0; s < n; ++s) {
      if (strictly_inside(b, catalog.positions[s])) {
        inside.push_back(s);
        work += catalog.work[s];
      }
    }
    EXPECT_EQ(region.targets, inside);
    EXPECT_NEAR(region.work, work, 1e-9 * work);
    for (int s : region.targets) ++count[s];
  }
  for (int s = 0; s < n; ++s) {
    EXPECT_EQ(count[s], strictly_inside(sky, catalog.positions[s]) ? 1 : 0) << "source " << s;
  }
  const double sky_area = (sky.ra_max - sky.ra_min) * (sky.dec_max - sky.dec_min);
  EXPECT_NEAR(area, sky_area, 1e-12 * sky_area);
  // Interiors pairwise disjoint (with the area sum: an exact tiling).
  for (std::size_t i = 0; i < regions.size(); ++i) {
    for (std::size_t j = i + 1; j < regions.size(); ++j) {
      const SkyBox& a = regions[i].box;
      const SkyBox& b = regions[j].box;
      const bool overlap = a.ra_min < b.ra_max && b.ra_min < a.ra_max && a.dec_min < b.dec_max &&
                           b.dec_min < a.dec_max;
      EXPECT_FALSE(overlap) << "regions " << i << " and " << j << " overlap";
    }
  }
}

// Distance from p to the nearest interior (not on the sky box) edge of `box` across `axis`
// (0: RA edges, 1: Dec edges); infinity if both of those edges lie on the sky box.
double interior_edge_distance(const SkyBox& sky, const SkyBox& box, const SkyPoint& p, int axis) {
  double best = std::numeric_limits<double>::infinity();
  const double x = axis == 0 ? p.ra : p.dec;
  const double lo = axis == 0 ? box.ra_min : box.dec_min;
  const double hi = axis == 0 ? box.ra_max : box.dec_max;
  if (lo != (axis == 0 ? sky.ra_min : sky.dec_min)) best = std::min(best, x - lo);
  if (hi != (axis == 0 ? sky.ra_max : sky.dec_max)) best = std::min(best, hi - x);
  return best;
}

std::vector<int> region_of_each_source(int n, const std::vector<Region>& regions) {
  std::vector<int> region_of(n, -1);
  for (int r = 0; r < static_cast<int>(regions.size()); ++r) {
    for (int s : regions[r].targets) region_of[s] = r;
  }
  return region_of;
}

const SkyBox kSky{10.0, 12.0, -1.0, 1.0};

TEST(Regions, HandExampleSplitsAtWorkMedianBetweenSources) {
  const SkyBox sky{0, 4, 0, 2};
  const std::vector<SkyPoint> positions{{0.5, 1}, {1.5, 1}, {2.5, 1}, {3.5, 1}};
  RegionOptions options;
  options.target_work = 2;
  auto regions = partition_regions(sky, positions, {1, 1, 1, 1}, options);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].box.ra_max, 2.0);
  EXPECT_EQ(regions[0].targets, (std::vector<int>{0, 1}));
  EXPECT_EQ(regions[1].box.ra_min, 2.0);
  EXPECT_EQ(regions[1].targets, (std::vector<int>{2, 3}));
  // A heavy first source moves the split to its right; its region is then a single-source leaf
  // and the rest fits the target.
  options.target_work = 3;
  regions = partition_regions(sky, positions, {3, 1, 1, 1}, options);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].box.ra_max, 1.0);
  EXPECT_EQ(regions[0].targets, (std::vector<int>{0}));
  EXPECT_EQ(regions[1].targets, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(regions[1].work, 3.0);
  // The longer side is split: with a tall box the split is in Dec.
  const SkyBox tall{0, 1, 0, 4};
  const std::vector<SkyPoint> column{{0.5, 0.5}, {0.5, 1.5}, {0.5, 2.5}, {0.5, 3.5}};
  options.target_work = 2;
  regions = partition_regions(tall, column, {1, 1, 1, 1}, options);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].box.dec_max, 2.0);
  EXPECT_EQ(regions[0].box.ra_max, 1.0);
}

TEST(Regions, RandomCatalogCoverAndWorkBalance) {
  // The catalog spills over the sky box; some sources sit exactly on its edges.
  Catalog catalog = random_catalog(20000, {9.9, 12.1, -1.1, 1.1}, 1);
  catalog.positions.push_back({10.0, 0.3});
  catalog.positions.push_back({11.0, 1.0});
  catalog.work.push_back(50);
  catalog.work.push_back(50);
  RegionOptions options;
  options.target_work = total_work(catalog, kSky) / 40;
  options.stage2_clearance_deg = 0.01;
  const TwoStageRegions stages =
      partition_two_stages(kSky, catalog.positions, catalog.work, options);
  expect_exact_cover(kSky, catalog, stages.stage1);
  expect_exact_cover(kSky, catalog, stages.stage2);
  EXPECT_EQ(stages.stage2_clearance_shortfalls, 0);

  const double max_source_work = *std::max_element(catalog.work.begin(), catalog.work.end());
  auto work_range = [](const std::vector<Region>& regions) {
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (const Region& r : regions) {
      lo = std::min(lo, r.work);
      hi = std::max(hi, r.work);
    }
    return std::make_pair(lo, hi);
  };
  // Stage 1 splits at the work median: a child gets at least half its parent's work (which
  // exceeded the target) less half of the source straddling the median.
  const auto [lo1, hi1] = work_range(stages.stage1);
  EXPECT_LE(hi1, options.target_work);
  EXPECT_GE(lo1, options.target_work / 2 - max_source_work / 2);
  // Stage 2 keeps each child ≥ stage2_min_work_fraction (1/4) of its parent.
  const auto [lo2, hi2] = work_range(stages.stage2);
  EXPECT_LE(hi2, options.target_work);
  EXPECT_GE(lo2, options.target_work / 4);
  std::cout << "stage 1: " << stages.stage1.size() << " regions, work max/min " << hi1 / lo1
            << "; stage 2: " << stages.stage2.size() << " regions, work max/min " << hi2 / lo2
            << "\n";
  // Stated balance factors on this catalog (docs/scheduling.md): ≤ 2.2 and ≤ 4.
  EXPECT_LE(hi1 / lo1, 2.2);
  EXPECT_LE(hi2 / lo2, 4.0);
  EXPECT_GE(stages.stage1.size(), 40u);
  EXPECT_LE(stages.stage1.size(), 80u);
}

// The stage-2 guarantee: with clearance 2d, no source lies within d of a stage-1 boundary and
// within d of a stage-2 boundary of the same orientation (interior boundaries), so neighbours
// across a stage-1 boundary are in the same stage-2 region except at crossings of perpendicular
// boundaries.
TEST(Regions, StageTwoBoundariesAvoidStageOneBoundaries) {
  // 40,000 sources per square degree (deep SDSS fields reach this), so there are many close
  // pairs across boundaries.
  const SkyBox sky{10.0, 11.0, -0.5, 0.5};
  const Catalog catalog = random_catalog(40000, sky, 2);
  const double d = 0.005;  // degrees: ~45 SDSS pixels, more than two patch radii
  RegionOptions options;
  options.target_work = total_work(catalog, sky) / 60;
  options.stage2_clearance_deg = 2 * d;
  const TwoStageRegions stages =
      partition_two_stages(sky, catalog.positions, catalog.work, options);
  ASSERT_EQ(stages.stage2_clearance_shortfalls, 0);
  const int n = static_cast<int>(catalog.positions.size());
  const auto region1 = region_of_each_source(n, stages.stage1);
  const auto region2 = region_of_each_source(n, stages.stage2);

  int near_stage1_boundary = 0;
  for (int s = 0; s < n; ++s) {
    for (int axis : {0, 1}) {
      const double d1 =
          interior_edge_distance(sky, stages.stage1[region1[s]].box, catalog.positions[s], axis);
      const double d2 =
          interior_edge_distance(sky, stages.stage2[region2[s]].box, catalog.positions[s], axis);
      if (d1 < d) ++near_stage1_boundary;
      EXPECT_FALSE(d1 < d && d2 < d)
          << "source " << s << " axis " << axis << ": " << d1 << ", " << d2;
    }
  }
  EXPECT_GT(near_stage1_boundary, 500) << "too few boundary sources for a meaningful test";

  // Close pairs (Chebyshev distance < d, as §7.2) cut apart by stage 1 are almost all together
  // in stage 2; the rest sit at crossings of perpendicular stage-1 and stage-2 boundaries.
  std::vector<int> by_ra(n);
  for (int s = 0; s < n; ++s) by_ra[s] = s;
  std::sort(by_ra.begin(), by_ra.end(),
            [&](int a, int b) { return catalog.positions[a].ra < catalog.positions[b].ra; });
  int cut_in_stage1 = 0, cut_in_both = 0;
  for (int i = 0; i < n; ++i) {
    const SkyPoint& p = catalog.positions[by_ra[i]];
    for (int j = i + 1; j < n && catalog.positions[by_ra[j]].ra - p.ra < d; ++j) {
      if (std::abs(catalog.positions[by_ra[j]].dec - p.dec) >= d) continue;
      const int a = by_ra[i], b = by_ra[j];
      if (region1[a] != region1[b]) {
        ++cut_in_stage1;
        if (region2[a] != region2[b]) ++cut_in_both;
      }
    }
  }
  std::cout << "close pairs cut by stage 1: " << cut_in_stage1
            << ", also by stage 2: " << cut_in_both << "\n";
  EXPECT_GT(cut_in_stage1, 500);
  EXPECT_LE(cut_in_both, 0.05 * cut_in_stage1);
}

TEST(Regions, StageTwoEqualsStageOneWithoutClearance) {
  const Catalog catalog = random_catalog(3000, kSky, 3);
  RegionOptions options;
  options.target_work = total_work(catalog, kSky) / 20;
  options.stage2_clearance_deg = 0;
  const TwoStageRegions stages =
      partition_two_stages(kSky, catalog.positions, catalog.work, options);
  ASSERT_EQ(stages.stage1.size(), stages.stage2.size());
  for (std::size_t r = 0; r < stages.stage1.size(); ++r) {
    EXPECT_EQ(stages.stage1[r].targets, stages.stage2[r].targets);
    EXPECT_EQ(stages.stage1[r].box.ra_min, stages.stage2[r].box.ra_min);
    EXPECT_EQ(stages.stage1[r].box.dec_max, stages.stage2[r].box.dec_max);
  }
  // And partition_regions is stage 1.
  const auto alone = partition_regions(kSky, catalog.positions, catalog.work, options);
  ASSERT_EQ(alone.size(), stages.stage1.size());
  for (std::size_t r = 0; r < alone.size(); ++r)
    EXPECT_EQ(alone[r].targets, stages.stage1[r].targets);
}

TEST(Regions, UnreachableClearanceIsReportedAndCoverStillExact) {
  const Catalog catalog = random_catalog(5000, kSky, 4);
  RegionOptions options;
  options.target_work = total_work(catalog, kSky) / 30;
  options.stage2_clearance_deg = 0.5;  // wider than the regions
  const TwoStageRegions stages =
      partition_two_stages(kSky, catalog.positions, catalog.work, options);
  EXPECT_GT(stages.stage2_clearance_shortfalls, 0);
  expect_exact_cover(kSky, catalog, stages.stage2);
  for (const Region& r : stages.stage2) EXPECT_LE(r.work, options.target_work);
}

TEST(Regions, MinimumSideIsRespected) {
  const Catalog catalog = random_catalog(5000, kSky, 5);
  RegionOptions options;
  options.target_work = total_work(catalog, kSky) / 200;  // would want much smaller regions
  options.min_side_deg = 0.3;
  options.stage2_clearance_deg = 0.02;
  const TwoStageRegions stages =
      partition_two_stages(kSky, catalog.positions, catalog.work, options);
  for (const auto* regions : {&stages.stage1, &stages.stage2}) {
    expect_exact_cover(kSky, catalog, *regions);
    for (const Region& r : *regions) {
      EXPECT_GE(r.box.ra_max - r.box.ra_min, options.min_side_deg);
      EXPECT_GE(r.box.dec_max - r.box.dec_min, options.min_side_deg);
    }
  }
  EXPECT_LT(stages.stage1.size(), 50u);
}

// Sources that cannot be separated stay together instead of looping or landing on a boundary.
TEST(Regions, InseparableSourcesStayTogether) {
  const SkyBox sky{0, 1, 0, 1};
  const double x = 0.3;
  const double next = std::nextafter(x, 1.0);  // no double strictly between x and next
  Catalog catalog;
  for (int k = 0; k < 5; ++k) catalog.positions.push_back({0.7, 0.7});  // identical positions
  catalog.positions.push_back({x, 0.2});
  catalog.positions.push_back({next, 0.2});
  catalog.work.assign(catalog.positions.size(), 10.0);
  RegionOptions options;
  options.target_work = 1;  // every source alone exceeds it
  const auto regions = partition_regions(sky, catalog.positions, catalog.work, options);
  expect_exact_cover(sky, catalog, regions);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].targets, (std::vector<int>{5, 6}));
  EXPECT_EQ(regions[1].targets, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Regions, SmallAndEmptyCatalogs) {
  RegionOptions options;
  options.target_work = 1;
  auto regions = partition_regions(kSky, {}, {}, options);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_TRUE(regions[0].targets.empty());
  // All work zero: nothing to balance, one region.
  const Catalog catalog = random_catalog(100, kSky, 6);
  regions = partition_regions(kSky, catalog.positions, std::vector<double>(100, 0.0), options);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].targets.size(), 100u);
}

TEST(Regions, RegionSourcesPadsWithFixedNeighbours) {
  const SkyBox box{1, 2, 3, 4};
  const std::vector<SkyPoint> positions{
      {1.5, 3.5},     // 0: inside
      {1.0, 3.5},     // 1: on the edge: not a target (strict), a neighbour
      {0.95, 3.5},    // 2: 0.05 left of the box: neighbour
      {0.85, 3.5},    // 3: 0.15 left: too far
      {2.09, 4.09},   // 4: diagonal corner, within the margin on both axes: neighbour
      {2.09, 4.2},    // 5: within in RA, too far in Dec
      {1.999, 3.001}  // 6: inside, near the corner
  };
  const RegionSources sources = region_sources(box, positions, 0.1);
  EXPECT_EQ(sources.targets, (std::vector<int>{0, 6}));
  EXPECT_EQ(sources.fixed_neighbors, (std::vector<int>{1, 2, 4}));
  const RegionSources no_margin = region_sources(box, positions, 0.0);
  EXPECT_EQ(no_margin.fixed_neighbors, (std::vector<int>{1}));
  EXPECT_THROW(region_sources(box, positions, -1.0), std::invalid_argument);
}

TEST(Regions, RejectsInvalidInput) {
  RegionOptions options;
  options.target_work = 1;
  const std::vector<SkyPoint> one{{0.5, 0.5}};
  EXPECT_THROW(partition_regions({1, 0, 0, 1}, one, {1}, options), std::invalid_argument);
  EXPECT_THROW(partition_regions({0, 1, 0, 1}, one, {1, 2}, options), std::invalid_argument);
  EXPECT_THROW(partition_regions({0, 1, 0, 1}, one, {-1}, options), std::invalid_argument);
  EXPECT_THROW(partition_regions({0, 1, 0, 1}, {{std::nan(""), 0.5}}, {1}, options),
               std::invalid_argument);
  options.target_work = 0;
  EXPECT_THROW(partition_regions({0, 1, 0, 1}, one, {1}, options), std::invalid_argument);
  options.target_work = 1;
  options.stage2_min_work_fraction = 0.6;
  EXPECT_THROW(partition_two_stages({0, 1, 0, 1}, one, {1}, options), std::invalid_argument);
}

}  // namespace
}  // namespace celeste::inference
