#pragma once
// Writing the output catalog (FITS binary table + HDF5) and reading it back.
// Columns: io/catalog_columns.hpp, docs/io.md.
#include <map>
#include <string>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/catalog_columns.hpp"
#include "survey/source_result.hpp"

namespace celeste::io {

// What ties the files of one run's output set together. run_id (empty: not written) goes in
// every file: FITS keyword RUNID (primary and table header), HDF5 root attribute run_id, and
// report.json's "run_id", so a reader can tell a mixed set (docs/run.md).
struct OutputProvenance {
  std::string run_id;
};

// Writes the catalog as a FITS binary table (EXTNAME 'CATALOG', TTYPE/TUNIT/TDISP) and as HDF5
// (group /catalog, one dataset per column, attributes "units" and "description"). Either path
// may be empty to skip that format. Atomic: both files are written to temporaries first and
// renamed into place only when both are complete, so a failure leaves no partial file.
// Throws InputError naming the file and the reason.
void write_catalog_outputs(const std::vector<survey::SourceResult>& results,
                           const std::string& fits_path, const std::string& hdf5_path,
                           const OutputProvenance& provenance = {});

// The same into an output set (committed by the caller with the rest of the run's files).
void write_catalog_outputs(AtomicOutputSet& set, const std::vector<survey::SourceResult>& results,
                           const std::string& fits_path, const std::string& hdf5_path,
                           const OutputProvenance& provenance);

// The pieces, writing exactly the given file (no temporary/rename).
void write_catalog_fits_file(const std::string& path, const std::vector<CatalogColumn>& columns,
                             const OutputProvenance& provenance = {});
void write_catalog_hdf5_file(const std::string& path, const std::vector<CatalogColumn>& columns,
                             const OutputProvenance& provenance = {});

// Every numeric and logical column of a catalog FITS file (EXTNAME 'CATALOG'), by name, as
// doubles (logical: 0/1; objid loses precision above 2^53); text columns are left out.
std::map<std::string, std::vector<double>> read_catalog_columns(const std::string& fits_path);

}  // namespace celeste::io
