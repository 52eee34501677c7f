"""Forward models for structure data with known inputs: powder patterns, in-situ pattern series, ⁷Li NMR series
(FIDs written as a Bruker pseudo-2D dataset), static CSA lineshapes, and a small operando demo folder.

* :func:`xrd_pattern` — a powder pattern of several phases (structure-factor intensities from the knowledge base,
  Caglioti widths, pseudo-Voigt profiles, optional Kα2, a background, Poisson noise);
* :func:`xrd_series` / :func:`write_xrd_series` — Li2NH + Li3N + Li patterns with a chosen lattice drift and a
  varying Li-metal fraction, written as ``.xye`` files plus a log CSV (scan, start_time, end_time);
* :func:`nmr_series` / :func:`write_bruker_series` — ⁷Li static spectra with a Li2NH signal near 3 ppm (a narrow
  and a broad shifting component) and a growing Li-metal signal near 260 ppm, generated as FIDs and written as
  a Bruker pseudo-2D ``ser`` + ``acqus`` + ``procs`` (nmrglue), with exact region integrals as truth;
* :func:`csa_powder_spectrum` — a static CSA powder pattern (Haeberlen convention) by direct orientation
  averaging, independent of mrsimulator (tests fit it with mrsimulator);
* :func:`stripping_plating_ec` — a current-doubling Li|Li2NH|Li stripping/plating record with absolute start;
* :func:`write_structure_demo` — a folder with patterns, an NMR series, the electrochemistry file, a manifest
  and ``truth.json`` (what a later ``sselab demo`` section recovers).

All noise comes from a seeded :class:`numpy.random.Generator`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..results import jsonable

__all__ = ["MO_KA1_M", "I11_WAVELENGTH_M", "xrd_pattern", "XRDSeries", "xrd_series", "write_xrd_series",
           "NMRSeries", "nmr_series", "write_bruker_series", "csa_powder_spectrum", "stripping_plating_ec",
           "write_structure_demo", "write_xye"]

MO_KA1_M = 0.709317e-10            #: Mo Kα1 (Hölzer et al. 1997)
I11_WAVELENGTH_M = 0.824042e-10    #: the imide paper's synchrotron wavelength (Diamond I11)


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def xrd_pattern(phases, two_theta_deg, wavelength_m: float, *, scales=None, fwhm_uvw=(0.0, 0.0, 0.0004),
                eta: float = 0.4, zero_deg: float = 0.0, wavelength2_m: float | None = None, ka2_ratio: float = 0.0,
                background=None, peak_counts: float = 2e4, polarisation: float = 0.0, rng=0, noise: bool = True):
    """Simulate one powder pattern.  ``phases``: Crystal objects; ``scales``: relative phase scale factors
    (multiplying m·|F|²·LP; default 1 each); the strongest line of the sum gets ``peak_counts`` counts at its top
    (before noise).  Returns ``(y_noisy, y_true, sigma)``."""
    from ..structure.crystal import powder_lines
    from ..structure.peaks import pseudo_voigt

    x = np.asarray(two_theta_deg, float)
    scales = [1.0] * len(phases) if scales is None else list(scales)
    U, V, W = fwhm_uvw
    prof = np.zeros_like(x)
    for cr, s in zip(phases, scales):
        if s <= 0:
            continue
        pl = powder_lines(cr, wavelength_m, float(x.max()) + 2.0, polarisation=polarisation)
        for tt, I in zip(pl.two_theta_deg, pl.intensity):
            if not (x.min() - 1 <= tt <= x.max() + 1):
                continue
            th = np.radians(tt / 2)
            fw = np.sqrt(U * np.tan(th) ** 2 + V * np.tan(th) + W)
            c = tt + zero_deg
            prof += s * I * pseudo_voigt(x, c, fw, eta)
            if wavelength2_m and ka2_ratio:
                c2 = 2 * np.degrees(np.arcsin(min(wavelength2_m / wavelength_m * np.sin(np.radians(tt) / 2), 1))) + zero_deg
                prof += s * I * ka2_ratio * pseudo_voigt(x, c2, fw, eta)
    if prof.max() > 0:
        prof *= peak_counts / prof.max()
    if background is None:
        bg = 200.0 + 150.0 * np.exp(-((x - x.min()) / (0.3 * np.ptp(x) + 1e-9)))
    elif callable(background):
        bg = background(x)
    else:
        bg = np.broadcast_to(np.asarray(background, float), x.shape)
    truth = prof + bg
    r = _rng(rng)
    y = r.poisson(truth).astype(float) if noise else truth.copy()
    return y, truth, np.sqrt(np.maximum(y, 1.0))


def write_xye(path, x, y, e=None, header: str | None = None) -> Path:
    """Write a three-column ``.xye`` (2θ, I, σ) text file atomically."""
    from .writers import _atomic_write_bytes

    e = np.sqrt(np.maximum(y, 1.0)) if e is None else e
    lines = [] if header is None else [f"# {h}" for h in header.splitlines()]
    lines += [f"{a:.5f} {b:.3f} {c:.4f}" for a, b, c in zip(np.asarray(x, float), np.asarray(y, float),
                                                            np.asarray(e, float))]
    return _atomic_write_bytes(Path(path), ("\n".join(lines) + "\n").encode("ascii"))


@dataclass
class XRDSeries:
    """A simulated pattern series and its truth."""

    x: np.ndarray
    y: np.ndarray                  # (n, m) noisy
    truth: np.ndarray              # (n, m) noiseless
    time_s: np.ndarray
    start: datetime
    wavelength_m: float
    a_li2nh_angstrom: np.ndarray   # true a of the (doubled or simple) Li2NH cell per pattern
    phase_key: str
    li_scale: np.ndarray
    params: dict = field(default_factory=dict)


def xrd_series(n: int = 20, *, wavelength_m: float = I11_WAVELENGTH_M, two_theta_range=(4.0, 40.0), step_deg: float = 0.004,
               a0_angstrom: float = 10.09, drift_angstrom: float = 0.0, ordered: bool = True, li3n_scale: float = 0.06,
               li_scale=(0.04, 0.08), period_s: float = 100.0, peak_counts: float = 2e4, rng=0,
               start: datetime = datetime(2025, 1, 15, 9, 0, 0), fwhm_uvw=(0.0, 0.0, 0.0009), eta: float = 0.3,
               polarisation: float | None = None) -> XRDSeries:
    """Li2NH (ordered Fd-3m, or Fm-3m with a0/2 when ``ordered=False``) + Li3N + Li patterns every ``period_s``;
    the Li2NH cell edge drifts linearly by ``drift_angstrom`` over the run, the Li-metal scale varies between
    ``li_scale`` (min, max) as a half sine; Li3N constant.  Scales are the strongest line of that phase relative to
    Li2NH's strongest line."""
    from ..materials.structures import structure

    r = _rng(rng)
    x = np.arange(two_theta_range[0], two_theta_range[1] + step_deg / 2, step_deg)
    key = "Li2NH-Fd-3m" if ordered else "Li2NH-Fm-3m"
    base = structure(key)
    a_start = a0_angstrom if ordered else a0_angstrom / 2.0
    a = a_start + drift_angstrom * np.linspace(0, 1, n) * (1.0 if ordered else 0.5)
    li = li_scale[0] + (li_scale[1] - li_scale[0]) * np.sin(np.linspace(0, np.pi, n))
    pol = (1.0 if wavelength_m < 0.6e-10 or abs(wavelength_m - I11_WAVELENGTH_M) < 1e-14 else 0.0) if polarisation is None else polarisation
    from ..structure.crystal import powder_lines
    from ..structure.peaks import pseudo_voigt

    li3n, lim = structure("Li3N"), structure("Li")
    lines = {c.key: powder_lines(c, wavelength_m, two_theta_range[1] + 2, polarisation=pol) for c in (base, li3n, lim)}
    top = {k: v.intensity.max() for k, v in lines.items()}
    U, V, W = fwhm_uvw

    def profile(tt, inten):
        keep = (tt > x.min() - 1) & (tt < x.max() + 1)
        tt, inten = tt[keep], inten[keep]
        th = np.radians(tt / 2)
        fw = np.sqrt(U * np.tan(th) ** 2 + V * np.tan(th) + W)
        out = np.zeros_like(x)
        for c, w, i in zip(tt, fw, inten):
            lo, hi = np.searchsorted(x, [c - 60 * w, c + 60 * w])
            out[lo:hi] += i * pseudo_voigt(x[lo:hi], c, w, eta)
        return out

    # fixed phases once; Li2NH's lines move with its cell edge (intensities of a 0.01 % strain are unchanged)
    p_li3n = profile(lines["Li3N"].two_theta_deg, lines["Li3N"].intensity * li3n_scale * top[base.key] / top["Li3N"])
    p_li = profile(lines["Li"].two_theta_deg, lines["Li"].intensity * top[base.key] / top["Li"])
    bg = 200.0 + 150.0 * np.exp(-((x - x.min()) / (0.3 * np.ptp(x) + 1e-9)))
    lb = lines[base.key]
    ys, ts = [], []
    norm = None
    for k in range(n):
        tt = 2 * np.degrees(np.arcsin(np.clip(wavelength_m / (2 * lb.d_angstrom * (a[k] / base.a_angstrom) * 1e-10), 0, 1)))
        prof = profile(tt, lb.intensity) + li[k] * p_li + p_li3n
        if norm is None:
            norm = peak_counts / prof.max()
        truth = prof * norm + bg
        ys.append(r.poisson(truth).astype(float))
        ts.append(truth)
    return XRDSeries(x, np.array(ys), np.array(ts), np.arange(n) * period_s, start, wavelength_m, a, key, li,
                     {"drift_angstrom": drift_angstrom, "li3n_scale": li3n_scale, "period_s": period_s,
                      "fwhm_uvw": fwhm_uvw, "eta": eta, "peak_counts": peak_counts, "polarisation": pol})


