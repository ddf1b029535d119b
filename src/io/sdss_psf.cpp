#include "io/sdss_psf.hpp"

#include <cmath>
#include <cstdio>

#include "io/fits_file.hpp"
#include "survey/bands.hpp"
#include "util/error.hpp"
#include "util/text_format.hpp"

namespace celeste::io {
namespace {

// SDSS stamps are 51 x 51; a stamp side beyond this is a corrupt header, not a PSF.
constexpr long long kMaxStampSide = 1001;

}  // namespace

SdssEigenPsf read_sdss_eigen_psf(const std::string& psfield_path, int band) {
  if (band < 0 || band >= survey::kNumBands)
    throw InputError(psfield_path + ": band index " + std::to_string(band) + " is not 0..4");
  FitsFile f = FitsFile::open_read(psfield_path);
  const int hdu = band + 2;
  const std::string band_text = std::string("band ") + survey::kBandNames[band];
  if (f.num_hdus() < hdu)
    throw InputError(psfield_path + ": psField has " + std::to_string(f.num_hdus()) +
                         " HDUs; the " + band_text + " eigen-PSF table is HDU " +
                         std::to_string(hdu),
                     {psfield_path, hdu, 0, "", ""});
  f.move_to(hdu);
  const std::string what = " (" + band_text + " eigen-PSF)";
  if (f.hdu_kind() != HduKind::binary_table) f.fail_input("expected the eigen-PSF binary table" + what);
  SdssEigenPsf psf;
  psf.source = psfield_path + "[HDU " + std::to_string(hdu) + ", " + band_text + "]";
  const long rows = f.num_rows();
  if (rows < 1) f.fail_input("eigen-PSF table has no rows" + what);
  const auto nrow_b = f.read_column_int_in("nrow_b", 1, 5);
  const auto ncol_b = f.read_column_int_in("ncol_b", 1, 5);
  const auto rnrow = f.read_column_int_in("RNROW", 1, kMaxStampSide);
  const auto rncol = f.read_column_int_in("RNCOL", 1, kMaxStampSide);
  psf.nrow_b = nrow_b[0];
  psf.ncol_b = ncol_b[0];
  psf.rnrow = rnrow[0];
  psf.rncol = rncol[0];
  for (long r = 1; r < rows; ++r)
    if (rnrow[r] != psf.rnrow || rncol[r] != psf.rncol)
      f.fail_input("RNROW/RNCOL of row " + std::to_string(r + 1) + " (" + std::to_string(rnrow[r]) +
                       " x " + std::to_string(rncol[r]) + ") differ from row 1's" + what,
                   "RNROW", std::to_string(rnrow[r]));
  if (f.column_repeat("c") != 25)
    f.fail_input("column c must hold 25 (5 x 5) coefficients" + what, "c");
  const auto c = f.read_vector_column_double("c");
  const long long pixels = static_cast<long long>(psf.rnrow) * psf.rncol;
  for (long r = 1; r <= rows; ++r) {
    std::array<double, 25> cr{};
    for (int k = 0; k < 25; ++k) {
      cr[k] = c[(r - 1) * 25 + k];
      // Only the nrow_b x ncol_b terms are used; SDSS leaves the others NaN.
      const bool used = k / 5 < psf.nrow_b && k % 5 < psf.ncol_b;
      if (used && !std::isfinite(cr[k]))
        f.fail_input("column c row " + std::to_string(r) + " coefficient " + std::to_string(k) +
                         " = " + format_significant(cr[k], 6) + " is not a finite number" + what,
                     "c", format_significant(cr[k], 6));
    }
    psf.coeffs.push_back(cr);
    std::vector<double> e = f.read_cell_double("RROWS", r);
    if (static_cast<long long>(e.size()) != pixels)
      f.fail_input("RROWS row " + std::to_string(r) + " has " + std::to_string(e.size()) +
                       " values, expected RNROW x RNCOL = " + std::to_string(pixels) + what,
                   "RROWS", std::to_string(e.size()));
    for (std::size_t p = 0; p < e.size(); ++p)
      if (!std::isfinite(e[p]))
        f.fail_input("RROWS row " + std::to_string(r) + " (eigen-image " + std::to_string(r) +
                         ") pixel " + std::to_string(p) + " = " + format_significant(e[p], 6) +
                         " is not a finite number" + what,
                     "RROWS", format_significant(e[p], 6));
    psf.eigen.push_back(std::move(e));
  }
  return psf;
}

}  // namespace celeste::io
