"""PalmSens PSTrace / MultiTrace ``.pssession`` files (a JSON document, usually UTF-16 LE with BOM): impedance data.

Each entry of ``Measurements`` holds a ``DataSet`` of typed arrays; impedance arrays are recognised by ``ArrayType``
(5 frequency, 7 Z', 8 Z'') with the ``Description`` as a fallback.  PalmSens stores ``ZIm`` as −Z'' (positive for a
capacitive arc): checked against the same spectrum exported as .mpt / .DTA / .z in pyimpspec's test data, so the
reader negates it.  Several EIS measurements in one session become ``cycle`` 1, 2, ...  Sessions without impedance
data (CV, CA ... curves) are refused with a one-line error asking for a CSV export.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, ReaderError
from .base import Measurement

_FREQ, _ZRE, _ZIM = 5, 7, 8
_BY_DESCRIPTION = {"frequency": _FREQ, "zre": _ZRE, "zim": _ZIM}


def looks_like(head: bytes) -> bool:
    """A PalmSens session: a JSON object naming ``PalmSens`` near its start (UTF-16 or UTF-8)."""
    for enc, bom in (("utf-16-le", b"\xff\xfe"), ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b"")):
        if head.startswith(bom) and head[len(bom):len(bom) + 2].startswith(b"{" if enc == "utf-8" else b"{\x00"):
            text = head[len(bom):len(bom) + 4096].decode(enc, errors="ignore")
            return "PalmSens" in text
    return False


def _load(path: Path) -> dict:
    raw = path.read_bytes()
    if not raw.strip(b"\x00 \r\n\t\xff\xfe\xef\xbb\xbf"):
        raise EmptyFileError(path, "file is empty")
    if raw.startswith(b"\xff\xfe"):
        text = raw[2:].decode("utf-16-le", errors="strict")
    elif raw.startswith(b"\xfe\xff"):
        text = raw[2:].decode("utf-16-be", errors="strict")
    else:
        text = raw.decode("utf-8-sig")
    try:
        # PSTrace writes a trailing BOM / NULs after the document: decode the first JSON value only
        doc, _ = json.JSONDecoder().raw_decode(text.lstrip("\ufeff \r\n\t"))
    except json.JSONDecodeError as exc:
        raise ReaderError(path, f"not a valid PalmSens session (JSON error at character {exc.pos}: {exc.msg})") from None
    if not isinstance(doc, dict):
        raise ReaderError(path, "not a PalmSens session (the JSON document is not an object)")
    return doc


def _arrays(dataset) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    values = dataset.get("Values") if isinstance(dataset, dict) else None
    for arr in values or []:
        if not isinstance(arr, dict):
            continue
        kind = arr.get("ArrayType")
        if kind not in (_FREQ, _ZRE, _ZIM):
            kind = _BY_DESCRIPTION.get(str(arr.get("Description", "")).strip().lower())
        if kind is None or kind in out:
            continue
        dv = arr.get("DataValues")
        vals = [d.get("V") if isinstance(d, dict) else None for d in (dv if isinstance(dv, list) else [])]
        out[kind] = np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in vals],
                             dtype=float)
    return out


def _ticks_to_datetime(ticks) -> datetime | None:
    """.NET ``DateTime.Ticks`` (100 ns since 0001-01-01, local time) -> datetime."""
    try:
        return datetime(1, 1, 1) + timedelta(microseconds=int(ticks) // 10)
    except (TypeError, ValueError, OverflowError):
        return None


def read_pssession(path, **_) -> Measurement:
    path = Path(path)
    doc = _load(path)
    meas_list = doc.get("Measurements")
    if not isinstance(meas_list, list) or not meas_list:
        raise EmptyFileError(path, "PalmSens session holds no measurements")
    frames, warn = [], []
    first = None
    skipped = 0
    for k, m in enumerate(meas_list):
        if not isinstance(m, dict):
            continue
        arr = _arrays(m.get("DataSet"))
        if not {_FREQ, _ZRE, _ZIM} <= set(arr):
            skipped += 1
            continue
        n = min(len(arr[_FREQ]), len(arr[_ZRE]), len(arr[_ZIM]))
        if len({len(arr[_FREQ]), len(arr[_ZRE]), len(arr[_ZIM])}) > 1:
            warn.append(f"measurement {k + 1}: impedance arrays of unequal length; first {n} points kept")
        frames.append(pd.DataFrame({"freq_Hz": arr[_FREQ][:n], "z_real_ohm": arr[_ZRE][:n],
                                    "z_imag_ohm": -arr[_ZIM][:n], "cycle": len(frames) + 1}))
        if first is None:
            first = m
    if not frames:
        raise ReaderError(path, "PalmSens session without impedance data: only EIS sessions are read — export the "
                                "curves from PSTrace as CSV")
    if skipped:
        warn.append(f"{skipped} non-impedance measurement(s) in the session skipped")
    data = pd.concat(frames, ignore_index=True)
    ok = np.isfinite(data["freq_Hz"]) & np.isfinite(data["z_real_ohm"]) & np.isfinite(data["z_imag_ohm"])
    if not ok.all():
        warn.append(f"{int((~ok).sum())} point(s) without a finite frequency or impedance dropped")
        data = data.loc[ok].reset_index(drop=True)
    if len(data) == 0:
        raise EmptyFileError(path, "PalmSens session: no finite impedance points")
    if data["cycle"].nunique() == 1:
        data = data.drop(columns="cycle")
    serial = first.get("DeviceSerial")
    version = doc.get("CoreVersion")
    return Measurement(
        data=data, source=path, format="palmsens-pssession", technique="EIS",
        instrument=f"PalmSens (SN {serial})" if serial else "PalmSens",
        software_version=f"PalmSens core {version}" if version else None,
        start_time=_ticks_to_datetime(first.get("TimeStamp")), warnings=warn,
        extra={"technique_raw": "EIS", "title": first.get("Title"), "imag_stored_as": "-Z''"},
    )
