"""Report section "Cell-level projection": each measured material as the separator of the review's Fig. 17 cell.

For every material with an Arrhenius fit, :mod:`sselab.design` gives at 25 °C

* the separator ASR ``t/σ`` at 20, 50 and 100 µm and the highest C-rate within a 100 mV ohmic budget
  (``sselab.design.rate_capability``; 4 mAh/cm², the review's critical areal capacity);
* the thickness that still allows a 15-minute (4C) charge within that budget;
* the energy density (Wh/kg, Wh/L) of the review's Fig. 17 cell — Al 10 µm | NMC811 composite (90 wt %, 10 wt %
  Li3InCl6 catholyte; 200 mAh/g, 3.75 V; 4 mAh/cm²) | separator | Li (N/P 0.8) | Cu 10 µm, collectors counted, no
  laminate (``sselab.design.fig17_stack``, documented reading in ``sselab/design/FIG17.md``) — with the measured
  material as the only separator layer (in place of the Li3InCl6 + β-Li3N bilayer) at that thickness, and the
  thickness at which the cell falls to 350 Wh/kg (``sselab.design.solve_for``).

The separator density is the measured pellet density (pellet mass / volume from the manifest) — the density at
which σ was measured — else ``sselab.design.density`` of the formula or name.  Ohmic separator loss only: no
interface, charge-transfer or composite-cathode resistance.  The σ uncertainty (95 % band of the Arrhenius fit at
25 °C, as a standard error) is carried to ASR, C-rate and thickness (all ∝ σ or 1/σ).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import SselabError
from ..fmt import fmt_num, fmt_pm
from .model import Number, Section, Table

__all__ = ["cell_projection_sections", "project_material", "plot_cell_projection", "Projection",
           "T_REF_K", "THICKNESSES_M", "AREAL_CAPACITY_MAH_CM2", "VOLTAGE_BUDGET_V", "TARGET_C_RATE",
           "TARGET_WH_PER_KG"]

T_REF_K = 298.15
THICKNESSES_M = (20e-6, 50e-6, 100e-6)
AREAL_CAPACITY_MAH_CM2 = 4.0
VOLTAGE_BUDGET_V = 0.1
TARGET_C_RATE = 4.0
TARGET_WH_PER_KG = 350.0
#: separator thicknesses of the figure's curves (m)
CURVE_M = np.geomspace(1e-6, 1e-3, 121)


@dataclass
class Projection:
    """One material in the Fig. 17 cell (SI inside; ``*_um``, ``*_ohm_cm2`` in the named units)."""

    material: str
    sigma_25C_S_per_m: float
    sigma_rel_se: float | None
    density_kg_per_m3: float
    density_source: str
    thickness_m: tuple
    asr_ohm_cm2: tuple
    max_c_rate: tuple
    wh_per_kg_at: tuple
    wh_per_L_at: tuple
    t_4C_m: float
    wh_per_kg_at_t_4C: float
    wh_per_L_at_t_4C: float
    t_350_m: float | None
    t_350_note: str = ""
    curve_thickness_m: np.ndarray = field(default_factory=lambda: CURVE_M)
    curve_wh_per_kg: np.ndarray | None = None
    curve_max_c_rate: np.ndarray | None = None
    rate: list = field(default_factory=list)        # design.RateCapability per thickness
    design_at_t_4C: object | None = None             # design.CellDesign

    def se(self, value):
        return None if self.sigma_rel_se is None else abs(value) * self.sigma_rel_se


def _sigma_rel_se(fit, T_K: float) -> float | None:
    """Relative standard error of σ(T) from the fit's 95 % band (half-width of ln σ over the t quantile)."""
    val, lo, hi = fit.sigma_at(T_K)
    if not (lo > 0 and hi > 0):          # a fit without uncertainty (two points) has NaN bounds
        return None
    q = getattr(fit, "t_quantile", None) or 1.96
    r = (math.log(hi) - math.log(lo)) / 2 / q
    return r if math.isfinite(r) and r > 0 else None


