#pragma once
// The generic catalog format: a FITS binary table (EXTNAME 'CATALOG_ENTRIES') with one row per
// survey::CatalogEntry (model.md §8.1). Used for initial catalogs and for the truth catalogs
// `celeste generate` writes. Columns (docs/io.md):
//   ra, dec (D, deg), is_star (L), star_fluxes, gal_fluxes (5D, nmgy, u..z), gal_frac_dev,
//   gal_axis_ratio, gal_angle (D, rad, pixel coordinates), gal_radius_px (D, pix), objid (K).
#include <string>

#include "survey/catalog.hpp"

namespace celeste::io {

// Reads the first binary table of the file; a zero-row table gives an empty catalog. Throws
// InputError (file, HDU, column, reason) for a missing file/table/column or a bad value.
survey::Catalog read_catalog_entries(const std::string& path);

// Atomic (temporary file, fsync, rename).
void write_catalog_entries(const std::string& path, const survey::Catalog& catalog);

}  // namespace celeste::io
