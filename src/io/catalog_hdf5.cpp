// HDF5 side of io/catalog_output.hpp (HDF5 C API and its high-level table interface H5TB):
// dataset /catalog, one compound-typed row per source; the column units and descriptions as
// dataset attributes (FIELD_n_UNIT, FIELD_n_DESCRIPTION beside H5TB's FIELD_n_NAME) and as
// astropy's table metadata (dataset /catalog.__table_column_meta__, YAML lines), so that
// astropy.table.Table.read(path='catalog') sees them; provenance as root attributes.
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cstdint>
#include <cstring>

#include "io/catalog_output.hpp"
#include "io/provenance.hpp"
#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::io {
namespace {

// HDF5's own error stack as text (the library's automatic printing is turned off below).
std::string hdf5_error_text() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* s = static_cast<std::string*>(data);
        if (!s->empty()) *s += "; ";
        *s += std::string(e->func_name ? e->func_name : "?") + ": " + (e->desc ? e->desc : "");
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  return out.empty() ? "unknown HDF5 error" : out;
}

// Closes an HDF5 identifier with the matching close function when it goes out of scope.
class H5Id {
 public:
  H5Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

// Field layout of one packed catalog row.
struct RowLayout {
  std::vector<std::size_t> offsets, sizes;
  std::size_t row_bytes = 0;
};

std::size_t field_bytes(ColumnKind k) {
  switch (k) {
    case ColumnKind::real:
    case ColumnKind::int64: return 8;
    case ColumnKind::int32: return 4;
    case ColumnKind::logical: return 1;
    case ColumnKind::text: return kStatusTextWidth;
  }
  return 8;
}

class Hdf5Writer {
 public:
  explicit Hdf5Writer(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": HDF5: " + what + ": " + hdf5_error_text());
  }
  void check(herr_t rc, const std::string& what) const {
    if (rc < 0) fail(what);
  }

