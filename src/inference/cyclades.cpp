#include "inference/cyclades.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace celeste::inference {

namespace {

// Distinct tags keep the permutation stream and the shuffle streams independent even when
// their numeric arguments coincide.
constexpr std::uint64_t kPermutationTag = 0x5065726d75746174ULL;  // "Permutat"
constexpr std::uint64_t kOrderTag = 0x4f72646572536875ULL;        // "OrderShu"

// SplitMix64 finalizer: a bijective, well-mixing hash, so nearby inputs (pass 0, 1, 2, ...)
// give unrelated mt19937_64 seeds.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t mix_seed(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = 0;
  for (std::uint64_t part : parts) h = splitmix64(h ^ splitmix64(part));
  return h;
}

// Uniform integer in [0, range), range ≥ 1, by rejection: values below 2^64 mod range are
// redrawn so every residue is equally likely. Portable, unlike uniform_int_distribution.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t range) {
  const std::uint64_t threshold = (0 - range) % range;  // 2^64 mod range
  for (;;) {
    const std::uint64_t x = rng();
    if (x >= threshold) return x % range;
  }
}

template <typename T>
void fisher_yates(std::vector<T>& values, std::mt19937_64& rng) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(uniform_below(rng, i));
    std::swap(values[i - 1], values[j]);
  }
}

void validate_graph(const ConflictGraph& graph) {
  const int n = static_cast<int>(graph.size());
  std::vector<std::pair<int, int>> edges;
  for (int u = 0; u < n; ++u) {
    for (int v : graph[u]) {
      if (v < 0 || v >= n) {
        throw std::invalid_argument("Cyclades: conflict graph edge " + std::to_string(u) + " -> " +
                                    std::to_string(v) + " is out of range [0, " +
                                    std::to_string(n) + ")");
      }
      if (v == u) {
        throw std::invalid_argument("Cyclades: conflict graph has a self edge at target " +
                                    std::to_string(u));
      }
      edges.emplace_back(u, v);
    }
  }
  std::sort(edges.begin(), edges.end());
  for (const auto& [u, v] : edges) {
    if (!std::binary_search(edges.begin(), edges.end(), std::make_pair(v, u))) {
      throw std::invalid_argument("Cyclades: conflict graph is not symmetric: edge " +
                                  std::to_string(u) + " -> " + std::to_string(v) +
                                  " has no reverse edge");
    }
  }
}

void validate_costs(const std::vector<double>& costs, int n) {
  if (costs.empty()) return;
  if (static_cast<int>(costs.size()) != n) {
    throw std::invalid_argument("Cyclades: " + std::to_string(costs.size()) +
                                " target costs for " + std::to_string(n) + " targets");
  }
  for (std::size_t t = 0; t < costs.size(); ++t) {
    if (!std::isfinite(costs[t]) || costs[t] < 0) {
      throw std::invalid_argument("Cyclades: cost of target " + std::to_string(t) +
                                  " is negative or not finite");
    }
  }
}

// Connected-component labels of every permutation position, local to its batch and numbered
// in order of first appearance. Buffers are kept between calls: the automatic batch-size search
// labels ~100 candidate partitions of the same targets.
class ComponentLabeler {
 public:
  explicit ComponentLabeler(const ConflictGraph& graph)
      : graph_(graph),
        position_(graph.size()),
        parent_(graph.size()),
        root_label_(graph.size(), -1),
        label_(graph.size()) {}

  // After the call, label(i) is the component of permutation[i] within its batch and
  // n_components(b) the number of components of batch b.
  void label(const std::vector<int>& permutation, int batch_size) {
    const int n = static_cast<int>(permutation.size());
    for (int i = 0; i < n; ++i) position_[permutation[i]] = i;
    components_per_batch_.clear();
    for (int start = 0; start < n; start += batch_size) {
      const int end = std::min(n, start + batch_size);
      for (int i = start; i < end; ++i) parent_[i] = i;
      for (int i = start; i < end; ++i) {
        for (int neighbor : graph_[permutation[i]]) {
          const int j = position_[neighbor];
          if (j >= start && j < end) unite(i, j);
        }
      }
      int next_label = 0;
      for (int i = start; i < end; ++i) {
        const int root = find(i);
        if (root_label_[root] < 0) root_label_[root] = next_label++;
        label_[i] = root_label_[root];
      }
      for (int i = start; i < end; ++i) root_label_[i] = -1;
      components_per_batch_.push_back(next_label);
    }
  }

