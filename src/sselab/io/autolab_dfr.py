"""Eco Chemie / Autolab FRA ``.dfr`` text files: impedance spectra.

Layout (one value per line): ``VERSION8.0``, the number of points N, one more integer, then N blocks of nine values
— frequency (Hz), Z' (Ω), −Z'' (Ω), then six values (DC potential, DC current, time ... zero in the known files) —
and a trailer (flags and two ``dd.mm.yyyy hh:mm:ss`` dates whose meaning is not documented; kept in ``extra``).
The second value of a block is stored as −Z'': checked against the same spectrum exported as .mpt / .DTA / .z
(pyimpspec's test data), so the reader negates it.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, ReaderError
from ._common import last_token_state, read_text
from .base import Measurement, ReadWarning

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


_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}\s+\d{1,2}:\d{2}(:\d{2})?")
#: numbers between the last point block and the first date of the trailer, in every known file
_TRAILER_NUMBERS = 3


def _float(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def read_dfr(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    items = [(i + 1, ln.strip()) for i, ln in enumerate(text.split("\n")) if ln.strip()]
    if len(items) < 3 or not items[0][1].upper().startswith("VERSION"):
        raise ReaderError(path, "not an Autolab .dfr file (no VERSION line)")
    count_line, count_tok = items[1]
    try:
        n = int(count_tok)
    except ValueError:
        raise ReaderError(path, f".dfr point count {count_tok[:40]!r} is not an integer", line=count_line) from None
    if n <= 0:
        raise EmptyFileError(path, f".dfr announces {n} points")
    body = items[3:]
    # the numeric run: point blocks (+ the trailer's first numbers) up to the first non-number (the trailer's dates)
    values: list[float] = []
    for _line, tok in body:
        v = _float(tok)
        if v is None:
            break
        values.append(v)
    k = len(values)
    stop = body[k] if k < len(body) else None
    warn: list = []
    if stop is not None and _DATE.fullmatch(stop[1]):
        # complete file: the layout fixes the number of values exactly
        if k != _BLOCK * n + _TRAILER_NUMBERS:
            if k > _TRAILER_NUMBERS and (k - _TRAILER_NUMBERS) % _BLOCK == 0:
                m = (k - _TRAILER_NUMBERS) // _BLOCK
                warn.append(ReadWarning(f".dfr announces {n} points but holds {m} complete point blocks: all {m} read",
                                        line=count_line))
                n = m
            else:
                raise ReaderError(path, f"{k} values before the .dfr trailer where {n} points need "
                                        f"{_BLOCK * n + _TRAILER_NUMBERS}: a line is missing or extra, the points "
                                        "cannot be told apart", line=stop[0])
    elif stop is not None:
        raise ReaderError(path, f"{stop[1][:40]!r} is not a number (inside the .dfr data block)", line=stop[0])
    else:
        # no trailer: a file cut short (or a layout we have not seen)
        have = k // _BLOCK
        if have < n:
            if have == 0:
                raise EmptyFileError(path, f".dfr announces {n} points but holds none (truncated?)")
            last_ok = have * _BLOCK
            if last_ok == k and not text.endswith("\n"):
                # the file ends exactly at a block end: its last value may be cut inside
                hist = [body[j][1] for j in range(last_ok - 1 - _BLOCK, -1, -_BLOCK)][:50][::-1]
                if last_token_state(hist, body[last_ok - 1][1]) != "complete":
                    have -= 1
            if have == 0:
                raise EmptyFileError(path, f".dfr announces {n} points but holds no complete one (truncated?)")
            warn.append(ReadWarning(f".dfr announces {n} points, only {have} complete ones present (truncated "
                                    "file): kept those", line=body[have * _BLOCK - 1][0] if have else count_line))
            n = have
    vals = np.array(values[: n * _BLOCK], dtype=float).reshape(n, _BLOCK)
    lines = np.array([body[j * _BLOCK][0] for j in range(n)], dtype=np.int64)
    f = vals[:, 0]
    fin = np.isfinite(f)
    if fin.sum() > 2:
        d = np.diff(f[fin])
        if not ((d < 0).all() or (d > 0).all()):
            j = int(np.flatnonzero(~((d < 0) if np.median(d) < 0 else (d > 0)))[0]) + 1
            warn.append(ReadWarning("frequencies are not one monotonic sweep (a damaged point block?): check the "
                                    "spectrum", line=int(lines[fin][j])))
    data = pd.DataFrame({"freq_Hz": vals[:, 0], "z_real_ohm": vals[:, 1], "z_imag_ohm": -vals[:, 2]})
    trailer = [tok for _l, tok in body[n * _BLOCK:]]
    return Measurement(data=data, source=path, format="autolab-dfr", technique="EIS", instrument="Autolab FRA",
                       warnings=warn,
                       extra={"technique_raw": "FRA", "dfr_version": items[0][1][len("VERSION"):].strip() or None,
                              "dfr_trailer": trailer[:20], "imag_stored_as": "-Z''", "_row_lines": lines})
