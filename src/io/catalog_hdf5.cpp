// HDF5 side of io/catalog_output.hpp (HDF5 C API): group /catalog, one 1-D dataset per column,
// string attributes "units" and "description" on each.
#include <hdf5.h>

#include <cstdint>
#include <cstring>

#include "io/catalog_output.hpp"
#include "util/error.hpp"

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

class Hdf5Writer {
 public:
  explicit Hdf5Writer(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": HDF5: " + what + ": " + hdf5_error_text());
  }
  void check(herr_t rc, const std::string& what) const {
    if (rc < 0) fail(what);
  }

  void write_string_attribute(hid_t obj, const char* name, const std::string& value) const {
    H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1)), "string type");
    check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "string padding");
    H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
    H5Id attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.ok()) fail(std::string("creating attribute ") + name);
    std::string buf = value.empty() ? std::string(1, '\0') : value;
    check(H5Awrite(attr.get(), type.get(), buf.data()), std::string("writing attribute ") + name);
  }

  void write_column(hid_t group, const CatalogColumn& c) const {
    const hsize_t n = c.size();
    H5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    hid_t file_type = -1, mem_type = -1;
    H5Id string_type(H5Tcopy(H5T_C_S1), H5Tclose);
    // Logical columns: the 8-bit enum {FALSE = 0, TRUE = 1} that h5py reads as numpy bool.
    H5Id bool_type(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
    std::int8_t f = 0, t = 1;
    H5Tenum_insert(bool_type.get(), "FALSE", &f);
    H5Tenum_insert(bool_type.get(), "TRUE", &t);
    std::vector<std::int32_t> i32;
    std::vector<std::int8_t> i8;
    std::vector<char> text;
    const void* data = nullptr;
    switch (c.kind) {
      case ColumnKind::real:
        file_type = H5T_IEEE_F64LE, mem_type = H5T_NATIVE_DOUBLE, data = c.real.data();
        break;
      case ColumnKind::int64:
        file_type = H5T_STD_I64LE, mem_type = H5T_NATIVE_INT64, data = c.integer.data();
        break;
      case ColumnKind::int32:
        i32.assign(c.integer.begin(), c.integer.end());
        file_type = H5T_STD_I32LE, mem_type = H5T_NATIVE_INT32, data = i32.data();
        break;
      case ColumnKind::logical:
        for (auto v : c.integer) i8.push_back(v != 0);
        file_type = mem_type = bool_type.get(), data = i8.data();
        break;
      case ColumnKind::text:
        check(H5Tset_size(string_type.get(), kStatusTextWidth), "string type");
        check(H5Tset_strpad(string_type.get(), H5T_STR_NULLPAD), "string padding");
        text.assign(n * kStatusTextWidth, '\0');
        for (hsize_t r = 0; r < n; ++r)
          std::memcpy(&text[r * kStatusTextWidth], c.text[r].data(),
                      std::min<std::size_t>(c.text[r].size(), kStatusTextWidth));
        file_type = mem_type = string_type.get(), data = text.data();
        break;
    }
    H5Id ds(H5Dcreate2(group, c.name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT),
            H5Dclose);
    if (!ds.ok()) fail("creating dataset /catalog/" + c.name);
    if (n > 0)
      check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
            "writing dataset /catalog/" + c.name);
    write_string_attribute(ds.get(), "units", c.unit);
    write_string_attribute(ds.get(), "description", c.description);
  }

  void write(const std::vector<CatalogColumn>& columns, const OutputProvenance& provenance) const {
    H5Id file(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) fail("cannot create file");
    if (!provenance.run_id.empty()) write_string_attribute(file.get(), "run_id", provenance.run_id);
    H5Id group(H5Gcreate2(file.get(), "catalog", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose);
    if (!group.ok()) fail("creating group /catalog");
    write_string_attribute(group.get(), "origin", "Celeste-K");
    write_string_attribute(group.get(), "description",
                           "one row per source; columns documented in docs/io.md");
    for (const auto& c : columns) write_column(group.get(), c);
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
