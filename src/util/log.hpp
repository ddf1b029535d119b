#pragma once
// The log: what celeste says on stderr while it works (phases, progress, warnings, errors),
// at three levels set by every subcommand's --quiet / --verbose (app/cli.cpp), and, when a
// run names `output.log`, the same lines in that file with a UTC timestamp, written and flushed
// line by line so that a killed run keeps its log (docs/run.md "Log and progress").
//
//   error    always on stderr
//   warning  on stderr unless quiet
//   info     phases and progress: on stderr at normal and verbose
//   detail   verbose only (per field, per region, per task; every rank's lines)
// The file gets error, warning and info lines whatever the level, detail lines when verbose.
// In a distributed run only rank 0 prints info lines unless verbose; with verbose every rank
// prints, its lines prefixed "rank k: " (rank 0's too). A command's own results on stdout
// (run's summary, info, score tables) are not log lines and are not affected.
// Thread-safe: one lock around each line.
#include <string>

namespace celeste::log {

enum class Level : int { quiet = 0, normal = 1, verbose = 2 };

void set_level(Level level);
Level level();
inline bool verbose() { return level() == Level::verbose; }

// This process's MPI rank and the rank count (1 without MPI).
void set_rank(int rank, int ranks);

// Also writes the log to `path` (appending when `append`, else truncating). Returns "" when the
// file is open, else why it could not be opened (strerror), for the caller's error message.
std::string open_file(const std::string& path, bool append);
void close_file();
bool file_open();

void error(const std::string& line);
void warning(const std::string& line);
void info(const std::string& line);
void detail(const std::string& line);

// printf into a std::string (for the lines above).
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// "42 s", "3 min 05 s", "2 h 07 min": a duration for progress lines (ETA, elapsed).
std::string duration_text(double seconds);

// "600/1800 fits (33 %), 2 min 10 s elapsed, ETA 4 min 00 s": `done` of `total`, the run's
// elapsed time, and the time left at this session's rate: (done - done_before) fits in
// `fitting_s` seconds (done_before: fits a resumed run had done before); ETA "?" before the
// session's first fit.
std::string progress_text(long done, long total, long done_before, double fitting_s,
                          double elapsed_s);

}  // namespace celeste::log
