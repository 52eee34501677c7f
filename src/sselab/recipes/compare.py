"""Recipes that put several cells side by side, as a paper's figure does: the files a manifest tags with one figure
panel (``scope="figure"``).

* ``eis.overlay`` — single spectra of several cells (or of one cell before and after a treatment) at one
  temperature: every spectrum analysed as ``eis.blocking`` / ``eis.symmetric`` analyse it alone, one overlay
  (Nyquist with fits and frequency decades, |Z| and phase) and the change between them — the imide paper's Fig. 1e
  (three preparations at 30 °C) and Fig. 1g (a Li|Li2NH|Li cell before and after the interface heat treatment).
* ``eis.arrhenius.compare`` — temperature series of several materials: one ``eis.arrhenius`` fit per material
  and all of them in one Arrhenius plot with their activation energies (Fig. 1f).

Decisions made here: the order of an overlay is the files' start times when every file has one (before → after),
else the manifest's order; a change is stated for two spectra (ratio of σ, interface ASR and cell resistance,
second / first); an overlay needs ≥ 2 single-spectrum files within :data:`SAME_TEMPERATURE_K` of each other; a
comparison needs ≥ 2 materials with temperature series.  Routing passes the per-file (per-material) results of the
same files (``results=``), so the numbers are those of the single-file sections.
"""
from __future__ import annotations

import math

import numpy as np

from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register
from ._common import finite, measurements_list, source_name, source_path

__all__ = ["overlay", "arrhenius_compare", "SAME_TEMPERATURE_K"]

#: spectra of an overlay lie within this many kelvin of each other
SAME_TEMPERATURE_K = 2.0
#: the smallest spectrum gets an enlarged inset when it is smaller than this fraction of the largest
INSET_FRACTION = 0.2


def _cells_for(ms, cell, cells):
    cells = list(cells) if cells is not None else [cell] * len(ms)
    if len(cells) != len(ms):
        raise RecipeError(f"{len(ms)} files but {len(cells)} cells")
    return cells


def _name(cell, m, label=None) -> str:
    if label:
        return str(label)
    if cell is not None:
        return cell.material or cell.name
    return source_name(m)


# ---------------------------------------------------------------------------------------------------------------
# eis.overlay
# ---------------------------------------------------------------------------------------------------------------

def _overlay_accepts(ms, cell) -> bool:
    if len(ms) < 2 or any(not m.is_eis or len(m.spectra()) != 1 for m in ms):
        return False
    temps = [m.temperature_K for m in ms if m.temperature_K is not None]
    return not temps or (max(temps) - min(temps)) <= SAME_TEMPERATURE_K


def plot_overlay(result: RecipeResult) -> list[FigureOut]:
    from .eis_figures import overlay_figure

    d = result.figures
    curves = list(zip(d["labels"], d["spectra"]))
    tag = result.options.get("paper_figure")
    T = d.get("T_K")
    title = None
    fig = overlay_figure(curves, title, inset=True)
    where = f" at {T - 273.15:.0f} °C" if T else ""
    return [FigureOut("overlay-" + _slug(result.subject), f"Impedance{where}: {', '.join(d['labels'])}", fig,
                      "(a) Nyquist plots with their fits (squares: frequency decades, labelled on the first "
                      "spectrum; crosses: the low-frequency inductive loop, not fitted; inset: the smallest "
                      "spectrum enlarged); (b) |Z| and (c) −phase against frequency",
                      f"Fig. {tag}" if tag else None)]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


@register("eis.overlay", techniques=("EIS",), cell_kinds=("blocking", "li-blocking", "symmetric", "unknown"),
          scope="figure", accepts=_overlay_accepts, plot=plot_overlay, title="Impedance, spectra compared",
          uses=("eis.blocking", "eis.symmetric"))
