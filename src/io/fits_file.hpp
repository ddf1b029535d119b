#pragma once
// A small RAII wrapper over CFITSIO. Every failure throws celeste::InputError whose message
// names the file, the HDU (CFITSIO's 1-based numbering), what was being done, CFITSIO's own
// status text and its drained error stack:
//   "<file>: HDU <n>: <what>: <status text> [<error stack>]"
// fitsio.h stays out of this header; the handle is an opaque pointer.
//
// Reading goes through fits_open_diskfile (the name is literal, no "[ext]" syntax), which still
// recognizes compressed files (.fits.bz2, .fit.gz) and opens them directly.
// Writing uses fits_create_diskfile (no extended-filename parsing, so any file name is literal)
// and is meant for temporary files that the caller renames into place (io/atomic_file.hpp).
#include <memory>
#include <string>
#include <vector>

namespace celeste::io {

enum class HduKind { image, ascii_table, binary_table };

struct FitsImage {
  long width = 0;   // NAXIS1
  long height = 0;  // NAXIS2
  std::vector<float> data;  // index (y - 1) * width + (x - 1), FITS storage order
};

struct FitsImageD {
  long width = 0;
  long height = 0;
  std::vector<double> data;
};

// One column of a binary table to create.
struct TableColumnSpec {
  std::string name;  // TTYPE
  std::string form;  // TFORM, e.g. "1D", "1K", "6A", "1V"
  std::string unit;  // TUNIT ("" = none)
  std::string disp;  // TDISP ("" = none)
};

class FitsFile {
 public:
  static FitsFile open_read(const std::string& path);
  // The primary HDU's header only (keywords and the image's shape; no data can be read): for a
  // bzip2-compressed file only the leading blocks up to the header's END card are decompressed
  // (libbz2, streaming), where open_read decompresses the whole file. Other files: open_read.
  // For the image index, which needs every frame's WCS before any pixels.
  static FitsFile open_primary_header(const std::string& path);
  // Creates (overwrites) a plain disk file for writing.
  static FitsFile create(const std::string& path);

  FitsFile(FitsFile&& other) noexcept;
  FitsFile& operator=(FitsFile&& other) noexcept;
  FitsFile(const FitsFile&) = delete;
  FitsFile& operator=(const FitsFile&) = delete;
  ~FitsFile();  // closes without throwing; call close() to see write errors

  const std::string& path() const { return path_; }
  int num_hdus() const;
  int current_hdu() const;  // 1-based
  void move_to(int hdu);    // 1-based, as fits_movabs_hdu
  HduKind hdu_kind() const;

  // Header keywords of the current HDU.
  bool has_key(const std::string& key) const;
  double read_double(const std::string& key) const;
  long long read_int(const std::string& key) const;
  // An integer keyword checked to lie in [lo, hi] before it is narrowed (util/checked_int.hpp);
  // InputError naming the keyword, its value and the range otherwise.
  int read_int_in(const std::string& key, long long lo, long long hi) const;
  std::string read_string(const std::string& key) const;
  void write_key(const std::string& key, double value, const std::string& comment = "");
  void write_key(const std::string& key, long long value, const std::string& comment = "");
  void write_key(const std::string& key, int value, const std::string& comment = "") {
    write_key(key, static_cast<long long>(value), comment);
  }
  void write_key(const std::string& key, const std::string& value,
                 const std::string& comment = "");
  void write_key(const std::string& key, const char* value, const std::string& comment = "") {
    write_key(key, std::string(value), comment);
  }

  // Images. read_image requires a 2-D image (NAXIS = 2, both axes > 0) of any BITPIX and
  // converts it to float; `allowed_bitpix` (0 = any) rejects other storage types.
  std::vector<long> image_shape() const;
  int image_bitpix() const;
  FitsImage read_image(int allowed_bitpix = 0) const;
  FitsImageD read_image_double() const;  // the same checks, converted to double
  // Every value of an image HDU of any dimension (e.g. a 1-D vector), as double.
  std::vector<double> read_array_double() const;
  // Appends a float32 image HDU holding `data` (width x height, FITS storage order).
  void append_image(long width, long height, const std::vector<float>& data);
  // Appends a float64 image HDU (for calibration/sky maps that must round-trip exactly).
  void append_image(long width, long height, const std::vector<double>& data);

