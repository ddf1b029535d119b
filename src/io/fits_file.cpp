#include "io/fits_file.hpp"

#include <fitsio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "util/error.hpp"

namespace celeste::io {
namespace {

fitsfile* as_fits(void* p) { return static_cast<fitsfile*>(p); }

// CFITSIO keeps a global error-message stack; reading it empties it, so messages from one
// failure never leak into the next.
std::string drain_error_stack() {
  std::string out;
  char msg[FLEN_ERRMSG];
  while (fits_read_errmsg(msg)) {
    if (!out.empty()) out += "; ";
    out += msg;
  }
  return out;
}

// Why a path cannot be opened, in the operating system's words, or "" if it looks openable.
std::string os_open_problem(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return std::strerror(errno);
  if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return "";
}

}  // namespace

std::string cfitsio_error_text(int status) {
  char text[FLEN_STATUS];
  fits_get_errstatus(status, text);
  std::string out = std::string(text) + " (CFITSIO status " + std::to_string(status) + ")";
  const std::string stack = drain_error_stack();
  if (!stack.empty()) out += " [" + stack + "]";
  return out;
}

FitsFile FitsFile::open_read(const std::string& path) {
  if (path.empty()) throw InputError("(empty file name): cannot open FITS file");
  if (const std::string why = os_open_problem(path); !why.empty())
    throw InputError(path + ": cannot open FITS file: " + why);
  fitsfile* f = nullptr;
  int status = 0;
  // fits_open_diskfile takes the name literally (no "[ext]" syntax) but still recognizes
  // gzip/bzip2-compressed files and decompresses them in memory.
  if (fits_open_diskfile(&f, path.c_str(), READONLY, &status))
    throw InputError(path + ": cannot open as FITS: " + cfitsio_error_text(status));
  return FitsFile(path, f);
}

FitsFile FitsFile::create(const std::string& path) {
  ::unlink(path.c_str());  // fits_create_diskfile refuses to overwrite
  fitsfile* f = nullptr;
  int status = 0;
  if (fits_create_diskfile(&f, path.c_str(), &status))
    throw InputError(path + ": cannot create FITS file: " + cfitsio_error_text(status));
  return FitsFile(path, f);
}

FitsFile::FitsFile(FitsFile&& other) noexcept
    : path_(std::move(other.path_)), fptr_(other.fptr_) {
  other.fptr_ = nullptr;
}

FitsFile& FitsFile::operator=(FitsFile&& other) noexcept {
  if (this != &other) {
    if (fptr_) {
      int status = 0;
      fits_close_file(as_fits(fptr_), &status);
    }
    path_ = std::move(other.path_);
    fptr_ = other.fptr_;
    other.fptr_ = nullptr;
  }
  return *this;
}

FitsFile::~FitsFile() {
  if (fptr_) {
    int status = 0;
    fits_close_file(as_fits(fptr_), &status);
    if (status) drain_error_stack();
  }
}

void FitsFile::close() {
  if (!fptr_) return;
  int status = 0;
  fits_close_file(as_fits(fptr_), &status);
  fptr_ = nullptr;
  if (status)
    throw InputError(path_ + ": cannot finish writing FITS file: " + cfitsio_error_text(status));
}

void FitsFile::fail(const std::string& what, int status) const {
  throw InputError(path_ + ": HDU " + std::to_string(current_hdu()) + ": " + what + ": " +
                   cfitsio_error_text(status));
}

void FitsFile::fail_input(const std::string& what) const {
  throw InputError(path_ + ": HDU " + std::to_string(current_hdu()) + ": " + what);
}

int FitsFile::num_hdus() const {
  int n = 0, status = 0;
  if (fits_get_num_hdus(as_fits(fptr_), &n, &status)) fail("counting HDUs", status);
  return n;
}

int FitsFile::current_hdu() const {
  int n = 0;
  if (!fptr_) return 0;
  fits_get_hdu_num(as_fits(fptr_), &n);
  return n;
}

void FitsFile::move_to(int hdu) {
  int type = 0, status = 0;
  if (fits_movabs_hdu(as_fits(fptr_), hdu, &type, &status)) {
    const int have = [&] {
      int n = 0, st = 0;
      fits_get_num_hdus(as_fits(fptr_), &n, &st);
      return n;
    }();
    throw InputError(path_ + ": HDU " + std::to_string(hdu) + ": cannot move there (the file has " +
                     std::to_string(have) + " HDUs): " + cfitsio_error_text(status));
  }
}

HduKind FitsFile::hdu_kind() const {
  int type = 0, status = 0;
  if (fits_get_hdu_type(as_fits(fptr_), &type, &status)) fail("reading HDU type", status);
  if (type == ASCII_TBL) return HduKind::ascii_table;
  if (type == BINARY_TBL) return HduKind::binary_table;
  return HduKind::image;
}

// ------------------------------------------------------------------------------ keywords

bool FitsFile::has_key(const std::string& key) const {
  char card[FLEN_CARD];
  int status = 0;
  fits_read_card(as_fits(fptr_), key.c_str(), card, &status);
  if (status == KEY_NO_EXIST) {
    drain_error_stack();
    return false;
  }
  if (status) fail("looking up keyword " + key, status);
  return true;
}

double FitsFile::read_double(const std::string& key) const {
  double v = 0;
  int status = 0;
  if (fits_read_key(as_fits(fptr_), TDOUBLE, key.c_str(), &v, nullptr, &status))
    fail(status == KEY_NO_EXIST ? "missing keyword " + key : "reading keyword " + key, status);
  return v;
}

long long FitsFile::read_int(const std::string& key) const {
  LONGLONG v = 0;
  int status = 0;
  if (fits_read_key(as_fits(fptr_), TLONGLONG, key.c_str(), &v, nullptr, &status))
    fail(status == KEY_NO_EXIST ? "missing keyword " + key : "reading keyword " + key, status);
  return v;
}

std::string FitsFile::read_string(const std::string& key) const {
  char v[FLEN_VALUE] = {0};
  int status = 0;
  if (fits_read_key(as_fits(fptr_), TSTRING, key.c_str(), v, nullptr, &status))
    fail(status == KEY_NO_EXIST ? "missing keyword " + key : "reading keyword " + key, status);
  std::string s(v);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::vector<std::string> FitsFile::key_names() const {
  int nkeys = 0, status = 0;
  if (fits_get_hdrspace(as_fits(fptr_), &nkeys, nullptr, &status)) fail("reading header", status);
  std::vector<std::string> names;
  for (int k = 1; k <= nkeys; ++k) {
    char name[FLEN_KEYWORD], value[FLEN_VALUE], comment[FLEN_COMMENT];
    if (fits_read_keyn(as_fits(fptr_), k, name, value, comment, &status))
      fail("reading header card " + std::to_string(k), status);
    names.emplace_back(name);
  }
  return names;
}

void FitsFile::write_key(const std::string& key, double value, const std::string& comment) {
  int status = 0;
  if (fits_update_key_dbl(as_fits(fptr_), key.c_str(), value, -17,
                          comment.empty() ? nullptr : comment.c_str(), &status))
    fail("writing keyword " + key, status);
}

void FitsFile::write_key(const std::string& key, long long value, const std::string& comment) {
  int status = 0;
  LONGLONG v = value;
  if (fits_update_key(as_fits(fptr_), TLONGLONG, key.c_str(), &v,
                      comment.empty() ? nullptr : comment.c_str(), &status))
    fail("writing keyword " + key, status);
}

void FitsFile::write_key(const std::string& key, const std::string& value,
                         const std::string& comment) {
  int status = 0;
  if (fits_update_key_str(as_fits(fptr_), key.c_str(), value.c_str(),
                          comment.empty() ? nullptr : comment.c_str(), &status))
    fail("writing keyword " + key, status);
}

// -------------------------------------------------------------------------------- images

std::vector<long> FitsFile::image_shape() const {
  int naxis = 0, status = 0;
  if (fits_get_img_dim(as_fits(fptr_), &naxis, &status)) fail("reading NAXIS", status);
  std::vector<long> shape(static_cast<std::size_t>(naxis));
  if (naxis > 0 && fits_get_img_size(as_fits(fptr_), naxis, shape.data(), &status))
    fail("reading image size", status);
  return shape;
}

int FitsFile::image_bitpix() const {
  int bitpix = 0, status = 0;
  if (fits_get_img_type(as_fits(fptr_), &bitpix, &status)) fail("reading BITPIX", status);
  return bitpix;
}

namespace {
// Shape checks shared by the float and double readers; returns {width, height}.
std::array<long, 2> checked_image_shape(const FitsFile& f, int allowed_bitpix) {
  if (f.hdu_kind() != HduKind::image) f.fail_input("expected an image HDU, found a table");
  const std::vector<long> shape = f.image_shape();
  if (shape.size() != 2) {
    std::string dims;
    for (long d : shape) dims += (dims.empty() ? "" : " x ") + std::to_string(d);
    f.fail_input("expected a 2-D image, found NAXIS = " + std::to_string(shape.size()) +
                 (dims.empty() ? " (zero-size image, no data)" : " (" + dims + ")"));
  }
  if (shape[0] <= 0 || shape[1] <= 0)
    f.fail_input("zero-size image (" + std::to_string(shape[0]) + " x " +
                 std::to_string(shape[1]) + ")");
  const int bitpix = f.image_bitpix();
  if (allowed_bitpix != 0 && bitpix != allowed_bitpix)
    f.fail_input("image has BITPIX = " + std::to_string(bitpix) + ", expected " +
                 std::to_string(allowed_bitpix));
  return {shape[0], shape[1]};
}

template <class T>
void read_pixels(const FitsFile& f, void* fptr, int datatype, std::vector<T>& data, long width,
                 long height) {
  data.assign(static_cast<std::size_t>(width * height), T(0));
  int status = 0, anynul = 0;
  if (fits_read_img(as_fits(fptr), datatype, 1, static_cast<LONGLONG>(data.size()), nullptr,
                    data.data(), &anynul, &status))
    f.fail("reading " + std::to_string(width) + " x " + std::to_string(height) +
               " image data (truncated file?)",
           status);
}
}  // namespace

FitsImage FitsFile::read_image(int allowed_bitpix) const {
  const auto shape = checked_image_shape(*this, allowed_bitpix);
  FitsImage img;
  img.width = shape[0];
  img.height = shape[1];
  read_pixels(*this, fptr_, TFLOAT, img.data, img.width, img.height);
  return img;
}

FitsImageD FitsFile::read_image_double() const {
  const auto shape = checked_image_shape(*this, 0);
  FitsImageD img;
  img.width = shape[0];
  img.height = shape[1];
  read_pixels(*this, fptr_, TDOUBLE, img.data, img.width, img.height);
  return img;
}

std::vector<double> FitsFile::read_array_double() const {
  if (hdu_kind() != HduKind::image) fail_input("expected an image HDU, found a table");
  long n = 1;
  const std::vector<long> shape = image_shape();
  for (long d : shape) n *= d;
  if (shape.empty() || n <= 0) fail_input("zero-size array (NAXIS = " + std::to_string(shape.size()) + ")");
  std::vector<double> data(static_cast<std::size_t>(n));
  int status = 0, anynul = 0;
  if (fits_read_img(as_fits(fptr_), TDOUBLE, 1, n, nullptr, data.data(), &anynul, &status))
    fail("reading " + std::to_string(n) + " array values (truncated file?)", status);
  return data;
}

void FitsFile::append_image(long width, long height, const std::vector<float>& data) {
  if (static_cast<long>(data.size()) != width * height)
    fail_input("internal: image data size does not match " + std::to_string(width) + " x " +
               std::to_string(height));
  long naxes[2] = {width, height};
  int status = 0;
  if (fits_create_img(as_fits(fptr_), FLOAT_IMG, 2, naxes, &status))
    fail("creating image HDU", status);
  if (!data.empty() &&
      fits_write_img(as_fits(fptr_), TFLOAT, 1, static_cast<LONGLONG>(data.size()),
                     const_cast<float*>(data.data()), &status))
    fail("writing image data", status);
}

void FitsFile::append_image(long width, long height, const std::vector<double>& data) {
  if (static_cast<long>(data.size()) != width * height)
    fail_input("internal: image data size does not match " + std::to_string(width) + " x " +
               std::to_string(height));
  long naxes[2] = {width, height};
  int status = 0;
  if (fits_create_img(as_fits(fptr_), DOUBLE_IMG, 2, naxes, &status))
    fail("creating image HDU", status);
  if (!data.empty() &&
      fits_write_img(as_fits(fptr_), TDOUBLE, 1, static_cast<LONGLONG>(data.size()),
                     const_cast<double*>(data.data()), &status))
    fail("writing image data", status);
}

// -------------------------------------------------------------------------------- tables

long FitsFile::num_rows() const {
  long n = 0;
  int status = 0;
  if (fits_get_num_rows(as_fits(fptr_), &n, &status)) fail("reading NAXIS2 (row count)", status);
  return n;
}

bool FitsFile::has_column(const std::string& name) const {
  int col = 0, status = 0;
  fits_get_colnum(as_fits(fptr_), CASEINSEN, const_cast<char*>(name.c_str()), &col, &status);
  drain_error_stack();
  return status == 0;
}

int FitsFile::column_number(const std::string& name) const {
  int col = 0, status = 0;
  if (fits_get_colnum(as_fits(fptr_), CASEINSEN, const_cast<char*>(name.c_str()), &col, &status))
    fail("missing column " + name, status);
  return col;
}

long FitsFile::column_repeat(const std::string& name) const {
  int type = 0, status = 0;
  long repeat = 0, width = 0;
  if (fits_get_coltype(as_fits(fptr_), column_number(name), &type, &repeat, &width, &status))
    fail("reading type of column " + name, status);
  return repeat;
}

bool FitsFile::column_is_variable(const std::string& name) const {
  int type = 0, status = 0;
  long repeat = 0, width = 0;
  if (fits_get_coltype(as_fits(fptr_), column_number(name), &type, &repeat, &width, &status))
    fail("reading type of column " + name, status);
  return type < 0;
}

std::vector<long> FitsFile::column_dims(const std::string& name) const {
  int naxis = 0, status = 0;
  long dims[8] = {0};
  if (fits_read_tdim(as_fits(fptr_), column_number(name), 8, &naxis, dims, &status))
    fail("reading TDIM of column " + name, status);
  return std::vector<long>(dims, dims + naxis);
}

std::vector<double> FitsFile::read_column_double(const std::string& name) const {
  const int col = column_number(name);
  const long rows = num_rows();
  // Vector (or variable-length) cells: element 1 of each row; scalar cells: one call.
  const bool scalar = !column_is_variable(name) && column_repeat(name) <= 1;
  std::vector<double> out(static_cast<std::size_t>(rows));
  int status = 0, anynul = 0;
  double nan = std::numeric_limits<double>::quiet_NaN();
  if (scalar) {
    if (rows > 0 && fits_read_col(as_fits(fptr_), TDOUBLE, col, 1, 1, rows, &nan, out.data(),
                                  &anynul, &status))
      fail("reading column " + name + " (truncated file?)", status);
    return out;
  }
  for (long r = 0; r < rows; ++r)
    if (fits_read_col(as_fits(fptr_), TDOUBLE, col, r + 1, 1, 1, &nan, &out[r], &anynul, &status))
      fail("reading column " + name + " (truncated file?)", status);
  return out;
}

std::vector<long long> FitsFile::read_column_int(const std::string& name) const {
  const int col = column_number(name);
  const long rows = num_rows();
  const long repeat = column_repeat(name);
  std::vector<long long> out(static_cast<std::size_t>(rows));
  int status = 0, anynul = 0;
  for (long r = 0; r < rows; ++r) {
    // One row at a time when cells hold vectors (take element 1); one call otherwise.
    if (repeat > 1) {
      LONGLONG v = 0;
      if (fits_read_col(as_fits(fptr_), TLONGLONG, col, r + 1, 1, 1, nullptr, &v, &anynul,
                        &status))
        fail("reading column " + name, status);
      out[r] = v;
    } else {
      if (fits_read_col(as_fits(fptr_), TLONGLONG, col, 1, 1, rows, nullptr, out.data(), &anynul,
                        &status))
        fail("reading column " + name, status);
      break;
    }
  }
  return out;
}

std::vector<std::string> FitsFile::read_column_string(const std::string& name) const {
  const int col = column_number(name);
  const long rows = num_rows();
  int width = 0, status = 0;
  if (fits_get_col_display_width(as_fits(fptr_), col, &width, &status))
    fail("reading width of column " + name, status);
  std::vector<std::string> out;
  std::vector<char> buf(static_cast<std::size_t>(width) + 1);
  for (long r = 1; r <= rows; ++r) {
    char* p = buf.data();
    int anynul = 0;
    if (fits_read_col_str(as_fits(fptr_), col, r, 1, 1, const_cast<char*>(""), &p, &anynul,
                          &status))
      fail("reading column " + name, status);
    std::string s(p);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out.push_back(s);
  }
  return out;
}

std::vector<bool> FitsFile::read_column_logical(const std::string& name) const {
  const int col = column_number(name);
  const long rows = num_rows();
  std::vector<char> raw(static_cast<std::size_t>(rows));
  int status = 0, anynul = 0;
  for (long r = 0; r < rows; ++r) {
    char v = 0;
    if (fits_read_col(as_fits(fptr_), TLOGICAL, col, r + 1, 1, 1, nullptr, &v, &anynul, &status))
      fail("reading column " + name, status);
    raw[r] = v;
  }
  return std::vector<bool>(raw.begin(), raw.end());
}

std::vector<double> FitsFile::read_cell_double(const std::string& name, long row) const {
  const int col = column_number(name);
  int status = 0, anynul = 0;
  long n = 0;
  if (column_is_variable(name)) {
    long offset = 0;
    if (fits_read_descript(as_fits(fptr_), col, row, &n, &offset, &status))
      fail("reading descriptor of column " + name + " row " + std::to_string(row), status);
  } else {
    n = column_repeat(name);
  }
  std::vector<double> out(static_cast<std::size_t>(n));
  if (n > 0 && fits_read_col(as_fits(fptr_), TDOUBLE, col, row, 1, n, nullptr, out.data(), &anynul,
                             &status))
    fail("reading column " + name + " row " + std::to_string(row) + " (truncated file?)", status);
  return out;
}

std::vector<double> FitsFile::read_vector_column_double(const std::string& name) const {
  const int col = column_number(name);
  if (column_is_variable(name)) fail_input("column " + name + " is variable-length, expected fixed");
  const long rows = num_rows();
  const long repeat = column_repeat(name);
  std::vector<double> out(static_cast<std::size_t>(rows * repeat));
  int status = 0, anynul = 0;
  if (!out.empty() && fits_read_col(as_fits(fptr_), TDOUBLE, col, 1, 1,
                                    static_cast<LONGLONG>(out.size()), nullptr, out.data(),
                                    &anynul, &status))
    fail("reading column " + name + " (truncated file?)", status);
  return out;
}

void FitsFile::append_table(const std::string& extname,
                            const std::vector<TableColumnSpec>& columns, long rows) {
  std::vector<char*> ttype, tform, tunit;
  for (const auto& c : columns) {
    ttype.push_back(const_cast<char*>(c.name.c_str()));
    tform.push_back(const_cast<char*>(c.form.c_str()));
    tunit.push_back(const_cast<char*>(c.unit.c_str()));
  }
  int status = 0;
  if (fits_create_tbl(as_fits(fptr_), BINARY_TBL, rows, static_cast<int>(columns.size()),
                      ttype.data(), tform.data(), tunit.data(), extname.c_str(), &status))
    fail("creating binary table " + extname, status);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].disp.empty()) continue;
    write_key("TDISP" + std::to_string(i + 1), columns[i].disp);
  }
}

