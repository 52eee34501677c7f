"""IviumSoft ``.idf`` data files (key=value method block, then ``primary_data``: n columns, n points, rows).

Impedance files (``Method=Impedance``) hold Z', Z'' (mathematical sign) and frequency; other methods hold
time or potential, current and potential.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError
from ._common import UNCHECKED_LAST_ROW, decode, imag_sign_looks_flipped, last_row_state, read_bytes, reader_error
from .base import Measurement, ReadWarning

_TECH = {"impedance": "EIS", "cyclicvoltammetry": "CV", "linearsweep": "LSV", "chronoamperometry": "CA",
         "chronopotentiometry": "CP", "opencircuit": "OCV", "ocp": "OCV"}


def looks_like(head: bytes) -> bool:
    return b"primary_data" in head or (b"Solarcell=" in head and b"Corrosion=" in head)


def read_idf(path, **_) -> Measurement:
    path = Path(path)
    raw = read_bytes(path)
    if not raw.strip():
        raise EmptyFileError(path, "file is empty")
    text = decode(raw).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    meta: dict[str, str] = {}
    for ln in lines:
        if "=" in ln and not ln.startswith("primary_data"):
            k, v = ln.split("=", 1)
            meta.setdefault(k.strip(), v.strip())
        if ln.startswith("primary_data"):
            break
    try:
        i = next(k for k, ln in enumerate(lines) if ln.strip() == "primary_data")
    except StopIteration:
        raise reader_error(path, "Ivium .idf without a 'primary_data' block") from None
    warn: list = []
    try:
        ncol = int(lines[i + 1].split()[0])
        npts = int(lines[i + 2].split()[0])
    except (IndexError, ValueError):
        raise reader_error(path, "malformed 'primary_data' block (column/point counts missing)") from None
    if not 0 < ncol <= 64 or npts < 0:
        raise reader_error(path, f"implausible 'primary_data' counts ({ncol} columns, {npts} points)")

    def parse(ln: str):
        toks = ln.split()
        if len(toks) != ncol:
            return None
        try:
            return [float(t) for t in toks]
        except ValueError:
            return None

    rows = []
    j = i + 3
    while j < len(lines) and len(rows) < npts:
        r = parse(lines[j])
        if r is None:
            break
        rows.append(r)
        j += 1
    # a point count smaller than the table: read every row that follows in the same shape, and say so
    more = 0
    while j < len(lines) and (r := parse(lines[j])) is not None:
        rows.append(r)
        j += 1
        more += 1
    if more:
        warn.append(ReadWarning(f"primary_data announces {npts} points but {npts + more} rows follow: all read",
                                line=i + 3))
    body = [ln.split() for ln in lines[i + 3:i + 3 + len(rows)]]
    if rows and not any(x.strip() for x in lines[i + 3 + len(rows):]):
        state = last_row_state(body, text.endswith("\n"), ncol)
        if state == "partial":
            rows = rows[:-1]
            warn.append(ReadWarning("file ends inside the last data line (truncated): that row dropped",
                                    line=i + 3 + len(rows) + 1))
        elif state == "unknown":
            warn.append(ReadWarning(UNCHECKED_LAST_ROW, line=i + 3 + len(rows)))
    if not rows:
        raise EmptyFileError(path, "primary_data holds no rows")
    if len(rows) < npts:
        warn.append(ReadWarning(f"primary_data: {len(rows)} of {npts} announced points read (truncated or damaged "
                                "file?)", line=i + 3 + len(rows) + 1))
    row_lines = np.arange(len(rows)) + i + 4
    arr = np.array(rows)
    method = meta.get("Method", "")
    technique = _TECH.get(re.sub(r"[^a-z]", "", method.lower()), "unknown")
    if technique == "EIS" and ncol >= 3:
        data = pd.DataFrame({"freq_Hz": arr[:, 2], "z_real_ohm": arr[:, 0], "z_imag_ohm": arr[:, 1]})
        if imag_sign_looks_flipped(data["z_imag_ohm"].to_numpy(), data["freq_Hz"].to_numpy()):
            warn.append("Z'' mostly positive — kept as written (Ivium stores the mathematical sign)")
        times = [float(meta[f"timing.time[{k + 1}]"]) for k in range(len(data)) if f"timing.time[{k + 1}]" in meta]
        if len(times) == len(data):
            data.insert(0, "time_s", times)
    elif ncol >= 3:
        # x (time or potential), current, potential
        first = "time_s" if technique in ("CA", "CP", "OCV") else "x"
        data = pd.DataFrame({first: arr[:, 0], "current_A": arr[:, 1], "potential_V": arr[:, 2]})
        warn.append(f"Ivium method {method!r}: columns taken as ({first}, current, potential)")
    else:
        data = pd.DataFrame(arr, columns=[f"col{k}" for k in range(ncol)])
        warn.append(f"Ivium method {method!r} with {ncol} columns: no canonical columns")
    start = None
    st = meta.get("starttime")
    if st:
        for fmt in ("%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                start = datetime.strptime(st, fmt)
                break
            except ValueError:
                pass
    return Measurement(data=data, source=path, format="ivium-idf", technique=technique, instrument="Ivium",
                       software_version=meta.get("software") or None, start_time=start, warnings=warn,
                       extra={"technique_raw": f"{method} / {meta.get('Technique', '')}".strip(" /"),
                              "_row_lines": row_lines})
