"""Powder X-ray diffraction patterns (1-D) → :class:`Measurement` with technique ``"XRD"``.

Canonical columns (docs/CONVENTIONS.md, "Structure data"): ``two_theta_deg`` (the name carries the unit: 2θ in
degrees is how every instrument and paper states it), ``intensity`` (counts or counts/s as the file holds them),
``intensity_err`` (one standard deviation, when the file gives it), ``q_per_m`` (only when the file's axis is Q and
no wavelength is known), and ``row`` (0, 1, … for files holding several ranges/scans).  Metadata in ``extra``:
``wavelength_m`` (Kα1 or the monochromatic wavelength), ``wavelength2_m`` and ``ka2_ratio`` (laboratory Kα2, when
the file states it and the beam was not monochromated to Kα1), ``anode``, ``header`` (the file's own key/values),
``row_start_times`` (ISO strings per row, when the file has them).

Formats (detected by content; the extension only breaks ties):

* ``xrd-xy``: two/three-column text (.xy, .xye, .dat, .chi, .csv, .txt) with or without a header — pyFAI/Dioptas
  (``# Wavelength: … m``), APS 11-BM (``# Calibrated wavelength = …`` Å), DIFFRAC.EVA (quoted first line), Fit2D
  .chi (title, axis label, point count), CSV with a ``2theta``/``theta``/``q`` header;
* ``xrd-xrdml`` (PANalytical XML), ``xrd-brml`` (Bruker DIFFRAC.V5 zip of XML), ``xrd-rasx`` (Rigaku SmartLab zip);
* ``xrd-bruker-raw`` (Siemens/Bruker DIFFRAC RAW v1 ``RAW ``, v2 ``RAW2``, v3 ``RAW1.01``, v4 ``RAW4.00``; layout
  from the DIFFRAC^plus XCH manual, Appendix A, as summarised in xylib's format notes);
* ``xrd-uxd`` (Bruker UXD text), ``xrd-rigaku-dat`` (Rigaku ``*START``/``*STEP`` text), ``xrd-gsas`` (GSAS
  raw/.gsa/.fxye/.XRA: ``BANK`` lines with CONST or RALF binning; STD, ESD, ALT and FXYE records).
"""
from __future__ import annotations

import re
import struct
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import decode, read_text, reader_error
from .base import Measurement

__all__ = ["read_xy", "read_xrdml", "read_brml", "read_rasx", "read_bruker_raw", "read_uxd", "read_rigaku_dat",
           "read_gsas", "sniff", "ANODES", "XY_EXTENSIONS"]

#: Kα1, Kα2 (m) of common anodes (Hölzer et al., Phys. Rev. A 56 (1997) 4554; Cu Kα1 1.540598 Å as PANalytical/NIST)
ANODES: dict[str, tuple[float, float]] = {
    "Cu": (1.540598e-10, 1.544426e-10),
    "Mo": (0.709317e-10, 0.713607e-10),
    "Co": (1.789010e-10, 1.792900e-10),
    "Fe": (1.936042e-10, 1.939980e-10),
    "Cr": (2.289760e-10, 2.293663e-10),
    "Ag": (0.559421e-10, 0.563813e-10),
}

XY_EXTENSIONS = (".xy", ".xye", ".chi", ".dat", ".csv", ".txt", ".asc", ".x_y")
_MAX_ZIP_MEMBER = 512 * 1024 * 1024          # refuse zip members that would unpack beyond this
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?"
_NUM_RE = re.compile(rf"^{_NUM}$")


def _meas(path, x, y, err=None, *, fmt, extra, warnings=(), row=None, start_time=None, instrument=None,
          x_is_q=False) -> Measurement:
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    cols = {"q_per_m" if x_is_q else "two_theta_deg": x, "intensity": y}
    if err is not None:
        cols["intensity_err"] = np.asarray(err, float)
    if row is not None:
        cols["row"] = np.asarray(row, int)
    df = pd.DataFrame(cols)
    extra = {k: v for k, v in extra.items() if v is not None}
    return Measurement(df, source=Path(path), format=fmt, technique="XRD", instrument=instrument,
                       start_time=start_time, warnings=list(warnings), extra=extra)


def _wl_extra(extra: dict, anode=None, ka1=None, ka2=None, ratio=None, mono_ka1=False):
    """Fill wavelength keys (metres) from an anode name and/or stated wavelengths (Å)."""
    if anode:
        anode = str(anode).strip().strip("'\"").capitalize()
        extra["anode"] = anode
    if ka1:
        extra["wavelength_m"] = float(ka1) * 1e-10
    elif anode in ANODES:
        extra["wavelength_m"] = ANODES[anode][0]
        extra["wavelength_source"] = f"anode {anode} (Kα1, tabulated)"
    if not mono_ka1:
        if ka2 and ratio is not None and float(ratio) > 0 and ka1 and abs(float(ka2) - float(ka1)) > 1e-6:
            extra["wavelength2_m"] = float(ka2) * 1e-10
            extra["ka2_ratio"] = float(ratio)
    return extra


def _iso(text) -> datetime | None:
    if not text:
        return None
    t = str(text).strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                "%d-%b-%Y %H:%M:%S", "%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S"):
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            pass
    try:
        t2 = re.sub(r"(\.\d{6})\d+", r"\1", t).replace("Z", "+00:00")
        return datetime.fromisoformat(t2)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# sniffing
