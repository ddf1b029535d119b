#include "score/fits_table.hpp"

#include <fitsio.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "util/error.hpp"

namespace celeste::score {

namespace {

fitsfile* as_fits(void* p) { return static_cast<fitsfile*>(p); }

std::string status_text(int status) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  std::string out = text;
  char message[FLEN_ERRMSG] = {0};
  std::string stack;
  while (fits_read_errmsg(message)) {
    if (!stack.empty()) stack += "; ";
    stack += message;
  }
  if (!stack.empty()) out += " [" + stack + "]";
  return out;
}

}  // namespace

FitsTableReader::FitsTableReader(const std::string& path) : path_(path) {
  int status = 0;
  fitsfile* f = nullptr;
  if (fits_open_file(&f, path.c_str(), READONLY, &status)) {
    throw InputError(path + ": cannot open FITS file: " + status_text(status));
  }
  fptr_ = f;
  int num_hdus = 0;
  fits_get_num_hdus(f, &num_hdus, &status);
  for (int hdu = 1; hdu <= num_hdus && status == 0; ++hdu) {
    int type = 0;
    fits_movabs_hdu(f, hdu, &type, &status);
    if (status == 0 && type == BINARY_TBL) {
      fits_get_num_rows(f, &rows_, &status);
      if (status) fail("cannot read the table size: " + status_text(status));
      return;
    }
  }
  if (status) fail("cannot read HDUs: " + status_text(status));
  fail("no binary table HDU (expected a FITS catalog table)");
}

FitsTableReader::~FitsTableReader() {
  int status = 0;
  if (fptr_) fits_close_file(as_fits(fptr_), &status);
}

void FitsTableReader::fail(const std::string& what) const { throw InputError(path_ + ": " + what); }

bool FitsTableReader::has_column(const std::string& name) const {
  int status = 0, colnum = 0;
  std::string templ = name;  // fits_get_colnum wants a mutable template; exact, no wildcards
  fits_get_colnum(as_fits(fptr_), CASEINSEN, templ.data(), &colnum, &status);
  fits_clear_errmsg();
  return status == 0;
}

int FitsTableReader::column_number(const std::string& name) const {
  if (!has_column(name)) fail("missing column '" + name + "'");
  int status = 0, colnum = 0;
  std::string templ = name;
  fits_get_colnum(as_fits(fptr_), CASEINSEN, templ.data(), &colnum, &status);
  return colnum;
}

std::vector<double> FitsTableReader::read_double(const std::string& name) const {
  const int col = column_number(name);
  std::vector<double> out(static_cast<std::size_t>(rows_));
  if (rows_ == 0) return out;
  int status = 0, typecode = 0;
  long repeat = 0, width = 0;
  fits_get_coltype(as_fits(fptr_), col, &typecode, &repeat, &width, &status);
  if (status) fail("column '" + name + "': " + status_text(status));
  if (typecode == TLOGICAL) {
    // Logical cells (T/F) read as 0/1; an undefined cell is NaN.
    for (long row = 1; row <= rows_; ++row) {
      char value = 0, undefined = 0;
      int anynul = 0;
      fits_read_colnull(as_fits(fptr_), TLOGICAL, col, row, 1, 1, &value, &undefined, &anynul,
                        &status);
      if (status) fail("column '" + name + "': " + status_text(status));
      out[static_cast<std::size_t>(row - 1)] =
          undefined ? std::numeric_limits<double>::quiet_NaN() : (value ? 1.0 : 0.0);
    }
    return out;
  }
  if (typecode == TSTRING) fail("column '" + name + "' is text, expected a number");
  double nan = std::numeric_limits<double>::quiet_NaN();
  int anynul = 0;
  if (repeat == 1) {
    fits_read_col(as_fits(fptr_), TDOUBLE, col, 1, 1, rows_, &nan, out.data(), &anynul, &status);
  } else {
    for (long row = 1; row <= rows_ && status == 0; ++row)
      fits_read_col(as_fits(fptr_), TDOUBLE, col, row, 1, 1, &nan,
                    &out[static_cast<std::size_t>(row - 1)], &anynul, &status);
  }
  if (status) fail("column '" + name + "': " + status_text(status));
  return out;
}

std::vector<std::int64_t> FitsTableReader::read_int64(const std::string& name,
                                                      std::int64_t null_value) const {
  const int col = column_number(name);
  std::vector<LONGLONG> raw(static_cast<std::size_t>(rows_));
  if (rows_ == 0) return {};
  int status = 0, anynul = 0;
  LONGLONG null = null_value;
  fits_read_col(as_fits(fptr_), TLONGLONG, col, 1, 1, rows_, &null, raw.data(), &anynul, &status);
  if (status) fail("column '" + name + "': " + status_text(status));
  return std::vector<std::int64_t>(raw.begin(), raw.end());
}