def material_density(ctx, material: str, design) -> tuple[float, str]:
    """Pellet density of the material's cells in the manifest, else the design module's density table."""
    cells = [c for c in getattr(ctx.manifest, "cells", ()) or () if (c.material or c.name) == material]
    used = set((ctx.data.get("material_cells") or {}).get(material, ()))
    rho, names = [], []
    for c in cells:
        try:
            m, t, a = c.pellet_mass_kg, c.thickness_m, c.area_m2
        except SselabError:
            continue
        if m and t and a and (not used or c.name in used):
            rho.append(m / (t * a))
            names.append(c.name)
    if rho:
        return float(np.mean(rho)), f"pellet density of {', '.join(names)} (mass / volume)"
    for name in dict.fromkeys([*(c.formula for c in cells if getattr(c, "formula", None)), material]):
        try:
            v, src = design.density_source(name)
            return float(v), f"{name}: {src}"
        except SselabError:
            continue
    raise SselabError(f"{material}: no density (give pellet_mass, thickness and diameter in the manifest, or a "
                      f"formula the knowledge base knows); energy density left out")


def fig17_cell(design, material: str, thickness_m, density_kg_per_m3: float):
    """The review's Fig. 17 cell (its documented reading: standard foils and N/P of ``fig17_stack``; 4 mAh/cm²)
    with ``material`` as its only separator."""
    base = design.fig17_stack("Li3InCl6", AREAL_CAPACITY_MAH_CM2, thickness_m, reading="nitride")
    sep = design.Separator(material, thickness_m, density_kg_per_m3)
    return base.with_(separators=(sep,), name=f"Fig. 17 cell, {material} separator")


def project_material(design, material: str, fit, density_kg_per_m3: float, density_source: str = "") -> Projection:
    """Rate capability and Fig. 17 energy density of one material (``fit``: an Arrhenius fit with ``sigma_at``)."""
    q = f"{AREAL_CAPACITY_MAH_CM2:g} mAh/cm2"
    sig = design.conductivity_at(fit, T_REF_K)
    rates = [design.rate_capability(t, fit, T_REF_K, q, 1.0, VOLTAGE_BUDGET_V, TARGET_C_RATE) for t in THICKNESSES_M]
    t4 = float(rates[0].max_thickness_for_target_m)
    at = design.sweep(fig17_cell(design, material, 20e-6, density_kg_per_m3), "sse_thickness",
                      np.asarray(THICKNESSES_M))
    stack4 = fig17_cell(design, material, t4, density_kg_per_m3)
    d4 = design.evaluate(stack4)
    check = design.stack_rate_capability(stack4, fit, T_REF_K, 1.0, VOLTAGE_BUDGET_V, TARGET_C_RATE)
    if not math.isclose(check.max_c_rate, TARGET_C_RATE, rel_tol=1e-6):
        raise SselabError(f"{material}: rate at the 4C thickness is {check.max_c_rate:.4g}C, not 4C")
    t350, note = None, ""
    try:
        t350 = float(design.solve_for(stack4, "sse_thickness", f"{TARGET_WH_PER_KG:g} Wh/kg").value)
    except SselabError as exc:  # out of reach in the bracket: say why
        note = str(exc).splitlines()[0]
    curve = design.sweep(stack4, "sse_thickness", CURVE_M)
    c_curve = 3600.0 * VOLTAGE_BUDGET_V * sig / (rates[0].areal_capacity_C_per_m2 * CURVE_M)
    return Projection(
        material=material, sigma_25C_S_per_m=sig, sigma_rel_se=_sigma_rel_se(fit, T_REF_K),
        density_kg_per_m3=density_kg_per_m3, density_source=density_source, thickness_m=THICKNESSES_M,
        asr_ohm_cm2=tuple(r.asr_ohm_cm2 for r in rates), max_c_rate=tuple(r.max_c_rate for r in rates),
        wh_per_kg_at=tuple(float(x) for x in at.specific_energy_Wh_per_kg),
        wh_per_L_at=tuple(float(x) for x in at.energy_density_Wh_per_L), t_4C_m=t4,
        wh_per_kg_at_t_4C=d4.scalar("specific_energy_Wh_per_kg"),
        wh_per_L_at_t_4C=d4.scalar("energy_density_Wh_per_L"), t_350_m=t350, t_350_note=note,
        curve_wh_per_kg=np.asarray(curve.specific_energy_Wh_per_kg), curve_max_c_rate=c_curve, rate=rates,
        design_at_t_4C=d4)


def _reference_curve(design):
    """The review's own cell (Li3InCl6 + β-Li3N, each layer t/2) against total separator thickness t."""
    st = design.fig17_stack("Li3InCl6", AREAL_CAPACITY_MAH_CM2, 20e-6)
    return design.sweep(st, "sse_thickness", CURVE_M / 2).specific_energy_Wh_per_kg


