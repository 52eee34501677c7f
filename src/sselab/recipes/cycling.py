"""Galvanostatic cycling recipes: a Li|SSE|Li stripping/plating ladder → per-step overpotential and resistance,
shorts, critical current density; a full cell → capacity, coulombic efficiency, retention.

Decisions made here:

* the short criteria and CCD rule of :func:`sselab.cycling.analyze_symmetric` (the CCD ends at hard *or* soft
  shorts unless ``ccd_on="hard"``; with no short it is a lower bound, reported with ``bound=">="``);
* **a cell that collapses within its first half cycle is a short**: the primitive needs two half cycles of
  history, so a sudden, unrecovered fall of |η| inside the first or second half cycle to less than 1/5 of its
  peak that stays there for the following half cycles is reported as a hard short there (and there is no CCD);
* **the resistance drop**: the first ladder step over which the fitted polarisation resistance falls by more than
  20 % (``RESISTANCE_DROP``; the lithium-imide paper's "slow decrease in the voltage profile" from 40 µA/cm²);
* **the enlarged windows** (insets of the ladder figure, Fig. 3a): a few cycles from the middle of the second step
  and of the last of the opening run of longest steps (200 cycles at 5–80 µA/cm² before 25-cycle steps: 10 and
  80 µA/cm²), or of the last-but-one step when every step is as long;
* a full cell needs the active mass (specific capacities); end of life at 80 % retention, and the cycles kept
  above it are reported (the paper's "diminishing after 18 cycles").
* half-cycle charges (capacities, CE, charge passed) come from the instrument's own charge counters when the file
  is a battery-cycler file with ``charge_C`` (Neware, Arbin, Maccor, cycler spreadsheets), else from the
  integrated current (``charge="auto"``); the value ``charge_source`` says which;
* the columns both recipes read (:func:`columns`): time, potential, current, the impedance frequency (rows of an
  EIS inside a Modulo Bat are rests), and ``charge_C`` only from formats whose ``charge_C`` is a counter.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import AnalysisError
from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register
from ._common import one_measurement, reader_flags, source_name, source_path

__all__ = ["symmetric", "full", "early_collapse", "columns", "GALVANOSTATIC", "COLLAPSE_FACTOR", "COLUMNS",
           "COUNTER_COLUMNS"]

GALVANOSTATIC = ("GCPL", "CP", "CYCLING", "MB")
#: canonical columns the cycling recipes use from every file (``sselab.io.read(path, columns=...)``); freq_Hz marks
#: impedance rows inside a Modulo Bat, which count as rests
COLUMNS = ("time_s", "potential_V", "current_A", "freq_Hz")
#: read in addition from formats whose ``charge_C`` is the instrument's own counter (segment.COUNTER_FORMATS)
COUNTER_COLUMNS = ("charge_C",)
#: |η| falling below 1/COLLAPSE_FACTOR of its peak within a half cycle (and staying there) is a collapse
COLLAPSE_FACTOR = 5.0
PERSIST = 10
#: a step whose fitted resistance falls by more than this fraction marks the onset of the resistance drop
RESISTANCE_DROP = 0.2
#: cycles shown in each enlarged window of the ladder figure, and its most points
INSET_CYCLES = 3
INSET_POINTS = 3000


def early_collapse(res) -> int | None:
    """Index (0 or 1) of a first or second half cycle inside which |η| collapsed for good, else None.

    Criteria: a sudden fall inside the half cycle (the largest sample-to-sample drop exceeds 30 % of the mean
    |η|) that does not recover, |η| at the end below 1/5 of the peak, and the next half cycles' mean |η| below
    1/5 of that peak too."""
    seg = res.segmentation
    if seg is None:
        return None
    on = np.flatnonzero(seg.kind != 0)
    nh = len(on)
    for i in range(min(2, nh)):
        if any(s.half_cycle <= i + 1 for s in res.shorts if s.kind == "hard"):
            return None
        peak = abs(float(res.eta_peak_V[i]))
        if peak <= 0 or seg.drop_recovered[on[i]]:
            continue
        sudden = res.drop_fraction[i] > 0.3 and seg.max_drop_V[on[i]] > 8 * seg.potential_noise_V
        low_end = abs(float(res.eta_end_V[i])) < peak / COLLAPSE_FACTOR
        later = np.abs(res.eta_mean_V[i + 1:i + 1 + PERSIST])
        stays = later.size > 0 and float(np.median(later)) < peak / COLLAPSE_FACTOR
        if sudden and low_end and stays:
            return i
    return None


def _with_early_short(res, i: int):
    """The SymmetricResult with a hard short at half cycle ``i`` (first step: no CCD)."""
    from ..cycling.symmetric import ShortEvent

    seg = res.segmentation
    on = np.flatnonzero(seg.kind != 0)
    t0 = float(seg.t_start_s[on[0]] - res.t_start_s[0])
    peak = abs(float(res.eta_peak_V[i]))
    end = abs(float(res.eta_end_V[i]))
    later = float(np.median(np.abs(res.eta_mean_V[i + 1:i + 1 + PERSIST])))
    ev = ShortEvent("hard", int(res.cycle[i]), int(i), float(seg.drop_time_s[on[i]] - t0), int(res.step[i]),
                    float(abs(res.current_density_A_per_m2[i])), end / peak, int(res.n_half_cycles - i),
                    (f"|η| collapsed inside half cycle {i + 1} from {peak * 1e3:.3g} mV to {end * 1e3:.3g} mV "
                     f"(< 1/{COLLAPSE_FACTOR:g} of its peak) and did not recover",
                     f"the next half cycles stay at {later * 1e3:.3g} mV",
                     "too early for the ladder's reference window: detected by the first-half-cycle rule"))
    steps = tuple(replace(st, sustained=False) if st.index >= res.step[i] else st for st in res.steps)
    bad = int(res.step[i])
    ok = [st.current_density_A_per_m2 for st in res.steps if st.index < bad]
    ccd = max(ok) if ok else None
    return replace(res, shorts=(ev,) + tuple(s for s in res.shorts if s.half_cycle < i), steps=steps,
                   ccd_A_per_m2=ccd, ccd_hard_A_per_m2=ccd, ccd_is_lower_bound=False)


def inset_steps(steps) -> list[int]:
    """Indices of the ladder steps enlarged in the figure (see the module docstring)."""
    n = len(steps)
    if n == 0:
        return []
    if n == 1:
        return [0]
    cyc = [st.n_cycles for st in steps]
    longest = max(cyc)
    k = 0
    while k < n and cyc[k] != longest:
        k += 1
    while k + 1 < n and cyc[k + 1] == longest:
        k += 1
    last = k if (k < n - 1 and cyc[k] > cyc[-1]) else max(n - 2, 0)
    return sorted({1, last})


def _inset_windows(m, res, picks):
    """Raw data (label, t_s, V) of ``INSET_CYCLES`` cycles from the middle of each picked step (None when the
    record's rows do not match the segmentation)."""
    from ..cycling.symmetric import step_windows

    seg = res.segmentation
    if seg is None or not m.has("time_s") or not m.has("potential_V"):
        return None
    t, v = m.column("time_s"), m.column("potential_V")
    cur = m.column("current_A") if m.has("current_A") else np.zeros_like(t)
    fin = np.isfinite(t) & np.isfinite(v) & np.isfinite(cur)
    t, v = t[fin], v[fin]
    if len(t) != seg.n_rows:
        return None
    return step_windows(t, v, seg, np.flatnonzero(seg.kind != 0), res.step, res.steps, picks, INSET_CYCLES,
                        INSET_POINTS)


def resistance_drop_onset(steps):
    """The first step whose fitted resistance falls by more than :data:`RESISTANCE_DROP` over the step."""
    for st in steps:
        if st.sustained and np.isfinite(st.r_relative_change) and st.r_relative_change < -RESISTANCE_DROP:
            return st
    return None


def columns(fmt: str | None = None) -> tuple[str, ...]:
    """The canonical columns ``cycling.symmetric`` and ``cycling.full`` need from a file of format ``fmt`` (a name
    from ``sselab.io.detect``): :data:`COLUMNS`, plus ``charge_C`` where it holds the instrument's counters.  Front
    ends read only these: ``read(path, columns=columns(detect(path)))``."""
    from ..cycling.segment import COUNTER_FORMATS

    return COLUMNS + (COUNTER_COLUMNS if fmt in COUNTER_FORMATS else ())


def _charge_value(res) -> Value:
    return Value("charge_source", res.charge_source, "", label="half-cycle charges from")


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


def plot_symmetric(result: RecipeResult) -> list[FigureOut]:
    """The ladder (voltage against time with insets), and overpotential / resistance per half cycle (Fig. 3a–c)."""
    from ..cycling.plots import plot_ladder, plot_profiles, plot_resistance

    res = result.details
    if res is None:
        raise RecipeError(f"{result.subject}: the figure needs the analysis (run the recipe)")
    s = _slug(result.subject)
    zoom = [f"{z[0]}" for z in res.zoom]
    return [FigureOut(f"ladder-{s}", f"Stripping / plating — {result.subject}", plot_ladder(res),
                      "voltage against time (the set |j| of each step as the red step line, right axis)"
                      + (f"; insets: {INSET_CYCLES} cycles at {' and '.join(zoom)}" if zoom else ""), "Fig. 3a"),
            FigureOut(f"resistance-{s}", f"Overpotential and resistance — {result.subject}", plot_resistance(res),
                      "per half cycle"),
            FigureOut(f"profiles-{s}", f"Voltage profiles — {result.subject}", plot_profiles(res),
                      "voltage against time within half cycles")]


def _subject(cell, m) -> str:
    return cell.name if cell is not None and cell.name != "cell" else Path(source_name(m)).stem


@register("cycling.symmetric", techniques=GALVANOSTATIC, cell_kinds=("symmetric",), plot=plot_symmetric,
          title="Stripping / plating", cli="sselab cycle --symmetric")
def symmetric(measurements, cell=None, *, ccd_on="any", charge="auto") -> RecipeResult:
    """A Li|SSE|Li galvanostatic record → ladder steps, shorts (hard/soft, with their evidence), CCD."""
    from ..cycling import analyze_symmetric
    from ..cycling.segment import CHARGE_OPTIONS

    m = one_measurement(measurements, "cycling.symmetric")
    if ccd_on not in ("any", "hard"):
        raise RecipeError(f"ccd_on {ccd_on!r}: expected any or hard")
    if charge not in CHARGE_OPTIONS:
        raise RecipeError(f"charge {charge!r}: expected one of {', '.join(CHARGE_OPTIONS)}")
    if cell is None or cell.area_m2 is None:
        raise AnalysisError(f"{source_name(m)}: a symmetric cell needs the electrode area or diameter "
                            "(current density)")
    res = analyze_symmetric(m, area_m2=cell.area_m2, ccd_on=ccd_on, charge=charge)
    picks = inset_steps(res.steps)
    zoom = _inset_windows(m, res, picks) if picks else None
    if zoom is not None:
        res = replace(res, zoom=tuple(zoom))
    where = source_name(m)
    flags = reader_flags([m])
    i = early_collapse(res)
    if i is not None:
        res = _with_early_short(res, i)
        flags.append(Flag("short-in-first-half-cycles", f"the cell shorted inside half cycle {i + 1}: "
                          f"{res.shorts[0].reasons[0]}", "warning", where))
    flags += [Flag("analysis-note", w, "warning", where) for w in res.warnings]
    hs = res.hard_short
    first = res.shorts[0] if res.shorts else None
    vals = [Value("n_cycles", int(res.n_cycles), "", label="cycles"),
            Value("n_half_cycles", int(res.n_half_cycles), "", label="half cycles"),
            Value("total_time_s", float(res.total_time_s), "s", label="duration", display_unit="h"),
            Value("cumulative_charge_C_per_m2", float(res.cumulative_charge_C_per_m2), "C/m2",
                  label="charge passed", display_unit="mAh/cm2"),
            Value("li_thickness_m", float(res.li_thickness_equivalent_m), "m", label="Li thickness equivalent",
                  display_unit="um"),
            _charge_value(res)]
    if res.ccd_A_per_m2 is not None:
        vals.append(Value("ccd_A_per_m2", float(res.ccd_A_per_m2), "A/m2", label="critical current density",
                          display_unit="uA/cm2", bound=">=" if res.ccd_is_lower_bound else None,
                          note="no short seen: lower bound" if res.ccd_is_lower_bound else None))
    else:
        flags.append(Flag("no-ccd", "short in the first current-density step: no critical current density",
                          "warning", where))
    drop = resistance_drop_onset(res.steps)
    if drop is not None:
        vals.append(Value("resistance_drop_onset_A_per_m2", float(drop.current_density_A_per_m2), "A/m2",
                          label=f"resistance falls by > {RESISTANCE_DROP:.0%} over a step from",
                          display_unit="uA/cm2", note=f"step {drop.index + 1}: {100 * drop.r_relative_change:+.0f} %"))
    if res.ccd_hard_A_per_m2 is not None:
        vals.append(Value("ccd_hard_A_per_m2", float(res.ccd_hard_A_per_m2), "A/m2", label="CCD, hard shorts only",
                          display_unit="uA/cm2", bound=">=" if hs is None else None))
    vals += [Value("n_shorts", len(res.shorts), "", label="shorts detected"),
             Value("short_cycle", int(hs.cycle) if hs else "none", "", label="first hard short (cycle)"),
             Value("short_kind", first.kind if first else "none", "", label="first short, kind")]
    if hs is not None:
        vals.append(Value("short_current_density_A_per_m2", float(hs.current_density_A_per_m2), "A/m2",
                          label="|j| at the hard short", display_unit="uA/cm2"))
    if not res.shorts:
        flags.append(Flag("no-short", "no short detected: " + res.ccd_criterion, "info", where))
    steps = RecipeTable("steps", ("step", "j_A_per_m2", "first_cycle", "last_cycle", "n_cycles", "eta_median_V",
                                  "resistance_median_ohm_m2", "r_slope_ohm_m2_per_cycle",
                                  "r_slope_err_ohm_m2_per_cycle", "r_slope_ohm_m2_per_h", "sustained"),
                        tuple((st.index + 1, st.current_density_A_per_m2, st.first_cycle, st.last_cycle, st.n_cycles,
                               st.eta_median_V, st.resistance_median_ohm_m2, st.r_slope_ohm_m2_per_cycle,
                               st.r_slope_err_ohm_m2_per_cycle, st.r_slope_ohm_m2_per_h, st.sustained)
                              for st in res.steps), "Ladder steps")
    shorts = RecipeTable("shorts", ("kind", "cycle", "time_s", "j_A_per_m2", "ratio", "reasons"),
                         tuple((s.kind, s.cycle, s.time_s, s.current_density_A_per_m2, s.ratio, "; ".join(s.reasons))
                               for s in res.shorts), "Shorts and the criteria they met")
    hc = res.half_cycle_table()
    half = RecipeTable("half_cycles", tuple(hc.columns), tuple(tuple(r) for r in hc.itertuples(index=False)),
                       "Every half cycle")
    figs = {"trace_t_s": res.trace_t_s, "trace_V": res.trace_V, "t_start_s": res.t_start_s,
            "current_density_A_per_m2": res.current_density_A_per_m2, "eta_mean_V": res.eta_mean_V,
            "resistance_ohm_m2": res.resistance_ohm_m2}
    return RecipeResult("cycling.symmetric", _subject(cell, m), (source_path(m),),
                        {"ccd_on": ccd_on, "area_m2": cell.area_m2, "early_collapse_factor": COLLAPSE_FACTOR,
                         "resistance_drop": RESISTANCE_DROP, "inset_steps": [int(k) + 1 for k in picks],
                         "charge": charge},
                        tuple(vals), tuple(flags), (steps, shorts, half), figs, details=res)


def plot_full(result: RecipeResult) -> list[FigureOut]:
    """Charge–discharge profiles and capacity / coulombic efficiency per cycle (Fig. 5a,b for TiS2, 5c,d for
    LiFePO4)."""
    from ..cycling.plots import plot_full_cell, plot_profiles

    res = result.details
    if res is None:
        raise RecipeError(f"{result.subject}: the figure needs the analysis (run the recipe)")
    s = _slug(result.subject)
    return [FigureOut(f"profiles-{s}", f"Charge–discharge profiles — {result.subject}", plot_profiles(res), "",
                      "Fig. 5a,c"),
            FigureOut(f"fullcell-{s}", f"Capacity and coulombic efficiency — {result.subject}", plot_full_cell(res),
                      "", "Fig. 5b,d")]


@register("cycling.full", techniques=GALVANOSTATIC, cell_kinds=("full",), plot=plot_full, title="Full cell",
          cli="sselab cycle --active-mass")
def full(measurements, cell=None, *, threshold=0.8, charge="auto") -> RecipeResult:
    """A full-cell galvanostatic record → capacity per cycle (per gram of active material), CE, retention."""
    from ..cycling import analyze_full_cell
    from ..cycling.segment import CHARGE_OPTIONS

    m = one_measurement(measurements, "cycling.full")
    if cell is None or not cell.active_mass_kg:
        raise AnalysisError(f"{source_name(m)}: a full cell needs the cathode's active mass (specific capacity)")
    if not 0 < threshold < 1:
        raise RecipeError(f"end-of-life threshold {threshold!r}: a fraction between 0 and 1")
    if charge not in CHARGE_OPTIONS:
        raise RecipeError(f"charge {charge!r}: expected one of {', '.join(CHARGE_OPTIONS)}")
    res = analyze_full_cell(m, active_mass_kg=cell.active_mass_kg, area_m2=cell.area_m2, threshold=threshold,
                            charge=charge)
    where = source_name(m)
    flags = reader_flags([m]) + [Flag("analysis-note", w, "warning", where) for w in res.warnings]
    qd = np.asarray(res.discharge_capacity_C_per_kg, float)
    ce = np.asarray(res.coulombic_efficiency, float)
    vals = [Value("n_cycles", int(res.n_cycles), "", label="cycles"),
            Value("first_direction", res.first_direction, "", label="first half cycle"),
            Value("specific_current_A_per_kg", float(res.specific_current_A_per_kg), "A/kg", label="specific current",
                  display_unit="mA/g"),
            Value("first_discharge_C_per_kg", float(res.first_discharge_C_per_kg), "C/kg", label="first discharge",
                  display_unit="mAh/g"),
            Value("last_discharge_C_per_kg", float(qd[-1]), "C/kg", label="last discharge", display_unit="mAh/g"),
            Value("first_ce", float(ce[0]), "", label="coulombic efficiency, cycle 1"),
            Value("ce", float(np.nanmedian(ce)), "", label="coulombic efficiency, median"),
            Value("retention_last", float(res.retention[-1]), "", label="capacity retention, last cycle"),
            Value("end_of_life_cycle", int(res.end_of_life_cycle) if res.end_of_life_cycle else "not reached", "",
                  label=f"end of life (< {threshold:.0%} retention)"),
            Value("cycles_above_threshold", int(res.end_of_life_cycle) - 1 if res.end_of_life_cycle
                  else int(res.n_cycles), "", label=f"cycles keeping ≥ {threshold:.0%} of the first discharge",
                  bound=None if res.end_of_life_cycle else ">="),
            _charge_value(res)]
    rows = tuple((int(c), bool(ok), float(a), float(b), float(x), float(r)) for c, ok, a, b, x, r in
                 zip(res.cycle, res.complete, res.charge_capacity_C_per_kg, res.discharge_capacity_C_per_kg,
                     res.coulombic_efficiency, res.retention))
    table = RecipeTable("cycles", ("cycle", "complete", "charge_C_per_kg", "discharge_C_per_kg",
                                   "coulombic_efficiency", "retention"), rows, "Capacity per cycle")
    figs = {"cycle": res.cycle, "charge_C_per_kg": res.charge_capacity_C_per_kg,
            "discharge_C_per_kg": res.discharge_capacity_C_per_kg, "coulombic_efficiency": res.coulombic_efficiency}
    return RecipeResult("cycling.full", _subject(cell, m), (source_path(m),),
                        {"threshold": threshold, "active_mass_kg": cell.active_mass_kg, "area_m2": cell.area_m2,
                         "charge": charge},
                        tuple(vals), tuple(flags), (table,), figs, details=res)