  // Binary tables (current HDU).
  long num_rows() const;
  bool has_column(const std::string& name) const;
  int column_number(const std::string& name) const;  // case-insensitive, exact name
  long column_repeat(const std::string& name) const;  // elements per cell (fixed-size)
  bool column_is_variable(const std::string& name) const;
  std::vector<long> column_dims(const std::string& name) const;  // TDIM (or {repeat})
  // Scalar columns (the first element of each cell), all rows.
  std::vector<double> read_column_double(const std::string& name) const;
  std::vector<long long> read_column_int(const std::string& name) const;
  // Integer column with every value checked in [lo, hi] (InputError naming column, row, value).
  std::vector<int> read_column_int_in(const std::string& name, long long lo, long long hi) const;
  std::vector<std::string> read_column_string(const std::string& name) const;
  std::vector<bool> read_column_logical(const std::string& name) const;
  // Every element of one cell (1-based row); works for vector, TDIM and variable-length cells.
  std::vector<double> read_cell_double(const std::string& name, long row) const;
  // All cells of a fixed-size vector column, row-major [row][element].
  std::vector<double> read_vector_column_double(const std::string& name) const;

  // Appends a binary table HDU with the given columns and `rows` rows.
  void append_table(const std::string& extname, const std::vector<TableColumnSpec>& columns,
                    long rows);
  void write_column(int colnum, const std::vector<double>& values);
  void write_column(int colnum, const std::vector<long long>& values);
  void write_column(int colnum, const std::vector<std::string>& values);
  void write_column_logical(int colnum, const std::vector<bool>& values);
  // A string column padded with NULs instead of CFITSIO's spaces (both are FITS; astropy keeps
  // trailing spaces, so a space-padded "converged" does not compare equal to 'converged').
  void write_column_nul_padded(int colnum, const std::vector<std::string>& values);

  // A string keyword of any length: the long-string convention (CONTINUE cards and the LONGSTRN
  // keyword announcing it, written once per HDU), which astropy and fitsio read whole.
  void write_long_string(const std::string& key, const std::string& value,
                         const std::string& comment = "");
  // HISTORY and COMMENT cards; text longer than a card continues on the next ones.
  void write_history(const std::string& text);
  void write_comment(const std::string& text);
  // CHECKSUM and DATASUM of the current HDU (fits_write_chksum): the last write to an HDU.
  void write_checksum();

  // Every keyword name of the current HDU, in header order.
  std::vector<std::string> key_names() const;
  // The current HDU's header as consecutive 80-character keyrecords, COMMENT and HISTORY
  // left out (what WCSLIB's header parser reads).
  std::string header_keyrecords() const;
  // Writes one whole 80-character keyrecord, replacing a keyrecord with the same keyword
  // (COMMENT and HISTORY are appended).
  void write_keyrecord(const std::string& card);

  // Flushes and closes, throwing on failure (a file is complete only after this returns).
  void close();

  // "<file>: HDU <n>: <what>: <status text> [<stack>]" (drains CFITSIO's error stack).
  [[noreturn]] void fail(const std::string& what, int status) const;
  // The raw value text of a keyword ("'abc     '", "1.5E3", "T"); InputError when absent.
  std::string read_keyword_value(const std::string& key) const;
  // The same prefix without a CFITSIO status, for errors found by this code; `item` (keyword,
  // column) and `value` go into the error's site (util/error.hpp).
  [[noreturn]] void fail_input(const std::string& what, const std::string& item = "",
                               const std::string& value = "") const;
  // Bytes of the current HDU's data (and heap): what any count read from it must fit in.
  long long data_bytes() const;

 private:
  FitsFile(std::string path, void* handle) : path_(std::move(path)), fptr_(handle) {}
  std::string path_;
  void* fptr_ = nullptr;  // fitsfile*
  // open_primary_header: the decompressed header blocks CFITSIO reads as a memory file (its
  // buffer pointer and size live here, at a stable address, while the file is open).
  struct MemoryFile {
    std::vector<char> bytes;
    void* data = nullptr;
    std::size_t size = 0;
  };
  std::unique_ptr<MemoryFile> memory_;
};

// CFITSIO's status text plus its drained error stack, "<text> [<msg>; <msg>]".
std::string cfitsio_error_text(int status);

}  // namespace celeste::io
