#include "io/fits_file.hpp"

#include <bzlib.h>

#include <fitsio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include "util/checked_int.hpp"
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

namespace {

// The compression CFITSIO recognizes by a file's first bytes ("" = none).
std::string compression_of(const std::string& path) {
  unsigned char magic[4] = {0, 0, 0, 0};
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) return "";
  const std::size_t n = std::fread(magic, 1, sizeof magic, fp);
  std::fclose(fp);
  if (n >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') return "bzip2";
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return "gzip";
  if (n >= 2 && magic[0] == 0x1f && (magic[1] == 0x9d || magic[1] == 0xa0)) return "compress";
  if (n >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) return "zip";
  return "";
}

std::string corrupt_compressed(const std::string& path, const std::string& compression) {
  return path + ": the " + compression +
         "-compressed file is corrupt or truncated: it cannot be decompressed completely";
}

// Every HDU's header and data must lie inside the file: CFITSIO stops counting HDUs at the
// first header it cannot read and reads data lazily, so a truncated file (or a compressed file
// whose stream breaks off) would otherwise look like a shorter valid file, and a header could
// claim gigabytes of data that the readers would allocate before finding out.
void check_structure(fitsfile* f, const std::string& path, const std::string& compression) {
  int n = 0, status = 0;
  if (fits_get_num_hdus(f, &n, &status) || n < 1) {
    drain_error_stack();
    throw InputError(compression.empty() ? path + ": cannot read the FITS HDU structure"
                                         : corrupt_compressed(path, compression),
                     {path, 0, 0, "", ""});
  }
  const LONGLONG size = f->Fptr->logfilesize;  // bytes, after decompression
  int type = 0;
  LONGLONG head = 0, data = 0, end = 0;
  if (fits_movabs_hdu(f, n, &type, &status) ||
      fits_get_hduaddrll(f, &head, &data, &end, &status)) {
    drain_error_stack();
    throw InputError(path + ": HDU " + std::to_string(n) + ": cannot read its header",
                     {path, n, 0, "", ""});
  }
  if (end > size) {
    const std::string what =
        compression.empty()
            ? path + ": the file is truncated: HDU " + std::to_string(n) +
                  "'s header promises data up to byte " + std::to_string(end) +
                  ", the file has " + std::to_string(size) + " bytes"
            : corrupt_compressed(path, compression) + " (HDU " + std::to_string(n) +
                  " needs " + std::to_string(end) + " bytes, the stream gives " +
                  std::to_string(size) + ")";
    throw InputError(what, {path, n, 0, "", std::to_string(size)});
  }
  // Bytes after the last complete HDU that start another header: the next HDU is cut short
  // (CFITSIO silently ignores it). Checked on plain files (the bytes are on disk as they are).
  if (compression.empty() && size > end) {
    char buf[8] = {0};
    bool extension = false;
    if (std::FILE* fp = std::fopen(path.c_str(), "rb")) {
      if (std::fseek(fp, static_cast<long>(end), SEEK_SET) == 0) {
        const std::size_t got = std::fread(buf, 1, 8, fp);
        extension = got > 0 && std::string("XTENSION", got) == std::string(buf, got);
      }
      std::fclose(fp);
    }
    if (extension)
      throw InputError(path + ": the file is truncated or corrupt: HDU " +
                           std::to_string(n + 1) + "'s header is incomplete",
                       {path, n + 1, 0, "", ""});
  }
  if (fits_movabs_hdu(f, 1, &type, &status)) {
    drain_error_stack();
    throw InputError(path + ": HDU 1: cannot read its header", {path, 1, 0, "", ""});
  }
}

}  // namespace

