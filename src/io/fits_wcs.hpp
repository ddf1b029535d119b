#pragma once
// The current HDU's celestial WCS through WCSLIB (survey/wcs.hpp), and its output.
#include "io/fits_file.hpp"
#include "survey/wcs.hpp"

namespace celeste::io {

// Any celestial FITS WCS WCSLIB reads (TAN, SIN, ZEA, ...; CD, PC + CDELT or CROTA; SIP, TPV).
// Requires CRPIX1/2, CRVAL1/2 and a linear part (CDi_j, PCi_j or CDELTi); a header with no
// CTYPE1/2 at all is a TAN WCS (RA---TAN / DEC--TAN), as the Celeste stamps are. Throws
// InputError "<file>: HDU <n>: ..." naming the keyword for a missing or non-finite value, a
// keyword WCSLIB rejects, an unknown projection, a non-celestial axis pair, a reference
// latitude outside [-90, 90], a singular linear matrix or one beyond 1 deg/pixel.
survey::Wcs read_wcs(const FitsFile& file);

// Writes the WCS as WCSLIB writes it (17 significant digits, so read_wcs gives it back).
void write_wcs(FitsFile& file, const survey::Wcs& wcs);

}  // namespace celeste::io
