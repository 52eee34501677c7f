"""Generic delimited text / CSV tables with column auto-detection.

Covers 3-column impedance text (f, Z', Z''), Novocontrol/WinDETA-style tab text with a title line
(``Freq.[Hz]  Zs'[ohm]  Zs''[ohm]``), CH Instruments, Parstat, PowerSuite, Autolab/NOVA and HP 4192A text exports,
|Z|/phase tables, and time/voltage/current tables.  The sign convention of the imaginary part is taken from the header
(``-Z''``, ``-Im``) or, without one, from the data: a capacitive arc must come out with Z'' < 0.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingColumnsError
from ._common import (UNCHECKED_LAST_ROW, decode, imag_sign_looks_flipped, is_number, last_row_state, read_text,
                      row_warning, to_int_column, unit_factor)
from .base import Measurement, ReadWarning
from .temperature import temperature_from_name

_DELIMS = ("\t", ";", ",", None)  # None = runs of whitespace
_GAP = 5  # damaged lines between two runs of numeric rows that still make them one table


def _split(line: str, delim: str | None) -> list[str]:
    if delim is None:
        return line.split()
    toks = [t.strip() for t in line.strip().split(delim)]
    while toks and toks[-1] == "":
        toks.pop()
    while toks and toks[0] == "" and delim != "\t":
        toks.pop(0)
    if delim == "\t" and toks and toks[0] == "" and line[:1] == "\t":
        toks.pop(0)
    return toks


def _numeric_row(toks: list[str], decimal: str) -> bool:
    return len(toks) >= 1 and all(is_number(t, decimal) for t in toks)


def _choose_layout(lines: list[str]):
    """(delimiter, decimal, width) that makes the most trailing lines numeric and consistent."""
    sample = [ln for ln in lines if ln.strip()][-60:]
    best = None
    for delim in _DELIMS:
        for decimal in (".", ","):
            if decimal == "," and delim == ",":
                continue
            widths = []
            for ln in sample:
                toks = _split(ln, delim)
                if len(toks) >= 2 and _numeric_row(toks, decimal):
                    widths.append(len(toks))
            if not widths:
                continue
            w = max(set(widths), key=widths.count)
            score = (widths.count(w), w if delim is not None else w - 0.5, decimal == ".")
            if best is None or score > best[0]:
                best = (score, delim, decimal, w)
    if best is None:
        return None
    return best[1], best[2], best[3]


def looks_like(head: bytes) -> bool:
    text = decode(head)
    lines = text.replace("\r", "\n").split("\n")
    if len(head) >= 16000:
        lines = lines[:-1]  # the sniffed chunk may end inside a line
    if sum(ch.isprintable() or ch in "\t\n\r" for ch in text[:2000]) < 0.95 * len(text[:2000]):
        return False
    lay = _choose_layout(lines)
    if lay is None:
        return False
    delim, decimal, w = lay
    n = sum(1 for ln in lines if len(_split(ln, delim)) == w and _numeric_row(_split(ln, delim), decimal))
    return n >= 3


# --- column classification ----------------------------------------------------------------------------------------
_UNIT_RE = re.compile(r"\[([^\]]*)\]|\(([^)]*)\)|/\s*([A-Za-zµΩ°.%]+)\s*$")


# sselab's own canonical column names carry their SI unit after the last underscore
_CANONICAL_UNITS = {"time_s": "s", "potential_V": "V", "current_A": "A", "freq_Hz": "Hz", "z_real_ohm": "Ohm",
                    "z_imag_ohm": "Ohm", "temperature_K": "K", "charge_C": "C"}


def _unit(name: str) -> str | None:
    if name.strip() in _CANONICAL_UNITS:
        return _CANONICAL_UNITS[name.strip()]
    for m in _UNIT_RE.finditer(name):
        u = next(g for g in m.groups() if g is not None).strip()
        if u.lower() in ("a", "b", "#"):  # ZPlot's Z'(a), Z''(b)
            continue
        return u
    return None


def _norm(name: str) -> str:
    n = name.lower().replace("’", "'").replace("″", "''").replace("′", "'").replace('"', "''")
    n = re.sub(r"\[[^\]]*\]|\((?!z\))[^)]*\)", "", n)  # drop units but keep re(z)/im(z)
    return re.sub(r"[\s_.]", "", n)


def _kind(name: str) -> tuple[str | None, bool]:
    """(kind, negated) of a column name."""
    n = _norm(name)
    neg = n.startswith("-")
    n = n.lstrip("-")
    if re.match(r"^(freq|frequency|f$|f/|fhz)", n):
        return "freq", False
    if re.match(r"^(z''|zs''|zim|zimag|zimg|zimaginary|im\(z\)|imz|z2$|imag)", n) or n in ("x", "reactance"):
        return "zimag", neg
    if re.match(r"^(z'|zs'|zre|zreal|re\(z\)|rez|z1$|real)", n) or n in ("r", "resistance"):
        return "zreal", False
    if re.match(r"^(\|z\||zmod|zabs|mod\(z\)|\|impedance\||impedance$|z/ohm|z$|z/|zohm)", n):
        return "zmod", False
    if re.match(r"^(phase|theta|zphz|zphase|θ|phi|angle)", n):
        return "phase", False
    if re.match(r"^(time|t$|t/|elapsedtime|testtime|totaltime|time/s|ts$)", n):
        return "time", False
    if re.match(r"^(potential|voltage|ewe|ecell|edc|vdc|e$|e/|ev$|vf|v$|v/|u$|u/|volts)", n):
        return "potential", False
    if re.match(r"^(current|idc|i$|i/|ia$|ima$|im$|amps?$)", n):
        return "current", False
    if re.match(r"^(temp|temperature)", n):
        return "temperature", False
    if re.match(r"^(cycle|cyclenumber|cycleindex|cycle_index)", n):
        return "cycle", False
    return None, False


def read_text_table(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    lines = text.split("\n")
    warn: list[str] = []
    lay = _choose_layout(lines)
    if lay is None:
        raise EmptyFileError(path, "no numeric data table found")
    delim, decimal, width = lay
    # runs of numeric rows of that width (blank lines allowed inside); runs split by at most _GAP damaged lines
    # are one table, the damaged lines reported — a missing field must not hide the rows before it
    good = []
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        toks = _split(ln, delim)
        good.append((i, len(toks) == width and _numeric_row(toks, decimal)))
    blocks: list[list[int]] = []  # [first, last, damaged lines...]
    cur: list | None = None
    gap: list[int] = []
    for i, ok in good:
        if ok:
            if cur is not None and len(gap) <= _GAP:
                cur[1] = i
                cur.extend(gap)
            else:
                if cur is not None:
                    blocks.append(cur)
                cur = [i, i]
            gap = []
        elif cur is not None:
            gap.append(i)
    if cur is not None:
        blocks.append(cur)
    if not blocks:
        raise EmptyFileError(path, "no numeric data rows")
    main = max(blocks, key=lambda bl: bl[1] - bl[0] - len(bl) + 2)
    a, b, damaged = main[0], main[1], main[2:]
    if damaged:
        warn.append(row_warning(f"{len(damaged)} line(s) inside the data table that are not {width} numbers "
                                "skipped", [k + 1 for k in damaged]))
    others = [k for bl in blocks if bl is not main for k in range(bl[0], bl[1] + 1)
              if lines[k].strip() and k not in bl[2:]]
    if others:
        warn.append(row_warning(f"{len(others)} numeric line(s) outside the main data table ignored",
                                [k + 1 for k in others]))
    trailing_bad = [k for k in range(b + 1, len(lines)) if lines[k].strip()]
    if trailing_bad:
        warn.append(row_warning(f"{len(trailing_bad)} non-numeric line(s) after the data table ignored",
                                [k + 1 for k in trailing_bad]))
    dmg = set(damaged)
    row_idx = [k for k in range(a, b + 1) if lines[k].strip() and k not in dmg]
    rows = [_split(lines[k], delim) for k in row_idx]
    at_end = not trailing_bad
    state = last_row_state(rows, text.endswith("\n"), width if len(rows) == 1 else None) if at_end else "complete"
    if state == "partial":
        warn.append(ReadWarning("file ends inside the last data line (truncated): that row dropped",
                                line=row_idx[-1] + 1))
        rows, row_idx = rows[:-1], row_idx[:-1]
        if not rows:
            raise EmptyFileError(path, "no complete data row (file truncated)")
    elif state == "unknown":
        warn.append(ReadWarning(UNCHECKED_LAST_ROW, line=row_idx[-1] + 1))
    if decimal == ",":
        rows = [[t.replace(",", ".") for t in r] for r in rows]
        warn.append("decimal comma detected and converted")
    arr = np.array(rows, dtype=float)
    row_lines = np.asarray(row_idx, dtype=np.int64) + 1
    # header: the nearest non-blank line above the block with the same number of fields
    names = None
    header_idx = None
    for j in range(a - 1, max(-1, a - 6), -1):
        if not lines[j].strip():
            continue
        if re.fullmatch(r"\s*\d+\s*", lines[j]):
            continue  # a point-count line between the column names and the data
        cand_line = lines[j].strip().strip("\ufeff")
        for d in (delim, "\t", ",", ";", None):
            toks = [t.strip().strip('"').strip() for t in _split(cand_line, d)] if d is not None else \
                [t.strip('"') for t in re.split(r"\s{2,}", cand_line.strip().strip('"'))]
            toks = [t for t in toks if t]
            if len(toks) == width and not _numeric_row(toks, decimal):
                names = toks
                break
        if names is None and delim is None:
            toks = [t for t in re.split(r"\t+|\s{2,}", cand_line) if t]
            if len(toks) == width:
                names = toks
        header_idx = j
        break
    title_lines = [ln.strip() for ln in lines[: header_idx if names is not None and header_idx is not None else a] if ln.strip()]
    kinds: dict[str, tuple[int, bool, str | None]] = {}
    if names is not None:
        for k, nm in enumerate(names):
            kind, neg = _kind(nm)
            if kind and kind not in kinds:
                kinds[kind] = (k, neg, _unit(nm))
    else:
        names = [f"col{k}" for k in range(width)]
        f = arr[:, 0]
        if width in (3, 4, 5) and np.all(f > 0) and (np.nanmax(f) / np.nanmin(f) > 10):
            kinds = {"freq": (0, False, None), "zreal": (1, False, None), "zimag": (2, False, None)}
            warn.append("no column names: columns taken as frequency, Z', Z''")
        else:
            raise MissingColumnsError(path, f"{width} unnamed numeric columns: cannot tell which is which")
    out: dict[str, np.ndarray] = {}
    used = set()

    def col(kind, default_unit_factor=1.0):
        k, neg, unit = kinds[kind]
        used.add(k)
        fac = unit_factor(unit, default=default_unit_factor)
        if fac is None:
            warn.append(f"unknown unit {unit!r} in column {names[k]!r}: taken as SI")
            fac = 1.0
        v = arr[:, k] * fac
        return (-v if neg else v), neg

    if "time" in kinds:
        out["time_s"], _ = col("time")
    if "potential" in kinds:
        out["potential_V"], _ = col("potential")
    if "current" in kinds:
        out["current_A"], _ = col("current")
    if "cycle" in kinds:
        k = kinds["cycle"][0]
        used.add(k)
        out["cycle"] = to_int_column(pd.Series(arr[:, k]), warn, names[k]).array
    if "temperature" in kinds:
        k, _neg, unit = kinds["temperature"]
        used.add(k)
        t = arr[:, k]
        out["temperature_K"] = t if (unit or "").strip().upper() == "K" else t + 273.15
    technique = "unknown"
    if "freq" in kinds and (("zreal" in kinds and "zimag" in kinds) or ("zmod" in kinds and "phase" in kinds)):
        out["freq_Hz"], _ = col("freq")
        if "zreal" in kinds and "zimag" in kinds:
            out["z_real_ohm"], _ = col("zreal")
            zi, explicit = col("zimag")
            if "zmod" in kinds:
                used.add(kinds["zmod"][0])
            if "phase" in kinds:
                used.add(kinds["phase"][0])
        else:
            zm, _ = col("zmod")
            k, _neg, unit = kinds["phase"]
            used.add(k)
            ph = arr[:, k]
            ph = ph if (unit or "").lower().startswith("rad") else np.deg2rad(ph)
            out["z_real_ohm"] = zm * np.cos(ph)
            zi = zm * np.sin(ph)
            explicit = False
            warn.append("Z', Z'' computed from |Z| and phase")
        out["z_imag_ohm"] = zi
        if not explicit:
            if imag_sign_looks_flipped(zi, out["freq_Hz"]):
                out["z_imag_ohm"] = -zi
                warn.append("imaginary part mostly positive (stored as -Z''): negated so a capacitive arc has Z'' < 0")
        technique = "EIS"
    elif "time" in kinds and ("potential" in kinds or "current" in kinds):
        technique = "CYCLING" if "cycle" in kinds and "current" in kinds else "unknown"
    else:
        have = ", ".join(names)
        raise MissingColumnsError(path, f"no frequency+impedance or time+potential/current columns recognised ({have})")
    data = pd.DataFrame(out)
    rest = {names[k]: arr[:, k] for k in range(width) if k not in used}
    if rest:
        data = pd.concat([data, pd.DataFrame(rest)], axis=1)
    # flavour and title
    head = "\n".join(title_lines[:15])
    flavour = "text"
    instrument = None
    if "A.C. Impedance" in head or "CHI" in head:
        flavour, instrument = "chi-txt", (re.search(r"Instrument Model:\s*(\S+)", head) or [None, "CH Instruments"])[1]
    elif re.search(r"Zs'", " ".join(names)):
        flavour, instrument = "novocontrol-txt", "Novocontrol/WinDETA-style"
    elif names and names[0].strip().lower() == "frequency" and any("zimg" in _norm(n) for n in names):
        flavour = "powersuite-txt"
    elif any("zre (ohms)" in n.lower() for n in names):
        flavour = "parstat-txt"
    meas = Measurement(data=data, source=path, format="text", technique=technique, instrument=instrument,
                       warnings=warn, extra={"flavour": flavour, "columns_in_file": names, "delimiter": delim or "whitespace",
                                             "decimal": decimal, "title": title_lines[0] if title_lines else None,
                                             "_row_lines": row_lines})
    # a temperature in the title line (WinDETA "s04147-120deg")
    if title_lines:
        first_field = re.split(r",\s*", title_lines[0])[0]
        t = temperature_from_name(first_field.replace("/", "_") + ".txt")
        if t is not None:
            meas.temperature_K = t
            meas.extra["temperature_source"] = "file"
    return meas
