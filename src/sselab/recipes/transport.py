"""DC polarisation recipes: one chronoamperometry record → σe, te/ti, τ (eqs 3–5 of the lithium-imide paper), and a
pre/post pair (before and after a CV, Fig. 2c,d) analysed together with the change stated.

Decisions made here, once:

* **Averaging window** for the final current If: the paper's last 30 min when the record is at least 2 h long
  (4 windows), else the last 10 % of the record (a flag says so).
* **Applied potential**: read from the file (mean potential over the window) whenever the file has a potential
  column, so every front-end uses the same number; a user's voltage is checked against it (> 5 % apart: a
  warning) and used only when the file has none.
* **Steady state**: the fitted transient must have died away before the window — if the slowest τ exceeds a fifth
  of the window, or the fitted decay still carries more than 1 % of If at the window start, or If drifts by more
  than 5 % across the window, σe and te are upper bounds (``bound="<="``) and a warning says why.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import AnalysisError
from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register
from ._common import current_unit, finite, has_geometry, measurements_list, one_measurement, reader_flags, source_name, source_path

__all__ = ["dcpol", "dcpol_pair", "choose_window", "PAPER_WINDOW_S", "VOLTAGE_TOLERANCE"]

#: the paper's averaging window for If (last 30 min of a 5 h hold)
PAPER_WINDOW_S = 1800.0
#: a record shorter than this many windows gets a window of 10 % of its length instead
MIN_WINDOWS = 4
SHORT_FRACTION = 0.10
#: relative difference between the user's voltage and the file's beyond which a warning is raised
VOLTAGE_TOLERANCE = 0.05
#: steady-state criteria (see the module docstring)
TAU_FRACTION = 0.2
RESIDUAL_FRACTION = 0.01
DRIFT_FRACTION = 0.05


def choose_window(time_s, window_s=None) -> tuple[float, str | None]:
    """The averaging window (s) for a record and, when it is not the paper's 30 min, why."""
    t = np.asarray(time_s, float)
    t = t[np.isfinite(t)]
    span = float(t.max() - t.min()) if t.size else 0.0
    if window_s is not None:
        if not window_s > 0:
            raise RecipeError(f"averaging window must be positive, got {window_s!r}")
        return float(window_s), None
    if span >= MIN_WINDOWS * PAPER_WINDOW_S:
        return PAPER_WINDOW_S, None
    w = max(SHORT_FRACTION * span, 1e-9)
    return w, (f"the record is {span / 60:.3g} min long (< {MIN_WINDOWS} × 30 min): If is the mean of its last "
               f"{w / 60:.3g} min (10 %) instead of the paper's last 30 min")


def _electrodes(cell) -> str:
    if cell is None:
        return "blocking"
    if cell.kind == "full":
        raise RecipeError(f"cell {cell.name!r} ({'|'.join(cell.electrodes)}): DC polarisation needs blocking or "
                          "symmetric electrodes, not a full cell")
    return {"symmetric": "li", "li-blocking": "li-blocking"}.get(cell.kind, "blocking")


def _steady_state(res, t_end: float) -> str | None:
    """Why the current has not reached steady state (None when it has)."""
    w = res.window_s
    if res.fit is not None and len(res.fit.tau_s):
        tau_max = float(max(res.fit.tau_s))
        t0 = t_end - w - res.t_step_s
        left = sum(abs(a) * math.exp(-t0 / tau) for a, tau in zip(res.fit.amplitudes_A, res.fit.tau_s)
                   if tau > 0) if t0 > 0 else math.inf
        frac = left / abs(res.i_final_A) if res.i_final_A else math.inf
        if tau_max > TAU_FRACTION * w:
            return (f"the slowest fitted τ ({tau_max:.3g} s) is comparable to the {w / 60:.3g}-min averaging window")
        if frac > RESIDUAL_FRACTION:
            return (f"the fitted decay still carries {100 * frac:.2g} % of If at the start of the averaging window")
    t, i = res.time_s, res.current_A
    sel = t >= t_end - w
    if sel.sum() >= 5 and res.i_final_A:
        slope = np.polyfit(t[sel] - t[sel].mean(), i[sel], 1)[0]
        drift = abs(slope * w / res.i_final_A)
        if drift > DRIFT_FRACTION:
            return f"the current drifts by {100 * drift:.2g} % across the averaging window"
    return None


