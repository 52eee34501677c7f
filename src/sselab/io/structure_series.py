"""Series of patterns or spectra (in situ / operando) with one absolute time per member.

:func:`read_series` takes files, a folder, or one multi-row file (XRDML with several scans, a Bruker pseudo-2D
``ser``, a Varian array) and returns a :class:`Series`: a common x axis (``two_theta_deg`` or ``shift_ppm``), an
intensity matrix (members × points), and per member a time in seconds from ``t0`` (an absolute ``datetime``).

Where each member's time comes from (first that applies; ``Series.time_source`` records it):

1. ``times=`` given by the caller (or a manifest): ``{file name or index: ISO time or seconds}``;
2. a log CSV (``log=``): one row per scan with a scan number/name column matched to the file names and
   ``start_time`` (+ ``end_time``: the member's time is the middle of the acquisition), like the datalab
   operando logs;
3. the files themselves: XRDML/BRML/RASX start times, RAW dates, Bruker/Varian acquisition dates plus per-row
   times;
4. a timestamp in the file name (``..._20250702_190559...``, ``2025-07-02T19:05:59``).

A member without any time fails with one line unless ``allow_index_time=True`` (then times are 0, 1, 2 … with a
warning — ordering only).  The manifest (:func:`read_operando_manifest`) adds a constant ``offset_s`` per clock.

The same module holds :func:`read_operando_manifest`: a YAML file naming the electrochemistry file, the XRD and/or
NMR series, their time sources and clock offsets (see docs/CONVENTIONS.md, "Operando manifest").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ReaderError, SselabError
from .base import Measurement

__all__ = ["Series", "read_series", "series_from_measurements", "read_operando_manifest", "OperandoInputs",
           "time_from_name"]


class SeriesError(SselabError, ValueError):
    """A series cannot be assembled (mixed kinds, no times, axes that do not overlap …)."""


@dataclass
class Series:
    """Patterns or spectra on one axis with one time each (seconds from ``t0``)."""

    kind: str                       # "XRD" or "NMR"
    x: np.ndarray                   # (m,) two_theta_deg or shift_ppm
    y: np.ndarray                   # (n, m)
    time_s: np.ndarray              # (n,) from t0
    t0: datetime | None = None
    err: np.ndarray | None = None   # (n, m) one standard deviation, or None
    names: list[str] = field(default_factory=list)
    wavelength_m: float | None = None
    time_source: str = ""
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    y_imag: np.ndarray | None = None   # (n, m) imaginary parts (NMR spectra transformed from FIDs), or None

    @property
    def x_name(self) -> str:
        return "two_theta_deg" if self.kind == "XRD" else "shift_ppm"

    def __len__(self) -> int:
        return len(self.y)

    def absolute_times(self) -> list[datetime] | None:
        if self.t0 is None:
            return None
        return [self.t0 + timedelta(seconds=float(t)) for t in self.time_s]

    def shifted(self, offset_s: float) -> "Series":
        """The same series with every time moved by ``offset_s`` (a clock offset)."""
        from dataclasses import replace

        return replace(self, t0=None if self.t0 is None else self.t0 + timedelta(seconds=float(offset_s)),
                       time_s=self.time_s.copy())


_NAME_TS = [
    (re.compile(r"(\d{4})-?(\d{2})-?(\d{2})[T_ -](\d{2})[:\-h]?(\d{2})[:\-m]?(\d{2})"), "%Y%m%d%H%M%S"),
]


def time_from_name(name: str) -> datetime | None:
    """A timestamp written in a file name (``20250702_190559``, ``2025-07-02T19-05-59``), or None."""
    for rx, _ in _NAME_TS:
        m = rx.search(name)
        if m:
            try:
                return datetime(*(int(g) for g in m.groups()))
            except ValueError:
                return None
    return None


def _naive(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is not None:
        from datetime import timezone

        return dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def _parse_time(v) -> datetime | float | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return _naive(v)
    if isinstance(v, (int, float, np.floating, np.integer)):
        return float(v)
    s = str(v).strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        return _naive(pd.Timestamp(s).to_pydatetime())
    except (ValueError, TypeError):
        raise SeriesError(f"time {s!r}: not an ISO date-time or a number of seconds") from None


def _expand(inputs) -> list[Path]:
    from .detect import detect

    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise ReaderError(p, "no such file or folder")
        if p.is_dir():
            try:
                fmt = detect(p)           # an NMR dataset folder is one input
            except SselabError:
                fmt = None
            if fmt:
                out.append(p)
                continue
            files = sorted((q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")),
                           key=lambda q: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", q.name)])
            subs = sorted(q for q in p.iterdir() if q.is_dir())
            out.extend(files)
            for s in subs:
                try:
                    if detect(s):
                        out.append(s)
                except SselabError:
                    pass
        else:
            out.append(p)
    return out


def _log_times(log: Path, names: list[str]) -> dict[str, tuple[datetime, str]]:
    """Map file names to mid-acquisition times from an operando log CSV."""
    df = pd.read_csv(log)
    cols = {c.lower().strip(): c for c in df.columns}
    key = next((cols[c] for c in ("scan_number", "scan", "file", "filename", "name", "pattern") if c in cols), None)
    start = next((cols[c] for c in ("start_time", "start", "time", "timestamp", "datetime") if c in cols), None)
    end = next((cols[c] for c in ("end_time", "end", "stop_time") if c in cols), None)
    if key is None or start is None:
        raise SeriesError(f"{log}: a log needs a scan/file column and a start_time column (has: {', '.join(df.columns)})")
    out = {}
    for _, r in df.iterrows():
        t1 = _parse_time(r[start])
        t2 = _parse_time(r[end]) if end is not None and pd.notna(r[end]) else None
        if not isinstance(t1, datetime):
            raise SeriesError(f"{log}: start time {r[start]!r} is not a date-time")
        t = t1 + (t2 - t1) / 2 if isinstance(t2, datetime) else t1
        k = str(r[key]).strip()
        for n in names:
            stem = Path(n).stem
            if stem == k or re.search(rf"(^|\D){re.escape(k)}(\D|$)", stem):
                out[n] = (t, "log (mid-acquisition)" if t2 is not None else "log (start)")
    return out


def series_from_measurements(meas: list[Measurement], names: list[str] | None = None, *,
                             times: dict | None = None, log=None, allow_index_time: bool = False) -> Series:
    """Assemble a :class:`Series` from measurements (each one member, or several when it has a ``row`` column)."""
    if not meas:
        raise SeriesError("no patterns or spectra given")
    kinds = {m.technique for m in meas}
    if len(kinds) != 1 or not kinds <= {"XRD", "NMR"}:
        raise SeriesError(f"a series needs XRD patterns or NMR spectra of one kind (got {', '.join(sorted(kinds))})")
    kind = kinds.pop()
    xcol = "two_theta_deg" if kind == "XRD" else "shift_ppm"
    names = names or [m.name for m in meas]
    members = []          # (name, x, y, err, abs_time or None, rel_time or None, source)
    warnings: list[str] = []
    for m, nm in zip(meas, names):
        if xcol not in m.data.columns:
            raise SeriesError(f"{m.name}: no {xcol} column (an XRD file in Q without a wavelength?)")
        d = m.data
        rows = d["row"].to_numpy() if "row" in d.columns else np.zeros(len(d), int)
        starts = m.extra.get("row_start_times") or []
        rel = m.extra.get("row_time_s")
        for k in np.unique(rows):
            sel = rows == k
            nm_k = nm if len(np.unique(rows)) == 1 else f"{nm}[{k}]"
            t_abs = None
            if starts and k < len(starts) and starts[k]:
                t_abs = _naive(pd.Timestamp(starts[k]).to_pydatetime())
            elif m.start_time is not None:
                t_abs = _naive(m.start_time) + timedelta(seconds=float(rel[k])) if rel is not None else _naive(m.start_time)
            err = d["intensity_err"].to_numpy(float)[sel] if "intensity_err" in d.columns else None
            imag = d["intensity_imag"].to_numpy(float)[sel] if "intensity_imag" in d.columns else None
            members.append([nm_k, d[xcol].to_numpy(float)[sel], d["intensity"].to_numpy(float)[sel], err, t_abs,
                            float(rel[k]) if rel is not None and m.start_time is None else None, str(m.source), imag])
        warnings.extend(f"{m.name}: {w}" for w in m.warnings)
    # times
    source = "files"
    if times:
        source = "given"
        for i, mem in enumerate(members):
            v = times.get(mem[0], times.get(Path(mem[0]).name, times.get(i, times.get(str(i)))))
            if v is None:
                raise SeriesError(f"no time given for {mem[0]}")
            t = _parse_time(v)
            mem[4], mem[5] = (t, None) if isinstance(t, datetime) else (None, t)
    elif log is not None:
        lt = _log_times(Path(log), [mem[0] for mem in members])
        missing = [mem[0] for mem in members if mem[0] not in lt]
        if missing:
            raise SeriesError(f"{log}: no log row for {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}")
        for mem in members:
            mem[4], mem[5] = lt[mem[0]][0], None
        source = next(iter(lt.values()))[1]
    else:
        for mem in members:
            if mem[4] is None and mem[5] is None:
                t = time_from_name(mem[0])
                if t is not None:
                    mem[4] = t
                    source = "file names"
    have_abs = [mem[4] is not None for mem in members]
    have_rel = [mem[5] is not None for mem in members]
    if all(have_abs):
        t0 = min(mem[4] for mem in members)
        tt = np.array([(mem[4] - t0).total_seconds() for mem in members])
        same = len({mem[4] for mem in members}) < len(members)
        if same and len(members) > 1:
            raise SeriesError("several members share one timestamp (the files' dates are per file, not per scan): "
                              "give times in a manifest or a log")
    elif all(have_rel):
        t0 = None
        tt = np.array([mem[5] for mem in members], float)
        source = "relative (file)"
    elif allow_index_time:
        t0 = None
        tt = np.arange(len(members), dtype=float)
        source = "index (no times)"
        warnings.append("no acquisition times found: members ordered by index (0, 1, 2 …); give times for a time axis")
    else:
        missing = [mem[0] for mem, a, r in zip(members, have_abs, have_rel) if not (a or r)]
        raise SeriesError(f"no acquisition time for {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}: "
                          f"give a log CSV, a manifest with times, or use files that record them")
    order = np.argsort(tt, kind="stable")
    members = [members[i] for i in order]
    tt = tt[order]
    # common axis
    x0 = members[0][1]
    same_axis = all(len(mem[1]) == len(x0) and np.allclose(mem[1], x0, rtol=0, atol=1e-9 + 1e-7 * np.ptp(x0))
                    for mem in members)
    if same_axis:
        x = x0
        Y = np.vstack([mem[2] for mem in members])
        E = np.vstack([mem[3] for mem in members]) if all(mem[3] is not None for mem in members) else None
        YI = np.vstack([mem[7] for mem in members]) if all(mem[7] is not None for mem in members) else None
    else:
        lo = max(min(mem[1].min(), mem[1].max()) for mem in members)
        hi = min(max(mem[1].min(), mem[1].max()) for mem in members)
        if not hi > lo:
            raise SeriesError("the members' x ranges do not overlap")
        keep = (x0 >= lo) & (x0 <= hi)
        x = x0[keep]
        Y, E = [], []
        for mem in members:
            o = np.argsort(mem[1])
            Y.append(np.interp(x, mem[1][o], mem[2][o]))
            E.append(np.interp(x, mem[1][o], mem[3][o]) if mem[3] is not None else None)
        Y = np.vstack(Y)
        E = np.vstack(E) if all(e is not None for e in E) else None
        YI = None
        warnings.append(f"members have different x axes: interpolated onto the first one's grid over the common "
                        f"range {lo:.4g}–{hi:.4g}")
    wl = {m.extra.get("wavelength_m") for m in meas if m.extra.get("wavelength_m")}
    if len(wl) > 1:
        warnings.append(f"members state different wavelengths ({', '.join(f'{w * 1e10:.6f} Å' for w in sorted(wl))}): "
                        f"the first is used")
    return Series(kind, np.asarray(x, float), np.asarray(Y, float), tt, t0, None if E is None else np.asarray(E, float),
                  [mem[0] for mem in members], meas[0].extra.get("wavelength_m"), source, warnings,
                  [mem[6] for mem in members], extra={"spectrum_source": sorted({str(m.extra.get("spectrum_source"))
                                                                                   for m in meas})},
                  y_imag=YI)


def read_series(inputs, *, times: dict | None = None, log=None, allow_index_time: bool = False,
                offset_s: float = 0.0) -> Series:
    """Read files / a folder / a multi-row file into a :class:`Series` (see the module docstring)."""
    from .detect import read

    paths = _expand(inputs)
    if not paths:
        raise SeriesError(f"{inputs}: no files")
    meas, names, skipped = [], [], []
    for p in paths:
        try:
            m = read(p)
        except SselabError as exc:
            if len(paths) == 1:
                raise
            skipped.append(f"{p.name} ({exc})")
            continue
        if m.technique not in ("XRD", "NMR"):
            skipped.append(f"{p.name} (a {m.technique} file)")
            continue
        meas.append(m)
        names.append(p.name)
    if not meas:
        raise SeriesError(f"no XRD pattern or NMR spectrum among {len(paths)} file(s): {'; '.join(skipped[:3])}")
    s = series_from_measurements(meas, names, times=times, log=log, allow_index_time=allow_index_time)
    if skipped:
        s.warnings.insert(0, f"{len(skipped)} file(s) in the folder are not patterns/spectra and were not used: "
                             + "; ".join(skipped[:5]) + (" …" if len(skipped) > 5 else ""))
    return s.shifted(offset_s) if offset_s else s


# ---------------------------------------------------------------------------------------------------------------
# operando manifest
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class OperandoInputs:
    """What an operando manifest names: electrochemistry file + offset, XRD and NMR series specs."""

    electrochem: Path | None = None
    electrochem_offset_s: float = 0.0
    electrochem_start: datetime | None = None
    xrd: dict | None = None          # {"files": [...], "log": path|None, "times": {...}|None, "offset_s": float}
    nmr: dict | None = None
    root: Path | None = None


def read_operando_manifest(path) -> OperandoInputs:
    """Read an operando manifest (YAML)::

        electrochem: {file: echem/cell.mpt, offset_s: 0, start_time: "2025-07-02T19:00:00"}
        xrd: {files: xrd/, log: xrd/log.csv, offset_s: 0}
        nmr: {files: nmr/1, start_time: "2025-07-02T19:00:00", row_period_s: 62.5, offset_s: 0}

    Paths are relative to the manifest.  ``offset_s`` is added to that clock (e.g. the diffractometer's clock runs
    20 s behind the potentiostat's: ``xrd: {offset_s: 20}``).  ``start_time`` overrides a file's own start; for NMR
    ``row_period_s`` sets row k's time to start + k·period.  Unknown keys are errors."""
    import yaml

    from ..errors import ManifestError

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(doc, dict):
        raise ManifestError(f"{path}: the manifest must be a mapping")
    allowed = {"electrochem", "xrd", "nmr", "description"}
    bad = set(doc) - allowed
    if bad:
        raise ManifestError(f"{path}: unknown key(s) {', '.join(sorted(bad))} (known: {', '.join(sorted(allowed))})")
    root = path.parent
    out = OperandoInputs(root=root)

    def rel(p):
        return (root / p) if not Path(p).is_absolute() else Path(p)

    ec = doc.get("electrochem")
    if ec is not None:
        if isinstance(ec, str):
            ec = {"file": ec}
        bad = set(ec) - {"file", "offset_s", "start_time"}
        if bad or "file" not in ec:
            raise ManifestError(f"{path}: electrochem needs 'file' (optional offset_s, start_time); bad keys {sorted(bad)}")
        out.electrochem = rel(ec["file"])
        out.electrochem_offset_s = float(ec.get("offset_s", 0.0))
        st = _parse_time(ec.get("start_time")) if ec.get("start_time") is not None else None
        out.electrochem_start = st if isinstance(st, datetime) else None
    for kind in ("xrd", "nmr"):
        spec = doc.get(kind)
        if spec is None:
            continue
        if isinstance(spec, (str, list)):
            spec = {"files": spec}
        bad = set(spec) - {"files", "log", "times", "offset_s", "start_time", "row_period_s", "wavelength"}
        if bad or "files" not in spec:
            raise ManifestError(f"{path}: {kind} needs 'files' (optional log, times, offset_s, start_time, "
                                f"row_period_s, wavelength); bad keys {sorted(bad)}")
        files = spec["files"] if isinstance(spec["files"], list) else [spec["files"]]
        d = {"files": [rel(f) for f in files], "log": rel(spec["log"]) if spec.get("log") else None,
             "times": spec.get("times"), "offset_s": float(spec.get("offset_s", 0.0)),
             "start_time": spec.get("start_time"), "row_period_s": spec.get("row_period_s"),
             "wavelength": spec.get("wavelength")}
        setattr(out, kind, d)
    return out


def read_series_spec(spec: dict) -> Series:
    """A :class:`Series` from one manifest section (``OperandoInputs.xrd`` / ``.nmr``)."""
    times = spec.get("times")
    if spec.get("start_time") is not None or spec.get("row_period_s") is not None:
        s = read_series(spec["files"], allow_index_time=True)
        start = _parse_time(spec.get("start_time")) if spec.get("start_time") is not None else s.t0
        if spec.get("row_period_s") is not None:
            tt = np.arange(len(s)) * float(spec["row_period_s"])
            src = f"manifest (row_period_s = {spec['row_period_s']})"
        else:
            tt = s.time_s
            src = s.time_source
        if not isinstance(start, datetime):
            raise SeriesError("manifest: start_time must be a date-time")
        s.t0, s.time_s, s.time_source = start, np.asarray(tt, float), src
        s.warnings = [w for w in s.warnings if "no acquisition times" not in w and "row times estimated" not in w]
    else:
        s = read_series(spec["files"], times=times, log=spec.get("log"))
    return s.shifted(spec.get("offset_s", 0.0)) if spec.get("offset_s") else s