FitsFile FitsFile::open_read(const std::string& path) {
  if (path.empty()) throw InputError("(empty file name): cannot open FITS file");
  if (const std::string why = os_open_problem(path); !why.empty())
    throw InputError(path + ": cannot open FITS file: " + why, {path, 0, 0, "", ""});
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": is a directory, expected a FITS file", {path, 0, 0, "", ""});
  const std::string compression = compression_of(path);
  fitsfile* f = nullptr;
  int status = 0;
  // fits_open_diskfile takes the name literally (no "[ext]" syntax) but still recognizes
  // gzip/bzip2-compressed files and decompresses them in memory.
  if (fits_open_diskfile(&f, path.c_str(), READONLY, &status)) {
    const std::string text = cfitsio_error_text(status);
    if (!compression.empty())
      throw InputError(corrupt_compressed(path, compression) + " [" + text + "]",
                       {path, 0, 0, "", ""});
    throw InputError(path + ": cannot open as FITS: " + text, {path, 0, 0, "", ""});
  }
  FitsFile file(path, f);
  check_structure(f, path, compression);
  return file;
}

namespace {

// Whether the 2880-byte block `block` holds a header's END card (at a card boundary).
bool block_has_end_card(const char* block) {
  for (int card = 0; card < 36; ++card) {
    const char* c = block + 80 * card;
    if (c[0] == 'E' && c[1] == 'N' && c[2] == 'D') {
      bool blank = true;
      for (int k = 3; k < 80 && blank; ++k) blank = c[k] == ' ';
      if (blank) return true;
    }
  }
  return false;
}

// The leading 2880-byte blocks of a bzip2-compressed FITS file up to the first header's END
// card, decompressed by streaming; "" in `why` unless the stream is corrupt or ends first.
std::vector<char> bzip2_primary_header(const std::string& path, std::string& why) {
  constexpr std::size_t kBlock = 2880;
  constexpr std::size_t kMaxHeaderBlocks = 10000;  // 28.8 MB of keywords: not a header
  std::vector<char> out;
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) {
    why = std::strerror(errno);
    return out;
  }
  int bz = BZ_OK;
  BZFILE* b = BZ2_bzReadOpen(&bz, fp, 0, 0, nullptr, 0);
  while (bz == BZ_OK && out.size() < kMaxHeaderBlocks * kBlock) {
    const std::size_t at = out.size();
    out.resize(at + kBlock);
    std::size_t got = 0;
    while (got < kBlock && bz == BZ_OK) {
      const int n = BZ2_bzRead(&bz, b, out.data() + at + got, static_cast<int>(kBlock - got));
      if (n > 0) got += static_cast<std::size_t>(n);
    }
    if (got < kBlock) {
      why = bz == BZ_STREAM_END ? "the file ends before its primary header's END card"
                                : "bzip2 stream error " + std::to_string(bz);
      break;
    }
    if (block_has_end_card(out.data() + at)) {
      why.clear();
      BZ2_bzReadClose(&bz, b);
      std::fclose(fp);
      return out;
    }
  }
  if (why.empty()) why = "no END card in the first " + std::to_string(kMaxHeaderBlocks) + " blocks";
  BZ2_bzReadClose(&bz, b);
  std::fclose(fp);
  out.clear();
  return out;
}

}  // namespace