# ---------------------------------------------------------------------------------------------------------------

def sniff(head: bytes, path: Path) -> str | None:
    """The XRD format of a file from its first bytes (and its name), or None."""
    h = head.lstrip(b"\xef\xbb\xbf")
    if h.startswith(b"RAW1.01") or h.startswith(b"RAW4.00") or h.startswith(b"RAW2") or (
            h.startswith(b"RAW ") and path.suffix.lower() == ".raw"):
        return "xrd-bruker-raw"
    if h.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError):
            return None
        if any(re.match(r"Experiment\d+/RawData\d+\.xml$", n) for n in names):
            return "xrd-brml"
        if any(re.match(r"Data\d+/Profile\d+\.txt$", n) for n in names):
            return "xrd-rasx"
        return None
    if b"\x00" in h[:4096]:
        return None
    text = decode(h[:16384])
    if "<xrdMeasurements" in text[:4000] or "XRDMeasurement" in text[:4000]:
        return "xrd-xrdml"
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    nonblank = [ln for ln in lines if ln]
    if not nonblank:
        return None
    if any(ln.upper().startswith("_FILEVERSION") or ln.upper().startswith("_2THETACOUNTS")
           or ln.upper().startswith("_COUNTS") for ln in nonblank[:400]):
        return "xrd-uxd"
    if any(ln.upper().startswith("*START") for ln in nonblank[:400]) and any(
            ln.upper().startswith(("*STEP", "*COUNT", "*TYPE", "*GROUP")) for ln in nonblank[:400]):
        return "xrd-rigaku-dat"
    if len(nonblank) > 1 and any(re.match(r"^BANK\s+\d+\s+\d+\s+\d+\s+(CONST|RALF|SLOG|TIME_MAP)", ln)
                                 for ln in nonblank[:6]):
        return "xrd-gsas"
    if _looks_like_pattern_text(lines, path):
        return "xrd-xy"
    return None


_XHEAD = re.compile(r"(2[\s_-]?th|two[\s_-]?theta|2[\s_-]?theta|^theta|angle|q[\s_(\[]*(nm|a|å)|^q$|°2θ|2θ)", re.I)


def _looks_like_pattern_text(lines: list[str], path: Path) -> bool:
    """A numeric 2–3-column table that is evidently a diffraction pattern: an XRD extension, an XRD header
    (pyFAI, 2θ column name, EVA) or — without either — an evenly stepped x axis in 0–180° with ≥ 200 points and a
    third column ≈ √I (counting statistics)."""
    ext = path.suffix.lower()
    head_text = "\n".join(lines[:40]).lower()
    xrd_header = ("2th_deg" in head_text or "pyfai" in head_text or "wavelength" in head_text
                  or "2theta" in head_text or "2-theta" in head_text or "diffrac" in head_text
                  or "two_theta" in head_text or "theta,intensity" in head_text)
    rows = [r for r in _numeric_rows(lines[:400]) if len(r) > 1]      # a lone number is a point count (Fit2D)
    if len(rows) < 5:
        return False
    widths = {len(r) for r in rows}
    if not widths <= {2, 3, 4}:
        return False
    if ext in (".xy", ".xye", ".chi", ".x_y") or xrd_header:
        return True
    if ext not in (".dat", ".csv", ".txt", ".asc", ""):
        return False
    x = np.array([r[0] for r in rows])
    if len(rows) < 200 or not (np.all(np.isfinite(x)) and x.min() >= -10 and x.max() <= 180):
        return False
    dx = np.diff(x)
    if not (np.all(dx > 0) and np.ptp(dx) <= 0.05 * np.median(dx) + 2e-3):
        return False
    if len(rows[0]) >= 3:
        y = np.array([r[1] for r in rows if len(r) >= 3])
        e = np.array([r[2] for r in rows if len(r) >= 3])
        ok = (y > 25) & (e > 0)
        # counting statistics: σ ≈ √I up to a scale (monitor normalisation)
        if ok.sum() > 50:
            ratio = e[ok] / np.sqrt(y[ok])
            return bool(np.std(ratio) < 0.2 * np.mean(ratio))
    return False


def _numeric_rows(lines) -> list[list[float]]:
    out = []
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        toks = [t for t in re.split(r"[\s,;]+", s) if t]
        if toks and all(_NUM_RE.match(t) for t in toks):
            out.append([float(t.replace("D", "E").replace("d", "e")) for t in toks])
    return out


# ---------------------------------------------------------------------------------------------------------------
# text xy / xye / chi / csv
# ---------------------------------------------------------------------------------------------------------------

