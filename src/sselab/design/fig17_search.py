"""Systematic search of the readings of the review's Fig. 17 (closed form, vectorised).

The Fig. 17 unit cell is linear in its inputs: per area, ``m = a·Q + s·t + F`` with

* ``a = 1/(q·f) + L/q_Li`` — cathode composite (200 mAh/g, active fraction f = 0.9, or 1 if the composite's
  10 wt % SSE is not counted) plus the Li foil; ``L = N/P`` ("foil": the foil holds N/P × the cathode capacity) or
  ``L = max(N/P − 1, 0)`` ("excess": N/P counts the cathode's plated Li too, the foil is the excess only);
* ``s`` — Σρ of the separator layers per unit of the review's "SSE thickness" t (``each``: catholyte SSE t + β-Li3N t;
  ``total``: the two summing to t; ``catholyte`` / ``nitride``: one layer only);
* ``F`` — ρ_Al·t_Al + ρ_Cu·t_Cu, halved when the foils are shared (double-sided electrodes).

A target E (J/kg) at voltage V is met when ``Q·(V/E − a) = s·t + F``, so every critical value has a closed form:
``Q* = (s t + F)/(V/E − a)``, ``t* = (Q (V/E − a) − F)/s``, ``L* = q_Li·(V/E − 1/(q f) − (s t + F)/Q)``.
:func:`search_readings` evaluates the nine stated critical values over a grid of every unstated choice (FIG17.md,
"How the reading was found") and returns the readings sorted by their worst error.  The numerical model
(:func:`~sselab.design.fig17.reproduce_fig17`, root-finding on :func:`~sselab.design.stack.evaluate`) is checked
against these closed forms in the tests.

Everything is SI inside (kg/m², m, C/m², J/kg); thicknesses and capacities in the returned rows carry their units
in their names.
"""
from __future__ import annotations

import itertools

import numpy as np

from .stack import LI_SPECIFIC_CAPACITY, MAH_PER_CM2, MAH_PER_G

__all__ = ["RHO", "CHOSEN", "separator_density_sum", "clause_errors", "search_readings"]

#: densities stated in the Fig. 17 caption (kg/m³)
RHO = {"Li3InCl6": 2590.0, "LGPS": 2040.0, "Li3N": 1270.0, "Al": 2700.0, "Cu": 8900.0}
Q_SPEC = 200 * MAH_PER_G            # NMC811, C/kg
V_NOM = 3.75
LIGHT_FOILS_M = (8e-6, 4e-6)        # stated light foils (Al, Cu)
UM = 1e-6

#: the reading chosen for the preset (FIG17.md): each of the two separator layers is t thick, the composite's
#: 10 wt % SSE counts, Li foil of N/P × the cathode capacity (N/P 0.8), Al 10 µm / Cu 10 µm single-sided, the N/P
#: curves at 20 µm; the garbled N/P sentence's "10" read at 8 mAh/cm², its "1.2" at 4 mAh/cm² (as printed)
CHOSEN = dict(sse="Li3InCl6", layers="each", composite_counts=True, li_def="foil", shared=False,
              al_m=10e-6, cu_m=10e-6, np_ratio=0.8, np10=(8.0, 20e-6, None), np12=(4.0, 20e-6, None))


def separator_density_sum(sse: str, layers: str = "each") -> float:
    """Separator mass per metre of the review's "SSE thickness" t (kg/m³) under a layer reading."""
    c, n = RHO[sse], RHO["Li3N"]
    return {"each": c + n, "total": (c + n) / 2, "catholyte": c, "nitride": n}[layers]


def _foil_mass(al_m, cu_m, shared: bool):
    return (0.5 if shared else 1.0) * (RHO["Al"] * al_m + RHO["Cu"] * cu_m)


def _li_units(np_ratio, li_def: str):
    return np_ratio if li_def == "foil" else np.maximum(np_ratio - 1.0, 0.0)