FitsFile FitsFile::open_primary_header(const std::string& path) {
  if (path.empty() || compression_of(path) != "bzip2") return open_read(path);
  if (const std::string why = os_open_problem(path); !why.empty())
    throw InputError(path + ": cannot open FITS file: " + why, {path, 0, 0, "", ""});
  auto memory = std::make_unique<MemoryFile>();
  std::string why;
  memory->bytes = bzip2_primary_header(path, why);
  if (!why.empty())
    throw InputError(corrupt_compressed(path, "bzip2") + " [" + why + "]", {path, 0, 0, "", ""});
  memory->data = memory->bytes.data();
  memory->size = memory->bytes.size();
  fitsfile* f = nullptr;
  int status = 0;
  if (fits_open_memfile(&f, path.c_str(), READONLY, &memory->data, &memory->size, 0, nullptr,
                        &status))
    throw InputError(path + ": cannot open as FITS: " + cfitsio_error_text(status),
                     {path, 0, 0, "", ""});
  FitsFile file(path, f);
  file.memory_ = std::move(memory);
  return file;
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
    : path_(std::move(other.path_)), fptr_(other.fptr_), memory_(std::move(other.memory_)) {
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
    memory_ = std::move(other.memory_);
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
  const int hdu = current_hdu();
  throw InputError(path_ + ": HDU " + std::to_string(hdu) + ": " + what + ": " +
                       cfitsio_error_text(status),
                   {path_, hdu, 0, "", ""});
}

void FitsFile::fail_input(const std::string& what, const std::string& item,
                          const std::string& value) const {
  const int hdu = current_hdu();
  throw InputError(path_ + ": HDU " + std::to_string(hdu) + ": " + what,
                   {path_, hdu, 0, item, value});
}

long long FitsFile::data_bytes() const {
  LONGLONG head = 0, data = 0, end = 0;
  int status = 0;
  if (fits_get_hduaddrll(as_fits(fptr_), &head, &data, &end, &status))
    fail("reading the HDU's data size", status);
  return static_cast<long long>(end - data);
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

namespace {

// A numeric keyword value parsed here, not by CFITSIO's typed readers: CFITSIO 4.2's ffc2j
// overflows a buffer (and aborts) on a value such as "(0 / x (1 = y)", which one flipped bit
// makes of an integer card. FITS numbers: [+-]digits[.digits][E|D[+-]digits].
// A keyword's raw value without surrounding blanks, and without the quotes of a string value
// holding a number ('53.907456', as SDSS writes EXPTIME), which CFITSIO converts too.
std::string unquoted_value(std::string v) {
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
    v = v.substr(1, v.size() - 2);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  }
  return v;
}

std::optional<double> parse_fits_real(std::string v) {
  v = unquoted_value(v);
  if (v.empty() || v.size() > 70) return std::nullopt;
  if (v.find_first_not_of("+-0123456789.EeDd") != std::string::npos) return std::nullopt;
  for (char& c : v)
    if (c == 'D' || c == 'd') c = 'E';
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size() || errno == ERANGE) return std::nullopt;
  return d;
}

}  // namespace

std::string FitsFile::read_keyword_value(const std::string& key) const {
  char value[FLEN_VALUE] = {0}, comment[FLEN_COMMENT] = {0};
  int status = 0;
  if (fits_read_keyword(as_fits(fptr_), key.c_str(), value, comment, &status))
    fail(status == KEY_NO_EXIST ? "missing keyword " + key : "reading keyword " + key, status);
  return value;
}

double FitsFile::read_double(const std::string& key) const {
  const std::string raw = read_keyword_value(key);
  const std::optional<double> v = parse_fits_real(raw);
  if (!v) fail_input("keyword " + key + " = " + raw + " is not a number", key, raw);
  return *v;
}

long long FitsFile::read_int(const std::string& key) const {
  const std::string raw = unquoted_value(read_keyword_value(key));
  if (const std::optional<long long> v = parse_integer(raw)) return *v;
  // An integral real ("2.0", "1E3") is accepted as CFITSIO does; anything else is an error.
  const std::optional<double> d = parse_fits_real(raw);
  if (d && std::isfinite(*d) && *d == std::floor(*d) && std::abs(*d) < 9.0e18)
    return static_cast<long long>(*d);
  fail_input("keyword " + key + " = " + raw + " is not an integer", key, raw);
}

