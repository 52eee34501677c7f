"""Maccor text exports: the raw ``.0NN`` text files (``Today's Date … Rec# Cyc# Step Test (Sec) …``), MaccorExport
``.txt`` tables (``Rec Cycle P Cycle C Step TestTime …``, decimal point or comma), csv exports (``Rec,Cycle C,Step,
Test Time (sec) …``) and the impedance files of the Maccor FRA (``MACCOR, INC.  AC Impedance Test``).

Mapping to the cycler contract (:mod:`sselab.io._cycler`):

* ``time_s`` from *Test (Sec)* / *Test Time (sec)* (seconds), *TestTime* as ``[N]d hh:mm:ss.s`` text, or a bare
  *TestTime* number whose unit (s, min or h) is established from the record's own date-time column (*DPt Time*)
  — MaccorExport writes minutes there; a unit that cannot be established is a warning;
* ``current_A`` signed by the *State*/*Md* column (``C`` charge → +, ``D`` discharge → −), since some exports
  write |I|; exports without a state column keep the sign as written (a warning when it is never negative);
* ``charge_C`` rebuilt from Maccor's *Amp-hr* counter (which restarts when the mode changes): its increments,
  signed by the state, summed from the start; the counter itself stays as ``capacity_counter_C``;
* ``cycle`` = *Cyc#* / *Cycle C*, ``step`` = *Step*, ``step_type`` = the state letter (R rest, C charge,
  D discharge, O/S/E/P/FRA others as Maccor writes them), ``end_status`` = *ES*;
* ``unix_time_s`` from *DPt Time* (the tester PC's wall clock), ``temperature_K`` from *Temp 1*.
"""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingColumnsError
from ._common import decode, imag_sign_looks_flipped, read_text
from ._cycler import check_plausible, pick_channel
from .base import Measurement

_HEADER_FIRST = re.compile(r"^\s*rec#?\s*$", re.I)


def looks_like(head: bytes) -> bool:
    text = decode(head[:16384]).replace("\r\n", "\n").replace("\r", "\n")
    if text.lstrip().upper().startswith("MACCOR, INC.") and "IMPEDANCE" in text[:200].upper():
        return True
    lines = text.split("\n")[:60]
    first = lines[0] if lines else ""
    maccor_head = bool(re.match(r"\s*today'{1,2}s date", first, re.I)) or bool(
        re.match(r"\s*name:\s*\t", first, re.I) and any(ln.lower().startswith("tester") for ln in lines[:20]))
    for ln in lines:
        toks = re.split(r"[\t,]", ln)
        if toks and _HEADER_FIRST.match(toks[0]) and len(toks) > 5:
            low = [t.strip().lower() for t in toks]
            has_time = any(t.startswith(("test (sec)", "testtime", "test time")) for t in low)
            has_step = "step" in low
            if has_time and has_step and (maccor_head or "cyc#" in low or "cycle c" in low):
                return True
    return False


# -- column recognition ------------------------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().strip('"')).lower()


_COLS = {
    "record": ("rec#", "rec"),
    "cycle": ("cyc#", "cycle c", "cycle"),
    "cycle_procedure": ("cycle p",),
    "step": ("step",),
    "time": ("test (sec)", "testtime", "test time (sec)", "test time", "test time (s)"),
    "step_time": ("step (sec)", "steptime", "step time (sec)", "step time", "step time (s)"),
    "capacity": ("amp-hr", "mamp-hr", "cap. [ah]", "cap. [mah]", "capacity", "capacity (ah)", "capacity [ah]"),
    "energy": ("watt-hr", "mwatt-hr", "ener. [wh]", "ener. [mwh]", "energy", "energy (wh)", "energy [wh]"),
    "current": ("amps", "mamps", "current [a]", "current [ma]", "current", "current (a)"),
    "voltage": ("volts", "mvolts", "voltage [v]", "voltage [mv]", "voltage", "voltage (v)"),
    "state": ("state", "md"),
    "es": ("es",),
    "datetime": ("dpt time",),
    "temperature": ("temp 1", "temp1", "temperature", "temp 1 [c]"),
}
_MILLI = {"mamp-hr", "cap. [mah]", "mwatt-hr", "ener. [mwh]", "mamps", "current [ma]", "mvolts", "voltage [mv]"}
_DT_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%d-%b-%y %I:%M:%S %p", "%d-%b-%y %H:%M:%S",
               "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S")


