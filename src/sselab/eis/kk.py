"""Kramers–Kronig validation by the linear Lin-KK test (Schönleber, Klotz & Ivers-Tiffée, Electrochim. Acta 131
(2014) 20–27).

The spectrum is fitted, by *linear* least squares weighted by 1/|Z|, with a series resistance and M Voigt elements
R_k/(1 + jωτ_k) whose time constants are fixed and log-spaced from 1/ω_max to 1/ω_min, optionally plus a series
inductance (high-frequency cable / lead artefacts) and a series capacitance (blocking electrodes; added with
``capacitance="auto"`` when −Z″ is still rising at the lowest frequencies).  Such a model
is KK-compliant by construction, so what it cannot fit is not.  M is chosen automatically: increase M until

    μ = 1 − Σ_{R_k<0} |R_k| / Σ_{R_k≥0} |R_k|

falls below c (0.85) and stays below for the next two M, searching from one element per decade of frequency on
(a poor fit with few elements can also give negative R_k and a dip of μ), and χ² would not drop 4× with five more
elements: beyond that point the extra elements only fit noise (over-fitting shows as negative R_k).
The residuals Δ′ = (Z′ − Ẑ′)/|Z| and Δ″ = (Z″ − Ẑ″)/|Z| are returned; the spectrum passes when the root-mean-square
residual is below ``threshold`` (1 %) and no residual exceeds 5 × threshold.

Inductive artefacts: with ``inductance="auto"`` a series L is added when Z″ > 0 at the highest frequencies.
Low-frequency inductive loops (Z″ > 0 at the lowest frequencies, found by
:func:`sselab.eis.artefacts.lf_inductive_loop`) are always reported: a warning starting "low-frequency inductive
loop", ``lf_loop_freq_Hz`` (the loop points) and ``lf_loop_excluded``.  Option ``lf_loop``: ``"keep"`` (default; also
``"auto"``) tests them too — a loop from a real (linear, stationary) process is KK-consistent and is fitted with
negative-R Voigt elements (μ may then stay high; the largest M is used, with a warning), a loop from drift shows as
large residuals, never as an exception; ``"exclude"`` tests only the other points.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError
from ..results import Result
from .artefacts import LF_LOOP, LF_LOOP_OPTIONS, lf_inductive_loop, loop_summary

__all__ = ["KKResult", "lin_kk"]


@dataclass(frozen=True, eq=False)
class KKResult(Result):
    """Outcome of :func:`lin_kk`.  Residuals are relative to |Z| (dimensionless)."""

    M: int
    mu: float
    c: float
    passed: bool
    threshold: float
    rms_residual: float
    max_abs_residual: float
    freq_Hz: np.ndarray
    Z: np.ndarray
    Z_fit: np.ndarray
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    tau_s: np.ndarray
    R_k_ohm: np.ndarray
    R0_ohm: float
    L_H: float | None
    C_F: float | None
    warnings: tuple
    lf_loop_freq_Hz: np.ndarray = field(default_factory=lambda: np.empty(0))
    lf_loop_excluded: bool = False

    @property
    def has_lf_loop(self) -> bool:
        """True when the spectrum ends in a low-frequency inductive loop (Z'' > 0 at low f)."""
        return bool(np.size(self.lf_loop_freq_Hz))

    @property
    def residuals(self) -> np.ndarray:
        return self.residuals_real + 1j * self.residuals_imag

    def to_dict(self) -> dict:
        from ..results import jsonable

        return jsonable({k: getattr(self, k) for k in (
            "M", "mu", "c", "passed", "threshold", "rms_residual", "max_abs_residual", "R0_ohm", "L_H", "C_F",
            "warnings", "freq_Hz", "residuals_real", "residuals_imag", "lf_loop_freq_Hz", "lf_loop_excluded")})


def _fit_linear(w, z, tau, with_L, with_C):
    """Weighted linear LS for [R0, R_1..R_M, (L), (1/C)]; returns coefficients and the model."""
    cols = [np.ones_like(w, dtype=complex)]
    cols += [1.0 / (1.0 + 1j * w * t) for t in tau]
    if with_L:
        cols.append(1j * w)
    if with_C:
        cols.append(1.0 / (1j * w))
    A = np.stack(cols, axis=1)
    wt = 1.0 / np.abs(z)
    M = np.concatenate([A.real * wt[:, None], A.imag * wt[:, None]])
    y = np.concatenate([z.real * wt, z.imag * wt])
    norm = np.sqrt((M ** 2).sum(axis=0))
    norm[norm == 0] = 1.0
    x = np.linalg.lstsq(M / norm, y, rcond=None)[0] / norm
    return x, A @ x


def lin_kk(freq_Hz, Z=None, c: float = 0.85, max_M: int = 50, inductance="auto", capacitance="auto",
           threshold: float = 0.01, lf_loop: str = "keep") -> KKResult:
    """Lin-KK test of one spectrum (``Z`` complex with mathematical sign; or a Measurement as ``freq_Hz`` and
    ``Z=None``: its first sweep).  ``lf_loop``: ``"keep"``/``"auto"`` or ``"exclude"`` (see the module docstring)."""
    if hasattr(freq_Hz, "spectra") and callable(freq_Hz.spectra):
        freq_Hz, Z = freq_Hz.spectra()[0]
    f = np.asarray(freq_Hz, float).ravel()
    z = np.asarray(Z).ravel()
    if not np.iscomplexobj(z):
        raise AnalysisError("lin_kk: Z must be complex (Z' + jZ'')")
    if f.shape != z.shape:
        raise AnalysisError(f"lin_kk: {f.size} frequencies but {z.size} impedance values")
    good = np.isfinite(f) & np.isfinite(z) & (f > 0) & (np.abs(z) > 0)
    f, z = f[good], z[good]
    if f.size < 5:
        raise AnalysisError(f"lin_kk: only {f.size} usable points (need ≥ 5)")
    if not 0 < c < 1:
        raise AnalysisError(f"lin_kk: c must lie between 0 and 1, got {c}")
    if lf_loop not in LF_LOOP_OPTIONS:
        raise AnalysisError(f"lin_kk: lf_loop {lf_loop!r}: use one of {', '.join(LF_LOOP_OPTIONS)}")
    loop = lf_inductive_loop(f, z)
    loop_f = f[loop]
    excl = bool(lf_loop == "exclude" and loop.any())
    loop_warn = []
    if loop.any():
        loop_warn.append(loop_summary(f, loop, excl).replace("the fit", "the test")
                         + ("" if excl else "; fitted with negative-R Voigt elements, so mu is a poor guide for M"))
    if excl:
        f, z = f[~loop], z[~loop]
        if f.size < 5:
            raise AnalysisError(f"lin_kk: only {f.size} usable points after excluding the {LF_LOOP} (need ≥ 5)")
    order = np.argsort(f)[::-1]
    f, z = f[order], z[order]
    w = 2 * np.pi * f
    warnings_: list[str] = list(loop_warn)
    n_top = max(2, f.size // 20)
    if inductance == "auto":
        with_L = bool(np.median(z.imag[:n_top]) > 0)
        if with_L:
            warnings_.append("inductive high-frequency points: a series inductance was added")
    else:
        with_L = bool(inductance)
    if capacitance == "auto":
        # a capacitive spike: -Z'' positive and still rising towards the lowest frequency
        tail = -z.imag[-max(3, n_top):]
        with_C = bool(tail[-1] > 0 and np.all(np.diff(tail) > 0))
    else:
        with_C = bool(capacitance)

    max_M = int(max(1, min(max_M, f.size - 2 - with_L - with_C)))
    fits = []
    for M in range(1, max_M + 1):
        tau = np.logspace(math.log10(1 / w.max()), math.log10(1 / w.min()), M) if M > 1 else np.array(
            [1 / math.sqrt(w.max() * w.min())])
        x, zf = _fit_linear(w, z, tau, with_L, with_C)
        Rk = x[1:1 + M]
        pos = Rk[Rk >= 0].sum()
        neg = -Rk[Rk < 0].sum()
        mu = 1.0 - neg / pos if pos > 0 else -math.inf
        fits.append((M, mu, tau, x, zf, float(np.sum(np.abs((z - zf) / np.abs(z)) ** 2))))
    # the first M with μ ≤ c (and still ≤ c for the next two M: μ can dip early while the fit is still poor), from
    # M_min = one element per decade on (with fewer elements a poor fit can also give negative R_k and a low μ)
    m_min = int(min(max(3, round(math.log10(w.max() / w.min()))), max_M))
    mus = np.array([fz[1] for fz in fits])
    chi2 = np.array([fz[5] for fz in fits])
    chosen = None
    for i in range(m_min - 1, len(fits)):
        # ... and the fit is no longer improving grossly: five more elements would not cut χ² by 4× (an
        # under-fitted spectrum, not noise, would be left in the residuals)
        if np.all(mus[i:i + 3] <= c) and chi2[i] <= 4 * chi2[min(i + 5, len(fits) - 1)]:
            chosen = fits[i][:5]
            break
    if chosen is None:
        chosen = fits[-1][:5]
        warnings_.append(f"mu did not stay below c = {c} up to M = {max_M}; the largest M was used")
    M, mu, tau, x, zf = chosen
    mod = np.abs(z)
    rr = (z.real - zf.real) / mod
    ri = (z.imag - zf.imag) / mod
    rms = float(np.sqrt(np.mean(np.concatenate([rr, ri]) ** 2)))
    mx = float(np.max(np.abs(np.concatenate([rr, ri]))))
    passed = bool(rms < threshold and mx < 5 * threshold)
    L = float(x[1 + M]) if with_L else None
    Cinv = float(x[-1]) if with_C else None
    C = (1.0 / Cinv if Cinv and Cinv != 0 else math.inf) if with_C else None
    if with_C and C is not None and C < 0:
        warnings_.append("the fitted series capacitance is negative (no blocking behaviour)")
    return KKResult(M=int(M), mu=float(mu), c=float(c), passed=passed, threshold=float(threshold),
                    rms_residual=rms, max_abs_residual=mx, freq_Hz=f, Z=z, Z_fit=zf, residuals_real=rr,
                    residuals_imag=ri, tau_s=tau, R_k_ohm=x[1:1 + M].copy(), R0_ohm=float(x[0]), L_H=L, C_F=C,
                    warnings=tuple(warnings_), lf_loop_freq_Hz=loop_f, lf_loop_excluded=excl)
