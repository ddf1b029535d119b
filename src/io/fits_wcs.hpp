#pragma once
// TAN WCS from/to the current HDU's header (CTYPEi, CRPIXi, CRVALi, CDi_j).
#include "io/fits_file.hpp"
#include "survey/wcs.hpp"

namespace celeste::io {

// Requires CRPIX1/2, CRVAL1/2 and the CD matrix (CDi_j; a missing off-diagonal term is 0 as the
// FITS standard says; CDELTi with no CD matrix is accepted as a diagonal CD). CTYPEi, when
// present, must be RA---TAN / DEC--TAN. Throws InputError "<file>: HDU <n>: ..." for a missing
// keyword, another projection, or a singular / non-finite matrix.
survey::TanWcs read_tan_wcs(const FitsFile& file);

void write_tan_wcs(FitsFile& file, const survey::TanWcs& wcs);

}  // namespace celeste::io