def write_xrd_series(folder, s: XRDSeries, *, prefix: str = "scan", acquisition_s: float = 10.0) -> dict:
    """Write ``s`` as ``<prefix>_NNNN.xye`` files (with a wavelength header) and ``log.csv`` (scan, start_time,
    end_time — the datalab operando log layout); returns ``{"files": [...], "log": path}``."""
    from .writers import _atomic_write_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files, rows = [], []
    for k in range(len(s.y)):
        p = folder / f"{prefix}_{k:04d}.xye"
        write_xye(p, s.x, s.y[k], header=f"Wavelength: {s.wavelength_m:.6e} m\n2th_deg I sigma")
        files.append(p)
        t0 = s.start + timedelta(seconds=float(s.time_s[k]) - acquisition_s / 2)
        rows.append((f"{prefix}_{k:04d}", t0.isoformat(sep=" "), (t0 + timedelta(seconds=acquisition_s)).isoformat(sep=" ")))
    log = folder / "log.csv"
    _atomic_write_bytes(log, ("scan_number,start_time,end_time\n" + "\n".join(",".join(r) for r in rows) + "\n").encode())
    return {"files": files, "log": log}


# ---------------------------------------------------------------------------------------------------------------
# NMR
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class NMRSeries:
    """Simulated FIDs (rows × TD) with the acquisition parameters and the exact truth."""

    fid: np.ndarray
    sw_Hz: float
    sf_Hz: float
    sfo1_Hz: float
    time_s: np.ndarray
    start: datetime
    components: list                # per component: dict(name, shift_ppm[n], fwhm_Hz, amplitude[n], shape)
    params: dict = field(default_factory=dict)

    def region_truth(self, lo_ppm: float, hi_ppm: float) -> np.ndarray:
        """Exact integral (spectrum units × ppm, the convention of :func:`sselab.structure.nmr.region_integrals`)
        of the noiseless spectrum between ``lo_ppm`` and ``hi_ppm`` for every row: each Lorentzian's area is
        0.5·A·SW/SF(MHz) (the FFT with the halved first point), times the fraction inside the region."""
        from scipy.special import erf

        sf_mhz = self.sf_Hz / 1e6
        out = np.zeros(len(self.fid))
        for c in self.components:
            area = 0.5 * np.asarray(c["amplitude"]) * self.sw_Hz / sf_mhz
            w = c["fwhm_Hz"] / sf_mhz
            d = np.asarray(c["shift_ppm"])
            if c.get("shape", "lorentz") == "lorentz":
                frac = (np.arctan(2 * (hi_ppm - d) / w) - np.arctan(2 * (lo_ppm - d) / w)) / np.pi
            else:
                s = w / (2 * np.sqrt(2 * np.log(2)))
                frac = 0.5 * (erf((hi_ppm - d) / (np.sqrt(2) * s)) - erf((lo_ppm - d) / (np.sqrt(2) * s)))
            out += area * frac
        return out


