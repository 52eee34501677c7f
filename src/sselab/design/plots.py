"""Figures for the design module (take result objects, return matplotlib Figures; save with
:func:`sselab.plotting.save_figure`)."""
from __future__ import annotations

import numpy as np

from ..plotting import new_figure, style
from .analysis import Contour, Sweep
from .fig17 import Fig17Reproduction
from .stack import CellDesign

__all__ = ["plot_sweep", "plot_contour", "plot_fig17", "plot_breakdown"]

_LABELS = {"sse_thickness": "SSE thickness (µm, each layer)", "areal_capacity": "Areal capacity (mAh cm$^{-2}$)",
           "np_ratio": "N/P ratio", "al_thickness": "Al foil (µm)", "cu_thickness": "Cu foil (µm)",
           "foil_scale": "Foil thickness × factor", "layers": "Layers", "active_fraction": "Active fraction",
           "voltage": "Voltage (V)", "specific_capacity": "Specific capacity (mAh g$^{-1}$)"}


def _xlabel(param: str, unit: str) -> str:
    unit = {"um": "µm", "mAh/cm2": "mAh cm$^{-2}$"}.get(unit, unit)
    return _LABELS.get(param, f"{param} ({unit})" if unit else param)


def _targets(ax, targets):
    targets = list(targets or ())
    if targets:   # headroom so the top target's label sits inside the frame, not on the spine
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, max(hi, max(targets) + 0.12 * (max(hi, max(targets)) - lo)))
    for t in targets:
        ax.axhline(t, color="0.4", lw=0.8, ls="--")
        ax.annotate(f"{t:g} Wh kg$^{{-1}}$", (1.0, t), xycoords=("axes fraction", "data"), xytext=(-3, 1.5),
                    textcoords="offset points", ha="right", va="bottom", fontsize=7, color="0.3")


def plot_sweep(sweeps, targets=(350.0, 500.0), metric: str = "specific_energy_Wh_per_kg"):
    """Energy density against the swept parameter; ``sweeps`` is one :class:`Sweep` or a list (one line each)."""
    if isinstance(sweeps, Sweep):
        sweeps = [sweeps]
    fig, ax = new_figure()
    with style():
        for s in sweeps:
            ax.plot(s.values_display, getattr(s, metric), label=s.label)
        _targets(ax, targets if metric.endswith("kg") else ())
        ax.set_xlabel(_xlabel(sweeps[0].param, sweeps[0].unit))
        ax.set_ylabel("Specific energy (Wh kg$^{-1}$)" if metric.endswith("kg") else "Energy density (Wh L$^{-1}$)")
        if len(sweeps) > 1:
            ax.legend()
    return fig


def plot_contour(c: Contour, targets=(350.0, 500.0)):
    """Filled map of ``c.z`` with the target contours drawn and labelled."""
    fig, ax = new_figure(3.8, 3.0)
    with style():
        cs = ax.contourf(c.x, c.y, c.z, levels=20, cmap="viridis")
        kg = c.metric.endswith("kg")
        fig.colorbar(cs, ax=ax, label="Specific energy (Wh kg$^{-1}$)" if kg else "Energy density (Wh L$^{-1}$)")
        lv = [t for t in targets if np.nanmin(c.z) < t < np.nanmax(c.z)]
        if lv:
            cl = ax.contour(c.x, c.y, c.z, levels=lv, colors="w", linewidths=1.0)
            ax.clabel(cl, fmt="%g Wh kg$^{-1}$" if kg else "%g Wh L$^{-1}$", fontsize=7)
        ax.set_xlabel(_xlabel(c.x_param, c.x_unit))
        ax.set_ylabel(_xlabel(c.y_param, c.y_unit))
    return fig


def plot_fig17(r: Fig17Reproduction, target: float | None = None):
    """Three panels like the review's Fig. 17C–E (or F–H): Wh/kg vs SSE thickness, vs N/P, vs SSE thickness with
    light foils, one line per areal capacity."""
    import matplotlib.pyplot as plt

    target = r.target_Wh_per_kg if target is None else target
    cv = r.curves
    with style():
        fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.6), sharey=True)
        panels = [("C_vs_thickness", "thickness_um", "SSE thickness (µm, each layer)", "standard foils"),
                  ("D_vs_np", "np_ratio", "N/P ratio", "SSE 20 µm"),
                  ("E_vs_thickness_light", "thickness_um", "SSE thickness (µm, each layer)", "8 µm Al, 4 µm Cu")]
        for ax, (key, xkey, xl, title) in zip(axes, panels):
            for q, y in cv[key].items():
                ax.plot(cv[xkey], y, label=f"{q:g}")
            ax.axhline(target, color="0.3", ls="--", lw=0.8)
            ax.set_xlabel(xl)
            ax.set_title(f"{r.sse}: {title}", fontsize=8)
            ax.set_ylim(0, 600)
        axes[0].annotate(f"{target:g} Wh kg$^{{-1}}$", (0.98, target), xycoords=("axes fraction", "data"),
                         ha="right", va="bottom", fontsize=7, color="0.3")
        axes[0].set_ylabel("Specific energy (Wh kg$^{-1}$)")
        fig.tight_layout()
        # right of the last panel: inside the first one it covered the 7–10 mAh cm⁻² curves
        axes[-1].legend(title="areal capacity\n(mAh cm$^{-2}$)", fontsize=7, title_fontsize=7,
                        loc="center left", bbox_to_anchor=(1.03, 0.5), borderaxespad=0.0)
    return fig


def plot_breakdown(d: CellDesign):
    """Horizontal bars of the unit cell's mass fractions."""
    fig, ax = new_figure(3.5, 2.4)
    with style():
        keys = list(d.mass_fraction)
        vals = [100 * float(np.asarray(d.mass_fraction[k])) for k in keys]
        ax.barh(keys, vals, color="C0")
        ax.set_xlabel("Mass fraction of unit cell (%)")
        ax.invert_yaxis()
        title = f"unit cell {float(np.asarray(d.unit_specific_energy_Wh_per_kg)):.0f} Wh/kg"
        if d.pouch_mass_kg is not None:
            title += f"; pouch {float(np.asarray(d.specific_energy_Wh_per_kg)):.0f} Wh/kg"
        ax.set_title(title, fontsize=8)
    return fig
