#pragma once
// Provenance: what every output of a run records about how it was made (docs/io.md
// "Provenance"): the software and its commit, when and where it ran, on which backend, the
// whole effective configuration and every input file with its size and modification time.
// The FITS and HDF5 catalog writers, the model images and report.json all take it from here.
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace celeste::io {

struct InputFile {
  std::string path;
  std::uintmax_t bytes = 0;
  std::string modified_utc;  // ISO 8601, "YYYY-MM-DDThh:mm:ss" (UTC)
};

struct OutputProvenance {
  // run_id (empty: not written) ties the files of one output set together: FITS keyword
  // RUNID, HDF5 root attribute run_id, report.json "run_id" (docs/run.md).
  std::string run_id;
  std::string date_utc;   // when the outputs were written (FITS DATE), ISO 8601 UTC
  std::string start_utc;  // when the run started
  std::string host;
  std::string backend;    // Kokkos execution space the fits ran on
  int threads = 0;
  std::string config_yaml;  // the whole effective configuration (defaults included), YAML
  std::vector<InputFile> inputs;
};

std::string software_name();     // "Celeste-K"
std::string software_version();  // the project version (CMake)
// The git commit the build was configured from, with "-dirty" when the tree had uncommitted
// changes then; "unknown" outside a git checkout.
std::string software_commit();

std::string utc_timestamp(std::time_t t);  // ISO 8601 "YYYY-MM-DDThh:mm:ss"
std::string host_name();                   // gethostname, "unknown" when it fails
// Size and modification time of a file (InputError naming it when it cannot be read).
InputFile describe_input_file(const std::string& path);

class FitsFile;
// The provenance keywords in the current HDU of a FITS file being written (docs/io.md
// "Provenance"): ORIGIN, CREATOR, CELVERS, CELGIT, DATE, RUNSTART, RUNID, HOST, BACKEND,
// NTHREADS, NINPUTS and INFILn / INSIZn / INTIMn per input, the configuration as HISTORY.
void write_fits_provenance(FitsFile& f, const OutputProvenance& p);

}  // namespace celeste::io