def nmr_series(n: int = 60, *, period_s: float = 60.0, sf_Hz: float = 116.64e6, sw_Hz: float = 200e3,
               td: int = 4096, li_metal_ppm: float = 262.0, li_growth: float = 0.5, li_amp0: float = 0.12,
               sse_amp: float = 1.0, narrow_ppm: float = 3.30, broad_ppm=(3.40, 3.25), narrow_fwhm_Hz: float = 400.0,
               broad_fwhm_Hz: float = 2500.0, li_fwhm_Hz: float = 1200.0, broad_fraction: float = 0.6,
               noise: float = 2e-4, rng=0, start: datetime = datetime(2025, 1, 15, 9, 0, 0),
               carrier_ppm: float = 120.0) -> NMRSeries:
    """⁷Li static in-situ series at 7.05 T (⁷Li 116.6 MHz): Li2NH narrow (fixed) + broad (shifting linearly
    from ``broad_ppm[0]`` to ``broad_ppm[1]``) Lorentzians and Li metal near 262 ppm whose amplitude grows by
    ``li_growth`` (fraction) linearly over the run.  Complex Gaussian noise of σ = ``noise`` per FID point."""
    r = _rng(rng)
    t = np.arange(td) / sw_Hz
    sfo1 = sf_Hz * (1 + carrier_ppm * 1e-6)
    frac = np.linspace(0, 1, n)
    comps = [
        {"name": "Li2NH narrow", "shift_ppm": np.full(n, narrow_ppm), "fwhm_Hz": narrow_fwhm_Hz,
         "amplitude": np.full(n, sse_amp * (1 - broad_fraction))},
        {"name": "Li2NH broad", "shift_ppm": broad_ppm[0] + (broad_ppm[1] - broad_ppm[0]) * frac, "fwhm_Hz": broad_fwhm_Hz,
         "amplitude": np.full(n, sse_amp * broad_fraction)},
        {"name": "Li metal", "shift_ppm": np.full(n, li_metal_ppm), "fwhm_Hz": li_fwhm_Hz,
         "amplitude": li_amp0 * (1 + li_growth * frac)},
    ]
    fid = np.zeros((n, td), complex)
    for c in comps:
        off_Hz = (np.asarray(c["shift_ppm"]) * 1e-6 * sf_Hz + sf_Hz) - sfo1     # offset from the carrier
        fid += np.asarray(c["amplitude"])[:, None] * np.exp(2j * np.pi * off_Hz[:, None] * t[None, :]
                                                           - np.pi * c["fwhm_Hz"] * t[None, :])
    fid += noise * (r.standard_normal(fid.shape) + 1j * r.standard_normal(fid.shape))
    return NMRSeries(fid, sw_Hz, sf_Hz, sfo1, np.arange(n) * period_s, start, comps,
                     {"period_s": period_s, "td": td, "noise": noise, "li_growth": li_growth})


