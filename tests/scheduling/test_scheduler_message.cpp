// The byte encoding of scheduler messages (src/scheduling/scheduler_message.hpp): every kind
// round-trips exactly, the layout is the documented little-endian one, and anything that is not
// such a message is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "scheduling/scheduler_message.hpp"

namespace celeste::scheduling {
namespace {

void expect_same(const SchedulerMessage& a, const SchedulerMessage& b) {
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.stage, b.stage);
  EXPECT_EQ(a.count, b.count);
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  for (std::size_t i = 0; i < a.tasks.size(); ++i) {
    EXPECT_EQ(a.tasks[i].id, b.tasks[i].id);
    // Bit for bit (also -0.0 and subnormals).
    EXPECT_EQ(std::memcmp(&a.tasks[i].cost, &b.tasks[i].cost, sizeof(double)), 0) << i;
  }
}

TEST(SchedulerMessage, EveryKindRoundTrips) {
  for (int kind = SchedulerMessage::kRequest; kind <= SchedulerMessage::kStageOver; ++kind) {
    SchedulerMessage m;
    m.from = 8191;
    m.to = 1023;
    m.kind = static_cast<SchedulerMessage::Kind>(kind);
    m.stage = 2;
    m.count = (std::int64_t{1} << 40) + 3;
    if (m.kind == SchedulerMessage::kTasks)
      m.tasks = {{0, 0.1},
                 {-5, 1e300},
                 {std::numeric_limits<int>::max(), std::numeric_limits<double>::denorm_min()},
                 {std::numeric_limits<int>::min(), -0.0},
                 {42, 12345.678}};
    const std::vector<std::uint8_t> bytes = encode_message(m);
    EXPECT_EQ(bytes.size(), 25 + 12 * m.tasks.size());
    expect_same(decode_message(bytes), m);
  }
}

TEST(SchedulerMessage, LayoutIsLittleEndian) {
  SchedulerMessage m;
  m.from = 1;
  m.to = 0x01020304;
  m.kind = SchedulerMessage::kTasks;
  m.stage = 2;
  m.count = -1;
  m.tasks = {{0x0A0B0C0D, 1.0}};
  const std::vector<std::uint8_t> expected = {
      1,                                               // kind
      1, 0, 0, 0,                                      // from
      4, 3, 2, 1,                                      // to
      2, 0, 0, 0,                                      // stage
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // count = -1
      1, 0, 0, 0,                                      // one task
      0x0D, 0x0C, 0x0B, 0x0A,                          // id
      0, 0, 0, 0, 0, 0, 0xf0, 0x3f};                   // 1.0 as IEEE double
  EXPECT_EQ(encode_message(m), expected);
}

TEST(SchedulerMessage, RefusesWhatIsNotAMessage) {
  SchedulerMessage m;
  m.kind = SchedulerMessage::kTasks;
  m.tasks = {{1, 2.0}, {3, 4.0}};
  const std::vector<std::uint8_t> good = encode_message(m);
  // Truncated anywhere, or one byte too many.
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(decode_message(good.data(), n), std::invalid_argument) << n;
  std::vector<std::uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_THROW(decode_message(longer), std::invalid_argument);
  // An unknown kind, a negative task count.
  std::vector<std::uint8_t> bad = good;
  bad[0] = 5;
  EXPECT_THROW(decode_message(bad), std::invalid_argument);
  bad = good;
  bad[24] = 0x80;  // top byte of the task count
  EXPECT_THROW(decode_message(bad), std::invalid_argument);
  // A task count that claims more than is there.
  bad = good;
  bad[21] = 3;
  EXPECT_THROW(decode_message(bad), std::invalid_argument);
}

}  // namespace
}  // namespace celeste::scheduling
