"""Cycler exports saved as spreadsheets (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``): Arbin (MITS Pro / DataPro),
Neware BTSDA, Landt/LANHE and similar, through ``python-calamine`` (optional extra ``sselab[excel]``).

Every sheet whose first rows hold a header naming time, voltage and current columns is a data sheet; summary
sheets (``Global_Info``, ``Statis``, ``Cycle``, ``Step`` …) are not.  Sheets that continue one another — same
header, names differing only in a trailing number (Arbin ``Channel_11_1``, ``Channel_11_2`` when a channel
outgrew one sheet) — are one channel (``Channel_11``).  Each channel is one :class:`Measurement`
(:func:`channels`, ``read(path, channel=…)``, ``sselab.io.read_all``).

Columns follow the cycler contract (:mod:`sselab.io._cycler`); units come from the column names (``(mA)``,
``/mAh``, ``(h)`` …).  A current that is never negative beside a step-type column naming discharge steps is signed
from that column (Landt-style exports), with the fact recorded in ``extra['current_sign']``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, ReaderError
from ._common import optional_import, read_head, unit_factor
from ._cycler import check_plausible, check_zip_size, counter_increments, pick_channel
from .base import Measurement

_SUMMARY = re.compile(r"^(global[_ ]?info|info|statis\w*|cycle\w*|step\w*|summary|test[_ ]?info|unit|log)$", re.I)
_ENERGY = {"Wh": 3600.0, "mWh": 3.6, "kWh": 3.6e6, "J": 1.0, "kJ": 1e3, "W.h": 3600.0, "mW.h": 3.6}
_UNIT_IN_NAME = re.compile(r"\(([^()]*)\)\s*$|\[([^\[\]]*)\]\s*$|/\s*([^/]+?)\s*$")


def _calamine(path=None):
    return optional_import("python_calamine", "CalamineWorkbook", path,
                           "reading spreadsheets (.xlsx/.xls/.ods) needs python-calamine: pip install 'sselab[excel]'")


def _norm(name) -> str:
    return re.sub(r"\s+", " ", str(name if name is not None else "").strip()).lower()


def _base(name: str) -> str:
    """The name without its unit: ``'Current(mA)'`` -> ``'current'``."""
    n = _norm(name)
    n = re.sub(r"\s*(\([^()]*\)|\[[^\[\]]*\])\s*$", "", n)
    n = re.sub(r"\s*/\s*[^/]+$", "", n)
    return n.strip()


def _unit(name: str) -> str | None:
    m = _UNIT_IN_NAME.search(str(name))
    if not m:
        return None
    return next(g for g in m.groups() if g is not None).strip()


_PATTERNS = {
    "time": [r"^(test[_ ]?time|total[_ ]?time|testtime|totaltime|elapsed[_ ]?time|run[_ ]?time|test time)$",
             r"^(time)$"],
    "step_time": [r"^(step[_ ]?time|steptime)$"],
    "potential": [r"^(voltage|volt|volts|potential|ewe|cell voltage|u)$"],
    "current": [r"^(current|amps?|i)$"],
    "step": [r"^(step[_ ]?(index|id|no\.?|number)?|steps?)$"],
    "step_type": [r"^(step[_ ]?type|state|status|md|mode)$"],
    "cycle": [r"^(cycle[_ ]?(index|id|no\.?|number)?|cycles?)$"],
    "charge_capacity": [r"^(charge[_ ]?capacity|chg\.? ?cap\.?|charge cap\.?)$"],
    "discharge_capacity": [r"^(discharge[_ ]?capacity|dchg\.? ?cap\.?|discharge cap\.?)$"],
    "capacity": [r"^(capacity|cap\.?)$"],
    "charge_energy": [r"^(charge[_ ]?energy|chg\.? ?energy)$"],
    "discharge_energy": [r"^(discharge[_ ]?energy|dchg\.? ?energy)$"],
    "datetime": [r"^(date[_ ]?time|date|timestamp|realtime|real time|absolute time|system time)$"],
    "temperature": [r"^(temperature|temp|aux[_ ]?temperature[_ ]?\d*|t1)$"],
    "record": [r"^(data[_ ]?point|datapoint|record|rec#?|record id|index)$"],
}


def _map(names: list) -> dict[str, int]:
    bases = [_base(n) for n in names]
    out: dict[str, int] = {}
    for kind, pats in _PATTERNS.items():
        for pat in pats:
            hit = next((k for k, b in enumerate(bases) if re.match(pat, b) and k not in out.values()), None)
            if hit is not None:
                out[kind] = hit
                break
    return out


def _header_row(rows: list[list]) -> int | None:
    for i, row in enumerate(rows[:40]):
        names = [c if isinstance(c, str) else "" for c in row]
        if sum(bool(n.strip()) for n in names) < 3:
            continue
        m = _map(names)
        if {"time", "potential", "current"} <= set(m):
            return i
    return None


def _sheets(wb) -> list[tuple[str, list[list], int]]:
    """(sheet name, rows, header row index) of every data sheet."""
    out = []
    for name in wb.sheet_names:
        if _SUMMARY.match(name.strip()):
            continue
        try:
            rows = wb.get_sheet_by_name(name).to_python()
        except Exception as exc:  # noqa: BLE001 - calamine raises its own error types; re-raised as one line
            raise ReaderError(None, f"sheet {name!r}: {' '.join(str(exc).split())[:120]}") from None
        hdr = _header_row(rows)
        if hdr is not None:
            out.append((name, rows, hdr))
    return out


def _groups(sheets) -> list[tuple[str, list]]:
    """Channels: consecutive sheets with the same header whose names differ only in a trailing number."""
    groups: list[tuple[str, list]] = []
    for name, rows, hdr in sheets:
        m = re.match(r"^(.*?)[_\- ]?(\d+)$", name.strip())
        stem = m.group(1).rstrip("_- ") if m and m.group(1).strip() else name
        header = [_norm(c) for c in rows[hdr]]
        if groups and groups[-1][0] == stem and [_norm(c) for c in groups[-1][1][0][1][groups[-1][1][0][2]]] == header:
            groups[-1][1].append((name, rows, hdr))
        else:
            groups.append((stem, [(name, rows, hdr)]))
    # a sheet alone keeps its own name
    named = []
    for stem, members in groups:
        single = members[0][0] if len(members) == 1 and not re.match(r"(?i)^channel[_ ]?\d+$", stem) else stem
        named.append((single, members))
    names = [n for n, _ in named]
    if len(set(names)) < len(names):  # two different channels with the same stem: fall back to sheet names
        named = [(m[0][0] if len(m) == 1 else "+".join(s[0] for s in m), m) for _, m in named]
    return named


def _open(path: Path):
    CalamineWorkbook = _calamine(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".ods") or read_head(path, 4).startswith(b"PK"):
        check_zip_size(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine's errors (CalamineError, XmlError …) become one line
        raise ReaderError(path, f"not a readable spreadsheet ({type(exc).__name__}: "
                                f"{' '.join(str(exc).split())[:120]})") from None


def _channels(path: Path):
    wb = _open(path)
    try:
        sheets = _sheets(wb)
    except ReaderError as exc:
        raise ReaderError(path, exc.problem) from None
    if not sheets:
        raise EmptyFileError(path, f"no sheet with a header naming time, voltage and current columns "
                                   f"(sheets: {', '.join(wb.sheet_names[:8])})")
    return _groups(sheets)


def channels(path) -> list[str]:
    """Channel names of a spreadsheet export (``'Channel_11'`` …)."""
    return [n for n, _ in _channels(Path(path))]


def _seconds(values: list, unit: str | None) -> np.ndarray:
    out = np.full(len(values), np.nan)
    fac = unit_factor(unit, default=1.0) or 1.0
    clock = re.compile(r"^\s*(?:(\d+)\s*(?:d|days?)[,\s]*)?(\d+):(\d{2}):(\d{2}(?:\.\d*)?)\s*$")
    for k, v in enumerate(values):
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, (int, float)):
            out[k] = float(v) * fac
        elif isinstance(v, timedelta):
            out[k] = v.total_seconds()
        elif isinstance(v, time):
            out[k] = v.hour * 3600 + v.minute * 60 + v.second + v.microsecond * 1e-6
        elif isinstance(v, str):
            m = clock.match(v)
            if m:
                out[k] = int(m.group(1) or 0) * 86400 + int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
            else:
                try:
                    out[k] = float(v) * fac
                except ValueError:
                    pass
    return out


def _numbers(values: list) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    return pd.to_numeric(s.where(s.map(lambda x: not isinstance(x, (str, bool)) or x.strip() != ""), None),
                         errors="coerce").to_numpy(float)


def _unix(values: list) -> np.ndarray:
    out = np.full(len(values), np.nan)
    epoch = datetime(1970, 1, 1)
    for k, v in enumerate(values):
        if isinstance(v, datetime):
            out[k] = (v - epoch).total_seconds()
        elif isinstance(v, date):
            out[k] = (datetime(v.year, v.month, v.day) - epoch).total_seconds()
        elif isinstance(v, str) and v.strip():
            try:
                out[k] = (pd.Timestamp(v.strip()).to_pydatetime().replace(tzinfo=None) - epoch).total_seconds()
            except (ValueError, TypeError):
                pass
    return out


def read_spreadsheet(path, channel=None, **_) -> Measurement:
    path = Path(path)
    groups = _channels(path)
    k = pick_channel(path, [n for n, _ in groups], channel)
    name, members = groups[k]
    warn: list[str] = []
    header = [c if isinstance(c, str) else (str(c) if c is not None else "") for c in members[0][1][members[0][2]]]
    rows: list[list] = []
    for sheet, srows, hdr in members:
        rows.extend(r for r in srows[hdr + 1:] if any(c not in (None, "") for c in r))
    width = len(header)
    rows = [list(r[:width]) + [None] * (width - len(r)) for r in rows]
    cols = list(zip(*rows)) if rows else [[] for _ in range(width)]
    m = _map(header)
    n = len(rows)
    out: dict[str, np.ndarray] = {}
    out["time_s"] = _seconds(list(cols[m["time"]]), _unit(header[m["time"]]))

    def scaled(kind, default_unit):
        j = m[kind]
        unit = _unit(header[j]) or default_unit
        fac = unit_factor(unit, default=1.0)
        if fac is None:
            warn.append(f"unknown unit {unit!r} in column {header[j]!r}: taken as {default_unit}")
            fac = 1.0
        return _numbers(list(cols[j])) * fac

    out["potential_V"] = scaled("potential", "V")
    cur = scaled("current", "A")
    step_type = None
    if "step_type" in m:
        step_type = np.array([str(x).strip() if x is not None else "" for x in cols[m["step_type"]]], dtype=object)
    sign_from = "file"
    if step_type is not None and np.nanmax(np.abs(cur), initial=0) > 0 and np.nanmin(cur) >= 0:
        low = pd.Series(step_type).str.lower()
        dis = low.str.contains(r"dchg|dis|^d($|[_ ])", regex=True).to_numpy()
        if dis.any():
            cur = np.where(dis, -np.abs(cur), cur)
            sign_from = "step_type"
            warn.append(f"current stored as |I|: signed from the '{header[m['step_type']]}' column (discharge < 0)")
    out["current_A"] = cur

    def capacity(kind):
        j = m[kind]
        unit = _unit(header[j]) or "Ah"
        fac = unit_factor(unit.replace("·", "."), default=3600.0)
        if fac is None:
            warn.append(f"unknown unit {unit!r} in column {header[j]!r}: taken as Ah")
            fac = 3600.0
        return _numbers(list(cols[j])) * fac

    if {"charge_capacity", "discharge_capacity"} <= set(m):
        qc, qd = capacity("charge_capacity"), capacity("discharge_capacity")
        out["charge_C"] = np.cumsum(counter_increments(qc) - counter_increments(qd))
        out["charge_capacity_C"] = qc
        out["discharge_capacity_C"] = qd
    elif "capacity" in m:
        q = capacity("capacity")
        out["charge_C"] = np.cumsum(counter_increments(np.abs(q)) * np.sign(np.nan_to_num(cur)))
        out["capacity_counter_C"] = q
    for kind, canon in (("charge_energy", "charge_energy_J"), ("discharge_energy", "discharge_energy_J")):
        if kind in m:
            j = m[kind]
            unit = (_unit(header[j]) or "Wh").replace("·", "")
            fac = _ENERGY.get(unit)
            if fac is None:
                warn.append(f"unknown unit {unit!r} in column {header[j]!r}: taken as Wh")
                fac = 3600.0
            out[canon] = _numbers(list(cols[j])) * fac
    for kind, canon in (("step", "step"), ("cycle", "cycle"), ("record", "record")):
        if kind in m:
            c = pd.Series(_numbers(list(cols[m[kind]])))
            out[canon] = c.round().astype("Int64").to_numpy() if c.isna().any() else c.round().astype(np.int64).to_numpy()
    if step_type is not None:
        out["step_type"] = step_type
    if "step_time" in m:
        out["step_time_s"] = _seconds(list(cols[m["step_time"]]), _unit(header[m["step_time"]]))
    if "datetime" in m:
        out["unix_time_s"] = _unix(list(cols[m["datetime"]]))
    if "temperature" in m:
        j = m["temperature"]
        t = _numbers(list(cols[j]))
        out["temperature_K"] = t if (_unit(header[j]) or "").strip().upper() == "K" else t + 273.15
    used = set(m.values())
    for j, h in enumerate(header):
        if j in used or not h.strip():
            continue
        key = h.strip()
        if key in out:
            key = f"{key}#{j}"
        vals = _numbers(list(cols[j]))
        out[key] = vals if np.isfinite(vals).sum() >= 0.9 * sum(c not in (None, "") for c in cols[j]) else \
            np.array(cols[j], dtype=object)
    data = pd.DataFrame(out)
    bad = ~(np.isfinite(data["time_s"].to_numpy(float)) & np.isfinite(data["potential_V"].to_numpy(float))
            & np.isfinite(data["current_A"].to_numpy(float)))
    if bad.any() and n:
        warn.append(f"{int(bad.sum())} row(s) without numeric time/voltage/current dropped")
        data = data.loc[~bad].reset_index(drop=True)
    extra = {"channel": name, "sheets": [s for s, _, _ in members], "current_sign": sign_from,
             "columns_in_file": header}
    if len(data) == 0:
        warn.append("the sheet holds a header but no data rows: empty table")
        extra["empty_table"] = True
    data = check_plausible(path, data, warn)
    if len(data):
        back = int(np.sum(np.diff(data["time_s"].to_numpy(float)) < 0))
        if back:
            warn.append(f"time goes backwards at {back} place(s) (per-step times?)")
    start = None
    if "unix_time_s" in data and len(data) and np.isfinite(data["unix_time_s"].iloc[0]):
        start = datetime(1970, 1, 1) + timedelta(seconds=float(data["unix_time_s"].iloc[0]))
    flavour = "arbin" if {"charge_capacity", "discharge_capacity"} <= set(m) and any(
        "_" in h for h in header) else None
    return Measurement(data=data, source=path, format="spreadsheet", technique="CYCLING",
                       instrument=flavour.capitalize() if flavour else None, start_time=start, warnings=warn,
                       extra=extra)