def _find(names: list[str], kind: str) -> int | None:
    low = [_norm(n) for n in names]
    for cand in _COLS[kind]:
        if cand in low:
            return low.index(cand)
    return None


def _clock_seconds(s: pd.Series) -> np.ndarray:
    parts = s.astype(str).str.extract(r"^\s*(?:(\d+)\s*d\s*)?(\d+):(\d{2}):(\d{2}(?:[.,]\d*)?)\s*$")
    d = pd.to_numeric(parts[0], errors="coerce").fillna(0).to_numpy(float)
    h = pd.to_numeric(parts[1], errors="coerce").to_numpy(float)
    m = pd.to_numeric(parts[2], errors="coerce").to_numpy(float)
    sec = pd.to_numeric(parts[3].str.replace(",", ".", regex=False), errors="coerce").to_numpy(float)
    return d * 86400 + h * 3600 + m * 60 + sec


def _parse_datetimes(s: pd.Series) -> tuple[np.ndarray | None, str | None]:
    """Seconds since 1970 (wall clock taken as UTC) of a date-time column, trying Maccor's formats."""
    sample = s.dropna().astype(str).str.strip()
    sample = sample[sample != ""].head(20)
    if sample.empty:
        return None, None
    for fmt in _DT_FORMATS:
        try:
            pd.to_datetime(sample, format=fmt)
        except (ValueError, TypeError):
            continue
        dt = pd.to_datetime(s.astype(str).str.strip(), format=fmt, errors="coerce")
        ns = dt.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        ns[dt.isna().to_numpy()] = np.nan
        return ns / 1e9, fmt
    return None, None


def _meta(lines: list[str]) -> dict:
    """Key/value pairs of the lines above the table (``Date of Test:``, ``Procedure:``, ``Name:``, …)."""
    meta: dict = {}
    text = "\t".join(lines)
    for key, pat in (("date_of_test", r"Date of Test:\s*[,\t]?\s*([^\t,]+?)\s*(?:\t|,|$| Filename)"),
                     ("filename", r"Filename:\s*\t?\s*(.+?)\s+Procedure:"),
                     ("procedure", r"Procedure:?\s*\t?\s*([^\t]+?)\s*(?:\t|$)"),
                     ("barcode", r"Comment/Barcode:\s*\t?\s*([^\t]*?)\s*(?:\t|$)")):
        m = re.search(pat, text)
        if m and m.group(1).strip():
            meta[key] = m.group(1).strip()
    for ln in lines:
        parts = [p.strip() for p in ln.split("\t")]
        if len(parts) >= 2 and parts[0].rstrip(":").lower() in ("name", "channel", "tester", "procedure",
                                                                 "description", "started"):
            meta.setdefault(parts[0].rstrip(":").lower(), parts[1])
    return meta


def _start_time(meta: dict) -> datetime | None:
    for key in ("started", "date_of_test"):
        v = meta.get(key)
        if not v:
            continue
        for fmt in _DT_FORMATS + ("%m/%d/%Y", "%d-%b-%y"):
            try:
                return datetime.strptime(v.strip(), fmt)
            except ValueError:
                continue
    return None


# -- reading -----------------------------------------------------------------------------------------------------

