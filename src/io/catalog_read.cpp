// An output catalog read back as initial-catalog entries (io/catalog_output.hpp): the round
// trip that lets a user refine a fit or render the fitted model.
#include "celeste/math.hpp"
#include "io/catalog_output.hpp"
#include "io/fits_file.hpp"

namespace celeste::io {

survey::Catalog catalog_entries_from_output_table(const FitsFile& f) {
  const long rows = f.num_rows();
  survey::Catalog out(static_cast<std::size_t>(rows));
  if (rows == 0) return out;
  const auto ra = f.read_column_double("ra");
  const auto dec = f.read_column_double("dec");
  const auto is_star = f.read_column_logical("is_star");
  std::vector<std::vector<double>> flux;
  for (int b = 0; b < survey::kNumBands; ++b)
    flux.push_back(f.read_column_double(std::string("flux_") + survey::kBandNames[b]));
  const auto frac_dev = f.read_column_double("gal_frac_dev");
  const auto axis_ratio = f.read_column_double("gal_axis_ratio");
  const auto angle_deg = f.read_column_double("gal_angle_deg");
  const auto scale = f.read_column_double("gal_scale_px");
  const auto objid = f.read_column_int("objid");
  for (long i = 0; i < rows; ++i) {
    survey::CatalogEntry& e = out[i];
    e.ra = ra[i];
    e.dec = dec[i];
    e.is_star = is_star[i];
    // The catalog has the fluxes of the more probable type only; the other type starts there.
    for (int b = 0; b < survey::kNumBands; ++b) e.star_fluxes[b] = e.gal_fluxes[b] = flux[b][i];
    e.gal_frac_dev = frac_dev[i];
    e.gal_axis_ratio = axis_ratio[i];
    e.gal_angle = angle_deg[i] / kDegPerRad;  // φ in pixel coordinates, mod 180°: same axis
    e.gal_radius_px = scale[i];               // the entry's radius is σ (survey/catalog.hpp)
    e.objid = objid[i];
  }
  return out;
}

}  // namespace celeste::io