def _analyse(m, cell, *, voltage_V, voltage_se_V, window_s, initial, n_exp, r0_ohm, rss_ohm, r0_se_ohm,
             rss_se_ohm):
    """(PolarizationResult, flags, voltage source) for one record."""
    from ..transport.polarization import analyze_polarization

    t = m.column("time_s")
    win, why = choose_window(t, window_s)
    flags = []
    if why:
        flags.append(Flag("window-shortened", why, "info", source_name(m)))
    v_file = None
    if m.has("potential_V"):
        e = m.column("potential_V")
        ok = np.isfinite(t) & np.isfinite(e)
        sel = ok & (t >= np.nanmax(t) - win)
        if sel.any():
            v_file = float(np.mean(e[sel]))
    if v_file is not None and v_file != 0:
        v_used = v_file
        if voltage_V is not None and abs(voltage_V - v_file) > VOLTAGE_TOLERANCE * abs(v_file):
            flags.append(Flag("voltage-mismatch", f"the given voltage {voltage_V:.4g} V differs from the applied "
                              f"potential in the file ({v_file:.4g} V, {100 * abs(voltage_V / v_file - 1):.3g} %): "
                              "the file's value is used", "warning", source_name(m)))
        src = "file"
    elif voltage_V is not None:
        v_used, src = float(voltage_V), "given"
    else:
        raise AnalysisError(f"{source_name(m)}: no potential column in the file; give the applied voltage")
    res = analyze_polarization(m, voltage_V=v_used, thickness_m=getattr(cell, "thickness_m", None),
                               area_m2=getattr(cell, "area_m2", None), window_s=win, initial=initial,
                               n_exp=n_exp, electrodes=_electrodes(cell), r0_ohm=r0_ohm, rss_ohm=rss_ohm,
                               r0_se_ohm=r0_se_ohm, rss_se_ohm=rss_se_ohm, voltage_se_V=voltage_se_V)
    flags += [Flag("analysis-note", w, "warning" if "applied voltage taken" not in w else "info", source_name(m))
              for w in res.warnings if "applied voltage taken" not in w]
    return res, flags, src, v_file


def _main_tau(res):
    """The relaxation carrying most charge (amplitude × τ): the one compared with a single-τ value."""
    if res.fit is None or not len(res.fit.tau_s):
        return None
    k = int(np.argmax([abs(a) * t for a, t in zip(res.fit.amplitudes_A, res.fit.tau_s)]))
    return float(res.fit.tau_s[k]), finite(res.fit.tau_se_s[k])


def _values(res, steady_why, v_src) -> list[Value]:
    bound = "<=" if steady_why else None
    vals = [Value("voltage_V", res.voltage_V, "V", None, "applied potential" + (" (from the file)" if v_src == "file"
                                                                              else " (as given)")),
            Value("window_s", res.window_s, "s", None, "If averaging window", "min"),
            Value("i_final_A", res.i_final_A, "A", finite(res.i_final_se_A), "If (mean over the window)",
                  current_unit(res.i_final_A), bound=bound),
            Value("i_initial_A", res.i_initial_A, "A", finite(res.i_initial_se_A), f"It ({res.initial_method})",
                  current_unit(res.i_initial_A)),
            Value("t_step_s", res.t_step_s, "s", None, "potential step at")]
    if res.sigma_e_S_per_m is not None:
        vals.append(Value("sigma_e_S_per_m", res.sigma_e_S_per_m, "S/m", finite(res.sigma_e_se_S_per_m),
                          "σe = (L/A)·If/V", "nS/cm", bound=bound))
    vals += [Value("t_e", res.t_e, "", finite(res.t_e_se), "te = If/It", bound=bound),
             Value("t_ion", res.t_i, "", finite(res.t_e_se), "ti = 1 − te", bound=">=" if steady_why else None)]
    tau = _main_tau(res)
    if tau is not None:
        vals.append(Value("tau_s", tau[0], "s", tau[1], "τ (main relaxation)"))
        for k, (t, se) in enumerate(zip(res.fit.tau_s, res.fit.tau_se_s), 1):
            if len(res.fit.tau_s) > 1:
                vals.append(Value(f"tau_{k}_s", float(t), "s", finite(se), f"τ{k}"))
        vals.append(Value("n_exp", int(res.fit.n_exp), "", label="exponentials (BIC)"))
    if res.bruce_vincent is not None:
        bv = res.bruce_vincent
        vals.append(Value("t_plus", bv.t_plus, "", finite(bv.t_plus_se), "t+ (Bruce–Vincent)"))
    return vals


def plot_dcpol(result: RecipeResult) -> list[FigureOut]:
    """I(t) on linear and logarithmic time with the exponential fit and the averaging window (Fig. 2c,d)."""
    from ..transport.polarization import plot_polarization

    if result.details is None:
        raise RecipeError(f"{result.subject}: the figure needs the analysis (run the recipe; a result read from "
                          "JSON has no curve)")
    return [FigureOut("dcpol-" + _slug(result.subject), f"DC polarisation — {result.subject}",
                      plot_polarization(result.details), "current after the potential step with the fit and the "
                      "If window", "Fig. 2c,d")]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