def read_xy(path) -> Measurement:
    """Two/three-column text pattern (2θ, I[, σ]) with an optional header (see the module docstring)."""
    path = Path(path)
    text = read_text(path)
    lines = text.split("\n")
    warnings: list[str] = []
    extra: dict = {}
    data_start = None
    rows: list[list[float]] = []
    header_lines: list[str] = []
    bad_after = 0
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s:
            continue
        toks = [t for t in re.split(r"[\s,;]+", s) if t]
        numeric = bool(toks) and all(_NUM_RE.match(t) for t in toks)
        if numeric and len(toks) >= 2:
            if data_start is None:
                data_start = i
            rows.append([float(t.replace("D", "E").replace("d", "e")) for t in toks[:3]])
        elif data_start is None:
            header_lines.append(s)
        elif s.startswith(("#", "!", "/*", "*/")):
            continue
        else:
            bad_after += 1
            if bad_after <= 3:
                warnings.append(f"line {i + 1}: not a data row, skipped: {s[:60]!r}")
    if not rows:
        raise reader_error(path, "no two-column numeric data found")
    width = min(len(r) for r in rows)
    if any(len(r) != len(rows[0]) for r in rows):
        warnings.append(f"rows have {sorted({len(r) for r in rows})} columns; the first {width} used")
    arr = np.array([r[:width] for r in rows], float)
    header = "\n".join(header_lines)
    # Fit2D .chi: title, axis label, (blank), point count
    count = None
    for h in header_lines[-2:]:
        if re.fullmatch(r"\d+", h):
            count = int(h)
    if count is not None and count != len(arr):
        warnings.append(f"header announces {count} points, the file holds {len(arr)}")
    # column meaning from a header line with names
    x_is_q = False
    names_line = next((h for h in reversed(header_lines)
                       if re.search(r"(2th|theta|angle|q_|q\b|intens|counts|\bi\b)", h, re.I)), "")
    if re.search(r"\bq[\s_]*[\(\[]?\s*(nm|a|å)", names_line, re.I) or re.match(r"^#?\s*q\b", names_line, re.I):
        x_is_q = True
        unit = "nm" if re.search(r"nm", names_line, re.I) else "A"
        arr[:, 0] *= 1e9 if unit == "nm" else 1e10
    elif re.match(r"^#?\s*['\"]?theta\b", names_line, re.I) or re.search(r"(^|[,\s])theta\s*,", names_line, re.I):
        warnings.append("x column is named 'theta': read as 2θ (powder patterns are stepped in 2θ) — check it")
    # wavelength in the header
    m = re.search(r"wavelength\s*[:=]\s*(" + _NUM + r")\s*(m|a|å|angstrom|nm)?", header, re.I)
    if m:
        val = float(m.group(1))
        unit = (m.group(2) or "").lower()
        if unit == "m" or (not unit and val < 1e-6):
            wl = val
        elif unit == "nm":
            wl = val * 1e-9
        else:
            wl = val * 1e-10
        extra["wavelength_m"] = wl
        extra["wavelength_source"] = "file header"
    am = re.search(r"anode\s*[:=]?\s*['\"]?([A-Z][a-z]?)['\"]?", header)
    if am and am.group(1) in ANODES:
        extra["anode"] = am.group(1)
    if x_is_q and extra.get("wavelength_m"):
        lam = extra["wavelength_m"]
        with np.errstate(invalid="ignore"):
            tt = 2.0 * np.degrees(np.arcsin(arr[:, 0] * lam / (4.0 * np.pi)))
        arr[:, 0] = tt
        x_is_q = False
    x = arr[:, 0]
    if len(x) > 1 and np.any(np.diff(x) < 0):
        if np.all(np.diff(x) <= 0):
            arr = arr[::-1]
        else:
            warnings.append("x values are not monotonic: rows sorted by x")
            arr = arr[np.argsort(arr[:, 0], kind="stable")]
    err = arr[:, 2] if width >= 3 else None
    if err is not None and np.any(err < 0):
        warnings.append("third column has negative values: not read as uncertainties")
        err = None
    if header.strip():
        extra["header"] = header[:4000]
    return _meas(path, arr[:, 0], arr[:, 1], err, fmt="xrd-xy", extra=extra, warnings=warnings, x_is_q=x_is_q)


# ---------------------------------------------------------------------------------------------------------------
# PANalytical XRDML
# ---------------------------------------------------------------------------------------------------------------

def _xml_root(data: bytes, path):
    import xml.etree.ElementTree as ET

    if b"<!ENTITY" in data[:65536] or b"<!DOCTYPE" in data[:65536]:
        raise reader_error(path, "XML with a DOCTYPE/ENTITY declaration refused (not written by an instrument)")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise reader_error(path, f"malformed XML ({exc})") from None


