#pragma once
// The generic catalog format: a FITS binary table (EXTNAME 'CATALOG_ENTRIES') with one row per
// survey::CatalogEntry (model.md §8.1). Used for initial catalogs and for the truth catalogs
// `celeste generate` writes. Columns (docs/io.md):
//   ra, dec (D, deg), is_star (L), star_fluxes, gal_fluxes (5D, nmgy, u..z), gal_frac_dev,
//   gal_axis_ratio, gal_angle (D, rad, pixel coordinates), gal_radius_px (D, pix), objid (K).
#include <string>
#include <utility>
#include <vector>

#include "survey/catalog.hpp"

namespace celeste::io {

// Plausibility bounds of catalog values (docs/io.md). 1e9 nmgy is magnitude 0 (Vega): far
// brighter than anything an SDSS-like survey measures unsaturated (about 14 mag, 2500 nmgy).
// A galaxy scale of 1e4 px (over an hour of arc at SDSS's 0.396"/px) would make patches the
// size of the survey.
inline constexpr double kMaxCatalogFluxNmgy = 1e9;
inline constexpr double kMaxCatalogRadiusPx = 1e4;

// What is wrong with one entry: the column, the value and why; column "" when nothing is.
// Rules: ra finite, dec in [-90, 90]; every star/galaxy flux finite in [0, 1e9] nmgy;
// gal_frac_dev in [0, 1]; gal_axis_ratio in (0, 1]; gal_angle finite; gal_radius_px in
// (0, 1e4].
struct CatalogProblem {
  std::string column, value, what;
};
CatalogProblem catalog_entry_problem(const survey::CatalogEntry& entry);

// How a catalog file's rows became sources: the rows read and those dropped, by reason, in
// the order the reader applies the rules (a row counts under the first that drops it), so
// read = dropped_total() + sources kept. Reasons (docs/io.md "Dropped catalog rows"): the
// photoObj reader's not_star_or_galaxy, deblend_parent, flagged, implausible_values; the
// generic reader drops none (a bad row is an error).
struct CatalogRowCounts {
  long read = 0;
  std::vector<std::pair<std::string, long>> dropped;
  long dropped_total() const {
    long n = 0;
    for (const auto& reason : dropped) n += reason.second;
    return n;
  }
};

// Reads the first binary table of the file; a zero-row table gives an empty catalog. Throws
// InputError (file, HDU, column, row and objid, reason) for a missing file/table/column or a
// value that breaks catalog_entry_problem's rules. `counts`, when given: every row read, none
// dropped.
survey::Catalog read_catalog_entries(const std::string& path, CatalogRowCounts* counts = nullptr);

// Atomic (temporary file, fsync, rename).
void write_catalog_entries(const std::string& path, const survey::Catalog& catalog);

}  // namespace celeste::io
