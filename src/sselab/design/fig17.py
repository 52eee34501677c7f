"""Fig. 17 of the nitride-SSE review: the preset and its reproduction.

Review: W. Li et al., "Nitride solid-state electrolytes for all-solid-state lithium metal batteries", section 5.

Cell: Al | NMC811 composite (90 wt % NMC811, 10 wt % catholyte SSE; 200 mAh/g, 3.75 V) | Li3InCl6 (or LGPS) |
β-Li3N | Li (3500 mAh/g) | Cu; densities Li3InCl6 2.59, LGPS 2.04, Li3N 1.27, Al 2.7, Cu 8.9 g/cm³; light foils
8 µm Al + 4 µm Cu.  All of that is stated in the review.  What is *not* stated, and the reading chosen here after a
systematic search of every unstated choice (:mod:`sselab.design.fig17_search`; ``FIG17.md`` beside this file has
the search, the full comparison and the arithmetic):

=========================  =====================================================================================
"SSE thickness" t          **each** of the two separator layers is t thick: catholyte-side Li3InCl6 (or LGPS)
                           layer of t **and** a β-Li3N layer of t (total separator 2t)
cathode composite          the 10 wt % SSE counts (5.56 mg per mAh)
standard foils             Al 10 µm, Cu 10 µm, single-sided (not shared)
Li foil                    N/P = 0.8 in the thickness and areal-capacity curves, N/P = Li-foil capacity / cathode
                           capacity (the lithiated cathode supplies the cycled Li, so N/P < 1 is a valid design)
N/P curves (Fig. 17D)      at t = 20 µm
the garbled N/P sentence   "10 for an areal capacity of 4 [read: 8] mA h cm-2 and 1.2 for … 4 mA h cm-2"
SSE                        Li3InCl6 (panels C–E) — the text's numbers match it, not LGPS
no pouch overhead          laminate / tabs not counted (the review counts "current collectors" only)
=========================  =====================================================================================

Stated (quotes from the review) vs reproduced with this reading, Li3InCl6 (``reproduce_fig17()``); the last column
is the model's Wh/kg *at* the stated critical point (350 if it agreed exactly):

================================================  ========  ==========  =======  =========
statement                                          stated    reproduced  error    Wh/kg there
================================================  ========  ==========  =======  =========
critical areal capacity (std foils, t = 20 µm)     4         3.92        −2.0 %   353
critical t at 10 mAh/cm² (std foils)               100 µm    97.7 µm     −2.3 %   347
critical t at 4 mAh/cm² (std foils)                20 µm     21.0 µm     +5.2 %   353
critical N/P at [8] mAh/cm² (t = 20 µm)            10        9.60        −4.0 %   346
critical N/P at 4 mAh/cm² (t = 20 µm)              1.2       1.15        −4.1 %   350
critical areal capacity, light foils, t = 10 µm    2         1.94        −2.8 %   355
critical areal capacity, light foils, t = 20 µm    3         2.73        −9.1 %   365
critical t at 7 mAh/cm², light foils               80 µm     74.6 µm     −6.8 %   341
critical t at 4 mAh/cm², light foils               40 µm     36.3 µm     −9.3 %   339
================================================  ========  ==========  =======  =========

All nine within 10 % (worst −9.3 %).  The worst two are the light-foil clauses, which do not depend on the
standard foils: with the stated inputs no Li foil brings all four light-foil values closer than ±9.2 %.

The N/P sentence is garbled (it prints "4 mA h cm-2" for both clauses).  "10 at 4 mAh/cm²" is impossible with
standard foils, and within one N/P panel (one SSE, one thickness, one foil set) "10" and "1.2 at 4 mAh/cm²" can
only both hold within 10 % if the "10" is read at 7.5–9.6 mAh/cm²: the 1.2 clause fixes the panel's
Q-independent mass (SSE + foils) to 19.1–19.4 mg/cm², and N/P 10 then crosses 350 Wh/kg at 8.4 mAh/cm².  The
previous reading (10 mAh/cm²) gives +12.9 %, 7 mAh/cm² gives −16 %.  The "8" is thus *fitted*: this clause
is a consistency check of the reading, not independent evidence for it.

Rejected readings: :data:`ALTERNATIVES` / :func:`compare_readings` (closed-form errors of the nine values; the
table is in FIG17.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError
from ..results import Result
from .analysis import solve_for, sweep
from .fig17_search import CHOSEN, clause_errors
from .stack import MAH_PER_CM2, MAH_PER_G, Anode, Cathode, CellStack, Collector, Separator, evaluate

__all__ = ["SSE_DENSITIES", "FOILS", "fig17_stack", "STATEMENTS", "Statement", "Fig17Row", "Fig17Reproduction",
           "reproduce_fig17", "fig17_curves", "NP10_AREAL_CAPACITY",
           "READINGS", "ALTERNATIVES", "compare_readings"]

#: SSE densities stated in the Fig. 17 caption (kg/m³) — used as given, independent of the knowledge base
SSE_DENSITIES = {"Li3InCl6": 2590.0, "LGPS": 2040.0, "Li3N": 1270.0}
#: (Al, Cu) thicknesses in m: "standard" = this module's reading, "light" = stated in the review
FOILS = {"standard": (CHOSEN["al_m"], CHOSEN["cu_m"]), "light": (8e-6, 4e-6)}
RHO_AL, RHO_CU = 2700.0, 8900.0
#: N/P used by the thickness / areal-capacity curves, and the SSE thickness of the N/P curves (our reading)
NP_DEFAULT = CHOSEN["np_ratio"]
T_NP_CURVES = CHOSEN["np12"][1]
#: areal capacity (mAh/cm²) at which the garbled "critical value is 10" clause is read (printed: 4)
NP10_AREAL_CAPACITY = CHOSEN["np10"][0]


#: how the review's "SSE thickness" t maps onto layers: "each" (chosen: catholyte SSE t + β-Li3N t),
#: "total" (t/2 + t/2), "catholyte" (catholyte SSE layer of t only), "nitride" (β-Li3N of t only)
READINGS = ("each", "total", "catholyte", "nitride")


def fig17_stack(sse: str = "Li3InCl6", areal_capacity_mAh_cm2: float = 4.0, sse_thickness_m: float = 20e-6,
                np_ratio: float = NP_DEFAULT, foils: str = "standard", reading: str = "each",
                al_thickness_m: float | None = None, cu_thickness_m: float | None = None,
                shared_foils: bool = False) -> CellStack:
    """The review's Fig. 17 unit cell under the documented reading (arguments may be numpy arrays).

    With the default ``reading="each"``, ``sse_thickness_m`` is the thickness of each separator layer (catholyte
    SSE and β-Li3N); the other readings exist to document the alternatives (see :data:`READINGS`).
    ``al_thickness_m``/``cu_thickness_m`` override the ``foils`` set; ``np_ratio`` is the Li-foil capacity over the
    cathode capacity.
    """
    if sse not in ("Li3InCl6", "LGPS"):
        raise AnalysisError(f"Fig. 17 SSE must be 'Li3InCl6' or 'LGPS', got {sse!r}")
    if reading not in READINGS:
        raise AnalysisError(f"Fig. 17 reading must be one of {', '.join(READINGS)}, got {reading!r}")
    if foils not in FOILS:
        raise AnalysisError(f"Fig. 17 foils must be 'standard' or 'light', got {foils!r}")
    al, cu = FOILS[foils]
    al = al if al_thickness_m is None else al_thickness_m
    cu = cu if cu_thickness_m is None else cu_thickness_m
    t_each = sse_thickness_m / 2 if reading == "total" else sse_thickness_m
    cath = Cathode(areal_capacity_C_per_m2=areal_capacity_mAh_cm2 * MAH_PER_CM2,
                   specific_capacity_C_per_kg=200 * MAH_PER_G, voltage_V=3.75, active_fraction=0.9,
                   active_material="NMC811", catholyte=sse, active_density_kg_per_m3=4750.0,
                   catholyte_density_kg_per_m3=SSE_DENSITIES[sse])
    seps = []
    if reading != "nitride":
        seps.append(Separator(sse, t_each, SSE_DENSITIES[sse]))
    if reading != "catholyte":
        seps.append(Separator("β-Li3N", t_each, SSE_DENSITIES["Li3N"]))
    return CellStack(cath, tuple(seps), Anode.li_metal(np_ratio), Collector("Al", al, RHO_AL, shared_foils),
                     Collector("Cu", cu, RHO_CU, shared_foils), None,
                     f"Fig17 Al|NMC811|{sse}|β-Li3N|Li|Cu ({foils} foils)")


@dataclass(frozen=True)
class Statement:
    label: str
    quote: str
    param: str             # solved parameter
    stated: float          # in display units (µm, mAh/cm², N/P)
    unit: str
    foils: str
    areal_capacity_mAh_cm2: float | None = None
    sse_thickness_um: float | None = None


#: the review's critical values for 350 Wh/kg (section 5), with the conditions under which we solve for them
STATEMENTS: tuple[Statement, ...] = (
    Statement("critical areal capacity, std foils, t = 20 µm",
              "Regarding 350 W h kg-1 as the critical energy density, the all-solid-state lithium metal batteries "
              "require a critical areal capacity of 4 mA h cm-2", "areal_capacity", 4.0, "mAh/cm2", "standard",
              sse_thickness_um=20.0),
    Statement("critical t at 10 mAh/cm², std foils",
              "a critical thickness of 100 µm for SSEs layers with an areal capacity of 10 mA h cm-2",
              "sse_thickness", 100.0, "um", "standard", areal_capacity_mAh_cm2=10.0),
    Statement("critical t at 4 mAh/cm², std foils",
              "and 20 µm for SSEs layers with an areal capacity of 4 mA h cm-2", "sse_thickness", 20.0, "um",
              "standard", areal_capacity_mAh_cm2=4.0),
    Statement(f"critical N/P at [{NP10_AREAL_CAPACITY:g}] mAh/cm², t = 20 µm",
              "Regarding the N/P ration, the critical value is 10 for an areal capacity of 4 "
              f"[read: {NP10_AREAL_CAPACITY:g}] mA h cm-2", "np_ratio", 10.0, "", "standard",
              areal_capacity_mAh_cm2=NP10_AREAL_CAPACITY),
    Statement("critical N/P at 4 mAh/cm², t = 20 µm",
              "and 1.2 for an areal capacity of 4 mA h cm-2", "np_ratio", 1.2, "", "standard",
              areal_capacity_mAh_cm2=4.0),
    Statement("critical areal capacity, light foils, t = 10 µm",
              "light weight foils (8 µm Al, and 4 µm Cu) can help compromise the requirement of critical areal "
              "capacities to 2 mA h cm-2 for 10 µm SSEs", "areal_capacity", 2.0, "mAh/cm2", "light",
              sse_thickness_um=10.0),
    Statement("critical areal capacity, light foils, t = 20 µm",
              "and 3 mA h cm-2 for 20 µm SSEs", "areal_capacity", 3.0, "mAh/cm2", "light", sse_thickness_um=20.0),
    Statement("critical t at 7 mAh/cm², light foils",
              "and critical thickness of 80 µm for SSEs with an areal capacity of 7 mA h cm-2", "sse_thickness",
              80.0, "um", "light", areal_capacity_mAh_cm2=7.0),
    Statement("critical t at 4 mAh/cm², light foils",
              "and 40 µm for SSEs with an areal capacity of 4 mA h cm-2", "sse_thickness", 40.0, "um", "light",
              areal_capacity_mAh_cm2=4.0),
)


@dataclass(frozen=True)
class Fig17Row(Result):
    label: str
    quote: str
    param: str
    unit: str
    foils: str
    stated: float
    reproduced: float
    rel_error: float
    energy_at_stated_Wh_per_kg: float


@dataclass(frozen=True)
class Fig17Reproduction(Result):
    """Stated vs reproduced critical values for 350 Wh/kg, plus the curves of Fig. 17C–E (or F–H)."""

    sse: str
    target_Wh_per_kg: float
    reading: dict
    rows: tuple[Fig17Row, ...]
    max_abs_rel_error: float
    curves: dict

    def table(self) -> list[dict]:
        return [r.to_dict() for r in self.rows]


def _conditions(st: Statement, np_curve_thickness_m: float) -> tuple[float, float]:
    q = st.areal_capacity_mAh_cm2 if st.areal_capacity_mAh_cm2 is not None else 4.0
    if st.sse_thickness_um is not None:
        t = st.sse_thickness_um * 1e-6
    else:
        t = np_curve_thickness_m if st.param == "np_ratio" else 20e-6
    return q, t


def _statements(np10_areal_capacity_mAh_cm2: float) -> tuple[Statement, ...]:
    if np10_areal_capacity_mAh_cm2 == NP10_AREAL_CAPACITY:
        return STATEMENTS
    q = np10_areal_capacity_mAh_cm2
    st = STATEMENTS[3]
    alt = Statement(f"critical N/P at [{q:g}] mAh/cm², t = 20 µm",
                    st.quote.replace(f"[read: {NP10_AREAL_CAPACITY:g}]", f"[read: {q:g}]"), st.param, st.stated,
                    st.unit, st.foils, areal_capacity_mAh_cm2=q)
    return STATEMENTS[:3] + (alt,) + STATEMENTS[4:]


def _solve_statement(st: Statement, sse: str, target: float, np_ratio: float, al, cu, reading="each",
                     shared=False, np_curve_thickness_m=T_NP_CURVES) -> float:
    q, t = _conditions(st, np_curve_thickness_m)
    kw = dict(al_thickness_m=al, cu_thickness_m=cu) if st.foils == "standard" else {}
    stack = fig17_stack(sse, q, t, np_ratio, st.foils, reading, shared_foils=shared, **kw)
    v = solve_for(stack, st.param, f"{target} Wh/kg").value_display
    return 2 * v if (reading == "total" and st.param == "sse_thickness") else v


def fig17_curves(sse: str = "Li3InCl6", np_ratio: float = NP_DEFAULT, al_thickness_m: float | None = None,
                 cu_thickness_m: float | None = None) -> dict:
    """Figure-ready curves: C/F (Wh/kg vs SSE thickness, std foils), D/G (vs N/P at 20 µm), E/H (light foils)."""
    caps = (1.0, 2.0, 3.0, 4.0, 5.0, 7.0, NP10_AREAL_CAPACITY, 10.0)
    t = np.linspace(1e-6, 200e-6, 200)
    npr = np.linspace(0.0, 20.0, 201)
    std = dict(al_thickness_m=al_thickness_m, cu_thickness_m=cu_thickness_m)
    out = {"thickness_um": t * 1e6, "np_ratio": npr, "areal_capacities_mAh_cm2": caps,
           "C_vs_thickness": {}, "D_vs_np": {}, "E_vs_thickness_light": {}}
    for q in caps:
        out["C_vs_thickness"][q] = sweep(fig17_stack(sse, q, 20e-6, np_ratio, **std), "sse_thickness",
                                         t).specific_energy_Wh_per_kg
        out["D_vs_np"][q] = sweep(fig17_stack(sse, q, T_NP_CURVES, 1.0, **std), "np_ratio",
                                  npr).specific_energy_Wh_per_kg
        out["E_vs_thickness_light"][q] = sweep(fig17_stack(sse, q, 20e-6, np_ratio, "light"), "sse_thickness",
                                               t).specific_energy_Wh_per_kg
    return out


def reproduce_fig17(sse: str = "Li3InCl6", target_Wh_per_kg: float = 350.0, np_ratio: float = NP_DEFAULT,
                    al_thickness_m: float | None = None, cu_thickness_m: float | None = None,
                    reading: str = "each", shared_foils: bool = False, np_curve_thickness_m: float = T_NP_CURVES,
                    np10_areal_capacity_mAh_cm2: float = NP10_AREAL_CAPACITY,
                    with_curves: bool = True) -> Fig17Reproduction:
    """Solve each stated critical value under a reading (default: the documented one) and compare with the review.

    Numerical (root-finding on the layer-stack model); :func:`sselab.design.fig17_search.clause_errors` gives the
    same errors in closed form.  ``rows[i].rel_error`` is the error of the critical value;
    ``rows[i].energy_at_stated_Wh_per_kg`` is the model's Wh/kg at the stated critical point (350 if the model
    agreed exactly).  ``np10_areal_capacity_mAh_cm2``: where the garbled "critical N/P of 10" clause is read.
    """
    rows = []
    al = FOILS["standard"][0] if al_thickness_m is None else al_thickness_m
    cu = FOILS["standard"][1] if cu_thickness_m is None else cu_thickness_m
    for st in _statements(np10_areal_capacity_mAh_cm2):
        v = _solve_statement(st, sse, target_Wh_per_kg, np_ratio, al, cu, reading, shared_foils,
                             np_curve_thickness_m)
        q, t = _conditions(st, np_curve_thickness_m)
        cond = {"areal_capacity_mAh_cm2": q, "sse_thickness_m": t, "np_ratio": np_ratio}
        key = {"areal_capacity": "areal_capacity_mAh_cm2", "sse_thickness": "sse_thickness_m",
               "np_ratio": "np_ratio"}[st.param]
        cond[key] = st.stated * (1e-6 if st.param == "sse_thickness" else 1.0)
        kw = dict(al_thickness_m=al, cu_thickness_m=cu) if st.foils == "standard" else {}
        e = evaluate(fig17_stack(sse, foils=st.foils, reading=reading, shared_foils=shared_foils, **cond, **kw))
        rows.append(Fig17Row(st.label, st.quote, st.param, st.unit, st.foils, st.stated, v, v / st.stated - 1.0,
                             e.specific_energy_Wh_per_kg))
    info = {"sse_thickness": {"each": "each of the two layers (catholyte SSE + beta-Li3N), total 2t",
                              "total": "sum of the two layers (t/2 each)", "catholyte": "catholyte SSE layer only",
                              "nitride": "beta-Li3N layer only"}[reading],
            "standard_foils_um": {"Al": al * 1e6, "Cu": cu * 1e6}, "light_foils_um": {"Al": 8.0, "Cu": 4.0},
            "np_ratio_in_thickness_curves": np_ratio, "np_definition": "Li-foil capacity / cathode capacity",
            "composite_sse_counted": True, "np_curves_sse_thickness_um": np_curve_thickness_m * 1e6,
            "np10_clause_areal_capacity_mAh_cm2": np10_areal_capacity_mAh_cm2,
            "collectors_shared": shared_foils, "pouch_overhead": False, "sse": sse}
    curves = fig17_curves(sse, np_ratio, al_thickness_m, cu_thickness_m) if with_curves else {}
    return Fig17Reproduction(sse, target_Wh_per_kg, info, tuple(rows),
                             float(max(abs(r.rel_error) for r in rows)), curves)


_U = 1e-6
#: the readings compared in FIG17.md: name → overrides of :data:`sselab.design.fig17_search.CHOSEN` (keyword
#: arguments of :func:`~sselab.design.fig17_search.clause_errors`)
ALTERNATIVES: dict[str, dict] = {
    "chosen: Li3InCl6, each layer t, Al 10/Cu 10 µm, N/P 0.8; N/P panel 20 µm, '10' at [8] mAh/cm²": {},
    "same, '10' read at 9 mAh/cm²": {"np10": (9.0, 20 * _U, None)},
    "same, '10' read at 10 mAh/cm² (previous reading)": {"np10": (10.0, 20 * _U, None)},
    "same, '10' read at 7 mAh/cm²": {"np10": (7.0, 20 * _U, None)},
    "same, '10' read at 4 mAh/cm² (as printed)": {"np10": (4.0, 20 * _U, None)},
    "same, '10' at 7 mAh/cm² on 10 µm layers": {"np10": (7.0, 10 * _U, None)},
    "same, '10' at 10 mAh/cm² on the LGPS panel at 40 µm": {"np10": (10.0, 40 * _U, "LGPS")},
    "Al 20/Cu 8 µm, '10' at 10 mAh/cm², '1.2' from the LGPS panel": {
        "al_m": 20 * _U, "cu_m": 8 * _U, "np10": (10.0, 20 * _U, None), "np12": (4.0, 20 * _U, "LGPS")},
    "LGPS panels (N/P 2.4) for the seven thickness/capacity values, N/P sentence from the Li3InCl6 panel": {
        "sse": "LGPS", "np_ratio": 2.4, "np10": (8.0, 20 * _U, "Li3InCl6"), "np12": (4.0, 20 * _U, "Li3InCl6")},
    "Al 13/Cu 9 µm (same foil mass ±1 %)": {"al_m": 13 * _U, "cu_m": 9 * _U},
    "Al 15/Cu 10 µm (lessons note), N/P 0.65": {"al_m": 15 * _U, "np_ratio": 0.65},
    "Al 15/Cu 10 µm, N/P 0 (no Li foil)": {"al_m": 15 * _U, "np_ratio": 0.0},
    "Al 15/Cu 10 µm, N/P counts plated Li (foil = N/P − 1), N/P 1.65": {
        "al_m": 15 * _U, "np_ratio": 1.65, "li_def": "excess"},
    "Al 15/Cu 10 µm, N/P 0.65, N/P panel at 16 µm": {
        "al_m": 15 * _U, "np_ratio": 0.65, "np10": (8.0, 16 * _U, None), "np12": (4.0, 16 * _U, None)},
    "Al 12/Cu 8 µm": {"al_m": 12 * _U, "cu_m": 8 * _U},
    "N/P 1.0": {"np_ratio": 1.0},
    "N/P 0.5": {"np_ratio": 0.5},
    "N/P 2 (Li excess)": {"np_ratio": 2.0},
    "N/P counts plated Li (foil = N/P − 1), N/P 1.0": {"li_def": "excess", "np_ratio": 1.0},
    "N/P counts plated Li (foil = N/P − 1), N/P 1.8 (same foil as chosen)": {"li_def": "excess", "np_ratio": 1.8},
    "composite's 10 wt % SSE not counted": {"composite_counts": False},
    "LGPS (panels F–H)": {"sse": "LGPS"},
    "catholyte layer only (no β-Li3N mass)": {"layers": "catholyte"},
    "β-Li3N layer only": {"layers": "nitride"},
    "two layers summing to t": {"layers": "total"},
    "double-sided (shared) foils": {"shared": True},
    "double-sided (shared) foils, Al 15/Cu 10 µm": {"shared": True, "al_m": 15 * _U},
}


def compare_readings(target_Wh_per_kg: float = 350.0) -> list[dict]:
    """Errors of the nine critical values (closed form) under every reading in :data:`ALTERNATIVES`.

    ``rel_errors`` follow the order of :data:`STATEMENTS` (the N/P-10 clause at the reading's own capacity).
    """
    out = []
    for name, kw in ALTERNATIVES.items():
        settings = {**CHOSEN, **kw}
        errs = [float(v) for v in clause_errors(target_Wh_per_kg=target_Wh_per_kg, **settings).values()]
        out.append({"reading": name, "settings": settings, "rel_errors": errs,
                    "max_abs_rel_error": max(abs(e) for e in errs)})
    return out
