#include "scheduling/scheduler_message.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace celeste::scheduling {

namespace {

constexpr std::size_t kHeaderBytes = 1 + 4 + 4 + 4 + 8 + 4;
constexpr std::size_t kTaskBytes = 4 + 8;

// Fixed little-endian byte order, whatever the host's, so ranks on different machines agree.
void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_u64(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

void put_i32(std::vector<std::uint8_t>& out, int v) {
  put_u64(out, static_cast<std::uint32_t>(v), 4);
}

int get_i32(const std::uint8_t* p) {
  return static_cast<int>(static_cast<std::int32_t>(static_cast<std::uint32_t>(get_u64(p, 4))));
}

}  // namespace

std::vector<std::uint8_t> encode_message(const SchedulerMessage& m) {
  if (m.tasks.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw std::invalid_argument("scheduler message: too many tasks to encode");
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderBytes + kTaskBytes * m.tasks.size());
  out.push_back(static_cast<std::uint8_t>(m.kind));
  put_i32(out, m.from);
  put_i32(out, m.to);
  put_i32(out, m.stage);
  put_u64(out, static_cast<std::uint64_t>(m.count), 8);
  put_i32(out, static_cast<int>(m.tasks.size()));
  for (const Task& t : m.tasks) {
    put_i32(out, t.id);
    std::uint64_t bits;
    static_assert(sizeof bits == sizeof t.cost, "IEEE double");
    std::memcpy(&bits, &t.cost, sizeof bits);
    put_u64(out, bits, 8);
  }
  return out;
}

SchedulerMessage decode_message(const std::uint8_t* p, std::size_t size) {
  const auto bad = [&](const std::string& why) {
    throw std::invalid_argument("scheduler message of " + std::to_string(size) +
                                " bytes: " + why);
  };
  if (size < kHeaderBytes) bad("shorter than the header");
  if (p[0] > SchedulerMessage::kStageOver) bad("unknown kind " + std::to_string(p[0]));
  SchedulerMessage m;
  m.kind = static_cast<SchedulerMessage::Kind>(p[0]);
  m.from = get_i32(p + 1);
  m.to = get_i32(p + 5);
  m.stage = get_i32(p + 9);
  m.count = static_cast<std::int64_t>(get_u64(p + 13, 8));
  const int n = get_i32(p + 21);
  if (n < 0 || (size - kHeaderBytes) / kTaskBytes != static_cast<std::size_t>(n) ||
      (size - kHeaderBytes) % kTaskBytes != 0)
    bad("the task count " + std::to_string(n) + " does not match the length");
  m.tasks.resize(static_cast<std::size_t>(n));
  const std::uint8_t* q = p + kHeaderBytes;
  for (Task& t : m.tasks) {
    t.id = get_i32(q);
    const std::uint64_t bits = get_u64(q + 4, 8);
    std::memcpy(&t.cost, &bits, sizeof bits);
    q += kTaskBytes;
  }
  return m;
}

SchedulerMessage decode_message(const std::vector<std::uint8_t>& bytes) {
  return decode_message(bytes.data(), bytes.size());
}

}  // namespace celeste::scheduling
