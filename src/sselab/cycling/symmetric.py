"""Li|SSE|Li stripping/plating ladders: per-half-cycle overpotential and resistance, ladder summary, shorts, CCD.

Short-circuit criteria (each detection states which ones it met):

* the reference for half cycle *i* is built from the ``window`` preceding half cycles *k*: each contributes the
  lower bound ``|η_k| · min(1, |j_i|/|j_k|)`` (the overpotential of a healthy cell never falls when the current
  density rises, and falls at most proportionally when it is lowered), and the reference is their median;
  ``ratio_i = |η_i| / reference`` is ≈ 1 for a healthy cell (slow drift) and ≪ 1 after a short;
* the *natural drift* scale is the robust scatter ``σ = 1.4826 · MAD(log ratio)`` over the whole record;
* **hard short**: ``ratio < 1/hard_factor`` and below ``exp(-drift_sigmas · σ)`` (a drop ≫ natural drift), and it
  persists (≥ 80 % of the following ``persist`` half cycles stay below ``1/soft_factor`` of the pre-onset
  level).  Reported with the supporting evidence: flat (ohmic) profile, sign following the current, |η|
  independent of direction;
* **soft short**: a drop that recovers — either a whole half cycle with ``ratio < 1/soft_factor`` (and ≫ drift)
  that is back above it within ``persist`` half cycles, or a sudden sample-to-sample fall of |η| by more than
  ``drop_fraction`` of the half cycle's mean (and > ``drift_sigmas`` × potential noise) inside a half cycle that
  does not start a hard short; flattened profiles are noted as supporting evidence;
* the first two half cycles have no reference and cannot be judged;
* **critical current density**: the highest ladder current density whose step completed with no short onset
  (``ccd_on="any"``: hard or soft; the hard-only value is reported too).  With no short the CCD is a lower bound.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError
from ..results import Result
from ..units import FARADAY
from .segment import FROM_INTEGRATION, Segmentation, _f64, as_arrays, counter_charges, decimate_minmax, segment

__all__ = ["LadderStep", "ShortEvent", "SymmetricResult", "analyze_symmetric", "li_thickness_m",
           "LI_DENSITY_KG_PER_M3", "LI_MOLAR_MASS_KG_PER_MOL", "step_windows"]

LI_DENSITY_KG_PER_M3 = 534.0          # 0.534 g/cm³
LI_MOLAR_MASS_KG_PER_MOL = 6.941e-3   # 6.941 g/mol


def li_thickness_m(charge_C_per_m2):
    """Thickness of Li metal equivalent to an areal charge: ``q/F · M/ρ`` (1 mAh/cm² ≈ 4.85 µm)."""
    return np.asarray(charge_C_per_m2) / FARADAY * LI_MOLAR_MASS_KG_PER_MOL / LI_DENSITY_KG_PER_M3


@dataclass(frozen=True)
class LadderStep(Result):
    """One current-density step of the ladder (SI; resistance slopes per cycle and per hour)."""

    index: int
    current_density_A_per_m2: float
    first_cycle: int
    last_cycle: int
    n_cycles: int
    n_half_cycles: int
    t_start_s: float
    duration_s: float
    eta_median_V: float
    resistance_median_ohm_m2: float
    r_slope_ohm_m2_per_cycle: float
    r_slope_err_ohm_m2_per_cycle: float
    r_slope_ohm_m2_per_h: float
    r_slope_err_ohm_m2_per_h: float
    r_relative_change: float          # (last − first)/first of the fitted line over the step
    sustained: bool                   # completed with no short onset inside the step


@dataclass(frozen=True)
class ShortEvent(Result):
    """A detected short: ``kind`` 'hard' or 'soft', where it begins, and the reasons (criteria met)."""

    kind: str
    cycle: int
    half_cycle: int
    time_s: float
    step: int
    current_density_A_per_m2: float
    ratio: float                      # |η| / reference at onset
    n_half_cycles: int                # how many half cycles the event spans (to the end for a persistent short)
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SymmetricResult(Result):
    """Analysis of a symmetric Li|SSE|Li galvanostatic record (SI units; see module docstring for criteria)."""

    source: str
    area_m2: float
    # per half cycle (current-on segment) ------------------------------------------------------------------------
    cycle: np.ndarray
    step: np.ndarray
    t_start_s: np.ndarray
    duration_s: np.ndarray
    current_density_A_per_m2: np.ndarray       # signed
    capacity_C_per_m2: np.ndarray              # |areal charge| of the half cycle
    eta_mean_V: np.ndarray
    eta_end_V: np.ndarray
    eta_peak_V: np.ndarray
    resistance_ohm_m2: np.ndarray              # |η_mean| / |j|
    flatness: np.ndarray
    spike: np.ndarray
    drop_fraction: np.ndarray                  # largest sudden fall of |η| / mean |η|
    ratio: np.ndarray                          # |η| / reference (≈1 healthy, ≪1 shorted)
    # ladder and totals -----------------------------------------------------------------------------------------
    steps: tuple[LadderStep, ...]
    total_time_s: float
    n_cycles: int
    n_half_cycles: int
    cumulative_charge_C_per_m2: float
    li_thickness_equivalent_m: float
    # shorts ----------------------------------------------------------------------------------------------------
    shorts: tuple[ShortEvent, ...]
    drift_sigma_log: float
    ccd_A_per_m2: float | None
    ccd_hard_A_per_m2: float | None
    ccd_is_lower_bound: bool
    ccd_criterion: str
    # figure-ready arrays (decimated trace; not in to_dict) -----------------------------------------------------
    trace_t_s: np.ndarray = field(repr=False, default=None)
    trace_V: np.ndarray = field(repr=False, default=None)
    zoom: tuple = field(repr=False, default=())     # ((label, t_s, V), ...) raw data of a few cycles per window
    segmentation: Segmentation | None = field(repr=False, default=None)
    warnings: tuple[str, ...] = ()
    charge_source: str = FROM_INTEGRATION     # "instrument counters" or "integrated current" (capacity_C_per_m2)

    @property
    def hard_short(self) -> ShortEvent | None:
        hs = [s for s in self.shorts if s.kind == "hard"]
        return hs[0] if hs else None

    @property
    def soft_shorts(self) -> tuple[ShortEvent, ...]:
        return tuple(s for s in self.shorts if s.kind == "soft")

    @property
    def total_hours(self) -> float:
        return self.total_time_s / 3600.0

    def half_cycle_table(self):
        import pandas as pd

        names = ["cycle", "step", "t_start_s", "duration_s", "current_density_A_per_m2", "capacity_C_per_m2",
                 "eta_mean_V", "eta_end_V", "eta_peak_V", "resistance_ohm_m2", "flatness", "spike",
                 "drop_fraction", "ratio"]
        return pd.DataFrame({n: getattr(self, n) for n in names})

    def to_dict(self) -> dict:
        from ..results import jsonable

        skip = {"trace_t_s", "trace_V", "zoom", "segmentation"}
        d = {k: jsonable(getattr(self, k)) for k in self.__dataclass_fields__ if k not in skip}
        d["total_hours"] = self.total_hours
        d["hard_short"] = jsonable(self.hard_short)
        return d


# -------------------------------------------------------------------------------------------------------------

def _window_reference(eta_abs, j_abs, window):
    """Median over the previous ``window`` half cycles of ``|η_k| · min(1, j_i/j_k)`` (NaN without history)."""
    n = len(eta_abs)
    from numpy.lib.stride_tricks import sliding_window_view

    pad_e = np.concatenate((np.full(window, np.nan), eta_abs))
    pad_j = np.concatenate((np.full(window, np.nan), j_abs))
    we = sliding_window_view(pad_e, window)[:n]          # row i holds half cycles i-window .. i-1
    wj = sliding_window_view(pad_j, window)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = we * np.minimum(1.0, j_abs[:, None] / wj)
    have = np.isfinite(bound).sum(axis=1)
    ref = np.full(n, np.nan)
    ok = have >= 2
    if ok.any():
        import warnings as _w

        with _w.catch_warnings():
            _w.simplefilter("ignore", RuntimeWarning)
            ref[ok] = np.nanmedian(bound[ok], axis=1)
            jref = np.full(n, np.nan)
            jref[ok] = np.nanmedian(wj[ok], axis=1)
    else:
        jref = np.full(n, np.nan)
    return ref, jref


def _grouped_line(x, y, g, ng):
    """OLS slope and its standard error of ``y`` vs ``x`` per group ``g`` (vectorised with bincount)."""
    cnt = np.bincount(g, minlength=ng).astype(float)
    sx = np.bincount(g, x, ng)
    sy = np.bincount(g, y, ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / cnt, sy / cnt
        dx = x - mx[g]
        dy = y - my[g]
        sxx = np.bincount(g, dx * dx, ng)
        sxy = np.bincount(g, dx * dy, ng)
        slope = sxy / sxx
        intercept = my - slope * mx
        resid = dy - slope[g] * dx
        sse = np.bincount(g, resid * resid, ng)
        err = np.sqrt(sse / (cnt - 2) / sxx)
    slope = np.where((cnt >= 2) & (sxx > 0), slope, np.nan)
    err = np.where((cnt >= 3) & (sxx > 0), err, np.nan)
    return slope, err, intercept


def analyze_symmetric(record, *, area_m2: float, ocv_V: float = 0.0, window: int = 4, hard_factor: float = 5.0,
                      soft_factor: float = 2.0, drift_sigmas: float = 8.0, persist: int = 10,
                      drop_fraction: float = 0.3, step_tolerance: float = 0.1, ccd_on: str = "any",
                      trace_points: int = 4000, segmentation: Segmentation | None = None, charge: str = "auto",
                      **segment_kw) -> SymmetricResult:
    """Analyse a Li|SSE|Li galvanostatic record (Measurement, DataFrame, ``(t, V, I)``).

    ``area_m2`` is the electrode area.  Thresholds are described in the module docstring; defaults suit a
    15 min / 10 s-rest ladder as in the Li2NH paper.  ``charge``: where the half-cycle charges (capacities,
    cumulative charge, Li thickness) come from — ``"auto"`` (the instrument's counters for cycler files, else the
    integrated current), ``"counters"`` or ``"integrated"`` (:func:`sselab.cycling.segment.counter_charges`);
    ``result.charge_source`` says which was used.
    """
    if not (area_m2 and area_m2 > 0):
        raise AnalysisError("electrode area must be positive (give --area or --diameter)")
    if ccd_on not in ("any", "hard"):
        raise AnalysisError(f"ccd_on must be 'any' or 'hard', not {ccd_on!r}")
    notes: list[str] = []
    t, v, cur, name = as_arrays(record, notes=notes)
    if segmentation is None:
        segmentation = segment(t, v, cur, ocv_V=ocv_V, name=name, **{"split_steps": False, **segment_kw})
    seg = segmentation
    on = np.flatnonzero(seg.kind != 0)
    if len(on) < 2:
        raise AnalysisError(f"{name}: fewer than two half cycles with current — not a stripping/plating record")
    kind = seg.kind[on].astype(int)
    j = seg.current_A[on] / area_m2
    ja = np.abs(j)
    fin_t = np.isfinite(t)
    t0 = float(t[int(np.argmax(fin_t))]) if fin_t.any() else 0.0
    del fin_t
    t_start = seg.t_start_s[on] - t0
    dur = seg.duration_s[on]
    q_seg, charge_source = counter_charges(record, seg, charge=charge, notes=notes)
    cap = np.abs(q_seg[on]) / area_m2
    eta = seg.eta_mean_V[on]
    eta_abs = np.abs(eta)
    res = eta_abs / ja
    flat = seg.flatness[on]
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_rel = np.where(eta_abs > 0, seg.max_drop_V[on] / eta_abs, 0.0)

    # cycles: a new cycle starts with each half cycle in the direction of the first one
    cyc = np.cumsum(kind == kind[0])
    # ladder steps: a new step where |j| changes by more than step_tolerance
    chg = np.abs(np.diff(ja)) > step_tolerance * np.maximum(ja[1:], ja[:-1])
    stp = np.concatenate(([0], np.cumsum(chg)))
    nstep = int(stp[-1]) + 1

    # --- ratio to the reference and drift scale ----------------------------------------------------------------
    ref, jref = _window_reference(eta_abs, ja, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.isfinite(ref) & (ref > 0), eta_abs / ref, 1.0)
    lr = np.log(np.clip(ratio, 1e-12, None))
    sigma = float(1.4826 * np.median(np.abs(lr - np.median(lr))))
    sigma = max(sigma, 1e-3)
    hard_thr = min(1.0 / hard_factor, float(np.exp(-drift_sigmas * sigma)))
    soft_thr = min(1.0 / soft_factor, float(np.exp(-drift_sigmas * sigma)))
    noise_v = seg.potential_noise_V

    def fwd_ratio(i, k_end):
        """|η_k| against the fixed pre-onset reference of half cycle i, for k in i..k_end-1."""
        ks = np.arange(i, k_end)
        with np.errstate(invalid="ignore", divide="ignore"):
            return eta_abs[ks] / (ref[i] * np.minimum(1.0, ja[ks] / jref[i]))

    shorts: list[ShortEvent] = []
    nh = len(on)
    hard_start = nh
    cand = np.flatnonzero(ratio < hard_thr)
    for i in cand:
        end = min(nh, i + 1 + persist)
        fr = fwd_ratio(i, end)
        if np.mean(fr < soft_thr) >= 0.8:
            onset = i
            # a sudden unrecovered drop inside the previous half cycle is the true beginning
            if i > 0 and drop_rel[i - 1] > drop_fraction and not seg.drop_recovered[on[i - 1]] \
                    and seg.max_drop_V[on[i - 1]] > drift_sigmas * noise_v:
                onset = i - 1
            hard_start = onset
            sl = slice(i, nh)
            r_pos = np.median(res[sl][kind[sl] > 0]) if (kind[sl] > 0).any() else np.nan
            r_neg = np.median(res[sl][kind[sl] < 0]) if (kind[sl] < 0).any() else np.nan
            asym = abs(r_pos - r_neg) / (r_pos + r_neg) if np.isfinite(r_pos + r_neg) else np.nan
            sign_share = float(np.mean(np.sign(eta[sl]) == kind[sl]))
            sign_ok = sign_share >= 0.9
            std_in = float(np.median((1 - flat[sl]) * eta_abs[sl]))
            recovered_later = bool(np.any(fwd_ratio(i, nh) > soft_thr * 1.0)) and nh - i > persist
            reasons = [
                f"|η| collapsed to {ratio[i]:.3g}× the preceding level ({eta_abs[i] * 1e3:.3g} mV at "
                f"{ja[i] * 0.1:.4g} mA/cm², reference {ref[i] * 1e3:.3g} mV) — threshold {hard_thr:.3g}; "
                f"natural drift scatter is only {sigma:.2g} in log ratio",
                f"stays collapsed: {np.mean(fr < soft_thr) * 100:.0f}% of the next {end - i} half cycles below "
                f"{soft_thr:.2g}× the pre-onset level" + (" (partial recovery later)" if recovered_later else ""),
                f"apparent resistance {np.median(res[sl]) * 1e4:.3g} Ω cm² vs {ref[i] / jref[i] * 1e4:.3g} Ω cm² "
                f"before",
                f"flat (ohmic) profile: scatter of |η| within half cycles {std_in * 1e3:.3g} mV "
                f"(noise {noise_v * 1e3:.2g} mV), flatness {np.median(flat[sl]):.3f}",
            ]
            if np.isfinite(asym):
                reasons.append(f"independent of direction: |R+ − R−|/(R+ + R−) = {asym:.2g}")
            reasons.append(f"sign of η follows the current in {sign_share:.0%} of half cycles"
                           + ("" if sign_ok else " (|η| is at the noise level)"))
            if onset != i:
                reasons.append(f"began with a sudden unrecovered drop inside half cycle {onset}")
            k = on[onset]
            tt = float(seg.drop_time_s[k] - t0) if onset != i else float(t_start[i])
            shorts.append(ShortEvent("hard", int(cyc[onset]), int(onset), tt, int(stp[onset]),
                                     float(ja[onset]), float(ratio[i]), int(nh - onset), tuple(reasons)))
            break

    # --- soft shorts: drops that recover (before any hard short) --------------------------------------------------
    idx = np.arange(nh)
    whole = (ratio < soft_thr) & (idx < hard_start)
    sudden = (drop_rel > drop_fraction) & (seg.max_drop_V[on] > drift_sigmas * noise_v) & (idx < hard_start)
    ev = np.flatnonzero(whole | sudden)
    flat_ref = float(np.median(flat))
    k_ev = 0
    while k_ev < len(ev):
        i = int(ev[k_ev])
        limit = hard_start
        # how long does the event last?  |η| against the fixed pre-onset reference until it is back above
        # soft_thr for two consecutive half cycles (sudden in-cycle drops that recovered end right away)
        if whole[i] and np.isfinite(ref[i]) and np.isfinite(jref[i]):
            fr = fwd_ratio(i, limit)
            back = (fr >= soft_thr)
            back2 = np.flatnonzero(back[:-1] & back[1:]) if len(back) > 1 else np.array([], int)
            last = i + int(back2[0]) - 1 if len(back2) else limit - 1
            last = max(last, i)
            persistent = not len(back2)
        else:
            last, persistent = i, False
        # absorb further detections that fall inside (or right after) this event
        while k_ev + 1 < len(ev) and ev[k_ev + 1] <= last + 2:
            k_ev += 1
            last = max(last, int(ev[k_ev]))
        k_ev += 1
        g = np.arange(i, last + 1)
        gw, gs = g[whole[g]], g[sudden[g]]
        reasons = []
        if len(gw):
            reasons.append(f"|η| fell to {ratio[gw].min():.3g}× the preceding level (threshold {soft_thr:.3g}; "
                           f"drift scatter {sigma:.2g} in log ratio) — not the ≪{hard_thr:.2g}× of a hard short")
        if len(gs):
            reasons.append(f"sudden drop of |η| by {drop_rel[gs].max() * 100:.0f}% of its mean inside "
                           f"{len(gs)} half cycle(s) ({seg.max_drop_V[on[gs]].max() * 1e3:.3g} mV vs noise "
                           f"{noise_v * 1e3:.2g} mV)")
        if persistent:
            reasons.append(f"partial: |η| stays below {soft_thr:.2g}× the pre-onset level for the remaining "
                           f"{limit - i} half cycles (persistent soft short / electronic leak)")
        elif last == i and len(gs) and seg.drop_recovered[on[i]]:
            reasons.append("recovers within the same half cycle")
        else:
            reasons.append(f"recovers after {last - i + 1} half cycle(s)")
        if np.median(flat[g]) > flat_ref + 0.5 * (1 - flat_ref):
            reasons.append(f"flattened profile (flatness {np.median(flat[g]):.3f} vs typical {flat_ref:.3f})")
        if len(gs) and gs[0] == i:
            tt = float(seg.drop_time_s[on[i]] - t0)
        else:
            tt = float(t_start[i])
        shorts.append(ShortEvent("soft", int(cyc[i]), i, tt, int(stp[i]), float(ja[i]),
                                 float(ratio[g].min()), int(len(g)), tuple(reasons)))
    shorts.sort(key=lambda s: s.half_cycle)

    # --- ladder steps --------------------------------------------------------------------------------------------
    hours = (t_start + dur / 2) / 3600.0
    s_c, e_c, _ = _grouped_line(cyc.astype(float), res, stp, nstep)
    s_h, e_h, _ = _grouped_line(hours, res, stp, nstep)
    onset_steps_any = {s.step for s in shorts}
    onset_steps_hard = {s.step for s in shorts if s.kind == "hard"}
    steps = []
    for s in range(nstep):
        m = stp == s
        ii = np.flatnonzero(m)
        c0, c1 = int(cyc[ii[0]]), int(cyc[ii[-1]])
        first_h, last_h = hours[ii[0]], hours[ii[-1]]
        rmed = float(np.median(res[m]))
        rel = float(s_h[s] * (last_h - first_h) / rmed) if np.isfinite(s_h[s]) and rmed > 0 else 0.0
        ts = float(t_start[ii[0]])
        te = float(t_start[ii[-1]] + dur[ii[-1]])
        sustained = s not in onset_steps_any and not (ii[0] >= hard_start)
        steps.append(LadderStep(
            index=s, current_density_A_per_m2=float(np.median(ja[m])), first_cycle=c0, last_cycle=c1,
            n_cycles=c1 - c0 + 1, n_half_cycles=int(m.sum()), t_start_s=ts, duration_s=te - ts,
            eta_median_V=float(np.median(eta_abs[m])), resistance_median_ohm_m2=rmed,
            r_slope_ohm_m2_per_cycle=float(s_c[s]), r_slope_err_ohm_m2_per_cycle=float(e_c[s]),
            r_slope_ohm_m2_per_h=float(s_h[s]), r_slope_err_ohm_m2_per_h=float(e_h[s]),
            r_relative_change=rel, sustained=bool(sustained)))

    def _ccd(bad_steps):
        first_bad = min(bad_steps) if bad_steps else None
        ok = [st for st in steps if first_bad is None or st.index < first_bad]
        if not ok:
            return None, first_bad is None
        return max(st.current_density_A_per_m2 for st in ok), first_bad is None

    ccd_any, lb_any = _ccd(onset_steps_any)
    ccd_hard, lb_hard = _ccd(onset_steps_hard)
    ccd = ccd_any if ccd_on == "any" else ccd_hard
    lower = lb_any if ccd_on == "any" else lb_hard
    what = "a hard or soft short" if ccd_on == "any" else "a hard short"
    crit = (f"CCD = highest current density of a ladder step completed before the first step in which {what} "
            f"begins (hard: |η| < {hard_thr:.2g}× reference and persistent; soft: |η| < {soft_thr:.2g}× reference "
            f"or a sudden drop > {drop_fraction:.0%} that recovers)")
    if lower:
        crit += "; no short seen, so the CCD is a lower bound (highest step reached)"

    # --- totals and figure-ready arrays --------------------------------------------------------------------------
    total_q = float(cap.sum())
    n_cycles = int(cyc[-1])
    fin = np.isfinite(t)
    fin &= np.isfinite(v)
    fin &= np.isfinite(cur)
    if not fin.all():                       # the same rows segment() dropped, so its row indices still apply
        t, v = t[fin], v[fin]
    del fin, cur
    if len(t) > 1 and (t[1:] < t[:-1]).any():
        dtt = np.diff(_f64(t))              # stitch clock restarts as segment() does
        dtt[dtt < 0] = np.median(dtt[dtt > 0]) if (dtt > 0).any() else 1.0
        t = t[0] + np.concatenate(([0.0], np.cumsum(dtt)))
    x = np.subtract(t, t0, dtype=np.float64)   # one float64 row array: time since the first row
    del t
    tt, vv = decimate_minmax(x, v, trace_points)
    zoom = _zoom_windows(x, v, seg, on, stp, steps)
    del x
    warnings = notes + list(seg.warnings)
    if len(on) and seg.duration_s[on[-1]] < 0.5 * np.median(dur):
        warnings.append("the last half cycle is shorter than half the typical one (record ends mid half cycle)")
    return SymmetricResult(
        source=name, area_m2=float(area_m2), cycle=cyc.astype(np.int64), step=stp.astype(np.int64),
        t_start_s=t_start, duration_s=dur, current_density_A_per_m2=j, capacity_C_per_m2=cap, eta_mean_V=eta,
        eta_end_V=seg.eta_end_V[on], eta_peak_V=seg.eta_peak_V[on], resistance_ohm_m2=res, flatness=flat,
        spike=seg.spike[on], drop_fraction=drop_rel, ratio=ratio, steps=tuple(steps),
        total_time_s=float(seg.t_total_s), n_cycles=n_cycles, n_half_cycles=int(nh),
        cumulative_charge_C_per_m2=total_q, li_thickness_equivalent_m=float(li_thickness_m(total_q)),
        shorts=tuple(shorts), drift_sigma_log=sigma, ccd_A_per_m2=ccd, ccd_hard_A_per_m2=ccd_hard,
        ccd_is_lower_bound=bool(lower), ccd_criterion=crit, trace_t_s=tt, trace_V=vv, zoom=tuple(zoom),
        segmentation=seg, warnings=tuple(warnings), charge_source=charge_source)


def _zoom_windows(t, v, seg, on, stp, steps, n_cycles=3, max_points=3000):
    """Raw data of ``n_cycles`` cycles from the middle of the second and of the last-but-one step (Fig. 3a inset)."""
    if len(t) != seg.n_rows or not steps:
        return []
    picks = sorted({min(1, len(steps) - 1), max(len(steps) - 2, 0)})
    return step_windows(t, v, seg, on, stp, steps, picks, n_cycles, max_points)


def step_windows(t, v, seg, on, stp, steps, picks, n_cycles, max_points):
    """``[(label, t_s, V), …]``: raw data of ``n_cycles`` cycles from the middle of each picked ladder step, thinned
    to about ``max_points`` points (min/max kept); ``on`` = the current-carrying segments, ``stp`` their step."""
    out = []
    for s in picks:
        ii = np.flatnonzero(stp == s)
        if not ii.size:
            continue
        mid = ii[len(ii) // 2]
        a = on[mid]
        b = on[min(mid + 2 * n_cycles - 1, len(on) - 1)]
        r0, r1 = int(seg.start[a]), int(seg.stop[min(b + 1, seg.n_segments - 1)])
        tt, vv = decimate_minmax(t[r0:r1], v[r0:r1], max_points // 2)
        out.append((f"{steps[s].current_density_A_per_m2 * 100:.3g} µA/cm²", tt, vv))
    return out
