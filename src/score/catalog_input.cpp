#include "score/catalog_input.hpp"

#include <cmath>
#include <map>

#include "io/catalog_entries.hpp"
#include "io/catalog_output.hpp"
#include "io/fits_file.hpp"
#include "score/magnitudes.hpp"
#include "survey/wcs.hpp"
#include "util/error.hpp"
#include "celeste/math.hpp"

namespace celeste::score {

namespace {


using ColumnMap = std::map<std::string, std::vector<double>>;

const std::vector<double>& column(const ColumnMap& columns, const std::string& name) {
  return columns.at(name);  // presence checked by require_columns
}

void require_columns(const ColumnMap& columns, const std::vector<std::string>& names,
                     const std::string& path) {
  std::string missing;
  for (const auto& name : names)
    if (!columns.count(name)) missing += (missing.empty() ? "'" : ", '") + name + "'";
  if (!missing.empty())
    throw InputError(path + ": not a Celeste catalog (celeste run output): missing column(s) " +
                     missing);
}

// photoObj files are recognised by columns the generic format never has.
bool looks_like_photoobj(const std::string& path) {
  io::FitsFile f = io::FitsFile::open_read(path);
  for (int h = 2; h <= f.num_hdus(); ++h) {
    f.move_to(h);
    if (f.hdu_kind() == io::HduKind::binary_table)
      return f.has_column("OBJC_TYPE") && f.has_column("PSFFLUX");
  }
  return false;
}

}  // namespace

CatalogForScoring read_celeste_catalog(const std::string& path) {
  const ColumnMap columns = io::read_catalog_columns(path);
  std::vector<std::string> needed = {"ra",           "dec",           "prob_star",
                                     "log_flux_r",   "log_flux_r_sd", "gal_frac_dev",
                                     "gal_axis_ratio", "gal_radius_px", "gal_angle_deg",
                                     "bad_sky"};
  for (const char* color : kColorNames) {
    needed.push_back(color);
    needed.push_back(std::string(color) + "_sd");
  }
  require_columns(columns, needed, path);

  const auto& ra = column(columns, "ra");
  const auto& dec = column(columns, "dec");
  const auto& prob_star = column(columns, "prob_star");
  const auto& log_flux_r = column(columns, "log_flux_r");
  const auto& log_flux_r_sd = column(columns, "log_flux_r_sd");
  const auto& frac_dev = column(columns, "gal_frac_dev");
  const auto& axis_ratio = column(columns, "gal_axis_ratio");
  const auto& radius = column(columns, "gal_radius_px");
  const auto& angle = column(columns, "gal_angle_deg");
  const auto& bad_sky = column(columns, "bad_sky");
  const std::vector<double>* objid = columns.count("objid") ? &columns.at("objid") : nullptr;

  CatalogForScoring out;
  out.format = "celeste";
  out.rows_read = static_cast<long>(ra.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    if (bad_sky[i] != 0 && !std::isnan(bad_sky[i])) {
      ++out.excluded_bad_sky;
      continue;
    }
    ScoringSource s;
    s.objid = objid ? static_cast<std::int64_t>((*objid)[i]) : static_cast<std::int64_t>(i) + 1;
    s.ra_deg = ra[i];
    s.dec_deg = dec[i];
    s.prob_star = prob_star[i];
    s.flux_r_nmgy = std::exp(log_flux_r[i]);
    s.log_flux_r_sd = log_flux_r_sd[i];
    for (std::size_t c = 0; c < kNumColors; ++c) {
      s.color_mag[c] = column(columns, kColorNames[c])[i];
      s.color_mag_sd[c] = column(columns, std::string(kColorNames[c]) + "_sd")[i];
    }
    s.gal_frac_dev = frac_dev[i];
    s.gal_axis_ratio = axis_ratio[i];
    s.gal_radius_px = radius[i];
    s.gal_angle_deg = survey::angle_0_180_deg(angle[i]);
    out.sources.push_back(s);
  }
  return out;
}

ScoringSource scoring_source_from_entry(const survey::CatalogEntry& entry) {
  ScoringSource s;
  s.objid = entry.objid;
  s.ra_deg = entry.ra;
  s.dec_deg = entry.dec;
  s.prob_star = entry.is_star ? 1.0 : 0.0;
  const auto& flux = entry.is_star ? entry.star_fluxes : entry.gal_fluxes;
  // As Celeste.jl's catalogs: the r flux as given (asinh magnitudes accept any value),
  // colors missing unless both fluxes are positive.
  s.flux_r_nmgy = flux[kBandR];
  for (std::size_t c = 0; c < kNumColors; ++c)
    s.color_mag[c] = color_mag_from_fluxes(flux[c], flux[c + 1]);
  s.gal_frac_dev = entry.gal_frac_dev;
  s.gal_axis_ratio = entry.gal_axis_ratio;
  s.gal_radius_px = entry.gal_radius_px * std::sqrt(entry.gal_axis_ratio);
  s.gal_angle_deg = survey::angle_0_180_deg(entry.gal_angle * kDegPerRad);
  return s;
}

ScoringSource photo_baseline_source(const io::PhotoObjRow& row) {
  ScoringSource s;
  s.objid = row.objid;
  s.ra_deg = row.ra;
  s.dec_deg = row.dec;
  const bool star = row.objc_type == 6;
  s.prob_star = star ? 1.0 : 0.0;
  const double frac_dev = row.fracdev[kBandR];
  const bool use_dev = frac_dev > 0.5;
  const auto& flux = star ? row.psfflux : (use_dev ? row.devflux : row.expflux);
  s.flux_r_nmgy = flux[kBandR];
  for (std::size_t c = 0; c < kNumColors; ++c)
    s.color_mag[c] = color_mag_from_fluxes(flux[c], flux[c + 1]);
  s.gal_frac_dev = frac_dev;
  s.gal_axis_ratio = use_dev ? row.ab_dev[kBandR] : row.ab_exp[kBandR];
  s.gal_radius_px = (use_dev ? row.theta_dev[kBandR] : row.theta_exp[kBandR]) / kSdssArcsecPerPixel;
  // Position angles relative to the frame's north, as the initialiser uses them (phi_offset).
  const double phi_deg = use_dev ? row.phi_dev_deg[kBandR] : row.phi_exp_deg[kBandR];
  s.gal_angle_deg = survey::angle_0_180_deg(phi_deg - row.phi_offset[kBandR]);
  return s;
}

CatalogForScoring read_initial_catalog(const std::string& path) {
  CatalogForScoring out;
  if (looks_like_photoobj(path)) {
    out.format = "photoobj";
    const auto rows = io::read_photoobj_rows(path);
    out.rows_read = static_cast<long>(rows.size());
    for (const io::PhotoObjRow& row : rows) {
      // The objects Celeste would be initialised from; Celeste.jl's Photo baseline also drops
      // objects brighter than PSF r = 16 mag, which Photo measures as saturated.
      if (!io::usable_for_initialisation(row) ||
          flux_to_asinh_mag(row.psfflux[kBandR], kBandR) < 16) {
        ++out.excluded_other;
        continue;
      }
      out.sources.push_back(photo_baseline_source(row));
    }
    return out;
  }
  out.format = "generic";
  const survey::Catalog entries = io::read_catalog_entries(path);
  out.rows_read = static_cast<long>(entries.size());
  for (const auto& entry : entries) out.sources.push_back(scoring_source_from_entry(entry));
  return out;
}

}  // namespace celeste::score
