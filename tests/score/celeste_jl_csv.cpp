#include "score/celeste_jl_csv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "score/magnitudes.hpp"

namespace celeste::score::testing {

namespace {

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

}  // namespace

CsvTable read_csv(const std::string& path) {
  CsvTable t;
  t.path = path;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path << ": cannot open";
  std::string line;
  if (!std::getline(in, line)) {
    ADD_FAILURE() << path << ": empty";
    return t;
  }
  t.header = split_commas(line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto cells = split_commas(line);
    EXPECT_EQ(cells.size(), t.header.size()) << path << ": row " << t.rows.size() + 1;
    cells.resize(t.header.size());
    t.rows.push_back(cells);
  }
  return t;
}

bool CsvTable::has(const std::string& column) const {
  for (const auto& h : header)
    if (h == column) return true;
  return false;
}

std::vector<std::string> CsvTable::text(const std::string& column) const {
  std::size_t c = 0;
  while (c < header.size() && header[c] != column) ++c;
  EXPECT_LT(c, header.size()) << path << ": no column " << column;
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(c < row.size() ? row[c] : "");
  return out;
}

std::vector<double> CsvTable::numbers(const std::string& column) const {
  std::vector<double> out;
  for (const std::string& cell : text(column)) {
    if (cell.empty() || cell == "NaN") {
      out.push_back(kMissing);
    } else if (cell == "true" || cell == "false") {
      out.push_back(cell == "true" ? 1.0 : 0.0);
    } else {
      std::size_t used = 0;
      const double v = std::stod(cell, &used);
      EXPECT_EQ(used, cell.size()) << path << ": column " << column << ": '" << cell << "'";
      out.push_back(v);
    }
  }
  return out;
}

ScoringCatalog celeste_jl_catalog(const CsvTable& t) {
  const auto ra = t.numbers("ra"), dec = t.numbers("dec"), is_star = t.numbers("is_star");
  const auto flux = t.numbers("flux_r_nmgy");
  const auto frac_dev = t.numbers("gal_frac_dev"), axis = t.numbers("gal_axis_ratio");
  const auto radius = t.numbers("gal_radius_px"), angle = t.numbers("gal_angle_deg");
  std::vector<std::vector<double>> colors, color_sds;
  for (const char* c : kColorNames) {
    colors.push_back(t.numbers(c));
    if (t.has(std::string(c) + "_stderr")) color_sds.push_back(t.numbers(std::string(c) + "_stderr"));
  }
  const bool has_sd = t.has("log_flux_r_stderr");
  const auto log_flux_sd = has_sd ? t.numbers("log_flux_r_stderr") : std::vector<double>();
  ScoringCatalog out(ra.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    ScoringSource& s = out[i];
    s.objid = static_cast<std::int64_t>(i) + 1;
    s.ra_deg = ra[i];
    s.dec_deg = dec[i];
    s.prob_star = is_star[i];
    s.flux_r_nmgy = flux[i];
    for (std::size_t c = 0; c < kNumColors; ++c) {
      s.color_mag[c] = colors[c][i] * kMagPerLn;  // Celeste.jl colors are ln flux ratios
      if (c < color_sds.size()) s.color_mag_sd[c] = color_sds[c][i] * kMagPerLn;
    }
    s.gal_frac_dev = frac_dev[i];
    s.gal_axis_ratio = axis[i];
    s.gal_radius_px = radius[i];
    s.gal_angle_deg = angle[i];
    if (has_sd) s.log_flux_r_sd = log_flux_sd[i];
  }
  return out;
}

}  // namespace celeste::score::testing
