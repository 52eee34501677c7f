"""Figures for cycling results (each takes a result object and returns a matplotlib Figure).

Long records are never plotted point by point: the results carry a min/max-per-bin decimated trace
(:func:`sselab.cycling.segment.decimate_minmax`, ~4000 bins ⇒ ≤ 8000 points) that draws like the full data.
"""
from __future__ import annotations

import numpy as np

from ..plotting import new_figure, style, tidy_log_axis
from .fullcell import FullCellResult
from .symmetric import SymmetricResult

__all__ = ["plot_ladder", "plot_resistance", "plot_full_cell", "plot_profiles", "format_current_density"]

_MAH_G = 3600.0        # C/kg per mAh/g


def format_current_density(j_A_per_m2: float) -> str:
    """``0.05 A/m² → '5 µA/cm²'``, ``100 A/m² → '10 mA/cm²'``."""
    ua = abs(j_A_per_m2) * 100.0          # µA/cm²
    return f"{ua:.3g} µA/cm²" if ua < 1000 else f"{ua / 1000:.3g} mA/cm²"


def _mark_shorts(ax, result: SymmetricResult, x_of):
    for s in result.shorts:
        ax.axvline(x_of(s), color="C3" if s.kind == "hard" else "C1", lw=0.8, ls="--",
                   label=f"{s.kind} short (cycle {s.cycle})")


def plot_ladder(result: SymmetricResult, *, inset: bool = True, width_in: float = 7.0, height_in: float = 3.2):
    """Voltage vs time with the current-density ladder shaded and labelled, set |j| as a step line on a right
    log axis, shorts marked, and a zoom inset of a few cycles (as in the Li2NH paper's Fig. 3a)."""
    fig, ax = new_figure(width_in, height_in)
    with style():
        th = result.trace_t_s / 3600.0
        ax.plot(th, result.trace_V * 1e3, lw=0.5, color="k", rasterized=len(th) > 5000)
        span_h = max(float(th[-1] - th[0]) if len(th) else 1.0, 1e-9)
        last_x = -np.inf
        for k, st in enumerate(result.steps):
            a = st.t_start_s / 3600.0
            b = (st.t_start_s + st.duration_s) / 3600.0
            ax.axvspan(a, b, color="C0" if k % 2 else "C9", alpha=0.12, lw=0)
            # each step's |j| just above the frame, over its band (the right axis carries the unit); narrow bands
            # share the room: a label only where it clears the previous one (the last step always labelled)
            uA = st.current_density_A_per_m2 * 100.0
            text = f"{uA / 1000:.3g} mA" if uA >= 1000 else f"{uA:.3g}"
            x = 0.5 * (a + b)
            if (x - last_x) / span_h < 0.045 and k != len(result.steps) - 1:
                continue
            last_x = x
            ax.annotate(text, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=6, color="C3",
                        annotation_clip=False)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("voltage (mV)")
        ax2 = ax.twinx()
        tt = np.repeat([[st.t_start_s, st.t_start_s + st.duration_s] for st in result.steps], 1, axis=0).ravel()
        jj = np.repeat([st.current_density_A_per_m2 * 100.0 for st in result.steps], 2)
        if len(tt):
            ax2.plot(tt / 3600.0, jj, color="C3", lw=0.8, drawstyle="steps-post")
            ax2.set_yscale("log")
            tidy_log_axis(ax2.yaxis, max_decades=3.0)
        ax2.set_ylabel("|j| (µA cm$^{-2}$)", color="C3")
        ax2.tick_params(axis="y", colors="C3", which="both")
        # the voltage axes (and the insets it owns) above the |j| twin, so the step line passes under the insets
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        _mark_shorts(ax, result, lambda s: s.time_s / 3600.0)
        if result.shorts:   # bottom middle: clear of the lowest |j| step (bottom left) and of the trace
            ax.legend(loc="lower center", bbox_to_anchor=(0.42, 0.0), fontsize=7)
        if inset and result.zoom:
            lo, hi = float(np.nanmin(result.trace_V)) * 1e3, float(np.nanmax(result.trace_V)) * 1e3
            span = max(hi - lo, 1e-9)
            ax.set_ylim(lo - 0.05 * span, hi + 1.7 * span)      # free band on top for the insets
            from matplotlib.patches import Rectangle

            for k, (label, zt, zv) in enumerate(result.zoom):
                x0, y0, w, h = 0.09 + k * 0.47, 0.52, 0.34, 0.3
                # a white card under each inset and its labels: the |j| step line passes behind it, not through
                ax.add_patch(Rectangle((x0 - 0.05, y0 - 0.115), w + 0.06, h + 0.19, transform=ax.transAxes,
                                       fc="white", ec="none", zorder=4.5))
                ins = ax.inset_axes([x0, y0, w, h])
                ins.plot((zt - zt[0]) / 3600.0, zv * 1e3, lw=0.6, color="k")
                ins.set_title(label.replace("µA/cm²", "µA cm$^{-2}$"), fontsize=6.5, pad=2)
                ins.tick_params(labelsize=6, pad=1.5)
                ins.set_xlabel("time (h)", fontsize=6, labelpad=1)
                ins.set_ylabel("mV", fontsize=6, labelpad=1)
        ax.set_title(f"{result.source}: {result.n_cycles} cycles, {result.total_hours:.0f} h", pad=12)
    return fig


