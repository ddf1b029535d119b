#pragma once
// The scheduler's tasks and messages (dtree.hpp), and their byte encoding for a transport that
// sends bytes (MPI_BYTE).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace celeste::scheduling {

// A unit of work of a stage (a sky region): `cost` is the estimate used to order and chunk.
struct Task {
  int id = 0;
  double cost = 0;
};

struct SchedulerMessage {
  enum Kind : std::uint8_t {
    kRequest = 0,      // child -> parent: send me work
    kTasks = 1,        // parent -> child: a chunk (`tasks`, never empty)
    kNoMoreWork = 2,   // parent -> child: no more work this stage; `count` = tasks sent to you
    kSubtreeDone = 3,  // child -> parent: my subtree has finished; `count` = tasks it ran
    kStageOver = 4,    // parent -> child: every task of the stage has finished on every rank
  };
  int from = 0;
  int to = 0;
  Kind kind = kRequest;
  int stage = 1;  // DtreeOptions::stage of the sender: a message of another stage is a bug
  std::int64_t count = 0;
  std::vector<Task> tasks;
};

// Compact little-endian encoding (for MPI_BYTE): 1 byte kind, from/to/stage as int32, count as
// int64, the number of tasks as int32, then per task id (int32) and cost (IEEE double): 25 + 12
// bytes per task. decode throws std::invalid_argument on anything that is not such a message.
std::vector<std::uint8_t> encode_message(const SchedulerMessage& message);
SchedulerMessage decode_message(const std::vector<std::uint8_t>& bytes);
SchedulerMessage decode_message(const std::uint8_t* data, std::size_t size);

}  // namespace celeste::scheduling
