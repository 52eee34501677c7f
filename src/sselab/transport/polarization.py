"""DC polarisation (chronoamperometry) of solid electrolytes: electronic conductivity, transference numbers,
relaxation of the initial current spike, and the Bruce–Vincent Li⁺ transference number.

Definitions (Lowen *et al.*, lithium-imide solid electrolyte paper, Methods, eqs 3–5)::

    σe = (L/A) · If / V          (3)
    te = If / It                 (4)
    ti = 1 − te                  (5)

``If`` is the **mean current over the last half hour** of the hold (``window_s``, default 1800 s) and ``It`` is
"the initial current upon polarisation".  The paper quotes It as the measured spike (74 nA pre-CV, 1.06 mA
post-CV), so the default (``initial="first"``) takes the **measured current at the first sample after the
potential step**.  The step is located as the largest |I| ahead of the averaging window (for a decaying
transient that is the first sample after the step), or given as ``t_step_s``.  Alternatives:
``initial="fit"`` extrapolates the exponential fit to the step time (t → 0), which does not depend on the
sampling interval; ``initial="peak"`` is the largest |I| anywhere ahead of the averaging window.

The transient is fitted with ``I(t) = I∞ + Σₖ aₖ exp(−(t − t_step)/τₖ)`` (k = 1 or 2); with
``n_exp="auto"`` the model with the lower Bayesian information criterion ``BIC = n ln(RSS/n) + p ln n`` wins.
Standard errors come from the Jacobian at the optimum, scaled by the residual variance.

Uncertainties are noise-only unless the user supplies more: se(If) = s/√n over the window, se(It) = one
sample's noise (s) for ``first``/``peak`` or the fit's se of I(t_step) for ``fit``; se(σe) and se(te) = se(ti)
follow by first-order propagation (geometry and voltage exact).  The Bruce–Vincent t+ propagates the standard
errors of ΔV, I0, Is, R0 and Rs (independent, first order; closed-form partial derivatives in
:func:`bruce_vincent`) and reports each input's contribution.

Everything is SI inside (A, V, m, s, S/m); ``sigma_e_S_per_cm`` is offered for reports.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError, FitError
from ..results import Result

__all__ = [
    "TransientFit", "PolarizationResult", "BruceVincentResult",
    "electronic_conductivity", "transference_numbers", "final_current", "find_step", "initial_current",
    "fit_transient", "analyze_polarization", "bruce_vincent", "plot_polarization",
    "DEFAULT_WINDOW_S",
]

#: default averaging window for the final current If: the last half hour (paper, Methods)
DEFAULT_WINDOW_S = 1800.0


# -- equations 3–5 ---------------------------------------------------------------------------------------------

def electronic_conductivity(i_final_A: float, voltage_V: float, thickness_m: float, area_m2: float) -> float:
    """Eq. 3: σe = (L/A)·If/V in S/m (use ``sselab.units.to_unit(σ, "S/cm")`` for reports)."""
    for name, v in (("thickness", thickness_m), ("area", area_m2)):
        if not (math.isfinite(v) and v > 0):
            raise AnalysisError(f"DC polarisation: {name} must be positive, got {v!r}")
    if not (math.isfinite(voltage_V) and voltage_V != 0):
        raise AnalysisError(f"DC polarisation: applied voltage must be non-zero, got {voltage_V!r}")
    if not math.isfinite(i_final_A):
        raise AnalysisError("DC polarisation: final current is not finite")
    return (thickness_m / area_m2) * abs(i_final_A) / abs(voltage_V)


def transference_numbers(i_final_A: float, i_initial_A: float) -> tuple[float, float]:
    """Eqs. 4–5: ``(te, ti)`` with te = If/It and ti = 1 − te (magnitudes; both currents have the step's sign)."""
    if not (math.isfinite(i_initial_A) and i_initial_A != 0):
        raise AnalysisError(f"DC polarisation: initial current must be non-zero, got {i_initial_A!r}")
    if not math.isfinite(i_final_A):
        raise AnalysisError("DC polarisation: final current is not finite")
    te = abs(i_final_A) / abs(i_initial_A)
    return te, 1.0 - te


def final_current(time_s, current_A, window_s: float = DEFAULT_WINDOW_S) -> tuple[float, float, int]:
    """Mean current over the last ``window_s`` seconds: ``(mean_A, standard_error_A, n_points)``.

    The standard error is the sample standard deviation over √n (it describes noise, not drift).
    """
    t, i = _clean(time_s, current_A)
    if not window_s > 0:
        raise AnalysisError(f"DC polarisation: averaging window must be positive, got {window_s!r}")
    span = t[-1] - t[0]
    if window_s > span:
        raise AnalysisError(f"DC polarisation: averaging window {window_s:g} s is longer than the record "
                            f"({span:g} s)")
    sel = t >= t[-1] - window_s
    n = int(sel.sum())
    mean = float(np.mean(i[sel]))
    se = float(np.std(i[sel], ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return mean, se, n


def find_step(time_s, current_A, window_s: float = DEFAULT_WINDOW_S) -> int:
    """Index of the first sample after the potential step: the largest |I| ahead of the averaging window."""
    t, i = _clean(time_s, current_A)
    head = t < t[-1] - window_s
    if not head.any():
        head = np.ones_like(t, dtype=bool)
        head[len(t) // 2:] = False
        head[0] = True
    return int(np.argmax(np.abs(np.where(head, i, 0.0))))


def initial_current(time_s, current_A, method: str = "first", *, window_s: float = DEFAULT_WINDOW_S,
                    t_step_s: float | None = None, fit: "TransientFit | None" = None) -> float:
    """The initial current It upon polarisation (see the module docstring for the methods)."""
    t, i = _clean(time_s, current_A)
    if method == "fit":
        if fit is None:
            raise AnalysisError("DC polarisation: initial='fit' needs a transient fit")
        return fit.i_step_A
    if method == "first":
        if t_step_s is not None:
            after = np.nonzero(t >= t_step_s)[0]
            if len(after) == 0:
                raise AnalysisError(f"DC polarisation: no data after the step at {t_step_s:g} s")
            return float(i[after[0]])
        return float(i[find_step(t, i, window_s)])
    if method == "peak":
        head = t < t[-1] - window_s
        if not head.any():
            head = np.ones_like(t, dtype=bool)
        return float(i[head][np.argmax(np.abs(i[head]))])
    raise AnalysisError(f"DC polarisation: unknown initial-current method {method!r} (first, peak, fit)")


def _clean(time_s, current_A) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time_s, dtype=float).ravel()
    i = np.asarray(current_A, dtype=float).ravel()
    if t.shape != i.shape:
        raise AnalysisError(f"DC polarisation: time ({t.size}) and current ({i.size}) lengths differ")
    ok = np.isfinite(t) & np.isfinite(i)
    t, i = t[ok], i[ok]
    if t.size < 3:
        raise AnalysisError(f"DC polarisation: need at least 3 finite points, got {t.size}")
    order = np.argsort(t, kind="stable")
    return t[order], i[order]


# -- transient fit --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TransientFit(Result):
    """``I(t) = offset_A + Σ amplitudes_A[k]·exp(−(t − t_step_s)/tau_s[k])`` with standard errors."""

    n_exp: int
    tau_s: tuple[float, ...]
    tau_se_s: tuple[float, ...]
    amplitudes_A: tuple[float, ...]
    amplitudes_se_A: tuple[float, ...]
    offset_A: float
    offset_se_A: float
    i_step_se_A: float
    t_step_s: float
    rss_A2: float
    bic: float
    bic_by_model: dict
    n_points: int
    t_fit_s: np.ndarray = field(repr=False)
    i_fit_A: np.ndarray = field(repr=False)

    @property
    def i_step_A(self) -> float:
        """The fit extrapolated to the step (t → t_step): offset + Σ amplitudes."""
        return float(self.offset_A + sum(self.amplitudes_A))

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.pop("t_fit_s", None)
        d.pop("i_fit_A", None)
        d["i_step_A"] = self.i_step_A
        return d

    def predict(self, time_s) -> np.ndarray:
        t = np.asarray(time_s, dtype=float) - self.t_step_s
        out = np.full_like(t, self.offset_A, dtype=float)
        for a, tau in zip(self.amplitudes_A, self.tau_s):
            out = out + a * np.exp(-t / tau)
        return out


def _model(p: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    y = np.full_like(x, p[0])
    for k in range(n):
        rate = math.exp(-min(max(p[2 + 2 * k], -600.0), 600.0))  # 1/τ, kept finite while the optimiser roams
        y = y + p[1 + 2 * k] * np.exp(-np.minimum(x * rate, 700.0))
    return y


def _fit_n(x: np.ndarray, y: np.ndarray, n: int, starts: list[np.ndarray]):
    from scipy.optimize import least_squares

    best = None
    for p0 in starts:
        try:
            r = least_squares(lambda p: _model(p, x, n) - y, p0, method="lm", x_scale="jac", max_nfev=2000)
        except (ValueError, FloatingPointError):
            continue
        if not np.all(np.isfinite(r.x)):
            continue
        if best is None or r.cost < best.cost:
            best = r
    return best


def fit_transient(time_s, current_A, n_exp: int | str = "auto", *, t_step_s: float | None = None,
                  t_end_s: float | None = None, window_s: float = DEFAULT_WINDOW_S) -> TransientFit:
    """Fit the decay after the step with one or two exponentials plus a constant.

    ``n_exp`` is 1, 2 or ``"auto"`` (lower BIC wins; a two-exponential fit whose time constants coincide within
    10 %, or whose parameters are undetermined, is rejected).  Data before ``t_step_s`` (default: located with
    :func:`find_step`) and after ``t_end_s`` are ignored.  Returns time constants in seconds with standard errors.
    """
    t, i = _clean(time_s, current_A)
    if t_step_s is None:
        t_step_s = float(t[find_step(t, i, window_s)])
    sel = t >= t_step_s
    if t_end_s is not None:
        sel &= t <= t_end_s
    x, y = t[sel] - t_step_s, i[sel]
    if x.size < 6:
        raise FitError(f"transient fit: only {x.size} points after the step (need ≥ 6)")
    scale = float(np.max(np.abs(y)))
    if scale == 0:
        raise FitError("transient fit: the current is identically zero")
    ys = y / scale
    tail = ys[x >= x[-1] - max(0.1 * x[-1], 1e-12)]
    c0 = float(np.median(tail))
    a0 = float(ys[0] - c0)
    # rough τ: time for the excess current to fall by e
    excess = np.abs(ys - c0)
    below = np.nonzero(excess <= abs(a0) / math.e)[0]
    dt_min = float(np.min(np.diff(x))) if x.size > 1 else 1.0
    tau0 = float(x[below[0]]) if len(below) and x[below[0]] > 0 else max(dt_min, x[-1] / 20)
    tau0 = max(tau0, dt_min / 2)
    choices = [1, 2] if n_exp == "auto" else [int(n_exp)]
    if any(c not in (1, 2) for c in choices):
        raise FitError(f"transient fit: n_exp must be 1, 2 or 'auto', got {n_exp!r}")
    fits: dict[int, tuple] = {}
    npts = x.size
    for n in choices:
        if n == 1:
            starts = [np.array([c0, a0, math.log(tau0 * f)]) for f in (1.0, 0.3, 3.0)]
        else:
            starts = [np.array([c0, a0 * w, math.log(tau0 * f1), a0 * (1 - w), math.log(tau0 * f2)])
                      for (w, f1, f2) in ((0.5, 0.3, 3.0), (0.8, 0.5, 5.0), (0.3, 0.2, 2.0), (0.6, 0.1, 1.5))]
        if npts <= 2 * n + 2:
            continue
        r = _fit_n(x, ys, n, starts)
        if r is None:
            continue
        rss = float(np.sum(r.fun ** 2))
        p = len(r.x)
        dof = npts - p
        s2 = rss / dof
        try:
            jtj = r.jac.T @ r.jac
            cov = np.linalg.inv(jtj) * s2
            se = np.sqrt(np.diag(cov))
        except np.linalg.LinAlgError:
            cov = np.full((p, p), np.nan)
            se = np.full(p, np.nan)
        bic = npts * math.log(max(rss, 1e-300) / npts) + p * math.log(npts)
        ok = bool(np.all(np.isfinite(se)))
        if n == 2:
            taus = np.exp(r.x[[2, 4]])
            if abs(taus[0] - taus[1]) < 0.1 * max(taus) or not ok or np.any(se[[2, 4]] > 1.0):
                ok = False
        fits[n] = (r, rss, se, bic, ok, cov)
    usable = {n: f for n, f in fits.items() if f[4]} or fits
    if not usable:
        raise FitError("transient fit: the least-squares fit did not converge")
    n_best = min(usable, key=lambda n: usable[n][3])
    r, rss, se, bic, _, cov = usable[n_best]
    # I(t_step) = offset + Σ amplitudes: its variance from the full covariance (amplitudes are correlated)
    g = np.zeros(len(r.x))
    g[0] = 1.0
    g[1::2] = 1.0
    var_step = float(g @ cov @ g)
    i_step_se = math.sqrt(var_step) * scale if var_step >= 0 else float("nan")
    order = np.argsort([r.x[2 + 2 * k] for k in range(n_best)])
    taus = tuple(float(np.exp(r.x[2 + 2 * k])) for k in order)
    tau_se = tuple(float(np.exp(r.x[2 + 2 * k]) * se[2 + 2 * k]) for k in order)
    amps = tuple(float(r.x[1 + 2 * k] * scale) for k in order)
    amps_se = tuple(float(se[1 + 2 * k] * scale) for k in order)
    if not all(math.isfinite(v) for v in taus + tau_se):
        raise FitError("transient fit: time constants are undetermined (too few points on the decay?)")
    grid = t_step_s + np.concatenate([[0.0], np.geomspace(max(x[x > 0].min() if (x > 0).any() else 1e-3, 1e-9) / 2,
                                                          max(x[-1], 1e-9), 400)])
    fit = TransientFit(
        n_exp=n_best, tau_s=taus, tau_se_s=tau_se, amplitudes_A=amps, amplitudes_se_A=amps_se,
        offset_A=float(r.x[0] * scale), offset_se_A=float(se[0] * scale), i_step_se_A=float(i_step_se),
        t_step_s=float(t_step_s),
        rss_A2=float(rss * scale ** 2), bic=float(bic),
        bic_by_model={int(k): float(v[3]) for k, v in fits.items()}, n_points=int(npts),
        t_fit_s=grid, i_fit_A=np.zeros(0),
    )
    object.__setattr__(fit, "i_fit_A", fit.predict(grid))
    return fit


# -- full analysis --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolarizationResult(Result):
    """DC polarisation on one cell (eqs 3–5), with the transient fit and figure-ready arrays."""

    voltage_V: float
    thickness_m: float | None
    area_m2: float | None
    window_s: float
    i_final_A: float
    i_final_se_A: float
    i_initial_A: float
    i_initial_se_A: float | None
    initial_method: str
    t_step_s: float
    sigma_e_S_per_m: float | None
    sigma_e_se_S_per_m: float | None
    t_e: float
    t_i: float
    t_e_se: float | None
    electrodes: str
    fit: TransientFit | None
    bruce_vincent: "BruceVincentResult | None"
    warnings: tuple[str, ...]
    time_s: np.ndarray = field(repr=False)
    current_A: np.ndarray = field(repr=False)

    @property
    def sigma_e_S_per_cm(self) -> float | None:
        return None if self.sigma_e_S_per_m is None else self.sigma_e_S_per_m / 100.0

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["sigma_e_S_per_cm"] = self.sigma_e_S_per_cm
        d["sigma_e_se_S_per_cm"] = None if self.sigma_e_se_S_per_m is None else self.sigma_e_se_S_per_m / 100.0
        d.pop("time_s", None)
        d.pop("current_A", None)
        a = self.area_m2
        d["j_final_A_per_m2"] = self.i_final_A / a if a else None
        d["j_final_se_A_per_m2"] = (self.i_final_se_A / a if a and math.isfinite(self.i_final_se_A) else None)
        d["j_initial_A_per_m2"] = self.i_initial_A / a if a else None
        return d


@dataclass(frozen=True)
class BruceVincentResult(Result):
    """Bruce–Vincent Li⁺ transference number t+ = Is(ΔV − I0R0)/(I0(ΔV − IsRs)) with its standard error.

    ``t_plus_se`` is first-order (linear) propagation of the inputs' standard errors, taken as independent;
    ``se_contributions`` gives each input's share ``|∂t+/∂x|·se(x)`` (they add in quadrature).  Inputs given
    without a standard error count as exact; ``t_plus_se`` is ``None`` when no input has one.
    """

    t_plus: float
    t_plus_se: float | None
    delta_V: float
    i0_A: float
    iss_A: float
    r0_ohm: float
    rss_ohm: float
    delta_se_V: float | None = None
    i0_se_A: float | None = None
    iss_se_A: float | None = None
    r0_se_ohm: float | None = None
    rss_se_ohm: float | None = None
    se_contributions: dict = field(default_factory=dict)


def bruce_vincent(delta_V: float, i0_A: float, iss_A: float, r0_ohm: float, rss_ohm: float, *,
                  delta_se_V: float | None = None, i0_se_A: float | None = None, iss_se_A: float | None = None,
                  r0_se_ohm: float | None = None, rss_se_ohm: float | None = None) -> BruceVincentResult:
    """Bruce–Vincent (Evans–Vincent–Bruce) transference number for a Li|SSE|Li cell, with error propagation.

    ``r0_ohm`` / ``rss_ohm`` are the interfacial resistances before and after polarisation (from EIS), ``i0_A``
    the initial and ``iss_A`` the steady-state current, ``delta_V`` the applied polarisation; the optional
    ``*_se_*`` are their standard errors.  With ``a = ΔV − I0R0`` and ``b = ΔV − IsRs``, the partial derivatives
    are ``∂ln t/∂Is = 1/Is + Rs/b``, ``∂ln t/∂I0 = −1/I0 − R0/a``, ``∂ln t/∂R0 = −I0/a``, ``∂ln t/∂Rs = Is/b``,
    ``∂ln t/∂ΔV = 1/a − 1/b``.
    """
    vals = dict(delta_V=delta_V, i0_A=i0_A, iss_A=iss_A, r0_ohm=r0_ohm, rss_ohm=rss_ohm)
    for k, v in vals.items():
        if v is None or not math.isfinite(v):
            raise AnalysisError(f"Bruce–Vincent: {k} is not finite")
    ses = dict(delta_V=delta_se_V, i0_A=i0_se_A, iss_A=iss_se_A, r0_ohm=r0_se_ohm, rss_ohm=rss_se_ohm)
    for k, v in ses.items():
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise AnalysisError(f"Bruce–Vincent: standard error of {k} must be finite and ≥ 0, got {v!r}")
    if r0_ohm < 0 or rss_ohm < 0:
        raise AnalysisError("Bruce–Vincent: interfacial resistances must be non-negative")
    dv, i0, iss = abs(delta_V), abs(i0_A), abs(iss_A)
    if dv == 0 or i0 == 0:
        raise AnalysisError("Bruce–Vincent: ΔV and I0 must be non-zero")
    num = dv - i0 * r0_ohm
    den = dv - iss * rss_ohm
    if num <= 0 or den <= 0:
        raise AnalysisError(f"Bruce–Vincent: ΔV ({dv:g} V) must exceed I0·R0 ({i0 * r0_ohm:g} V) and "
                            f"Is·Rs ({iss * rss_ohm:g} V)")
    t = iss * num / (i0 * den)
    dlog = dict(delta_V=1.0 / num - 1.0 / den, i0_A=-1.0 / i0 - r0_ohm / num,
                iss_A=(1.0 / iss if iss > 0 else math.inf) + rss_ohm / den,
                r0_ohm=-i0 / num, rss_ohm=iss / den)
    contrib = {}
    for k, se in ses.items():
        if se is None:
            continue
        if k == "iss_A" and iss == 0:
            # t = 0 exactly; ∂t/∂Is = num/(I0·den)
            contrib[k] = abs(num / (i0 * den)) * se
        else:
            contrib[k] = abs(t * dlog[k]) * se
    t_se = math.sqrt(sum(c * c for c in contrib.values())) if contrib else None
    return BruceVincentResult(
        t_plus=float(t), t_plus_se=None if t_se is None else float(t_se), delta_V=float(delta_V),
        i0_A=float(i0_A), iss_A=float(iss_A), r0_ohm=float(r0_ohm), rss_ohm=float(rss_ohm),
        delta_se_V=delta_se_V, i0_se_A=i0_se_A, iss_se_A=iss_se_A, r0_se_ohm=r0_se_ohm, rss_se_ohm=rss_se_ohm,
        se_contributions={f"{k}": float(v) for k, v in contrib.items()})


def _arrays(data, time_s=None, current_A=None, potential_V=None):
    if data is not None:
        m = data
        t = m.column("time_s")
        i = m.column("current_A")
        e = m.column("potential_V") if m.has("potential_V") else None
        return t, i, e
    if time_s is None or current_A is None:
        raise AnalysisError("DC polarisation: give a Measurement or time_s and current_A arrays")
    return (np.asarray(time_s, float), np.asarray(current_A, float),
            None if potential_V is None else np.asarray(potential_V, float))


def analyze_polarization(data=None, *, time_s=None, current_A=None, potential_V=None,
                         voltage_V: float | None = None, thickness_m: float | None = None,
                         area_m2: float | None = None, window_s: float = DEFAULT_WINDOW_S,
                         initial: str = "first", t_step_s: float | None = None, fit: bool = True,
                         n_exp: int | str = "auto", electrodes: str = "blocking",
                         r0_ohm: float | None = None, rss_ohm: float | None = None,
                         r0_se_ohm: float | None = None, rss_se_ohm: float | None = None,
                         voltage_se_V: float | None = None) -> PolarizationResult:
    """DC polarisation analysis of a chronoamperometry record (a :class:`~sselab.io.Measurement` or arrays).

    ``voltage_V`` defaults to the mean measured potential over the averaging window.  σe needs ``thickness_m``
    and ``area_m2`` (else it is ``None``).  ``electrodes="li"`` with ``r0_ohm`` and ``rss_ohm`` adds the
    Bruce–Vincent t+ (I0 = It, Is = If) with its propagated standard error: se(Is) is the noise-only standard
    error of the window mean, se(I0) the single-sample noise (standard deviation in the averaging window) for
    ``"first"``/``"peak"`` or the fit's standard error of I(t_step) for ``"fit"``; ``r0_se_ohm``,
    ``rss_se_ohm`` and ``voltage_se_V`` are the user's (omitted = exact).  ``initial`` is ``"first"`` (paper,
    default), ``"peak"`` or ``"fit"``.
    """
    t, i, e = _arrays(data, time_s, current_A, potential_V)
    src = getattr(data, "name", None) if data is not None else None
    where = f"{src}: " if src else ""
    ok = np.isfinite(t) & np.isfinite(i)
    if e is not None:
        e = e[ok]
    t, i = t[ok], i[ok]
    if t.size < 3:
        raise AnalysisError(f"{where}DC polarisation needs at least 3 data points, got {t.size}")
    order = np.argsort(t, kind="stable")
    t, i = t[order], i[order]
    e = e[order] if e is not None else None
    warnings: list[str] = []
    try:
        i_f, i_f_se, n_f = final_current(t, i, window_s)
    except AnalysisError as exc:
        raise AnalysisError(f"{where}{str(exc)}") from None
    if n_f < 3:
        warnings.append(f"only {n_f} points in the last {window_s:g} s average")
    if voltage_V is None:
        if e is None:
            raise AnalysisError(f"{where}DC polarisation: no potential column; give the applied voltage")
        voltage_V = float(np.mean(e[t >= t[-1] - window_s]))
        warnings.append(f"applied voltage taken as the mean measured potential, {voltage_V:.4g} V")
    if t_step_s is None:
        first = _leading_pre_step(t, e, window_s)
        if first:
            warnings.append(f"{first} leading sample(s) at a potential far from the hold (before the step) ignored")
        step_idx = first + find_step(t[first:], i[first:], window_s)
    else:
        step_idx = int(np.searchsorted(t, t_step_s))
    if step_idx >= len(t):
        raise AnalysisError(f"{where}DC polarisation: no data after the step at {t_step_s:g} s")
    t_step = float(t[step_idx]) if t_step_s is None else float(t_step_s)
    tf = None
    if fit or initial == "fit":
        try:
            tf = fit_transient(t, i, n_exp, t_step_s=t_step, window_s=window_s)
        except FitError as exc:
            if initial == "fit":
                raise FitError(f"{where}{exc}") from None
            warnings.append(f"no transient fit: {exc}")
    if tf is not None:
        after = t[t >= t_step]
        dt0 = float(after[1] - after[0]) if after.size > 1 else float("inf")
        if min(tf.tau_s) < 3 * dt0:
            warnings.append(f"fastest τ ({min(tf.tau_s):.3g} s) is shorter than 3 sampling intervals after the step "
                            f"({dt0:.3g} s): it is poorly resolved, whatever its standard error says")
    i_t = initial_current(t, i, initial, window_s=window_s, t_step_s=t_step, fit=tf)
    if i_t == 0:
        raise AnalysisError(f"{where}DC polarisation: the initial current is zero")
    if np.sign(i_t) != np.sign(i_f) and i_f != 0:
        warnings.append("initial and final currents have opposite signs")
    if abs(i_f) > abs(i_t):
        warnings.append("final current exceeds the initial current: not a decaying transient")
    if initial == "fit":
        i_t_se = tf.i_step_se_A if (tf is not None and math.isfinite(tf.i_step_se_A)) else None
    else:
        i_t_se = i_f_se * math.sqrt(n_f) if math.isfinite(i_f_se) else None   # one sample's noise
    te, ti = transference_numbers(i_f, i_t)
    # se(te) = se(ti): te·√((se_If/If)² + (se_It/It)²), noise only
    te_se = None
    if i_f != 0 and math.isfinite(i_f_se):
        rel2 = (i_f_se / i_f) ** 2 + ((i_t_se / i_t) ** 2 if i_t_se is not None else 0.0)
        te_se = te * math.sqrt(rel2)
    sigma = sigma_se = None
    if thickness_m is not None and area_m2 is not None:
        sigma = electronic_conductivity(i_f, voltage_V, thickness_m, area_m2)
        # noise-only standard error of If propagated (geometry and voltage taken as exact)
        sigma_se = sigma * i_f_se / abs(i_f) if (i_f != 0 and math.isfinite(i_f_se)) else None
    bv = None
    if r0_ohm is not None and rss_ohm is not None:
        bv = bruce_vincent(voltage_V, i_t, i_f, r0_ohm, rss_ohm, delta_se_V=voltage_se_V, i0_se_A=i_t_se,
                           iss_se_A=i_f_se if math.isfinite(i_f_se) else None, r0_se_ohm=r0_se_ohm,
                           rss_se_ohm=rss_se_ohm)
    elif electrodes == "li" and (r0_ohm is not None or rss_ohm is not None):
        warnings.append("Bruce–Vincent t+ needs both R0 and Rss")
    return PolarizationResult(
        voltage_V=float(voltage_V), thickness_m=thickness_m, area_m2=area_m2, window_s=float(window_s),
        i_final_A=i_f, i_final_se_A=i_f_se, i_initial_A=float(i_t), i_initial_se_A=i_t_se, initial_method=initial,
        t_step_s=t_step,
        sigma_e_S_per_m=sigma, sigma_e_se_S_per_m=sigma_se, t_e=te, t_i=ti, t_e_se=te_se, electrodes=electrodes, fit=tf,
        bruce_vincent=bv,
        warnings=tuple(warnings), time_s=t, current_A=i,
    )


def _leading_pre_step(t: np.ndarray, e: np.ndarray | None, window_s: float) -> int:
    """Number of leading samples recorded before the potential step: their potential differs from the hold
    potential (mean over the averaging window) by more than 80 % of the hold potential (e.g. a Gamry record
    whose first row is the pre-step rest at 0 V).  0 without a potential column or for a zero hold."""
    if e is None or e.size != t.size or not np.isfinite(e).all():
        return 0
    hold = float(np.mean(e[t >= t[-1] - window_s]))
    if hold == 0:
        return 0
    far = np.abs(e - hold) > 0.8 * abs(hold)
    k = int(np.argmin(far)) if not far.all() else 0
    return k if k < t.size - 3 else 0


# -- plot -----------------------------------------------------------------------------------------------------

def plot_polarization(result: PolarizationResult):
    """I(t) on linear and logarithmic time axes with the exponential fit and the averaging window."""
    from ..plotting import new_figure, style

    fig, axes = new_figure(7.0, 2.8, ncols=2)
    with style():
        _draw_polarization(fig, axes, result)
    return fig


def _time_scale(span_s: float) -> tuple[float, str]:
    if span_s >= 3 * 3600:
        return 1 / 3600, "h"
    if span_s >= 600:
        return 1 / 60, "min"
    return 1.0, "s"


def _draw_polarization(fig, axes, result: PolarizationResult) -> None:
    """Left: I vs time (s/min/h) as in the paper's Fig. 2c,d.  Right: log time, so the spike, the relaxation
    and the plateau are all visible; symmetric-log time axis (linear below the first sampling interval), so the
    first sample after the step (t = 0, the measured It) is shown; |I| on a log axis when the current keeps one
    sign, linear otherwise."""
    t0 = result.t_step_s
    x = result.time_s - t0
    y = result.current_A
    after = x >= 0
    scale, unit = _current_scale(np.nanmax(np.abs(y[after])) if after.any() else np.nanmax(np.abs(y)))
    ts, tunit = _time_scale(float(x[-1]))
    sign = np.sign(result.i_final_A) or np.sign(result.i_initial_A) or 1.0
    one_sign = bool(np.mean(sign * y[after] > 0) > 0.98) if after.any() else False
    xp = x[after]
    dt0 = float(np.min(np.diff(xp)[np.diff(xp) > 0])) if np.any(np.diff(xp) > 0) else 1.0
    ax_lin, ax_log = axes
    # linear panel
    ax_lin.plot(x * ts, y * scale, ".", ms=2, color="0.3", label="data")
    if result.fit is not None:
        xf = result.fit.t_fit_s - t0
        taus = ", ".join(f"{tau:.3g} s" for tau in result.fit.tau_s)
        ax_lin.plot(xf * ts, result.fit.i_fit_A * scale, "-", color="C3", lw=1.0, label=f"fit, τ = {taus}")
    ax_lin.axvspan((x[-1] - result.window_s) * ts, x[-1] * ts, color="C0", alpha=0.15, lw=0, label="If window")
    ax_lin.set_xlabel(f"time since step ({tunit})")
    ax_lin.set_ylabel(f"current ({unit})")
    # top middle: clear of the spike (left edge) and of the If window (right edge)
    ax_lin.legend(loc="upper center", fontsize=7)
    # log-time panel
    yy = (sign * y[after]) if one_sign else y[after]
    ax_log.plot(xp, yy * scale, ".", ms=2, color="0.3")
    if result.fit is not None:
        xf = result.fit.t_fit_s - t0
        yf = (sign * result.fit.i_fit_A) if one_sign else result.fit.i_fit_A
        m = xf >= 0
        ax_log.plot(xf[m], yf[m] * scale, "-", color="C3", lw=1.0)
    it = (sign * result.i_initial_A) if one_sign else result.i_initial_A
    i_f = (sign * result.i_final_A) if one_sign else result.i_final_A
    hit = np.nonzero(y == result.i_initial_A)[0]
    x_it = float(x[hit[0]]) if hit.size and x[hit[0]] >= 0 else 0.0     # the measured sample, or t = 0 for a fit
    ax_log.plot([x_it], [it * scale], "v",
                color="C1", ms=5, label=f"It ({result.initial_method})")
    ax_log.axhline(i_f * scale, color="C0", ls="--", lw=0.8, label="If")
    ax_log.axvspan(x[-1] - result.window_s, x[-1], color="C0", alpha=0.15, lw=0)
    ax_log.set_xscale("symlog", linthresh=dt0, linscale=0.3)
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    k0 = math.ceil(math.log10(dt0) + 0.3)          # first decade clear of the linear part (no label clash)
    k1 = math.floor(math.log10(max(float(x[-1]), dt0)))
    decades = [10.0 ** k for k in range(k0, k1 + 1)]
    ax_log.xaxis.set_major_locator(FixedLocator([0.0] + decades))
    ax_log.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: "0" if v == 0 else f"$10^{{{int(round(math.log10(v)))}}}$"))
    ax_log.xaxis.set_minor_locator(NullLocator())
    if one_sign and np.all(yy[np.isfinite(yy)] > 0):
        ax_log.set_yscale("log")
        ylab = f"|current| ({unit})" if sign < 0 else f"current ({unit})"
    else:
        ylab = f"current ({unit})"
    ax_log.set_xlabel("time since step (s, log scale)")
    ax_log.set_ylabel(ylab)
    ax_log.legend(loc="upper right", fontsize=7)
    fig.tight_layout()


def _current_scale(imax: float) -> tuple[float, str]:
    for f, u in ((1e3, "mA"), (1e6, "µA"), (1e9, "nA"), (1e12, "pA")):
        if imax * f >= 1:
            return f, u
    return 1e12, "pA"
