"""Helpers shared by the readers: decoding, unit factors, canonical column mapping, finishing touches."""
from __future__ import annotations

import contextvars
import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingDependencyError, ReaderError
from .base import CANONICAL_COLUMNS, KEY_COLUMNS_EIS, KEY_COLUMNS_TIME, Measurement, ReadWarning

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


#: largest file sselab reads in one go (bytes); ``SSELAB_MAX_FILE_BYTES`` or ``read(..., max_bytes=...)`` change it
DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3


#: the limit of the read in progress (``read(..., max_bytes=N)``), seen by every reader's file access
_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("sselab_max_file_bytes", default=None)


def optional_import(module: str, name: str | None, path, needs: str):
    """``module`` (or its attribute ``name``) from an optional extra; missing → one-line
    :class:`MissingDependencyError` ``"PATH: <needs>"`` (``needs`` says what and the pip command)."""
    try:
        mod = __import__(module, fromlist=[name] if name else [])
    except ImportError:
        mod = None
    if mod is None or (name and not hasattr(mod, name)):    # as ``from module import name`` would fail
        where = f"{path}: " if path is not None else ""
        raise MissingDependencyError(f"{where}{needs}")
    return getattr(mod, name) if name else mod


def max_file_bytes(override: int | None = None) -> int:
    if override is not None:
        return int(override)
    if _LIMIT.get() is not None:
        return int(_LIMIT.get())
    env = os.environ.get("SSELAB_MAX_FILE_BYTES", "").strip()
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise ReaderError(None, f"SSELAB_MAX_FILE_BYTES={env!r} is not a number of bytes") from None
    return DEFAULT_MAX_FILE_BYTES


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _human(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _access_error(path, exc: OSError, doing: str) -> ReaderError:
    """The one-line :class:`ReaderError` for an ``OSError`` met while trying to ``doing`` (access, open) ``path``."""
    if isinstance(exc, FileNotFoundError):
        return ReaderError(path, "no such file")
    if isinstance(exc, NotADirectoryError):
        return ReaderError(path, "no such file (a parent is not a folder)")
    if isinstance(exc, IsADirectoryError):
        return ReaderError(path, "is a directory, not a file")
    if isinstance(exc, PermissionError):
        return ReaderError(path, "permission denied")
    return ReaderError(path, f"cannot {doing} the file ({exc.strerror or type(exc).__name__})")


def _refuse_irregular(path, mode: int) -> None:
    """Refuse (one-line :class:`ReaderError`) anything but a regular file: folders, FIFOs, sockets, devices."""
    if stat.S_ISDIR(mode):
        raise ReaderError(path, "is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise ReaderError(path, f"is {_kind_of(mode)}, not a regular file: refused")


def check_regular(path, max_bytes: int | None = None) -> int:
    """Size of ``path`` after making sure it is a regular file within the size limit — without opening it.

    FIFOs, sockets and devices are refused at once (opening a FIFO blocks forever); so are files above
    :func:`max_file_bytes`.  Raises a one-line :class:`ReaderError`."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _access_error(path, exc, "access") from None
    _refuse_irregular(path, st.st_mode)
    limit = max_file_bytes(max_bytes)
    if st.st_size > limit:
        raise ReaderError(path, f"file is {_human(st.st_size)}, above sselab's {_human(limit)} limit for one file "
                                "(raise it with SSELAB_MAX_FILE_BYTES or read(..., max_bytes=N))")
    return st.st_size


def _open_regular(path):
    """A binary handle on a regular file (opened non-blocking, so a FIFO swapped in after a check cannot hang us)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _access_error(path, exc, "open") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        _refuse_irregular(path, st.st_mode)
    return os.fdopen(fd, "rb"), st.st_size


def read_bytes(path, max_bytes: int | None = None) -> bytes:
    """The whole file, refusing non-regular files and files above the size limit with one line."""
    fh, size = _open_regular(path)
    with fh:
        limit = max_file_bytes(max_bytes)
        if size > limit:
            raise ReaderError(path, f"file is {_human(size)}, above sselab's {_human(limit)} limit for one file "
                                    "(raise it with SSELAB_MAX_FILE_BYTES or read(..., max_bytes=N))")
        data = fh.read(size + 1)  # the file's size (+1 to notice growth): read(n) allocates n bytes up front
        if len(data) > limit:
            raise ReaderError(path, f"file grew above sselab's {_human(limit)} limit for one file while being read")
        return data


def read_head(path, n: int = 8192) -> bytes:
    fh, _size = _open_regular(path)
    with fh:
        return fh.read(n)


def decode(raw: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM) when valid, else latin-1 (EC-Lab, most Windows software)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_text(path: Path) -> str:
    raw = read_bytes(path)
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


_INT64_SAFE = 2.0 ** 53  # integers beyond this are not exactly representable as float: never a real counter


def to_int_column(s: pd.Series, notes: list | None = None, name: str | None = None) -> pd.Series:
    """Integer column (int64, or nullable Int64 when some rows have no value).

    Values that are not finite, not whole numbers within ±2**53 (a 400-digit "cycle number"), or not numbers at all
    become <NA>; when ``notes`` is given, a warning counting them is appended to it."""
    kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else None
    if kind in ("i", "u"):
        arr = s.to_numpy()
        if kind == "i" or arr.max(initial=0) <= _INT64_SAFE:
            return pd.Series(arr.astype(np.int64, copy=False), index=s.index, name=s.name)
    if kind == "f":
        f = s.to_numpy()
    else:
        v = pd.to_numeric(s, errors="coerce")
        if v.dtype == object:  # Python ints beyond int64
            v = pd.to_numeric(v.astype(str), errors="coerce")
        f = v.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(f) | (np.abs(f) > _INT64_SAFE)
    if not bad.any():
        return pd.Series(np.rint(f).astype(np.int64), index=s.index, name=s.name)
    newly = bad & ~pd.isna(s).to_numpy()
    if newly.any() and notes is not None:
        what = name or (str(s.name) if s.name is not None else "integer column")
        notes.append(f"{int(newly.sum())} value(s) of {what!r} are not usable integers (non-finite or out of range): "
                     "left empty")
    out = np.rint(np.where(bad, 0.0, f)).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(out, bad), index=s.index, name=s.name)


# -- completeness of the last row of a file cut short ------------------------------------------------------------
_SHAPE = re.compile(r"([+-]?)(\d*)(?:([.,])(\d*))?(?:[eEdD]([+-]?)(\d*))?")


def number_shape(tok: str):
    """``(int_digits, has_separator, frac_digits, has_exponent, exp_digits)`` of a number token, else ``None``."""
    m = _SHAPE.fullmatch(tok.strip())
    if not m or not (m.group(2) or m.group(4)):
        return None
    t = tok.strip()
    has_exp = any(ch in t for ch in "eEdD")
    return (len(m.group(2) or ""), m.group(3) is not None, len(m.group(4) or ""), has_exp, len(m.group(6) or ""))


def _as_float(tok: str) -> float:
    try:
        return float(tok.strip().replace(",", ".").replace("d", "e").replace("D", "e"))
    except ValueError:
        return float("nan")


def last_token_state(history: list[str], tok: str) -> str:
    """Could ``tok``, the very last characters of a file that ends without a line break, be a number or word cut
    short?  ``history`` holds the same column's earlier values (most recent last).  ``'partial'`` when it is
    shorter than its column's fixed format (fewer exponent or fraction digits, a lost exponent or decimal separator),
    breaks the column's monotonic trend, or is shorter than every earlier value; ``'complete'`` when it has the
    column's full fixed format (or at least as many digits as any earlier value); ``'unknown'`` otherwise."""
    t = tok.strip()
    hist = [h.strip() for h in history if h.strip()]
    if not t:
        return "partial"
    if not hist:
        return "unknown"
    st = number_shape(t)
    shapes = [number_shape(h) for h in hist]
    lens = [len(h.lstrip("+-")) for h in hist]
    tl = len(t.lstrip("+-"))
    if st is None or any(x is None for x in shapes):
        # a text column (dates, step names): at least as long as every earlier value, or shorter than all
        if tl < min(lens):
            return "partial"
        return "complete" if tl >= max(lens) else "unknown"
    if st[3] and st[4] == 0:
        return "partial"  # "1.5E" or "1.5E-": the exponent was cut away
    if all(x[3] for x in shapes):
        if not st[3] or st[4] < min(x[4] for x in shapes):
            return "partial"
    if all(x[1] for x in shapes) and not st[1]:
        return "partial"
    fr = [x[2] for x in shapes]
    if st[1] and st[2] == 0 and min(fr) > 0:
        return "partial"  # "12." cut after the separator
    if len(set(fr)) == 1 and (st[1] or st[3]):
        # fixed number of fraction digits (EC-Lab's %.7E, Gamry, ZPlot ...): complete when it has them all
        return "partial" if st[2] < fr[0] else "complete"
    # free format: a column moving steadily one way (time, point counters) shows a cut value by leaving its trend
    vals = np.array([_as_float(h) for h in hist[-20:]])
    v = _as_float(t)
    if len(vals) >= 10 and np.isfinite(vals).all() and np.isfinite(v):
        d = np.diff(vals)
        if (d > 0).all() and v < vals[-1]:
            return "partial"
        if (d < 0).all() and v > vals[-1]:
            return "partial"
    if not st[1] and not st[3] and not any(x[1] or x[3] for x in shapes):
        # integers
        if tl < min(lens):
            return "partial"
        return "complete" if tl >= max(lens) else "unknown"
    if st[2] >= max(fr) and (not st[3] or st[4] >= max(x[4] for x in shapes)):
        return "complete"  # free format, but as many digits as the most precise earlier value
    if tl < min(lens):
        return "partial"
    return "unknown"


def last_row_state(rows: list[list[str]], file_ends_with_newline: bool, n_columns: int | None = None) -> str:
    """``'complete'``, ``'partial'`` or ``'unknown'`` for the last row of a table at the very end of a file.

    A last line followed by a line break is complete.  Without one the file may have been cut inside it: the row is
    *partial* when it has fewer fields than the row before (or than ``n_columns``), or when its last field fails
    :func:`last_token_state` against the same column of the rows before.  Only the last field can have been cut:
    every field before it is followed by a delimiter that survived."""
    if file_ends_with_newline or not rows:
        return "complete"
    last = list(rows[-1])
    prev = rows[-51:-1]
    if n_columns is not None and len([t for t in last]) < n_columns:
        return "partial"
    if prev and len(last) < len(prev[-1]):
        return "partial"
    if not last:
        return "partial"
    k = len(last) - 1
    hist = [r[k] for r in prev if len(r) > k]
    if not last[-1].strip() and len(last) > 1:
        # the file ends right after a delimiter: complete if that column is empty anyway, else its value was cut off
        return "complete" if not any(h.strip() for h in hist) else "partial"
    if not hist:
        # a single row: the other numbers of the row show the writer's exponent format (a cut shortens it first)
        st = number_shape(last[-1])
        exps = [x[4] for x in (number_shape(t) for t in last[:-1]) if x is not None and x[3]]
        if st is not None and st[3] and exps and len(set(exps)) == 1:
            return "complete" if st[4] >= exps[0] else "partial"
    return last_token_state(hist, last[-1])


def last_row_partial(rows: list[list[str]], file_ends_with_newline: bool) -> bool:
    return last_row_state(rows, file_ends_with_newline) == "partial"


UNCHECKED_LAST_ROW = ("file ends without a line break and the last row's numbers cannot be checked for completeness "
                      "(free-format): kept — verify it")


# -- warnings with line numbers --------------------------------------------------------------------------------------
def lines_text(lines, k: int = 5) -> str:
    """``"lines 12, 40, 77 and 3 more"`` (or ``"line 12"``) for a warning."""
    ls = [int(x) for x in lines]
    if not ls:
        return ""
    if len(ls) == 1:
        return f"line {ls[0]}"
    head = ", ".join(str(x) for x in ls[:k])
    return f"lines {head}" + (f" and {len(ls) - k} more" if len(ls) > k else "")


def row_warning(what: str, lines=None) -> ReadWarning:
    """A warning about some rows: ``what`` plus where (``"(lines 12, 40 …)"``), located at the first line."""
    ls = [int(x) for x in lines] if lines is not None else []
    if not ls:
        return ReadWarning(what)
    if len(ls) == 1:
        return ReadWarning(what, line=ls[0])
    return ReadWarning(f"{what} ({lines_text(ls)})", line=ls[0])


def line_starts(buf: bytes) -> np.ndarray:
    """Byte offsets where each line of ``buf`` starts (vectorised; ``\\n`` ends a line)."""
    nl = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 10)
    return np.concatenate(([0], nl + 1))


