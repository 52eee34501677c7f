"""Gamry Framework ``.DTA`` files (EXPLAIN format): EIS (ZCURVE), CV (CURVE1..n), CHRONOA/CHRONOP, CORPOT, LSV...

Aborted runs (tables shorter than announced, ``EXPERIMENTABORTED``) return the rows read plus a warning; decimal
commas are detected; several ``CURVEn`` tables are concatenated with their number in ``cycle``; the open-circuit
pre-measurement (``OCVCURVE``) goes to ``extra['ocv_curve']``.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingColumnsError
from ._common import (UNCHECKED_LAST_ROW, has_decimal_comma, is_number, last_row_state, read_text, reader_error,
                      row_warning)
from .base import Measurement, ReadWarning

TECHNIQUES = {
    "EISPOT": "EIS", "EISGALV": "EIS", "EISMON": "EIS", "GALVEIS": "EIS", "POTEIS": "EIS",
    "CV": "CV", "RCV": "CV", "LSV": "LSV", "POTDYN": "LSV",
    "CHRONOA": "CA", "CHRONOP": "CP", "CORPOT": "OCV", "OCP": "OCV",
    "GALVSTAIR": "CP", "POTSTAIR": "CA", "CCCYCLE": "CYCLING", "CHARGE": "CYCLING", "DISCHARGE": "CYCLING",
}

# Gamry column -> (canonical, factor)
_COLUMNS = {
    "T": ("time_s", 1.0), "Time": ("time_s", 1.0),
    "Vf": ("potential_V", 1.0), "Vdc": ("potential_V", 1.0),
    "Im": ("current_A", 1.0), "Idc": ("current_A", 1.0),
    "Freq": ("freq_Hz", 1.0), "Zreal": ("z_real_ohm", 1.0), "Zimag": ("z_imag_ohm", 1.0),
    "Q": ("charge_C", 1.0), "Temp": ("temperature_K", None),
    "Voltage": ("potential_V", 1.0), "Current": ("current_A", 1.0),
}


def looks_like(head: bytes) -> bool:
    h = head.lstrip(b"\xef\xbb\xbf")
    return h[:7].upper() == b"EXPLAIN" or (b"\nTAG\t" in h[:400] and b"TABLE" in h)


def _num(tok: str, decimal: str) -> float:
    tok = tok.strip()
    if decimal == ",":
        tok = tok.replace(",", ".")
    return float(tok)


def _numeric_line(toks) -> bool:
    """A data row (a point number first, numbers in most fields; Gamry's overload flags are dots and letters)."""
    toks = [t.strip() for t in (toks or []) if t.strip()]
    if not toks or not (is_number(toks[0], ".") or is_number(toks[0], ",")):
        return False
    return sum(is_number(t, ".") or is_number(t, ",") for t in toks) >= 0.6 * len(toks)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for nm in names:
        seen[nm] = seen.get(nm, 0) + 1
        out.append(nm if seen[nm] == 1 else f"{nm}#{seen[nm]}")
    return out


def read_dta(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    lines = text.split("\n")
    if not lines or not looks_like(text[:400].encode("latin-1", "replace")):
        raise reader_error(path, "not a Gamry EXPLAIN file (first line is not 'EXPLAIN')")
    warn: list[str] = []
    header: dict[str, list[str]] = {}
    tables: list[tuple[str, int | None, list[str], list[str], list[list[str]]]] = []
    i = 0
    n = len(lines)
    outside: list[int] = []
    while i < n:
        ln = lines[i]
        if not ln.strip():
            i += 1
            continue
        if ln[0] not in "\t ":
            parts = ln.split("\t")
            if len(parts) >= 2 and parts[1].strip() == "TABLE":
                name = parts[0].strip()
                declared = None
                if len(parts) > 2 and parts[2].strip().isdigit():
                    declared = int(parts[2].strip())
                cols: list[str] | None = lines[i + 1].split("\t")[1:] if i + 1 < n else []
                units: list[str] | None = lines[i + 2].split("\t")[1:] if i + 2 < n else []
                j = i + 3
                if _numeric_line(units):
                    # one of the two header lines is missing: the "unit" line is the first data row
                    j = i + 2
                    if cols and cols[0].strip() == "#":
                        warn.append(ReadWarning(f"{name}: the column-name line is missing (a unit line follows the "
                                                "TABLE line)", line=i + 2))
                        units, cols = cols, None
                    else:
                        warn.append(ReadWarning(f"{name}: the unit line is missing (data follow the column names)",
                                                line=i + 2))
                        units = None
                rows = []
                rlines = []
                stray: list[int] = []
                while j < n:
                    if lines[j][:1] in ("\t", " ") and lines[j].strip():
                        rows.append(lines[j].split())
                        rlines.append(j + 1)
                        j += 1
                        continue
                    # not a row: the end of the table, unless rows of the same shape resume within a few lines
                    # (a damaged or inserted line must not cut the table short silently)
                    k = j
                    while k < n and k - j < 4 and not (lines[k][:1] in ("\t", " ") and lines[k].strip()):
                        k += 1
                    width = len(cols) if cols else (len(units) if units else (len(rows[-1]) if rows else 0))
                    if (width and k < n and k - j < 4 and len(lines[k].split()) == width
                            and (is_number(lines[k].split()[0], ".") or is_number(lines[k].split()[0], ","))):
                        stray += [x + 1 for x in range(j, k) if lines[x].strip()]
                        j = k
                        continue
                    break
                if stray:
                    warn.append(row_warning(f"{name}: {len(stray)} line(s) inside the table that are not data rows "
                                            "skipped", stray))
                at_end = not any(x.strip() for x in lines[j:])
                width = len(cols) if cols else (len(units) if units else None)
                state = last_row_state(rows, text.endswith("\n"), width) if at_end and rows else "complete"
                if state == "partial":
                    warn.append(ReadWarning(f"{name}: file ends inside the last data line (truncated): that row "
                                            "dropped", line=rlines[-1]))
                    rows, rlines = rows[:-1], rlines[:-1]
                elif state == "unknown":
                    warn.append(ReadWarning(UNCHECKED_LAST_ROW, line=rlines[-1]))
                tables.append((name, declared, [c.strip() for c in cols] if cols is not None else None,
                               [u.strip() for u in units] if units is not None else None, rows, rlines, i + 1))
                i = j
                continue
            header[parts[0].strip()] = [p.strip() for p in parts[1:]]
        elif tables and _numeric_line(ln.split()) and len(ln.split()) >= 2:
            outside.append(i + 1)  # a data-like row that belongs to no table: say so, never drop it silently
        i += 1
    if outside:
        warn.append(row_warning(f"{len(outside)} data-like line(s) outside any table ignored", outside))
    tag = header.get("TAG", [""])[0].upper()
    if not tables:
        raise EmptyFileError(path, f"Gamry {tag or 'file'} holds no data table (incomplete header or aborted before data)")
    # decimal separator from the tables
    sample = [t for _, _, _, _, rows, _, _ in tables for r in rows[:20] for t in r]
    decimal = "," if has_decimal_comma(sample) else "."
    if decimal == ",":
        warn.append("decimal comma detected and converted")
    frames = []
    main_names = ("ZCURVE",) if tag.startswith("EIS") or "ZCURVE" in [t[0] for t in tables] else ()
    extra: dict = {"tag": tag, "decimal": decimal}
    row_lines: list[int] = []
    known_cols: dict[int, list[str]] = {}
    for _name, _d, cols, units, _rows, _rl, _at in tables:
        if cols is not None:
            known_cols.setdefault(len(cols), cols)
    for name, declared, cols, units, rows, rlines, at in tables:
        if cols is None:
            ncol = len(units or [])
            cols = known_cols.get(ncol)
            if cols is None:
                raise reader_error(path, f"line {at}: {name} has no column-name line and no other table of "
                                         f"{ncol} columns to take the names from")
            warn.append(ReadWarning(f"{name}: column names taken from another table of the file with the same "
                                    f"{ncol} columns", line=at))
        cols = _unique(cols)
        ncol = len(cols)
        good = []
        glines = []
        dropped = []
        for r, ln in zip(rows, rlines):
            if len(r) != ncol:
                dropped.append(ln)
                continue
            try:
                good.append([_num(t, decimal) if not re.fullmatch(r"[.a-zA-Z]+", t) else np.nan for t in r])
                glines.append(ln)
            except ValueError:
                dropped.append(ln)
        if dropped:
            warn.append(row_warning(f"{name}: {len(dropped)} malformed row(s) skipped", dropped))
        df = pd.DataFrame(good, columns=cols) if good else pd.DataFrame(columns=cols)
        if "Pt" in df.columns and len(df) > 2:
            pt = df["Pt"].to_numpy(float)
            jump = np.flatnonzero(np.diff(pt) != 1)
            if len(jump) and np.all(np.isfinite(pt)):
                warn.append(row_warning(f"{name}: point numbers (Pt) do not count up by one at {len(jump)} place(s) "
                                        "(a row missing or added?)", [glines[k + 1] for k in jump]))
        if declared is not None and len(rows) < declared:
            warn.append(f"{name}: {len(rows)} of {declared} announced points (aborted/truncated run)")
        if name == "OCVCURVE":
            extra["ocv_curve"] = df
            continue
        if main_names and name not in main_names:
            extra[name.lower()] = df
            continue
        m = re.fullmatch(r"CURVE(\d{1,9})", name)
        if m:
            df["cycle"] = int(m.group(1))
        frames.append((name, df, units))
        row_lines += glines
    if not frames:
        raise EmptyFileError(path, "no main data table (only pre-measurement tables)")
    raw = pd.concat([f for _, f, _ in frames], ignore_index=True)
    if len(raw) == 0:
        raise EmptyFileError(path, "data table has no rows (aborted before the first point?)")
    out = {}
    used = set()
    for col, (canon, fac) in _COLUMNS.items():
        if col in raw.columns and canon not in out:
            v = raw[col].to_numpy(float)
            if canon == "temperature_K":
                v = v + 273.15  # Gamry writes °C
                finite = v[np.isfinite(v)]
                if len(finite) == 0:
                    continue
                if finite.min() <= 0:
                    # e.g. a constant -327.62 °C: no thermocouple connected; keep the raw column, not as a temperature
                    warn.append(f"{col} column reads {finite.min() - 273.15:.2f} °C (below absolute zero: no "
                                "thermocouple?): not used as the temperature")
                    continue
            out[canon] = v * fac if fac not in (None, 1.0) else v
            used.add(col)
    if "cycle" in raw.columns:
        out["cycle"] = raw["cycle"].to_numpy(np.int64)
        used.add("cycle")
    data = pd.concat([pd.DataFrame(out), raw[[c for c in raw.columns if c not in used]]], axis=1)
    if "EXPERIMENTABORTED" in header and header["EXPERIMENTABORTED"][1:2] == ["T"]:
        warn.append("experiment was aborted (EXPERIMENTABORTED = T): rows read so far returned")
    technique = TECHNIQUES.get(tag, "EIS" if "freq_Hz" in data.columns else "unknown")
    if not {"time_s", "freq_Hz", "potential_V"} & set(data.columns):
        raise MissingColumnsError(path, f"no time, frequency or potential column in the Gamry table ({', '.join(raw.columns)})")
    start = None
    try:
        d = header.get("DATE", ["", ""])[1]
        t = header.get("TIME", ["", ""])[1]
        for fmt in ("%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                start = datetime.strptime(f"{d} {t}", fmt)
                break
            except ValueError:
                pass
    except (IndexError, TypeError):
        pass
    version = None
    for key in ("FRAMEWORKVERSION", "INSTRUMENTVERSION"):
        if key in header and len(header[key]) > 1:
            version = f"Gamry Framework {header[key][1]}" if key == "FRAMEWORKVERSION" else version
    instrument = header.get("PSTAT", [None, None])[1] if "PSTAT" in header else None
    extra["technique_raw"] = tag
    if "AREA" in header:
        try:
            extra["area_cm2"] = _num(header["AREA"][1], decimal)
        except (ValueError, IndexError):
            pass
    extra["_row_lines"] = np.asarray(row_lines, dtype=np.int64)
    return Measurement(data=data, source=path, format="gamry-dta", technique=technique, instrument=instrument,
                       software_version=version, start_time=start, warnings=warn, extra=extra)
