#pragma once
// The one place that decides whether a PSF is usable (issue 12). Readers of every survey call
// it, so a PSF that would be fitted and "converge" to nonsense is an InputError instead,
// naming `where` (file, HDU, band) and the offending component and value.
//
// Gaussian mixture (generic images' PSF_P* keywords; the mixture fitted to an SDSS psField):
//   - 1 or more components, each amplitude finite and >= 0, their sum > 0;
//   - each mean finite and within kMaxPsfOffsetPx of the stamp centre along h and w (the
//     mixture fit's own bound, io/psf_fit.hpp);
//   - each covariance finite and positive definite with both eigenvalues in
//     [kMinPsfVariancePx2, kMaxPsfVariancePx2] (0.01 to 100 px standard deviation).
// Pixelized stamp (the psField eigen-PSF evaluated at a frame position): every value finite,
// sum > 0 (an all-zero or negated eigen-image basis gives a sum <= 0).
#include <string>
#include <vector>

#include "survey/image.hpp"

namespace celeste::io {

inline constexpr double kMinPsfVariancePx2 = 1e-4;
inline constexpr double kMaxPsfVariancePx2 = 1e4;
inline constexpr double kMaxPsfOffsetPx = 5.0;

// Throws InputError "<where>: PSF component k ...: <reason>"; `file` and `hdu` (1-based) go
// into the error's site.
void validate_psf_mixture(const std::vector<survey::PsfComponent>& psf, const std::string& where,
                          const std::string& file, int hdu);

// Throws InputError "<where>: PSF stamp ...: <reason>".
void validate_psf_stamp(const std::vector<double>& stamp, int width, int height,
                        const std::string& where, const std::string& file, int hdu);

}  // namespace celeste::io