def overlay(measurements, cell=None, *, cells=None, temperatures_K=None, labels=None, paper_figure=None,
            results=None) -> RecipeResult:
    """Single spectra of several cells (or one cell before/after) at one temperature → each spectrum's σ and
    interface ASR as ``eis.blocking`` / ``eis.symmetric`` give them, the change between two, and one overlay."""
    from .eis import per_spectrum

    ms = measurements_list(measurements)
    if len(ms) < 2:
        raise RecipeError("eis.overlay: needs at least two spectra")
    cells = _cells_for(ms, cell, cells)
    temps = list(temperatures_K) if temperatures_K is not None else [None] * len(ms)
    labs = list(labels) if labels is not None else [None] * len(ms)
    if len(temps) != len(ms) or len(labs) != len(ms):
        raise RecipeError(f"{len(ms)} files but {len(temps)} temperatures and {len(labs)} labels")
    by_src = {}
    for r in results or ():
        if r.recipe in ("eis.blocking", "eis.symmetric") and r.inputs:
            by_src[r.inputs[0]] = r
    order = list(range(len(ms)))
    starts = [getattr(m, "start_time", None) for m in ms]
    how = "manifest order"
    if all(s is not None for s in starts) and len(set(starts)) == len(starts):
        order = sorted(order, key=lambda i: starts[i])
        how = "start times"
    per, names, flags = [], [], []
    for i in order:
        m, c = ms[i], cells[i]
        r = by_src.get(source_path(m))
        T = temps[i]
        kind = "symmetric" if c is not None and c.kind == "symmetric" else "blocking"
        if r is None or (T is not None and r.get("T_K") is not None and abs(r.get("T_K") - T) > 1e-6) \
                or r.recipe != f"eis.{kind}":
            r = per_spectrum([m], c, kind=kind, temperature_K=T)[0]
        per.append(r)
        names.append(_name(c, m, labs[i]))
        flags += [Flag(f.code, f"{names[-1]}: {f.message}", f.severity, f.where) for f in r.flags
                  if f.severity != "info"]
    Ts = [r.get("T_K") for r in per if r.get("T_K") is not None]
    vals = [Value("n_spectra", len(per), "", label="spectra")]
    if Ts:
        vals.append(Value("T_K", float(np.mean(Ts)), "K", label="temperature", display_unit="degC"))
    rows = []
    for k, (r, n) in enumerate(zip(per, names), 1):
        for key, lab, disp in (("sigma_S_per_m", "σ", "mS/cm"), ("asr_interface_ohm_m2", "ASR per interface",
                                                                   "ohm cm2")):
            if key in r:
                v = r[key]
                base = key.rsplit("_S_per_m", 1)[0] if key.endswith("_S_per_m") else key.rsplit("_ohm_m2", 1)[0]
                unit_sfx = "_S_per_m" if key.endswith("_S_per_m") else "_ohm_m2"
                vals.append(Value(f"{base}_{k}{unit_sfx}", v.value, v.unit, v.stderr, f"{lab} — {n}", disp,
                                  v.bound, where=n, note=v.note))
        rc = _r_cell(r)
        rows.append((k, n, source_name_of(r), r.get("T_K"), r.get("R_electrolyte_ohm"), r.get("sigma_S_per_m"),
                     r.get("R_interface_ohm"), r.get("asr_interface_ohm_m2"), rc, r.get("circuit")))
    change = []
    if len(per) == 2:
        a, b = per
        for key, lab, what in (("sigma_S_per_m", "σ, second / first", "σ"),
                               ("asr_interface_ohm_m2", "interface ASR, first / second", "ASR")):
            if key in a and key in b and a.get(key) and b.get(key):
                ratio = b.get(key) / a.get(key) if key == "sigma_S_per_m" else a.get(key) / b.get(key)
                k2 = "sigma_ratio_second_to_first" if key == "sigma_S_per_m" else "asr_ratio_first_to_second"
                vals.append(Value(k2, ratio, "", label=lab))
                change.append(f"{what} {names[0]} → {names[1]}: "
                              f"{a[key].text()} → {b[key].text()}")
        ra, rb = _r_cell(a), _r_cell(b)
        if ra and rb:
            vals.append(Value("R_cell_ratio_first_to_second", ra / rb, "", label="cell resistance, first / second"))
    else:
        sig = [(r.get("sigma_S_per_m"), n) for r, n in zip(per, names) if r.get("sigma_S_per_m")]
        if len(sig) >= 2:
            hi, lo = max(sig), min(sig)
            vals.append(Value("sigma_ratio_max_to_min", hi[0] / lo[0], "", label=f"σ, highest / lowest",
                              where=f"{hi[1]} / {lo[1]}"))
            change.append(f"σ spans {hi[0] / lo[0]:.3g}× from {lo[1]} to {hi[1]}")
    flags.insert(0, Flag("overlay-order", f"order: {', '.join(names)} (by {how})", "info"))
    if change:
        flags.insert(0, Flag("change", "; ".join(change), "info"))
    table = RecipeTable("spectra", ("n", "name", "file", "T_K", "R_electrolyte_ohm", "sigma_S_per_m",
                                    "R_interface_ohm", "asr_interface_ohm_m2", "R_cell_ohm", "circuit"), tuple(rows),
                        "The spectra (each analysed as it is alone)")
    figs = {"labels": names, "spectra": [dict(r.figures) for r in per], "T_K": float(np.mean(Ts)) if Ts else None}
    subject = f"Fig. {paper_figure}" if paper_figure else ", ".join(names)
    opts = {"paper_figure": paper_figure, "order": how, "temperatures_K": temps, "labels": labs,
            "same_temperature_K": SAME_TEMPERATURE_K}
    return RecipeResult("eis.overlay", subject, tuple(source_path(ms[i]) for i in order), opts, tuple(vals),
                        tuple(flags), (table,), figs, details=per)