def nonblank_lines(buf: bytes, blank: bytes = b" \r") -> np.ndarray:
    """0-based numbers of the lines of ``buf`` holding anything but the ``blank`` bytes (pandas' C parser skips
    lines of spaces, but a line of tabs is a row of empty fields when tab is the separator).  Vectorised: a few
    passes over the bytes, no per-byte index arrays."""
    a = np.frombuffer(buf, dtype=np.uint8)
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = line_starts(buf)
    if starts[-1] == len(a):
        starts = starts[:-1]  # the buffer ends with a line break: no line after it
    mask = a != 10
    for ch in blank:
        mask &= a != ch
    solid = np.maximum.reduceat(mask.view(np.uint8), starts)
    return np.flatnonzero(solid)


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


def _rows_warning(what: str, idx, lines) -> ReadWarning:
    """A warning about the data rows ``idx`` (0-based): at their first file line when the reader mapped rows to
    lines, else naming the data rows."""
    idx = np.asarray(idx)
    if isinstance(lines, _RowLines):
        lines = lines.get()
    if lines is not None:
        return row_warning(what, lines[idx])
    rows = [int(i) + 1 for i in idx[:5]]
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return ReadWarning(f"{what} ({'data row' if len(idx) == 1 else 'data rows'} {', '.join(map(str, rows))}{more})")


