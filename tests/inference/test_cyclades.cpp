// Cyclades plans (model.md §7.3, §9.2 #22): batches cover every target once, components of a
// batch are the connected components of the induced conflict graph, rounds hold no adjacent
// pair and reproduce a serial order of updates, plans are deterministic, and the automatic batch
// size minimizes the §7.3 imbalance score.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "inference/cyclades.hpp"

namespace celeste::inference {
namespace {

ConflictGraph grid_graph(int width, int height) {
  ConflictGraph graph(width * height);
  auto id = [&](int x, int y) { return y * width + x; };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (x + 1 < width) {
        graph[id(x, y)].push_back(id(x + 1, y));
        graph[id(x + 1, y)].push_back(id(x, y));
      }
      if (y + 1 < height) {
        graph[id(x, y)].push_back(id(x, y + 1));
        graph[id(x, y + 1)].push_back(id(x, y));
      }
    }
  }
  return graph;
}

// Points uniform in the unit square, edges between points closer than `radius` (Chebyshev, as
// model.md §7.2's neighbour distance). Portable uniform doubles from the top 53 bits.
ConflictGraph random_geometric_graph(int n, double radius, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = uniform();
    y[i] = uniform();
  }
  // Sweep in x so that building a 10^4-node graph stays cheap.
  std::vector<int> by_x(n);
  for (int i = 0; i < n; ++i) by_x[i] = i;
  std::sort(by_x.begin(), by_x.end(), [&](int a, int b) { return x[a] < x[b]; });
  ConflictGraph graph(n);
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n && x[by_x[b]] - x[by_x[a]] < radius; ++b) {
      const int i = by_x[a], j = by_x[b];
      if (std::abs(y[i] - y[j]) < radius) {
        graph[i].push_back(j);
        graph[j].push_back(i);
      }
    }
  }
  return graph;
}

bool adjacent(const ConflictGraph& graph, int a, int b) {
  return std::find(graph[a].begin(), graph[a].end(), b) != graph[a].end();
}

// Every structural property a plan promises, checked from scratch.
void expect_valid_plan(const ConflictGraph& graph, const CycladesPlan& plan) {
  const int n = static_cast<int>(graph.size());
  ASSERT_GE(plan.batch_size, 1);
  ASSERT_EQ(static_cast<int>(plan.permutation.size()), n);
  std::vector<int> seen(n, 0);
  for (int t : plan.permutation) {
    ASSERT_GE(t, 0);
    ASSERT_LT(t, n);
    ++seen[t];
  }
  for (int t = 0; t < n; ++t) ASSERT_EQ(seen[t], 1) << "permutation misses or repeats " << t;

  const int expected_batches = (n + plan.batch_size - 1) / plan.batch_size;
  ASSERT_EQ(static_cast<int>(plan.batches.size()), expected_batches);
  std::vector<int> in_batches(n, 0);
  for (int b = 0; b < expected_batches; ++b) {
    const CycladesBatch& batch = plan.batches[b];
    const int start = b * plan.batch_size;
    const int end = std::min(n, start + plan.batch_size);
    // Position of each target in the permutation, to check orders.
    std::map<int, int> position;
    for (int i = start; i < end; ++i) position[plan.permutation[i]] = i;
    std::map<int, int> component_of;
    int previous_first = -1;
    for (int c = 0; c < static_cast<int>(batch.components.size()); ++c) {
      const auto& component = batch.components[c];
      ASSERT_FALSE(component.empty());
      for (std::size_t k = 0; k < component.size(); ++k) {
        const int t = component[k];
        ASSERT_EQ(position.count(t), 1u) << "target " << t << " is not in batch " << b;
        ASSERT_EQ(component_of.count(t), 0u) << "target " << t << " in two components";
        component_of[t] = c;
        ++in_batches[t];
        if (k > 0) EXPECT_LT(position[component[k - 1]], position[t]) << "not in permutation order";
      }
      EXPECT_GT(position[component.front()], previous_first)
          << "components not in first-appearance order";
      previous_first = position[component.front()];
      // Connected within the batch: a search along batch edges reaches the whole component.
      std::set<int> reached{component.front()};
      std::vector<int> frontier{component.front()};
      while (!frontier.empty()) {
        const int t = frontier.back();
        frontier.pop_back();
        for (int u : graph[t]) {
          if (position.count(u) && reached.insert(u).second) frontier.push_back(u);
        }
      }
      EXPECT_EQ(reached.size(), component.size())
          << "component " << c << " of batch " << b << " is not a connected component";
    }
    EXPECT_EQ(component_of.size(), position.size()) << "batch " << b << " loses targets";
    // No edge between different components of the batch.
    for (const auto& [t, c] : component_of) {
      for (int u : graph[t]) {
        const auto it = component_of.find(u);
        if (it != component_of.end()) {
          EXPECT_EQ(it->second, c) << "edge " << t << "-" << u << " joins two components";
        }
      }
    }
  }
  for (int t = 0; t < n; ++t) EXPECT_EQ(in_batches[t], 1) << "target " << t;
}

