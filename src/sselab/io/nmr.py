"""NMR spectra (Bruker TopSpin, Varian/Agilent VnmrJ, JCAMP-DX) → :class:`Measurement` with technique ``"NMR"``.

Canonical columns (docs/CONVENTIONS.md, "Structure data"): ``shift_ppm`` (chemical shift, the unit every NMR
paper uses; descending in the file order, as spectrometers store it), ``intensity`` (real part), ``intensity_imag``
(imaginary part, when known) and ``row`` (0, 1, … for pseudo-2D / arrayed series).  Metadata in ``extra``:

* ``fid``: complex time-domain data, shape (rows, points), digital filter removed (Bruker group delay);
  ``fid_dwell_s``; ``fid_group_delay_points`` (the removed group delay);
* ``sf_Hz`` (reference frequency: 0 ppm), ``sfo1_Hz`` (carrier), ``bf1_Hz``, ``nucleus``, ``sw_Hz``,
  ``ns`` (scans per row), ``d1_s`` (recycle delay), ``pulse_program``;
* ``row_time_s``: start time of every row relative to ``start_time`` (seconds) — from the file's per-row
  timing when it has it, else estimated as (NS + DS)·(D1 + AQ) per row (``row_time_source`` says which);
* ``spectrum_source``: ``"processed"`` (TopSpin's 1r/2rr with the procs referencing) or ``"fid"`` (Fourier
  transformed here with the file's phase values PHC0/PHC1 when it has them, else unphased — analysis phases it).

ppm axis: Bruker processed data from procs (OFFSET = ppm of the first point, SW_p/SF per point); Bruker FIDs from
the carrier and the reference frequency, (SFO1 − SF)/SF·10⁶ ppm at the centre (SF from procs when present, else
BF1 = no referencing); Varian from ``rfl``/``rfp``/``reffrq``; JCAMP-DX from FIRSTX/LASTX and ``.OBSERVE
FREQUENCY`` (or Bruker's ``$OFFSET``).  Uses nmrglue (a core dependency).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError
from ._common import read_head, reader_error
from .base import Measurement

__all__ = ["read_bruker", "read_varian", "read_jcamp", "bruker_dataset", "varian_dataset", "sniff", "fid_to_spectrum"]

_BRUKER_FILES = ("fid", "ser", "acqus", "acqu", "1r", "1i", "2rr", "2ii", "procs", "proc")


def _ng():
    try:
        import nmrglue
    except ImportError:
        raise MissingDependencyError("reading NMR data needs nmrglue (a dependency of sselab): pip install 'nmrglue>=0.10'") from None
    return nmrglue


# ---------------------------------------------------------------------------------------------------------------
# locating datasets
# ---------------------------------------------------------------------------------------------------------------

def bruker_dataset(path) -> tuple[Path, Path | None] | None:
    """``(experiment folder, pdata folder or None)`` for a Bruker experiment folder, a ``pdata/N`` folder or a file
    inside either; None when ``path`` is not part of a Bruker dataset."""
    p = Path(path)
    if p.is_file():
        if p.name not in _BRUKER_FILES:
            return None
        p = p.parent
    if (p / "procs").is_file() and p.parent.name == "pdata":
        exp = p.parent.parent
        return (exp if (exp / "acqus").is_file() else None, p) if (exp / "acqus").is_file() else (None, p)
    if (p / "acqus").is_file():
        pd_ = p / "pdata" / "1"
        if not (pd_ / "procs").is_file():
            cands = sorted((q for q in (p / "pdata").glob("*") if (q / "procs").is_file()),
                           key=lambda q: int(q.name) if q.name.isdigit() else 10**9)
            pd_ = cands[0] if cands else None
        return p, pd_
    return None


def varian_dataset(path) -> Path | None:
    """The VnmrJ ``.fid`` folder (holding ``fid`` and ``procpar``) for ``path`` or a file in it; else None."""
    p = Path(path)
    if p.is_file():
        p = p.parent
    return p if (p / "fid").is_file() and (p / "procpar").is_file() else None


def sniff(path: Path, head: bytes | None = None) -> str | None:
    """``'bruker-nmr'``, ``'varian-nmr'``, ``'jcamp-dx'`` or None."""
    path = Path(path)
    if path.is_dir() or path.name in _BRUKER_FILES or path.name == "procpar":
        ds = bruker_dataset(path)
        if ds is not None and (ds[0] is not None or ds[1] is not None):
            return "bruker-nmr"
        if varian_dataset(path) is not None:
            return "varian-nmr"
        return None
    if head is None:
        head = read_head(path, 4096)
    h = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if h.startswith(b"##TITLE") or (h.startswith(b"##") and b"##JCAMP" in h[:2000]):
        return "jcamp-dx"
    return None


# ---------------------------------------------------------------------------------------------------------------
# processing helpers (a plain FT; analysis-grade phasing and baselines live in sselab.structure.nmr)
# ---------------------------------------------------------------------------------------------------------------

def fid_to_spectrum(fid: np.ndarray, dwell_s: float, sfo1_Hz: float, sf_Hz: float, *, size: int | None = None,
                    phc0_deg: float = 0.0, phc1_deg: float = 0.0, lb_Hz: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Fourier transform FID row(s) → ``(shift_ppm descending, complex spectrum)``.

    Exponential line broadening ``lb_Hz``, zero filling to ``size`` (next power of two ≥ 2·TD by default), FFT with
    the zero frequency centred, spectrum reversed to the spectroscopists' order (high ppm first, like TopSpin), then
    phase φ = phc0 + phc1·(i/N) in degrees applied as exp(−iφ) — TopSpin's PHC0/PHC1 convention."""
    fid = np.atleast_2d(np.asarray(fid, complex))
    n = fid.shape[1]
    size = size or int(2 ** np.ceil(np.log2(max(2 * n, 2))))
    t = np.arange(n) * dwell_s
    if lb_Hz:
        fid = fid * np.exp(-np.pi * lb_Hz * t)
    fid = fid.copy()
    fid[:, 0] *= 0.5                     # first-point correction
    # after fftshift bin j is the offset (j − N/2)·sw/N; reversed (high ppm first) and rolled by one, bin i is
    # (N/2 − i)·sw/N — TopSpin's labelling (the carrier at index SI/2; bin 0 is the Nyquist bin ±sw/2).  Without the
    # roll every line sits one bin (sw/N) too high in ppm.
    spec = np.roll(np.fft.fftshift(np.fft.fft(fid, n=size, axis=1), axes=1)[:, ::-1], 1, axis=1)
    sw = 1.0 / dwell_s
    # frequency offsets from the carrier, high to low, so a spectrum transformed here and TopSpin's 1r of the same
    # FID share one axis (tests/structure check it on real data)
    f = (size // 2 - np.arange(size)) * (sw / size)
    ppm = (f + (sfo1_Hz - sf_Hz)) / sf_Hz * 1e6
    phi = np.radians(phc0_deg + phc1_deg * np.arange(size) / size)
    spec = spec * np.exp(-1j * phi)
    return ppm, spec


def _bruker_start(acqus: dict) -> datetime | None:
    d = acqus.get("DATE")
    try:
        return datetime.fromtimestamp(int(d), tz=timezone.utc).replace(tzinfo=None) if d else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _frame(ppm, spec, extra_cols=None) -> pd.DataFrame:
    spec = np.atleast_2d(spec)
    n_rows, n = spec.shape
    cols = {"shift_ppm": np.tile(np.asarray(ppm, float), n_rows), "intensity": spec.real.ravel()}
    if np.iscomplexobj(spec):
        cols["intensity_imag"] = spec.imag.ravel()
    if n_rows > 1:
        cols["row"] = np.repeat(np.arange(n_rows), n)
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------------------------------------------
# Bruker
# ---------------------------------------------------------------------------------------------------------------

def read_bruker(path, procno: int | None = None) -> Measurement:
    """A Bruker TopSpin/XWIN-NMR dataset: an experiment folder (``acqus`` + ``fid``/``ser``), a ``pdata/N`` folder,
    or a file inside them.  The processed spectrum (1r/1i, 2rr) is used when present, else the FID is transformed."""
    ng = _ng()
    path = Path(path)
    ds = bruker_dataset(path)
    if ds is None:
        raise reader_error(path, "not a Bruker dataset (no acqus, and not a pdata folder with procs)")
    exp, pdir = ds
    if procno is not None and exp is not None:
        pdir = exp / "pdata" / str(procno)
        if not (pdir / "procs").is_file():
            raise reader_error(path, f"no processed data pdata/{procno}")
    warnings: list[str] = []
    extra: dict = {}
    acqus: dict = {}
    fid = None
    if exp is not None:
        has_fid = (exp / "fid").is_file() or (exp / "ser").is_file()
        if has_fid:
            dic, fid = ng.bruker.read(str(exp))
            acqus = dic.get("acqus", {})
            fid = np.atleast_2d(fid)
            if "acqu2s" in dic and fid.ndim == 2:
                extra["acqu2s_TD"] = dic["acqu2s"].get("TD")
            gd = _group_delay(acqus)
            extra["fid_group_delay_points"] = gd
            fid = _remove_group_delay(fid, gd)
        else:
            acqus = ng.bruker.read_acqus_file(str(exp)).get("acqus", {})
            warnings.append("no fid/ser in the experiment folder: processed data only")
    procs: dict = {}
    proc_spec = None
    if pdir is not None and (pdir / "procs").is_file():
        try:
            pdic, pdata = ng.bruker.read_pdata(str(pdir), scale_data=True, all_components=True)
        except (OSError, ValueError, IndexError):
            pdic, pdata = ng.bruker.read_procs_file(str(pdir)), None
        procs = pdic.get("procs", {})
        if pdata is not None:
            if isinstance(pdata, (list, tuple)):
                re_, im_ = (np.asarray(pdata[0]), np.asarray(pdata[1])) if len(pdata) > 1 else (np.asarray(pdata[0]), None)
                if re_.ndim == 2 and im_ is not None and im_.shape != re_.shape:
                    im_ = None       # 2ii holds a different quadrant: keep the real part only
                proc_spec = re_ + 1j * im_ if im_ is not None else re_
            else:
                proc_spec = np.asarray(pdata)
    if not acqus and not procs:
        raise reader_error(path, "Bruker dataset without acqus or procs parameters")
    sfo1 = float(acqus.get("SFO1", procs.get("SF", 0.0))) * 1e6
    bf1 = float(acqus.get("BF1", 0.0)) * 1e6
    sf = float(procs.get("SF", acqus.get("BF1", 0.0))) * 1e6
    sw = float(acqus.get("SW_h", procs.get("SW_p", 0.0)))
    if not (sf > 0 and sw > 0):
        raise reader_error(path, "no spectrometer frequency / spectral width in the parameters")
    extra.update(sf_Hz=sf, sfo1_Hz=sfo1, bf1_Hz=bf1, sw_Hz=sw, nucleus=str(acqus.get("NUC1", procs.get("AXNUC", ""))),
                 ns=acqus.get("NS"), ds=acqus.get("DS"), d1_s=(acqus.get("D") or [None, None])[1],
                 pulse_program=acqus.get("PULPROG"), td=acqus.get("TD"))
    if fid is not None:
        extra["fid"] = fid
        extra["fid_dwell_s"] = 1.0 / sw
    start = _bruker_start(acqus)
    n_rows = 1
    if proc_spec is not None:
        si = int(procs.get("SI", proc_spec.shape[-1]))
        off = float(procs["OFFSET"])
        swp = float(procs.get("SW_p", sw))
        ppm = off - np.arange(proc_spec.shape[-1]) * (swp / (sf / 1e6)) / si
        spec = np.atleast_2d(proc_spec)
        td1 = extra.get("acqu2s_TD")
        if spec.shape[0] > 1 and td1 and spec.shape[0] > int(td1):
            warnings.append(f"the processed 2rr holds {spec.shape[0]} rows (zero-filled in F1); the {int(td1)} measured "
                            f"rows are kept")
            spec = spec[: int(td1)]
        n_rows = spec.shape[0]
        df = _frame(ppm, spec)
        extra["spectrum_source"] = "processed"
        extra["procno"] = pdir.name
        extra["phc0_deg"], extra["phc1_deg"] = procs.get("PHC0"), procs.get("PHC1")
    elif fid is not None:
        phc0 = float(procs.get("PHC0", 0.0)) if procs else 0.0
        phc1 = float(procs.get("PHC1", 0.0)) if procs else 0.0
        if not procs:
            warnings.append("no processing parameters: spectrum Fourier-transformed here without phase correction "
                            "and referenced to BF1 (analysis phases it)")
        lb = float(procs.get("LB", 0.0)) if procs and int(procs.get("WDW", 0) or 0) == 1 else 0.0
        ppm, spec = fid_to_spectrum(fid, 1.0 / sw, sfo1, sf, phc0_deg=phc0, phc1_deg=phc1, lb_Hz=lb)
        n_rows = spec.shape[0]
        df = _frame(ppm, spec)
        extra["spectrum_source"] = "fid"
    else:
        raise reader_error(path, "neither a FID/ser nor processed 1r/2rr data")
    if n_rows > 1:
        extra.update(_row_times(exp, acqus, n_rows, warnings))
    meas = Measurement(df, source=path, format="bruker-nmr", technique="NMR", instrument="Bruker",
                       software_version=str(acqus.get("_comments", [""])[0])[:60] if acqus.get("_comments") else None,
                       start_time=start, warnings=warnings, extra=extra)
    return meas


def _group_delay(acqus: dict) -> float:
    """Bruker digital-filter group delay (points): GRPDLY when the file has it, else the DECIM/DSPFVS table."""
    g = acqus.get("GRPDLY", -1)
    try:
        if g is not None and float(g) > 0:
            return float(g)
    except (TypeError, ValueError):
        pass
    try:
        from nmrglue.fileio.bruker import bruker_dsp_table

        return float(bruker_dsp_table[int(acqus["DSPFVS"])][int(acqus["DECIM"])])
    except (KeyError, ValueError, TypeError, ImportError, IndexError):
        return 0.0


def _remove_group_delay(fid: np.ndarray, gd: float) -> np.ndarray:
    """Remove the digital filter's group delay: a first-order phase in the frequency domain (as TopSpin does),
    then drop the filter's trailing points."""
    if not gd:
        return fid
    n = fid.shape[-1]
    spec = np.fft.fft(fid, axis=-1)
    k = np.fft.fftfreq(n) * n
    spec = spec * np.exp(2j * np.pi * gd * k / n)
    out = np.fft.ifft(spec, axis=-1)
    skip = int(np.floor(gd))
    return out[..., : n - skip] if skip and n - skip > 8 else out


def _row_times(exp, acqus, n_rows, warnings) -> dict:
    if exp is not None and (exp / "vdlist").is_file():
        vals = []
        for v in (exp / "vdlist").read_text().split():
            m = re.fullmatch(r"([\d.]+(?:[eE][+-]?\d+)?)\s*(s|m|ms|u|us)?", v)
            if not m:
                warnings.append(f"vdlist entry {v!r} not understood")
                vals.append(None)
                continue
            vals.append(float(m.group(1)) * {None: 1.0, "s": 1.0, "m": 1e-3, "ms": 1e-3, "u": 1e-6, "us": 1e-6}[m.group(2)])
        return {"row_variable": vals[:n_rows], "row_variable_name": "vdlist delay (s)"}
    try:
        ns = int(acqus.get("NS", 1))
        ds = int(acqus.get("DS", 0))
        d1 = float(acqus.get("D", [0, 0])[1])
        aq = int(acqus.get("TD", 0)) / 2.0 / float(acqus["SW_h"])
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError):
        warnings.append("row times unknown (no NS/D1/TD in acqus)")
        return {}
    per = (ns + ds) * (d1 + aq)
    warnings.append(f"row times estimated as (NS + DS)·(D1 + AQ) = {per:.4g} s per row (give exact times in a manifest)")
    return {"row_time_s": list(np.arange(n_rows) * per), "row_time_source": "estimated (NS+DS)·(D1+AQ)"}