class _RowLines:
    """The reader's row -> file line map (``extra['_row_lines']``: an array, or a callable making one only when a
    warning needs it — big clean files never pay for it), kept in step with rows dropped by :func:`finish`."""

    def __init__(self, src, n: int):
        self._src, self._n, self._masks, self._arr = src, n, [], None
        if src is not None and not callable(src):
            self._arr = self._check(src)

    def _check(self, arr):
        arr = np.asarray(arr, dtype=np.int64)
        return arr if len(arr) == self._n else None

    def keep(self, mask: np.ndarray) -> None:
        if self._arr is not None:
            self._arr = self._arr[mask]
        elif self._src is not None:
            self._masks.append(mask)

    def get(self) -> np.ndarray | None:
        if self._arr is None and callable(self._src):
            arr = self._check(self._src())
            self._src = None
            if arr is not None:
                for m in self._masks:
                    arr = arr[m]
            self._arr = arr
        return self._arr

    @property
    def known(self) -> np.ndarray | None:
        return self._arr


def _drop_duplicate_columns(meas: Measurement, warn: list) -> None:
    d = meas.data
    if not d.columns.has_duplicates:
        return
    cols = [str(c) for c in d.columns]
    keep = np.ones(len(cols), bool)
    new_names = list(cols)
    for name in dict.fromkeys(c for c in cols if cols.count(c) > 1):
        pos = [k for k, c in enumerate(cols) if c == name]
        first = d.iloc[:, pos[0]]
        for k in pos[1:]:
            other = d.iloc[:, k]
            same = first.reset_index(drop=True).equals(other.reset_index(drop=True))
            if name in CANONICAL_COLUMNS and not same:
                raise reader_error(meas.source, f"two columns of the file both give {name!r}, with different values: "
                                                "cannot tell which one is right — rename one")
            if same:
                keep[k] = False
                warn.append(f"column {name!r} appears twice with identical values: one copy kept")
            else:
                new_names[k] = f"{name}#{pos.index(k) + 1}"
                warn.append(f"column name {name!r} appears twice: the second one renamed {new_names[k]!r}")
    d = d.iloc[:, np.flatnonzero(keep)].copy()
    d.columns = [n for n, k in zip(new_names, keep) if k]
    meas.data = d


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _float_values(s: pd.Series) -> np.ndarray:
    """The column as floats (no copy for numpy float columns: float32 stays float32)."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        return s.to_numpy()
    return s.to_numpy(dtype=float, na_value=np.nan)


def _enforce_finite(meas: Measurement, lines: "_RowLines", warn: list) -> "_RowLines":
    """The non-finite contract of :class:`Measurement` (see its docstring); returns the row->line map kept in step."""
    d = meas.data
    eis = meas.technique == "EIS"
    key = [c for c in (KEY_COLUMNS_EIS if eis else KEY_COLUMNS_TIME) if c in d.columns]
    # infinities (inf tokens, numbers beyond float range) never stay
    for c, s in list(d.items()):
        dt = s.dtype
        if isinstance(dt, np.dtype):
            if dt.kind not in "fc":
                continue  # ints, bools, text, dates cannot hold infinities
        elif not _is_numeric(s) or pd.api.types.is_integer_dtype(s):
            continue
        v = _float_values(s)
        inf = np.isinf(v)
        if inf.any():
            if c not in key:
                warn.append(_rows_warning(f"{int(inf.sum())} infinite or out-of-range value(s) in {c!r} left empty "
                                          "(NaN)", np.flatnonzero(inf), lines))
            d[c] = np.where(inf, np.nan, v).astype(v.dtype, copy=False)
    # key columns: finite on every row
    if key:
        ok = np.ones(len(d), bool)
        for c in key:
            ok &= np.isfinite(_float_values(d[c]))
        if not ok.all():
            bad = np.flatnonzero(~ok)
            names = ", ".join(key)
            if not ok.any():
                raise EmptyFileError(meas.source, f"no row with finite values of {names} ({len(bad)} row(s) without)")
            warn.append(_rows_warning(f"{len(bad)} row(s) without a finite value of {names} (missing, nan, inf or "
                                      "out-of-range) dropped", bad, lines))
            d = d.loc[ok].reset_index(drop=True)
            lines.keep(ok)
    # other canonical columns: NaN means "no value on that row" and is always announced
    for c in [c for c in CANONICAL_COLUMNS if c in d.columns and c not in key]:
        s = d[c]
        if isinstance(s.dtype, np.dtype):
            if s.dtype.kind in "iub":
                continue  # plain integers have no missing values
            if s.dtype.kind != "f":
                continue
            nan = np.isnan(s.to_numpy())
        elif not _is_numeric(s):
            continue
        else:
            nan = pd.isna(s).to_numpy()
        if not nan.any():
            continue
        if nan.all():
            warn.append(f"column {c!r} holds no value on any row: removed")
            d = d.drop(columns=[c])
            continue
        warn.append(_rows_warning(f"{c!r} has no value on {int(nan.sum())} of {len(d)} rows (left empty, NaN: mask "
                                  "them before using it)", np.flatnonzero(nan), lines))
    meas.data = d
    return lines


def finish(meas: Measurement) -> Measurement:
    """Common last steps of every read: duplicate columns, impedance-only rows, the non-finite contract of
    :class:`Measurement`, a non-empty table, the temperature.  Uses (and removes) the reader's row -> line map in
    ``extra['_row_lines']`` to say where problems are."""
    if len(meas.data) == 0 and not meas.extra.get("empty_table"):
        # (a reader sets extra["empty_table"] for a valid file that holds no records yet — e.g. a Neware test that
        # had not logged a point: an empty table with a warning, not an error)
        raise EmptyFileError(meas.source, "no data rows")
    lines = _RowLines(meas.extra.pop("_row_lines", None), len(meas.data))
    warn: list = []
    _drop_duplicate_columns(meas, warn)
    d = meas.data
    # an impedance measurement keeps only impedance rows in .data; DC points recorded between spectra
    # (frequency 0, e.g. EC-Lab GEIS/PEIS waits) move to extra["dc_rows"]
    if meas.technique == "EIS" and "freq_Hz" in d.columns:
        f = _float_values(pd.to_numeric(d["freq_Hz"], errors="coerce"))
        zero = f == 0
        neg = f < 0
        if zero.any():
            meas.extra["dc_rows"] = d.loc[zero].reset_index(drop=True)
            warn.append(f"{int(zero.sum())} non-impedance row(s) (frequency 0) moved to extra['dc_rows']")
        if neg.any():
            warn.append(_rows_warning(f"{int(neg.sum())} row(s) with a negative frequency dropped",
                                      np.flatnonzero(neg), lines))
        if zero.any() or neg.any():
            keep = ~(zero | neg)
            if not keep.any():
                parts = [f"{int(zero.sum())} at frequency 0" if zero.any() else "",
                         f"{int(neg.sum())} at a negative frequency" if neg.any() else ""]
                raise EmptyFileError(meas.source, "no impedance rows (" + ", ".join(p for p in parts if p) + ")")
            meas.data = d = d.loc[keep].reset_index(drop=True)
            lines.keep(keep)
    lines = _enforce_finite(meas, lines, warn)
    d = meas.data
    if len(d) == 0 and not meas.extra.get("empty_table"):
        raise EmptyFileError(meas.source, "no data rows")
    if lines.known is not None and len(lines.known):
        meas.extra["data_lines"] = (int(lines.known[0]), int(lines.known[-1]))
    if "temperature_K" in d.columns and meas.temperature_K is None:
        t = _float_values(pd.to_numeric(d["temperature_K"], errors="coerce"))
        t = t[np.isfinite(t)]
        if len(t) and np.ptp(t) < 2.0:
            meas.temperature_K = float(np.mean(t))
            meas.extra.setdefault("temperature_source", "file")
    if meas.temperature_K is not None:
        meas.extra.setdefault("temperature_source", "file")
    for w in warn:
        if w not in meas.warnings:
            meas.warnings.append(w)
    return meas


def reader_error(path, problem: str) -> ReaderError:
    """A one-line reader error (newlines squashed)."""
    return ReaderError(path, " ".join(str(problem).split()))