def _strip_ns(root):
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def read_xrdml(path) -> Measurement:
    """PANalytical XRDML (1.x–2.x): every ``scan`` becomes a row; 2θ from start/end or a list of positions."""
    path = Path(path)
    root = _strip_ns(_xml_root(Path(path).read_bytes(), path))
    warnings: list[str] = []
    extra: dict = {}
    xs, ys, es, rows, starts = [], [], [], [], []
    first_start = None
    for meas in root.iter("xrdMeasurement"):
        wl = meas.find("usedWavelength")
        if wl is not None and "wavelength_m" not in extra:
            intended = (wl.get("intended") or "").replace(" ", "").lower()
            g = lambda tag: (wl.findtext(tag) or "").strip() or None  # noqa: E731
            tube = meas.find(".//xRayTube")
            anode = tube.findtext("anodeMaterial") if tube is not None else None
            _wl_extra(extra, anode, g("kAlpha1"), g("kAlpha2"), g("ratioKAlpha2KAlpha1"),
                      mono_ka1=intended in ("k-alpha1", "kalpha1"))
        for k, scan in enumerate(meas.iter("scan")):
            dp = scan.find("dataPoints")
            if dp is None:
                continue
            tt = None
            for pos in dp.findall("positions"):
                if (pos.get("axis") or "").lower() in ("2theta", "2-theta"):
                    tt = pos
            inten = dp.find("intensities")
            if inten is None:
                inten = dp.find("counts")
            if tt is None or inten is None or not (inten.text or "").strip():
                warnings.append(f"scan {k}: no 2Theta axis or no intensities, skipped")
                continue
            y = np.array(inten.text.split(), float)
            if tt.find("listPositions") is not None:
                x = np.array(tt.findtext("listPositions").split(), float)
            else:
                x0 = float(tt.findtext("startPosition"))
                x1 = float(tt.findtext("endPosition"))
                x = np.linspace(x0, x1, len(y)) if len(y) > 1 else np.array([x0])
            if len(x) != len(y):
                raise reader_error(path, f"scan {k}: {len(x)} positions but {len(y)} intensities")
            ts = scan.findtext(".//startTimeStamp")
            st = _iso(ts)
            if first_start is None:
                first_start = st
            starts.append(st.isoformat() if st else None)
            ct = dp.findtext("commonCountingTime")
            if ct:
                extra.setdefault("counting_time_s", float(ct))
            xs.append(x)
            ys.append(y)
            es.append(np.sqrt(np.clip(y, 0, None)) if inten.get("unit", "counts") == "counts" else np.full(len(y), np.nan))
            rows.append(np.full(len(y), len(rows)))
    if not xs:
        raise reader_error(path, "no 2θ scan with intensities in this XRDML file")
    extra["row_start_times"] = starts
    err = np.concatenate(es)
    return _meas(path, np.concatenate(xs), np.concatenate(ys), None if np.isnan(err).all() else err,
                 fmt="xrd-xrdml", extra=extra, warnings=warnings, row=np.concatenate(rows) if len(xs) > 1 else None,
                 start_time=first_start, instrument="PANalytical")


# ---------------------------------------------------------------------------------------------------------------
# zip containers: Bruker .brml, Rigaku .rasx
# ---------------------------------------------------------------------------------------------------------------

def _zip_member(z: zipfile.ZipFile, name: str, path) -> bytes:
    info = z.getinfo(name)
    if info.file_size > _MAX_ZIP_MEMBER or (info.compress_size and info.file_size / info.compress_size > 1000):
        raise reader_error(path, f"zip member {name} would unpack to {info.file_size} bytes: refused")
    return z.read(name)


def read_brml(path) -> Measurement:
    """Bruker DIFFRAC.V5 ``.brml`` (a zip of XML): each ``Experiment*/RawData*.xml`` becomes a row."""
    path = Path(path)
    extra: dict = {}
    warnings: list[str] = []
    xs, ys, rows, starts = [], [], [], []
    with zipfile.ZipFile(path) as z:
        names = sorted((n for n in z.namelist() if re.match(r"Experiment\d+/RawData\d+\.xml$", n)),
                       key=lambda n: [int(v) for v in re.findall(r"\d+", n)])
        for name in names:
            root = _strip_ns(_xml_root(_zip_member(z, name, path), path))
            if "wavelength_m" not in extra:
                def wv(tag):
                    el = root.find(f".//{tag}")
                    return el.get("Value") if el is not None else None
                anode = root.find(".//Tube/TubeMaterial")
                _wl_extra(extra, anode.text if anode is not None else None, wv("WaveLengthAlpha1"),
                          wv("WaveLengthAlpha2"), wv("WaveLengthRatio"))
            for route in root.iter("DataRoute"):
                axes = [a.get("AxisId") or a.get("AxisName") for a in route.iter("ScanAxisInfo")]
                data = [d.text for d in route.iter("Datum") if d.text]
                if not data:
                    continue
                arr = np.array([[float(v) for v in d.split(",")] for d in data])
                try:
                    ix = 2 + [a.lower() for a in axes].index("twotheta")
                except ValueError:
                    warnings.append(f"{name}: no TwoTheta scan axis (axes {axes}); skipped")
                    continue
                if arr.shape[1] < 3 + len(axes) - 1:
                    raise reader_error(path, f"{name}: Datum rows have {arr.shape[1]} values, expected ≥ {len(axes) + 3}")
                xs.append(arr[:, ix])
                ys.append(arr[:, -1])
                rows.append(np.full(len(arr), len(rows)))
                st = _iso(root.findtext("TimeStampStarted"))
                starts.append(st.isoformat() if st else None)
    if not xs:
        raise reader_error(path, "no measured 2θ data in this .brml file")
    extra["row_start_times"] = starts
    y = np.concatenate(ys)
    st0 = _iso(starts[0]) if starts and starts[0] else None
    return _meas(path, np.concatenate(xs), y, np.sqrt(np.clip(y, 0, None)), fmt="xrd-brml", extra=extra,
                 warnings=warnings, row=np.concatenate(rows) if len(xs) > 1 else None, start_time=st0,
                 instrument="Bruker")


