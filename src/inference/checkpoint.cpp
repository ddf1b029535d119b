#include "inference/checkpoint.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "io/atomic_file.hpp"
#include "util/error.hpp"

namespace celeste::inference {
namespace {

constexpr char kMagic[16] = "CELESTE-K CKPT\n";  // 15 characters + NUL
constexpr std::uint32_t kVersion = 6;  // 5: warning_flags (issue 15), star-hypothesis counters (issue 10); 6: type-evidence counters (issue 10)
constexpr std::uint32_t kByteOrderMark = 0x01020304u;  // read back differently on the other order

// Appends plain values to a byte buffer (native byte order; the mark tells a reader).
struct Writer {
  std::string bytes;
  template <class T>
  void put(const T& v) {
    bytes.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void put_raw(const void* p, std::size_t n) { bytes.append(static_cast<const char*>(p), n); }
};

struct Reader {
  const std::string& bytes;
  const std::string& path;
  std::size_t at = 0;
  void need(std::size_t n) const {
    if (bytes.size() - at < n)
      throw InputError(path + ": checkpoint is truncated (ends at byte " +
                       std::to_string(bytes.size()) + ", needs " + std::to_string(at + n) + ")");
  }
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  void get_raw(void* p, std::size_t n) {
    need(n);
    std::memcpy(p, bytes.data() + at, n);
    at += n;
  }
  // A count that must fit in what is left at `per_item` bytes each (no huge allocations).
  std::uint64_t count(std::size_t per_item, const char* what) {
    const auto n = get<std::uint64_t>();
    if (per_item > 0 && n > (bytes.size() - at) / per_item)
      throw InputError(path + ": checkpoint is corrupt (" + what + " count " + std::to_string(n) +
                       " does not fit in the file)");
    return n;
  }
};

}  // namespace

std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void write_checkpoint(const std::string& path, const RunState& s) {
  Writer w;
  w.put_raw(kMagic, sizeof kMagic);
  w.put(kVersion);
  w.put(kByteOrderMark);
  w.put(s.fingerprint);
  w.put(static_cast<std::uint64_t>(s.rounds_done.size()));
  for (std::size_t st = 0; st < s.rounds_done.size(); ++st) {
    w.put(static_cast<std::uint64_t>(s.rounds_done[st].size()));
    for (std::size_t r = 0; r < s.rounds_done[st].size(); ++r) {
      w.put(s.rounds_done[st][r]);
      w.put(s.rounds_total[st][r]);
      w.put(s.next_round_targets_done[st][r]);
    }
  }
  const WorkCounters& c = s.counters;
  w.put(c.fits);
  w.put(c.newton_iterations);
  w.put(c.elbo_evaluations);
  w.put(c.active_pixel_visits);
  w.put(c.inactive_pixel_visits);
  w.put(c.star_hypotheses_tried);
  w.put(c.star_hypotheses_accepted);
  w.put(c.star_hypothesis_fits);
  w.put(c.type_evidence_calls);
  w.put(c.type_evidence_flips);
  w.put(c.type_evidence_fits);
  w.put(c.type_evidence_evaluations);
  w.put(c.load_imbalance_s);
  w.put(c.inference_s);
  w.put(static_cast<std::uint64_t>(s.params.size()));
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    w.put_raw(s.params[i].data(), sizeof(double) * kNumParams);
    w.put_raw(s.stage_start_params[i].data(), sizeof(double) * kNumParams);
    const survey::SourceResult& f = s.records[i];
    w.put(static_cast<std::int32_t>(f.status_code));
    w.put(static_cast<std::int32_t>(f.iterations));
    w.put(static_cast<std::int32_t>(f.failure_flags));
    w.put(static_cast<std::int32_t>(f.warning_flags));
    w.put(f.elbo);
    w.put(f.elbo_gain);
    w.put(f.grad_norm);
    w.put_raw(f.lr_sd.data(), sizeof(double) * kNumParams);
  }
  w.put(fnv1a(w.bytes.data(), w.bytes.size()));

