"""Operando alignment: pattern/spectrum series and an electrochemistry record on one absolute time axis, peak
tracking over the series, and statements with evidence.

* :func:`ec_trace` — the electrochemistry record as absolute-time arrays (start_time + time_s + offset), with the
  cumulative charge;
* :func:`align` — each series member's time on the common axis, and the cell's potential, current and cumulative
  charge at that time (interpolated; NaN outside the record);
* :func:`track_series` — batched pseudo-Voigt fits of chosen peaks in every member (position, area, width);
* :func:`lattice_series` — a cubic cell edge per member from several tracked reflections (zero shift held);
* :func:`lattice_statement`, :func:`growth_statement` — one-line statements with their numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from ..fmt import fmt_pm

from ..errors import AnalysisError
from ..results import Result
from .peaks import PVFit, fit_pv_batch, windows

__all__ = ["ECTrace", "ec_trace", "Aligned", "align", "track_series", "lattice_series", "LatticeSeries",
           "lattice_statement", "growth_statement", "Statement"]


@dataclass(frozen=True)
class ECTrace(Result):
    t0: datetime
    time_s: np.ndarray               # from t0
    potential_V: np.ndarray
    current_A: np.ndarray
    charge_C: np.ndarray             # cumulative ∫ I dt (signed)
    throughput_C: np.ndarray         # cumulative ∫ |I| dt


def ec_trace(meas, offset_s: float = 0.0, start: datetime | None = None) -> ECTrace:
    """Absolute-time electrochemistry from a Measurement with ``time_s`` (and ``potential_V``/``current_A``) and
    a ``start_time`` (or ``start``); ``offset_s`` is added to that clock."""
    t0 = start or meas.start_time
    if t0 is None:
        raise AnalysisError(f"{meas.name}: the electrochemistry file records no start time; give one in the "
                            f"manifest (electrochem: {{start_time: ...}})")
    if t0.tzinfo is not None:
        from datetime import timezone

        t0 = t0.astimezone(timezone.utc).replace(tzinfo=None)
    t = meas.column("time_s")
    v = meas.column("potential_V") if meas.has("potential_V") else np.full(len(t), np.nan)
    i = meas.column("current_A") if meas.has("current_A") else np.full(len(t), np.nan)
    o = np.argsort(t, kind="stable")
    t, v, i = t[o], v[o], i[o]
    ii = np.nan_to_num(i)
    dt = np.diff(t, prepend=t[0])
    q = np.cumsum(0.5 * (ii + np.concatenate([[ii[0]], ii[:-1]])) * dt)
    qa = np.cumsum(0.5 * (np.abs(ii) + np.abs(np.concatenate([[ii[0]], ii[:-1]]))) * dt)
    return ECTrace(t0 + timedelta(seconds=float(offset_s)), t, v, i, q, qa)


@dataclass(frozen=True)
class Aligned(Result):
    """Series members and the electrochemistry on one time axis: seconds from ``t0`` (the earlier start)."""

    t0: datetime
    member_time_s: np.ndarray
    potential_V: np.ndarray          # at each member time
    current_A: np.ndarray
    charge_C: np.ndarray
    throughput_C: np.ndarray
    ec_time_s: np.ndarray            # the full electrochemistry trace on the same axis
    ec_potential_V: np.ndarray
    ec_current_A: np.ndarray
    outside: int                     # members outside the electrochemistry record


def align(series, ec: ECTrace | None) -> Aligned:
    """Put ``series`` (an :class:`sselab.io.structure_series.Series` with ``t0``) and ``ec`` on one axis."""
    if ec is None:
        t0 = series.t0 or datetime(1970, 1, 1)
        nan = np.full(len(series), np.nan)
        return Aligned(t0, np.asarray(series.time_s, float), nan, nan, nan, nan, np.zeros(0), np.zeros(0), np.zeros(0), 0)
    if series.t0 is None:
        raise AnalysisError("the series has no absolute start time: give times (log, manifest) to align it with "
                            "the electrochemistry")
    t0 = min(series.t0, ec.t0)
    ts = np.asarray(series.time_s, float) + (series.t0 - t0).total_seconds()
    te = ec.time_s + (ec.t0 - t0).total_seconds()

    def at(v):
        out = np.interp(ts, te, v, left=np.nan, right=np.nan)
        return out

    out = int(np.sum((ts < te[0]) | (ts > te[-1])))
    return Aligned(t0, ts, at(ec.potential_V), at(np.nan_to_num(ec.current_A)), at(ec.charge_C), at(ec.throughput_C),
                   te, ec.potential_V, ec.current_A, out)


def track_series(x, Y, centers, half_width, *, sigma=None, fwhm0=None, eta=None, ka2=None) -> list[PVFit]:
    """Fit every peak in ``centers`` in every row of ``Y`` (n × m) at once; one :class:`PVFit` per centre
    (arrays over rows).  Windows ± ``half_width`` (x units, scalar or per centre)."""
    x = np.asarray(x, float)
    Y = np.atleast_2d(np.asarray(Y, float))
    n = len(Y)
    centers = np.atleast_1d(np.asarray(centers, float))
    hw = np.broadcast_to(np.asarray(half_width, float), centers.shape)
    step = float(np.median(np.abs(np.diff(x))))
    out = []
    Xs, Ys, Ss, P0, sizes = [], [], [], [], []
    for c, h in zip(centers, hw):
        lo, hi = windows(x, [c], h)
        lo, hi = int(lo[0]), int(hi[0])
        if hi - lo < 8:
            raise AnalysisError(f"peak at {c:.4g}: fewer than 8 points in its window")
        xs = x[lo:hi]
        ys = Y[:, lo:hi]
        base = np.median(np.column_stack([ys[:, :3], ys[:, -3:]]), axis=1)
        top = ys.max(axis=1)
        w0 = fwhm0 if fwhm0 is not None else 5 * step
        p0 = np.column_stack([np.maximum(top - base, 1e-12) * w0 * 1.2, np.full(n, c), np.full(n, w0),
                              np.full(n, 0.5 if eta is None else eta), base, np.zeros(n)])
        Xs.append(xs)
        Ys.append(ys)
        Ss.append(None if sigma is None else np.asarray(sigma, float)[:, lo:hi])
        P0.append(p0)
        sizes.append(hi - lo)
    # one batch: pad windows to the longest
    L = max(sizes)
    nb = len(centers) * n
    X = np.zeros((nb, L))
    YY = np.zeros((nb, L))
    M = np.zeros((nb, L), bool)
    S = np.ones((nb, L)) if sigma is not None else None
    for k in range(len(centers)):
        sl = slice(k * n, (k + 1) * n)
        s = sizes[k]
        X[sl, :s] = Xs[k]
        X[sl, s:] = Xs[k][-1]
        YY[sl, :s] = Ys[k]
        M[sl, :s] = True
        if S is not None:
            S[sl, :s] = Ss[k]
    fit = fit_pv_batch(X, YY, np.vstack(P0), sigma=S, mask=M, ka2=ka2, fix_eta=eta)
    for k in range(len(centers)):
        sl = slice(k * n, (k + 1) * n)
        out.append(PVFit(*(getattr(fit, f)[sl] for f in PVFit.__dataclass_fields__)))
    return out


@dataclass(frozen=True)
class LatticeSeries(Result):
    a_angstrom: np.ndarray
    a_err_angstrom: np.ndarray
    hkl: tuple
    zero_deg: float


def lattice_series(fits: list[PVFit], hkl, wavelength_m: float, zero_deg: float = 0.0) -> LatticeSeries:
    """Cubic a per row from the tracked reflections ``hkl`` (one fit per reflection): weighted least squares
    of 2θ = 2·asin(λ√N / 2a) + zero (zero held), vectorised Gauss–Newton; errors scaled by √χ²_red (≥ 1)."""
    lam = wavelength_m * 1e10
    N = np.array([sum(v * v for v in h) for h in hkl], float)
    s = np.sqrt(N)
    tt = np.column_stack([f.center for f in fits]) - zero_deg           # (n, k)
    sig = np.column_stack([f.center_err for f in fits])
    good = np.isfinite(tt) & np.isfinite(sig) & (sig > 0)
    w = np.where(good, 1.0 / np.where(good, sig, 1.0) ** 2, 0.0)
    a = np.nanmedian(np.where(good, lam * s / (2 * np.sin(np.radians(np.where(good, tt, 1.0)) / 2)), np.nan), axis=1)
    for _ in range(20):
        arg = np.clip(lam * s[None, :] / (2 * a[:, None]), 0, 0.999999)
        model = 2 * np.degrees(np.arcsin(arg))
        J = -2 * np.degrees(arg / np.sqrt(1 - arg ** 2)) / a[:, None]
        r = np.where(good, tt - model, 0.0)
        step = np.sum(w * J * r, axis=1) / np.maximum(np.sum(w * J * J, axis=1), 1e-300)
        a = a + step
        if np.all(np.abs(step) < 1e-12 * a):
            break
    arg = np.clip(lam * s[None, :] / (2 * a[:, None]), 0, 0.999999)
    model = 2 * np.degrees(np.arcsin(arg))
    J = -2 * np.degrees(arg / np.sqrt(1 - arg ** 2)) / a[:, None]
    r = np.where(good, tt - model, 0.0)
    ng = good.sum(axis=1)
    chi2 = np.sum(w * r * r, axis=1) / np.maximum(ng - 1, 1)
    err = np.sqrt(1.0 / np.maximum(np.sum(w * J * J, axis=1), 1e-300) * np.maximum(chi2, 1.0))
    return LatticeSeries(a, err, tuple(tuple(h) for h in hkl), zero_deg)


@dataclass(frozen=True)
class Statement(Result):
    """An automatic statement: stable ``code``, one-line ``text`` and the numbers behind it."""

    code: str
    text: str
    evidence: dict


def lattice_statement(time_s, a, a_err, *, phase: str = "Li2NH") -> Statement:
    """"The lattice parameter changed by less than x over the run": x = (max − min) + 2·median error (an upper
    bound at ~95 %), with the linear drift (Å/h) and its error."""
    t = np.asarray(time_s, float)
    a = np.asarray(a, float)
    e = np.asarray(a_err, float)
    ok = np.isfinite(a) & np.isfinite(e)
    t, a, e = t[ok], a[ok], e[ok]
    if len(a) < 2:
        raise AnalysisError("a lattice statement needs ≥ 2 patterns with a fitted cell")
    span = float(a.max() - a.min())
    bound = span + 2.0 * float(np.median(e))
    w = 1 / e ** 2
    th = (t - t.mean()) / 3600.0
    S, Sx, Sxx, Sy, Sxy = w.sum(), (w * th).sum(), (w * th * th).sum(), (w * a).sum(), (w * th * a).sum()
    den = S * Sxx - Sx * Sx
    slope = (S * Sxy - Sx * Sy) / den if den > 0 else float("nan")
    slope_err = float(np.sqrt(S / den)) if den > 0 else float("nan")
    hours = float((t.max() - t.min()) / 3600.0)
    text = (f"{phase} lattice parameter changed by < {bound:.2g} Å ({bound / np.mean(a) * 100:.3g} %) over "
            f"{hours:.3g} h ({len(a)} patterns); drift {'+' if slope >= 0 else ''}{fmt_pm(slope, slope_err)} Å/h")
    return Statement("lattice_stable", text, {"bound_angstrom": bound, "span_angstrom": span, "mean_angstrom": float(np.mean(a)),
                                              "drift_angstrom_per_h": float(slope), "drift_err_angstrom_per_h": slope_err,
                                              "duration_h": hours, "n_patterns": int(len(a))})


def growth_statement(time_s, values, errors, *, what: str = "Li-metal signal", t1: float | None = None,
                     t2: float | None = None) -> Statement:
    """"<what> grew by y % from t1 to t2" (y with its error; negative = fell), t1/t2 default first/last member;
    the minimum and its time are part of the evidence (the paper's initial drop then growth)."""
    t = np.asarray(time_s, float)
    v = np.asarray(values, float)
    e = np.asarray(errors, float)
    i1 = 0 if t1 is None else int(np.argmin(np.abs(t - t1)))
    i2 = len(t) - 1 if t2 is None else int(np.argmin(np.abs(t - t2)))
    if v[i1] == 0:
        raise AnalysisError(f"{what} is zero at t1: no relative change")
    y = (v[i2] / v[i1] - 1) * 100
    ye = abs(v[i2] / v[i1]) * np.sqrt((e[i1] / v[i1]) ** 2 + (e[i2] / v[i2]) ** 2) * 100
    k = int(np.nanargmin(v))
    verb = "grew" if y >= 0 else "fell"
    text = (f"{what} {verb} by {fmt_pm(abs(y), ye)} % from t = {t[i1] / 3600:.3g} h to {t[i2] / 3600:.3g} h"
            + (f" (minimum at {t[k] / 3600:.3g} h, {(v[k] / v[i1] - 1) * 100:+.3g} %)" if 0 < k < len(v) - 1 else ""))
    return Statement("signal_change", text, {"change_percent": float(y), "change_err_percent": float(ye),
                                             "t1_s": float(t[i1]), "t2_s": float(t[i2]), "min_time_s": float(t[k]),
                                             "min_change_percent": float((v[k] / v[i1] - 1) * 100)})