# ---------------------------------------------------------------------------------------------------------------
# Varian / Agilent
# ---------------------------------------------------------------------------------------------------------------

def _pp(procpar: dict, name: str, default=None, index: int = 0):
    try:
        return procpar[name]["values"][index]
    except (KeyError, IndexError, TypeError):
        return default


def read_varian(path) -> Measurement:
    """A VnmrJ ``.fid`` folder (``fid`` + ``procpar``); arrayed experiments become rows (``row``)."""
    ng = _ng()
    path = Path(path)
    d = varian_dataset(path)
    if d is None:
        raise reader_error(path, "not a Varian/Agilent .fid folder (needs fid and procpar)")
    dic, data = ng.varian.read(str(d))
    pp = dic.get("procpar", {})
    fid = np.atleast_2d(np.asarray(data, complex))
    sw = float(_pp(pp, "sw", 0))
    sfrq = float(_pp(pp, "sfrq", 0)) * 1e6
    reffrq = float(_pp(pp, "reffrq", _pp(pp, "sfrq", 0))) * 1e6
    if not (sw > 0 and sfrq > 0):
        raise reader_error(path, "procpar has no sw/sfrq")
    rfl = float(_pp(pp, "rfl", sw / 2))
    rfp = float(_pp(pp, "rfp", 0.0))
    warnings: list[str] = []
    # Varian stores conjugated data relative to Bruker's convention: conjugate so positive offsets are high ppm
    ppm_c, spec = fid_to_spectrum(np.conj(fid), 1.0 / sw, sfrq, sfrq)
    f = ppm_c * sfrq / 1e6                               # offset from the carrier (Hz), high to low
    ppm = ((f + sw / 2.0) - rfl + rfp) / (reffrq / 1e6)
    warnings.append("spectrum Fourier-transformed here without phase correction (analysis phases it)")
    extra = {"fid": fid, "fid_dwell_s": 1.0 / sw, "sf_Hz": reffrq, "sfo1_Hz": sfrq, "sw_Hz": sw,
             "nucleus": _pp(pp, "tn"), "ns": _pp(pp, "nt"), "d1_s": float(_pp(pp, "d1", 0) or 0),
             "pulse_program": _pp(pp, "seqfil"), "spectrum_source": "fid"}
    start = None
    tr = _pp(pp, "time_run")
    if tr:
        try:
            start = datetime.strptime(str(tr)[:15], "%Y%m%dT%H%M%S")
        except ValueError:
            pass
    if fid.shape[0] > 1:
        try:
            nts = [float(v) for v in pp["nt"]["values"]]
            at = float(_pp(pp, "at", 0))
            d1 = float(_pp(pp, "d1", 0))
            per = [(nts[k] if len(nts) > k else nts[-1]) * (d1 + at) for k in range(fid.shape[0])]
            extra["row_time_s"] = list(np.concatenate([[0.0], np.cumsum(per)[:-1]]))
            extra["row_time_source"] = "estimated nt·(d1 + at)"
            warnings.append("row times estimated as nt·(d1 + at) per increment (give exact times in a manifest)")
        except (KeyError, ValueError, TypeError):
            warnings.append("row times unknown")
    return Measurement(_frame(ppm, spec), source=path, format="varian-nmr", technique="NMR", instrument="Varian/Agilent",
                       start_time=start, warnings=warnings, extra=extra)


