#include "io/sdss_psf.hpp"

#include "io/fits_file.hpp"
#include "util/error.hpp"

namespace celeste::io {

SdssEigenPsf read_sdss_eigen_psf(const std::string& psfield_path, int band) {
  FitsFile f = FitsFile::open_read(psfield_path);
  const int hdu = band + 2;
  if (f.num_hdus() < hdu)
    throw InputError(psfield_path + ": psField has " + std::to_string(f.num_hdus()) +
                     " HDUs; the band's eigen-PSF table is HDU " + std::to_string(hdu));
  f.move_to(hdu);
  if (f.hdu_kind() != HduKind::binary_table) f.fail_input("expected the eigen-PSF binary table");
  SdssEigenPsf psf;
  psf.source = psfield_path + "[HDU " + std::to_string(hdu) + "]";
  const long rows = f.num_rows();
  if (rows < 1) f.fail_input("eigen-PSF table has no rows");
  const auto nrow_b = f.read_column_int("nrow_b");
  const auto ncol_b = f.read_column_int("ncol_b");
  const auto rnrow = f.read_column_int("RNROW");
  const auto rncol = f.read_column_int("RNCOL");
  psf.nrow_b = static_cast<int>(nrow_b[0]);
  psf.ncol_b = static_cast<int>(ncol_b[0]);
  psf.rnrow = static_cast<int>(rnrow[0]);
  psf.rncol = static_cast<int>(rncol[0]);
  if (psf.nrow_b < 1 || psf.nrow_b > 5 || psf.ncol_b < 1 || psf.ncol_b > 5)
    f.fail_input("nrow_b/ncol_b = " + std::to_string(psf.nrow_b) + "/" +
                 std::to_string(psf.ncol_b) + " outside 1..5");
  if (psf.rnrow < 1 || psf.rncol < 1) f.fail_input("RNROW/RNCOL must be positive");
  if (f.column_repeat("c") != 25) f.fail_input("column c must hold 25 (5 x 5) coefficients");
  const auto c = f.read_vector_column_double("c");
  for (long r = 1; r <= rows; ++r) {
    std::array<double, 25> cr{};
    for (int k = 0; k < 25; ++k) cr[k] = c[(r - 1) * 25 + k];
    psf.coeffs.push_back(cr);
    std::vector<double> e = f.read_cell_double("RROWS", r);
    if (static_cast<long>(e.size()) != static_cast<long>(psf.rnrow) * psf.rncol)
      f.fail_input("RROWS row " + std::to_string(r) + " has " + std::to_string(e.size()) +
                   " values, expected RNROW x RNCOL = " + std::to_string(psf.rnrow * psf.rncol));
    psf.eigen.push_back(std::move(e));
  }
  return psf;
}

}  // namespace celeste::io