_HEADER = ["##TITLE= Parameter file, sselab.simulate.structure", "##JCAMPDX= 5.0", "##DATATYPE= Parameter Values",
           "##ORIGIN= sselab", "##OWNER= sselab"]


def write_bruker_series(folder, s: NMRSeries, *, nucleus: str = "7Li", ns: int = 16, d1_s: float = 1.0) -> Path:
    """Write ``s`` as a Bruker pseudo-2D experiment (``ser``, ``acqus``, ``acqu2s``, ``pdata/1/procs``) with
    nmrglue; the digital filter is off (GRPDLY 0) so the FIDs are the simulated ones.  Row period = NS·(D1 + AQ)
    is set consistent with ``s.time_s`` by choosing D1."""
    import nmrglue as ng

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n, td = s.fid.shape
    aq = td / s.sw_Hz
    period = float(np.median(np.diff(s.time_s))) if n > 1 else ns * (d1_s + aq)
    d1 = period / ns - aq
    acqus = {"TD": 2 * td, "SW_h": s.sw_Hz, "SFO1": s.sfo1_Hz / 1e6, "BF1": s.sf_Hz / 1e6, "O1": s.sfo1_Hz - s.sf_Hz,
             "SW": s.sw_Hz / (s.sfo1_Hz / 1e6), "NUC1": nucleus, "NS": ns, "DS": 0, "D": [0.0, d1] + [0.0] * 30,
             "DECIM": 1, "DSPFVS": 20, "GRPDLY": 0.0, "DTYPA": 2, "BYTORDA": 0, "AQ_mod": 3, "PULPROG": "zg",
             "DATE": int(s.start.replace(tzinfo=timezone.utc).timestamp()), "PARMODE": 1,
             "_coreheader": _HEADER, "_comments": []}
    acqu2s = {"TD": n, "SW_h": 1.0, "SFO1": s.sfo1_Hz / 1e6, "BF1": s.sf_Hz / 1e6, "NUC1": nucleus, "FnMODE": 1,
              "_coreheader": _HEADER, "_comments": []}
    dic = {"acqus": acqus, "acqu2s": acqu2s, "FILE_SIZE": 0}
    ng.bruker.write(str(folder), dic, s.fid.astype(np.complex128), overwrite=True, write_prog=False)
    # every TopSpin experiment folder holds its pulse program (readers warn without it)
    (folder / "pulseprogram").write_text(
        ";zg\n;1D sequence, one pulse and acquisition (written by sselab.simulate)\n\n"
        "#include <Avance.incl>\n\n1 ze\n2 d1\n  p1 ph1\n  go=2 ph31\n  wr #0\nexit\n\n"
        "ph1=0 2 2 0 1 3 3 1\nph31=0 2 2 0 1 3 3 1\n", encoding="ascii")
    pdir = folder / "pdata" / "1"
    pdir.mkdir(parents=True, exist_ok=True)
    size = int(2 ** np.ceil(np.log2(2 * td)))
    procs = {"SF": s.sf_Hz / 1e6, "SI": size, "SW_p": s.sw_Hz, "OFFSET": ((s.sfo1_Hz - s.sf_Hz) + s.sw_Hz / 2) / (s.sf_Hz / 1e6),
             "PHC0": 0.0, "PHC1": 0.0, "WDW": 0, "LB": 0.0, "AXNUC": nucleus, "NC_proc": 0}
    ng.bruker.write_jcamp({**procs, "_coreheader": _HEADER, "_comments": []},
                          str(pdir / "procs"), overwrite=True)
    return folder


