// FITS side of io/catalog_output.hpp.
#include <algorithm>

#include "io/catalog_output.hpp"
#include "io/fits_file.hpp"
#include "util/error.hpp"

namespace celeste::io {
namespace {

std::string tform(const CatalogColumn& c) {
  switch (c.kind) {
    case ColumnKind::real: return "1D";
    case ColumnKind::int64: return "1K";
    case ColumnKind::int32: return "1J";
    case ColumnKind::logical: return "1L";
    case ColumnKind::text: return std::to_string(kStatusTextWidth) + "A";
  }
  return "1D";
}

}  // namespace

void write_catalog_fits_file(const std::string& path, const std::vector<CatalogColumn>& columns,
                             const OutputProvenance& provenance) {
  const long rows = columns.empty() ? 0 : static_cast<long>(columns.front().size());
  std::vector<TableColumnSpec> specs;
  for (const auto& c : columns) specs.push_back({c.name, tform(c), c.unit, c.tdisp});
  FitsFile f = FitsFile::create(path);
  f.append_table("CATALOG", specs, rows);  // CFITSIO adds the empty primary HDU first
  if (!provenance.run_id.empty()) {
    f.move_to(1);
    f.write_key("RUNID", provenance.run_id, "run that wrote this output set");
    f.move_to(2);
    f.write_key("RUNID", provenance.run_id, "run that wrote this output set");
  }
  f.write_key("ORIGIN", "Celeste-K", "variational inference catalog");
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const CatalogColumn& c = columns[i];
    const int colnum = static_cast<int>(i + 1);
    // The description goes in the TTYPE card's comment, where FITS viewers show it.
    f.write_key("TTYPE" + std::to_string(colnum), c.name, c.description.substr(0, 47));
    if (rows == 0) continue;
    switch (c.kind) {
      case ColumnKind::real: f.write_column(colnum, c.real); break;
      case ColumnKind::int64:
      case ColumnKind::int32:
        f.write_column(colnum, std::vector<long long>(c.integer.begin(), c.integer.end()));
        break;
      case ColumnKind::logical: {
        std::vector<bool> v;
        for (auto x : c.integer) v.push_back(x != 0);
        f.write_column_logical(colnum, v);
        break;
      }
      case ColumnKind::text: f.write_column(colnum, c.text); break;
    }
  }
  f.close();
}

std::map<std::string, std::vector<double>> read_catalog_columns(const std::string& fits_path) {
  FitsFile f = FitsFile::open_read(fits_path);
  const int n = f.num_hdus();
  int hdu = 0;
  for (int h = 2; h <= n && hdu == 0; ++h) {
    f.move_to(h);
    if (f.hdu_kind() == HduKind::binary_table && f.has_key("EXTNAME") &&
        f.read_string("EXTNAME") == "CATALOG")
      hdu = h;
  }
  if (hdu == 0)
    throw InputError(fits_path + ": no binary table with EXTNAME 'CATALOG' in " +
                     std::to_string(n) + " HDU(s)");
  std::map<std::string, std::vector<double>> out;
  int ncols = static_cast<int>(f.read_int("TFIELDS"));
  for (int c = 1; c <= ncols; ++c) {
    const std::string name = f.read_string("TTYPE" + std::to_string(c));
    const std::string form = f.read_string("TFORM" + std::to_string(c));
    if (form.find('A') != std::string::npos) continue;
    if (form.find('L') != std::string::npos) {
      const auto v = f.read_column_logical(name);
      out[name] = std::vector<double>(v.begin(), v.end());
    } else {
      out[name] = f.read_column_double(name);
    }
  }
  return out;
}

}  // namespace celeste::io
