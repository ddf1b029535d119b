#pragma once
// Dynamic tree scheduler (Dtree's design, written here): one DtreeRank per rank and stage, a
// message-driven state machine that knows nothing about the transport. The driver (MPI, or the
// discrete-event simulator in schedule_sim.hpp) delivers messages with receive(), asks for
// work with next_task(), reports task_finished(), and sends what take_outbox() returns.
// There are no threads and no blocking inside: poll it between chunks of fitting work.
//
// Design, chunk rule and termination: docs/scheduling.md, "Dynamic tree scheduler".
//   - Ranks form a tree with fan-out F: children(r) = F*r+1 .. F*r+F, parent (r-1)/F.
//   - Rank 0 owns the stage's tasks, sorted by cost, largest first. Every rank keeps a queue,
//     fits tasks from its front, and serves its children's requests from it.
//   - A rank asks its parent for work when its queue is empty and its own worker (next_task()
//     found nothing) or a child wants a task; a parent hands a child the front tasks worth
//     cost(queue) * s_child / (k * s_self), at least ceil(s_child / k) of them, where s is the
//     number of ranks in a subtree: chunks shrink as the queue drains.
//   - Termination: a rank reports kSubtreeDone once its parent said kNoMoreWork, its queue is
//     empty, its tasks have finished and all its children reported; the root then sends
//     kStageOver down the tree.
// Transport requirements: every message is delivered, exactly once; order does not matter (
// between two ranks at most one message is in flight each way: a child sends its next request
// only after the answer to the last one, and kSubtreeDone and kStageOver close the exchange).
// Between stages: once receive() makes stage_over() true, start the next stage's DtreeRank
// before delivering the next message (a child's request for stage s+1 can follow at once).
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "scheduling/scheduler_message.hpp"

namespace celeste::scheduling {

// The tree: parent (-1 for rank 0), children, and the number of ranks in a rank's subtree
// (itself included). fanout >= 1 (1 is a chain; >= ranks is a star).
int dtree_parent(int rank, int fanout);
std::vector<int> dtree_children(int rank, int ranks, int fanout);
int dtree_subtree_ranks(int rank, int ranks, int fanout);

struct DtreeOptions {
  int stage = 1;              // stamped on messages and checked on receipt
  double chunk_divisor = 2;   // k in the chunk rule (>= 1); 2 is "factoring"
};

// Per rank and stage.
struct DtreeCounters {
  std::int64_t messages_sent = 0, messages_received = 0;
  std::int64_t requests_sent = 0;     // kRequest to the parent
  std::int64_t chunks_sent = 0;       // kTasks to children
  std::int64_t tasks_received = 0;    // from the parent (the root's list counts as received)
  std::int64_t tasks_sent = 0;        // to children
  std::int64_t tasks_started = 0;     // handed out by next_task()
  std::int64_t tasks_finished = 0;    // task_finished() calls on this rank
};

class DtreeRank {
 public:
  // `root_tasks` is used only on rank 0 (others ignore it); ids must be distinct, costs finite
  // and >= 0. Throws std::invalid_argument on a bad tree or task list.
  DtreeRank(int rank, int ranks, int fanout, std::vector<Task> root_tasks,
            DtreeOptions options = {});

  // A message that arrived for this rank. Throws std::logic_error on one that cannot be (wrong
  // receiver, sender not the parent or a child, wrong stage or direction, tasks after
  // kNoMoreWork): the driver or the transport is broken.
  void receive(const SchedulerMessage& message);

  // The next task to fit, from the front of the local queue, or nullopt when the queue is
  // empty: send take_outbox() (it then holds the request) and poll again after delivering
  // messages. May be called before the previous task finished (to prefetch its inputs), but
  // a task taken early waits behind the running one: ask shortly before it ends, not at its
  // start (docs/scheduling.md, "Simulator", shows the cost).
  std::optional<Task> next_task();

  // A task handed out by next_task() on this rank has finished (std::logic_error otherwise).
  void task_finished(int task_id);

  // Every task of the stage has finished on every rank (the root detected it and kStageOver
  // reached this rank). The next stage's DtreeRank may start.
  bool stage_over() const { return stage_over_; }

  // Messages to send now, in order; the outbox is empty afterwards.
  std::vector<SchedulerMessage> take_outbox();

  const DtreeCounters& counters() const { return counters_; }
  int rank() const { return rank_; }
  int parent() const { return parent_; }
  const std::vector<int>& children() const { return children_; }
  int subtree_ranks() const { return subtree_ranks_; }
  std::size_t queued() const { return queue_.size(); }
  std::size_t running() const { return running_.size(); }

 private:
  void advance();  // serve children, ask the parent, report or detect termination
  void send(SchedulerMessage message);
  void serve_child(int child);
  std::size_t chunk_size_for(int child) const;
  int child_index(int rank) const;
  bool upstream_exhausted() const;

  int rank_, ranks_, fanout_;
  DtreeOptions options_;
  int parent_;
  std::vector<int> children_;
  std::vector<int> child_subtree_ranks_;
  int subtree_ranks_;

  std::deque<Task> queue_;       // largest cost first
  double queued_cost_ = 0;       // Σ cost of queue_
  std::vector<int> running_;     // ids handed out, not finished
  std::deque<int> waiting_children_;  // requests not yet answered, in arrival order
  std::vector<std::int64_t> sent_to_child_;
  std::vector<bool> child_done_;
  std::int64_t subtree_finished_ = 0;  // tasks finished here and in reported subtrees

  bool request_outstanding_ = false;
  bool wants_work_ = true;            // next_task() found the queue empty (and at the start)
  bool no_more_work_ = false;          // kNoMoreWork received (always true on the root)
  std::int64_t expected_from_parent_ = -1;
  bool done_reported_ = false;
  bool stage_over_ = false;
  std::vector<SchedulerMessage> outbox_;
  DtreeCounters counters_;
};

}  // namespace celeste::scheduling
