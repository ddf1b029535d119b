#pragma once
// Output catalog columns (names, units, formulas: docs/io.md) built from fit results
// (model.md §8.3). These names are a contract: the scorer and users read columns by them.
#include <cstdint>
#include <string>
#include <vector>

#include "survey/source_result.hpp"

namespace celeste::io {

enum class ColumnKind { real, int64, int32, logical, text };

struct CatalogColumn {
  std::string name;
  ColumnKind kind = ColumnKind::real;
  std::string unit;         // astropy's name ("nanomaggy", "deg"); "" = dimensionless
  std::string description;
  std::string tdisp;        // FITS display format
  std::vector<double> real;          // kind real
  std::vector<std::int64_t> integer; // kinds int64, int32, logical (0/1)
  std::vector<std::string> text;     // kind text
  std::size_t size() const {
    return kind == ColumnKind::real ? real.size()
           : kind == ColumnKind::text ? text.size() : integer.size();
  }
};

inline constexpr int kStatusTextWidth = 16;  // fixed string width of the `status` column

// One column per catalog field, one row per result, in the documented order.
std::vector<CatalogColumn> build_catalog_columns(const std::vector<survey::SourceResult>& results);

// The column called `name` (std::out_of_range naming it when absent).
const CatalogColumn& find_column(const std::vector<CatalogColumn>& columns, const std::string& name);

// The column's entry in astropy's table metadata (YAML, one line): name, unit, datatype and
// description, as the FITS and HDF5 writers give it to astropy.table.Table.read.
std::string astropy_column_yaml(const CatalogColumn& c);

// The bit number n of a one-bit mask (1u << n): FFLAGn / WFLAGn keywords.
int flag_bit_number(unsigned bit);

// The catalog's warning_flags of a result (survey::warning_flag bits): its own, plus
// sd_unavailable for a source that was never fitted.
unsigned catalog_warning_flags(const survey::SourceResult& r);

// SDSS asinh magnitude of a flux in nanomaggies (model.md §9.2: softening b per band).
double asinh_magnitude(double flux_nmgy, int band);

}  // namespace celeste::io
