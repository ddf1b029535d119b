#pragma once
// The model's expected light in one image (model.md §2.2): Σ_s E[G_s](m) at every pixel, in
// nmgy per pixel without the sky, for sources given by their canonical parameters (a point
// mass at catalog values for the generator, the posterior for model images). Stars use the
// image's pixelized PSF where it has one and `options` asks for it (patches.hpp), else the
// mixture, exactly as the ELBO does.
#include <vector>

#include "model/elbo_problem.hpp"
#include "model/patches.hpp"
#include "survey/image.hpp"

namespace celeste::model {

// Index (w − 1) width + (h − 1), as survey::Image. Throws std::invalid_argument for a PSF
// mixture of 0 or more than kMaxPsfComponents components.
std::vector<double> render_sources_nmgy(const survey::Image& image,
                                        const std::vector<SourceParams>& params,
                                        const PatchOptions& options);

}  // namespace celeste::model
