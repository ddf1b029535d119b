#pragma once
// Cyclades partitioning of one region's targets (model.md §7.3; docs/scheduling.md).
//
// The targets are visited in one seeded random permutation cut into consecutive batches; inside
// a batch, the connected components of the conflict graph induced on the batch are independent
// subproblems: no two sources of different components are neighbours, so components can be
// optimized concurrently and the result equals a serial order of updates.
//
// Everything here is pure host code and deterministic: a plan depends only on the graph, the
// seed, the costs, the batch size and (for the automatic batch size only) the thread count.
// Random numbers come from std::mt19937_64 (its output sequence is fixed by the C++ standard)
// through our own bounded-integer draw and Fisher–Yates loop, because std::shuffle and
// std::uniform_int_distribution are implementation-defined and would make plans differ between
// standard libraries.
#include <cstdint>
#include <vector>

namespace celeste::inference {

// Symmetric adjacency lists over targets 0..n-1: graph[t] lists the targets whose problems
// conflict with t's (model.md §7.2 neighbour relation restricted to targets). No self edges.
using ConflictGraph = std::vector<std::vector<int>>;

struct CycladesBatch {
  // Connected components of the conflict graph induced on this batch's targets. Components are
  // listed in the order of their first target in the permutation, and each component's targets
  // in permutation order, so the listing is a function of (graph, permutation, batch size).
  std::vector<std::vector<int>> components;
};

struct CycladesPlan {
  int batch_size = 0;             // B; batches are permutation[b·B, (b+1)·B)
  std::vector<int> permutation;   // π: every target exactly once, in visiting order
  std::vector<CycladesBatch> batches;
  // Σ over batches of mean_k(max load − load_k) for the plan's thread count, components'
  // costs handed in enumeration order to the least-loaded thread (§7.3). Lower is better.
  double imbalance_score = 0;
};

struct CycladesOptions {
  int n_threads = 1;        // T: threads (or teams) sharing a batch; used by the automatic B only
  std::uint64_t seed = 42;  // §7.4: Celeste.jl seeds joint inference with srand(42)
  // cost(t) per target (§7.3: active pixels of t's local problem). Empty: every target costs 1.
  // Integer-valued costs below 2^53 make scores, and hence tie-breaks, exact.
  std::vector<double> target_costs;
  // Fixed batch size B ≥ 1; 0 selects it automatically
  // (partition_cyclades_dynamic_auto_batchsize): candidates B = 1, 1+step, ... ≤ n+1 with
  // step = max(1, ⌊n/100⌋), each with its own permutation; the lowest imbalance score wins,
  // ties going to the larger B.
  int batch_size = 0;
};

// The plan for graph.size() targets. With options.batch_size = B > 0 the result is identical
// to the automatic plan's when the automatic selection picks B (the permutation for batch size
// B is drawn from (seed, B) alone). Throws std::invalid_argument on an asymmetric graph, an
// out-of-range or self edge, a cost vector of the wrong size or with a negative/non-finite
// entry, n_threads < 1 or batch_size < 0.
CycladesPlan plan_cyclades(const ConflictGraph& graph, const CycladesOptions& options);

// The uniformly random permutation of 0..n-1 used for batch size `batch_size` under `seed`.
std::vector<int> cyclades_permutation(int n, std::uint64_t seed, int batch_size);

// Batches and components for a given permutation (no randomness); imbalance_score is left 0.
// Exposed so callers and tests can build plans from a chosen order. Assumes a valid graph.
CycladesPlan cyclades_plan_for_permutation(const ConflictGraph& graph,
                                           const std::vector<int>& permutation, int batch_size);

// §7.3 score of a plan: Σ_batches mean_k(max load − load_k) over n_threads loads, each batch's
// components (cost = Σ target_costs of its targets; empty costs: 1 per target) assigned in
// listing order to the currently least-loaded thread.
double cyclades_imbalance_score(const CycladesPlan& plan, const std::vector<double>& target_costs,
                                int n_threads);

// Within-component order for one pass (Celeste.jl's within_batch_shuffling): a permutation of
// `component` drawn from (seed, pass, batch_index, component_index) only, so it does not depend
// on which thread takes the component or when.
std::vector<int> component_order(const std::vector<int>& component, std::uint64_t seed, int pass,
                                 int batch_index, int component_index);

// component_order for every component of a batch, in the batch's component order.
std::vector<std::vector<int>> component_orders(const CycladesBatch& batch, std::uint64_t seed,
                                               int pass, int batch_index);

// Rounds of a batch: round r lists the r-th target (in `orders`) of every component with more
// than r targets, in component order. Targets of one round belong to different components and
// so are pairwise non-adjacent: a round can be optimized fully in parallel, and running the
// rounds in sequence gives exactly the result of optimizing the components one after another
// (docs/scheduling.md). `orders` must hold one permutation of each component of `batch`
// (e.g. component_orders(...)); throws std::invalid_argument otherwise.
std::vector<std::vector<int>> batch_rounds(const CycladesBatch& batch,
                                           const std::vector<std::vector<int>>& orders);

// A partition of targets 0..n-1 into independent sets (no two members neighbours), by greedy
// colouring in index order: target t takes the smallest colour none of its lower-index
// neighbours has. Round c lists colour c's targets in index order; there are at most
// max degree + 1 rounds. Unlike batch_rounds it does not reproduce any serial order: it is for
// updates that read only their neighbours' state (the type-evidence decisions), where a few
// large rounds run more in parallel than Cyclades' many small ones. Assumes a valid graph.
std::vector<std::vector<int>> independent_rounds(const ConflictGraph& graph);

}  // namespace celeste::inference