# ---------------------------------------------------------------------------------------------------------------
# JCAMP-DX
# ---------------------------------------------------------------------------------------------------------------

def read_jcamp(path) -> Measurement:
    """JCAMP-DX NMR spectrum (XYDATA, compressed forms via nmrglue); x in Hz → ppm with ``.OBSERVE FREQUENCY``."""
    ng = _ng()
    path = Path(path)
    dic, data = ng.jcampdx.read(str(path))
    if isinstance(data, list):
        re_ = np.asarray(data[0], float)
        im_ = np.asarray(data[1], float) if len(data) > 1 else None
    else:
        re_, im_ = np.asarray(data, float), None
    if re_.ndim != 1 or len(re_) < 2:
        raise reader_error(path, "no 1-D spectrum in this JCAMP-DX file")

    def g(key, default=None):
        v = dic.get(key)
        if v is None:
            return default
        v = v[0] if isinstance(v, list) else v
        return str(v).split("$$")[0].strip()

    n = len(re_)
    first, last = float(g("FIRSTX")), float(g("LASTX"))
    units = (g("XUNITS", "") or "").upper()
    sf = float(g(".OBSERVEFREQUENCY", g("$SF", "0")) or 0)
    x = np.linspace(first, last, n)
    warnings: list[str] = []
    if units == "HZ":
        if not sf > 0:
            raise reader_error(path, "x in Hz but no .OBSERVE FREQUENCY to convert to ppm")
        ppm = x / sf
        off = g("$OFFSET")
        if off is not None:
            try:
                shift = float(off) - ppm[0]
                if abs(shift) > 1e-6:
                    ppm = ppm + shift
            except ValueError:
                pass
    elif units == "PPM":
        ppm = x
    else:
        raise reader_error(path, f"x units {units or '?'}: not a frequency axis")
    spec = re_ + 1j * im_ if im_ is not None and len(im_) == n else re_
    extra = {"sf_Hz": sf * 1e6, "nucleus": g(".OBSERVENUCLEUS"), "spectrum_source": "processed",
             "header": {k: g(k) for k in ("TITLE", "DATATYPE", "ORIGIN", ".SOLVENTNAME", ".PULSESEQUENCE")}}
    return Measurement(_frame(ppm, spec), source=path, format="jcamp-dx", technique="NMR", warnings=warnings,
                       extra=extra)