int FitsFile::read_int_in(const std::string& key, long long lo, long long hi) const {
  const long long v = read_int(key);
  const std::optional<int> n = checked_integer<int>(v, lo, hi);
  if (!n)
    fail_input("keyword " + key + " = " + std::to_string(v) + " is outside " +
                   integer_range_text(lo, hi),
               key, std::to_string(v));
  return *n;
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

std::string FitsFile::header_keyrecords() const {
  int status = 0, nkeys = 0;
  char* header = nullptr;
  if (fits_hdr2str(as_fits(fptr_), 1, nullptr, 0, &header, &nkeys, &status))
    fail("reading header", status);
  std::string cards(header, static_cast<std::size_t>(nkeys) * 80);
  fits_free_memory(header, &status);
  return cards;
}

void FitsFile::write_keyrecord(const std::string& card) {
  int status = 0;
  const std::string key = card.substr(0, std::min<std::size_t>(8, card.find_first_of(" =")));
  // Commentary keyrecords repeat: they are appended, never replaced.
  const bool commentary = key.empty() || key == "COMMENT" || key == "HISTORY";
  if (commentary ? fits_write_record(as_fits(fptr_), card.c_str(), &status)
                 : fits_update_card(as_fits(fptr_), key.c_str(), card.c_str(), &status))
    fail("writing keyword " + key, status);
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

void FitsFile::write_long_string(const std::string& key, const std::string& value,
                                 const std::string& comment) {
  int status = 0;
  if (!has_key("LONGSTRN") && fits_write_key_longwarn(as_fits(fptr_), &status))
    fail("writing keyword LONGSTRN", status);
  // CFITSIO's signature takes non-const strings; it does not modify them.
  std::string v = value, c = comment;
  if (fits_update_key_longstr(as_fits(fptr_), key.c_str(), v.data(),
                              c.empty() ? nullptr : c.data(), &status))
    fail("writing keyword " + key, status);
}

void FitsFile::write_history(const std::string& text) {
  int status = 0;
  if (fits_write_history(as_fits(fptr_), text.c_str(), &status)) fail("writing HISTORY", status);
}

void FitsFile::write_comment(const std::string& text) {
  int status = 0;
  if (fits_write_comment(as_fits(fptr_), text.c_str(), &status)) fail("writing COMMENT", status);
}

void FitsFile::write_checksum() {
  int status = 0;
  if (fits_write_chksum(as_fits(fptr_), &status)) fail("writing CHECKSUM/DATASUM", status);
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
// The pixel count of `shape` times the element size must fit in the HDU's data (the file's
// structure was checked at open): a header cannot make the readers allocate more than the
// file holds.
long long check_pixels_in_data(const FitsFile& f, const std::vector<long>& shape) {
  const long long bytes_per = std::abs(f.image_bitpix()) / 8;
  const long long room = f.data_bytes();
  long long n = 1;
  for (long d : shape) {
    if (d <= 0) return 0;
    if (n > room / d) n = room + 1;  // saturate: already more than the data
    else n *= d;
  }
  if (bytes_per <= 0 || n > room / bytes_per) {
    std::string dims;
    for (long d : shape) dims += (dims.empty() ? "" : " x ") + std::to_string(d);
    f.fail_input("the header's image size (" + dims + " pixels, BITPIX " +
                     std::to_string(f.image_bitpix()) + ") exceeds the " +
                     std::to_string(room) + " data bytes of the HDU (corrupt header?)",
                 "NAXIS", dims);
  }
  return n;
}

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
  if (shape[0] > kIntMax || shape[1] > kIntMax)
    f.fail_input("image of " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) +
                     " pixels: each axis must be at most " + std::to_string(kIntMax),
                 shape[0] > kIntMax ? "NAXIS1" : "NAXIS2",
                 std::to_string(std::max(shape[0], shape[1])));
  const int bitpix = f.image_bitpix();
  if (allowed_bitpix != 0 && bitpix != allowed_bitpix)
    f.fail_input("image has BITPIX = " + std::to_string(bitpix) + ", expected " +
                 std::to_string(allowed_bitpix));
  check_pixels_in_data(f, shape);
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
  const std::vector<long> shape = image_shape();
  for (long d : shape)
    if (d <= 0) fail_input("zero-size array (NAXIS = " + std::to_string(shape.size()) + ")");
  if (shape.empty()) fail_input("zero-size array (NAXIS = 0)");
  const long n = static_cast<long>(check_pixels_in_data(*this, shape));
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
  // The rows must fit in the HDU's data: CFITSIO can disagree with itself about a row count
  // beyond 32 bits, and the readers allocate per row.
  const long long row_bytes = has_key("NAXIS1") ? read_int("NAXIS1") : 0;
  if (n < 0 || row_bytes < 0 || (row_bytes > 0 && n > data_bytes() / row_bytes) ||
      (row_bytes == 0 && n > data_bytes()))
    fail_input("NAXIS2 = " + std::to_string(n) + " rows of NAXIS1 = " +
                   std::to_string(row_bytes) + " bytes exceed the HDU's " +
                   std::to_string(data_bytes()) + " data bytes (corrupt header?)",
               "NAXIS2", std::to_string(n));
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

std::vector<int> FitsFile::read_column_int_in(const std::string& name, long long lo,
                                              long long hi) const {
  const std::vector<long long> raw = read_column_int(name);
  std::vector<int> out(raw.size());
  for (std::size_t r = 0; r < raw.size(); ++r) {
    const std::optional<int> n = checked_integer<int>(raw[r], lo, hi);
    if (!n)
      fail_input("column " + name + " row " + std::to_string(r + 1) + " = " +
                     std::to_string(raw[r]) + " is outside " + integer_range_text(lo, hi),
                 name, std::to_string(raw[r]));
    out[r] = *n;
  }
  return out;
}

std::vector<std::string> FitsFile::read_column_string(const std::string& name) const {
  const int col = column_number(name);
  const long rows = num_rows();
  int width = 0, status = 0;
  if (rows <= 0) return {};
  if (fits_get_col_display_width(as_fits(fptr_), col, &width, &status))
    fail("reading width of column " + name, status);
  if (width < 0 || width > data_bytes())
    fail_input("column " + name + " is " + std::to_string(width) +
                   " characters wide, more than the table holds (corrupt TFORM?)",
               name, std::to_string(width));
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
    // A corrupt descriptor can claim any length; the elements must fit in the heap.
    if (n < 0 || offset < 0 || n > data_bytes() || offset > data_bytes())
      fail_input("column " + name + " row " + std::to_string(row) + ": variable-length "
                     "descriptor (" + std::to_string(n) + " elements at heap offset " +
                     std::to_string(offset) + ") lies outside the table's heap (corrupt file?)",
                 name, std::to_string(n));
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

void FitsFile::write_column_nul_padded(int colnum, const std::vector<std::string>& values) {
  // The column's byte offset in a row: the widths of the columns before it.
  int status = 0;
  long offset = 0, width = 0;
  for (int c = 1; c <= colnum; ++c) {
    const std::string form = read_string("TFORM" + std::to_string(c));
    int typecode = 0;
    long repeat = 0, unit = 0;
    if (fits_binary_tform(const_cast<char*>(form.c_str()), &typecode, &repeat, &unit, &status))
      fail("reading TFORM" + std::to_string(c), status);
    const long bytes = typecode == TSTRING ? repeat
                       : typecode == TBIT  ? (repeat + 7) / 8
                                           : repeat * unit;
    if (c < colnum) offset += bytes;
    else width = typecode == TSTRING ? bytes : 0;
  }
  if (width == 0) fail_input("column " + std::to_string(colnum) + " is not a string column");
  std::vector<unsigned char> cell(static_cast<std::size_t>(width));
  for (std::size_t r = 0; r < values.size(); ++r) {
    std::fill(cell.begin(), cell.end(), 0);
    std::memcpy(cell.data(), values[r].data(),
                std::min(values[r].size(), static_cast<std::size_t>(width)));
    if (fits_write_tblbytes(as_fits(fptr_), static_cast<LONGLONG>(r + 1), offset + 1, width,
                            cell.data(), &status))
      fail("writing column " + std::to_string(colnum), status);
  }
}

void FitsFile::write_column_logical(int colnum, const std::vector<bool>& values) {
  int status = 0;
  std::vector<char> v(values.begin(), values.end());
  if (!v.empty() && fits_write_col(as_fits(fptr_), TLOGICAL, colnum, 1, 1,
                                   static_cast<LONGLONG>(v.size()), v.data(), &status))
    fail("writing column " + std::to_string(colnum), status);
}

}  // namespace celeste::io
