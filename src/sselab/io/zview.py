"""ZPlot / ZView / Solartron ``.z`` text files (``ZPLOT2 ASCII`` and the older ``ZPlotW`` / ``Z60W`` variants).

Columns ``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range``; Z'' is stored with its mathematical sign.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError
from ._common import (UNCHECKED_LAST_ROW, has_decimal_comma, imag_sign_looks_flipped, is_number, last_row_state,
                      read_text, reader_error, row_warning)
from .base import Measurement, ReadWarning

_MAGIC = (b"ZPLOT2 ASCII", b"ZPLOTW DATA FILE", b"Z60W DATA FILE", b"\"ZPLOTW DATA FILE", b"\"Z60W DATA FILE")
_DEFAULT = ["Freq(Hz)", "Ampl", "Bias", "Time(Sec)", "Z'(a)", "Z''(b)", "GD", "Err", "Range"]


def looks_like(head: bytes) -> bool:
    h = head.lstrip(b"\xef\xbb\xbf").lstrip().upper()
    return any(h.startswith(m.upper()) for m in _MAGIC)


def _split(line: str) -> list[str]:
    line = line.strip().strip('"').strip()
    if "\t" in line:
        return [t.strip() for t in line.split("\t") if t.strip()]
    if "," in line:
        return [t.strip() for t in line.split(",") if t.strip()]
    return line.split()


def read_z(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    lines = text.split("\n")
    warn: list[str] = []
    colnames = None
    start_idx = None
    meta: dict[str, str] = {}
    for i, ln in enumerate(lines):
        if start_idx is not None:
            break  # the data block has begun: a header repeated inside it is damage, not a new start
        s = ln.strip().strip('"')
        if colnames is None and re.search(r"Freq", s) and "Z'" in s:
            colnames = re.split(r"\t|\s{2,}|\s(?=[A-Z|])", s.strip())
            colnames = [c.strip() for c in colnames if c.strip()]
            if start_idx is None and not any(ln2.strip().upper() == "END COMMENTS" for ln2 in lines[i:i + 3]):
                start_idx = i + 1
        if s.upper() == "END COMMENTS":
            start_idx = i + 1
        m = re.match(r"\s*([^:]+):\s*(.*)$", s)
        if m and start_idx is None:
            meta.setdefault(m.group(1).strip(), m.group(2).strip())
    if start_idx is None:
        raise reader_error(path, "ZView .z file without a column line or 'End Comments' marker")
    nxt = next((k for k in range(start_idx, min(len(lines), start_idx + 3)) if lines[k].strip()), None)
    if colnames is None and nxt is not None and "Freq" in lines[nxt] and "Z'" in lines[nxt]:
        colnames = [c.strip() for c in re.split(r"\t|\s{2,}|\s(?=[A-Z|])", lines[nxt].strip().strip('"')) if c.strip()]
        start_idx = nxt + 1
    body_idx = [k for k in range(start_idx, len(lines)) if lines[k].strip()]
    if not body_idx:
        raise EmptyFileError(path, "no data rows after the header")
    toks0 = _split(lines[body_idx[0]])
    decimal = "," if ("\t" in lines[body_idx[0]] and has_decimal_comma(toks0)) else "."
    toks_all = [_split(lines[k]) for k in body_idx]
    if decimal == ",":
        toks_all = [[t.replace(",", ".") for t in toks] for toks in toks_all]
    state = last_row_state(toks_all, text.endswith("\n"), len(colnames) if colnames and len(toks_all) == 1 else None)
    if state == "partial":
        warn.append(ReadWarning("file ends inside the last data line (truncated): that row dropped",
                                line=body_idx[-1] + 1))
        toks_all, body_idx = toks_all[:-1], body_idx[:-1]
    elif state == "unknown":
        warn.append(ReadWarning(UNCHECKED_LAST_ROW, line=body_idx[-1] + 1))
    counts = [len(t) for t in toks_all if t]
    width = max(set(counts), key=counts.count) if counts else 0
    rows = []
    row_lines = []
    bad = []
    for k, toks in zip(body_idx, toks_all):
        if not toks or len(toks) != width or not all(is_number(t) for t in toks):
            bad.append(k + 1)
            continue
        rows.append([float(t) for t in toks])
        row_lines.append(k + 1)
    if bad:
        warn.append(row_warning(f"{len(bad)} malformed row(s) skipped", bad))
    if not rows:
        raise EmptyFileError(path, "no numeric data rows")
    names = colnames if colnames and len(colnames) == width else _DEFAULT[:width]
    if colnames and len(colnames) != width:
        warn.append(f"column line has {len(colnames)} names for {width} data columns: standard ZPlot order assumed")
    raw = pd.DataFrame(np.array(rows), columns=names[:width] + [f"col{k}" for k in range(len(names), width)])

    def find(pat):
        for c in raw.columns:
            if re.fullmatch(pat, c.replace(" ", ""), re.I):
                return c
        return None

    cf, cr, ci, ct = find(r"Freq\(?Hz\)?"), find(r"Z'(\(a\))?"), find(r"Z''(\(b\))?"), find(r"Time\(Sec\)")
    if cf is None or cr is None or ci is None:
        cf, cr, ci = raw.columns[0], raw.columns[4] if width > 5 else raw.columns[1], raw.columns[5] if width > 5 else raw.columns[2]
        warn.append("column names not recognised: standard ZPlot column order assumed")
    data = pd.DataFrame({"freq_Hz": raw[cf].to_numpy(float), "z_real_ohm": raw[cr].to_numpy(float),
                         "z_imag_ohm": raw[ci].to_numpy(float)})
    if ct is not None:
        data.insert(0, "time_s", raw[ct].to_numpy(float))
    rest = raw[[c for c in raw.columns if c not in (cf, cr, ci, ct)]]
    data = pd.concat([data, rest], axis=1)
    if imag_sign_looks_flipped(data["z_imag_ohm"].to_numpy(), data["freq_Hz"].to_numpy()):
        warn.append("Z'' is mostly positive (inductive or stored as -Z''?) — kept as written (ZView stores the mathematical sign)")
    version = None
    for k, v in meta.items():
        if "ZPlot" in k or "Software" in k or "Data File" in k:
            version = f"{k.split(',')[-1].strip()} {v}".strip()
            break
    first = lines[0].strip().strip('"')
    if version is None and "Version" in first:
        version = first
    start = None
    d = meta.get("Date")
    t = meta.get("Time")
    if d:
        dm = re.match(r"(\d{1,2}-\d{1,2}-\d{4})(?:\s+Time:\s*(\S+))?", d)
        if dm:
            t = t or dm.group(2)
            try:
                start = datetime.strptime(f"{dm.group(1)} {t or '00:00:00'}", "%m-%d-%Y %H:%M:%S")
            except ValueError:
                start = None
    return Measurement(data=data, source=path, format="zview-z", technique="EIS", instrument="Solartron/ZPlot",
                       software_version=version, start_time=start, warnings=warn,
                       extra={"technique_raw": meta.get("Experiment Type"),
                              "_row_lines": np.asarray(row_lines, dtype=np.int64)})