  int label_at(int position) const { return label_[position]; }
  int n_batches() const { return static_cast<int>(components_per_batch_.size()); }
  int n_components(int batch) const { return components_per_batch_[batch]; }

 private:
  int find(int i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];  // path halving
      i = parent_[i];
    }
    return i;
  }
  // Linking the larger position under the smaller keeps trees shallow enough with path
  // halving; which root survives does not matter, labels follow first appearance.
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (a < b) std::swap(a, b);
    parent_[a] = b;
  }

  const ConflictGraph& graph_;
  std::vector<int> position_;
  std::vector<int> parent_;
  std::vector<int> root_label_;
  std::vector<int> label_;
  std::vector<int> components_per_batch_;
};

// T·max_k load_k − Σ_k load_k for one batch's component costs handed, in order, to the
// least-loaded of n_threads threads. Which of several equally loaded threads receives a
// component does not change the multiset of loads, so no tie rule is needed.
double batch_imbalance_times_threads(const std::vector<double>& component_costs, int n_threads) {
  std::priority_queue<double, std::vector<double>, std::greater<double>> loads;
  for (int k = 0; k < n_threads; ++k) loads.push(0.0);
  double max_load = 0;
  double total = 0;
  for (double cost : component_costs) {
    const double load = loads.top() + cost;
    loads.pop();
    loads.push(load);
    max_load = std::max(max_load, load);
    total += cost;
  }
  return n_threads * max_load - total;
}

// Score of the labelled partition; the numerator is summed before the single division by T so
// that integer costs give exactly equal scores for equally balanced partitions.
double labelled_imbalance_score(const ComponentLabeler& labeler,
                                const std::vector<int>& permutation, int batch_size,
                                const std::vector<double>& target_costs, int n_threads,
                                std::vector<double>& component_costs) {
  const int n = static_cast<int>(permutation.size());
  double numerator = 0;
  for (int b = 0; b < labeler.n_batches(); ++b) {
    const int start = b * batch_size;
    const int end = std::min(n, start + batch_size);
    component_costs.assign(labeler.n_components(b), 0.0);
    for (int i = start; i < end; ++i) {
      component_costs[labeler.label_at(i)] +=
          target_costs.empty() ? 1.0 : target_costs[permutation[i]];
    }
    numerator += batch_imbalance_times_threads(component_costs, n_threads);
  }
  return numerator / n_threads;
}

CycladesPlan plan_from_labels(const ComponentLabeler& labeler, const std::vector<int>& permutation,
                              int batch_size) {
  const int n = static_cast<int>(permutation.size());
  CycladesPlan plan;
  plan.batch_size = batch_size;
  plan.permutation = permutation;
  plan.batches.resize(labeler.n_batches());
  for (int b = 0; b < labeler.n_batches(); ++b) {
    auto& components = plan.batches[b].components;
    components.resize(labeler.n_components(b));
    const int end = std::min(n, (b + 1) * batch_size);
    for (int i = b * batch_size; i < end; ++i) {
      components[labeler.label_at(i)].push_back(permutation[i]);
    }
  }
  return plan;
}

}  // namespace

std::vector<int> cyclades_permutation(int n, std::uint64_t seed, int batch_size) {
  if (n < 0) throw std::invalid_argument("Cyclades: negative number of targets");
  std::vector<int> permutation(n);
  for (int i = 0; i < n; ++i) permutation[i] = i;
  std::mt19937_64 rng(mix_seed({kPermutationTag, seed, static_cast<std::uint64_t>(batch_size)}));
  fisher_yates(permutation, rng);
  return permutation;
}

CycladesPlan cyclades_plan_for_permutation(const ConflictGraph& graph,
                                           const std::vector<int>& permutation, int batch_size) {
  if (batch_size < 1) throw std::invalid_argument("Cyclades: batch size must be at least 1");
  if (permutation.size() != graph.size()) {
    throw std::invalid_argument("Cyclades: permutation length differs from the number of targets");
  }
  ComponentLabeler labeler(graph);
  labeler.label(permutation, batch_size);
  return plan_from_labels(labeler, permutation, batch_size);
}

double cyclades_imbalance_score(const CycladesPlan& plan, const std::vector<double>& target_costs,
                                int n_threads) {
  if (n_threads < 1) throw std::invalid_argument("Cyclades: n_threads must be at least 1");
  double numerator = 0;
  std::vector<double> component_costs;
  for (const CycladesBatch& batch : plan.batches) {
    component_costs.clear();
    for (const auto& component : batch.components) {
      double cost = 0;
      for (int t : component) cost += target_costs.empty() ? 1.0 : target_costs.at(t);
      component_costs.push_back(cost);
    }
    numerator += batch_imbalance_times_threads(component_costs, n_threads);
  }
  return numerator / n_threads;
}

