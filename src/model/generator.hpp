#pragma once
// Synthetic survey generator (`celeste generate`): a catalog sampled from Celeste's priors (or
// given), imaged through the model itself (model.md §2: PSF mixture, galaxy prototypes, TAN
// WCS linearized at each source, sky, calibration) with Poisson noise. Its files are the demo's
// data and the ground truth of the inference tests.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "model/elbo_problem.hpp"
#include "survey/catalog.hpp"
#include "survey/image.hpp"

namespace celeste::model {

struct SyntheticSurvey {
  std::vector<survey::Image> images;  // band-major: all epochs of the first band, then ...
  survey::Catalog truth;              // what was rendered
  survey::Catalog initial;            // a noisy, Photo-like catalog to initialise a fit from
};

// Sources drawn from the priors (model.md §1.2; r flux truncated to [1, 1100] nmgy, scale
// log-normal as the inference prior), uniformly over the images' common footprint.
survey::Catalog sample_catalog(const config::GenerateConfig& cfg, std::mt19937_64& rng);

// Images without pixels: WCS (epoch offsets and small rotations), PSF mixture, sky, ι.
std::vector<survey::Image> make_image_geometry(const config::GenerateConfig& cfg,
                                               std::mt19937_64& rng);

// Canonical parameters with a point-mass q at a catalog entry's values (ζ = λ = 0, so E[ℓ_b] is
// exactly ℓ_b; χ = 1 for the entry's type): renders the entry with the model's own functions.
SourceParams point_parameters(const survey::CatalogEntry& e);

// Expected photo-electrons F(m) = ι (ε + Σ_s ℓ_s,b f_s(m)) of every pixel, for the catalog's
// true types and fluxes (point-sampled profiles, linearized WCS at each source).
std::vector<double> render_expected_counts(const survey::Image& image,
                                           const survey::Catalog& catalog);

// Poisson draws of the expected counts into image.pixels (deterministic for a given seed).
void sample_counts(survey::Image& image, const std::vector<double>& expected, std::uint64_t seed);

// A Photo-like initial catalog: truth with position (0.3 px), flux (20 %) and shape noise and
// the type of faint sources flipped with probability 10 %.
survey::Catalog perturb_catalog(const survey::Catalog& truth, double pixel_scale_arcsec,
                                std::mt19937_64& rng);

// The survey of cfg: `given_truth` rendered when present (the caller reads cfg.truth_catalog),
// else a catalog sampled from the priors. Files are written by the caller (app/survey_files.hpp).
SyntheticSurvey generate_survey(const config::GenerateConfig& cfg,
                                const std::optional<survey::Catalog>& given_truth = std::nullopt);

}  // namespace celeste::model