void expect_rounds_independent(const ConflictGraph& graph, const CycladesBatch& batch,
                               const std::vector<std::vector<int>>& rounds) {
  std::multiset<int> covered;
  for (const auto& round : rounds) {
    ASSERT_FALSE(round.empty());
    for (std::size_t i = 0; i < round.size(); ++i) {
      covered.insert(round[i]);
      for (std::size_t j = i + 1; j < round.size(); ++j) {
        EXPECT_FALSE(adjacent(graph, round[i], round[j]))
            << "round holds neighbours " << round[i] << " and " << round[j];
      }
    }
  }
  std::multiset<int> batch_targets;
  for (const auto& component : batch.components)
    batch_targets.insert(component.begin(), component.end());
  EXPECT_EQ(covered, batch_targets);
}

// §9.2 #22: 16 sources on a 4×4 grid, 3 threads, batch size 4, 20 random seeds.
TEST(Cyclades, GridFourByFourReferenceTest) {
  const ConflictGraph graph = grid_graph(4, 4);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    CycladesOptions options;
    options.n_threads = 3;
    options.batch_size = 4;
    options.seed = seed;
    const CycladesPlan plan = plan_cyclades(graph, options);
    EXPECT_EQ(plan.batch_size, 4);
    ASSERT_EQ(plan.batches.size(), 4u);
    expect_valid_plan(graph, plan);
    // Every pass optimizes every source exactly once.
    for (int pass = 0; pass < 3; ++pass) {
      std::vector<int> optimized(16, 0);
      for (int b = 0; b < 4; ++b) {
        const auto rounds =
            batch_rounds(plan.batches[b], component_orders(plan.batches[b], seed, pass, b));
        expect_rounds_independent(graph, plan.batches[b], rounds);
        for (const auto& round : rounds) {
          for (int t : round) ++optimized[t];
        }
      }
      for (int t = 0; t < 16; ++t) EXPECT_EQ(optimized[t], 1) << "pass " << pass << " target " << t;
    }
  }
}

TEST(Cyclades, SameSeedSamePlanDifferentSeedDifferentPermutation) {
  const ConflictGraph graph = random_geometric_graph(300, 0.08, 7);
  CycladesOptions options;
  options.n_threads = 4;
  options.seed = 42;
  const CycladesPlan a = plan_cyclades(graph, options);
  const CycladesPlan b = plan_cyclades(graph, options);
  EXPECT_EQ(a.batch_size, b.batch_size);
  EXPECT_EQ(a.permutation, b.permutation);
  ASSERT_EQ(a.batches.size(), b.batches.size());
  for (std::size_t i = 0; i < a.batches.size(); ++i) {
    EXPECT_EQ(a.batches[i].components, b.batches[i].components);
  }
  EXPECT_EQ(a.imbalance_score, b.imbalance_score);

  std::set<std::vector<int>> permutations;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    permutations.insert(cyclades_permutation(300, seed, 17));
  }
  EXPECT_EQ(permutations.size(), 20u) << "different seeds must give different permutations";
  // The batch size is part of the permutation's seed (each auto candidate gets a fresh one).
  EXPECT_NE(cyclades_permutation(300, 5, 17), cyclades_permutation(300, 5, 18));
}

// Fisher–Yates with our bounded draw is uniform: 24,000 permutations of 4 elements hit each of
// the 24 orders 1000 ± 200 times (±6.5 standard deviations). A biased shuffle (e.g. drawing j
// from all n positions at every step) fails this by far.
TEST(Cyclades, PermutationIsUniform) {
  std::map<std::vector<int>, int> counts;
  for (std::uint64_t seed = 0; seed < 24000; ++seed) ++counts[cyclades_permutation(4, seed, 1)];
  ASSERT_EQ(counts.size(), 24u);
  for (const auto& [permutation, count] : counts) {
    EXPECT_GT(count, 800);
    EXPECT_LT(count, 1200);
  }
}