def clause_errors(*, sse="Li3InCl6", layers="each", composite_counts=True, li_def="foil", shared=False,
                  al_m=10e-6, cu_m=10e-6, np_ratio=0.8, np10=(8.0, 20e-6, None), np12=(4.0, 20e-6, None),
                  target_Wh_per_kg=350.0, only=None) -> dict:
    """Relative errors of the nine stated critical values under one reading (arguments may be numpy arrays).

    Defaults: the chosen reading (:data:`CHOSEN`).

    ``np10`` / ``np12`` = (areal capacity in mAh/cm², SSE thickness in m, SSE panel or None = ``sse``) at which the
    garbled N/P sentence's "10" and "1.2" are read.  Returns ``{label: rel_error}`` in the order of
    :data:`sselab.design.fig17.STATEMENTS` (the N/P clauses under the keys ``"np10"``/``"np12"``); ``only``: a
    subset of those keys to evaluate.
    """
    E = target_Wh_per_kg * 3600.0
    f = 0.9 if composite_counts else 1.0
    c0 = V_NOM / E - 1.0 / (Q_SPEC * f)                     # kg/C left for Li, SSE and foils
    A = c0 - _li_units(np_ratio, li_def) / LI_SPECIFIC_CAPACITY
    s = separator_density_sum(sse, layers)
    F = _foil_mass(al_m, cu_m, shared)
    FL = _foil_mass(*LIGHT_FOILS_M, shared)
    Q = MAH_PER_CM2

    def q_star(t, Fx):                                       # critical areal capacity (mAh/cm²)
        return (s * t + Fx) / A / Q

    def t_star(q, Fx):                                       # critical SSE thickness (m)
        return (A * q * Q - Fx) / s

    def np_star(clause):
        q, t, panel = clause
        sp = separator_density_sum(panel or sse, layers)
        L = LI_SPECIFIC_CAPACITY * (c0 - (sp * t + F) / (q * Q))
        return L if li_def == "foil" else L + 1.0

    clauses = {
        "Q* 4 (std, 20 um)": lambda: q_star(20 * UM, F) / 4 - 1,
        "t* 100 (std, 10 mAh)": lambda: t_star(10, F) / (100 * UM) - 1,
        "t* 20 (std, 4 mAh)": lambda: t_star(4, F) / (20 * UM) - 1,
        "np10": lambda: np_star(np10) / 10 - 1,
        "np12": lambda: np_star(np12) / 1.2 - 1,
        "Q* 2 (light, 10 um)": lambda: q_star(10 * UM, FL) / 2 - 1,
        "Q* 3 (light, 20 um)": lambda: q_star(20 * UM, FL) / 3 - 1,
        "t* 80 (light, 7 mAh)": lambda: t_star(7, FL) / (80 * UM) - 1,
        "t* 40 (light, 4 mAh)": lambda: t_star(4, FL) / (40 * UM) - 1,
    }
    return {k: f() for k, f in clauses.items() if only is None or k in only}


#: the grid of :func:`search_readings` (FIG17.md, "How the reading was found")
GRID = dict(
    sse=("Li3InCl6", "LGPS"), layers=("each", "total", "catholyte", "nitride"), composite_counts=(True, False),
    li_def=("foil", "excess"), shared=(False, True),
    al_um=np.arange(8.0, 20.0001, 0.5), cu_um=np.arange(4.0, 12.0001, 0.5), np_ratio=np.arange(0.0, 3.0001, 0.05),
    np10_capacity=(4.0, 5.0, 7.0, 8.0, 9.0, 10.0), np_thickness_um=(10.0, 20.0, 40.0), np_panel=("same", "other"),
)