void FitsFile::write_column(int colnum, const std::vector<double>& values) {
  int status = 0;
  if (!values.empty() &&
      fits_write_col(as_fits(fptr_), TDOUBLE, colnum, 1, 1, static_cast<LONGLONG>(values.size()),
                     const_cast<double*>(values.data()), &status))
    fail("writing column " + std::to_string(colnum), status);
}

void FitsFile::write_column(int colnum, const std::vector<long long>& values) {
  int status = 0;
  std::vector<LONGLONG> v(values.begin(), values.end());
  if (!v.empty() && fits_write_col(as_fits(fptr_), TLONGLONG, colnum, 1, 1,
                                   static_cast<LONGLONG>(v.size()), v.data(), &status))
    fail("writing column " + std::to_string(colnum), status);
}

void FitsFile::write_column(int colnum, const std::vector<std::string>& values) {
  int status = 0;
  std::vector<char*> p;
  for (const auto& s : values) p.push_back(const_cast<char*>(s.c_str()));
  if (!p.empty() && fits_write_col_str(as_fits(fptr_), colnum, 1, 1,
                                       static_cast<LONGLONG>(p.size()), p.data(), &status))
    fail("writing column " + std::to_string(colnum), status);
}

void FitsFile::write_column_logical(int colnum, const std::vector<bool>& values) {
  int status = 0;
  std::vector<char> v(values.begin(), values.end());
  if (!v.empty() && fits_write_col(as_fits(fptr_), TLOGICAL, colnum, 1, 1,
                                   static_cast<LONGLONG>(v.size()), v.data(), &status))
    fail("writing column " + std::to_string(colnum), status);
}

}  // namespace celeste::io