TEST(Cyclades, ImbalanceScoreByHand) {
  CycladesPlan plan;
  plan.batch_size = 4;
  plan.batches.resize(1);
  plan.batches[0].components = {{0}, {1}, {2}, {3}};
  const std::vector<double> costs{5, 3, 2, 2};
  // 5 → thread 0, 3 → thread 1, 2 → thread 1 (3 < 5), 2 → either (5, 5): loads (7, 5).
  // mean(max − load) = (0 + 2)/2.
  EXPECT_DOUBLE_EQ(cyclades_imbalance_score(plan, costs, 2), 1.0);
  // Unit costs, 3 threads: loads (2, 1, 1): (0 + 1 + 1)/3.
  EXPECT_DOUBLE_EQ(cyclades_imbalance_score(plan, {}, 3), 2.0 / 3.0);
  // Components cost the sum of their targets: {0, 1} = 8 and {2, 3} = 4 on 2 threads: 4/2.
  plan.batches[0].components = {{0, 1}, {2, 3}};
  EXPECT_DOUBLE_EQ(cyclades_imbalance_score(plan, costs, 2), 2.0);
  // Scores add over batches.
  plan.batches.push_back(CycladesBatch{{{0}, {1}}});
  EXPECT_DOUBLE_EQ(cyclades_imbalance_score(plan, costs, 2), 2.0 + 1.0);
}

// The automatic batch size is the best candidate, ties going to the larger one, and a fixed
// batch size reproduces the automatic plan exactly. Costs are what is balanced.
TEST(Cyclades, AutoBatchSizeMinimizesScoreWithCosts) {
  const ConflictGraph graph = grid_graph(12, 12);
  const int n = 144;
  std::mt19937_64 rng(3);
  std::vector<double> costs(n);
  for (double& c : costs) c = static_cast<double>(1 + rng() % 50);
  CycladesOptions options;
  options.n_threads = 3;
  options.seed = 11;
  options.target_costs = costs;
  const CycladesPlan chosen = plan_cyclades(graph, options);
  expect_valid_plan(graph, chosen);
  EXPECT_DOUBLE_EQ(chosen.imbalance_score, cyclades_imbalance_score(chosen, costs, 3));

  bool unit_costs_differ = false;
  for (int candidate = 1; candidate <= n + 1; ++candidate) {  // step = max(1, 144/100) = 1
    options.batch_size = candidate;
    const CycladesPlan fixed = plan_cyclades(graph, options);
    EXPECT_EQ(fixed.imbalance_score, cyclades_imbalance_score(fixed, costs, 3));
    if (candidate < chosen.batch_size) {
      EXPECT_GE(fixed.imbalance_score, chosen.imbalance_score) << "B = " << candidate;
    } else if (candidate > chosen.batch_size) {
      EXPECT_GT(fixed.imbalance_score, chosen.imbalance_score) << "B = " << candidate;
    } else {
      EXPECT_EQ(fixed.permutation, chosen.permutation);
      EXPECT_EQ(fixed.imbalance_score, chosen.imbalance_score);
      for (std::size_t b = 0; b < fixed.batches.size(); ++b) {
        EXPECT_EQ(fixed.batches[b].components, chosen.batches[b].components);
      }
    }
    if (cyclades_imbalance_score(fixed, {}, 3) != fixed.imbalance_score) unit_costs_differ = true;
  }
  EXPECT_TRUE(unit_costs_differ) << "the costs never changed a score: they are not used";
}

// Candidates are 1, 1+step, ... with step = ⌊n/100⌋ for n ≥ 200.
TEST(Cyclades, AutoBatchSizeUsesStepOfOnePercent) {
  const ConflictGraph graph = random_geometric_graph(1000, 0.02, 5);
  CycladesOptions options;
  options.n_threads = 4;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    options.seed = seed;
    const CycladesPlan plan = plan_cyclades(graph, options);
    EXPECT_EQ((plan.batch_size - 1) % 10, 0) << plan.batch_size;
    expect_valid_plan(graph, plan);
  }
}

// No conflicts: any batch is all singletons and one batch of everything is optimally balanced
// (Σ_b ⌈b_i/T⌉ ≥ ⌈n/T⌉), so the tie rule picks B = n + 1.
TEST(Cyclades, EmptyGraphGivesOneBatchOfSingletons) {
  for (int n : {1, 2, 16, 17, 250}) {
    SCOPED_TRACE(n);
    const ConflictGraph graph(n);
    CycladesOptions options;
    options.n_threads = 3;
    const CycladesPlan plan = plan_cyclades(graph, options);
    expect_valid_plan(graph, plan);
    EXPECT_GE(plan.batch_size, n);
    ASSERT_EQ(plan.batches.size(), 1u);
    EXPECT_EQ(static_cast<int>(plan.batches[0].components.size()), n);
    for (const auto& component : plan.batches[0].components) EXPECT_EQ(component.size(), 1u);
    const int per_thread = (n + 2) / 3;
    EXPECT_DOUBLE_EQ(plan.imbalance_score, (3.0 * per_thread - n) / 3.0);
    // One round holding every target.
    const auto rounds = batch_rounds(plan.batches[0], component_orders(plan.batches[0], 42, 0, 0));
    ASSERT_EQ(rounds.size(), 1u);
    EXPECT_EQ(static_cast<int>(rounds[0].size()), n);
  }
}