def search_readings(grid: dict | None = None, target_Wh_per_kg: float = 350.0) -> list[dict]:
    """Best continuous choice (Al, Cu, N/P) for every combination of the discrete choices of :data:`GRID`.

    The N/P-1.2 clause is read at 4 mAh/cm² (as printed); the N/P-10 clause at ``np10_capacity``; each at a
    thickness from ``np_thickness_um`` and on the same SSE's panel or the other one's.  Returns one row per
    discrete combination (best Al/Cu/N/P on the grid, worst |error| and every error), sorted by worst |error|.
    """
    g = dict(GRID, **(grid or {}))
    al = np.asarray(g["al_um"], float)[:, None, None] * UM
    cu = np.asarray(g["cu_um"], float)[None, :, None] * UM
    npr = np.asarray(g["np_ratio"], float)[None, None, :]
    other = {"Li3InCl6": "LGPS", "LGPS": "Li3InCl6"}
    rows = []
    for sse, layers, comp, li_def, shared in itertools.product(g["sse"], g["layers"], g["composite_counts"],
                                                              g["li_def"], g["shared"]):
        kw = dict(sse=sse, layers=layers, composite_counts=comp, li_def=li_def, shared=shared,
                  target_Wh_per_kg=target_Wh_per_kg)
        e = clause_errors(al_m=al, cu_m=cu, np_ratio=npr, **kw)
        names = list(e)
        seven = {k: np.broadcast_to(v, (al.size, cu.size, npr.size)) for k, v in e.items() if not k.startswith("np")}
        m7 = np.max(np.abs(list(seven.values())), axis=0)
        best7, arg7 = m7.min(axis=2), m7.argmin(axis=2)
        panel = {"same": sse, "other": other[sse]}
        e10 = {(q, t, p): clause_errors(al_m=al[:, :, 0], cu_m=cu[:, :, 0], np_ratio=0.0,
                                        np10=(q, t * UM, panel[p]), only=("np10",), **kw)["np10"]
               for q, t, p in itertools.product(g["np10_capacity"], g["np_thickness_um"], g["np_panel"])}
        e12 = {(t, p): clause_errors(al_m=al[:, :, 0], cu_m=cu[:, :, 0], np_ratio=0.0,
                                     np12=(4.0, t * UM, panel[p]), only=("np12",), **kw)["np12"]
               for t, p in itertools.product(g["np_thickness_um"], g["np_panel"])}
        k10, k12 = list(e10), list(e12)
        s10, s12 = np.array([e10[k] for k in k10]), np.array([e12[k] for k in k12])   # (n, Al, Cu), signed
        worst = np.maximum(best7, np.maximum(np.abs(s10)[:, None], np.abs(s12)[None, :]))
        flat = worst.reshape(len(k10), len(k12), -1).argmin(axis=2)                    # (n10, n12)
        I, J = np.unravel_index(flat, best7.shape)
        N = arg7[I, J]
        U, W = np.meshgrid(np.arange(len(k10)), np.arange(len(k12)), indexing="ij")
        vals = {k: (seven[k][I, J, N] if k in seven else s10[U, I, J] if k == "np10" else s12[W, I, J]).tolist()
                for k in names}
        worst_v = worst[U, W, I, J].tolist()
        al_v, cu_v, np_v = (al[:, 0, 0][I] / UM).tolist(), (cu[0, :, 0][J] / UM).tolist(), npr[0, 0][N].tolist()
        for (u, (q10, t10, p10)), (v, (t12, p12)) in itertools.product(enumerate(k10), enumerate(k12)):
            rows.append(dict(sse=sse, layers=layers, composite_counts=comp, li_def=li_def, shared=shared,
                             al_um=round(al_v[u][v], 3), cu_um=round(cu_v[u][v], 3), np_ratio=round(np_v[u][v], 3),
                             np10_capacity_mAh_cm2=q10, np10_thickness_um=t10, np10_panel=panel[p10],
                             np12_thickness_um=t12, np12_panel=panel[p12], max_abs_rel_error=worst_v[u][v],
                             rel_errors={k: vals[k][u][v] for k in names}))
    rows.sort(key=lambda r: r["max_abs_rel_error"])
    return rows
