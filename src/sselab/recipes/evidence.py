"""The evidence a referee asks for before accepting an equivalent circuit: one function, :func:`fit_evidence`.

From a :class:`sselab.eis.FitResult` it gives the information criteria (AIC, BIC), the reduced χ², a runs test of
the residual signs (systematic structure = a missing feature), parameters at their bounds or collapsed (R0 → 0
with a huge error), undetermined parameters, and every arc's effective (Brug) capacitance, apex frequency, whether
the apex lies inside the measured band, and — only with a known geometry — its bulk / grain-boundary / electrode
assignment from C·L/A (Irvine, Sinclair & West 1990).

Where the fit result itself carries these numbers (``aic``, ``bic``, ``n_points``, ``n_free``, a residual runs-test
``runs_z``, ``at_bounds``, ``arcs_outside``: attributes the impedance module may add), they are read from it; the
rest is computed here, so recipes never compute model evidence anywhere else.

Definitions (``N`` complex points, ``n = 2N`` real numbers, ``k`` free parameters, ``χ²`` the weighted sum of
squares): ``AIC = n ln(χ²/n) + 2k``, ``BIC = n ln(χ²/n) + k ln n`` (Gaussian errors of unknown common scale, the
weights relative — the same convention for every candidate of one spectrum, so differences are meaningful).
Runs test (Wald–Wolfowitz): for the signs of the real and of the imaginary residuals in frequency order,
``z = (runs − μ)/σ`` with ``μ = 2 n₊n₋/n + 1``, ``σ² = 2n₊n₋(2n₊n₋ − n)/(n²(n − 1))``; the more negative of the
two is reported, and ``z < −3`` (far fewer sign changes than noise would give) marks the residuals *systematic*.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..results import Result

__all__ = ["ArcEvidence", "FitEvidence", "fit_evidence", "runs_z", "SYSTEMATIC_Z"]

#: runs-test z below which the residuals are called systematic
SYSTEMATIC_Z = -3.0
#: a resistor smaller than this fraction of the largest |Z| and less than one standard error from zero has collapsed
_COLLAPSED = 1e-4


@dataclass(frozen=True)
class ArcEvidence(Result):
    """One R‖CPE (or R‖C) arc of a fit."""

    resistor: str
    capacitor: str
    R_ohm: float
    R_err_ohm: float
    C_eff_F: float
    apex_Hz: float
    in_band: bool
    side: str | None                  # "above" / "below" the measured band, None inside
    C_norm_F_per_cm: float | None     # C·(L/A), only with a known geometry
    assignment: str | None            # bulk / grain boundary / surface layer / electrode, only with geometry


@dataclass(frozen=True)
class FitEvidence(Result):
    """Model-choice evidence of one fitted spectrum (see the module docstring)."""

    circuit: str
    success: bool
    n_points: int
    n_free: int
    chi2: float
    chi2_reduced: float
    aic: float
    bic: float
    runs_z: float | None
    residual_pattern: str             # "random" or "systematic"
    at_bounds: tuple[str, ...]
    undetermined: tuple[str, ...]
    arcs: tuple[ArcEvidence, ...]
    f_min_Hz: float
    f_max_Hz: float

    def arc(self, resistor: str) -> ArcEvidence | None:
        return next((a for a in self.arcs if a.resistor == resistor), None)


def runs_z(signs) -> float | None:
    """Wald–Wolfowitz runs-test z of a sequence of signs (None when one sign is missing or n < 6)."""
    s = np.sign(np.asarray(signs, float))
    s = s[s != 0]
    n = s.size
    n_pos, n_neg = int((s > 0).sum()), int((s < 0).sum())
    if n < 6 or n_pos == 0 or n_neg == 0:
        return None
    runs = 1 + int(np.sum(s[1:] != s[:-1]))
    mu = 2.0 * n_pos * n_neg / n + 1.0
    var = 2.0 * n_pos * n_neg * (2.0 * n_pos * n_neg - n) / (n * n * (n - 1.0))
    return float((runs - mu) / math.sqrt(var)) if var > 0 else None


def _attr(fr, *names):
    for n in names:
        v = getattr(fr, n, None)
        if v is not None:
            return v
    return None


def fit_evidence(fr, cell=None, bounds=None) -> FitEvidence:
    """Evidence for one :class:`~sselab.eis.FitResult` (``cell``: CellSpec with thickness and area for the arc
    assignment; ``bounds``: the ``{name: (lo, hi)}`` the fit was given, to find parameters sitting on them)."""
    from ..eis.circuit import Circuit

    f = np.asarray(fr.freq_Hz, float)
    n_points = int(_attr(fr, "n_points") or f.size)
    n_free = int(_attr(fr, "n_free") or (len(fr.param_names) - len(fr.fixed)))
    n = 2 * n_points
    chi2 = float(fr.chi2)
    ll = n * math.log(max(chi2, 1e-300) / n)
    aic = _attr(fr, "aic")
    bic = _attr(fr, "bic")
    aic = float(aic) if aic is not None else ll + 2 * n_free
    bic = float(bic) if bic is not None else ll + n_free * math.log(n)

    z = _attr(fr, "runs_z", "residual_runs_z")
    if z is None:
        order = np.argsort(f)
        r = np.asarray(fr.residuals)[order]
        zs = [v for v in (runs_z(r.real), runs_z(r.imag)) if v is not None]
        z = min(zs) if zs else None
    pattern = "systematic" if (z is not None and z < SYSTEMATIC_Z) else "random"

    circ = Circuit(fr.circuit)
    zmax = float(np.max(np.abs(fr.Z))) if np.size(fr.Z) else 1.0
    at = _attr(fr, "at_bounds", "params_at_bounds")
    if at is None:
        at = []
        for name in fr.param_names:
            if name in fr.fixed:
                continue
            v, e = fr.params[name], fr.stderr[name]
            b = (bounds or {}).get(name)
            if b is not None and v > 0 and any(lim is not None and lim > 0 and abs(math.log(v / lim)) < 1e-3
                                               for lim in b):
                at.append(name)
            elif circ.is_fraction[circ.param_names.index(name)] and v >= 0.999:
                at.append(name)
            elif name.startswith("R") and name in circ.param_names and v < _COLLAPSED * zmax and \
                    (not math.isfinite(e) or e > v):
                at.append(name)          # R0 → 0 with an error larger than itself
    undetermined = tuple(k for k in fr.param_names if k not in fr.fixed and
                         (not math.isfinite(fr.stderr[k]) or fr.stderr[k] > abs(fr.params[k])))

    has_geo = bool(cell is not None and getattr(cell, "thickness_m", None) and getattr(cell, "area_m2", None))
    fmin, fmax = (float(f.min()), float(f.max())) if f.size else (math.nan, math.nan)
    arcs = tuple(_arcs(fr, circ, cell if has_geo else None, fmin, fmax))
    return FitEvidence(circuit=fr.circuit, success=bool(fr.success), n_points=n_points, n_free=n_free, chi2=chi2,
                       chi2_reduced=float(fr.chi2_reduced), aic=float(aic), bic=float(bic),
                       runs_z=None if z is None else float(z), residual_pattern=pattern, at_bounds=tuple(at),
                       undetermined=undetermined, arcs=arcs, f_min_Hz=fmin, f_max_Hz=fmax)


def _arcs(fr, circ, cell, fmin, fmax):
    """Every R‖CPE / R‖C arc: Brug capacitance and apex frequency (:mod:`sselab.eis.derive`), in-band test and —
    with ``cell`` — the assignment.  An arc whose time constant over- or underflows a float (RQ → 0 or ∞ with a
    small α) has its apex at 0 or ∞ Hz: outside the band, on the side its time constant says."""
    from ..eis.derive import apex_frequency, assign, brug_capacitance

    for r_name, c_name in circ.rc_pairs():
        R = float(fr.params[r_name])
        cpe = circ.element(c_name).kind == "CPE"
        Q = float(fr.params[c_name + "_Q"] if cpe else fr.params[c_name])
        a = float(fr.params[c_name + "_alpha"]) if cpe else 1.0
        log_tau = math.log(R * Q) / a if R > 0 and Q > 0 and a > 0 else math.inf
        if abs(log_tau) > 600:           # exp() would overflow: apex at 0 (τ → ∞) or ∞ Hz (τ → 0)
            apex = 0.0 if log_tau > 0 else math.inf
            C = math.inf if log_tau > 0 else 0.0
        else:
            apex = apex_frequency(R, Q, a)[0]
            C = brug_capacitance(R, Q, a)[0] if cpe else Q
        in_band = bool(fmin <= apex <= fmax)
        side = None if in_band else ("above" if apex > fmax else "below")
        cls, c_norm = assign(C, cell) if (cell is not None and math.isfinite(C) and C > 0) else (None, None)
        yield ArcEvidence(r_name, c_name, R, float(fr.stderr[r_name]), float(C), float(apex), in_band, side,
                          None if c_norm is None else float(c_norm), cls)