@register("dcpol", techniques=("CA",), cell_kinds=("blocking", "li-blocking", "symmetric", "unknown"),
          plot=plot_dcpol, title="DC polarisation", cli="sselab dcpol")
def dcpol(measurements, cell=None, *, voltage_V=None, voltage_se_V=None, window_s=None, initial="first",
          n_exp="auto", r0_ohm=None, rss_ohm=None, r0_se_ohm=None, rss_se_ohm=None) -> RecipeResult:
    """A DC polarisation (chronoamperometry) record → σe = (L/A)·If/V, te = If/It, ti = 1 − te, τ (and the
    Bruce–Vincent t+ of a Li|SSE|Li cell given R0 and Rss).  See the module docstring for the decisions."""
    m = one_measurement(measurements, "dcpol")
    if initial not in ("first", "peak", "fit"):
        raise RecipeError(f"initial {initial!r}: expected first, peak or fit")
    if n_exp not in ("auto", 1, 2):
        raise RecipeError(f"n_exp {n_exp!r}: expected auto, 1 or 2")
    if (r0_ohm is None) != (rss_ohm is None):
        raise RecipeError("Bruce–Vincent needs both R0 and Rss")
    if r0_ohm is not None and _electrodes(cell) != "li":
        raise RecipeError("R0/Rss (Bruce–Vincent) apply to Li|SSE|Li cells: give Li|Li electrodes")
    res, flags, v_src, v_file = _analyse(m, cell, voltage_V=voltage_V, voltage_se_V=voltage_se_V, window_s=window_s,
                                         initial=initial, n_exp=n_exp, r0_ohm=r0_ohm, rss_ohm=rss_ohm,
                                         r0_se_ohm=r0_se_ohm, rss_se_ohm=rss_se_ohm)
    why = _steady_state(res, float(res.time_s[-1]))
    if why:
        flags.insert(0, Flag("not-steady-state", f"the current has not reached steady state: {why}; If, σe and te "
                             "are upper bounds (hold longer)", "warning", source_name(m)))
    if not has_geometry(cell):
        flags.append(Flag("no-geometry", "no thickness and area: no σe", "info", source_name(m)))
    flags = reader_flags([m]) + flags
    opts = {"voltage_V": voltage_V, "voltage_se_V": voltage_se_V, "window_s": res.window_s,
            "window_rule": "given" if window_s is not None else "last 30 min, or 10 % of a record < 2 h",
            "initial": initial, "n_exp": n_exp, "electrodes": res.electrodes, "r0_ohm": r0_ohm, "rss_ohm": rss_ohm,
            "voltage_source": v_src}
    figs = {"time_s": res.time_s, "current_A": res.current_A, "t_step_s": res.t_step_s, "window_s": res.window_s}
    if res.fit is not None:
        figs.update(fit_time_s=res.fit.t_fit_s, fit_current_A=res.fit.i_fit_A)
    subject = cell.name if cell is not None and cell.name != "cell" else Path(source_name(m)).stem
    tables = ()
    if res.fit is not None:
        tables = (RecipeTable("transient", ("k", "tau_s", "tau_se_s", "amplitude_A"),
                              tuple((k, float(t), finite(se), float(a)) for k, (t, se, a) in
                                    enumerate(zip(res.fit.tau_s, res.fit.tau_se_s, res.fit.amplitudes_A), 1)),
                              "Exponential relaxation of the current after the step"),)
    return RecipeResult("dcpol", subject, (source_path(m),), opts, tuple(_values(res, why, v_src)), tuple(flags),
                        tables, figs, details=res)


def _order_pair(ms):
    """(pre, post): by start time when both files carry one, else by 'pre'/'post' in the names, else as given."""
    a, b = ms
    ta, tb = getattr(a, "start_time", None), getattr(b, "start_time", None)
    if ta is not None and tb is not None and ta != tb:
        return (a, b) if ta < tb else (b, a), "start times"
    na, nb = source_name(a).lower(), source_name(b).lower()
    if "post" in na and "post" not in nb or ("pre" in nb and "pre" not in na):
        return (b, a), "file names"
    if "post" in nb or "pre" in na:
        return (a, b), "file names"
    return (a, b), "given order"


def _pair_accepts(ms, cell) -> bool:
    return len(ms) == 2


