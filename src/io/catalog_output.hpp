#pragma once
// Writing the output catalog (FITS binary table + HDF5) and reading it back.
// Columns: io/catalog_columns.hpp, docs/io.md.
#include <map>
#include <string>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/catalog_columns.hpp"
#include "io/provenance.hpp"
#include "survey/catalog.hpp"
#include "survey/source_result.hpp"

namespace celeste::io {

// Writes the catalog as a FITS binary table (EXTNAME 'CATALOG') and as HDF5 (one compound
// table /catalog), each with the provenance, units, full descriptions and flag bits (docs/io.md
// "Output catalog"). Either path may be empty to skip that format. Atomic: both files are
// written to temporaries first and renamed into place only when both are complete, so a
// failure leaves no partial file. Throws InputError naming the file and the reason.
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

class FitsFile;
// An output catalog's rows (the current HDU of f, EXTNAME 'CATALOG') as initial-catalog
// entries, so that a fit can be refined (`celeste run`) or rendered (`celeste generate`):
// position ra, dec; is_star; the fitted fluxes flux_u..z as both star and galaxy fluxes;
// gal_frac_dev, gal_axis_ratio, gal_angle_deg (to radians), gal_scale_px (sigma); objid.
// read_catalog_entries uses it when the file is an output catalog (docs/io.md).
survey::Catalog catalog_entries_from_output_table(const FitsFile& f);

}  // namespace celeste::io