// On a connected grid, B = 1 (one target per batch) and B = n + 1 (one giant component) are
// both as unbalanced as possible: (T−1)/T per target. The automatic choice lies in between and
// is far better balanced.
TEST(Cyclades, AutoBatchSizeOnGridIsIntermediate) {
  const ConflictGraph graph = grid_graph(30, 30);
  const int n = 900;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CycladesOptions options;
    options.n_threads = 4;
    options.seed = seed;
    const CycladesPlan plan = plan_cyclades(graph, options);
    expect_valid_plan(graph, plan);
    const double worst = n * 3.0 / 4.0;
    options.batch_size = 1;
    EXPECT_DOUBLE_EQ(plan_cyclades(graph, options).imbalance_score, worst);
    options.batch_size = n + 1;
    EXPECT_DOUBLE_EQ(plan_cyclades(graph, options).imbalance_score, worst);
    EXPECT_GT(plan.batch_size, 1);
    EXPECT_LT(plan.batch_size, n);
    EXPECT_LT(plan.imbalance_score, 0.1 * worst) << "B = " << plan.batch_size;
  }
}

TEST(Cyclades, ComponentOrderIsDeterministicPermutationVaryingByPass) {
  std::vector<int> component(12);
  for (int i = 0; i < 12; ++i) component[i] = 100 + i;
  std::set<std::vector<int>> orders;
  for (int pass = 0; pass < 5; ++pass) {
    const auto order = component_order(component, 9, pass, 2, 3);
    EXPECT_EQ(order, component_order(component, 9, pass, 2, 3));
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, component);
    orders.insert(order);
  }
  EXPECT_EQ(orders.size(), 5u);
  // Every input of the stream matters.
  const auto base = component_order(component, 9, 0, 2, 3);
  EXPECT_NE(base, component_order(component, 10, 0, 2, 3));
  EXPECT_NE(base, component_order(component, 9, 0, 1, 3));
  EXPECT_NE(base, component_order(component, 9, 0, 2, 4));
}

TEST(Cyclades, RoundsTakeTheRthTargetOfEachComponent) {
  CycladesBatch batch;
  batch.components = {{4, 7, 1}, {2}, {9, 3}};
  const std::vector<std::vector<int>> orders{{1, 4, 7}, {2}, {3, 9}};
  const std::vector<std::vector<int>> expected{{1, 2, 3}, {4, 9}, {7}};
  EXPECT_EQ(batch_rounds(batch, orders), expected);
  EXPECT_THROW(batch_rounds(batch, {{1, 4, 7}, {2}}), std::invalid_argument);
  EXPECT_THROW(batch_rounds(batch, {{1, 4, 4}, {2}, {3, 9}}), std::invalid_argument);
  EXPECT_THROW(batch_rounds(batch, {{1, 4, 7}, {2}, {3, 8}}), std::invalid_argument);
}

// A stand-in for one target's optimization: the new value depends on the target's value and on
// its neighbours' current values, in an order-sensitive way.
double toy_update(const ConflictGraph& graph, const std::vector<double>& values, int t) {
  double pull = 0;
  for (int u : graph[t]) pull += std::sin(values[u] * (u + 1));
  return 0.5 * values[t] + pull + 0.01 * t;
}

