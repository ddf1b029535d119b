#pragma once
// SDSS photoObj catalogs (photoObj-RUN6-CAMCOL-FIELD4.fits, HDU 2 in CFITSIO numbering) as the
// initial catalog (model.md §8.1, §10.6), with the reference code's flag bug fixed.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "io/catalog_entries.hpp"
#include "survey/catalog.hpp"

namespace celeste::io {

// The photoObj fields the conversion uses, per object; per-band arrays are u..z.
struct PhotoObjRow {
  std::int64_t objid = 0;
  int run = 0, camcol = 0, field = 0;
  int objc_type = 0;  // 3 galaxy, 6 star
  std::int64_t objc_flags = 0, objc_flags2 = 0;
  int nchild = 0;
  double ra = 0, dec = 0;  // degrees
  using Bands = std::array<double, survey::kNumBands>;
  Bands rowc{}, colc{};  // 0-based frame pixel position in each band's frame
  Bands psfflux{}, devflux{}, expflux{};  // nmgy
  Bands fracdev{}, ab_dev{}, ab_exp{}, theta_dev{}, theta_exp{};  // theta: arcsec
  Bands phi_dev_deg{}, phi_exp_deg{}, phi_offset{};               // degrees
};

// Every row of the photoObj table. Throws InputError (file, HDU, column, reason) when the file
// is missing or unreadable, HDU 2 is not a binary table (the M2 field's photoObj is an empty
// image: SDSS Photo produced no objects), or a required column is absent.
std::vector<PhotoObjRow> read_photoobj_rows(const std::string& path);

// objc_type ∈ {3, 6}, 0 ≤ fracdev_r ≤ 1, nchild = 0, objc_flags has none of bits 1 (BRIGHT),
// 18 (SATUR) and 24 (as in Celeste.jl), objc_flags2 none of bits 11, 14,
// 18. Survey-primary status is NOT required (model.md §10.6; data README §7).
bool usable_for_initialisation(const PhotoObjRow& row);
// The first of those selection rules that drops the row, as the report names it
// (not_star_or_galaxy, deblend_parent, flagged), or "" when Photo's selection keeps it.
std::string photoobj_selection_drop(const PhotoObjRow& row);

// model.md §8.1 conversion (r band for the shape).
survey::CatalogEntry to_catalog_entry(const PhotoObjRow& row);

// Plausibility of a row's values that the conversion uses, "" when fine, else
// "column NAME (band) = value ...". Rules (docs/io.md): RA finite, DEC in [-90, 90], FRACDEV
// (r) in [0, 1], PSFFLUX/DEVFLUX/EXPFLUX finite with |flux| <= 1e9 nmgy in every band (Photo's
// negative fluxes of faint objects are fine), the r-band AB in (0, 1], THETA in
// [0, 3600] arcsec and PHI / PHI_OFFSET finite for the profile used.
inline constexpr double kMaxPhotoObjFluxNmgy = 1e9;
inline constexpr double kMaxPhotoObjThetaArcsec = 3600;
std::string photoobj_row_problem(const PhotoObjRow& row);

// read_photoobj_rows + usable_for_initialisation + to_catalog_entry. May be empty. Rows that
// Photo's selection keeps (type, children, flags) but photoobj_row_problem rejects are skipped
// with a warning naming the file, objid, column and value (docs/decisions.md, issue 12).
// `counts`, when given, gets the rows read and those dropped by reason, in this order:
// not_star_or_galaxy (OBJC_TYPE not 3 or 6), deblend_parent (NCHILD > 0), flagged
// (kPhotoObjFlagsMask / kPhotoObjFlags2Mask bits), implausible_values (photoobj_row_problem).
survey::Catalog read_photoobj(const std::string& path, CatalogRowCounts* counts = nullptr);

inline constexpr std::int64_t kPhotoObjFlagsMask = (1LL << 1) | (1LL << 18) | (1LL << 24);
inline constexpr std::int64_t kPhotoObjFlags2Mask = (1LL << 11) | (1LL << 14) | (1LL << 18);

}  // namespace celeste::io