def read_rasx(path) -> Measurement:
    """Rigaku SmartLab ``.rasx`` (zip): ``Data*/Profile*.txt`` (2θ, counts, attenuator factor) → rows;
    intensity = counts × factor; wavelengths from ``MesurementConditions*.xml``."""
    path = Path(path)
    extra: dict = {}
    warnings: list[str] = []
    xs, ys, es, rows, starts = [], [], [], [], []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        profiles = sorted((n for n in names if re.match(r"Data\d+/Profile\d+\.txt$", n)),
                          key=lambda n: [int(v) for v in re.findall(r"\d+", n)])
        for name in profiles:
            arr = np.array(_numeric_rows(decode(_zip_member(z, name, path)).splitlines()), dtype=object)
            if not len(arr):
                continue
            arr = np.array([list(r) for r in arr], dtype=float)
            factor = arr[:, 2] if arr.shape[1] >= 3 else np.ones(len(arr))
            counts = arr[:, 1]
            xs.append(arr[:, 0])
            ys.append(counts * factor)
            es.append(np.sqrt(np.clip(counts, 0, None)) * factor)
            rows.append(np.full(len(arr), len(rows)))
            cond = re.sub(r"Profile(\d+)\.txt$", r"MesurementConditions\1.xml", name)
            st = None
            if cond in names:
                root = _strip_ns(_xml_root(_zip_member(z, cond, path), path))
                if "wavelength_m" not in extra:
                    _wl_extra(extra, root.findtext(".//TargetName"), root.findtext(".//WavelengthKalpha1"),
                              root.findtext(".//WavelengthKalpha2"), 0.5 if root.findtext(".//WavelengthKalpha2") else None)
                    extra["ka2_ratio_source"] = "assumed 0.5 (not in the file)" if "ka2_ratio" in extra else None
                    axis = root.findtext(".//AxisName")
                    if axis and "theta" not in axis.lower():
                        warnings.append(f"{name}: scan axis {axis!r}, read as 2θ")
                st = _iso(root.findtext(".//StartTime"))
            starts.append(st.isoformat() if st else None)
    if not xs:
        raise reader_error(path, "no Profile data in this .rasx file")
    extra["row_start_times"] = starts
    st0 = _iso(starts[0]) if starts[0] else None
    return _meas(path, np.concatenate(xs), np.concatenate(ys), np.concatenate(es), fmt="xrd-rasx", extra=extra,
                 warnings=warnings, row=np.concatenate(rows) if len(xs) > 1 else None, start_time=st0,
                 instrument="Rigaku")


# ---------------------------------------------------------------------------------------------------------------
# Bruker/Siemens DIFFRAC RAW (binary)
# ---------------------------------------------------------------------------------------------------------------

class _Buf:
    def __init__(self, data: bytes, path):
        self.d = data
        self.path = path

    def need(self, off, n):
        if off < 0 or off + n > len(self.d):
            raise reader_error(self.path, f"file ends early (truncated RAW: needs byte {off + n}, has {len(self.d)})")

    def u32(self, off):
        self.need(off, 4)
        return struct.unpack_from("<I", self.d, off)[0]

    def f32(self, off):
        self.need(off, 4)
        return struct.unpack_from("<f", self.d, off)[0]

    def f64(self, off):
        self.need(off, 8)
        return struct.unpack_from("<d", self.d, off)[0]

    def s(self, off, n):
        self.need(off, n)
        return self.d[off:off + n].split(b"\x00", 1)[0].decode("latin-1").strip()

    def f32s(self, off, n):
        self.need(off, 4 * n)
        return np.frombuffer(self.d, "<f4", count=n, offset=off).astype(float)


def read_bruker_raw(path) -> Measurement:
    """Siemens/Bruker DIFFRAC RAW, versions 1 (``RAW ``), 2 (``RAW2``), 3 (``RAW1.01``) and 4 (``RAW4.00``).
    Each range becomes a row; only coupled 2θ/θ ranges are read in v4 (others are skipped with a warning)."""
    path = Path(path)
    data = path.read_bytes()
    b = _Buf(data, path)
    if data.startswith(b"RAW1.01"):
        return _raw_v3(b, path)
    if data.startswith(b"RAW4.00"):
        return _raw_v4(b, path)
    if data.startswith(b"RAW2"):
        return _raw_v2(b, path)
    if data.startswith(b"RAW "):
        return _raw_v1(b, path)
    raise reader_error(path, "not a Bruker RAW file (no RAW signature)")


def _raw_finish(path, ranges, extra, warnings, version, start=None):
    if not ranges:
        raise reader_error(path, f"RAW v{version}: no readable range")
    xs = [r[0] for r in ranges]
    ys = [r[1] for r in ranges]
    rows = [np.full(len(r[0]), i) for i, r in enumerate(ranges)]
    extra["raw_version"] = version
    y = np.concatenate(ys)
    return _meas(path, np.concatenate(xs), y, np.sqrt(np.clip(y, 0, None)), fmt="xrd-bruker-raw", extra=extra,
                 warnings=warnings, row=np.concatenate(rows) if len(ranges) > 1 else None, start_time=start,
                 instrument="Bruker")