def source_name_of(r) -> str:
    from pathlib import Path

    return Path(r.inputs[0]).name if r.inputs else r.subject


def _r_cell(r) -> float | None:
    """Every resistance of a per-spectrum result's fit, summed (the cell resistance), from its parameter table."""
    try:
        t = r.table("parameters")
    except KeyError:
        return None
    import re

    vals = [row[1] for row in t.rows if re.fullmatch(r"R\d+", str(row[0]))]
    return float(sum(vals)) if vals else None


# ---------------------------------------------------------------------------------------------------------------
# eis.arrhenius.compare
# ---------------------------------------------------------------------------------------------------------------

def _compare_accepts(ms, cell) -> bool:
    temps = {round(m.temperature_K, 1) for m in ms if m.temperature_K is not None}
    return len(ms) >= 4 and len(temps) >= 2


def plot_compare(result: RecipeResult) -> list[FigureOut]:
    """log σ against 1000/T for every material, the fits with their 95 % bands, Ea in the legend, °C on top."""
    import matplotlib.pyplot as plt

    from ..plotting import style

    d = result.figures
    tag = result.options.get("paper_figure")
    markers = "osD^v<>"
    with style():
        fig, ax = plt.subplots(figsize=(4.2, 3.3))
        for k, m in enumerate(d["materials"]):
            col = f"C{k}"
            T = np.asarray(m["T_K"], float)
            s = np.asarray(m["sigma_S_per_m"], float) * 10.0             # mS/cm
            used = np.asarray(m["used"], bool)
            lab = f"{m['name']}: Ea = {m['Ea_text']}"
            ax.semilogy(1000 / T[used], s[used], markers[k % len(markers)], ms=4, mfc="none", mew=0.9, color=col,
                        label=lab)
            if (~used).any():
                ax.semilogy(1000 / T[~used], s[~used], "x", ms=4, color=col)
            if m.get("T_line_K"):
                tl = np.asarray(m["T_line_K"], float)
                ax.semilogy(1000 / tl, np.asarray(m["sigma_line_S_per_m"], float) * 10, "-", lw=0.9, color=col)
                if m.get("sigma_line_lo_S_per_m"):
                    ax.fill_between(1000 / tl, np.asarray(m["sigma_line_lo_S_per_m"], float) * 10,
                                    np.asarray(m["sigma_line_hi_S_per_m"], float) * 10, color=col, alpha=0.15, lw=0)
        ax.set_xlabel("1000 / T (K⁻¹)")
        ax.set_ylabel("σ (mS cm⁻¹)")
        ax.legend(loc="lower left", fontsize=6.5, handletextpad=0.3)
        top = ax.secondary_xaxis("top", functions=(lambda x: 1000 / np.maximum(x, 1e-9) - 273.15,
                                                   lambda c: 1000 / (np.asarray(c) + 273.15)))
        top.set_xlabel("T (°C)")
    return [FigureOut("arrhenius-compare-" + _slug(result.subject), "Arrhenius plots of the materials", fig,
                      "σ of each preparation against 1000/T with its σT-Arrhenius fit and 95 % band; Ea in the "
                      "legend (crosses: points left out of a fit)", f"Fig. {tag}" if tag else None)]


@register("eis.arrhenius.compare", techniques=("EIS",), cell_kinds=("blocking", "li-blocking", "unknown"),
          scope="figure", accepts=_compare_accepts, plot=plot_compare, title="Arrhenius, materials compared",
          uses=("eis.arrhenius",))
