#include "scheduling/dtree.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>

namespace celeste::scheduling {

namespace {

void check_tree(int rank, int ranks, int fanout) {
  if (ranks < 1) throw std::invalid_argument("dtree: ranks must be >= 1");
  if (fanout < 1) throw std::invalid_argument("dtree: fanout must be >= 1");
  if (rank < 0 || rank >= ranks)
    throw std::invalid_argument("dtree: rank " + std::to_string(rank) + " outside 0.." +
                                std::to_string(ranks - 1));
}

std::string describe(const SchedulerMessage& m) {
  return "message kind " + std::to_string(static_cast<int>(m.kind)) + " from rank " +
         std::to_string(m.from) + " to rank " + std::to_string(m.to) + " (stage " +
         std::to_string(m.stage) + ")";
}

}  // namespace

int dtree_parent(int rank, int fanout) { return rank == 0 ? -1 : (rank - 1) / fanout; }

std::vector<int> dtree_children(int rank, int ranks, int fanout) {
  check_tree(rank, ranks, fanout);
  std::vector<int> children;
  // 64-bit: F*r+F overflows int for large fan-outs.
  const long long first = static_cast<long long>(fanout) * rank + 1;
  for (long long c = first; c < first + fanout && c < ranks; ++c)
    children.push_back(static_cast<int>(c));
  return children;
}

int dtree_subtree_ranks(int rank, int ranks, int fanout) {
  check_tree(rank, ranks, fanout);
  // The subtree's ranks at each depth form a contiguous range [lo, hi].
  long long lo = rank, hi = rank, total = 0;
  while (lo < ranks) {
    total += std::min<long long>(hi, ranks - 1) - lo + 1;
    lo = lo * fanout + 1;
    hi = hi * fanout + fanout;
  }
  return static_cast<int>(total);
}

DtreeRank::DtreeRank(int rank, int ranks, int fanout, std::vector<Task> root_tasks,
                     DtreeOptions options)
    : rank_(rank), ranks_(ranks), fanout_(fanout), options_(options) {
  check_tree(rank, ranks, fanout);
  if (!(options_.chunk_divisor >= 1) || !std::isfinite(options_.chunk_divisor))
    throw std::invalid_argument("dtree: chunk_divisor must be a finite number >= 1");
  parent_ = dtree_parent(rank, fanout);
  children_ = dtree_children(rank, ranks, fanout);
  for (int c : children_) child_subtree_ranks_.push_back(dtree_subtree_ranks(c, ranks, fanout));
  subtree_ranks_ = dtree_subtree_ranks(rank, ranks, fanout);
  sent_to_child_.assign(children_.size(), 0);
  child_done_.assign(children_.size(), false);

  if (rank_ == 0) {
    std::unordered_set<int> ids;
    for (const Task& t : root_tasks) {
      if (!ids.insert(t.id).second)
        throw std::invalid_argument("dtree: task id " + std::to_string(t.id) + " appears twice");
      if (!std::isfinite(t.cost) || t.cost < 0)
        throw std::invalid_argument("dtree: task " + std::to_string(t.id) +
                                    " has a cost that is not finite and >= 0");
    }
    // Largest first; equal costs by id, so the order does not depend on the input order.
    std::sort(root_tasks.begin(), root_tasks.end(), [](const Task& a, const Task& b) {
      return a.cost != b.cost ? a.cost > b.cost : a.id < b.id;
    });
    for (const Task& t : root_tasks) queued_cost_ += t.cost;
    queue_.assign(root_tasks.begin(), root_tasks.end());
    counters_.tasks_received = static_cast<std::int64_t>(queue_.size());
    no_more_work_ = true;  // the root's list is the whole stage
    expected_from_parent_ = counters_.tasks_received;
  }
  advance();
}

bool DtreeRank::upstream_exhausted() const {
  return no_more_work_ && counters_.tasks_received == expected_from_parent_;
}

int DtreeRank::child_index(int rank) const {
  const long long first_child = static_cast<long long>(fanout_) * rank_ + 1;
  const long long index = static_cast<long long>(rank) - first_child;
  if (index < 0 || index >= static_cast<long long>(children_.size())) return -1;
  return static_cast<int>(index);
}

void DtreeRank::send(SchedulerMessage message) {
  message.from = rank_;
  message.stage = options_.stage;
  ++counters_.messages_sent;
  outbox_.push_back(std::move(message));
}

std::vector<SchedulerMessage> DtreeRank::take_outbox() {
  std::vector<SchedulerMessage> out;
  out.swap(outbox_);
  return out;
}

// The chunk rule, for a child whose subtree has s_c of this subtree's S ranks: the front tasks
// whose cost adds up to at most cost(queue) * s_c / (k * S), and at least ceil(s_c / k) tasks
// (all that is queued if fewer). The child's subtree gets 1/k of its ranks' proportional share of
// what this rank holds, so early chunks are large (few messages) and late ones small (balanced
// end); cost, not task count, so one expensive task is not handed out with many others. The
// minimum of 1/k task per rank of the subtree keeps a large subtree from asking for one task at
// a time at the end of a stage, when every request waits for its parent's next poll (a parent
// answers each child at most once per poll). docs/scheduling.md, "Tree and queues".
std::size_t DtreeRank::chunk_size_for(int child) const {
  const int subtree = child_subtree_ranks_[child_index(child)];
  const double share = queued_cost_ * subtree / (options_.chunk_divisor * subtree_ranks_);
  const std::size_t at_least = std::min(
      queue_.size(), static_cast<std::size_t>(std::ceil(subtree / options_.chunk_divisor)));
  std::size_t n = 0;
  double taken = 0;
  while (n < queue_.size() && (n < at_least || taken + queue_[n].cost <= share))
    taken += queue_[n++].cost;
  return std::max<std::size_t>(n, 1);
}

void DtreeRank::serve_child(int child) {
  const std::size_t n = chunk_size_for(child);
  SchedulerMessage m;
  m.to = child;
  m.kind = SchedulerMessage::kTasks;
  m.tasks.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  for (const Task& t : m.tasks) queued_cost_ -= t.cost;
  if (queue_.empty()) queued_cost_ = 0;  // no rounding residue
  sent_to_child_[child_index(child)] += static_cast<std::int64_t>(n);
  counters_.tasks_sent += static_cast<std::int64_t>(n);
  ++counters_.chunks_sent;
  send(std::move(m));
}

void DtreeRank::advance() {
  if (stage_over_) return;
  // 1. Answer waiting children: a chunk while the queue has tasks, "no more work" once nothing
  //    can come from upstream; otherwise they wait for the refill.
  while (!waiting_children_.empty()) {
    const int child = waiting_children_.front();
    if (!queue_.empty()) {
      serve_child(child);
    } else if (upstream_exhausted()) {
      SchedulerMessage m;
      m.to = child;
      m.kind = SchedulerMessage::kNoMoreWork;
      m.count = sent_to_child_[child_index(child)];
      send(std::move(m));
    } else {
      break;
    }
    waiting_children_.pop_front();
  }
  // 2. Refill on demand only: the queue is empty and this rank's worker or a child wants a task.
  //    Refilling ahead (below a threshold) commits work to a subtree before it is needed; at
  //    the end of a stage that work waits there while other subtrees are idle
  //    (docs/scheduling.md, "Tree and queues").
  if (parent_ >= 0 && !no_more_work_ && !request_outstanding_ && queue_.empty() &&
      (wants_work_ || !waiting_children_.empty())) {
    SchedulerMessage m;
    m.to = parent_;
    m.kind = SchedulerMessage::kRequest;
    request_outstanding_ = true;
    ++counters_.requests_sent;
    send(std::move(m));
  }
  // 3. Termination: this subtree is done when nothing more can come, nothing is queued or
  //    running here, and every child's subtree is done.
  const bool subtree_done =
      upstream_exhausted() && queue_.empty() && running_.empty() &&
      std::all_of(child_done_.begin(), child_done_.end(), [](bool d) { return d; });
  if (!subtree_done || done_reported_) return;
  done_reported_ = true;
  if (parent_ >= 0) {
    SchedulerMessage m;
    m.to = parent_;
    m.kind = SchedulerMessage::kSubtreeDone;
    m.count = subtree_finished_;
    send(std::move(m));
    return;
  }
  // The root: every task finished somewhere, exactly once (the counts add up), so the stage is
  // over everywhere; tell the tree.
  if (subtree_finished_ != expected_from_parent_)
    throw std::logic_error("dtree: the subtrees report " + std::to_string(subtree_finished_) +
                           " finished tasks of " + std::to_string(expected_from_parent_));
  stage_over_ = true;
  for (int c : children_) {
    SchedulerMessage m;
    m.to = c;
    m.kind = SchedulerMessage::kStageOver;
    send(std::move(m));
  }
}

void DtreeRank::receive(const SchedulerMessage& m) {
  if (m.to != rank_) throw std::logic_error("dtree: rank " + std::to_string(rank_) +
                                            " received " + describe(m));
  if (m.stage != options_.stage)
    throw std::logic_error("dtree: rank " + std::to_string(rank_) + " in stage " +
                           std::to_string(options_.stage) + " received " + describe(m));
  const bool from_parent = parent_ >= 0 && m.from == parent_;
  const int child = child_index(m.from);
  const auto bad = [&](const char* why) {
    throw std::logic_error("dtree: rank " + std::to_string(rank_) + " received " + describe(m) +
                           ": " + why);
  };
  if (!from_parent && child < 0) bad("the sender is neither its parent nor a child");
  if (stage_over_) bad("the stage is over");
  ++counters_.messages_received;

  switch (m.kind) {
    case SchedulerMessage::kRequest:
      if (child < 0) bad("requests come from children");
      if (child_done_[child] ||
          std::find(waiting_children_.begin(), waiting_children_.end(), m.from) !=
              waiting_children_.end())
        bad("the child already has a request waiting or reported done");
      waiting_children_.push_back(m.from);
      break;
    case SchedulerMessage::kTasks:
      if (!from_parent) bad("tasks come from the parent");
      if (m.tasks.empty()) bad("a chunk is never empty");
      if (no_more_work_ && counters_.tasks_received + static_cast<std::int64_t>(m.tasks.size()) >
                               expected_from_parent_)
        bad("more tasks than the parent said it sent");
      for (const Task& t : m.tasks) {
        queue_.push_back(t);
        queued_cost_ += t.cost;
      }
      counters_.tasks_received += static_cast<std::int64_t>(m.tasks.size());
      request_outstanding_ = false;
      break;
    case SchedulerMessage::kNoMoreWork:
      if (!from_parent) bad("\"no more work\" comes from the parent");
      if (no_more_work_ || m.count < counters_.tasks_received) bad("inconsistent \"no more work\"");
      no_more_work_ = true;
      expected_from_parent_ = m.count;
      request_outstanding_ = false;
      break;
    case SchedulerMessage::kSubtreeDone:
      if (child < 0) bad("\"subtree done\" comes from a child");
      if (child_done_[child]) bad("the child already reported done");
      if (m.count != sent_to_child_[child]) bad("its subtree did not run what it was sent");
      child_done_[child] = true;
      subtree_finished_ += m.count;
      break;
    case SchedulerMessage::kStageOver:
      if (!from_parent) bad("\"stage over\" comes from the parent");
      if (!done_reported_) bad("the stage cannot be over before this subtree is done");
      stage_over_ = true;
      for (int c : children_) {
        SchedulerMessage over;
        over.to = c;
        over.kind = SchedulerMessage::kStageOver;
        send(std::move(over));
      }
      return;
    default:
      bad("unknown kind");
  }
  advance();
}

std::optional<Task> DtreeRank::next_task() {
  wants_work_ = queue_.empty();
  if (wants_work_) {
    advance();
    return std::nullopt;
  }
  const Task t = queue_.front();
  queue_.pop_front();
  queued_cost_ = queue_.empty() ? 0 : queued_cost_ - t.cost;
  running_.push_back(t.id);
  ++counters_.tasks_started;
  advance();
  return t;
}

void DtreeRank::task_finished(int task_id) {
  const auto it = std::find(running_.begin(), running_.end(), task_id);
  if (it == running_.end())
    throw std::logic_error("dtree: rank " + std::to_string(rank_) + ": task " +
                           std::to_string(task_id) + " finished but was not running here");
  running_.erase(it);
  ++counters_.tasks_finished;
  ++subtree_finished_;
  advance();
}

}  // namespace celeste::scheduling