// Rounds executed as fully parallel steps (every update of a round reads the state before the
// round) give bit-for-bit the result of optimizing the components one after another, each in
// its pass order: the serial equivalence Cyclades guarantees, here with no dependence on
// threads or timing at all.
TEST(Cyclades, RoundsReproduceSerialComponentOrder) {
  const ConflictGraph graph = random_geometric_graph(400, 0.06, 13);
  CycladesOptions options;
  options.n_threads = 8;
  options.seed = 77;
  const CycladesPlan plan = plan_cyclades(graph, options);
  expect_valid_plan(graph, plan);

  std::vector<double> serial(400), rounds(400), whole_batch_at_once(400);
  for (int t = 0; t < 400; ++t) serial[t] = rounds[t] = whole_batch_at_once[t] = 0.1 * t;
  for (int pass = 0; pass < 3; ++pass) {
    for (int b = 0; b < static_cast<int>(plan.batches.size()); ++b) {
      const auto orders = component_orders(plan.batches[b], options.seed, pass, b);
      for (const auto& order : orders) {
        for (int t : order) serial[t] = toy_update(graph, serial, t);
      }
      for (const auto& round : batch_rounds(plan.batches[b], orders)) {
        std::vector<double> updated;
        for (int t : round) updated.push_back(toy_update(graph, rounds, t));
        for (std::size_t i = 0; i < round.size(); ++i) rounds[round[i]] = updated[i];
      }
      // Control: updating a whole batch at once ignores conflicts inside the batch.
      std::vector<int> batch_targets;
      for (const auto& order : orders)
        batch_targets.insert(batch_targets.end(), order.begin(), order.end());
      std::vector<double> updated;
      for (int t : batch_targets) updated.push_back(toy_update(graph, whole_batch_at_once, t));
      for (std::size_t i = 0; i < batch_targets.size(); ++i)
        whole_batch_at_once[batch_targets[i]] = updated[i];
    }
  }
  EXPECT_EQ(serial, rounds);
  EXPECT_NE(serial, whole_batch_at_once) << "the control should see the conflicts";
  std::size_t max_component = 0;
  for (const auto& batch : plan.batches) {
    for (const auto& component : batch.components)
      max_component = std::max(max_component, component.size());
  }
  EXPECT_GT(max_component, 1u) << "graph too sparse for the test to mean anything";
}

TEST(Cyclades, LargeRegionPlansQuickly) {
  const ConflictGraph graph = random_geometric_graph(20000, 0.006, 21);
  CycladesOptions options;
  options.n_threads = 16;
  const CycladesPlan plan = plan_cyclades(graph, options);
  expect_valid_plan(graph, plan);
  EXPECT_GT(plan.batch_size, 1);
}

TEST(Cyclades, EmptyAndSingleTarget) {
  const CycladesPlan empty = plan_cyclades(ConflictGraph{}, CycladesOptions{});
  EXPECT_TRUE(empty.batches.empty());
  EXPECT_TRUE(empty.permutation.empty());
  const CycladesPlan one = plan_cyclades(ConflictGraph(1), CycladesOptions{});
  ASSERT_EQ(one.batches.size(), 1u);
  EXPECT_EQ(one.batches[0].components, (std::vector<std::vector<int>>{{0}}));
}

TEST(Cyclades, RejectsInvalidInput) {
  CycladesOptions options;
  EXPECT_THROW(plan_cyclades({{1}, {}}, options), std::invalid_argument);  // asymmetric
  EXPECT_THROW(plan_cyclades({{0}}, options), std::invalid_argument);      // self edge
  EXPECT_THROW(plan_cyclades({{2}, {}}, options), std::invalid_argument);  // out of range
  options.target_costs = {1.0};
  EXPECT_THROW(plan_cyclades({{1}, {0}}, options), std::invalid_argument);  // cost count
  options.target_costs = {1.0, -2.0};
  EXPECT_THROW(plan_cyclades({{1}, {0}}, options), std::invalid_argument);  // negative cost
  options.target_costs.clear();
  options.n_threads = 0;
  EXPECT_THROW(plan_cyclades({{1}, {0}}, options), std::invalid_argument);
  options.n_threads = 1;
  options.batch_size = -1;
  EXPECT_THROW(plan_cyclades({{1}, {0}}, options), std::invalid_argument);
}

// Independent rounds (type-evidence decisions): every target once, no two neighbours in a
// round, at most max degree + 1 rounds; a 4×4 grid (bipartite) takes exactly 2, a triangle 3.
TEST(Cyclades, IndependentRoundsAreIndependentSetsCoveringEveryTarget) {
  for (const auto& [graph, expected_rounds] :
       {std::pair{grid_graph(4, 4), 2}, std::pair{ConflictGraph{{1, 2}, {0, 2}, {0, 1}}, 3},
        std::pair{ConflictGraph{{}, {}, {}}, 1}}) {
    const auto rounds = independent_rounds(graph);
    EXPECT_EQ(static_cast<int>(rounds.size()), expected_rounds);
    std::vector<int> seen(graph.size(), 0);
    for (const auto& round : rounds)
      for (std::size_t i = 0; i < round.size(); ++i) {
        ++seen[round[i]];
        for (std::size_t j = i + 1; j < round.size(); ++j)
          EXPECT_FALSE(adjacent(graph, round[i], round[j]))
              << "round holds neighbours " << round[i] << " and " << round[j];
      }
    for (std::size_t t = 0; t < graph.size(); ++t) EXPECT_EQ(seen[t], 1) << "target " << t;
  }
}

}  // namespace
}  // namespace celeste::inference
