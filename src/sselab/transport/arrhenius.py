"""Arrhenius analysis of ionic conductivity: activation energy, prefactor, σ(T) with confidence bands.

Model (review Fig. 10B, the form of Bachman et al., *Chem. Rev.* 2016, 116, 140)::

    σ(T) = (σ0 / T) · exp(−Ea / (k_B T)),      σ0 = γ · n · (z e)² · a0² · ν0 / k_B · exp(ΔS_m / k_B)

The review gives the equation as an image; its caption names σ0 the prefactor, z (here γ) the geometric factor,
n the mobile-ion concentration, ΔS_m the migration entropy, a0 the hop distance and ν0 the attempt frequency —
the symbols of the form written above, which is the one used here (see :func:`prefactor_from_hopping` for units).

Two fitting conventions are offered:

``"sigmaT"`` (default)
    ``ln(σT) = ln σ0 − Ea/(k_B T)``; the prefactor ``σ0`` is in S·K/m (SI).  This is the form the hopping model
    predicts and the only one whose prefactor :func:`invert_prefactor` can interpret.
``"sigma"``
    ``ln σ = ln A − Ea/(k_B T)``; the prefactor ``A`` is in S/m.  Many papers (Fig. 1f of the Li2NH paper among
    them) report this slope.  For the same noiseless data the two activation energies differ by exactly
    :func:`convention_offset_eV` (≈ k_B·T̄ ≈ 0.03 eV near room temperature; ``Ea(σT) > Ea(σ)``).

Uncertainties: the fit is a (weighted) linear least-squares problem in ``x = 1/T`` with parameters
``(ln prefactor, Ea_eV)``.  When ``sigma_err`` is given, each point is weighted by ``1/(σ_err/σ)²`` (the
uncertainty of ``ln σ``; temperature is taken as exact).  By default (``absolute_sigma=False``) the covariance is
scaled by the reduced χ² of the fit, so the errors only set *relative* weights, and intervals use Student's t with
``n − 2`` degrees of freedom.  With ``absolute_sigma=True`` the given errors are trusted as they are and the 95 %
intervals use the normal quantile.

Everything here is SI: temperatures in K, conductivities in S/m, energies in eV (named ``*_eV``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError
from ..results import Result
from ..units import E_CHARGE, K_B, K_B_EV

__all__ = [
    "ArrheniusFit", "TwoRegimeFit", "PrefactorInversion",
    "fit_arrhenius", "fit_two_regime", "invert_prefactor", "prefactor_from_hopping",
    "convention_offset_eV", "arrhenius_sigma", "plot_arrhenius",
]

CONVENTIONS = ("sigmaT", "sigma")
T_25C = 298.15
T_30C = 303.15
#: temperatures closer than this (K) count as the same temperature
T_TOL_K = 0.05


# ------------------------------------------------------------------------------------------------------------
# forward model
# ------------------------------------------------------------------------------------------------------------

def arrhenius_sigma(T_K, Ea_eV: float, prefactor: float, convention: str = "sigmaT"):
    """σ(T) in S/m for an Arrhenius law (``prefactor`` in S·K/m for ``"sigmaT"``, S/m for ``"sigma"``)."""
    _check_convention(convention)
    T = np.asarray(T_K, dtype=float)
    s = prefactor * np.exp(-Ea_eV / (K_B_EV * T))
    return s / T if convention == "sigmaT" else s


def convention_offset_eV(T_K, weights=None) -> float:
    """Exact ``Ea(σT) − Ea(σ)`` for noiseless Arrhenius data sampled at ``T_K`` (same weights in both fits).

    With ``x = 1/T``, ``ln σ = ln(σT) + ln x``, so the ln σ slope is the ln(σT) slope plus the least-squares slope
    of ``ln x`` on ``x``:  ``Ea(σT) − Ea(σ) = k_B · cov_w(x, ln x) / var_w(x)``.  Since ``ln x`` is nearly linear
    over a typical range this is ≈ ``k_B · T_h`` with ``T_h`` the (weighted) harmonic-mean temperature.
    """
    x = 1.0 / np.asarray(T_K, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    xm = np.sum(w * x) / np.sum(w)
    lx = np.log(x)
    lm = np.sum(w * lx) / np.sum(w)
    var = np.sum(w * (x - xm) ** 2)
    if not var > 0:
        raise AnalysisError("need at least two distinct temperatures")
    return float(K_B_EV * np.sum(w * (x - xm) * (lx - lm)) / var)


# ------------------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ArrheniusFit(Result):
    """One Arrhenius line fitted to (T, σ) points.

    ``covariance`` is the 2×2 covariance of ``(ln_prefactor, Ea_eV)`` (already scaled by the reduced χ² unless
    ``absolute_sigma``); ``prefactor`` is σ0 in S·K/m (``convention="sigmaT"``) or A in S/m (``"sigma"``), see
    ``prefactor_unit``.  ``Ea_err_eV``/``Ea_ci95_eV`` are ``None`` (with a note in ``warnings``) when the data
    cannot give an uncertainty (two points without absolute errors).  The ``*_line_*`` arrays are ready to plot:
    the fitted σ and its 95 % confidence band from ``min(T, 25 °C)`` to ``max(T)``.  ``sigma_25C_extrapolated``
    says σ(25 °C) lies outside the measured range (its band then widens accordingly).
    """

    convention: str
    Ea_eV: float
    Ea_err_eV: float | None
    Ea_ci95_eV: tuple[float, float] | None
    prefactor: float
    prefactor_unit: str
    ln_prefactor: float
    ln_prefactor_err: float | None
    covariance: np.ndarray | None
    n_points: int
    dof: int
    chi2: float
    reduced_chi2: float | None
    r_squared: float
    absolute_sigma: bool
    weighted: bool
    t_quantile: float | None
    T_K: np.ndarray
    sigma_S_per_m: np.ndarray
    sigma_err_S_per_m: np.ndarray | None
    residuals_ln: np.ndarray
    sigma_25C_S_per_m: float
    sigma_25C_ci95_S_per_m: tuple[float, float] | None
    sigma_30C_S_per_m: float
    sigma_30C_ci95_S_per_m: tuple[float, float] | None
    sigma_25C_extrapolated: bool
    T_line_K: np.ndarray
    sigma_line_S_per_m: np.ndarray
    sigma_line_lo_S_per_m: np.ndarray
    sigma_line_hi_S_per_m: np.ndarray
    warnings: tuple[str, ...] = field(default_factory=tuple)

    # convenience aliases --------------------------------------------------------------------------------------
    @property
    def sigma_25C(self) -> float:
        """σ(25 °C) in S/m."""
        return self.sigma_25C_S_per_m

    @property
    def sigma_30C(self) -> float:
        """σ(30 °C) in S/m."""
        return self.sigma_30C_S_per_m

    @property
    def T_min_K(self) -> float:
        return float(np.min(self.T_K))

    @property
    def T_max_K(self) -> float:
        return float(np.max(self.T_K))

    def ln_y_at(self, T_K):
        """Fitted ``ln(σT)`` (or ``ln σ``) and its standard error at ``T_K``."""
        T = np.asarray(T_K, dtype=float)
        if np.any(~np.isfinite(T)) or np.any(T <= 0):
            raise AnalysisError("temperatures must be positive and finite (in K)")
        x = 1.0 / T
        y = self.ln_prefactor - self.Ea_eV * x / K_B_EV
        if self.covariance is None:
            return y, np.full_like(y, np.nan, dtype=float)
        c = self.covariance
        j1 = -x / K_B_EV
        var = c[0, 0] + 2 * j1 * c[0, 1] + j1 * j1 * c[1, 1]
        return y, np.sqrt(np.maximum(var, 0.0))

    def sigma_at(self, T_K, level: float = 0.95):
        """``(σ, lo, hi)`` in S/m at ``T_K`` (scalar or array): fitted value and the ``level`` confidence band of
        the mean line (full covariance of ln prefactor and Ea propagated).  ``lo``/``hi`` are NaN only when the
        fit has no uncertainty (see ``warnings``)."""
        y, se = self.ln_y_at(T_K)
        q = self._quantile(level)
        T = np.asarray(T_K, dtype=float)
        div = T if self.convention == "sigmaT" else 1.0
        val = np.exp(y) / div
        if q is None:
            lo = hi = np.full_like(val, np.nan, dtype=float)
        else:
            lo, hi = np.exp(y - q * se) / div, np.exp(y + q * se) / div
        if np.ndim(T_K) == 0:
            return float(val), float(lo), float(hi)
        return val, lo, hi

    def _quantile(self, level: float) -> float | None:
        if not 0 < level < 1:
            raise AnalysisError(f"confidence level must be between 0 and 1, got {level}")
        if self.covariance is None:
            return None
        from scipy import stats

        if self.absolute_sigma:
            return float(stats.norm.ppf(0.5 + level / 2))
        return float(stats.t.ppf(0.5 + level / 2, self.dof))


@dataclass(frozen=True, eq=False)
class TwoRegimeFit(Result):
    """Two Arrhenius regimes separated at ``T_break_K`` and the comparison with a single line.

    ``low`` holds the points below the break, ``high`` those above.  ``continuous`` says which model was fitted:
    ``False`` — two independent lines (a jump in σ at the break is allowed, as at a first-order phase transition);
    the break lies between ``T_break_range_K`` and ``T_break_K`` is where the lines cross if they do so inside
    that gap, else its midpoint (in 1/T).  ``True`` — a hinge (lines meet at ``T_break_K``, fitted with its
    standard error ``T_break_err_K``).  ``F``/``p_value`` is the nested-model F-test against ``one`` (the break
    counted as a parameter; approximate, since a break point is not a regular parameter), ``bic_one``/``bic_two``
    the Bayesian information criteria; ``preferred`` is ``"two"`` when ``p_value < alpha`` *and* the BIC is lower.
    """

    continuous: bool
    T_break_K: float
    T_break_err_K: float | None
    T_break_range_K: tuple[float, float]
    low: ArrheniusFit
    high: ArrheniusFit
    one: ArrheniusFit
    chi2_two: float
    n_params_two: int
    F: float | None
    p_value: float | None
    bic_one: float
    bic_two: float
    preferred: str
    alpha: float
    covariance: np.ndarray | None = None  # continuous model: (ln_c, Ea_high, Ea_low, x_break) covariance
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def convention(self) -> str:
        return self.one.convention

    def sigma_at(self, T_K, level: float = 0.95):
        """Piecewise ``(σ, lo, hi)`` in S/m: the high-temperature regime at ``T ≥ T_break_K``, else the low one."""
        T = np.atleast_1d(np.asarray(T_K, dtype=float))
        vh, lh, hh = self.high.sigma_at(T, level)
        vl, ll, hl = self.low.sigma_at(T, level)
        m = T >= self.T_break_K
        out = tuple(np.where(m, a, b) for a, b in ((vh, vl), (lh, ll), (hh, hl)))
        if np.ndim(T_K) == 0:
            return tuple(float(o[0]) for o in out)
        return out


@dataclass(frozen=True, eq=False)
class PrefactorInversion(Result):
    """The one unknown of σ0 = γ·n·(z e)²·a0²·ν0/k_B·exp(ΔS_m/k_B), solved from a fitted σ0 (S·K/m).

    ``unknown`` is ``"n_per_m3"`` (mobile-ion concentration, m⁻³) or ``"attempt_frequency_Hz"``; ``value`` and
    ``value_err`` (propagated from the prefactor's relative error; ``None`` when it is unknown) are in those units.
    """

    unknown: str
    value: float
    value_err: float | None
    prefactor_S_K_per_m: float
    geometric_factor: float
    hop_distance_m: float
    charge_number: int
    migration_entropy_over_kB: float
    n_per_m3: float
    attempt_frequency_Hz: float


# ------------------------------------------------------------------------------------------------------------
# input checking
# ------------------------------------------------------------------------------------------------------------

def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise AnalysisError(f"unknown Arrhenius convention {convention!r} (use 'sigmaT' or 'sigma')")


def _fmt_T(T: float) -> str:
    return f"{T:.2f} K ({T - 273.15:.1f} °C)"


def _prepare(T_K, sigma, sigma_err, duplicate_rtol: float, min_temperatures: int = 2):
    """Validate and sort the points; returns (T, σ, σ_err or None, weights of ln σ, notes)."""
    try:
        T = np.asarray(T_K, dtype=float).ravel()
        s = np.asarray(sigma, dtype=float).ravel()
    except (TypeError, ValueError):
        raise AnalysisError("temperatures and conductivities must be numbers") from None
    if T.size != s.size:
        raise AnalysisError(f"{T.size} temperatures but {s.size} conductivities")
    if T.size == 0:
        raise AnalysisError("no (T, σ) points to fit")
    bad = np.flatnonzero(~np.isfinite(T) | (T <= 0))
    if bad.size:
        raise AnalysisError(f"temperature must be positive and finite (in K): got {T[bad[0]]!r} at point {bad[0] + 1}")
    bad = np.flatnonzero(~np.isfinite(s) | (s <= 0))
    if bad.size:
        i = bad[0]
        raise AnalysisError(f"conductivity must be positive and finite: got {s[i]!r} S/m at {_fmt_T(T[i])}")
    e = None
    if sigma_err is not None:
        e = np.asarray(sigma_err, dtype=float).ravel()
        if e.size != s.size:
            raise AnalysisError(f"{s.size} conductivities but {e.size} uncertainties")
        bad = np.flatnonzero(~np.isfinite(e) | (e <= 0))
        if bad.size:
            i = bad[0]
            raise AnalysisError(f"conductivity uncertainty must be positive and finite: got {e[i]!r} S/m at "
                                f"{_fmt_T(T[i])} (pass sigma_err=None to fit unweighted)")
    order = np.argsort(T, kind="stable")
    T, s = T[order], s[order]
    if e is not None:
        e = e[order]
    rel = e / s if e is not None else None
    # duplicate temperatures: keep consistent repeats (heating/cooling runs), refuse conflicting ones
    groups = np.split(np.arange(T.size), np.flatnonzero(np.diff(T) > T_TOL_K) + 1)
    notes = []
    for g in groups:
        if g.size < 2:
            continue
        ls = np.log(s[g])
        i, j = g[np.argmin(ls)], g[np.argmax(ls)]
        spread = math.log(s[j] / s[i])
        if rel is not None:
            limit = 3.0 * math.hypot(rel[i], rel[j])
            why = "3 combined standard errors"
        else:
            limit = math.log1p(duplicate_rtol)
            why = f"{duplicate_rtol:.0%}"
        if spread > limit:
            raise AnalysisError(f"conflicting conductivities at {_fmt_T(T[i])}: {s[i]:.4g} and {s[j]:.4g} S/m "
                                f"differ by more than {why}")
        notes.append(f"{g.size} points at {_fmt_T(T[g[0]])} kept as repeats")
    if len(groups) < min_temperatures:
        raise AnalysisError(f"an Arrhenius fit needs at least {min_temperatures} distinct temperatures, got "
                            f"{len(groups)}" + (f" ({_fmt_T(T[0])})" if len(groups) == 1 else ""))
    w = 1.0 / rel ** 2 if rel is not None else np.ones_like(s)
    return T, s, e, w, notes


# ------------------------------------------------------------------------------------------------------------
# fitting
# ------------------------------------------------------------------------------------------------------------

def _wls(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    sw = np.sqrt(w)
    A = X * sw[:, None]
    theta, *_ = np.linalg.lstsq(A, y * sw, rcond=None)
    r = y - X @ theta
    chi2 = float(np.sum(w * r * r))
    try:
        cov0 = np.linalg.inv(A.T @ A)
    except np.linalg.LinAlgError:
        raise AnalysisError("the temperatures do not determine the fit (singular design)") from None
    return theta, r, chi2, cov0


def _ln_y(T: np.ndarray, s: np.ndarray, convention: str) -> np.ndarray:
    return np.log(s * T) if convention == "sigmaT" else np.log(s)


def _build_fit(convention, T, s, e, w, ln_pref, Ea, cov, dof, chi2, absolute_sigma, notes) -> ArrheniusFit:
    y = _ln_y(T, s, convention)
    resid = y - (ln_pref - Ea / (K_B_EV * T))
    yw = np.sum(w * y) / np.sum(w)
    ss_tot = float(np.sum(w * (y - yw) ** 2))
    r2 = 1.0 - float(np.sum(w * resid ** 2)) / ss_tot if ss_tot > 0 else 1.0
    notes = list(notes)
    if cov is None:
        notes.append("no uncertainty: as many parameters as points and no absolute errors given")
    if not Ea > 0:
        notes.append(f"activation energy {Ea:.3g} eV is not positive: σ does not rise with temperature")
    # temporary object to evaluate the line with the class's own code
    base = dict(
        convention=convention, Ea_eV=float(Ea), prefactor=float(math.exp(ln_pref)),
        prefactor_unit="S K/m" if convention == "sigmaT" else "S/m", ln_prefactor=float(ln_pref),
        covariance=cov, n_points=int(T.size), dof=int(dof), chi2=float(chi2),
        reduced_chi2=float(chi2 / dof) if dof > 0 else None, r_squared=r2, absolute_sigma=bool(absolute_sigma),
        weighted=e is not None, T_K=T, sigma_S_per_m=s, sigma_err_S_per_m=e, residuals_ln=resid,
    )
    tmp = ArrheniusFit(Ea_err_eV=None, Ea_ci95_eV=None, ln_prefactor_err=None, t_quantile=None,
                       sigma_25C_S_per_m=math.nan, sigma_25C_ci95_S_per_m=None, sigma_30C_S_per_m=math.nan,
                       sigma_30C_ci95_S_per_m=None, sigma_25C_extrapolated=True, T_line_K=T, sigma_line_S_per_m=s, sigma_line_lo_S_per_m=s,
                       sigma_line_hi_S_per_m=s, **base)
    q = tmp._quantile(0.95)
    if cov is not None:
        Ea_err = float(math.sqrt(max(cov[1, 1], 0.0)))
        ci = (float(Ea - q * Ea_err), float(Ea + q * Ea_err))
        lnp_err = float(math.sqrt(max(cov[0, 0], 0.0)))
    else:
        Ea_err, ci, lnp_err = None, None, None
    v25, lo25, hi25 = tmp.sigma_at(T_25C)
    v30, lo30, hi30 = tmp.sigma_at(T_30C)
    T_line = np.linspace(min(float(T.min()), T_25C), float(T.max()), 120)
    vl, ll, hl = tmp.sigma_at(T_line)
    return ArrheniusFit(
        Ea_err_eV=Ea_err, Ea_ci95_eV=ci, ln_prefactor_err=lnp_err, t_quantile=q,
        sigma_25C_S_per_m=v25, sigma_25C_ci95_S_per_m=(lo25, hi25) if cov is not None else None,
        sigma_30C_S_per_m=v30, sigma_30C_ci95_S_per_m=(lo30, hi30) if cov is not None else None,
        sigma_25C_extrapolated=bool(T.min() > T_25C + T_TOL_K or T.max() < T_25C - T_TOL_K),
        T_line_K=T_line, sigma_line_S_per_m=vl, sigma_line_lo_S_per_m=ll, sigma_line_hi_S_per_m=hl,
        warnings=tuple(notes), **base)


def _fit_prepared(T, s, e, w, notes, convention, absolute_sigma) -> ArrheniusFit:
    y = _ln_y(T, s, convention)
    X = np.column_stack([np.ones_like(T), -1.0 / (K_B_EV * T)])
    theta, r, chi2, cov0 = _wls(X, y, w)
    dof = T.size - 2
    if absolute_sigma and e is not None:
        cov = cov0
    elif dof > 0:
        cov = cov0 * (chi2 / dof)
    else:
        cov = None
    return _build_fit(convention, T, s, e, w, theta[0], theta[1], cov, dof, chi2,
                      absolute_sigma and e is not None, notes)


def fit_arrhenius(T_K, sigma_S_per_m, sigma_err=None, convention: str = "sigmaT", *,
                  absolute_sigma: bool = False, duplicate_rtol: float = 0.10) -> ArrheniusFit:
    """Fit ``Ea`` and the prefactor to conductivities ``sigma_S_per_m`` (S/m) measured at ``T_K`` (K).

    ``sigma_err`` (S/m, optional) weights the points by ``(σ/σ_err)²``; with ``absolute_sigma=True`` those errors
    set the parameter uncertainties directly, otherwise the covariance is scaled by the reduced χ² and 95 %
    intervals use Student's t with ``n − 2`` degrees of freedom.  Repeated temperatures (within 0.05 K) are kept
    when they agree (within 3 combined standard errors, or within ``duplicate_rtol`` without errors); otherwise
    :class:`AnalysisError`.  Fewer than two distinct temperatures or a non-positive σ also raise.
    """
    _check_convention(convention)
    T, s, e, w, notes = _prepare(T_K, sigma_S_per_m, sigma_err, duplicate_rtol)
    if absolute_sigma and e is None:
        raise AnalysisError("absolute_sigma=True needs sigma_err")
    return _fit_prepared(T, s, e, w, notes, convention, absolute_sigma)


def _bic(chi2: float, n: int, k: int, absolute: bool) -> float:
    if absolute:
        return float(chi2 + k * math.log(n))
    # Gaussian likelihood with the scale profiled out; a floor keeps noiseless data finite
    return float(n * math.log(max(chi2 / n, 1e-300)) + k * math.log(n))


def fit_two_regime(T_K, sigma_S_per_m, sigma_err=None, convention: str = "sigmaT", *, continuous: bool = False,
                   min_points: int = 3, alpha: float = 0.05, absolute_sigma: bool = False,
                   duplicate_rtol: float = 0.10) -> TwoRegimeFit:
    """Two Arrhenius regimes with the break found automatically, compared with one line.

    Every split of the sorted temperatures that leaves at least ``min_points`` points on each side is tried and
    the one with the lowest (weighted) residual sum of squares wins.  ``continuous=False`` (default) fits two
    independent lines — a phase transition (e.g. Li13N4Br near 230 °C, Li3N α→β) can change σ abruptly, and
    forcing the lines to meet would bias both slopes; ``continuous=True`` fits a hinge in 1/T whose position is
    refined within each gap and reported with a standard error (from the full 4-parameter Jacobian).
    """
    _check_convention(convention)
    if min_points < 2:
        raise AnalysisError("min_points must be at least 2")
    T, s, e, w, notes = _prepare(T_K, sigma_S_per_m, sigma_err, duplicate_rtol)
    if absolute_sigma and e is None:
        raise AnalysisError("absolute_sigma=True needs sigma_err")
    absolute = absolute_sigma and e is not None
    n = T.size
    if n < 2 * min_points:
        raise AnalysisError(f"a two-regime fit needs at least {2 * min_points} points ({min_points} per regime), "
                            f"got {n}")
    one = _fit_prepared(T, s, e, w, notes, convention, absolute_sigma)
    y = _ln_y(T, s, convention)
    x = 1.0 / T
    # candidate split positions k: points [0, k) are the low-T side?  T is ascending, so [0, k) is low T.
    splits = [k for k in range(min_points, n - min_points + 1) if T[k] - T[k - 1] > T_TOL_K]
    if not splits:
        raise AnalysisError("no break point leaves enough distinct temperatures on both sides")

    def rss_line(idx):
        X = np.column_stack([np.ones(idx.size), -x[idx] / K_B_EV])
        _, _, chi2, _ = _wls(X, y[idx], w[idx])
        return chi2

    def hinge(xb):
        X = np.column_stack([np.ones(n), -np.minimum(x - xb, 0.0) / K_B_EV, -np.maximum(x - xb, 0.0) / K_B_EV])
        theta, _, chi2, _ = _wls(X, y, w)
        return chi2, theta

    warn = list(notes)
    if not continuous:
        best = min(splits, key=lambda k: rss_line(np.arange(k)) + rss_line(np.arange(k, n)))
        lo_i, hi_i = np.arange(best), np.arange(best, n)
        low = _fit_prepared(T[lo_i], s[lo_i], None if e is None else e[lo_i], w[lo_i], (), convention,
                            absolute_sigma)
        high = _fit_prepared(T[hi_i], s[hi_i], None if e is None else e[hi_i], w[hi_i], (), convention,
                             absolute_sigma)
        chi2_two = float(low.chi2 + high.chi2)
        k_two = 5
        gap = (float(T[best - 1]), float(T[best]))
        # where the two lines cross, if inside the gap; else the gap's midpoint in 1/T
        dEa = high.Ea_eV - low.Ea_eV
        Tb = None
        if abs(dEa) > 0:
            xc = (high.ln_prefactor - low.ln_prefactor) * K_B_EV / dEa
            if xc > 0 and gap[0] <= 1.0 / xc <= gap[1]:
                Tb = 1.0 / xc
        if Tb is None:
            Tb = 2.0 / (1.0 / gap[0] + 1.0 / gap[1])
        Tb_err, cov_all = None, None
    else:
        from scipy.optimize import minimize_scalar

        best_val, best_xb = math.inf, None
        for k in splits:
            xa, xb_ = x[k], x[k - 1]          # x descends with index; the gap in x is (x[k], x[k-1])
            res = minimize_scalar(lambda z: hinge(z)[0], bounds=(xa, xb_), method="bounded",
                                  options={"xatol": 1e-12 * xb_})
            for cand in (res.x, xa, xb_):
                v = hinge(cand)[0]
                if v < best_val:
                    best_val, best_xb = v, float(cand)
        xb = best_xb
        chi2_two, theta = hinge(xb)
        c, Ea_hi, Ea_lo = theta
        k_two = 4
        dof = n - 4
        # full Jacobian in (c, Ea_high, Ea_low, x_break)
        J = np.column_stack([np.ones(n), -np.minimum(x - xb, 0.0) / K_B_EV, -np.maximum(x - xb, 0.0) / K_B_EV,
                             np.where(x < xb, Ea_hi, Ea_lo) / K_B_EV])
        cov_all = None
        try:
            cov0 = np.linalg.inv((J * w[:, None]).T @ J)
            if absolute:
                cov_all = cov0
            elif dof > 0:
                cov_all = cov0 * (chi2_two / dof)
        except np.linalg.LinAlgError:
            warn.append("break position not determined (singular Jacobian)")
        Tb = 1.0 / xb
        Tb_err = float(math.sqrt(max(cov_all[3, 3], 0.0)) / xb ** 2) if cov_all is not None else None
        hi_m, lo_m = x < xb, x >= xb
        gap_k = int(np.count_nonzero(lo_m))
        gap = (float(T[gap_k - 1]), float(T[gap_k])) if 0 < gap_k < n else (float(Tb), float(Tb))

        def segment(mask, j_Ea):
            # ln prefactor of a segment: c + Ea·x_b/k_B
            lnp = c + theta[j_Ea] * xb / K_B_EV
            cov = None
            if cov_all is not None:
                G = np.zeros((2, 4))
                G[0, 0], G[0, j_Ea], G[0, 3] = 1.0, xb / K_B_EV, theta[j_Ea] / K_B_EV
                G[1, j_Ea] = 1.0
                cov = G @ cov_all @ G.T
            ee = None if e is None else e[mask]
            ww = w[mask]
            Ts, ss = T[mask], s[mask]
            rr = _ln_y(Ts, ss, convention) - (lnp - theta[j_Ea] / (K_B_EV * Ts))
            return _build_fit(convention, Ts, ss, ee, ww, lnp, theta[j_Ea], cov, dof, float(np.sum(ww * rr * rr)),
                              absolute, ())

        high = segment(hi_m, 1)
        low = segment(lo_m, 2)

    from scipy import stats

    k_one = 2
    if n - k_two > 0 and chi2_two > 0:
        F = ((one.chi2 - chi2_two) / (k_two - k_one)) / (chi2_two / (n - k_two))
        p = float(stats.f.sf(F, k_two - k_one, n - k_two))
        F = float(F)
    elif n - k_two > 0:
        F, p = math.inf, 0.0
        warn.append("two-regime model fits exactly (zero residual)")
    else:
        F, p = None, None
        warn.append(f"F-test needs more than {k_two} points")
    bic_one = _bic(one.chi2, n, k_one, absolute)
    bic_two = _bic(chi2_two, n, k_two, absolute)
    preferred = "two" if (p is not None and p < alpha and bic_two < bic_one) else "one"
    return TwoRegimeFit(continuous=continuous, T_break_K=float(Tb), T_break_err_K=Tb_err,
                        T_break_range_K=gap, low=low, high=high, one=one, chi2_two=float(chi2_two),
                        n_params_two=k_two, F=F, p_value=p, bic_one=bic_one, bic_two=bic_two, preferred=preferred,
                        alpha=alpha, covariance=cov_all, warnings=tuple(warn))


# ------------------------------------------------------------------------------------------------------------
# prefactor ↔ hopping parameters
# ------------------------------------------------------------------------------------------------------------

def prefactor_from_hopping(*, n_per_m3: float, hop_distance_m: float, attempt_frequency_Hz: float,
                           geometric_factor: float = 1.0 / 6.0, charge_number: int = 1,
                           migration_entropy_over_kB: float = 0.0) -> float:
    """σ0 in S·K/m from the hopping model: ``γ · n · (z e)² · a0² · ν0 / k_B · exp(ΔS_m/k_B)``.

    Units (SI): ``n`` in m⁻³, ``a0`` in m, ``ν0`` in Hz, ``e`` in C, ``k_B`` in J/K, so
    C²·m⁻³·m²·s⁻¹/(J/K) = (C²/(J·s))·K/m = S·K/m.  ``γ`` (the review's geometric factor z) is dimensionless —
    1/6 for an isotropic 3-D random walk on a cubic lattice, 1/4 in 2-D, 1/2 in 1-D — and absorbs correlation
    factors; ``charge_number`` is the z of the ion (1 for Li⁺); ``ΔS_m`` is given in units of k_B.
    """
    for name, v in (("n_per_m3", n_per_m3), ("hop_distance_m", hop_distance_m),
                    ("attempt_frequency_Hz", attempt_frequency_Hz), ("geometric_factor", geometric_factor)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise AnalysisError(f"{name} must be a positive number, got {v!r}")
    q = charge_number * E_CHARGE
    return float(geometric_factor * n_per_m3 * q * q * hop_distance_m ** 2 * attempt_frequency_Hz / K_B
                 * math.exp(migration_entropy_over_kB))


def invert_prefactor(prefactor, *, hop_distance_m: float, n_per_m3: float | None = None,
                     attempt_frequency_Hz: float | None = None, geometric_factor: float = 1.0 / 6.0,
                     charge_number: int = 1, migration_entropy_over_kB: float = 0.0,
                     prefactor_rel_err: float | None = None) -> PrefactorInversion:
    """Solve σ0 = γ·n·(z e)²·a0²·ν0/k_B·exp(ΔS_m/k_B) for the one of ``n_per_m3`` / ``attempt_frequency_Hz``
    left as ``None``.

    ``prefactor`` is σ0 in S·K/m or an :class:`ArrheniusFit` in the ``"sigmaT"`` convention (then its
    ``ln_prefactor_err`` gives the relative error of the answer, since d ln σ0 = d ln unknown).
    """
    if isinstance(prefactor, ArrheniusFit):
        if prefactor.convention != "sigmaT":
            raise AnalysisError("the hopping-model prefactor σ0 is defined by σ = (σ0/T)·exp(−Ea/kT): refit with "
                                "convention='sigmaT'")
        if prefactor_rel_err is None:
            prefactor_rel_err = prefactor.ln_prefactor_err
        sigma0 = prefactor.prefactor
    else:
        sigma0 = float(prefactor)
    if not (math.isfinite(sigma0) and sigma0 > 0):
        raise AnalysisError(f"prefactor must be a positive number in S·K/m, got {sigma0!r}")
    unknowns = [k for k, v in (("n_per_m3", n_per_m3), ("attempt_frequency_Hz", attempt_frequency_Hz)) if v is None]
    if len(unknowns) != 1:
        raise AnalysisError("give exactly one of n_per_m3 / attempt_frequency_Hz as None (the unknown to solve for)")
    unknown = unknowns[0]
    known = dict(n_per_m3=n_per_m3 or 1.0, attempt_frequency_Hz=attempt_frequency_Hz or 1.0)
    per_unit = prefactor_from_hopping(hop_distance_m=hop_distance_m, geometric_factor=geometric_factor,
                                      charge_number=charge_number,
                                      migration_entropy_over_kB=migration_entropy_over_kB, **known)
    value = sigma0 / per_unit
    err = abs(value) * prefactor_rel_err if prefactor_rel_err is not None else None
    if unknown == "n_per_m3":
        n_val, nu_val = value, float(attempt_frequency_Hz)
    else:
        n_val, nu_val = float(n_per_m3), value
    return PrefactorInversion(unknown=unknown, value=float(value), value_err=err, prefactor_S_K_per_m=sigma0,
                              geometric_factor=float(geometric_factor), hop_distance_m=float(hop_distance_m),
                              charge_number=int(charge_number),
                              migration_entropy_over_kB=float(migration_entropy_over_kB), n_per_m3=float(n_val),
                              attempt_frequency_Hz=float(nu_val))


# ------------------------------------------------------------------------------------------------------------
# plotting
# ------------------------------------------------------------------------------------------------------------

def plot_arrhenius(fit, *, labels=None, compare=(), band: bool = True, show_25C: bool = True):
    """Arrhenius plot: log σ (S/cm) against 1000/T (K⁻¹) with a °C top axis, points, fit line and 95 % band.

    ``fit`` is an :class:`ArrheniusFit`, a :class:`TwoRegimeFit`, or a sequence of them (several preparations on
    one plot, like Fig. 1f).  ``compare`` is an iterable of ``(label, T_K, sigma_S_per_m)`` reference curves
    (e.g. knowledge-base materials), drawn as thin dashed lines.  Returns the matplotlib Figure.
    """
    from ..plotting import new_figure, style

    fits = list(fit) if isinstance(fit, (list, tuple)) else [fit]
    if labels is None:
        labels = [None] * len(fits)
    fig, ax = new_figure()
    with style():
        colors = [f"C{i}" for i in range(10)]
        markers = "osD^vp*h"
        to_cm = 1e-2  # S/m -> S/cm
        xmin, xmax = math.inf, -math.inf
        for i, (f, lab) in enumerate(zip(fits, labels)):
            col, mk = colors[i % 10], markers[i % len(markers)]
            pieces = [f.low, f.high] if isinstance(f, TwoRegimeFit) else [f]
            data = f.one if isinstance(f, TwoRegimeFit) else f
            xd = 1000.0 / data.T_K
            xmin, xmax = min(xmin, xd.min()), max(xmax, xd.max())
            if data.sigma_err_S_per_m is not None:
                ax.errorbar(xd, data.sigma_S_per_m * to_cm, yerr=data.sigma_err_S_per_m * to_cm, fmt=mk,
                            color=col, mfc="none", capsize=1.5, lw=0.8, label=None)
            else:
                ax.plot(xd, data.sigma_S_per_m * to_cm, mk, color=col, mfc="none")
            for j, p in enumerate(pieces):
                if isinstance(f, TwoRegimeFit):
                    Tl = np.linspace(p.T_min_K, p.T_max_K, 60)
                    v, lo, hi = p.sigma_at(Tl)
                else:
                    Tl, v, lo, hi = p.T_line_K, p.sigma_line_S_per_m, p.sigma_line_lo_S_per_m, p.sigma_line_hi_S_per_m
                    xmax = max(xmax, 1000.0 / Tl.min())
                regime = ("low T: ", "high T: ")[j] if isinstance(f, TwoRegimeFit) else ""
                txt = f"{lab + ', ' if lab else ''}{regime}$E_a$ = {_fmt_ea(p.Ea_eV, p.Ea_err_eV)} eV"
                ax.plot(1000.0 / Tl, v * to_cm, "-", color=col, label=txt)
                if band and np.all(np.isfinite(lo)):
                    ax.fill_between(1000.0 / Tl, lo * to_cm, hi * to_cm, color=col, alpha=0.18, lw=0)
            if show_25C and not isinstance(f, TwoRegimeFit):
                ax.plot([1000.0 / T_25C], [f.sigma_25C_S_per_m * to_cm], "*", color=col, ms=6)
        dashes = [(4, 2), (1, 1.5), (4, 1.5, 1, 1.5), (6, 2, 1, 2, 1, 2), (2, 2)]
        for k, (lab, Tc, sc) in enumerate(compare or ()):
            Tc = np.asarray(Tc, dtype=float)
            ax.plot(1000.0 / Tc, np.asarray(sc, dtype=float) * to_cm, lw=0.8, color=("0.35", "0.6")[k % 2],
                    dashes=dashes[k % len(dashes)], label=lab)
        ax.set_yscale("log")
        ax.set_xlabel("1000/T (K$^{-1}$)")
        ax.set_ylabel("σ (S cm$^{-1}$)")
        if math.isfinite(xmin):
            pad = 0.03 * (xmax - xmin if xmax > xmin else 1.0)
            ax.set_xlim(xmin - pad, xmax + pad)
        ax.tick_params(top=False, which="both")
        top = ax.secondary_xaxis("top", functions=(_inv_1000_to_C, _C_to_inv_1000))
        top.set_xlabel("T (°C)")
        top.tick_params(direction="in")
        _legend_below(fig, ax, any(show_25C and not isinstance(f, TwoRegimeFit) for f in fits))
    return fig


def _legend_below(fig, ax, star: bool) -> None:
    """The legend goes under the x-axis label, outside the data: inside the axes it covered the 25 °C marker
    (lower right) or the fit lines (the entries are as wide as the axes)."""
    from matplotlib.lines import Line2D
    from matplotlib.transforms import offset_copy

    handles, labels = ax.get_legend_handles_labels()
    if star:
        handles.append(Line2D([], [], ls="none", marker="*", ms=6, color="0.3"))
        labels.append("σ(25 °C), extrapolated")
    if not handles:
        return
    below = offset_copy(ax.transAxes, fig=fig, y=-28, units="points")   # clear of tick labels and x label
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
              fontsize=7, ncol=1, handlelength=1.8, borderaxespad=0.0)


def _fmt_ea(Ea: float, err: float | None) -> str:
    """``0.500 ± 0.004``: decimals follow the error's second significant digit (at least two)."""
    if err is None or not err > 0 or not math.isfinite(err):
        return f"{Ea:.2f}"
    d = max(2, min(6, 1 - int(math.floor(math.log10(err)))))
    return f"{Ea:.{d}f} ± {err:.{d}f}"


def _inv_1000_to_C(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, 1000.0 / np.where(x > 0, x, 1.0) - 273.15, np.inf)


def _C_to_inv_1000(c):
    c = np.asarray(c, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        Tk = c + 273.15
        return np.where(Tk > 0, 1000.0 / np.where(Tk > 0, Tk, 1.0), np.inf)
