"""Eco Chemie / Autolab FRA ``.dfr`` text files: impedance spectra.

Layout (one value per line): ``VERSION8.0``, the number of points N, one more integer, then N blocks of nine values
— frequency (Hz), Z' (Ω), −Z'' (Ω), then six values (DC potential, DC current, time ... zero in the known files) —
and a trailer (flags and two ``dd.mm.yyyy hh:mm:ss`` dates whose meaning is not documented; kept in ``extra``).
The second value of a block is stored as −Z'': checked against the same spectrum exported as .mpt / .DTA / .z
(pyimpspec's test data), so the reader negates it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, ReaderError
from ._common import read_text
from .base import Measurement

_BLOCK = 9


def looks_like(head: bytes) -> bool:
    lines = head.lstrip(b"\xef\xbb\xbf").splitlines()[:3]
    if len(lines) < 3 or not lines[0].strip().upper().startswith(b"VERSION"):
        return False
    try:
        int(lines[1].strip())
        float(lines[2].strip())
    except ValueError:
        return False
    return True


def read_dfr(path, **_) -> Measurement:
    path = Path(path)
    lines = [ln.strip() for ln in read_text(path).split("\n")]
    lines = [ln for ln in lines if ln]
    if len(lines) < 3 or not lines[0].upper().startswith("VERSION"):
        raise ReaderError(path, "not an Autolab .dfr file (no VERSION line)")
    try:
        n = int(lines[1])
    except ValueError:
        raise ReaderError(path, f".dfr point count {lines[1]!r} is not an integer") from None
    if n <= 0:
        raise EmptyFileError(path, f".dfr announces {n} points")
    body = lines[3:]
    warn: list[str] = []
    have = len(body) // _BLOCK
    if have < n:
        if have == 0:
            raise EmptyFileError(path, f".dfr announces {n} points but holds none (truncated?)")
        warn.append(f".dfr announces {n} points, only {have} complete ones present (truncated file): kept those")
        n = have
    try:
        values = np.array([float(x) for x in body[: n * _BLOCK]], dtype=float).reshape(n, _BLOCK)
    except ValueError as exc:
        raise ReaderError(path, f".dfr data block is not numeric ({exc})") from None
    data = pd.DataFrame({"freq_Hz": values[:, 0], "z_real_ohm": values[:, 1], "z_imag_ohm": -values[:, 2]})
    ok = np.isfinite(data.to_numpy()).all(axis=1) & (data["freq_Hz"].to_numpy() > 0)
    if not ok.all():
        warn.append(f"{int((~ok).sum())} point(s) with a non-positive or non-finite frequency/impedance dropped")
        data = data.loc[ok].reset_index(drop=True)
    if len(data) == 0:
        raise EmptyFileError(path, "no valid impedance points")
    trailer = body[n * _BLOCK:]
    return Measurement(data=data, source=path, format="autolab-dfr", technique="EIS", instrument="Autolab FRA",
                       warnings=warn,
                       extra={"technique_raw": "FRA", "dfr_version": lines[0][len("VERSION"):].strip() or None,
                              "dfr_trailer": trailer[:20], "imag_stored_as": "-Z''"})
