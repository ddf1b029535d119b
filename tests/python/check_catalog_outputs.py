"""Opens a Celeste-K catalog pair (FITS + HDF5) as a user would, with astropy and h5py, with
every warning an error, and checks what docs/io.md promises: provenance in both files,
CHECKSUM/DATASUM, full column descriptions, units astropy parses, `status` as a plain string,
one header keyword per flag bit, and no NaN uncertainty without a warning flag.

usage: check_catalog_outputs.py CATALOG.fits CATALOG.h5
Prints one summary line; exits non-zero (an AssertionError or a warning turned error) on a
broken promise.
"""
import sys
import warnings

warnings.simplefilter("error")  # a UnitsWarning, VerifyWarning... fails the check

import astropy.units as u  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402
from astropy.io import fits  # noqa: E402
from astropy.table import Table  # noqa: E402

fits_path, h5_path = sys.argv[1], sys.argv[2]

PROVENANCE_KEYS = ("ORIGIN", "CREATOR", "CELVERS", "CELGIT", "DATE", "RUNSTART", "HOST",
                   "BACKEND", "NTHREADS", "NINPUTS")
SD_WARNING_BITS = 0b11110  # sd_at_bound, sd_shape_conditioned, sd_mean_field, sd_unavailable


def config_from_history(header):
    """The effective configuration from the HISTORY block (a trailing backslash continues)."""
    cards = [str(c) for c in header["HISTORY"]]
    begin = next(i for i, c in enumerate(cards) if c.startswith("--BEGIN-CELESTE-CONFIG--"))
    end = cards.index("--END-CELESTE-CONFIG--")
    lines, cont = [], False
    for c in cards[begin + 2:end]:
        text = c[:-1] if c.endswith("\\") else c
        if cont:
            lines[-1] += text
        else:
            lines.append(text)
        cont = c.endswith("\\")
    return "\n".join(lines) + "\n"


# ---- FITS: checksums, provenance, flag keywords
with fits.open(fits_path, checksum=True) as hdul:  # checksum=True verifies on open
    assert len(hdul) == 2, len(hdul)
    for h in hdul:
        assert "CHECKSUM" in h.header and "DATASUM" in h.header, h.name
        assert h.verify_checksum() == 1 and h.verify_datasum() == 1, h.name
    primary, table = hdul[0].header, hdul["CATALOG"].header
    for hdr in (primary, table):
        for key in PROVENANCE_KEYS:
            assert key in hdr, key
        assert hdr["ORIGIN"] == "Celeste-K"
        assert len(hdr["CELGIT"]) >= 7, hdr["CELGIT"]
        for i in range(1, hdr["NINPUTS"] + 1):
            assert hdr[f"INFIL{i}"] and hdr[f"INSIZ{i}"] >= 0 and hdr[f"INTIM{i}"], i
    config = config_from_history(table)
    assert config == config_from_history(primary)
    for bit in range(8):
        assert f"FFLAG{bit}" in table, bit
    for bit in range(5):
        assert f"WFLAG{bit}" in table, bit
    tcomm = [table[f"TCOMM{i + 1}"] for i in range(table["TFIELDS"])]
    ninputs, date = table["NINPUTS"], table["DATE"]

t = Table.read(fits_path, hdu="CATALOG")
h = Table.read(h5_path, path="catalog")
assert t.colnames == h.colnames, (t.colnames, h.colnames)
assert len(t) == len(h)

# ---- full descriptions, the same in both files; units parsed by astropy
for i, name in enumerate(t.colnames):
    assert t[name].description == tcomm[i], (name, t[name].description, tcomm[i])
    assert h[name].description == tcomm[i], (name, h[name].description)
    assert len(tcomm[i]) > 10, name
for tab in (t, h):
    for name in tab.colnames:
        unit = tab[name].unit
        assert unit is None or not isinstance(unit, u.UnrecognizedUnit), (name, unit)
    for band in "ugriz":
        assert tab[f"flux_{band}"].unit == u.nanomaggy, tab[f"flux_{band}"].unit
        assert tab[f"mag_{band}"].unit == u.mag
    assert tab["ra"].unit == u.deg and tab["ra_sd"].unit == u.arcsec
    assert tab["gal_scale_px"].unit == u.pix

# ---- status as a plain string; values the same in both files
converged = int(np.sum(np.asarray(t["status_code"]) == 0))
for tab in (t, h):
    assert int(np.sum(tab["status"] == "converged")) == converged
for name in t.colnames:
    if name == "status":
        continue
    a, b = np.asarray(t[name]), np.asarray(h[name])
    assert a.shape == b.shape, name
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name

# ---- no NaN uncertainty without a flag
# (astropy masks a FITS column's NaNs; the HDF5 table has them as they are)
sd_cols = [c for c in h.colnames if c.endswith("_sd") or c.endswith("_sd_mf")]
nan_sd = np.zeros(len(h), dtype=bool)
for c in sd_cols:
    nan_sd |= np.isnan(np.asarray(h[c], dtype=float))
flagged = (np.asarray(h["warning_flags"]) & SD_WARNING_BITS) != 0
unflagged = int(np.sum(nan_sd & ~flagged))
assert unflagged == 0, f"{unflagged} rows have a NaN sd and no sd warning bit"
# at_bound is a warning, never a failure bit
assert not np.any(np.asarray(t["failure_flags"]) & (1 << 5))

# ---- HDF5 provenance (root attributes) and column attributes through h5py
with h5py.File(h5_path, "r") as f:
    a = f.attrs
    for key in ("software", "version", "git_commit", "date_utc", "start_utc", "host",
                "backend", "threads", "config", "input_paths", "input_bytes",
                "input_modified_utc"):
        assert key in a, key
    assert a["software"] == "Celeste-K" and a["date_utc"] == date
    assert a["config"] == config, "HDF5 config differs from the FITS HISTORY block"
    assert len(a["input_paths"]) == ninputs == len(a["input_bytes"])
    ds = f["catalog"]
    assert ds.dtype.names == tuple(t.colnames)
    for i, name in enumerate(t.colnames):
        field_name = ds.attrs[f"FIELD_{i}_NAME"]  # H5TB's, a fixed-length (bytes) string
        assert (field_name.decode() if isinstance(field_name, bytes) else field_name) == name
        assert ds.attrs[f"FIELD_{i}_DESCRIPTION"] == tcomm[i], name
    assert ds.attrs["WFLAG0"].startswith("at_bound")
    assert h.meta["git_commit"] == a["git_commit"]

print(f"ok: {len(t)} rows, {len(t.colnames)} columns, {converged} converged, "
      f"{int(np.sum(nan_sd))} with a NaN sd (all flagged), "
      f"{ninputs} inputs, {len(config.splitlines())} config lines")
