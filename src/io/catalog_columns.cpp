#include "io/catalog_columns.hpp"
#include "survey/image.hpp"
#include "survey/magnitudes.hpp"
#include "survey/wcs.hpp"

#include "celeste/math.hpp"
#include "celeste/model/brightness.hpp"
#include "celeste/param_layout.hpp"

#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace celeste::io {
namespace {

using survey::kMagPerLn;  // magnitudes per natural-log unit of flux
constexpr std::array<const char*, kNumColors> kColors{"ug", "gr", "ri", "iz"};

// Mean and sd of band b's flux given type t, from its log-normal (brightness.hpp).
struct BandFlux {
  double mean, sd;
};

BandFlux band_flux(const std::array<double, kNumParams>& p, int t, int b) {
  const model::BandLogFlux f = model::band_log_flux(p.data(), t, b);
  const double mean = std::exp(f.log_median + 0.5 * f.log_var);
  return {mean, mean * std::sqrt(std::expm1(f.log_var))};
}

CatalogColumn make(const std::string& name, ColumnKind kind, const std::string& unit,
                   const std::string& tdisp, const std::string& description) {
  CatalogColumn c;
  c.name = name;
  c.kind = kind;
  c.unit = unit;
  c.tdisp = tdisp;
  c.description = description;
  return c;
}

}  // namespace

std::string astropy_column_yaml(const CatalogColumn& c) {
  static constexpr const char* kDatatype[] = {"float64", "int64", "int32", "bool", "string"};
  // A YAML single-quoted scalar takes any text ('' is a quote).
  std::string description;
  for (char ch : c.description) description += ch == '\'' ? std::string("''") : std::string(1, ch);
  return "- {name: " + c.name + (c.unit.empty() ? "" : ", unit: " + c.unit) +
         ", datatype: " + kDatatype[static_cast<int>(c.kind)] + ", description: '" +
         description + "'}";
}

int flag_bit_number(unsigned bit) {
  int n = 0;
  while (n < 31 && (1u << n) != bit) ++n;
  return n;
}

unsigned catalog_warning_flags(const survey::SourceResult& r) {
  // A source never fitted has no linear-response sds either.
  return static_cast<unsigned>(r.warning_flags) |
         (r.status_code == optimizer::not_fitted ? survey::warning_flag::sd_unavailable : 0u);
}

double asinh_magnitude(double flux_nmgy, int band) {
  return survey::asinh_magnitude(flux_nmgy, band);
}

const CatalogColumn& find_column(const std::vector<CatalogColumn>& columns,
                                 const std::string& name) {
  for (const auto& c : columns)
    if (c.name == name) return c;
  throw std::out_of_range("catalog has no column '" + name + "'");
}

