// FITS side of io/catalog_output.hpp.
#include <algorithm>

#include "io/catalog_output.hpp"
#include "io/fits_file.hpp"
#include "io/provenance.hpp"
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

// The units of our columns that the FITS standard knows (astropy reads them from TUNIT
// without a warning). "nanomaggy" is not one of them: those columns carry no TUNIT and
// astropy learns the unit from its serialized-column block below (docs/decisions.md).
bool fits_standard_unit(const std::string& unit) {
  for (const char* u : {"deg", "arcsec", "mag", "pix"})
    if (unit == u) return true;
  return false;
}

// astropy's own FITS convention for column metadata that FITS keywords cannot carry: YAML in
// COMMENT cards between two sentinels, lines over 70 characters continued with a trailing
// backslash. astropy.table.Table.read takes each column's description from it, and the
// unit of the columns without TUNIT (their values are read as a Quantity of that unit).
void write_astropy_column_block(FitsFile& f, const std::vector<CatalogColumn>& columns) {
  std::vector<std::string> lines{"--BEGIN-ASTROPY-SERIALIZED-COLUMNS--", "datatype:"};
  for (const auto& c : columns) lines.push_back(astropy_column_yaml(c));
  lines.push_back("meta:");
  std::vector<std::string> quantities;
  for (const auto& c : columns)
    if (!c.unit.empty() && !fits_standard_unit(c.unit)) {
      quantities.push_back("    " + c.name + ":");
      quantities.push_back("      __class__: astropy.units.quantity.Quantity");
      quantities.push_back("      unit: !astropy.units.Unit {unit: " + c.unit + "}");
      quantities.push_back("      value: !astropy.table.SerializedColumn {name: " + c.name + "}");
    }
  if (quantities.empty()) {
    lines.push_back("  __serialized_columns__: {}");
  } else {
    lines.push_back("  __serialized_columns__:");
    lines.insert(lines.end(), quantities.begin(), quantities.end());
  }
  lines.push_back("--END-ASTROPY-SERIALIZED-COLUMNS--");
  constexpr std::size_t kPiece = 70;
  for (std::string line : lines) {
    while (line.size() > kPiece) {
      f.write_comment(line.substr(0, kPiece) + "\\");
      line = line.substr(kPiece);
    }
    f.write_comment(line);
  }
}

// One keyword per flag bit: FFLAGn for failure_flags, WFLAGn for warning_flags (n = bit
// number), the flag's name as value and its meaning as comment.
void write_flag_keywords(FitsFile& f) {
  for (const auto& fl : optimizer::failure_flag::kNamed)
    f.write_key("FFLAG" + std::to_string(flag_bit_number(fl.bit)), fl.name, fl.meaning);
  for (const auto& fl : survey::warning_flag::kNamed)
    f.write_key("WFLAG" + std::to_string(flag_bit_number(fl.bit)), fl.name, fl.meaning);
}

}  // namespace

void write_catalog_fits_file(const std::string& path, const std::vector<CatalogColumn>& columns,
                             const OutputProvenance& provenance) {
  const long rows = columns.empty() ? 0 : static_cast<long>(columns.front().size());
  std::vector<TableColumnSpec> specs;
  for (const auto& c : columns)
    specs.push_back({c.name, tform(c), fits_standard_unit(c.unit) ? c.unit : "", c.tdisp});
  FitsFile f = FitsFile::create(path);
  f.append_table("CATALOG", specs, rows);  // CFITSIO adds the empty primary HDU first
  f.move_to(1);
  write_fits_provenance(f, provenance);
  f.move_to(2);
  write_fits_provenance(f, provenance);
  write_flag_keywords(f);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const CatalogColumn& c = columns[i];
    const int colnum = static_cast<int>(i + 1);
    // The whole description in TCOMMn (a long string where needed); the TTYPE card's comment,
    // where FITS viewers show it, when it fits there entirely.
    constexpr std::size_t kTtypeComment = 47;
    if (c.description.size() <= kTtypeComment)
      f.write_key("TTYPE" + std::to_string(colnum), c.name, c.description);
    f.write_long_string("TCOMM" + std::to_string(colnum), c.description);
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
      case ColumnKind::text: f.write_column_nul_padded(colnum, c.text); break;
    }
  }
  write_astropy_column_block(f, columns);
  // Checksums last: any later change to an HDU would invalidate its own.
  f.write_checksum();
  f.move_to(1);
  f.write_checksum();
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
