"""Mutations of real instrument files and the oracle that judges a reader on them.

Shared by the property-based suite (``tests/io/test_io_fuzz.py``, hypothesis) and the long seeded run
(``benchmarks/fuzz_readers.py``).  A mutated file is read with :func:`sselab.io.read` and compared with the read of
the intact file (the independent truth).  The oracle's verdicts:

``crash``   an exception other than :class:`SselabError`, or an error message of several lines / not naming the file;
``contract`` a read whose table breaks the Measurement contract (±inf anywhere, non-finite key columns, warnings
            that are not ``ReadWarning``);
``silent``  a read whose values differ from the intact read in a way the mutation cannot explain and that no new
            warning announces.  What each mutation may change:

* ``truncate`` (the file cut at a byte): the rows are a prefix of the intact rows — always, warning or not (only the
  last row may differ, and only under the "cannot be checked" warning);
* ``delete``/``insert``/``duplicate`` a line inside the data block: without a new warning the rows are the intact
  rows with at most one row removed / added / changed; with one, at most 3 rows may differ;
* ``flip`` bytes inside the data block: at most (touched lines + 1) rows differ (a flipped digit is undetectable in
  principle), warning or not;
* ``recode`` (CRLF<->LF, a BOM, latin-1 text as UTF-8): the same rows, or an error, or a new warning;
* anything touching the header or a binary file: only ``crash`` and ``contract`` are judged (a flipped unit
  ``mA``->``uA`` is a different, valid file).

Only the measurement columns are compared (``time_s``, ``potential_V``, ``current_A``, ``freq_Hz``, ``z_real_ohm``,
``z_imag_ohm``, ``temperature_K``, ``charge_C``); bookkeeping (cycle, step, raw columns) is not.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import numpy as np

VALUE_COLUMNS = ("time_s", "potential_V", "current_A", "freq_Hz", "z_real_ohm", "z_imag_ohm", "temperature_K",
                 "charge_C")
KINDS = ("truncate", "delete", "insert", "duplicate", "flip", "recode", "header")
UNCHECKED = "cannot be checked"


@dataclass
class Mutation:
    kind: str
    data: bytes
    lines: tuple[int, ...] = ()  # 1-based lines of the ORIGINAL file the mutation touches
    note: str = ""
    byte: int | None = None  # truncate: the cut


@dataclass
class Reference:
    """The intact read of a file, reduced to what the oracle compares."""

    rows: np.ndarray  # (n, k) float64 of VALUE_COLUMNS present
    columns: tuple[str, ...]
    warnings: frozenset
    data_lines: tuple[int, int] | None
    binary: bool
    n_lines: int

    @classmethod
    def of(cls, meas, raw: bytes) -> "Reference":
        cols = tuple(c for c in VALUE_COLUMNS if c in meas.data.columns)
        rows = np.column_stack([meas.data[c].to_numpy(dtype=float, na_value=np.nan) for c in cols]) if cols else \
            np.zeros((len(meas.data), 0))
        binary = b"\x00" in raw[:4096] or meas.format in ("biologic-mpr",)
        dl = meas.extra.get("data_lines")
        return cls(rows, cols, frozenset(_norm(w) for w in meas.warnings), tuple(dl) if dl else None, binary,
                   raw.count(b"\n") + 1)


def _norm(w) -> str:
    """A warning without its numbers (counts and lines shift with every mutation)."""
    what = getattr(w, "what", str(w))
    return re.sub(r"\d+", "#", what)


def _split_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\n")


def _line_of(raw: bytes, pos: int) -> int:
    return raw.count(b"\n", 0, pos) + 1


# -- mutations -------------------------------------------------------------------------------------------------------
def mutate(raw: bytes, kind: str, rng: random.Random, ref: Reference | None = None) -> Mutation:
    """One mutation of ``kind`` drawn with ``rng`` (biased towards the data block when ``ref`` knows it)."""
    lines = _split_lines(raw)
    n = len(lines)

    def pick_line() -> int:  # 1-based
        if ref is not None and ref.data_lines and rng.random() < 0.8:
            a, b = ref.data_lines
            return rng.randint(max(1, a), max(1, min(n, b)))
        return rng.randint(1, n)

    if kind == "truncate":
        r = rng.random()
        if r < 0.3 and raw.rstrip(b"\r\n"):
            cut = len(raw.rstrip(b"\r\n")) - rng.randint(1, 12)  # inside the last line
        elif r < 0.6:
            k = pick_line()
            start = sum(len(x) + 1 for x in lines[: k - 1])
            cut = start + rng.randint(0, max(0, len(lines[k - 1])))  # inside (or at the end of) a chosen line
        else:
            cut = rng.randint(1, max(1, len(raw) - 1))
        cut = max(1, min(len(raw) - 1, cut))
        return Mutation("truncate", raw[:cut], (_line_of(raw, cut),), f"cut at byte {cut}", byte=cut)
    if kind == "delete":
        k = pick_line()
        out = lines[: k - 1] + lines[k:]
        return Mutation("delete", b"\n".join(out), (k,), f"line {k} deleted")
    if kind == "insert":
        k = pick_line()
        eol = b"\r" if lines[k - 1].endswith(b"\r") else b""
        new = rng.choice([b"", b"garbage line", b"1,2,3", b"\t\t", b"nan\tnan\tnan", b"1e400 1e400 1e400",
                          lines[k - 1][: len(lines[k - 1]) // 2].rstrip(b"\r")]) + eol
        out = lines[: k - 1] + [new] + lines[k - 1:]
        return Mutation("insert", b"\n".join(out), (k,), f"line inserted before line {k}: {new[:30]!r}")
    if kind == "duplicate":
        k = pick_line()
        out = lines[:k] + [lines[k - 1]] + lines[k:]
        return Mutation("duplicate", b"\n".join(out), (k,), f"line {k} duplicated")
    if kind == "flip":
        b = bytearray(raw)
        touched = set()
        for _ in range(rng.choice((1, 1, 2, 4))):
            if ref is not None and ref.data_lines and rng.random() < 0.8:
                a, z = ref.data_lines
                lo = sum(len(x) + 1 for x in lines[: max(0, a - 1)])
                hi = min(len(b) - 1, sum(len(x) + 1 for x in lines[: max(0, min(n, z))]))
                pos = rng.randint(lo, max(lo, hi))
            else:
                pos = rng.randrange(len(b))
            pos = min(pos, len(b) - 1)
            touched.add(_line_of(raw, pos))
            if raw[pos:pos + 1] == b"\n":
                touched.add(_line_of(raw, pos) + 1)
            b[pos] = rng.choice((rng.randrange(256), ord(rng.choice("0123456789.,-+eE\t ;\n"))))
        return Mutation("flip", bytes(b), tuple(sorted(touched)), f"{len(touched)} line(s) flipped")
    if kind == "recode":
        how = rng.choice(["lf", "crlf", "bom", "latin1-as-utf8", "utf16"])
        if how == "lf":
            data = raw.replace(b"\r\n", b"\n")
        elif how == "crlf":
            data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif how == "bom":
            data = b"\xef\xbb\xbf" + raw
        elif how == "latin1-as-utf8":
            data = raw.decode("latin-1").encode("utf-8")
        else:
            data = raw.decode("latin-1").encode("utf-16")
        return Mutation("recode", data, (), how)
    if kind == "header":
        # a duplicated header: the lines before the data block again, right before it (or before a random line)
        if ref is not None and ref.data_lines:
            a = ref.data_lines[0]
            k = rng.choice([a, pick_line()])
            block = lines[max(0, a - 1 - rng.randint(1, 3)): a - 1]
        else:
            k = pick_line()
            block = lines[:2]
        out = lines[: k - 1] + block + lines[k - 1:]
        return Mutation("header", b"\n".join(out), (k,), f"{len(block)} header line(s) repeated before line {k}")
    raise ValueError(kind)


# -- the oracle ------------------------------------------------------------------------------------------------------
@dataclass
class Verdict:
    status: str  # ok | error | crash | contract | silent
    detail: str = ""
    rows: int | None = None
    warnings: list = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return self.status in ("crash", "contract", "silent")


def _rows_of(meas, cols) -> np.ndarray:
    present = [c for c in cols if c in meas.data.columns]
    if not present:
        return np.zeros((len(meas.data), 0))
    return np.column_stack([meas.data[c].to_numpy(dtype=float, na_value=np.nan) for c in present])


def _keys(rows: np.ndarray) -> list:
    r = np.where(np.isnan(rows), -1.2345e300, rows)
    return [hash(x.tobytes()) for x in r]


def rows_differing(a: np.ndarray, b: np.ndarray) -> int:
    """How many rows differ between two tables (the larger of rows removed and rows added, as sequences)."""
    removed, added = row_changes(a, b)
    return max(removed, added)


def row_changes(a: np.ndarray, b: np.ndarray, window: int = 12) -> tuple[int, int]:
    """(rows of ``a`` missing from ``b``, rows of ``b`` not in ``a``), aligning the two tables as sequences.

    Greedy: where they disagree, the nearest resynchronisation within ``window`` rows on either side is taken (a
    changed row is one removed + one added).  Linear in the rows, exact for sparse changes."""
    ka, kb = _keys(a), _keys(b)
    i = j = removed = added = 0
    na, nb = len(ka), len(kb)
    while i < na and j < nb:
        if ka[i] == kb[j]:
            i += 1
            j += 1
            continue
        best = None
        for step in range(1, 2 * window + 1):
            for di in range(0, step + 1):
                dj = step - di
                if di <= window and dj <= window and i + di < na and j + dj < nb and ka[i + di] == kb[j + dj]:
                    best = (di, dj)
                    break
            if best:
                break
        if best is None:
            removed += 1
            added += 1
            i += 1
            j += 1
        else:
            removed += best[0]
            added += best[1]
            i += best[0]
            j += best[1]
    return removed + (na - i), added + (nb - j)


def judge_exception(exc: BaseException, path) -> Verdict:
    from sselab.errors import SselabError

    if isinstance(exc, SselabError):
        msg = str(exc)
        if "\n" in msg or "\r" in msg:
            return Verdict("crash", f"multi-line error: {msg[:200]!r}")
        if str(path) not in msg:
            return Verdict("crash", f"error does not name the file: {msg[:200]!r}")
        return Verdict("error", msg[-160:])
    return Verdict("crash", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")


def judge(meas, ref: Reference, mut: Mutation) -> Verdict:
    """The verdict on a successful read ``meas`` of ``mut`` (see the module docstring)."""
    from sselab.io.base import KEY_COLUMNS_EIS, KEY_COLUMNS_TIME, ReadWarning

    d = meas.data
    warns = list(meas.warnings)
    # the contract
    if not all(isinstance(w, ReadWarning) and w.file is not None for w in warns):
        return Verdict("contract", "a warning is not a ReadWarning with its file", len(d), warns)
    num = d.select_dtypes("number")
    if len(num.columns):
        vals = num.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(vals).any():
            return Verdict("contract", "±inf in the table", len(d), warns)
    key = KEY_COLUMNS_EIS if meas.technique == "EIS" else KEY_COLUMNS_TIME
    for c in key:
        if c in d.columns and not np.isfinite(d[c].to_numpy(dtype=float, na_value=np.nan)).all():
            return Verdict("contract", f"non-finite {c}", len(d), warns)
    if len(d) == 0:
        return Verdict("contract", "empty table returned", 0, warns)
    new = {_norm(w) for w in warns} - ref.warnings
    rows = _rows_of(meas, ref.columns)
    cols = tuple(c for c in VALUE_COLUMNS if c in d.columns)
    v = Verdict("ok", "", len(d), warns)
    if mut.kind == "truncate":
        n = len(rows)
        if rows.shape[1] != ref.rows.shape[1] or n > len(ref.rows):
            if new:
                return v
            return Verdict("silent", f"truncated file gives {n} rows / columns {cols} (intact {len(ref.rows)} / "
                                     f"{ref.columns})", n, warns)
        upto = n - 1 if any(UNCHECKED in w for w in warns) else n
        same = np.array_equal(np.nan_to_num(rows[:upto], nan=-1e300), np.nan_to_num(ref.rows[:upto], nan=-1e300))
        if not same:
            k = int(np.flatnonzero(~np.all(np.nan_to_num(rows[:upto], nan=-1e300) ==
                                           np.nan_to_num(ref.rows[:upto], nan=-1e300), axis=1))[0])
            return Verdict("silent", f"truncated file: row {k} differs from the intact row (not a prefix)", n, warns)
        return v
    if ref.binary or ref.data_lines is None:
        return v
    a, z = ref.data_lines
    in_data = bool(mut.lines) and all(a <= k <= z for k in mut.lines)
    if mut.kind == "recode":
        if new:
            return v
        if cols != ref.columns or rows_differing(rows, ref.rows) > 0:
            return Verdict("silent", f"{mut.note}: values changed without a warning", len(d), warns)
        return v
    if not in_data:
        return v
    if cols != ref.columns:
        if new:
            return v
        return Verdict("silent", f"{mut.note}: columns {cols} instead of {ref.columns}, no warning", len(d), warns)
    removed, added = row_changes(ref.rows, rows)
    if new:
        # rows may have been dropped, as announced; what is left must be intact rows (a few may be damaged)
        budget = len(mut.lines) + 2
        if added > budget:
            return Verdict("silent", f"{mut.note}: {added} rows not in the intact read (allowed {budget}, with new "
                                     "warnings)", len(d), warns)
        return v
    budget = len(mut.lines) + 1 if mut.kind == "flip" else 1
    if max(removed, added) > budget:
        return Verdict("silent", f"{mut.note}: {removed} intact rows lost, {added} rows changed or added, no new "
                                 f"warning (allowed {budget})", len(d), warns)
    return v
