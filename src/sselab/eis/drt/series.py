"""DRT of a temperature or time series in one call: shared grid and matrices, peaks tracked across the series,
Arrhenius per tracked process, and the DRT map.

Tracking: spectra are walked in temperature (or time, else input) order and each spectrum's peaks are matched to
the open tracks by minimum total cost (Hungarian assignment) with

    cost = |Δ log10 C| + 0.3 |Δ log10 τ|          (C = τ/R, gate: cost < 1)

against the track's last peak (a track may skip up to two spectra).  The capacitance of a process hardly changes
with temperature while its τ moves by decades, so C carries the identity (bulk ~pF, grain boundary ~nF,
electrode ~µF); τ breaks ties.  Peaks that match no track open a new one.

Arrhenius: for every track seen at ≥ 3 distinct temperatures (only the points whose apex lies inside the measured
band when at least 3 of them do: R of a process outside the window is extrapolated), σ_k = (L/A)/R_k (or
1/R_k in S·m⁻¹·(1 m) when the geometry is unknown — Ea is the same, the prefactor then has no meaning) is fitted with
:func:`sselab.transport.arrhenius.fit_arrhenius` (convention σT, weighted by the peaks' R errors when known).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...errors import AnalysisError
from ...results import Result
from .core import DRTResult, drt_many

__all__ = ["DRTSeries", "PeakTrack", "drt_series", "track_peaks"]

_GATE = 1.0
_MAX_GAP = 2


@dataclass(frozen=True, eq=False)
class PeakTrack(Result):
    """One process followed through the series: ``index`` = positions in the series (input order) where it was
    found; per-point arrays aligned with ``index``; ``arrhenius`` the fit (None with fewer than 3 temperatures)."""

    id: int
    name: str
    assignment: str
    index: np.ndarray
    tau_s: np.ndarray
    R_ohm: np.ndarray
    R_err_ohm: np.ndarray
    C_F: np.ndarray
    alpha: np.ndarray
    T_K: np.ndarray | None
    time_s: np.ndarray | None
    sigma_S_per_m: np.ndarray | None
    arrhenius: object = None
    note: str = ""

    @property
    def Ea_eV(self) -> float | None:
        return None if self.arrhenius is None else float(self.arrhenius.Ea_eV)

    @property
    def Ea_err_eV(self) -> float | None:
        return None if self.arrhenius is None else self.arrhenius.Ea_err_eV

    @property
    def C_median_F(self) -> float:
        return float(np.median(self.C_F))

    def to_dict(self) -> dict:
        from ...results import jsonable

        d = {k: getattr(self, k) for k in ("id", "name", "assignment", "index", "tau_s", "R_ohm", "R_err_ohm", "C_F",
                                            "alpha", "T_K", "time_s", "sigma_S_per_m", "note")}
        d["Ea_eV"] = self.Ea_eV
        d["Ea_err_eV"] = self.Ea_err_eV
        d["C_median_F"] = self.C_median_F
        return jsonable(d)


@dataclass(frozen=True, eq=False)
class DRTSeries(Result):
    """DRTs of a series.  ``results`` in input order; ``order`` the walk order (by temperature or time);
    ``gamma_map_ohm`` (spectra × τ) on the shared grid ``tau_s``; ``tracks`` the followed processes."""

    results: tuple
    labels: tuple
    T_K: np.ndarray | None
    time_s: np.ndarray | None
    axis: str
    order: np.ndarray
    tau_s: np.ndarray
    gamma_map_ohm: np.ndarray
    tracks: tuple
    flags: dict = field(default_factory=dict)

    def track(self, name: str) -> PeakTrack:
        for t in self.tracks:
            if t.name == name:
                return t
        raise KeyError(f"no track {name!r} (tracks: {', '.join(t.name for t in self.tracks)})")

    def to_dict(self) -> dict:
        from ...results import jsonable

        return jsonable({"labels": self.labels, "T_K": self.T_K, "time_s": self.time_s, "axis": self.axis,
                         "spectra": [r.to_dict() for r in self.results],
                         "tracks": [t.to_dict() for t in self.tracks], "flags": self.flags})


def _cost(a, b) -> float:
    """Tracking distance between two peaks (DRTPeak-like: tau_s, C_F)."""
    return abs(math.log10(a.C_F / b.C_F)) + 0.3 * abs(math.log10(a.tau_s / b.tau_s))


def track_peaks(results, order) -> list[list[tuple[int, int]]]:
    """Tracks as lists of (series index, peak index), walking ``order``."""
    from scipy.optimize import linear_sum_assignment

    tracks: list[list[tuple[int, int]]] = []
    last_seen: list[int] = []  # walk position of each track's last point
    for pos, s in enumerate(order):
        peaks = results[s].peaks
        open_ = [t for t in range(len(tracks)) if pos - last_seen[t] <= _MAX_GAP + 1]
        if peaks and open_:
            C = np.array([[_cost(results[tracks[t][-1][0]].peaks[tracks[t][-1][1]], p) for p in peaks]
                          for t in open_])
            rows, cols = linear_sum_assignment(np.where(C < _GATE, C, 1e6))
            used = set()
            for r, c in zip(rows, cols):
                if C[r, c] < _GATE:
                    t = open_[r]
                    tracks[t].append((s, c))
                    last_seen[t] = pos
                    used.add(c)
        else:
            used = set()
        for c in range(len(peaks)):
            if c not in used:
                tracks.append([(s, c)])
                last_seen.append(pos)
    return tracks


def drt_series(spectra, *, T_K=None, time_s=None, labels=None, cell=None, progress=None,
               min_points: int = 3, **options) -> DRTSeries:
    """DRTs of every spectrum ``[(f, Z), ...]`` of a series (options as :func:`sselab.eis.drt.drt`), the peaks
    tracked across it, Arrhenius per track (when ``T_K`` is given) and the DRT map.

    ``T_K``/``time_s``: one value per spectrum (None where unknown); ``min_points``: a track must hold at least
    this many spectra to be reported."""
    from ..derive import assign

    spectra = list(spectra)
    S = len(spectra)
    if S == 0:
        raise AnalysisError("DRT series: no spectra given")
    labels = tuple(labels) if labels is not None else tuple(f"spectrum {i + 1}" for i in range(S))
    T = _per_spectrum(T_K, S, "T_K")
    t = _per_spectrum(time_s, S, "time_s")
    results = drt_many(spectra, labels=labels, cell=cell, progress=progress, **options)
    if T is not None and np.all(np.isfinite(T)):
        axis, order = "temperature", np.argsort(T, kind="stable")
    elif t is not None and np.all(np.isfinite(t)):
        axis, order = "time", np.argsort(t, kind="stable")
    else:
        axis, order = "index", np.arange(S)
    raw_tracks = [tr for tr in track_peaks(results, order) if len(tr) >= min(min_points, S)]
    geo = None
    if cell is not None and getattr(cell, "thickness_m", None) and getattr(cell, "area_m2", None):
        geo = float(cell.geometric_factor_m)
    tracks = []
    flags = {}
    # names: the class of the median C·L/A; within a class the longest track gets the plain name
    classes = [assign(float(np.median([results[s].peaks[k].C_F for s, k in tr])), cell if geo else None)[0]
               for tr in raw_tracks]
    names = {}
    for cls in set(classes):
        members = sorted((i for i, c in enumerate(classes) if c == cls), key=lambda i: -len(raw_tracks[i]))
        for j, i in enumerate(members):
            names[i] = cls if j == 0 else f"{cls} #{j + 1}"
    ranked = sorted(range(len(raw_tracks)),
                    key=lambda i: np.median([results[s].peaks[k].tau_s for s, k in raw_tracks[i]]))
    for i in ranked:
        tr = raw_tracks[i]
        idx = np.array([s for s, _ in tr])
        pk = [results[s].peaks[k] for s, k in tr]
        tau = np.array([p.tau_s for p in pk])
        R = np.array([p.R_ohm for p in pk])
        Re = np.array([p.R_err_ohm if p.R_err_ohm is not None else np.nan for p in pk])
        C = np.array([p.C_F for p in pk])
        cls, name = classes[i], names[i]
        sig = geo / R if geo else None
        fit = None
        note = ""
        if T is not None:
            Tk = T[idx]
            ok = np.isfinite(Tk)
            inw = np.array([p.in_window for p in pk])
            if np.unique(np.round(Tk[ok & inw], 2)).size >= 3 and not inw[ok].all():
                note = (f"{int((ok & ~inw).sum())} point(s) with the apex outside the measured band left out of the "
                        "Arrhenius fit")
                ok = ok & inw
            if np.unique(np.round(Tk[ok], 2)).size >= 3:
                from ...transport.arrhenius import fit_arrhenius

                s_fit = (geo if geo else 1.0) / R[ok]
                err = s_fit * Re[ok] / R[ok]
                err = err if np.all(np.isfinite(err) & (err > 0)) else None
                try:
                    fit = fit_arrhenius(Tk[ok], s_fit, err)
                except AnalysisError as e:  # e.g. repeated temperatures that disagree: say so, keep the track
                    note = f"no Arrhenius fit: {e}"
                    fit = None
            else:
                note = "fewer than 3 temperatures: no Arrhenius fit"
        tracks.append(PeakTrack(id=len(tracks) + 1, name=name, assignment=cls, index=idx, tau_s=tau, R_ohm=R,
                                R_err_ohm=Re, C_F=C, alpha=np.array([p.alpha for p in pk]),
                                T_K=T[idx] if T is not None else None, time_s=t[idx] if t is not None else None,
                                sigma_S_per_m=sig, arrhenius=fit, note=note))
    n_peaks = np.array([r.n_peaks for r in results])
    if S > 1 and n_peaks.min() != n_peaks.max():
        flags["peak-count-varies"] = (f"the number of DRT peaks varies across the series ({n_peaks.min()}–"
                                      f"{n_peaks.max()}): processes enter or leave the measured window")
    tau = results[0].tau_s
    gmap = np.zeros((S, tau.size))
    for i, r in enumerate(results):
        gmap[i] = r.gamma_ohm if r.tau_s.size == tau.size else np.interp(np.log(tau), np.log(r.tau_s), r.gamma_ohm,
                                                                          left=0, right=0)
    return DRTSeries(results=tuple(results), labels=labels, T_K=T, time_s=t, axis=axis, order=order, tau_s=tau,
                     gamma_map_ohm=gmap, tracks=tuple(tracks), flags=flags)


def _per_spectrum(values, S, what):
    if values is None:
        return None
    a = np.array([np.nan if v is None else float(v) for v in values], float)
    if a.size != S:
        raise AnalysisError(f"DRT series: {a.size} values of {what} for {S} spectra")
    if not np.any(np.isfinite(a)):
        return None
    return a