def plot_resistance(result: SymmetricResult, width_in: float = 3.5, height_in: float = 4.2):
    """Mean |η| and polarisation resistance (Ω cm²) per half cycle vs cycle, coloured by ladder step."""
    import matplotlib.pyplot as plt

    with style():
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(width_in, height_in), sharex=True)
        c = result.cycle
        cmap = plt.get_cmap("viridis")
        nst = max(len(result.steps), 1)
        col = cmap(0.85 * result.step / max(nst - 1, 1))     # (the top of viridis is unreadable on white)
        a1.scatter(c, np.abs(result.eta_mean_V) * 1e3, s=3, c=col, lw=0)
        a1.set_yscale("log")
        a1.set_ylabel("|η| (mV)")
        a2.scatter(c, result.resistance_ohm_m2 * 1e4, s=3, c=col, lw=0)
        a2.set_yscale("log")
        a2.set_ylabel("R (Ω cm$^2$)")
        a2.set_xlabel("cycle")
        for ax in (a1, a2):
            _mark_shorts(ax, result, lambda s: s.cycle)
        # step labels (|j| in µA cm⁻²) above the top panel, outside the data, at each step's first cycle
        for k, st in enumerate(result.steps):
            a1.annotate(f"{st.current_density_A_per_m2 * 100.0:.3g}", (st.first_cycle, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(0, 2), textcoords="offset points",
                        fontsize=6, ha="left", va="bottom", color=cmap(0.85 * k / max(nst - 1, 1)),
                        annotation_clip=False)
            a1.axvline(st.first_cycle, color="0.85", lw=0.5, zorder=0)
        if result.steps:
            a1.set_title("|j| (µA cm$^{-2}$) of each step", fontsize=7, pad=11)
        if result.shorts:
            a2.legend(loc="lower left", fontsize=7)
        fig.subplots_adjust(hspace=0.08)
    return fig


def plot_full_cell(result: FullCellResult, width_in: float = 3.5, height_in: float = 2.8):
    """Charge/discharge capacity (mAh/g) and coulombic efficiency (%) vs cycle (as the paper's Fig. 5b/d).

    Capacities use the lower ~60 % of the frame and the CE (≈ 100 %) the top, so the two series never overlap."""
    fig, ax = new_figure(width_in, height_in)
    with style():
        c = result.cycle
        ax.plot(c, result.charge_capacity_C_per_kg / _MAH_G, "o", ms=3, mfc="none", label="charge")
        ax.plot(c, result.discharge_capacity_C_per_kg / _MAH_G, "s", ms=3, label="discharge")
        ax.set_xlabel("cycle")
        ax.set_ylabel("capacity (mAh g$^{-1}$)")
        qmax = float(np.nanmax(np.concatenate([result.charge_capacity_C_per_kg,
                                               result.discharge_capacity_C_per_kg]) / _MAH_G, initial=0.0))
        ax.set_ylim(0, 1.65 * qmax if qmax > 0 else None)
        ax2 = ax.twinx()
        ax2.plot(c, result.coulombic_efficiency * 100, "^", ms=3, color="C2", label="CE")
        ax2.set_ylabel("coulombic efficiency (%)", color="C2")
        ax2.tick_params(axis="y", colors="C2", which="both")
        ce_max = float(np.nanmax(result.coulombic_efficiency * 100, initial=0))
        ax2.set_ylim(0, max(105.0, ce_max + 5))
        if result.end_of_life_cycle:
            ax.axvline(result.end_of_life_cycle, color="C3", ls="--", lw=0.8,
                       label=f"{result.threshold:.0%} retention (cycle {result.end_of_life_cycle})")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower left", fontsize=7, ncol=2)
    return fig


def plot_profiles(result, width_in: float = 3.5, height_in: float = 2.8):
    """Selected voltage profiles: V vs specific capacity (full cell) or V vs time of the zoom windows (symmetric)."""
    from matplotlib.lines import Line2D

    fig, ax = new_figure(width_in, height_in)
    with style():
        if isinstance(result, FullCellResult):
            cycles = sorted({p[0] for p in result.profiles})
            cmap = __import__("matplotlib.pyplot").pyplot.get_cmap("viridis")
            for c, direction, q, v in result.profiles:
                k = 0.85 * cycles.index(c) / max(len(cycles) - 1, 1)     # (viridis' yellow end is unreadable)
                ax.plot(q / _MAH_G, v, color=cmap(k), lw=1.0, ls="-" if direction == "discharge" else "--",
                        label=f"cycle {c}" if direction == result.first_direction else None)
            ax.set_xlabel("capacity (mAh g$^{-1}$)")
            ax.set_ylabel("voltage (V)")
            handles, labels = ax.get_legend_handles_labels()
            handles += [Line2D([], [], color="0.3", lw=1.0, ls="-"), Line2D([], [], color="0.3", lw=1.0, ls="--")]
            labels += ["discharge", "charge"]
            # above the frame: inside, it sat on the charge curves
            ax.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=3, fontsize=7,
                      handlelength=1.8, columnspacing=1.0, borderaxespad=0.0)
        else:
            for label, t, v in result.zoom:
                ax.plot((t - t[0]) / 60.0, v * 1e3, lw=0.8, label=label.replace("µA/cm²", "µA cm$^{-2}$"))
            ax.set_xlabel("time (min)")
            ax.set_ylabel("voltage (mV)")
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=max(1, len(result.zoom)), fontsize=7,
                      borderaxespad=0.0)
    return fig