  io::AtomicOutput out(path);
  io::write_file(out.temp_path(), w.bytes, path);
  out.commit();
}

RunState read_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open checkpoint: " + std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Reader r{bytes, path};
  char magic[sizeof kMagic];
  r.get_raw(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw InputError(path + ": not a Celeste-K checkpoint (bad magic bytes)");
  const auto version = r.get<std::uint32_t>();
  const auto mark = r.get<std::uint32_t>();
  if (mark != kByteOrderMark)
    throw InputError(path + ": checkpoint written on a machine of the other byte order");
  if (version != kVersion)
    throw InputError(path + ": checkpoint format version " + std::to_string(version) +
                     "; this build reads version " + std::to_string(kVersion));
  if (bytes.size() < sizeof(std::uint64_t) + r.at)
    throw InputError(path + ": checkpoint is truncated");
  std::uint64_t stored_sum;
  std::memcpy(&stored_sum, bytes.data() + bytes.size() - sizeof stored_sum, sizeof stored_sum);
  if (fnv1a(bytes.data(), bytes.size() - sizeof stored_sum) != stored_sum)
    throw InputError(path + ": checkpoint is corrupt or truncated (checksum mismatch)");

  RunState s;
  s.fingerprint = r.get<std::uint64_t>();
  const auto stages = r.count(sizeof(std::uint64_t), "stage");
  s.rounds_done.resize(stages);
  s.rounds_total.resize(stages);
  s.next_round_targets_done.resize(stages);
  for (std::uint64_t st = 0; st < stages; ++st) {
    const auto regions = r.count(3 * sizeof(std::int64_t), "region");
    for (std::uint64_t k = 0; k < regions; ++k) {
      s.rounds_done[st].push_back(r.get<std::int64_t>());
      s.rounds_total[st].push_back(r.get<std::int64_t>());
      s.next_round_targets_done[st].push_back(r.get<std::int64_t>());
    }
  }
  WorkCounters& c = s.counters;
  c.fits = r.get<std::int64_t>();
  c.newton_iterations = r.get<std::int64_t>();
  c.elbo_evaluations = r.get<std::int64_t>();
  c.active_pixel_visits = r.get<std::int64_t>();
  c.inactive_pixel_visits = r.get<std::int64_t>();
  c.star_hypotheses_tried = r.get<std::int64_t>();
  c.star_hypotheses_accepted = r.get<std::int64_t>();
  c.star_hypothesis_fits = r.get<std::int64_t>();
  c.type_evidence_calls = r.get<std::int64_t>();
  c.type_evidence_flips = r.get<std::int64_t>();
  c.type_evidence_fits = r.get<std::int64_t>();
  c.type_evidence_evaluations = r.get<std::int64_t>();
  c.load_imbalance_s = r.get<double>();
  c.inference_s = r.get<double>();
  constexpr std::size_t kPerSource = 3 * sizeof(double) * kNumParams + 3 * 4 + 3 * 8;
  const auto n = r.count(kPerSource, "source");
  s.params.resize(n);
  s.stage_start_params.resize(n);
  s.records.resize(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    r.get_raw(s.params[i].data(), sizeof(double) * kNumParams);
    r.get_raw(s.stage_start_params[i].data(), sizeof(double) * kNumParams);
    survey::SourceResult& f = s.records[i];
    f.status_code = r.get<std::int32_t>();
    f.iterations = r.get<std::int32_t>();
    f.failure_flags = r.get<std::int32_t>();
    f.warning_flags = r.get<std::int32_t>();
    f.elbo = r.get<double>();
    f.elbo_gain = r.get<double>();
    f.grad_norm = r.get<double>();
    r.get_raw(f.lr_sd.data(), sizeof(double) * kNumParams);
  }
  if (r.at + sizeof stored_sum != bytes.size())
    throw InputError(path + ": checkpoint is corrupt (" +
                     std::to_string(bytes.size() - sizeof stored_sum - r.at) +
                     " unexpected bytes before the checksum)");
  return s;
}

}  // namespace celeste::inference
