"""Labelled cycler tables (Arbin CSV, Battery Data Format CSV, Neware CSV and similar): a header row naming time,
voltage and current columns, then rows that may mix numbers, dates and text.

Only the canonical columns are converted (units from the names: ``Test Time (s)``, ``Current / A``, ``Voltage(V)``,
``(mA)``, ``/ h``...); everything else is kept as written.  Exports that store |I| (a charge/discharge flag in another
column) are flagged with a warning when the current is never negative.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingColumnsError
from ._common import (UNCHECKED_LAST_ROW, decode, has_decimal_comma, last_row_state, read_text, reader_error,
                      row_warning, to_int_column, unit_factor)
from .base import Measurement, ReadWarning
from .text import _kind, _unit

_DELIMS = (",", "\t", ";")
_MAX_HEADER_CHARS = 20000
_MAX_FIELDS = 1000
_TIME_RE = re.compile(r"^\s*(?:(\d+)\s*d(?:ays?)?,?\s*)?(\d+):(\d{2}):(\d{2}(?:\.\d*)?)\s*$")


def _header(lines: list[str]):
    """(line index, delimiter, names, kinds) of the first line naming time, voltage and current columns."""
    for i, ln in enumerate(lines[:120]):
        if "{" in ln or '":' in ln:
            continue  # embedded JSON (e.g. a Novonix protocol), not a column header
        if len(ln) > _MAX_HEADER_CHARS:
            continue  # no real header is this long (a line of a million commas must not cost seconds)
        for d in _DELIMS:
            if d not in ln or ln.count(d) > _MAX_FIELDS:
                continue
            names = [t.strip().strip('"').strip("\ufeff").lstrip("~").strip() for t in ln.split(d)]
            kinds: dict[str, int] = {}
            for k, nm in enumerate(names):
                kind, _neg = _kind(nm)
                if kind and kind not in kinds:
                    kinds[kind] = k
            # the total-time column wins over a per-step "Time"
            for k, nm in enumerate(names):
                if re.match(r"\s*(test|total|cumulative|elapsed|run|program)[\s_]*(time|\((s|sec|h|hr|min)\))", nm, re.I):
                    kinds["time"] = k
                    break
            if {"time", "potential", "current"} <= set(kinds):
                return i, d, names, kinds
    return None


def looks_like(head: bytes) -> bool:
    text = decode(head).replace("\r\n", "\n").replace("\r", "\n")
    return _header(text.split("\n")) is not None


def _seconds(series: pd.Series) -> tuple[np.ndarray, bool]:
    """(values, clock) — clock is True when the column holds [Nd] hh:mm:ss text (converted to seconds)."""
    v = pd.to_numeric(series, errors="coerce").to_numpy(float)
    if np.isfinite(v).mean() > 0.9:
        return v, False
    out = np.full(len(series), np.nan)
    for k, s in enumerate(series.tolist()):
        m = _TIME_RE.match(s) if isinstance(s, str) else None
        if m:
            out[k] = int(m.group(1) or 0) * 86400 + int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
    return out, True


def read_labelled(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    lines = text.split("\n")
    found = _header(lines)
    if found is None:
        raise MissingColumnsError(path, "no header row naming time, voltage and current columns")
    i, delim, names, kinds = found
    warn: list = []
    # unique names (some exports repeat a column name)
    seen: dict[str, int] = {}
    uniq = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        uniq.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    ncol = len(names)
    n_named = ncol
    while n_named > 1 and not names[n_named - 1]:
        n_named -= 1  # trailing empty names (a header ending with its delimiter): those fields may be absent
    rows: list[list[str]] = []
    row_lines: list[int] = []
    odd: list[int] = []
    reader = csv.reader(lines[i + 1:], delimiter=delim)
    raw_rows: list[tuple[int, list[str]]] = []
    try:
        for r in reader:
            if not r or not any(x.strip() for x in r):
                continue
            raw_rows.append((i + 1 + reader.line_num, r))
    except csv.Error as exc:
        raise reader_error(path, f"line {i + 1 + reader.line_num}: {exc}") from None
    if not raw_rows:
        raise EmptyFileError(path, "header row only, no data rows")
    # a file cut inside its last line: the last row is short or its last field cut
    if not text.endswith("\n") and len(raw_rows) > 1:
        last_ln, last = raw_rows[-1]
        prev = [r for _ln, r in raw_rows[-51:-1]]
        state = last_row_state(prev + [last], False, n_named)
        if state == "partial":
            raw_rows.pop()
            warn.append(ReadWarning("file ends inside the last data line (truncated): that row dropped", line=last_ln))
        elif state == "unknown":
            warn.append(ReadWarning(UNCHECKED_LAST_ROW, line=last_ln))
    for ln, r in raw_rows:
        if len(r) == ncol:
            pass
        elif len(r) > ncol and not any(x.strip() for x in r[ncol:]):
            r = r[:ncol]  # trailing delimiters
        elif n_named <= len(r) < ncol:
            r = r + [""] * (ncol - len(r))
        else:
            odd.append(ln)  # never shift: a missing or extra field moves every value after it
            continue
        rows.append(r)
        row_lines.append(ln)
    if odd and not rows:
        raise reader_error(path, f"none of the {len(odd)} rows after the header row (line {i + 1}, {ncol} fields) "
                                 "has its number of fields: not a table under that header")
    if odd:
        warn.append(row_warning(f"{len(odd)} row(s) whose number of fields differs from the header's {ncol} skipped "
                                "(a missing or extra field would shift the columns)", odd))
    df = pd.DataFrame(rows, columns=uniq, dtype=object) if rows else pd.DataFrame(columns=uniq)
    df = df.replace("", np.nan)
    row_lines = np.asarray(row_lines, dtype=np.int64)
    if len(df) == 0:
        raise EmptyFileError(path, "no data rows")
    out: dict[str, np.ndarray] = {}
    if delim != ",":
        sample = [str(x) for k in ("time", "potential", "current") for x in df[uniq[kinds[k]]].dropna().head(50)]
        if has_decimal_comma(sample):
            for k in ("time", "potential", "current", "cycle", "temperature"):
                if k in kinds:
                    col = uniq[kinds[k]]
                    df[col] = df[col].str.replace(",", ".", regex=False)
            warn.append("decimal comma detected and converted")

    def num(kind):
        k = kinds[kind]
        unit = _unit(names[k])
        fac = unit_factor(unit, default=1.0)
        if fac is None:
            warn.append(f"unknown unit {unit!r} in column {names[k]!r}: taken as SI")
            fac = 1.0
        return k, fac

    k = kinds["time"]
    t, clock = _seconds(df[uniq[k]])
    out["time_s"] = t if clock else t * num("time")[1]
    k, fac = num("potential")
    out["potential_V"] = pd.to_numeric(df[uniq[k]], errors="coerce").to_numpy(float) * fac
    k, fac = num("current")
    out["current_A"] = pd.to_numeric(df[uniq[k]], errors="coerce").to_numpy(float) * fac
    used = {kinds["time"], kinds["potential"], kinds["current"]}
    if "cycle" in kinds:
        c = to_int_column(df[uniq[kinds["cycle"]]].reset_index(drop=True), warn, names[kinds["cycle"]])
        out["cycle"] = c.array
        used.add(kinds["cycle"])
    step_col = next((j for j, n in enumerate(names) if re.fullmatch(r"(step[\s_]*(index|number|no\.?)?)(\s*/\s*1)?", n.strip(), re.I)), None)
    if step_col is not None:
        st = pd.to_numeric(df[uniq[step_col]], errors="coerce")
        if st.notna().all():
            out["step"] = to_int_column(df[uniq[step_col]].reset_index(drop=True), warn, names[step_col]).array
            used.add(step_col)
    if "temperature" in kinds:
        k = kinds["temperature"]
        t = pd.to_numeric(df[uniq[k]], errors="coerce").to_numpy(float)
        out["temperature_K"] = t if (_unit(names[k]) or "").strip().upper() == "K" else t + 273.15
        used.add(k)
    data = pd.DataFrame(out)
    bad = ~(np.isfinite(data["time_s"].to_numpy()) & np.isfinite(data["potential_V"].to_numpy())
            & np.isfinite(data["current_A"].to_numpy()))
    if bad.any():
        warn.append(row_warning(f"{int(bad.sum())} row(s) without a finite time, voltage and current (empty, text, "
                                "nan or inf) dropped", row_lines[bad]))
    rest = df[[uniq[j] for j in range(len(uniq)) if j not in used]].reset_index(drop=True)
    data = pd.concat([data, rest], axis=1).loc[~bad].reset_index(drop=True)
    row_lines = row_lines[~bad]
    if len(data) == 0:
        raise EmptyFileError(path, "no rows with numeric time, voltage and current")
    tt = data["time_s"].to_numpy(float)
    back = int(np.sum(np.diff(tt) < 0))
    if back:
        warn.append(f"time goes backwards at {back} place(s) (per-step times or a multi-level export?)")
    cur = data["current_A"].to_numpy(float)
    if np.nanmax(np.abs(cur)) > 0 and np.nanmin(cur) >= 0:
        warn.append("current is never negative: this export may store |I| with charge/discharge in another column — "
                    "check the sign before using it")
    head = "\n".join(lines[:i])
    flavour = "cycler-csv"
    for key, name in (("Arbin", "arbin"), ("Today's Date", "maccor"), ("Maccor", "maccor"), ("Novonix", "novonix"),
                      ("Neware", "neware"), ("Basytec", "basytec"), ("BaSyTec", "basytec")):
        if key in head or key.lower() in path.name.lower():
            flavour = name
            break
    return Measurement(data=data, source=path, format="cycler-csv", technique="CYCLING", warnings=warn,
                       extra={"flavour": flavour, "columns_in_file": names, "delimiter": delim, "header_line": i,
                              "_row_lines": row_lines})
