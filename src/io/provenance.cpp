#include "io/provenance.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include "celeste/git_commit.hpp"
#include "celeste/version.hpp"
#include "io/fits_file.hpp"
#include "util/error.hpp"

namespace celeste::io {

std::string software_name() { return "Celeste-K"; }
std::string software_version() { return CELESTE_VERSION_STRING; }
std::string software_commit() { return CELESTE_GIT_COMMIT; }

std::string utc_timestamp(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

InputFile describe_input_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path + ": cannot read the input file's size and time: " +
                     std::strerror(errno));
  return {path, static_cast<std::uintmax_t>(st.st_size), utc_timestamp(st.st_mtime)};
}

namespace {

// FITS keywords have at most 8 characters: INFILn etc. number up to 999 inputs; further
// inputs go into HISTORY cards.
constexpr std::size_t kMaxInputKeywords = 999;
// A HISTORY card holds 72 characters; a longer line is cut after 71 and continued on the
// next card, the cut marked by a trailing backslash (as astropy's own YAML comment blocks).
constexpr std::size_t kCardText = 71;

void write_history_lines(FitsFile& f, const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (line.size() > kCardText) {
      f.write_history(line.substr(0, kCardText - 1) + "\\");
      line = line.substr(kCardText - 1);
    }
    if (!(end == text.size() && line.empty())) f.write_history(line);
    start = end + 1;
  }
}

}  // namespace

void write_fits_provenance(FitsFile& f, const OutputProvenance& p) {
  f.write_key("ORIGIN", software_name(), "software that wrote this file");
  f.write_key("CREATOR", software_name() + " " + software_version(), "software and version");
  f.write_key("CELVERS", software_version(), "Celeste-K version");
  f.write_long_string("CELGIT", software_commit(), "git commit of the Celeste-K build");
  if (!p.date_utc.empty()) f.write_key("DATE", p.date_utc, "UTC date this file was written");
  if (!p.start_utc.empty()) f.write_key("RUNSTART", p.start_utc, "UTC start of the run");
  if (!p.run_id.empty()) f.write_key("RUNID", p.run_id, "run that wrote this output set");
  if (!p.host.empty()) f.write_long_string("HOST", p.host, "host the run ran on");
  if (!p.backend.empty()) f.write_key("BACKEND", p.backend, "Kokkos execution space of the fits");
  if (p.threads > 0) f.write_key("NTHREADS", p.threads, "threads of the execution space");
  f.write_key("NINPUTS", static_cast<long long>(p.inputs.size()), "input files read by the run");
  for (std::size_t i = 0; i < p.inputs.size(); ++i) {
    const InputFile& in = p.inputs[i];
    if (i < kMaxInputKeywords) {
      const std::string n = std::to_string(i + 1);
      f.write_long_string("INFIL" + n, in.path, "input file");
      f.write_key("INSIZ" + n, static_cast<long long>(in.bytes), "its size, bytes");
      f.write_key("INTIM" + n, in.modified_utc, "its modification time, UTC");
    } else {
      write_history_lines(f, "input " + std::to_string(i + 1) + ": " + in.path + " (" +
                                 std::to_string(in.bytes) + " bytes, modified " +
                                 in.modified_utc + " UTC)");
    }
  }
  if (!p.config_yaml.empty()) {
    f.write_history("--BEGIN-CELESTE-CONFIG-- effective configuration (YAML); a line");
    f.write_history("ending in a backslash continues on the next card");
    write_history_lines(f, p.config_yaml);
    f.write_history("--END-CELESTE-CONFIG--");
  }
}

}  // namespace celeste::io
