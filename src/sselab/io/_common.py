"""Helpers shared by the readers: decoding, unit factors, canonical column mapping, finishing touches."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, ReaderError
from .base import Measurement

#: multiplicative factors of the units instruments write, to SI
UNIT_FACTORS: dict[str, float] = {
    # time
    "s": 1.0, "sec": 1.0, "Sec": 1.0, "secs": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "min": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0,
    # potential
    "V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6, "kV": 1e3,
    # current
    "A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6, "nA": 1e-9, "pA": 1e-12,
    # charge
    "C": 1.0, "mC": 1e-3, "uC": 1e-6, "µC": 1e-6, "A.h": 3600.0, "mA.h": 3.6, "uA.h": 3.6e-3, "µA.h": 3.6e-3,
    "Ah": 3600.0, "mAh": 3.6, "uAh": 3.6e-3, "µAh": 3.6e-3,
    # impedance
    "Ohm": 1.0, "ohm": 1.0, "ohms": 1.0, "Ohms": 1.0, "Ω": 1.0, "kOhm": 1e3, "kohm": 1e3, "kΩ": 1e3,
    "MOhm": 1e6, "Mohm": 1e6, "MΩ": 1e6, "mOhm": 1e-3, "mohm": 1e-3, "mΩ": 1e-3,
    # frequency
    "Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "mHz": 1e-3,
    # angle
    "deg": 1.0, "°": 1.0,
}


def unit_factor(unit: str | None, default: float | None = 1.0) -> float | None:
    """SI factor of ``unit`` (``None``/empty -> ``default``; unknown -> ``None``)."""
    if unit is None:
        return default
    u = unit.strip().strip("[]()").strip()
    if not u:
        return default
    u = u.replace("μ", "µ").replace("Ω", "Ω")
    if u in UNIT_FACTORS:
        return UNIT_FACTORS[u]
    # latin-1 / replacement-character mangled micro sign (EC-Lab exports read with the wrong code page)
    m = re.fullmatch(r"(?:\ufffd|ï¿½|Âµ|\?)(.+)", u)
    if m and ("µ" + m.group(1)) in UNIT_FACTORS:
        return UNIT_FACTORS["µ" + m.group(1)]
    return None


def read_head(path: Path, n: int = 8192) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def decode(raw: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM) when valid, else latin-1 (EC-Lab, most Windows software)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_text(path: Path) -> str:
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise EmptyFileError(path, "file is empty")
    return decode(raw).replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")


_NUM_DOT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?$")


def is_number(tok: str, decimal: str = ".") -> bool:
    tok = tok.strip()
    if not tok:
        return False
    if decimal == ",":
        return bool(_NUM_COMMA.match(tok))
    return bool(_NUM_DOT.match(tok)) or tok.lower() in ("nan", "inf", "-inf")


def has_decimal_comma(tokens) -> bool:
    """True when numbers among ``tokens`` use a decimal comma (``2,3278546E+000``) and none a decimal point."""
    comma = point = 0
    for t in tokens:
        t = t.strip()
        if re.fullmatch(r"[+-]?\d*,\d+([eE][+-]?\d+)?", t):
            comma += 1
        elif re.fullmatch(r"[+-]?\d*\.\d+([eE][+-]?\d+)?", t):
            point += 1
    return comma > 0 and point == 0


def to_int_column(s: pd.Series) -> pd.Series:
    """Integer column (nullable when the input has gaps)."""
    v = pd.to_numeric(s, errors="coerce")
    if v.isna().any():
        return v.round().astype("Int64")
    return v.round().astype(np.int64)


def last_row_state(rows: list[list[str]], file_ends_with_newline: bool, n_columns: int | None = None) -> str:
    """``'complete'``, ``'partial'`` or ``'unknown'`` for the last row of a table at the very end of a file.

    A last line followed by a line break is complete.  Without one the file may have been cut inside it: the row is
    *partial* when it has fewer fields than the rows before (or than ``n_columns``), lacks an exponent where every
    earlier value of that column has one, or is shorter than the shortest earlier value; it is *complete* when each
    field matches a fixed-width column; otherwise *unknown* (free-format numbers cannot be checked)."""
    if file_ends_with_newline or not rows:
        return "complete"
    last = rows[-1]
    if n_columns is not None and len(last) < n_columns:
        return "partial"
    prev = rows[-51:-1]
    if not prev:
        return "unknown"
    if len(prev[-1]) != len(last):
        return "partial"
    state = "complete"
    for k, tok in enumerate(last):
        col = [r[k].strip().lstrip("+-") for r in prev if len(r) > k]
        t = tok.strip().lstrip("+-")
        if not col:
            continue
        if all("e" in c.lower() for c in col) and "e" not in t.lower():
            return "partial"
        lens = [len(c) for c in col]
        if len(t) < min(lens):
            return "partial"
        if len(t) < max(lens):
            state = "unknown"
    return state


def last_row_partial(rows: list[list[str]], file_ends_with_newline: bool) -> bool:
    return last_row_state(rows, file_ends_with_newline) == "partial"


UNCHECKED_LAST_ROW = ("file ends without a line break and the last row's numbers cannot be checked for completeness "
                      "(free-format): kept — verify it")


def imag_sign_looks_flipped(z_imag, freq=None) -> bool:
    """True when an impedance imaginary part was evidently stored as −Z″ (a capacitive arc has Z″ < 0).

    Demands strong evidence: at least 10 points over at least two decades, ≥ 60 % of all and ≥ 80 % of the
    low-frequency half positive (inductive artefacts live at high frequency; capacitive behaviour at low)."""
    zi = np.asarray(z_imag, float)
    f = np.ones_like(zi) if freq is None else np.asarray(freq, float)
    ok = np.isfinite(zi) & (zi != 0) & np.isfinite(f) & (f > 0)
    zi, f = zi[ok], f[ok]
    if len(zi) < 10:
        return False
    if freq is not None:
        lf = np.log10(f)
        if np.ptp(lf) < 2.0:
            return False
        low = zi[lf <= np.median(lf)]
    else:
        low = zi
    return bool(np.mean(zi > 0) >= 0.6 and np.mean(low > 0) >= 0.8)


def finish(meas: Measurement) -> Measurement:
    """Common last steps: drop all-NaN canonical rows, make sure the table is not empty, record temperature."""
    d = meas.data
    if len(d) == 0:
        raise EmptyFileError(meas.source, "no data rows")
    # an impedance measurement keeps only impedance rows in .data; DC points recorded between spectra
    # (frequency 0, e.g. EC-Lab GEIS/PEIS waits) move to extra["dc_rows"]
    if meas.technique == "EIS" and "freq_Hz" in d.columns:
        f = pd.to_numeric(d["freq_Hz"], errors="coerce").to_numpy(float)
        keep = np.isfinite(f) & (f > 0)
        if not keep.all():
            meas.extra["dc_rows"] = d.loc[~keep].reset_index(drop=True)
            meas.data = d = d.loc[keep].reset_index(drop=True)
            meas.warnings.append(f"{int((~keep).sum())} non-impedance row(s) (frequency 0) moved to extra['dc_rows']")
        if len(d) == 0:
            raise EmptyFileError(meas.source, "no impedance rows (every frequency is 0)")
    if "temperature_K" in d.columns and meas.temperature_K is None:
        t = pd.to_numeric(d["temperature_K"], errors="coerce").to_numpy(float)
        t = t[np.isfinite(t)]
        if len(t) and np.ptp(t) < 2.0:
            meas.temperature_K = float(np.mean(t))
            meas.extra.setdefault("temperature_source", "file")
    if meas.temperature_K is not None:
        meas.extra.setdefault("temperature_source", "file")
    # never leave infinities from unit conversions of garbage
    return meas


def reader_error(path, problem: str) -> ReaderError:
    """A one-line reader error (newlines squashed)."""
    return ReaderError(path, " ".join(str(problem).split()))
