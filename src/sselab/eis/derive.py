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


def _cpe_or_c(Q, a):
    from .elements import ELEMENTS

    Q, a = float(Q), float(a)
    if not (math.isfinite(Q) and Q > 0) or not 0 < a <= 1:
        raise AnalysisError(f"CPE needs Q > 0 and 0 < alpha ≤ 1, got Q={Q}, alpha={a}")
    return Q, a, ELEMENTS["CPE"]


def _propagate(value_log: float, grad, cov) -> tuple[float, float]:
    """exp(value_log) (0 / inf instead of an overflow) and its error from the gradient of the log and ``cov``."""
    from .elements import safe_exp

    v = safe_exp(value_log)
    if cov is None:
        return v, math.nan
    cov = np.asarray(cov, float)
    g = np.asarray(grad, float)[: cov.shape[0]]
    with np.errstate(all="ignore"):
        var = float(g @ cov @ g)
    if not (math.isfinite(var) and var >= 0 and math.isfinite(v)):
        return v, math.inf
    return v, v * math.sqrt(var)


def brug_capacitance(R, Q, alpha, cov=None) -> tuple[float, float]:
    """Effective capacitance (F) of R‖CPE and its error from the 3×3 covariance of (R, Q, α) (optional).
    The formula lives in the element registry (:mod:`sselab.eis.elements`, ``CPE.rc_log_capacitance``)."""
    R = _check_R(R)
    Q, a, et = _cpe_or_c(Q, alpha)
    lc, grad = et.rc_log_capacitance(np.float64(R), [np.float64(Q), np.float64(a)])
    return _propagate(float(lc), [float(x) for x in grad], cov)


def apex_frequency(R, Q, alpha=1.0, cov=None) -> tuple[float, float]:
    """Apex frequency (Hz) of R‖CPE (or R‖C with ``Q`` = C, α = 1) and its error; 0 or inf (never an overflow)
    for an arc far outside any band.  The time constant comes from the element registry (``rc_log_tau``)."""
    R = _check_R(R)
    Q, a, et = _cpe_or_c(Q, alpha)
    lt, grad = et.rc_log_tau(np.float64(R), [np.float64(Q), np.float64(a)])
    # f = exp(−ln τ)/(2π): d ln f = −d ln τ
    return _propagate(-float(lt) - math.log(2 * math.pi), [-float(x) for x in grad], cov)


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
    """Effective capacitance, apex frequency and assignment of every R‖CPE / R‖C arc of a FitResult (formulas from
    the element registry)."""
    from .circuit import Circuit
    from .elements import ELEMENTS

    c = Circuit(result.circuit)
    names = list(result.param_names)
    cov = np.asarray(result.covariance, float)
    f = np.asarray(result.freq_Hz)
    P = np.array([result.params[n] for n in names], float)
    out = []
    for tc in c.time_constants():
        if tc.resistor is None:
            continue
        et = ELEMENTS[tc.kind]
        idx = list(tc.index)
        sub = cov[np.ix_(idx, idx)]
        R = float(P[idx[0]])
        cols = [np.float64(P[k]) for k in idx]
        with np.errstate(all="ignore"):
            lc, gc = et.rc_log_capacitance(cols[0], cols[1:])
            lt, gt = et.rc_log_tau(cols[0], cols[1:])
        Ceff, Cerr = _propagate(float(lc), [float(x) for x in gc], sub)
        fa, ferr = _propagate(-float(lt) - math.log(2 * math.pi), [-float(x) for x in gt], sub)
        if math.isfinite(Ceff) and Ceff > 0:
            cls, cnorm = assign(Ceff, cell)
        else:
            cls, cnorm = "undetermined", math.nan
        notes = []
        if cell is None:
            notes.append("no cell geometry: L/A = 1 cm⁻¹ assumed for the assignment")
        in_window = bool(f.min() <= fa <= f.max())
        if not in_window:
            notes.append("apex outside the measured band: C_eff and the assignment are extrapolations")
        out.append(ArcInfo(resistor=tc.resistor, capacitor=tc.element, R_ohm=R, R_err_ohm=result.stderr[tc.resistor],
                           C_eff_F=Ceff, C_eff_err_F=Cerr, apex_Hz=fa, apex_err_Hz=ferr, C_norm_F_per_cm=cnorm,
                           assignment=cls, in_window=in_window, note="; ".join(notes)))
    return out