def plot_pair(result: RecipeResult) -> list[FigureOut]:
    """Both transients on one log-time axis (before and after), as the paper's Fig. 2c,d."""
    from ..plotting import new_figure, style

    det = result.details
    if det is None:
        raise RecipeError(f"{result.subject}: the figure needs the analysis (run the recipe)")
    fig, ax = new_figure(3.8, 2.8)
    with style():
        for res, lab, c in ((det[0], "before", "C0"), (det[1], "after", "C3")):
            x = res.time_s - res.t_step_s
            sel = x > 0
            y = np.abs(res.current_A[sel])
            ax.loglog(x[sel], y * 1e9, ".", ms=2, color=c, label=lab)
            if res.fit is not None:
                xf = res.fit.t_fit_s - res.t_step_s
                s = xf > 0
                ax.loglog(xf[s], np.abs(res.fit.i_fit_A[s]) * 1e9, "-", lw=0.8, color=c)
        ax.set_xlabel("time since step (s)")
        ax.set_ylabel("|current| (nA)")
        ax.legend(loc="upper right", fontsize=7)
    return [FigureOut("dcpol-pair-" + _slug(result.subject), f"DC polarisation before and after — {result.subject}",
                      fig, "current after the step before (blue) and after (red), with the exponential fits",
                      "Fig. 2c,d")]


@register("dcpol.pair", techniques=("CA",), cell_kinds=("blocking", "li-blocking", "symmetric", "unknown"),
          scope="cell", accepts=_pair_accepts, plot=plot_pair, title="DC polarisation before / after",
          cli="sselab dcpol --pair")
def dcpol_pair(measurements, cell=None, **options) -> RecipeResult:
    """Two DC polarisation records of one cell (before and after a CV, Fig. 2c,d) → both analyses and the change
    in σe, te and τ.  The order comes from the files' start times, else 'pre'/'post' in their names."""
    ms = measurements_list(measurements)
    if len(ms) != 2:
        raise RecipeError(f"dcpol.pair: takes two records (before, after), got {len(ms)}")
    (pre, post), how = _order_pair(ms)
    r_pre, r_post = dcpol([pre], cell, **options), dcpol([post], cell, **options)
    vals, flags = [], [Flag("pair-order", f"before: {source_name(pre)}, after: {source_name(post)} (by {how})",
                            "info")]
    for key in ("sigma_e_S_per_m", "t_ion", "tau_s", "i_final_A", "i_initial_A"):
        for tag, r in (("pre", r_pre), ("post", r_post)):
            if key in r:
                v = r[key]
                when = "before" if tag == "pre" else "after"
                vals.append(Value(_tagged(key, tag), v.value, v.unit, v.stderr, f"{v.label}, {when}",
                                  v.display_unit, v.bound))
    parts = []
    if "sigma_e_S_per_m" in r_pre and "sigma_e_S_per_m" in r_post:
        a, b = r_pre["sigma_e_S_per_m"].value, r_post["sigma_e_S_per_m"].value
        vals.append(Value("sigma_e_ratio_post_to_pre", b / a, "", label="σe after / before"))
        parts.append(f"σe {'rose' if b > a else 'fell'} {max(b / a, a / b):.3g}-fold "
                     f"({a * 1e7:.3g} → {b * 1e7:.3g} nS/cm)")
    if "tau_s" in r_pre and "tau_s" in r_post:
        a, b = r_pre["tau_s"].value, r_post["tau_s"].value
        vals.append(Value("tau_ratio_post_to_pre", b / a, "", label="τ after / before"))
        parts.append(f"τ {'rose' if b > a else 'fell'} from {a:.3g} to {b:.3g} s")
    a, b = r_pre["t_ion"].value, r_post["t_ion"].value
    parts.append(f"ti {a:.4g} → {b:.4g}")
    flags.insert(0, Flag("change", "after: " + "; ".join(parts), "info"))
    for tag, r in (("before", r_pre), ("after", r_post)):
        flags += [Flag(f.code, f"{tag}: {f.message}", f.severity, f.where) for f in r.flags]
    subject = cell.name if cell is not None else Path(source_name(pre)).stem
    rows = tuple((tag, r.inputs[0], *(r.get(k) for k in ("sigma_e_S_per_m", "t_ion", "tau_s")))
                 for tag, r in (("before", r_pre), ("after", r_post)))
    table = RecipeTable("pair", ("when", "file", "sigma_e_S_per_m", "t_ion", "tau_s"), rows, "Before and after")
    return RecipeResult("dcpol.pair", subject, (r_pre.inputs[0], r_post.inputs[0]), {**r_pre.options, "order": how},
                        tuple(vals), tuple(flags), (table,), {"pre": r_pre.figures, "post": r_post.figures},
                        details=(r_pre.details, r_post.details))


def _tagged(key: str, tag: str) -> str:
    """``sigma_e_S_per_m`` + ``pre`` → ``sigma_e_pre_S_per_m`` (the unit stays at the end of the key)."""
    for unit in ("_S_per_m", "_s", "_A"):
        if key.endswith(unit):
            return key[: -len(unit)] + f"_{tag}" + unit
    return f"{key}_{tag}"
