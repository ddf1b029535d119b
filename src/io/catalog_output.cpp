#include "io/catalog_output.hpp"

#include "io/atomic_file.hpp"

namespace celeste::io {

void write_catalog_outputs(AtomicOutputSet& set, const std::vector<survey::SourceResult>& results,
                           const std::string& fits_path, const std::string& hdf5_path,
                           const OutputProvenance& provenance) {
  const std::vector<CatalogColumn> columns = build_catalog_columns(results);
  if (!fits_path.empty()) write_catalog_fits_file(set.add(fits_path), columns, provenance);
  if (!hdf5_path.empty()) write_catalog_hdf5_file(set.add(hdf5_path), columns, provenance);
}

void write_catalog_outputs(const std::vector<survey::SourceResult>& results,
                           const std::string& fits_path, const std::string& hdf5_path,
                           const OutputProvenance& provenance) {
  // Both temporaries are complete before either is renamed into place; on any exception the
  // set's destructor deletes them.
  AtomicOutputSet set;
  write_catalog_outputs(set, results, fits_path, hdf5_path, provenance);
  set.commit_all();
}

}  // namespace celeste::io