def _raw_v3(b: _Buf, path) -> Measurement:
    """RAW1.01: 712-byte file header, then per range a 304-byte header (+ supplementary) and float32 counts."""
    extra: dict = {}
    warnings: list[str] = []
    status = {1: "done", 2: "active", 3: "aborted", 4: "interrupted"}.get(b.u32(8))
    n_ranges = b.u32(12)
    if not 0 < n_ranges < 10000:
        raise reader_error(path, f"RAW1.01: implausible range count {n_ranges}")
    date, time_ = b.s(16, 10), b.s(26, 10)
    extra["header"] = {"sample": b.s(326, 60), "comment": b.s(386, 160), "user": b.s(36, 72), "status": status}
    anode = b.s(608, 4)
    ka1, ka2, ratio = b.f64(624), b.f64(632), b.f64(648)
    _wl_extra(extra, anode or None, ka1 if ka1 > 0 else None, ka2 if ka2 > 0 else None, ratio)
    if status in ("aborted", "interrupted", "active"):
        warnings.append(f"the file says the measurement was {status}")
    off = 712
    ranges = []
    for k in range(n_ranges):
        hl = b.u32(off)
        if hl != 304:
            raise reader_error(path, f"RAW1.01 range {k}: header length {hl} (expected 304)")
        steps = b.u32(off + 4)
        start_2t = b.f64(off + 16)
        step = b.f64(off + 176)
        used_lambda = b.f64(off + 240)
        supp = b.u32(off + 256)
        off += hl + supp
        y = b.f32s(off, steps)
        off += 4 * steps
        ranges.append((start_2t + step * np.arange(steps), y))
        if k == 0 and used_lambda > 0 and "wavelength_m" not in extra:
            extra["wavelength_m"] = used_lambda * 1e-10
    return _raw_finish(path, ranges, extra, warnings, "3 (RAW1.01)", _iso(f"{date} {time_}"))


def _raw_v4(b: _Buf, path) -> Measurement:
    """RAW4.00: 61-byte header, typed metadata segments, then ranges (type 0/160) with typed sub-headers."""
    extra: dict = {}
    warnings: list[str] = []
    date, time_ = b.s(12, 12), b.s(24, 10)
    off = 61
    meta: dict = {}
    while True:
        seg = b.u32(off)
        if seg in (0, 160):
            break
        ln = b.u32(off + 4)
        if ln < 8:
            raise reader_error(path, f"RAW4 segment at byte {off}: length {ln}")
        if seg == 10 and ln >= 36:
            meta[b.s(off + 12, 24)] = b.s(off + 36, ln - 36)
        elif seg == 30 and ln >= 120:
            ka1, ka2, ratio = b.f64(off + 80), b.f64(off + 88), b.f64(off + 104)
            _wl_extra(extra, b.s(off + 116, 4) or None, ka1 if ka1 > 0 else None, ka2 if ka2 > 0 else None, ratio)
        off += ln
    extra["header"] = meta
    ranges = []
    k = 0
    while off < len(b.d):
        seg = b.u32(off)
        if seg not in (0, 160):
            raise reader_error(path, f"RAW4: unexpected segment type {seg} at byte {off}")
        scan_type = b.s(off + 32, 24)
        start = b.f64(off + 72)
        step = b.f64(off + 80)
        steps = b.u32(off + 88)
        used_lambda = b.f64(off + 112)
        datum = b.u32(off + 136)
        hdr = b.u32(off + 140)
        off += 160 + hdr
        if datum != 4:
            raise reader_error(path, f"RAW4 range {k}: {datum}-byte data points (only 4-byte floats known)")
        if scan_type in ("Locked Coupled", "Unlocked Coupled", "Coupled TwoTheta/Theta", "TwoTheta"):
            ranges.append((start + step * np.arange(steps), b.f32s(off, steps)))
            if used_lambda > 0 and "wavelength_m" not in extra:
                extra["wavelength_m"] = used_lambda * 1e-10
        else:
            warnings.append(f"range {k}: scan type {scan_type!r} is not a coupled 2θ/θ scan; skipped")
        b.need(off, 4 * steps)
        off += 4 * steps
        k += 1
    return _raw_finish(path, ranges, extra, warnings, "4 (RAW4.00)", _iso(f"{date} {time_}"))


def _raw_v1(b: _Buf, path) -> Measurement:
    extra: dict = {}
    ranges = []
    off = 4
    follow = 1
    while follow:
        steps = b.u32(off)
        if ranges and b.d[off:off + 4] == b"RAW ":
            off += 4
            steps = b.u32(off)
        step = b.f32(off + 8)
        start = b.f32(off + 20)
        if not ranges:
            ka1, ka2 = b.f32(off + 68), b.f32(off + 72)
            _wl_extra(extra, None, ka1 if ka1 > 0 else None, ka2 if ka2 > 0 else None, None)
        follow = b.u32(off + 148)
        off += 152
        ranges.append((start + step * np.arange(steps), b.f32s(off, steps)))
        off += 4 * steps
        if len(ranges) > 10000:
            raise reader_error(path, "RAW v1: implausible number of ranges")
    return _raw_finish(path, ranges, extra, [], "1 (RAW)")


