"""Quantities derived from fitted resistances and capacitances, with propagated standard errors (SI inside).

* :func:`conductivity` — σ = (L/A)/R in S/m.
* :func:`asr` — area-specific resistance R·A in Ω m², divided by 2 for a symmetric Li|SE|Li cell (two interfaces,
  as in the lithium-imide paper: ASR = R × 0.7854 cm² / 2).
* :func:`brug_capacitance` — effective capacitance of an R‖CPE element (Brug et al., J. Electroanal. Chem. 176
  (1984) 275): C = (R Q)^(1/α) / R = R^((1−α)/α) Q^(1/α); for R‖C simply C.
* :func:`apex_frequency` — f = 1/(2π (R Q)^(1/α)), the frequency of the arc's top.
* :func:`assign` / :func:`arcs` — bulk / grain boundary / surface layer / electrode by the magnitude of the
  capacitance (Irvine, Sinclair & West, Adv. Mater. 2 (1990) 132, Table 1).  Their values are for a cell constant
  L/A = 1 cm⁻¹, so the capacitance is normalised as C·(L/A) and compared in F/cm:

  ============================  ===============  ========================
  phenomenon (Irvine et al.)    C (F, L/A=1/cm)  sselab class (C·L/A, F/cm)
  ============================  ===============  ========================
  bulk                          1e-12            ``bulk``  (< 1e-11)
  minor second phase            1e-11
  grain boundary                1e-11 – 1e-8     ``grain boundary`` (1e-11 – 1e-8)
  surface layer                 1e-9 – 1e-7      ``surface layer`` (1e-8 – 1e-7)
  sample–electrode interface    1e-7 – 1e-5      ``electrode`` (≥ 1e-7)
  electrochemical reaction      1e-4
  ============================  ===============  ========================

  Without a cell geometry the raw capacitance is compared (i.e. L/A = 1 cm⁻¹ is assumed) and a note says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError
from ..results import Result

__all__ = ["conductivity", "asr", "brug_capacitance", "apex_frequency", "assign", "arcs", "ArcInfo",
           "CLASS_BOUNDS_F_PER_CM"]

#: upper bounds of C·(L/A) in F/cm for each class (Irvine, Sinclair & West 1990)
CLASS_BOUNDS_F_PER_CM = (("bulk", 1e-11), ("grain boundary", 1e-8), ("surface layer", 1e-7),
                         ("electrode", math.inf))


def _check_R(R, what="resistance"):
    R = float(R)
    if not math.isfinite(R) or R <= 0:
        raise AnalysisError(f"{what} must be a positive finite number of ohms, got {R}")
    return R


def _err(e):
    if e is None:
        return math.nan
    e = float(e)
    return e if e >= 0 else math.nan


def _geometric_factor(cell) -> float:
    """L/A in 1/m from a CellSpec or a number (taken as L/A in 1/m)."""
    if hasattr(cell, "geometric_factor_m"):
        return float(cell.geometric_factor_m)
    g = float(cell)
    if not math.isfinite(g) or g <= 0:
        raise AnalysisError(f"geometric factor L/A must be positive, got {g}")
    return g


def _area(cell) -> float:
    if hasattr(cell, "require_area"):
        return float(cell.require_area())
    a = float(cell)
    if not math.isfinite(a) or a <= 0:
        raise AnalysisError(f"area must be positive, got {a}")
    return a


def conductivity(R, R_err, cell) -> tuple[float, float]:
    """σ = (L/A)/R in S/m and its standard error (geometry taken as exact).  ``cell``: CellSpec or L/A in 1/m."""
    R = _check_R(R)
    g = _geometric_factor(cell)
    sigma = g / R
    return sigma, sigma * _err(R_err) / R


def asr(R, R_err, cell, symmetric: bool = True) -> tuple[float, float]:
    """Area-specific resistance in Ω m² (R·A, halved for a symmetric cell's two interfaces) and its error.
    ``cell``: CellSpec or electrode area in m²."""
    R = _check_R(R)
    A = _area(cell)
    k = A / 2.0 if symmetric else A
    return R * k, _err(R_err) * k


def brug_capacitance(R, Q, alpha, cov=None) -> tuple[float, float]:
    """Effective capacitance (F) of R‖CPE and its error from the 3×3 covariance of (R, Q, α) (optional)."""
    R = _check_R(R)
    Q, a = float(Q), float(alpha)
    if Q <= 0 or not 0 < a <= 1:
        raise AnalysisError(f"CPE needs Q > 0 and 0 < alpha ≤ 1, got Q={Q}, alpha={a}")
    lnC = math.log(R * Q) / a - math.log(R)
    C = math.exp(lnC)
    if cov is None:
        return C, math.nan
    g = np.array([(1 - a) / (a * R), 1 / (a * Q), -math.log(R * Q) / a ** 2])
    var = float(g @ np.asarray(cov, float) @ g)
    return C, C * math.sqrt(var) if var >= 0 and math.isfinite(var) else math.inf


def apex_frequency(R, Q, alpha=1.0, cov=None) -> tuple[float, float]:
    """Apex frequency (Hz) of R‖CPE (or R‖C with ``Q`` = C, α = 1) and its error."""
    R = _check_R(R)
    Q, a = float(Q), float(alpha)
    x = math.log(R * Q) / a
    fa = 1.0 / (2 * math.pi * math.exp(x))
    if cov is None:
        return fa, math.nan
    g = np.array([-1 / (a * R), -1 / (a * Q), math.log(R * Q) / a ** 2])
    cov = np.asarray(cov, float)
    if cov.shape == (2, 2):
        g = g[:2]
    var = float(g @ cov @ g)
    return fa, fa * math.sqrt(var) if var >= 0 and math.isfinite(var) else math.inf


def assign(C_F: float, cell=None) -> tuple[str, float]:
    """Class of a capacitance (F) after Irvine et al. and the normalised value C·(L/A) in F/cm used."""
    g_per_cm = _geometric_factor(cell) / 100.0 if cell is not None else 1.0
    c_norm = float(C_F) * g_per_cm
    for name, hi in CLASS_BOUNDS_F_PER_CM:
        if c_norm < hi:
            return name, c_norm
    return "electrode", c_norm  # pragma: no cover


@dataclass(frozen=True)
class ArcInfo(Result):
    """One R‖CPE (or R‖C) element of a fit."""

    resistor: str
    capacitor: str
    R_ohm: float
    R_err_ohm: float
    C_eff_F: float
    C_eff_err_F: float
    apex_Hz: float
    apex_err_Hz: float
    C_norm_F_per_cm: float
    assignment: str
    in_window: bool
    note: str = ""


def arcs(result, cell=None) -> list[ArcInfo]:
    """Effective capacitance, apex frequency and assignment of every R‖CPE / R‖C element of a FitResult."""
    from .circuit import Circuit

    c = Circuit(result.circuit)
    names = list(result.param_names)
    cov = np.asarray(result.covariance, float)
    f = np.asarray(result.freq_Hz)
    out = []
    for r_name, c_name in c.rc_pairs():
        R = result.params[r_name]
        if c.element(c_name).kind == "CPE":
            qn, an = c_name + "_Q", c_name + "_alpha"
            idx = [names.index(r_name), names.index(qn), names.index(an)]
            sub = cov[np.ix_(idx, idx)]
            Q, a = result.params[qn], result.params[an]
            Ceff, Cerr = brug_capacitance(R, Q, a, sub)
            fa, ferr = apex_frequency(R, Q, a, sub)
        else:
            idx = [names.index(r_name), names.index(c_name)]
            sub = cov[np.ix_(idx, idx)]
            Ceff = result.params[c_name]
            Cerr = math.sqrt(sub[1, 1]) if sub[1, 1] >= 0 else math.inf
            fa, ferr = apex_frequency(R, Ceff, 1.0, sub)
        cls, cnorm = assign(Ceff, cell)
        note = "" if cell is not None else "no cell geometry: L/A = 1 cm⁻¹ assumed for the assignment"
        out.append(ArcInfo(resistor=r_name, capacitor=c_name, R_ohm=R, R_err_ohm=result.stderr[r_name],
                           C_eff_F=Ceff, C_eff_err_F=Cerr, apex_Hz=fa, apex_err_Hz=ferr, C_norm_F_per_cm=cnorm,
                           assignment=cls, in_window=bool(f.min() <= fa <= f.max()), note=note))
    return out
