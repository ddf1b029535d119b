#pragma once
// The scorer's own small CFITSIO binary-table access: read columns by name from the first
// binary table of a file, and write a fresh one-table file. The scorer reads three kinds of
// FITS tables (coadd truth, our output catalog, the generic initial catalog) and writes one
// (coadd truth); this keeps those readers independent of the survey I/O code, which is being
// written concurrently. Every failure throws celeste::InputError naming the file (and the
// column) and CFITSIO's reason.
#include <cstdint>
#include <string>
#include <vector>

namespace celeste::score {

class FitsTableReader {
 public:
  // Opens `path` read-only and moves to its first binary-table HDU.
  explicit FitsTableReader(const std::string& path);
  ~FitsTableReader();
  FitsTableReader(const FitsTableReader&) = delete;
  FitsTableReader& operator=(const FitsTableReader&) = delete;

  const std::string& path() const { return path_; }
  long num_rows() const { return rows_; }
  bool has_column(const std::string& name) const;  // exact name, case-insensitive

  // Scalar column (first element of each cell) as double. Integer nulls (TNULL) and
  // floating NaNs both come back as NaN. Logical columns read as 0/1.
  std::vector<double> read_double(const std::string& name) const;
  // Integer column as int64 (nulls come back as `null_value`).
  std::vector<std::int64_t> read_int64(const std::string& name,
                                       std::int64_t null_value = 0) const;
  // Fixed-size vector column with exactly `width` elements per cell, row-major.
  std::vector<double> read_vector(const std::string& name, long width) const;

  // Throws InputError "<file>: <what>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  int column_number(const std::string& name) const;  // throws naming the missing column
  std::string path_;
  void* fptr_ = nullptr;  // fitsfile*
  long rows_ = 0;
};

// One column of a table to write: TTYPE and TFORM ("1D", "1E", "1K", "1I", "1B", "5D").
struct FitsColumnSpec {
  std::string name;
  std::string form;
  std::string unit;  // "" = none
};

class FitsTableWriter {
 public:
  // Creates (overwrites) `path` with an empty primary HDU and one binary table `extname`.
  FitsTableWriter(const std::string& path, const std::string& extname,
                  const std::vector<FitsColumnSpec>& columns, long rows);
  ~FitsTableWriter();  // closes without throwing if close() was not called
  FitsTableWriter(const FitsTableWriter&) = delete;
  FitsTableWriter& operator=(const FitsTableWriter&) = delete;

  // Writes all rows of column `name` (values converted to the column's TFORM by CFITSIO).
  void write_double(const std::string& name, const std::vector<double>& values);
  void write_int64(const std::string& name, const std::vector<std::int64_t>& values);
  // Integer column with TNULL set to `null_value` (as in the CasJobs coadd extracts).
  void set_integer_null(const std::string& name, std::int64_t null_value);
  // Flushes and closes; the file is complete only after this returns.
  void close();

 private:
  int column_number(const std::string& name) const;
  [[noreturn]] void fail(const std::string& what, int status) const;
  std::string path_;
  std::vector<FitsColumnSpec> columns_;
  long rows_ = 0;
  void* fptr_ = nullptr;
};

}  // namespace celeste::score
