#include "io/catalog_output.hpp"

#include <memory>

#include "io/atomic_file.hpp"

namespace celeste::io {

void write_catalog_outputs(const std::vector<survey::SourceResult>& results,
                           const std::string& fits_path, const std::string& hdf5_path) {
  const std::vector<CatalogColumn> columns = build_catalog_columns(results);
  // Both temporaries are complete before either is renamed into place; on any exception the
  // AtomicOutput destructors delete them.
  std::unique_ptr<AtomicOutput> fits, hdf5;
  if (!fits_path.empty()) {
    fits = std::make_unique<AtomicOutput>(fits_path);
    write_catalog_fits_file(fits->temp_path(), columns);
  }
  if (!hdf5_path.empty()) {
    hdf5 = std::make_unique<AtomicOutput>(hdf5_path);
    write_catalog_hdf5_file(hdf5->temp_path(), columns);
  }
  if (fits) fits->commit();
  if (hdf5) hdf5->commit();
}

}  // namespace celeste::io