  // Variable-length UTF-8 strings: h5py reads them as Python str.
  void write_string_attribute(hid_t obj, const std::string& name, const std::string& value) const {
    write_strings_attribute(obj, name, {value}, true);
  }
  void write_strings_attribute(hid_t obj, const std::string& name,
                               const std::vector<std::string>& values, bool scalar = false) const {
    H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(type.get(), H5T_VARIABLE), "string type");
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string character set");
    const hsize_t n = values.size();
    H5Id space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
    H5Id attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
    if (!attr.ok()) fail("creating attribute " + name);
    std::vector<const char*> p;
    for (const auto& v : values) p.push_back(v.c_str());
    if (!p.empty()) check(H5Awrite(attr.get(), type.get(), p.data()), "writing attribute " + name);
  }
  void write_int_attribute(hid_t obj, const std::string& name,
                           const std::vector<std::int64_t>& values, bool scalar = false) const {
    const hsize_t n = values.size();
    H5Id space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
    H5Id attr(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
    if (!attr.ok()) fail("creating attribute " + name);
    if (!values.empty())
      check(H5Awrite(attr.get(), H5T_NATIVE_INT64, values.data()), "writing attribute " + name);
  }

  void write_provenance(hid_t file, const OutputProvenance& p) const {
    write_string_attribute(file, "software", software_name());
    write_string_attribute(file, "version", software_version());
    write_string_attribute(file, "git_commit", software_commit());
    write_string_attribute(file, "date_utc", p.date_utc);
    write_string_attribute(file, "start_utc", p.start_utc);
    if (!p.run_id.empty()) write_string_attribute(file, "run_id", p.run_id);
    write_string_attribute(file, "host", p.host);
    write_string_attribute(file, "backend", p.backend);
    write_int_attribute(file, "threads", {p.threads}, true);
    write_string_attribute(file, "config", p.config_yaml);
    std::vector<std::string> paths, times;
    std::vector<std::int64_t> bytes;
    for (const auto& in : p.inputs) {
      paths.push_back(in.path);
      bytes.push_back(static_cast<std::int64_t>(in.bytes));
      times.push_back(in.modified_utc);
    }
    write_strings_attribute(file, "input_paths", paths);
    write_int_attribute(file, "input_bytes", bytes);
    write_strings_attribute(file, "input_modified_utc", times);
  }

  // astropy's table metadata: the YAML header its HDF5 writer stores beside a table, one
  // fixed-length string per line: the columns' units and descriptions, and the provenance as
  // the table's meta.
  void write_astropy_meta(hid_t file, const std::vector<CatalogColumn>& columns,
                          const OutputProvenance& p) const {
    std::vector<std::string> lines{"datatype:"};
    for (const auto& c : columns) lines.push_back(astropy_column_yaml(c));
    // JSON strings are YAML double-quoted scalars (escapes included).
    auto item = [&](const std::string& key, const std::string& yaml_value) {
      lines.push_back("- {" + key + ": " + yaml_value + "}");
    };
    lines.push_back("meta: !!omap");
    item("software", json_quoted(software_name()));
    item("version", json_quoted(software_version()));
    item("git_commit", json_quoted(software_commit()));
    item("date_utc", json_quoted(p.date_utc));
    item("start_utc", json_quoted(p.start_utc));
    if (!p.run_id.empty()) item("run_id", json_quoted(p.run_id));
    item("host", json_quoted(p.host));
    item("backend", json_quoted(p.backend));
    item("threads", std::to_string(p.threads));
    item("config", json_quoted(p.config_yaml));
    std::string inputs = "[";
    for (std::size_t i = 0; i < p.inputs.size(); ++i)
      inputs += (i ? ", " : "") + std::string("{path: ") + json_quoted(p.inputs[i].path) +
                ", bytes: " + std::to_string(p.inputs[i].bytes) +
                ", modified_utc: " + json_quoted(p.inputs[i].modified_utc) + "}";
    item("inputs", inputs + "]");
    auto flag_list = [](const auto& named) {
      std::string out = "[";
      bool first = true;
      for (const auto& fl : named) {
        out += (first ? "" : ", ") + json_quoted("bit " + std::to_string(flag_bit_number(fl.bit)) +
                                                 " " + fl.name + ": " + fl.meaning);
        first = false;
      }
      return out + "]";
    };
    item("failure_flags_bits", flag_list(optimizer::failure_flag::kNamed));
    item("warning_flags_bits", flag_list(survey::warning_flag::kNamed));

    std::size_t width = 1;
    for (const auto& l : lines) width = std::max(width, l.size());
    std::vector<char> buf(lines.size() * width, '\0');
    for (std::size_t i = 0; i < lines.size(); ++i)
      std::memcpy(&buf[i * width], lines[i].data(), lines[i].size());
    H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(type.get(), width), "string type");
    check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "string padding");
    const hsize_t n = lines.size();
    H5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    const char* name = "catalog.__table_column_meta__";
    H5Id ds(H5Dcreate2(file, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
    if (!ds.ok()) fail(std::string("creating dataset /") + name);
    check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()),
          std::string("writing dataset /") + name);
  }

  void write_table(hid_t file, const std::vector<CatalogColumn>& columns) const {
    const hsize_t rows = columns.empty() ? 0 : columns.front().size();
    RowLayout layout;
    for (const auto& c : columns) {
      layout.offsets.push_back(layout.row_bytes);
      layout.sizes.push_back(field_bytes(c.kind));
      layout.row_bytes += field_bytes(c.kind);
    }
    // Logical columns: the 8-bit enum {FALSE = 0, TRUE = 1} that h5py reads as numpy bool.
    H5Id bool_type(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
    const std::int8_t no = 0, yes = 1;
    check(H5Tenum_insert(bool_type.get(), "FALSE", &no), "bool type");
    check(H5Tenum_insert(bool_type.get(), "TRUE", &yes), "bool type");
    // `status`: fixed-length, NUL-padded (no trailing spaces: it compares equal to its name).
    H5Id string_type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(string_type.get(), kStatusTextWidth), "string type");
    check(H5Tset_strpad(string_type.get(), H5T_STR_NULLPAD), "string padding");
    std::vector<hid_t> types;
    std::vector<const char*> names;
    for (const auto& c : columns) {
      names.push_back(c.name.c_str());
      switch (c.kind) {
        case ColumnKind::real: types.push_back(H5T_IEEE_F64LE); break;
        case ColumnKind::int64: types.push_back(H5T_STD_I64LE); break;
        case ColumnKind::int32: types.push_back(H5T_STD_I32LE); break;
        case ColumnKind::logical: types.push_back(bool_type.get()); break;
        case ColumnKind::text: types.push_back(string_type.get()); break;
      }
    }
    std::vector<unsigned char> data(rows * layout.row_bytes, 0);
    for (std::size_t j = 0; j < columns.size(); ++j) {
      const CatalogColumn& c = columns[j];
      for (hsize_t r = 0; r < rows; ++r) {
        unsigned char* cell = &data[r * layout.row_bytes + layout.offsets[j]];
        switch (c.kind) {
          case ColumnKind::real: std::memcpy(cell, &c.real[r], 8); break;
          case ColumnKind::int64: std::memcpy(cell, &c.integer[r], 8); break;
          case ColumnKind::int32: {
            const auto v = static_cast<std::int32_t>(c.integer[r]);
            std::memcpy(cell, &v, 4);
            break;
          }
          case ColumnKind::logical: cell[0] = c.integer[r] != 0; break;
          case ColumnKind::text:
            std::memcpy(cell, c.text[r].data(),
                        std::min<std::size_t>(c.text[r].size(), kStatusTextWidth));
            break;
        }
      }
    }
    // The file's types are little-endian; the row buffer is native (x86-64, aarch64: little).
    const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(rows, 4096));
    check(H5TBmake_table("Celeste-K catalog: one row per source", file, "catalog",
                         columns.size(), rows, layout.row_bytes, names.data(),
                         layout.offsets.data(), types.data(), chunk, nullptr, 0,
                         rows ? data.data() : nullptr),
          "creating table /catalog");
    H5Id ds(H5Dopen2(file, "catalog", H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) fail("opening dataset /catalog");
    for (std::size_t j = 0; j < columns.size(); ++j) {
      const std::string field = "FIELD_" + std::to_string(j) + "_";
      write_string_attribute(ds.get(), field + "UNIT", columns[j].unit);
      write_string_attribute(ds.get(), field + "DESCRIPTION", columns[j].description);
    }
    for (const auto& fl : optimizer::failure_flag::kNamed)
      write_string_attribute(ds.get(), "FFLAG" + std::to_string(flag_bit_number(fl.bit)),
                             std::string(fl.name) + ": " + fl.meaning);
    for (const auto& fl : survey::warning_flag::kNamed)
      write_string_attribute(ds.get(), "WFLAG" + std::to_string(flag_bit_number(fl.bit)),
                             std::string(fl.name) + ": " + fl.meaning);
  }

  void write(const std::vector<CatalogColumn>& columns, const OutputProvenance& provenance) const {
    H5Id file(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) fail("cannot create file");
    write_provenance(file.get(), provenance);
    write_table(file.get(), columns);
    write_astropy_meta(file.get(), columns, provenance);
    check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flushing file");
  }

 private:
  std::string path_;
};

}  // namespace

void write_catalog_hdf5_file(const std::string& path, const std::vector<CatalogColumn>& columns,
                             const OutputProvenance& provenance) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not stderr dumps
  Hdf5Writer(path).write(columns, provenance);
}

}  // namespace celeste::io