def csa_powder_spectrum(ppm, delta_iso_ppm: float, delta_aniso_ppm: float, eta: float, *, amplitude: float = 1.0,
                        broadening_ppm: float = 0.5, n_orient: int = 400) -> np.ndarray:
    """Static CSA powder pattern (Haeberlen: δ(θ,φ) = δiso + δaniso/2·(3cos²θ − 1 − η sin²θ cos2φ)) by direct
    averaging over a uniform grid in cosθ and φ, histogrammed on ``ppm`` and convolved with a Lorentzian of FWHM
    ``broadening_ppm``; normalised to total area ``amplitude`` (× ppm)."""
    ppm = np.asarray(ppm, float)
    ct = (np.arange(n_orient) + 0.5) / n_orient
    ph = (np.arange(2 * n_orient) + 0.5) / (2 * n_orient) * np.pi
    C, P = np.meshgrid(ct, ph, indexing="ij")
    d = delta_iso_ppm + 0.5 * delta_aniso_ppm * (3 * C ** 2 - 1 - eta * (1 - C ** 2) * np.cos(2 * P))
    order = np.argsort(ppm)
    xs = ppm[order]
    edges = np.concatenate([[xs[0] - (xs[1] - xs[0]) / 2], (xs[1:] + xs[:-1]) / 2, [xs[-1] + (xs[-1] - xs[-2]) / 2]])
    hist, _ = np.histogram(d.ravel(), bins=edges)
    hist = hist.astype(float)
    step = float(np.median(np.diff(xs)))
    k = np.arange(-len(xs) // 2, len(xs) // 2) * step
    L = (broadening_ppm / (2 * np.pi)) / (k ** 2 + (broadening_ppm / 2) ** 2)
    spec = np.convolve(hist, L * step, mode="same")
    spec *= amplitude / max(np.sum(spec) * step, 1e-300)
    out = np.empty_like(spec)
    out[order] = spec
    return out


def stripping_plating_ec(*, start: datetime = datetime(2025, 1, 15, 8, 55, 0), j0_A_per_m2: float = 0.4,
                         n_levels: int = 5, hours_per_level: float = 1.0, half_cycle_s: float = 900.0,
                         rest_s: float = 10.0, area_m2: float = 0.7854e-4, r0_ohm: float = 1500.0,
                         r_drop: float = 0.3, dt_s: float = 10.0, rng=0) -> tuple[pd.DataFrame, datetime]:
    """Li|Li2NH|Li galvanostatic stripping/plating: current density doubling every ``hours_per_level`` from
    ``j0`` (0.4 A/m² = 40 µA/cm²), alternating sign every half cycle with a short rest; the cell resistance falls
    by ``r_drop`` over the run (the paper's lowering resistance).  Returns (canonical frame, start)."""
    r = _rng(rng)
    total = n_levels * hours_per_level * 3600.0
    t = np.arange(0.0, total, dt_s)
    level = np.minimum((t // (hours_per_level * 3600.0)).astype(int), n_levels - 1)
    j = j0_A_per_m2 * 2.0 ** level
    ph = t % (2 * (half_cycle_s + rest_s))
    sign = np.where(ph < half_cycle_s, 1.0, np.where(ph < half_cycle_s + rest_s, 0.0,
                    np.where(ph < 2 * half_cycle_s + rest_s, -1.0, 0.0)))
    i = sign * j * area_m2
    R = r0_ohm * (1 - r_drop * t / total)
    v = i * R + 2e-4 * r.standard_normal(len(t))
    df = pd.DataFrame({"time_s": t, "potential_V": v, "current_A": i, "cycle": (t // (2 * (half_cycle_s + rest_s))).astype(int)})
    return df, start


def write_structure_demo(out_dir, *, n_xrd: int = 24, n_nmr: int = 40, rng=0, small: bool = False) -> dict:
    """Write a structure/operando demo folder: ``xrd/`` (.xye series at λ = 0.824042 Å + log.csv), ``nmr/1``
    (Bruker pseudo-2D ⁷Li series), ``echem/cell.mpt`` (EC-Lab CP export), ``lab/li2nh_ordered.xye`` and
    ``lab/li2nh_disordered.xye`` (Mo Kα1, Fig. 1d-like), ``operando.yaml`` (manifest) and ``truth.json``.
    Returns the truth dictionary (with the paths).  ``out_dir`` must be new or empty (the caller handles safety)."""
    from ..materials.structures import structure
    from .writers import _atomic_write_bytes, write_mpt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    r = _rng(rng)
    if small:
        n_xrd, n_nmr = min(n_xrd, 8), min(n_nmr, 12)
    start = datetime(2025, 1, 15, 9, 0, 0)
    span_s = max(n_xrd * 100.0, n_nmr * 60.0) + 900.0          # the cell runs from 5 min before to after the series
    ec, ec_start = stripping_plating_ec(start=start - timedelta(minutes=5), rng=r, n_levels=5,
                                        hours_per_level=span_s / 3600.0 / 5, half_cycle_s=min(900.0, span_s / 20),
                                        dt_s=min(10.0, span_s / 2000))
    (out / "echem").mkdir(exist_ok=True)
    write_mpt(out / "echem" / "cell.mpt", ec, "CP", start=ec_start)
    xs = xrd_series(n_xrd, drift_angstrom=0.0005, rng=r, start=start)
    wx = write_xrd_series(out / "xrd", xs)
    ns = nmr_series(n_nmr, rng=r, start=start)
    write_bruker_series(out / "nmr" / "1", ns)
    # lab patterns (Fig. 1d): ordered and disordered Li2NH, Mo Kα1
    (out / "lab").mkdir(exist_ok=True)
    x = np.arange(4.0, 40.0, 0.01)
    a_true = 10.0912
    for name, cr in (("li2nh_ordered", structure("Li2NH-Fd-3m").with_a(a_true)),
                     ("li2nh_disordered", structure("Li2NH-Fm-3m").with_a(a_true / 2))):
        y, _, e = xrd_pattern([cr], x, MO_KA1_M, fwhm_uvw=(0.0, 0.0, 0.0025), peak_counts=3e4, rng=r)
        write_xye(out / "lab" / f"{name}.xye", x, y, e, header=f"Wavelength: {MO_KA1_M:.6e} m\nanode Mo, K-alpha1 (monochromated)\n2th_deg I sigma")
    manifest = (
        "description: simulated Li|Li2NH|Li operando data (sselab.simulate.structure)\n"
        "electrochem: {file: echem/cell.mpt}\n"
        "xrd: {files: xrd, log: xrd/log.csv}\n"
        f"nmr: {{files: nmr/1, start_time: '{start.isoformat()}', row_period_s: {float(ns.params['period_s'])}}}\n")
    _atomic_write_bytes(out / "operando.yaml", manifest.encode())
    regions = {"Li metal": (200.0, 320.0), "Li2NH": (-60.0, 60.0)}
    truth = {
        "xrd": {"wavelength_m": xs.wavelength_m, "a_angstrom": xs.a_li2nh_angstrom, "phase": xs.phase_key,
                "time_s": xs.time_s, "start": start, "li_scale": xs.li_scale},
        "nmr": {"time_s": ns.time_s, "start": start,
                "integrals": {k: ns.region_truth(*v) for k, v in regions.items()}, "regions_ppm": regions,
                "broad_shift_ppm": ns.components[1]["shift_ppm"]},
        "lab": {"wavelength_m": MO_KA1_M, "a_ordered_angstrom": a_true, "a_disordered_angstrom": a_true / 2},
        "echem": {"start": ec_start},
    }
    _atomic_write_bytes(out / "truth.json", json.dumps(jsonable(truth), indent=1).encode())
    return {**truth, "paths": {"root": out, "xrd": wx["files"], "log": wx["log"], "nmr": out / "nmr" / "1",
                               "echem": out / "echem" / "cell.mpt", "manifest": out / "operando.yaml"}}