CycladesPlan plan_cyclades(const ConflictGraph& graph, const CycladesOptions& options) {
  const int n = static_cast<int>(graph.size());
  if (options.n_threads < 1) throw std::invalid_argument("Cyclades: n_threads must be at least 1");
  if (options.batch_size < 0) throw std::invalid_argument("Cyclades: negative batch size");
  validate_graph(graph);
  validate_costs(options.target_costs, n);

  ComponentLabeler labeler(graph);
  std::vector<double> component_costs;
  auto score_of = [&](const std::vector<int>& permutation, int batch_size) {
    labeler.label(permutation, batch_size);
    return labelled_imbalance_score(labeler, permutation, batch_size, options.target_costs,
                                    options.n_threads, component_costs);
  };

  int batch_size = options.batch_size;
  if (batch_size == 0) {
    const int step = std::max(1, n / 100);
    double best_score = std::numeric_limits<double>::infinity();
    for (int candidate = 1; candidate <= n + 1; candidate += step) {
      const double score = score_of(cyclades_permutation(n, options.seed, candidate), candidate);
      if (score <= best_score) {  // "<=": ties go to the later, larger batch size
        best_score = score;
        batch_size = candidate;
      }
    }
  }

  const std::vector<int> permutation = cyclades_permutation(n, options.seed, batch_size);
  const double score = score_of(permutation, batch_size);
  CycladesPlan plan = plan_from_labels(labeler, permutation, batch_size);
  plan.imbalance_score = score;
  return plan;
}

std::vector<int> component_order(const std::vector<int>& component, std::uint64_t seed, int pass,
                                 int batch_index, int component_index) {
  std::vector<int> order = component;
  std::mt19937_64 rng(mix_seed({kOrderTag, seed, static_cast<std::uint64_t>(pass),
                                static_cast<std::uint64_t>(batch_index),
                                static_cast<std::uint64_t>(component_index)}));
  fisher_yates(order, rng);
  return order;
}

std::vector<std::vector<int>> component_orders(const CycladesBatch& batch, std::uint64_t seed,
                                               int pass, int batch_index) {
  std::vector<std::vector<int>> orders;
  orders.reserve(batch.components.size());
  for (std::size_t c = 0; c < batch.components.size(); ++c) {
    orders.push_back(
        component_order(batch.components[c], seed, pass, batch_index, static_cast<int>(c)));
  }
  return orders;
}

std::vector<std::vector<int>> batch_rounds(const CycladesBatch& batch,
                                           const std::vector<std::vector<int>>& orders) {
  if (orders.size() != batch.components.size()) {
    throw std::invalid_argument("batch_rounds: " + std::to_string(orders.size()) +
                                " orders for " + std::to_string(batch.components.size()) +
                                " components");
  }
  std::size_t n_rounds = 0;
  for (std::size_t c = 0; c < orders.size(); ++c) {
    std::vector<int> expected = batch.components[c];
    std::vector<int> given = orders[c];
    std::sort(expected.begin(), expected.end());
    std::sort(given.begin(), given.end());
    if (expected != given) {
      throw std::invalid_argument("batch_rounds: order " + std::to_string(c) +
                                  " is not a permutation of component " + std::to_string(c));
    }
    n_rounds = std::max(n_rounds, orders[c].size());
  }
  std::vector<std::vector<int>> rounds(n_rounds);
  for (std::size_t r = 0; r < n_rounds; ++r) {
    for (const auto& order : orders) {
      if (order.size() > r) rounds[r].push_back(order[r]);
    }
  }
  return rounds;
}

std::vector<std::vector<int>> independent_rounds(const ConflictGraph& graph) {
  const int n = static_cast<int>(graph.size());
  std::vector<int> colour(n, -1);
  std::vector<std::vector<int>> rounds;
  std::vector<char> taken;
  for (int t = 0; t < n; ++t) {
    taken.assign(graph[t].size() + 1, 0);
    for (int nb : graph[t])
      if (colour[nb] >= 0 && colour[nb] < static_cast<int>(taken.size())) taken[colour[nb]] = 1;
    int c = 0;
    while (taken[c]) ++c;
    colour[t] = c;
    if (c == static_cast<int>(rounds.size())) rounds.emplace_back();
    rounds[c].push_back(t);
  }
  return rounds;
}

}  // namespace celeste::inference
