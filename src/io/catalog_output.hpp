#pragma once
// Writing the output catalog (FITS binary table + HDF5) and reading it back.
// Columns: io/catalog_columns.hpp, docs/io.md.
#include <map>
#include <string>
#include <vector>

#include "io/catalog_columns.hpp"
#include "survey/source_result.hpp"

namespace celeste::io {

// Writes the catalog as a FITS binary table (EXTNAME 'CATALOG', TTYPE/TUNIT/TDISP) and as HDF5
// (group /catalog, one dataset per column, attributes "units" and "description"). Either path
// may be empty to skip that format. Atomic: both files are written to temporaries first and
// renamed into place only when both are complete, so a failure leaves no partial file.
// Throws InputError naming the file and the reason.
void write_catalog_outputs(const std::vector<survey::SourceResult>& results,
                           const std::string& fits_path, const std::string& hdf5_path);

// The pieces, writing exactly the given file (no temporary/rename).
void write_catalog_fits_file(const std::string& path, const std::vector<CatalogColumn>& columns);
void write_catalog_hdf5_file(const std::string& path, const std::vector<CatalogColumn>& columns);

// Every numeric and logical column of a catalog FITS file (EXTNAME 'CATALOG'), by name, as
// doubles (logical: 0/1; objid loses precision above 2^53); text columns are left out.
std::map<std::string, std::vector<double>> read_catalog_columns(const std::string& fits_path);

}  // namespace celeste::io