std::vector<double> FitsTableReader::read_vector(const std::string& name, long width) const {
  const int col = column_number(name);
  int status = 0, typecode = 0;
  long repeat = 0, byte_width = 0;
  fits_get_coltype(as_fits(fptr_), col, &typecode, &repeat, &byte_width, &status);
  if (status) fail("column '" + name + "': " + status_text(status));
  if (repeat != width)
    fail("column '" + name + "' has " + std::to_string(repeat) + " elements per row, expected " +
         std::to_string(width));
  std::vector<double> out(static_cast<std::size_t>(rows_ * width));
  if (rows_ == 0) return out;
  double nan = std::numeric_limits<double>::quiet_NaN();
  int anynul = 0;
  fits_read_col(as_fits(fptr_), TDOUBLE, col, 1, 1, rows_ * width, &nan, out.data(), &anynul,
                &status);
  if (status) fail("column '" + name + "': " + status_text(status));
  return out;
}

FitsTableWriter::FitsTableWriter(const std::string& path, const std::string& extname,
                                 const std::vector<FitsColumnSpec>& columns, long rows)
    : path_(path), columns_(columns), rows_(rows) {
  int status = 0;
  fitsfile* f = nullptr;
  std::remove(path.c_str());
  // fits_create_diskfile takes the name literally (no "!" or bracket syntax).
  if (fits_create_diskfile(&f, path.c_str(), &status)) fail("cannot create FITS file", status);
  fptr_ = f;
  std::vector<std::string> names, forms, units;
  for (const auto& c : columns) {
    names.push_back(c.name);
    forms.push_back(c.form);
    units.push_back(c.unit);
  }
  std::vector<char*> ttype, tform, tunit;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    ttype.push_back(names[i].data());
    tform.push_back(forms[i].data());
    tunit.push_back(units[i].data());
  }
  std::string ext = extname;
  fits_create_img(f, BYTE_IMG, 0, nullptr, &status);
  fits_create_tbl(f, BINARY_TBL, rows, static_cast<int>(columns.size()), ttype.data(),
                  tform.data(), tunit.data(), ext.data(), &status);
  if (status) fail("cannot create table " + extname, status);
}

FitsTableWriter::~FitsTableWriter() {
  int status = 0;
  if (fptr_) fits_close_file(as_fits(fptr_), &status);
}

void FitsTableWriter::fail(const std::string& what, int status) const {
  throw InputError(path_ + ": " + what + ": " + status_text(status));
}

int FitsTableWriter::column_number(const std::string& name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return static_cast<int>(i) + 1;
  throw InputError(path_ + ": internal: no column '" + name + "' in the table being written");
}

void FitsTableWriter::write_double(const std::string& name, const std::vector<double>& values) {
  const int col = column_number(name);
  if (values.empty()) return;
  int status = 0;
  std::vector<double> copy = values;  // CFITSIO's API is not const-correct
  fits_write_col(as_fits(fptr_), TDOUBLE, col, 1, 1, static_cast<LONGLONG>(copy.size()),
                 copy.data(), &status);
  if (status) fail("cannot write column '" + name + "'", status);
}

void FitsTableWriter::write_int64(const std::string& name,
                                  const std::vector<std::int64_t>& values) {
  const int col = column_number(name);
  if (values.empty()) return;
  int status = 0;
  std::vector<LONGLONG> copy(values.begin(), values.end());
  fits_write_col(as_fits(fptr_), TLONGLONG, col, 1, 1, static_cast<LONGLONG>(copy.size()),
                 copy.data(), &status);
  if (status) fail("cannot write column '" + name + "'", status);
}

void FitsTableWriter::set_integer_null(const std::string& name, std::int64_t null_value) {
  const int col = column_number(name);
  int status = 0;
  const std::string key = "TNULL" + std::to_string(col);
  LONGLONG value = null_value;
  fits_update_key(as_fits(fptr_), TLONGLONG, key.c_str(), &value, nullptr, &status);
  fits_set_btblnull(as_fits(fptr_), col, value, &status);
  if (status) fail("cannot set TNULL of column '" + name + "'", status);
}

void FitsTableWriter::close() {
  int status = 0;
  fitsfile* f = as_fits(fptr_);
  fptr_ = nullptr;
  if (f && fits_close_file(f, &status)) fail("cannot close (write) the file", status);
}

}  // namespace celeste::score