def arrhenius_compare(measurements, cell=None, *, cells=None, temperatures_K=None, paper_figure=None,
                      results=None) -> RecipeResult:
    """Temperature series of several materials (cells grouped by ``material``) → one ``eis.arrhenius`` fit each
    (or the ones routing passes), their Ea and σ(30 °C) side by side and one Arrhenius plot."""
    from .arrhenius import arrhenius

    ms = measurements_list(measurements)
    cells = _cells_for(ms, cell, cells)
    temps = list(temperatures_K) if temperatures_K is not None else [None] * len(ms)
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cells):
        groups.setdefault(_name(c, ms[i]), []).append(i)
    if len(groups) < 2:
        raise RecipeError("eis.arrhenius.compare: needs temperature series of at least two materials")
    given = {r.subject: r for r in results or () if r.recipe == "eis.arrhenius"}
    fits, flags = [], []
    for name, idx in groups.items():
        r = given.get(name)
        if r is None or set(r.inputs) != {source_path(ms[i]) for i in idx}:
            r = arrhenius([ms[i] for i in idx], cells=[cells[i] for i in idx],
                          temperatures_K=[temps[i] for i in idx], subject=name)
        fits.append((name, r))
        flags += [Flag(f.code, f"{name}: {f.message}", f.severity, f.where) for f in r.flags
                  if f.severity != "info"]
    vals, rows, mats = [Value("n_materials", len(fits), "", label="materials")], [], []
    for k, (name, r) in enumerate(fits, 1):
        if "Ea_eV" in r:
            v = r["Ea_eV"]
            vals.append(Value(f"Ea_{k}_eV", v.value, "eV", v.stderr, f"Ea — {name}", ci95=v.ci95, where=name,
                              resolution=v.resolution))
        if "sigma_30C_S_per_m" in r:
            v = r["sigma_30C_S_per_m"]
            vals.append(Value(f"sigma_30C_{k}_S_per_m", v.value, "S/m", v.stderr, f"σ(30 °C) — {name}", "mS/cm",
                              ci95=v.ci95, where=name))
        rows.append((name, r.get("Ea_eV"), r["Ea_eV"].stderr if "Ea_eV" in r else None, r.get("sigma_30C_S_per_m"),
                     r.get("sigma_25C_S_per_m"), r.get("n_points"), r.get("T_min_K"), r.get("T_max_K")))
        f = r.figures
        mats.append({"name": name, "Ea_text": r["Ea_eV"].text() if "Ea_eV" in r else "—",
                     **{key: list(np.asarray(f[key], float)) if f.get(key) is not None else None
                        for key in ("T_K", "sigma_S_per_m", "T_line_K", "sigma_line_S_per_m",
                                    "sigma_line_lo_S_per_m", "sigma_line_hi_S_per_m")},
                     "used": list(f.get("used") or [True] * len(f.get("T_K") or []))})
    ea = [(r.get("Ea_eV"), n) for n, r in fits if r.get("Ea_eV") is not None]
    s30 = [(r.get("sigma_30C_S_per_m"), n) for n, r in fits if r.get("sigma_30C_S_per_m") is not None]
    if s30 and ea:
        hi, lo = max(s30), min(s30)
        flags.insert(0, Flag("ranking", f"σ(30 °C) highest for {hi[1]} ({hi[0] * 10:.3g} mS/cm), lowest for {lo[1]} "
                             f"({lo[0] * 10:.3g} mS/cm), {hi[0] / lo[0]:.3g}×; Ea from {min(ea)[0]:.2f} eV "
                             f"({min(ea)[1]}) to {max(ea)[0]:.2f} eV ({max(ea)[1]})", "info"))
    table = RecipeTable("materials", ("material", "Ea_eV", "Ea_err_eV", "sigma_30C_S_per_m", "sigma_25C_S_per_m",
                                      "n_points", "T_min_K", "T_max_K"), tuple(rows),
                        "One σT-Arrhenius fit per material")
    subject = f"Fig. {paper_figure}" if paper_figure else ", ".join(n for n, _ in fits)
    return RecipeResult("eis.arrhenius.compare", subject, tuple(source_path(m) for m in ms),
                        {"paper_figure": paper_figure, "materials": [n for n, _ in fits]}, tuple(vals),
                        tuple(flags), (table,), {"materials": mats}, details={n: r for n, r in fits})