std::vector<CatalogColumn> build_catalog_columns(const std::vector<survey::SourceResult>& results) {
  using K = ColumnKind;
  std::vector<CatalogColumn> cols;
  // Column order is the documented order (docs/io.md); each entry pairs a column with the
  // function computing its value from one result.
  struct Def {
    CatalogColumn col;
    std::function<double(const survey::SourceResult&)> real;
    std::function<std::int64_t(const survey::SourceResult&)> integer;
    std::function<std::string(const survey::SourceResult&)> text;
  };
  std::vector<Def> defs;
  auto real = [&](const std::string& n, const std::string& u, const std::string& d,
                  const std::string& desc, auto f) {
    defs.push_back({make(n, K::real, u, d, desc), f, nullptr, nullptr});
  };
  auto integer = [&](const std::string& n, K kind, const std::string& d, const std::string& desc,
                     auto f) {
    defs.push_back({make(n, kind, "", d, desc), nullptr, f, nullptr});
  };
  auto type_of = [](const survey::SourceResult& r) {
    return r.params[param::chi(0)] > 0.5 ? 0 : 1;
  };

  integer("objid", K::int64, "I20", "survey object id (photoObj OBJID) or catalog index",
          [](const survey::SourceResult& r) { return r.objid; });
  real("ra", "deg", "F13.8", "right ascension, optimized (J2000)",
       [](const survey::SourceResult& r) { return r.params[param::ra]; });
  real("dec", "deg", "F13.8", "declination, optimized (J2000)",
       [](const survey::SourceResult& r) { return r.params[param::dec]; });
  real("ra_init", "deg", "F13.8", "right ascension of the initial catalog entry",
       [](const survey::SourceResult& r) { return r.ra_init; });
  real("dec_init", "deg", "F13.8", "declination of the initial catalog entry",
       [](const survey::SourceResult& r) { return r.dec_init; });
  real("prob_star", "", "F8.5", "posterior probability that the source is a star (chi_1)",
       [](const survey::SourceResult& r) { return r.params[param::chi(0)]; });
  real("prob_galaxy", "", "F8.5", "posterior probability that the source is a galaxy (chi_2)",
       [](const survey::SourceResult& r) { return r.params[param::chi(1)]; });
  integer("is_star", K::logical, "L1", "prob_star > 0.5; flux/color/shape columns use this type",
          [](const survey::SourceResult& r) { return std::int64_t(r.params[param::chi(0)] > 0.5); });
  for (int b = 0; b < kNumBands; ++b) {
    const std::string band = survey::kBandNames[b];
    real("flux_" + band, "nanomaggy", "G14.7",
         "posterior mean flux in band " + band +
             " given the most likely type, nanomaggies (1 nmgy = 3.631 microjansky)",
         [=](const survey::SourceResult& r) { return band_flux(r.params, type_of(r), b).mean; });
    real("flux_" + band + "_sd", "nanomaggy", "G14.7",
         "posterior standard deviation of flux_" + band + ", nanomaggies",
         [=](const survey::SourceResult& r) { return band_flux(r.params, type_of(r), b).sd; });
    real("mag_" + band, "mag", "F9.4", "SDSS asinh magnitude of flux_" + band,
         [=](const survey::SourceResult& r) {
           return asinh_magnitude(band_flux(r.params, type_of(r), b).mean, b);
         });
    real("mag_" + band + "_sd", "mag", "F9.4",
         "delta-method sd of mag_" + band + ": (2.5/ln 10) flux_sd / flux",
         [=](const survey::SourceResult& r) {
           const BandFlux f = band_flux(r.params, type_of(r), b);
           return kMagPerLn * f.sd / f.mean;
         });
  }
  real("log_flux_r", "", "F10.5",
       "posterior mean of ln(r-band flux / 1 nanomaggy) (gamma_t); dimensionless",
       [=](const survey::SourceResult& r) { return r.params[param::gamma(type_of(r))]; });
  // Posterior sds: linear-response (LRVB) when the fit computed them, which account for the
  // correlations with position and shape that mean-field VI ignores (docs/optimizer.md);
  // the mean-field values are kept in the *_sd_mf columns.
  auto lr_or = [](const survey::SourceResult& r, int p, double mean_field) {
    const double v = r.lr_sd[p];
    return std::isfinite(v) && v > 0 ? v : mean_field;
  };
  real("log_flux_r_sd", "", "F10.5",
       "posterior sd of ln(r-band flux / 1 nanomaggy): linear response, else sqrt zeta_t",
       [=](const survey::SourceResult& r) {
         const int t = type_of(r);
         return lr_or(r, param::gamma(t), std::sqrt(r.params[param::zeta(t)]));
       });
  real("log_flux_r_sd_mf", "", "F10.5", "mean-field sd of ln(r-band flux) (sqrt zeta_t)",
       [=](const survey::SourceResult& r) { return std::sqrt(r.params[param::zeta(type_of(r))]); });
  for (int j = 0; j < kNumColors; ++j) {
    const std::string c = kColors[j];
    real("color_" + c, "mag", "F9.4",
         "posterior mean color " + std::string(1, c[0]) + "-" + std::string(1, c[1]) +
             " in magnitudes ((2.5/ln 10) beta_t)",
         [=](const survey::SourceResult& r) {
           return kMagPerLn * r.params[param::beta(type_of(r), j)];
         });
  }
  for (int j = 0; j < kNumColors; ++j) {
    const std::string c = kColors[j];
    real("color_" + c + "_sd", "mag", "F9.4",
         "posterior sd of color_" + c + ": linear response, else (2.5/ln 10) sqrt lambda_t",
         [=](const survey::SourceResult& r) {
           const int t = type_of(r);
           return kMagPerLn * lr_or(r, param::beta(t, j), std::sqrt(r.params[param::lambda(t, j)]));
         });
    real("color_" + c + "_sd_mf", "mag", "F9.4",
         "mean-field sd of color_" + c + " ((2.5/ln 10) sqrt lambda_t)",
         [=](const survey::SourceResult& r) {
           return kMagPerLn * std::sqrt(r.params[param::lambda(type_of(r), j)]);
         });
  }
  real("ra_sd", "arcsec", "F9.5",
       "linear-response sd of ra (coordinate, not times cos dec); NaN when warning_flags says why",
       [](const survey::SourceResult& r) { return 3600.0 * r.lr_sd[param::ra]; });
  real("dec_sd", "arcsec", "F9.5", "linear-response sd of dec; NaN when warning_flags says why",
       [](const survey::SourceResult& r) { return 3600.0 * r.lr_sd[param::dec]; });
  real("gal_frac_dev_sd", "", "F8.5",
       "linear-response sd of gal_frac_dev; NaN when warning_flags says why",
       [](const survey::SourceResult& r) { return r.lr_sd[param::frac_dev]; });
  real("gal_axis_ratio_sd", "", "F8.5",
       "linear-response sd of gal_axis_ratio; NaN when warning_flags says why",
       [](const survey::SourceResult& r) { return r.lr_sd[param::axis_ratio]; });
  real("gal_angle_deg_sd", "deg", "F9.4",
       "linear-response sd of gal_angle_deg; NaN when warning_flags says why",
       [](const survey::SourceResult& r) { return kDegPerRad * r.lr_sd[param::angle]; });
  real("gal_scale_px_sd", "pix", "F10.5",
       "linear-response sd of gal_scale_px; NaN when warning_flags says why",
       [](const survey::SourceResult& r) { return r.lr_sd[param::radius]; });
  real("gal_frac_dev", "", "F8.5", "de Vaucouleurs fraction of the galaxy profile (theta)",
       [](const survey::SourceResult& r) { return r.params[param::frac_dev]; });
  real("gal_axis_ratio", "", "F8.5", "galaxy minor/major axis ratio (rho)",
       [](const survey::SourceResult& r) { return r.params[param::axis_ratio]; });
  real("gal_angle_deg", "deg", "F9.4",
       "galaxy major-axis angle in pixel coordinates (phi), reduced to [0, 180)",
       [](const survey::SourceResult& r) { return survey::angle_0_180_deg(r.params[param::angle] * kDegPerRad); });
  real("gal_pa_deg", "deg", "F9.4",
       "galaxy major-axis position angle on the sky, east of north, [0, 180)",
       [](const survey::SourceResult& r) { return r.gal_position_angle_deg; });
  real("gal_radius_px", "pix", "F10.5", "circularized galaxy scale sigma*sqrt(rho), pixels",
       [](const survey::SourceResult& r) {
         return r.params[param::radius] * std::sqrt(r.params[param::axis_ratio]);
       });
  real("gal_scale_px", "pix", "F10.5", "galaxy scale along the major axis (sigma), pixels",
       [](const survey::SourceResult& r) { return r.params[param::radius]; });
  defs.push_back({make("status", K::text, "", "A16",
                       "optimizer outcome: converged, max_iterations, failed or not_fitted"),
                  nullptr, nullptr,
                  [](const survey::SourceResult& r) { return std::string(optimizer::status_name(r.status_code)); }});
  integer("status_code", K::int32, "I2", "0 converged, 1 max_iterations, 2 failed, 3 not_fitted",
          [](const survey::SourceResult& r) { return std::int64_t(r.status_code); });
  integer("iterations", K::int32, "I6", "optimizer iterations",
          [](const survey::SourceResult& r) { return std::int64_t(r.iterations); });
  integer("failure_flags", K::int32, "I10",
          "why the fit stopped abnormally, bitmask (0 = none; bits: FFLAGn keywords, docs/io.md)",
          [](const survey::SourceResult& r) { return std::int64_t(r.failure_flags); });
  integer("warning_flags", K::int32, "I10",
          "warnings on a usable fit, bitmask: parameter at a bound, sds not computed (NaN) "
          "(0 = none; bits: WFLAGn keywords, docs/io.md)",
          [](const survey::SourceResult& r) { return std::int64_t(catalog_warning_flags(r)); });
  real("elbo", "", "G18.10", "final evidence lower bound of the source's subproblem",
       [](const survey::SourceResult& r) { return r.elbo; });
  real("elbo_gain", "", "G14.7", "ELBO increase over the initial parameters",
       [](const survey::SourceResult& r) { return r.elbo_gain; });
  real("grad_norm", "", "G14.7", "infinity norm of the free-parameter gradient at the end",
       [](const survey::SourceResult& r) { return r.grad_norm; });
  integer("bad_sky", K::logical, "L1",
          "i-band sky at the source looks underestimated (model.md section 8.3)",
          [](const survey::SourceResult& r) { return std::int64_t(r.bad_sky); });

  for (auto& d : defs) {
    CatalogColumn& c = d.col;
    for (const auto& r : results) {
      if (d.real) c.real.push_back(d.real(r));
      else if (d.integer) c.integer.push_back(d.integer(r));
      else c.text.push_back(d.text(r));
    }
    cols.push_back(std::move(c));
  }
  return cols;
}

}  // namespace celeste::io
