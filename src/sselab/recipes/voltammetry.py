"""Cyclic voltammetry recipe: Li stripping/plating charges per cycle, imbalance (% of the pellet's Li), stability
window, two-regime growth of the charge.

Decisions made here, once:

* **Stripping/plating window** −0.5 … +0.5 V vs Li (the primitive opens an edge at a vertex, so the samples of a
  scan turning round at −0.5 V all count).
* **Imbalance** (Σ plated − Σ stripped charge) on two bases: the plated Li, and — with the pellet's mass and
  formula — the Li in the pellet (the lithium-imide paper's stated basis).
* **Onsets** (current density beyond ±10 µA/cm² for 5 consecutive samples) are searched above the window, and an
  onset is only a potential where the current *rises through* the threshold: a current already beyond it where
  the search begins (the tail of Li stripping at the window edge) is never reported as an onset.
* **Reduction limit**: the cathodic current below 0 V vs Li is Li plating, so a scan reaching below 0 V cannot
  measure the reductive stability limit; the lower window limit is then *not measured* (flag
  ``reduction-limit-not-measured``) and is not scored.  Without a found onset the window extends to the scan
  limit, reported as a bound.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register
from ._common import finite, one_measurement, reader_flags, source_name, source_path

__all__ = ["cv", "STRIP_PLATE_WINDOW_V", "THRESHOLD_A_PER_M2", "N_CONSECUTIVE", "rising_onsets"]

STRIP_PLATE_WINDOW_V = (-0.5, 0.5)
THRESHOLD_A_PER_M2 = 0.1          # 10 µA/cm²
N_CONSECUTIVE = 5


def rising_onsets(potential_V, j_A_per_m2, sweeps, threshold: float, n: int, e_floor: float | None):
    """Per sweep ``(index, kind, onset_V or None)``: the first potential above ``e_floor`` where |j| rises through
    ``threshold`` (in the sweep's direction) and stays beyond it for ``n`` samples.  A run already beyond the
    threshold where the search region begins is skipped (it continues a current from below ``e_floor``)."""
    e = np.asarray(potential_V, float)
    j = np.asarray(j_A_per_m2, float)
    out = []
    for k, s in enumerate(sweeps):
        es, js = e[s.start:s.stop + 1], j[s.start:s.stop + 1]
        region = np.ones(es.size, bool) if e_floor is None else es > e_floor
        idx = np.flatnonzero(region)
        kind = "ox" if s.direction > 0 else "red"
        onset = None
        if idx.size:
            beyond = (js[idx] > threshold) if s.direction > 0 else (js[idx] < -threshold)
            below_seen = False
            run = 0
            for p, b in enumerate(beyond):
                if not b:
                    below_seen, run = True, 0
                    continue
                run += 1
                if below_seen and run >= n:
                    onset = float(es[idx[p - n + 1]])
                    break
        out.append((k, kind, onset))
    return out


def plot_cv_result(result: RecipeResult) -> list[FigureOut]:
    """Cycles overlaid (coloured by cycle) and the stripping/plating charge against cycle (Fig. 2a,b)."""
    from ..voltammetry import plot_charge_vs_cycle, plot_cv

    res = result.details
    if res is None:
        raise RecipeError(f"{result.subject}: the figure needs the analysis (run the recipe)")
    stem = _slug(result.subject)
    ref = result.options.get("reference", "Li/Li+")
    ref = "Li/Li$^+$" if ref == "Li/Li+" else ref
    out = [FigureOut(f"cv-{stem}", f"Cyclic voltammograms — {result.subject}", plot_cv(res, reference=ref),
                     "every cycle, coloured by cycle number; shaded: the stripping/plating window", "Fig. 2a")]
    if res.window_V is not None and (np.any(res.q_strip_C > 0) or np.any(res.q_plate_C > 0)):
        out.append(FigureOut(f"cv-charge-{stem}", f"Stripping / plating charge — {result.subject}",
                             plot_charge_vs_cycle(res), "charge per cycle with the two-regime fits", "Fig. 2b"))
    return out


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


@register("cv", techniques=("CV", "LSV"), cell_kinds=("li-blocking", "symmetric", "blocking", "unknown"),
          plot=plot_cv_result, title="Cyclic voltammetry", cli="sselab cv")
def cv(measurements, cell=None, *, window_V=STRIP_PLATE_WINDOW_V, threshold_A_per_m2=THRESHOLD_A_PER_M2,
       n_consecutive=N_CONSECUTIVE, reference="Li/Li+") -> RecipeResult:
    """A CV or LSV record → cycles, stripping/plating charge per cycle and its imbalance (% of the pellet's Li
    with pellet mass and formula), oxidative/reductive onsets and the stability window, two-regime growth.
    ``reference``: the reference electrode the potentials are against (named on the figure's axis)."""
    from ..voltammetry import analyze_cv, split_sweeps

    m = one_measurement(measurements, "cv")
    if window_V is not None:
        window_V = (float(min(window_V)), float(max(window_V)))
        if not window_V[1] > window_V[0]:
            raise RecipeError(f"stripping/plating window {window_V}: the upper bound must exceed the lower")
    if not threshold_A_per_m2 > 0:
        raise RecipeError(f"threshold must be positive, got {threshold_A_per_m2!r}")
    area = getattr(cell, "area_m2", None) if cell is not None else None
    formula = getattr(cell, "formula", None) if cell is not None else None
    res = analyze_cv(m, window_V=window_V, area_m2=area, threshold_A_per_m2=threshold_A_per_m2,
                     n_consecutive=n_consecutive, pellet_mass_kg=getattr(cell, "pellet_mass_kg", None),
                     formula=formula)
    where = source_name(m)
    flags = reader_flags([m]) + [Flag("analysis-note", w, "warning", where) for w in res.warnings]
    e_min, e_max = res.scan_range_V
    ox = red = None
    cyc_index = {int(k): n for n, k in enumerate(res.cycles)}
    ox_by, red_by = [None] * res.n_cycles, [None] * res.n_cycles
    if area is not None:
        sweeps = split_sweeps(res.potential_V, res.hysteresis_V)
        e_floor = window_V[1] if window_V is not None else None
        j = res.current_A / area
        for k, kind, onset in rising_onsets(res.potential_V, j, sweeps, threshold_A_per_m2, n_consecutive, e_floor):
            if onset is None:
                continue
            sw = sweeps[k]
            sel = slice(sw.start, sw.stop + 1)
            n = cyc_index[int(res.cycle_of_sample[sw.start + int(np.argmin(np.abs(res.potential_V[sel] - onset)))])]
            if kind == "ox":
                ox = onset if ox is None else min(ox, onset)
                ox_by[n] = onset if ox_by[n] is None else min(ox_by[n], onset)
            else:
                red = onset if red is None else max(red, onset)
                red_by[n] = onset if red_by[n] is None else max(red_by[n], onset)
        if res.ox_onset_V is not None and ox != res.ox_onset_V:
            flags.append(Flag("onset-at-window-edge", f"the current already exceeds the threshold where the onset "
                              f"search begins ({e_floor:g} V, the edge of the stripping/plating window): "
                              f"{res.ox_onset_V:.3g} V is not an onset" + (f"; the onset is at {ox:.3g} V" if ox
                                                                              else ""), "info", where))
        res = replace(res, ox_onset_V=ox, red_onset_V=red, ox_limit_found=ox is not None,
                      red_limit_found=red is not None, ox_onset_by_cycle=tuple(ox_by),
                      red_onset_by_cycle=tuple(red_by))
    else:
        flags.append(Flag("no-area", "no electrode area: no current densities, so no onsets or stability window",
                          "info", where))
    vals = [Value("n_cycles", int(res.n_cycles), "", label="cycles (vertex detection)"),
            Value("scan_min_V", e_min, "V", label="scan from"), Value("scan_max_V", e_max, "V", label="scan to")]
    if res.scan_rate_V_per_s:
        vals.append(Value("scan_rate_V_per_s", res.scan_rate_V_per_s, "V/s", label="scan rate", display_unit="mV/s"))
    has_charge = window_V is not None and bool(np.any(res.q_strip_C > 0) or np.any(res.q_plate_C > 0))
    if has_charge:
        vals += [Value("q_plate_total_C", res.total_plate_C, "C", label="Σ plating charge"),
                 Value("q_strip_total_C", res.total_strip_C, "C", label="Σ stripping charge"),
                 Value("imbalance_C", res.imbalance_C, "C", label="plated − stripped"),
                 Value("imbalance_mol_Li", res.imbalance_mol_Li, "mol", label="Li plated − stripped")]
        if res.total_plate_C > 0:
            vals.append(Value("imbalance_pct_of_plated", 100 * res.imbalance_C / res.total_plate_C, "%",
                              label="Li imbalance, % of the plated Li"))
        if res.imbalance_pct_of_pellet_Li is not None:
            vals.append(Value("imbalance_pct_of_pellet_Li", res.imbalance_pct_of_pellet_Li, "%",
                              label="Li imbalance, % of the pellet's Li"))
        else:
            flags.append(Flag("no-pellet-li", "no pellet mass and formula: the imbalance is not expressed as % of "
                              "the pellet's Li", "info", where))
        vals += [Value("q_plate_first_C", float(res.q_plate_C[0]), "C", label="Q plate, cycle 1"),
                 Value("q_plate_last_C", float(res.q_plate_C[-1]), "C", label=f"Q plate, cycle {res.n_cycles}")]
        ratio = np.asarray(res.strip_plate_ratio, float)
        if np.isfinite(ratio).any():
            vals.append(Value("strip_plate_ratio", float(np.nanmedian(ratio)), "", label="strip/plate (median)"))
        reg = res.plate_regimes
        if reg is not None:
            vals.append(Value("two_regimes", bool(reg.two_regimes), "", label="two growth regimes (BIC)"))
            if reg.two_regimes:
                vals += [Value("break_cycle", float(reg.x_break), "", label="regime break (plating), cycle"),
                         Value("plate_slope_1_C_per_cycle", reg.slope_1, "C", finite(reg.slope_1_se),
                               "plating charge growth, regime 1 (per cycle)"),
                         Value("plate_slope_2_C_per_cycle", reg.slope_2, "C", finite(reg.slope_2_se),
                               "plating charge growth, regime 2 (per cycle)")]
        sreg = res.strip_regimes
        if sreg is not None and sreg.two_regimes:
            vals.append(Value("strip_break_cycle", float(sreg.x_break), "", label="regime break (stripping), cycle"))
    elif window_V is not None:
        flags.append(Flag("no-strip-plate-charge", f"no current inside the stripping/plating window {window_V[0]:g}…"
                          f"{window_V[1]:g} V (scan {e_min:.3g} … {e_max:.3g} V)", "info", where))
    if area is not None:
        if ox is not None:
            vals.append(Value("ox_onset_V", ox, "V", label=f"oxidative onset (> {threshold_A_per_m2 * 100:g} µA/cm²)"))
            vals.append(Value("window_upper_V", ox, "V", label="stability window, upper limit"))
        else:
            vals.append(Value("window_upper_V", e_max, "V", label="stability window, upper limit", bound=">=",
                              note="no oxidative onset up to the scan limit"))
            flags.append(Flag("no-oxidative-onset", f"no oxidative onset up to the scan limit {e_max:.3g} V: the "
                              "upper limit is a lower bound", "info", where))
        if red is not None:
            vals.append(Value("red_onset_V", red, "V", label="reductive onset"))
            vals.append(Value("window_lower_V", red, "V", label="stability window, lower limit"))
        elif e_min < 0:
            flags.append(Flag("reduction-limit-not-measured", f"the scan reaches {e_min:.3g} V vs Li, below 0 V: the "
                              "cathodic current there is Li plating, so the reductive stability limit is not "
                              "measured (not scored)", "info", where))
        else:
            vals.append(Value("window_lower_V", e_min, "V", label="stability window, lower limit", bound="<=",
                              note="no reductive onset down to the scan limit"))
    opts = {"window_V": window_V, "threshold_A_per_m2": threshold_A_per_m2, "n_consecutive": n_consecutive,
            "area_m2": area, "formula": formula, "reference": reference}
    rows = tuple((int(c), bool(full), float(qp), float(qs), finite(r), float(cum), o, d)
                 for c, full, qp, qs, r, cum, o, d in zip(res.cycles, res.complete, res.q_plate_C, res.q_strip_C,
                                                          res.strip_plate_ratio, res.cumulative_imbalance_C, ox_by,
                                                          red_by))
    win_txt = f" in {window_V[0]:g}…{window_V[1]:g} V" if window_V is not None else ""
    tables = (RecipeTable("cycles", ("cycle", "complete", "q_plate_C", "q_strip_C", "strip_plate_ratio",
                                     "cumulative_plate_minus_strip_C", "ox_onset_V", "red_onset_V"), rows,
                          f"Per cycle: stripping/plating charge{win_txt}, onsets"),)
    figs = {"potential_V": res.potential_V, "current_A": res.current_A, "cycle": res.cycle_of_sample,
            "cycles": res.cycles, "q_plate_C": res.q_plate_C, "q_strip_C": res.q_strip_C}
    subject = cell.name if cell is not None and cell.name != "cell" else Path(where).stem
    return RecipeResult("cv", subject, (source_path(m),), opts, tuple(vals), tuple(flags), tables, figs, details=res)
