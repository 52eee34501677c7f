"""From a measured conductivity to the cell: separator ASR, IR drop, highest C-rate, thickness for a 4C charge.

Closed forms (SI; layers in series, ohmic only — no interface, charge-transfer or cathode-composite resistance):

* ASR = Σ tᵢ / σᵢ(T)                      [Ω m²]
* current density at rate C: j = C · Q / 3600 s   (Q the areal capacity in C/m², C in 1/h)
* IR drop ΔV = j · ASR
* highest C-rate within a voltage-loss budget ΔV_max:  C_max = 3600 · ΔV_max / (Q · ASR)
* thickness allowing rate C (single layer): t_max = 3600 · σ · ΔV_max / (C · Q); with several layers every
  thickness is scaled by the same factor ``k = C_max / C`` and ``max_thickness_for_target_m`` is the scaled total.

σ(T) may be given as a float (S/m), a callable ``σ(T_K) → S/m``, an object with ``sigma_at(T_K)`` (e.g.
:class:`sselab.transport.arrhenius.ArrheniusFit`, whose first return value is used), or a tuple
``(σ_ref, T_ref_K, Ea_eV)`` / ``(σ_ref, T_ref_K, Ea_eV, convention)`` meaning
``σ = σ_ref·exp(−Ea/k_B·(1/T − 1/T_ref))`` (``"sigma"``, default) or, for ``"sigmaT"``,
``σT = σ_ref·T_ref·exp(…)``.  Strings with units are accepted for σ_ref (``"1 mS/cm"``) and T (``"25 C"``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import units
from ..errors import AnalysisError
from ..results import Result
from ..units import K_B_EV
from .stack import MAH_PER_CM2

__all__ = ["conductivity_at", "RateCapability", "rate_capability", "separator_asr_ohm_m2", "stack_rate_capability"]


def _q(x, dim, default_unit=None) -> float:
    if isinstance(x, str):
        return units.parse(x, dim, default_unit)
    return float(x)


def conductivity_at(sigma, T_K) -> float:
    """σ in S/m at ``T_K`` from any accepted form of ``sigma`` (see module docstring)."""
    T = _q(T_K, "temperature", "K")
    if T <= 0:
        raise AnalysisError(f"temperature must be positive (K), got {T_K!r}")
    if isinstance(sigma, (tuple, list)):
        if len(sigma) not in (3, 4):
            raise AnalysisError("sigma tuple must be (sigma_ref, T_ref_K, Ea_eV[, 'sigma'|'sigmaT'])")
        s_ref = _q(sigma[0], "conductivity", "S/m")
        T_ref = _q(sigma[1], "temperature", "K")
        Ea = float(units.parse(sigma[2], None, "eV") / units.E_CHARGE) if isinstance(sigma[2], str) \
            else float(sigma[2])
        conv = sigma[3] if len(sigma) == 4 else "sigma"
        if conv not in ("sigma", "sigmaT"):
            raise AnalysisError(f"Arrhenius convention must be 'sigma' or 'sigmaT', got {conv!r}")
        val = s_ref * np.exp(-Ea / K_B_EV * (1.0 / T - 1.0 / T_ref))
        if conv == "sigmaT":
            val = val * T_ref / T
    elif hasattr(sigma, "sigma_at"):
        out = sigma.sigma_at(T)
        val = out[0] if isinstance(out, tuple) else out
    elif callable(sigma):
        val = sigma(T)
    else:
        val = _q(sigma, "conductivity", "S/m")
    val = float(np.asarray(val, dtype=float))
    if not np.isfinite(val) or val <= 0:
        raise AnalysisError(f"conductivity at {T:g} K must be positive and finite, got {val!r} S/m")
    return val


def separator_asr_ohm_m2(thickness_m, sigma_S_per_m) -> float:
    """Series ASR Σ t/σ (Ω m²) of separator layers."""
    t = np.atleast_1d(np.asarray(thickness_m, dtype=float))
    s = np.atleast_1d(np.asarray(sigma_S_per_m, dtype=float))
    if t.shape != s.shape:
        raise AnalysisError(f"{t.size} thickness(es) but {s.size} conductivit(ies)")
    if np.any(t < 0) or np.any(s <= 0):
        raise AnalysisError("thicknesses must be >= 0 and conductivities > 0")
    return float(np.sum(t / s))


@dataclass(frozen=True)
class RateCapability(Result):
    """Ohmic rate limit of a separator (SI; ``asr_ohm_cm2`` is the same ASR in field units)."""

    T_K: float
    thickness_m: tuple
    sigma_S_per_m: tuple
    asr_ohm_m2: float
    asr_ohm_cm2: float
    areal_capacity_C_per_m2: float
    c_rate: float
    current_density_A_per_m2: float
    ir_drop_V: float
    voltage_budget_V: float
    max_c_rate: float
    min_charge_time_s: float
    target_c_rate: float
    max_thickness_for_target_m: float
    meets_target: bool


def rate_capability(thickness_m, sigma, T_K=298.15, areal_capacity_C_per_m2=4 * MAH_PER_CM2, c_rate: float = 1.0,
                    voltage_budget_V=0.1, target_c_rate: float = 4.0) -> RateCapability:
    """ASR, IR drop at ``c_rate``, highest C-rate within ``voltage_budget_V`` and the separator thickness that
    allows ``target_c_rate`` (4C = a 15-minute charge).

    ``thickness_m`` and ``sigma`` may be sequences (one per layer; ``sigma`` any form accepted by
    :func:`conductivity_at`).  Strings with units are accepted: ``"30 um"``, ``"4 mAh/cm2"``, ``"50 mV"``.
    """
    T = _q(T_K, "temperature", "K")
    ts: Sequence = thickness_m if isinstance(thickness_m, (list, tuple, np.ndarray)) else [thickness_m]
    t = [_q(x, "length", "m") if isinstance(x, str) else float(x) for x in ts]
    if isinstance(sigma, np.ndarray) and sigma.ndim == 1:
        sigma = list(sigma)
    sig_in = sigma if isinstance(sigma, list) else [sigma] * len(t)
    if len(sig_in) != len(t):
        raise AnalysisError(f"{len(t)} layer thickness(es) but {len(sig_in)} conductivit(ies)")
    s = [conductivity_at(x, T) for x in sig_in]
    Q = _q(areal_capacity_C_per_m2, "areal_charge", "C/m2")
    dV = _q(voltage_budget_V, "potential", "V")
    if Q <= 0:
        raise AnalysisError(f"areal capacity must be positive, got {areal_capacity_C_per_m2!r}")
    if dV <= 0:
        raise AnalysisError(f"voltage budget must be positive, got {voltage_budget_V!r}")
    if not (c_rate > 0 and target_c_rate > 0):
        raise AnalysisError("C-rates must be positive")
    asr = separator_asr_ohm_m2(t, s)
    if asr <= 0:
        raise AnalysisError("separator has zero resistance (zero thickness): no rate limit to compute")
    j = c_rate * Q / 3600.0
    c_max = 3600.0 * dV / (Q * asr)
    k = c_max / target_c_rate
    return RateCapability(
        T_K=T, thickness_m=tuple(t), sigma_S_per_m=tuple(s), asr_ohm_m2=asr, asr_ohm_cm2=asr * 1e4,
        areal_capacity_C_per_m2=Q, c_rate=float(c_rate), current_density_A_per_m2=j, ir_drop_V=j * asr,
        voltage_budget_V=dV, max_c_rate=c_max, min_charge_time_s=3600.0 / c_max, target_c_rate=float(target_c_rate),
        max_thickness_for_target_m=k * float(np.sum(t)), meets_target=bool(c_max >= target_c_rate))


def stack_rate_capability(stack, sigma, T_K=298.15, c_rate: float = 1.0, voltage_budget_V=0.1,
                          target_c_rate: float = 4.0) -> RateCapability:
    """:func:`rate_capability` for the separator layers and areal capacity of a
    :class:`~sselab.design.stack.CellStack` (``sigma``: one spec for all layers, or a list with one per layer)."""
    seps = stack.separators
    if isinstance(sigma, list) and len(sigma) not in (1, len(seps)):
        raise AnalysisError(f"{len(sigma)} conductivities for {len(seps)} separator layers "
                            "(give one for all or one per layer)")
    if isinstance(sigma, list) and len(sigma) == 1:
        sigma = sigma[0]
    return rate_capability([float(np.asarray(s.thickness_m)) for s in seps], sigma, T_K,
                           float(np.asarray(stack.cathode.areal_capacity_C_per_m2)), c_rate, voltage_budget_V,
                           target_c_rate)