def plot_cell_projection(projections: list[Projection], reference_wh_per_kg=None):
    """(a) Wh/kg of the Fig. 17 cell against separator thickness, 350 Wh/kg line; (b) highest C-rate within the
    voltage budget against thickness, 4C line.  Circles: the 4C thickness of each material."""
    from ..plotting import new_figure, style

    fig, (ax0, ax1) = new_figure(7.0, 2.8, ncols=2)
    with style():
        x = CURVE_M * 1e6
        if reference_wh_per_kg is not None:
            ax0.plot(x, reference_wh_per_kg, color="0.55", ls=":", lw=1.2,
                     label="review: Li3InCl6 + β-Li3N (total)")
        for k, p in enumerate(projections):
            c = f"C{k}"
            ax0.plot(x, p.curve_wh_per_kg, color=c, label=p.material)
            ax1.loglog(x, p.curve_max_c_rate, color=c, label=p.material)
            ax0.plot(p.t_4C_m * 1e6, p.wh_per_kg_at_t_4C, "o", color=c, mfc="white", ms=5)
            ax1.plot(p.t_4C_m * 1e6, TARGET_C_RATE, "o", color=c, mfc="white", ms=5)
        ax0.axhline(TARGET_WH_PER_KG, color="0.3", ls="--", lw=0.8)
        ax0.annotate(f"{TARGET_WH_PER_KG:g} Wh/kg", (0.02, TARGET_WH_PER_KG), xycoords=("axes fraction", "data"),
                     ha="left", va="bottom", fontsize=7, color="0.3")
        ax1.axhline(TARGET_C_RATE, color="0.3", ls="--", lw=0.8)
        ax1.annotate("4C (15 min)", (0.98, TARGET_C_RATE), xycoords=("axes fraction", "data"), ha="right",
                     va="bottom", fontsize=7, color="0.3")
        ax0.set_xscale("log")
        ax0.set_ylim(0, None)
        for ax in (ax0, ax1):
            ax.set_xlim(x[0], x[-1])
            ax.set_xlabel("Separator thickness (µm)")
        ax0.set_ylabel("Specific energy (Wh kg$^{-1}$)")
        ax1.set_ylabel(f"Max C-rate (ΔV ≤ {VOLTAGE_BUDGET_V * 1e3:.0f} mV)")
        ax0.set_title("(a) Fig. 17 cell, 4 mAh cm$^{-2}$", fontsize=8)
        ax1.set_title("(b) ohmic rate limit at 25 °C", fontsize=8)
        ax0.legend(fontsize=6, loc="lower left")
        fig.subplots_adjust(wspace=0.35)
    return fig


def _um(x):
    return None if x is None else x * 1e6