def _raw_v2(b: _Buf, path) -> Measurement:
    extra: dict = {}
    n = struct.unpack_from("<H", b.d, 4)[0] if len(b.d) >= 6 else 0
    anode = b.s(188, 2)
    _wl_extra(extra, anode or None, b.f32(190) or None, b.f32(194) or None, b.f32(198))
    off = 256
    ranges = []
    for _ in range(n):
        b.need(off, 48)
        hl, steps = struct.unpack_from("<HH", b.d, off)
        step, start = b.f32(off + 12), b.f32(off + 16)
        off += hl
        ranges.append((start + step * np.arange(steps), b.f32s(off, steps)))
        off += 4 * steps
    return _raw_finish(path, ranges, extra, [], "2 (RAW2)")


# ---------------------------------------------------------------------------------------------------------------
# Bruker UXD, Rigaku .dat, GSAS
# ---------------------------------------------------------------------------------------------------------------

def read_uxd(path) -> Measurement:
    """Bruker UXD text: ``_KEY=value`` header lines, ``;`` comments, data as ``2θ I`` pairs or one count per
    value after ``_COUNTS``/``_CPS`` (2θ from ``_START`` and ``_STEPSIZE``); each ``_DRIVE`` block is a row."""
    path = Path(path)
    lines = read_text(path).split("\n")
    header: dict = {}
    ranges: list[tuple[np.ndarray, np.ndarray]] = []
    cur: dict = {}
    vals: list[list[float]] = []
    mode = None

    def flush():
        if not vals:
            return
        if mode == "pairs":
            arr = np.array([v[:2] for v in vals])
            ranges.append((arr[:, 0], arr[:, 1]))
        else:
            y = np.array([x for v in vals for x in v])
            start = float(cur.get("_START", cur.get("_2THETA", "nan")))
            step = float(cur.get("_STEPSIZE", "nan"))
            if not (np.isfinite(start) and np.isfinite(step)):
                raise reader_error(path, "count data without _START/_STEPSIZE")
            ranges.append((start + step * np.arange(len(y)), y))
        vals.clear()

    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith(";"):
            continue
        if s.startswith("_"):
            if "=" in s:
                k, v = s.split("=", 1)
                k = k.strip().upper()
                v = v.strip().strip("'\"")
                if k in ("_DRIVE",) and vals:
                    flush()
                    cur = {}
                (cur if ranges or k in ("_START", "_STEPSIZE", "_2THETA", "_STEPTIME", "_DRIVE") else header)[k] = v
                header.setdefault(k, v)
            else:
                k = s.upper()
                if k in ("_2THETACOUNTS", "_2THETACPS"):
                    flush()
                    mode = "pairs"
                elif k in ("_COUNTS", "_CPS", "_COUNT"):
                    flush()
                    mode = "counts"
            continue
        toks = [t for t in re.split(r"[\s,]+", s) if t]
        if not all(_NUM_RE.match(t) for t in toks):
            raise reader_error(path, f"line {i + 1}: unexpected text in UXD data: {s[:50]!r}")
        if mode is None:
            mode = "pairs" if len(toks) == 2 else "counts"
        vals.append([float(t) for t in toks])
    flush()
    if not ranges:
        raise reader_error(path, "no data block in this UXD file")
    extra: dict = {"header": header}
    _wl_extra(extra, header.get("_ANODE"), header.get("_WL1"), header.get("_WL2"), header.get("_WLRATIO"))
    xs = [r[0] for r in ranges]
    y = np.concatenate([r[1] for r in ranges])
    rows = np.concatenate([np.full(len(r[0]), k) for k, r in enumerate(ranges)]) if len(ranges) > 1 else None
    return _meas(path, np.concatenate(xs), y, np.sqrt(np.clip(y, 0, None)), fmt="xrd-uxd", extra=extra, row=rows,
                 start_time=_iso(header.get("_DATEMEASURED")), instrument="Bruker")


def read_rigaku_dat(path) -> Measurement:
    """Rigaku ``.dat`` text: ``*KEY = value`` header, groups from ``*BEGIN`` to ``*END`` with ``*START``,
    ``*STEP``, ``*COUNT`` and comma-separated counts.  A group whose count differs from ``*COUNT`` is an error."""
    path = Path(path)
    lines = read_text(path).split("\n")
    header: dict = {}
    groups: list[dict] = []
    cur: dict | None = None
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("*"):
            if "=" in s:
                k, v = s[1:].split("=", 1)
                k, v = k.strip().upper(), v.strip().strip("'\"")
                if k == "GROUP" or (cur is None and k in ("START", "STEP", "COUNT")):
                    cur = {"vals": []}
                    groups.append(cur)
                (cur if cur is not None else header)[k] = v
            elif s.upper().startswith("*BEGIN"):
                cur = {"vals": []}
                groups.append(cur)
            elif s.upper().startswith("*END") or s.upper().startswith("*EOF"):
                cur = None
            continue
        if s.startswith("..."):
            continue            # an excerpt marker: the *COUNT check below reports the missing points
        toks = [t for t in re.split(r"[\s,]+", s) if t]
        if toks and all(_NUM_RE.match(t) for t in toks):
            if cur is None:
                raise reader_error(path, f"line {i + 1}: data outside a *BEGIN group")
            cur["vals"].extend(float(t) for t in toks)
        else:
            raise reader_error(path, f"line {i + 1}: not a Rigaku .dat line: {s[:50]!r}")
    groups = [g for g in groups if g["vals"]]
    if not groups:
        raise reader_error(path, "no data group")
    ranges = []
    for k, g in enumerate(groups):
        try:
            start, step = float(g["START"]), float(g["STEP"])
        except (KeyError, ValueError):
            raise reader_error(path, f"group {k}: no *START/*STEP") from None
        y = np.array(g["vals"])
        if "COUNT" in g and int(float(g["COUNT"])) != len(y):
            raise reader_error(path, f"group {k}: *COUNT says {int(float(g['COUNT']))} points, the file holds "
                                     f"{len(y)} (excerpt or truncated file)")
        ranges.append((start + step * np.arange(len(y)), y))
    extra: dict = {"header": header}
    _wl_extra(extra, header.get("TARGET") or header.get("ANODE"), header.get("WAVE_LENGTH1"), header.get("WAVE_LENGTH2"),
              header.get("WAVE_LENGTH_RATIO"))
    y = np.concatenate([r[1] for r in ranges])
    rows = np.concatenate([np.full(len(r[0]), k) for k, r in enumerate(ranges)]) if len(ranges) > 1 else None
    return _meas(path, np.concatenate([r[0] for r in ranges]), y, np.sqrt(np.clip(y, 0, None)), fmt="xrd-rigaku-dat",
                 extra=extra, row=rows, instrument="Rigaku")