def read_maccor(path, channel=None, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    if channel is not None:
        pick_channel(path, [path.stem], channel)
    if text.lstrip().upper().startswith("MACCOR, INC."):
        return _read_eis(path, text)
    lines = text.split("\n")
    hdr = None
    for i, ln in enumerate(lines[:80]):
        toks = re.split(r"[\t,]", ln)
        if toks and _HEADER_FIRST.match(toks[0]) and len(toks) > 5:
            hdr = i
            break
    if hdr is None:
        raise MissingColumnsError(path, "no Maccor column header (Rec# / Rec …) in the first 80 lines")
    header_line = lines[hdr]
    sep = "\t" if "\t" in header_line else ","
    names = [n.strip().strip('"') for n in header_line.split(sep)]
    while names and names[-1] == "":
        names.pop()
    seen: dict[str, int] = {}
    uniq = []
    for k, n in enumerate(names):
        n = n or f"column_{k + 1}"
        seen[n] = seen.get(n, 0) + 1
        uniq.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    body = "\n".join(ln for ln in lines[hdr + 1:] if ln.strip())
    if not body.strip():
        raise EmptyFileError(path, "Maccor header only, no data rows")
    df = pd.read_csv(io.StringIO(body), sep=sep, header=None, names=uniq, index_col=False, dtype=str,
                     usecols=range(len(uniq)), on_bad_lines="skip", engine="c" if sep == "\t" else "python",
                     keep_default_na=False)
    warn: list[str] = []
    meta = _meta(lines[:hdr])
    idx = {k: _find(names, k) for k in _COLS}
    missing = [k for k in ("time", "current", "voltage") if idx[k] is None]
    if missing:
        raise MissingColumnsError(path, f"Maccor table without {', '.join(missing)} column(s) "
                                        f"(has: {', '.join(names[:16])})")
    # decimal comma (MaccorExport with a European locale): numbers like 0,017 and no decimal points
    probe = df[uniq[idx["voltage"]]].head(200).astype(str)
    comma = probe.str.fullmatch(r"[+-]?\d+,\d+").mean() > 0.5 and not probe.str.contains(r"\.").any()
    if comma:
        warn.append("decimal comma detected and converted")

    def num(k):
        s = df[uniq[idx[k]]]
        if comma:
            s = s.str.replace(",", ".", regex=False)
        return pd.to_numeric(s.str.strip(), errors="coerce").to_numpy(float)

    n = len(df)
    out: dict[str, np.ndarray] = {}
    # absolute date-time (also settles the unit of a bare TestTime)
    unix = None
    if idx["datetime"] is not None:
        unix, _fmt = _parse_datetimes(df[uniq[idx["datetime"]]])
    tcol = df[uniq[idx["time"]]].astype(str)
    tname = _norm(names[idx["time"]])
    if tcol.head(50).str.contains(":").any():
        t = _clock_seconds(tcol)
        factor = 1.0
    else:
        t = num("time")
        if "sec" in tname or "(s)" in tname:
            factor = 1.0
        else:
            factor = _time_unit(t, unix, warn, names[idx["time"]])
        t = t * factor
    out["time_s"] = t
    vfac = 1e-3 if _norm(names[idx["voltage"]]) in _MILLI else 1.0
    ifac = 1e-3 if _norm(names[idx["current"]]) in _MILLI else 1.0
    v = num("voltage") * vfac
    milli_export = any(_norm(names[idx[k]]) in _MILLI for k in ("current", "capacity") if idx[k] is not None)
    if vfac == 1.0 and milli_export and np.nanmedian(np.abs(v)) > 100:
        warn.append(f"'{names[idx['voltage']]}' holds values {np.nanmin(v):.6g}–{np.nanmax(v):.6g} beside milli-unit "
                    "current/capacity columns: read as mV")
        v = v * 1e-3
    out["potential_V"] = v
    cur = num("current") * ifac
    state = None
    if idx["state"] is not None:
        state = df[uniq[idx["state"]]].astype(str).str.strip().to_numpy()
        sign = np.where(state == "D", -1.0, np.where(state == "C", 1.0, np.nan))
        flipped = int(np.sum((state == "D") & (cur > 0)))
        cur = np.where(np.isfinite(sign), np.abs(cur) * np.nan_to_num(sign, nan=1.0), cur)
        if flipped:
            extra_sign = "state"
        else:
            extra_sign = "file"
    else:
        extra_sign = "file"
        if np.nanmax(np.abs(cur), initial=0) > 0 and np.nanmin(cur) >= 0:
            warn.append("no State column and the current is never negative: this export may store |I| — check the "
                        "sign before using it")
    out["current_A"] = cur
    if idx["capacity"] is not None:
        cfac = 3.6 if _norm(names[idx["capacity"]]) in _MILLI else 3600.0
        qc = num("capacity") * cfac
        out["charge_C"] = _charge_from_counter(qc, cur, state)
        out["capacity_counter_C"] = qc
    if idx["energy"] is not None:
        efac = 3.6 if _norm(names[idx["energy"]]) in _MILLI else 3600.0
        out["energy_counter_J"] = num("energy") * efac
    for k, canon in (("step", "step"), ("cycle", "cycle"), ("cycle_procedure", "cycle_procedure"),
                     ("record", "record"), ("es", "end_status")):
        if idx[k] is not None:
            c = pd.to_numeric(df[uniq[idx[k]]].str.strip(), errors="coerce")
            out[canon] = c.round().astype("Int64").to_numpy() if c.isna().any() else c.round().astype(np.int64).to_numpy()
    if state is not None:
        out["step_type"] = state
    if idx["step_time"] is not None:
        st = df[uniq[idx["step_time"]]].astype(str)
        out["step_time_s"] = _clock_seconds(st) if st.head(50).str.contains(":").any() else num("step_time") * (
            1.0 if "sec" in _norm(names[idx["step_time"]]) else factor)
    if unix is not None:
        out["unix_time_s"] = unix
    if idx["temperature"] is not None:
        out["temperature_K"] = num("temperature") + 273.15
    data = pd.DataFrame(out)
    used = {uniq[j] for j in idx.values() if j is not None}
    rest = {}
    for c in uniq:
        if c in used or c.startswith("column_") or c.lower().startswith("unnamed"):
            continue
        s = df[c].str.strip()
        val = pd.to_numeric(s.str.replace(",", ".", regex=False) if comma else s, errors="coerce")
        rest[c] = val.to_numpy(float) if val.notna().sum() >= 0.9 * (s != "").sum() and (s != "").any() else s.to_numpy()
    if rest:
        data = pd.concat([data, pd.DataFrame(rest)], axis=1)
    bad = ~(np.isfinite(data["time_s"].to_numpy(float)) & np.isfinite(data["potential_V"].to_numpy(float))
            & np.isfinite(data["current_A"].to_numpy(float)))
    if bad.any():
        warn.append(f"{int(bad.sum())} row(s) without numeric time/voltage/current dropped")
        data = data.loc[~bad].reset_index(drop=True)
    if len(data) == 0:
        raise EmptyFileError(path, "no rows with numeric time, voltage and current")
    data = check_plausible(path, data, warn)
    back = int(np.sum(np.diff(data["time_s"].to_numpy(float)) < 0))
    if back:
        warn.append(f"test time goes backwards at {back} place(s)")
    extra = {"channel": path.stem, "columns_in_file": names, "current_sign": extra_sign, "maccor_metadata": meta}
    start = None
    if "unix_time_s" in data.columns and np.isfinite(data["unix_time_s"].iloc[0]):
        # the first record's wall clock (the header often holds only the date)
        start = datetime(1970, 1, 1) + timedelta(seconds=float(data["unix_time_s"].iloc[0]))
    else:
        start = _start_time(meta)
    return Measurement(data=data, source=path, format="maccor-txt", technique="CYCLING", instrument="Maccor",
                       start_time=start, warnings=warn, extra=extra)


def _time_unit(t: np.ndarray, unix: np.ndarray | None, warn: list[str], name: str) -> float:
    """Seconds per unit of a bare test-time column, from the record's wall clock (s, min or h)."""
    if unix is not None:
        ok = np.isfinite(t) & np.isfinite(unix)
        if ok.sum() >= 3 and np.ptp(t[ok]) > 0:
            slope = np.ptp(unix[ok]) / np.ptp(t[ok])
            for f in (1.0, 60.0, 3600.0):
                if abs(slope / f - 1) < 0.05:
                    return f
            warn.append(f"the unit of '{name}' could not be established from the date-time column (ratio "
                        f"{slope:.3g} s per unit): taken as seconds")
            return 1.0
    warn.append(f"'{name}' carries no unit and the file has no date-time column to check it: taken as seconds")
    return 1.0


def _charge_from_counter(q: np.ndarray, cur: np.ndarray, state: np.ndarray | None) -> np.ndarray:
    """Signed charge since the start from Maccor's Amp-hr counter (restarts at a mode change)."""
    if len(q) == 0:
        return q.copy()
    qq = np.nan_to_num(q)
    d = np.diff(qq, prepend=qq[:1])  # charge_C starts at 0 at the first record
    reset = d < 0
    d[reset] = qq[reset]
    if state is not None:
        sign = np.where(state == "D", -1.0, np.where(state == "C", 1.0, np.sign(np.nan_to_num(cur))))
    else:
        sign = np.sign(np.nan_to_num(cur))
    return np.cumsum(d * sign)


def _read_eis(path: Path, text: str) -> Measurement:
    """A Maccor FRA impedance file: free header lines, then ``Freq(Hz) … Z'(a) Z''(b) …``."""
    lines = text.split("\n")
    hdr = next((i for i, ln in enumerate(lines[:60]) if ln.strip().lower().startswith("freq(hz)")), None)
    if hdr is None:
        raise MissingColumnsError(path, "Maccor impedance file without a Freq(Hz) header")
    names = [n.strip() for n in lines[hdr].split("\t")]
    body = "\n".join(ln for ln in lines[hdr + 1:] if ln.strip())
    if not body.strip():
        raise EmptyFileError(path, "Maccor impedance header only, no data rows")
    df = pd.read_csv(io.StringIO(body), sep="\t", header=None, index_col=False, dtype=str, keep_default_na=False)
    df = df.iloc[:, : len(names)]
    df.columns = names[: df.shape[1]]
    low = [n.lower() for n in names]

    def col(*cands):
        for c in cands:
            if c in low:
                return pd.to_numeric(df[names[low.index(c)]].str.strip(), errors="coerce").to_numpy(float)
        return None

    f, zr, zi = col("freq(hz)"), col("z'(a)", "z'"), col("z''(b)", "z''")
    if f is None or zr is None or zi is None:
        raise MissingColumnsError(path, "Maccor impedance file without Freq(Hz), Z'(a) and Z''(b) columns")
    warn: list[str] = []
    if imag_sign_looks_flipped(zi, f):
        zi = -zi
        warn.append("Z'' was stored as −Z'' (capacitive arc positive): sign changed to the mathematical one")
    out = {"freq_Hz": f, "z_real_ohm": zr, "z_imag_ohm": zi}
    t = col("time(sec)")
    if t is not None:
        out["time_s"] = t
    vdc = col("v-dc")
    if vdc is not None:
        out["potential_V"] = vdc
    data = pd.DataFrame(out)
    ok = np.isfinite(data["freq_Hz"]) & np.isfinite(data["z_real_ohm"]) & np.isfinite(data["z_imag_ohm"])
    if not ok.all():
        warn.append(f"{int((~ok).sum())} row(s) without numeric frequency/impedance dropped")
        data = data.loc[ok].reset_index(drop=True)
    start = None
    m = re.search(r"Start Date:\s*\w+,\s*(\w+ \d+, \d{4})\s+Start Time:\s*(\d+:\d+)", text[:2000])
    if m:
        try:
            start = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%B %d, %Y %H:%M")
        except ValueError:
            start = None
    return Measurement(data=data, source=path, format="maccor-txt", technique="EIS", instrument="Maccor FRA",
                       start_time=start, warnings=warn, extra={"channel": path.stem, "technique_raw": "AC Impedance"})