def cell_projection_sections(ctx) -> list[Section]:
    import importlib

    from ..recipes.routing import one_line

    design = importlib.import_module("sselab.design")     # a broken design module fails the report, loudly

    fits = {mat: res.details["fit"] for mat, res in (ctx.data.get("arrhenius") or {}).items()
            if res.get("rankable")}
    if not fits:
        return []
    sec = Section("design-cell-projection", "Cell-level projection — Fig. 17 cell", "design", subject="all")
    ref_stack = fig17_cell(design, "separator", 20e-6, 1000.0)
    al, cu = ref_stack.positive_collector.thickness_m * 1e6, ref_stack.negative_collector.thickness_m * 1e6
    npr = ref_stack.anode.np_ratio
    cell_txt = (f"Al {al:.3g} µm | NMC811 composite (90 wt %, 10 wt % Li3InCl6; 200 mAh/g, 3.75 V; "
                f"{AREAL_CAPACITY_MAH_CM2:g} mAh/cm²) | separator | Li (N/P {npr:g}) | Cu {cu:.3g} µm")
    sec.intro = (
        f"Each material as the separator of the nitride-SSE review's Fig. 17 cell: {cell_txt}, collectors "
        f"counted, no laminate (sselab.design.fig17_stack, reading documented in sselab/design/FIG17.md), with "
        f"the measured material as the only separator layer in place of the Li3InCl6 + β-Li3N bilayer.  Rate: "
        f"ohmic separator loss only, ASR = t/σ(25 °C), highest C-rate with an IR drop ≤ "
        f"{VOLTAGE_BUDGET_V * 1e3:.0f} mV (sselab.design.rate_capability); no interface or cathode-composite "
        f"resistance, so these are upper bounds.  Uncertainties: the σ(25 °C) standard error of the Arrhenius fit.")
    projs = []
    for mat, fit in fits.items():
        try:
            rho, src = material_density(ctx, mat, design)
            projs.append(project_material(design, mat, fit, rho, src))
        except SselabError as exc:       # no density for this material, or its projection is out of reach
            sec.note(f"{mat}: {one_line(exc)}")
    if not projs:
        sec.status = "error"
        return [sec]
    tl = "/".join(f"{t * 1e6:.0f}" for t in THICKNESSES_M)
    rows_rate, rows_cell = [], []
    for p in projs:
        rel = f"{p.sigma_rel_se * 100:.2g} %" if p.sigma_rel_se else "—"
        rows_rate.append([p.material, fmt_pm(p.sigma_25C_S_per_m * 10, p.se(p.sigma_25C_S_per_m * 10)), rel,
                          *[fmt_num(a, 3) for a in p.asr_ohm_cm2], *[fmt_num(c, 3) for c in p.max_c_rate],
                          fmt_pm(p.t_4C_m * 1e6, p.se(p.t_4C_m * 1e6))])
        t350 = fmt_num(_um(p.t_350_m), 3) if p.t_350_m is not None else "unreachable"
        rows_cell.append([p.material, f"{p.density_kg_per_m3 / 1000:.3g}",
                          *[f"{w:.0f}" for w in p.wh_per_kg_at],
                          fmt_pm(p.t_4C_m * 1e6, p.se(p.t_4C_m * 1e6)), f"{p.wh_per_kg_at_t_4C:.0f}",
                          f"{p.wh_per_L_at_t_4C:.0f}", t350])
        num = sec.numbers
        for t, a, c in zip(THICKNESSES_M, p.asr_ohm_cm2, p.max_c_rate):
            num.append(Number("design", p.material, f"asr_25C_{t * 1e6:.0f}um_ohm_cm2",
                              f"separator ASR, {t * 1e6:.0f} µm, 25 °C", a, p.se(a), "Ω cm²"))
        for t, a, c in zip(THICKNESSES_M, p.asr_ohm_cm2, p.max_c_rate):
            num.append(Number("design", p.material, f"max_c_rate_{t * 1e6:.0f}um",
                              f"max C-rate, {t * 1e6:.0f} µm (ΔV ≤ {VOLTAGE_BUDGET_V * 1e3:.0f} mV)", c, p.se(c),
                              "1/h"))
        num += [Number("design", p.material, "t_4C_um", "separator thickness for 4C (15 min)", p.t_4C_m * 1e6,
                       p.se(p.t_4C_m * 1e6), "µm"),
                Number("design", p.material, "wh_per_kg_at_t_4C", "Fig. 17 cell at that thickness",
                       p.wh_per_kg_at_t_4C, None, "Wh/kg"),
                Number("design", p.material, "wh_per_L_at_t_4C", "Fig. 17 cell at that thickness",
                       p.wh_per_L_at_t_4C, None, "Wh/L"),
                Number("design", p.material, "t_350Whkg_um", "separator thickness for 350 Wh/kg",
                       _um(p.t_350_m) if p.t_350_m is not None else "unreachable", None,
                       "µm" if p.t_350_m is not None else "")]
        if p.t_4C_m < THICKNESSES_M[0]:
            sec.note(f"{p.material}: a 4C charge needs a separator thinner than {THICKNESSES_M[0] * 1e6:.0f} µm "
                     f"({p.t_4C_m * 1e6:.3g} µm at σ(25 °C) = {p.sigma_25C_S_per_m * 10:.3g} mS/cm)")
        if p.t_350_note:
            sec.note(f"{p.material}: 350 Wh/kg {p.t_350_note}")
        sec.note(f"{p.material}: separator density {p.density_kg_per_m3 / 1000:.3g} g/cm³ — {p.density_source}")
    sec.tables.append(Table(
        f"Separator at 25 °C ({AREAL_CAPACITY_MAH_CM2:g} mAh/cm², IR drop ≤ {VOLTAGE_BUDGET_V * 1e3:.0f} mV)",
        ["material", "σ(25 °C) (mS/cm)", "rel. s.e.", *[f"ASR {t * 1e6:.0f} µm (Ω cm²)" for t in THICKNESSES_M],
         *[f"max C-rate {t * 1e6:.0f} µm" for t in THICKNESSES_M], "t for 4C (µm)"], rows_rate,
        note="ASR = t/σ; max C-rate = 3600 s·ΔV/(Q·ASR); t for 4C = 3600 s·σ·ΔV/(4·Q).  ASR, C-rate and t "
             "carry the relative standard error of σ (given per material; in results.json and summary.csv as "
             "stderr)"))
    sec.tables.append(Table(
        "Energy density of the Fig. 17 cell with this separator",
        ["material", "ρ (g/cm³)", *[f"Wh/kg at {t * 1e6:.0f} µm" for t in THICKNESSES_M], "t for 4C (µm)",
         "Wh/kg at t(4C)", "Wh/L at t(4C)", "t for 350 Wh/kg (µm)"], rows_cell,
        note="Wh/L in the charged state (plated Li counted in the thickness); collectors single-sided"))
    ref = _reference_curve(design)
    f = ctx.figures.add(plot_cell_projection(projs, ref), "cell-projection",
                              "Cell-level projection",
                              f"(a) specific energy of the review's Fig. 17 cell against separator thickness "
                              f"(dotted: the review's Li3InCl6 + β-Li3N bilayer, total thickness), dashed: "
                              f"{TARGET_WH_PER_KG:g} Wh/kg; (b) highest C-rate with an ohmic drop ≤ "
                              f"{VOLTAGE_BUDGET_V * 1e3:.0f} mV at 25 °C, dashed: 4C.  Circles: the thickness "
                              f"allowing a 15-minute charge.")
    if f is not None:
        sec.figures.append(f)
    sec.data = {"assumptions": {"T_K": T_REF_K, "areal_capacity_mAh_cm2": AREAL_CAPACITY_MAH_CM2,
                                  "voltage_budget_V": VOLTAGE_BUDGET_V, "target_c_rate": TARGET_C_RATE,
                                  "np_ratio": npr, "foils_um": {"Al": al, "Cu": cu},
                                  "cell": "review Fig. 17 (sselab.design.fig17_stack), material as the only "
                                          "separator layer", "ohmic_only": True},
                  "materials": {p.material: {
                      "sigma_25C_S_per_m": p.sigma_25C_S_per_m, "sigma_rel_se": p.sigma_rel_se,
                      "density_kg_per_m3": p.density_kg_per_m3, "density_source": p.density_source,
                      "thickness_m": list(p.thickness_m), "asr_ohm_cm2": list(p.asr_ohm_cm2),
                      "max_c_rate": list(p.max_c_rate), "wh_per_kg": list(p.wh_per_kg_at),
                      "wh_per_L": list(p.wh_per_L_at), "t_4C_m": p.t_4C_m,
                      "wh_per_kg_at_t_4C": p.wh_per_kg_at_t_4C, "wh_per_L_at_t_4C": p.wh_per_L_at_t_4C,
                      "t_350Whkg_m": p.t_350_m, "rate_capability": p.rate, "design_at_t_4C": p.design_at_t_4C}
                      for p in projs}}
    ctx.data["cell_projection_table"] = Table(
        f"Table 3. Cell-level projection (25 °C; review Fig. 17 cell, {AREAL_CAPACITY_MAH_CM2:g} mAh/cm², "
        f"IR drop ≤ {VOLTAGE_BUDGET_V * 1e3:.0f} mV)",
        ["material", f"ASR {tl} µm (Ω cm²)", f"max C-rate {tl} µm", "t for 4C (µm)", "Wh/kg, Wh/L at t(4C)",
         "t for 350 Wh/kg (µm)"],
        [[p.material, " / ".join(fmt_num(a, 3) for a in p.asr_ohm_cm2),
          " / ".join(fmt_num(c, 3) for c in p.max_c_rate), fmt_pm(p.t_4C_m * 1e6, p.se(p.t_4C_m * 1e6)),
          f"{p.wh_per_kg_at_t_4C:.0f}, {p.wh_per_L_at_t_4C:.0f}",
          fmt_num(_um(p.t_350_m), 3) if p.t_350_m is not None else "unreachable"] for p in projs])
    return [sec]