def read_gsas(path) -> Measurement:
    """GSAS powder data (raw/.gsa/.fxye/.XRA): a title line, optional comments, then per ``BANK`` line its records.
    CONST binning (start and step in centidegrees); STD (10 × I2,F6 counts), ESD (5 × F8 I,σ), ALT
    (4 × F8 x, F7 I, F5 σ) and FXYE (free ``x I σ``, x in centidegrees) record types."""
    path = Path(path)
    raw_lines = read_text(path).split("\n")
    title = raw_lines[0].strip() if raw_lines else ""
    banks = []
    i = 1
    while i < len(raw_lines):
        s = raw_lines[i]
        if s.startswith("BANK"):
            toks = s.split()
            try:
                nchan = int(toks[2])
                bintyp = toks[4].upper()
            except (IndexError, ValueError):
                raise reader_error(path, f"line {i + 1}: malformed BANK line") from None
            typ = toks[-1].upper() if toks[-1].upper() in ("STD", "ESD", "ALT", "FXYE") else "STD"
            if bintyp == "CONST":
                start, step = float(toks[5]) / 100.0, float(toks[6]) / 100.0
            elif bintyp in ("RALF", "SLOG", "TIME_MAP") or typ in ("FXYE", "ALT"):
                start = step = None
            else:
                raise reader_error(path, f"line {i + 1}: BANK binning {bintyp} not supported")
            i += 1
            body = []
            while i < len(raw_lines) and not raw_lines[i].startswith("BANK"):
                body.append(raw_lines[i].rstrip("\n"))
                i += 1
            x, y, e = _gsas_body(body, typ, nchan, start, step, path)
            banks.append((x, y, e))
        else:
            i += 1
    if not banks:
        raise reader_error(path, "no BANK in this GSAS file")
    rows = np.concatenate([np.full(len(b[0]), k) for k, b in enumerate(banks)]) if len(banks) > 1 else None
    extra: dict = {"header": {"title": title}}
    m = re.search(r"\b(Cu|Mo|Co|Fe|Cr|Ag)\s*K", title)
    if m:
        extra["anode"] = m.group(1)
    return _meas(path, np.concatenate([b[0] for b in banks]), np.concatenate([b[1] for b in banks]),
                 np.concatenate([b[2] for b in banks]), fmt="xrd-gsas", extra=extra, row=rows)


def _gsas_body(lines, typ, nchan, start, step, path):
    if typ == "STD":
        vals, ncs = [], []
        for ln in lines:
            ln = ln.rstrip()
            for k in range(0, len(ln), 8):
                f = ln[k:k + 8]
                if not f.strip():
                    continue
                nc = f[:2].strip()
                ncs.append(int(nc) if nc else 1)
                vals.append(float(f[2:]))
        y = np.array(vals[:nchan])
        nc = np.maximum(np.array(ncs[:nchan]), 1)
        e = np.sqrt(np.clip(y, 0, None) / nc)
        x = start + step * np.arange(len(y))
    elif typ == "ESD":
        vals = []
        for ln in lines:
            vals.extend(float(ln[k:k + 8]) for k in range(0, len(ln.rstrip()), 8) if ln[k:k + 8].strip())
        arr = np.array(vals[: 2 * nchan]).reshape(-1, 2)
        y, e = arr[:, 0], arr[:, 1]
        x = start + step * np.arange(len(y))
    else:   # ALT or FXYE: explicit x (centidegrees)
        rows = _numeric_rows(lines)
        if typ == "ALT" and rows and len(rows[0]) > 3:
            flat = [v for r in rows for v in r]
            rows = [flat[k:k + 3] for k in range(0, len(flat) - 2, 3)]
        arr = np.array([r[:3] for r in rows if len(r) >= 3])[:nchan]
        x, y, e = arr[:, 0] / 100.0, arr[:, 1], arr[:, 2]
    if len(y) < nchan:
        raise reader_error(path, f"BANK announces {nchan} points, the file holds {len(y)} (truncated?)")
    return x, y, e
