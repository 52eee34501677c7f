"""Fit results that people can read and keep: :class:`FitResult` (report, JSON round trip, model-choice evidence)
and :class:`ProfileResult` (profile-likelihood interval of one parameter).

**Model-choice evidence** carried by every :class:`FitResult` (the numbers a recipe uses to choose between circuits
fitted to the *same points with the same weighting*):

``n_points``
    complex points fitted (the fit uses 2·n_points real values).
``n_free``
    free parameters k (fixed ones excluded).
``chi2``, ``chi2_reduced``
    weighted sum of squares Σ(ΔZ′/σ′)² + (ΔZ″/σ″)² and χ²/(2·n_points − k).  The weights are relative (σ = |Z| for
    ``modulus``), so χ²_red is the squared relative rms misfit, not a goodness of fit against measured noise.
``aic``, ``aicc``, ``bic``
    for least squares with unknown noise (n = 2·n_points, as lmfit): AIC = n ln(χ²/n) + 2k,
    AICc = AIC + 2k(k+1)/(n−k−1), BIC = n ln(χ²/n) + k ln n.  Lower is better; a difference of ≥ 10 is decisive.
    Only comparable between fits of the same points and weighting.
``runs_z_real``, ``runs_z_imag``, ``runs_z``
    residual-structure statistic: the sign changes c of Re / Im of the residuals Z − Z_fit ordered by frequency,
    z = (c − (n−1)/2)/√((n−1)/4) (``runs_z`` the lower of the two).  Residual signs of an adequate model are
    independent with either sign equally likely (z ≈ N(0, 1)); z < −3 means long runs of one sign — a systematic
    misfit such as a missing arc.  Unlike the Wald–Wolfowitz form (conditional on the counts of each sign) it is
    defined for every spectrum, and residuals all of one sign (z = −√(n−1)) count as systematic.
``params_at_bounds``
    {name: "lower" | "upper"}: parameters at (within 0.1 % of the span of) a finite bound, or log-parameters that
    ran off towards 0 or ∞ because the model no longer needs them (R0 → 0); their Jacobian errors are meaningless —
    use :meth:`FitResult.profile`.
``outside_window``
    resistors of arcs R‖C / R‖CPE whose apex frequency lies outside the fitted band (the arc is not resolved).
``status`` / ``success`` / ``message``
    ``converged`` (a step gains less than 1e-4 noise units of χ², or no step improves) and ``plateau`` (a flat
    valley: χ² lower by less than 0.05 noise units over 5 iterations) are successes; ``stalled`` (the optimiser
    stopped although the Gauss–Newton model of the fit still promises ≥ 10 noise units of χ², over the parameters
    not at a bound) and ``iteration-cap`` are ``success=False`` with the reason in ``message`` and ``warnings``.
    (The promise overestimates the real gain in curved valleys, hence the margin; a noise unit is χ²_red.)

**JSON** (:meth:`FitResult.to_json` / :meth:`FitResult.from_json`): SI values; data arrays carry their unit in
the key (``freq_Hz``, ``z_real_ohm``…); parameter values in ``params`` (SI) with their units in ``param_units``;
undetermined standard errors (∞) are ``null``.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import FitError
from ..results import Result, jsonable

__all__ = ["FitResult", "ProfileResult", "compare_fits", "format_value", "pretty_unit"]

SCHEMA = "sselab.eis.FitResult/2"

_PRETTY = {"Ohm": "Ω", "F s^(alpha-1)": "F s^(α−1)", "Ohm s^-0.5": "Ω s^−½"}


def pretty_unit(unit: str) -> str:
    return _PRETTY.get(unit, unit)


def _sig(x: float, digits: int) -> str:
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    return f"{x:.{digits}g}"


def format_value(v: float, e: float | None = None, unit: str = "") -> str:
    """``50021 ± 123 Ω (0.25 %)``: the value to the precision of its standard error (two significant digits of the
    error; fixed-point between 1e-3 and 1e6, else scientific) and the relative error; ``± ∞ (undetermined)`` for an
    undetermined one."""
    u = f" {pretty_unit(unit)}" if unit else ""
    if e is None or (isinstance(e, float) and math.isnan(e)):
        return f"{_sig(v, 6)}{u}"
    if not math.isfinite(e):
        return f"{_sig(v, 4)}{u} ± ∞ (undetermined)"
    if e == 0 or not math.isfinite(v):
        return f"{_sig(v, 6)}{u}"
    de = int(math.floor(math.log10(e)))
    rel = f" ({100 * e / abs(v):.2g} %)" if v != 0 else ""
    if e > 100 * abs(v):  # nothing of the value is known: keep its digits visible
        return f"{_sig(v, 3)} ± {e:.1e}{u}{rel}"
    if 1e-3 <= abs(v) < 1e6 and 1e-4 <= e < 1e6:
        dec = max(0, 1 - de)
        return f"{v:.{dec}f} ± {e:.{dec}f}{u}{rel}"
    dv = int(math.floor(math.log10(abs(v)))) if v != 0 else de
    nd = max(2, min(8, dv - de + 2))
    return f"{v:.{nd - 1}e} ± {e:.1e}{u}{rel}"


def _runs_z(x: np.ndarray) -> float:
    s = np.asarray(x, float) >= 0
    n = s.size
    if n < 2:
        return 0.0
    c = int(np.count_nonzero(s[1:] != s[:-1]))
    return float((c - (n - 1) / 2) / math.sqrt((n - 1) / 4))


def _floats(d) -> dict:
    return {str(k): (math.inf if v is None else float(v)) for k, v in dict(d).items()}


# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FitResult(Result):
    """One fitted spectrum.  Values in SI (Ω, F, H, s); ``residuals`` are (Z_data − Z_fit)/|Z_data| (complex).

    ``print(res)`` (or ``res.report()``) gives a readable report with units and ±; ``res.to_json()`` /
    ``FitResult.from_json(text)`` keep it; ``res.profile("R1")`` gives a profile-likelihood interval.  The
    model-choice evidence (``n_points``, ``n_free``, ``aic``, ``bic``, ``chi2_reduced``, ``runs_z_real``,
    ``runs_z_imag``, ``params_at_bounds``, ``outside_window``) is documented in :mod:`sselab.eis.result`."""

    circuit: str
    param_names: list
    params: dict
    stderr: dict
    correlation: np.ndarray
    covariance: np.ndarray
    chi2: float
    chi2_reduced: float
    weighting: str
    success: bool
    n_iter: int
    warnings: tuple
    flags: dict
    fixed: tuple
    freq_Hz: np.ndarray
    Z: np.ndarray
    Z_fit: np.ndarray
    residuals: np.ndarray
    message: str = ""
    #: frequencies / impedances of a detected low-frequency inductive loop (empty if none) and whether those points
    #: were left out of the fit (``lf_loop`` option); ``freq_Hz``/``Z`` hold only the fitted points
    lf_loop_freq_Hz: np.ndarray = field(default_factory=lambda: np.empty(0))
    lf_loop_Z: np.ndarray = field(default_factory=lambda: np.empty(0, complex))
    lf_loop_excluded: bool = False
    #: the spectrum's label (file name, "spectrum 3" …)
    label: str = "spectrum"
    #: ``converged`` | ``plateau`` | ``stalled`` | ``iteration-cap`` (see the module docstring)
    status: str = "converged"
    #: {name: "lower" | "upper"} parameters at a bound (or run off to 0 / ∞)
    params_at_bounds: dict = field(default_factory=dict)
    #: resistors of arcs whose apex lies outside the fitted band
    outside_window: tuple = ()
    #: bounds in force for every parameter, {name: (lo, hi)} (SI)
    bounds: dict = field(default_factory=dict)
    #: σ of every fitted point, σ′ + jσ″ (Ω): the weighting actually used (1/σ per part)
    sigma: np.ndarray = field(default_factory=lambda: np.empty(0, complex))
    #: points left out before the fit (non-finite, f ≤ 0 …), with the reason in ``warnings``
    n_dropped: int = 0

    # -- evidence -------------------------------------------------------------------------------------------
    @property
    def n_points(self) -> int:
        """Complex points fitted (the fit uses twice as many real values)."""
        return int(np.size(self.freq_Hz))

    @property
    def n_free(self) -> int:
        """Free (fitted) parameters."""
        return len(self.param_names) - len(self.fixed)

    def _n_ln(self) -> tuple[int, float]:
        n = 2 * self.n_points
        chi2 = max(float(self.chi2), 1e-300)
        return n, n * math.log(chi2 / n)

    @property
    def aic(self) -> float:
        """Akaike information criterion n ln(χ²/n) + 2k (n = 2·n_points real values, k = n_free)."""
        n, base = self._n_ln()
        return base + 2 * self.n_free

    @property
    def aicc(self) -> float:
        """AIC with the small-sample correction 2k(k+1)/(n−k−1) (∞ when n ≤ k+1)."""
        n, k = 2 * self.n_points, self.n_free
        return self.aic + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.inf)

    @property
    def bic(self) -> float:
        """Bayesian information criterion n ln(χ²/n) + k ln n."""
        n, base = self._n_ln()
        return base + self.n_free * math.log(n)

    @property
    def runs_z_real(self) -> float:
        """Sign-change z-score of Re(Z − Z_fit) ordered by frequency (< −3: systematic misfit)."""
        return _runs_z(self._sorted_res().real)

    @property
    def runs_z_imag(self) -> float:
        """Sign-change z-score of Im(Z − Z_fit) ordered by frequency (< −3: systematic misfit)."""
        return _runs_z(self._sorted_res().imag)

    @property
    def runs_z(self) -> float:
        """The lower (more systematic) of :attr:`runs_z_real` and :attr:`runs_z_imag`."""
        return min(self.runs_z_real, self.runs_z_imag)

    def _sorted_res(self) -> np.ndarray:
        o = np.argsort(np.asarray(self.freq_Hz, float), kind="stable")
        return np.asarray(self.Z - self.Z_fit, complex)[o]

    def evidence(self) -> dict:
        """The model-choice evidence as a plain dict (JSON-ready)."""
        return jsonable({
            "n_points": self.n_points, "n_free": self.n_free, "chi2": self.chi2, "chi2_reduced": self.chi2_reduced,
            "aic": self.aic, "aicc": self.aicc, "bic": self.bic, "runs_z_real": self.runs_z_real,
            "runs_z_imag": self.runs_z_imag, "runs_z": self.runs_z, "params_at_bounds": dict(self.params_at_bounds),
            "outside_window": list(self.outside_window), "success": self.success, "status": self.status,
        })

    # -- values ---------------------------------------------------------------------------------------------
    @property
    def has_lf_loop(self) -> bool:
        """True when the spectrum ends in a low-frequency inductive loop (Z'' > 0 at low f)."""
        return bool(np.size(self.lf_loop_freq_Hz))

    @property
    def circuit_obj(self):
        from .circuit import Circuit

        return Circuit(self.circuit)

    @property
    def param_units(self) -> dict:
        """SI unit of every parameter (from the element registry)."""
        return dict(self.circuit_obj.param_units)

    def predict(self, freq_Hz) -> np.ndarray:
        """Model impedance at any frequencies."""
        return self.circuit_obj.impedance(freq_Hz, self.params)

    def resistance(self, expr: str = "R1") -> tuple[float, float]:
        """Sum of parameters named in ``expr`` (``"R1+R2"``) and its standard error including covariances."""
        names = [t.strip() for t in re.split(r"\+", str(expr)) if t.strip()]
        if not names:
            raise FitError(f"empty resistance expression {expr!r}")
        unknown = [n for n in names if n not in self.params]
        if unknown:
            raise FitError(f"resistance {expr!r}: circuit {self.circuit} has no parameter {', '.join(unknown)}"
                           f" (has {', '.join(self.param_names)})")
        idx = [self.param_names.index(n) for n in names]
        value = float(sum(self.params[n] for n in names))
        sub = np.asarray(self.covariance)[np.ix_(idx, idx)]
        with np.errstate(invalid="ignore"):
            var = float(np.sum(sub))
        err = math.sqrt(var) if var >= 0 and math.isfinite(var) else math.inf
        return value, err

    def profile(self, name: str, level: float = 0.95, **kwargs) -> "ProfileResult":
        """Profile-likelihood interval of parameter ``name`` at confidence ``level`` (see
        :func:`sselab.eis.fitting.profile`): trustworthy where the Jacobian error is not (an arc outside the band,
        a parameter at a bound, strongly non-linear dependence)."""
        from .fitting import profile

        return profile(self, name, level=level, **kwargs)

    # -- text -----------------------------------------------------------------------------------------------
    def report(self, min_correlation: float = 0.5) -> str:
        """A readable multi-line report: fit statistics, parameters with units and ±, strong correlations, arcs,
        warnings."""
        units = self.param_units
        lines = [f"[[Fit]] {self.circuit} — {self.label}",
                 f"    success          {self.success} ({self.message}; {self.n_iter} iterations)",
                 f"    data             {self.n_points} points"
                 + (f" ({self.n_dropped} dropped)" if self.n_dropped else "")
                 + f", {_sig(float(np.min(self.freq_Hz)), 3)}–{_sig(float(np.max(self.freq_Hz)), 3)} Hz,"
                   f" {self.weighting} weighting",
                 f"    free parameters  {self.n_free}"
                 + (f" (fixed: {', '.join(self.fixed)})" if self.fixed else ""),
                 f"    χ²               {_sig(self.chi2, 5)}    χ²_red {_sig(self.chi2_reduced, 4)}"
                 f" (rms misfit {100 * math.sqrt(max(self.chi2_reduced, 0.0)):.2g} %)",
                 f"    AIC              {self.aic:.2f}    AICc {self.aicc:.2f}    BIC {self.bic:.2f}",
                 f"    residual runs    z′ {self.runs_z_real:+.2f}    z″ {self.runs_z_imag:+.2f}"
                 "    (< −3: systematic misfit)",
                 "[[Parameters]]"]
        w = max(len(n) for n in self.param_names)
        for n in self.param_names:
            v, e = self.params[n], self.stderr[n]
            if n in self.fixed:
                text = f"{format_value(v, None, units.get(n, ''))} (fixed)"
            else:
                text = format_value(v, e, units.get(n, ""))
            note = []
            if n in self.params_at_bounds:
                note.append(f"at {self.params_at_bounds[n]} bound")
            if n in self.flags:
                note.append(self.flags[n])
            lines.append(f"    {n:<{w}}  {text}" + (f"   [{'; '.join(note)}]" if note else ""))
        corr = np.asarray(self.correlation, float)
        pairs = [(abs(corr[i, j]), i, j) for i in range(len(self.param_names)) for j in range(i + 1, corr.shape[0])
                 if abs(corr[i, j]) >= min_correlation]
        if pairs:
            lines.append(f"[[Correlations]] (|r| ≥ {min_correlation:g})")
            for _, i, j in sorted(pairs, reverse=True):
                lines.append(f"    C({self.param_names[i]}, {self.param_names[j]}) = {corr[i, j]:+.3f}")
        arcs = self._arc_lines()
        if arcs:
            lines.append("[[Arcs]]")
            lines += arcs
        if self.warnings:
            lines.append("[[Warnings]]")
            lines += [f"    {x}" for x in self.warnings]
        return "\n".join(lines)

    def _arc_lines(self) -> list[str]:
        c = self.circuit_obj
        P = np.array([self.params[n] for n in self.param_names])
        fmin, fmax = float(np.min(self.freq_Hz)), float(np.max(self.freq_Hz))
        out = []
        for tc in c.time_constants():
            fa = float(tc.apex_Hz(P))
            where = "in band" if fmin <= fa <= fmax else ("above the band" if fa > fmax else "below the band")
            what = f"{tc.resistor}‖{tc.element} apex" if tc.resistor else f"{tc.element} characteristic frequency"
            out.append(f"    {what} {_sig(fa, 3)} Hz ({where})")
        return out

    def __str__(self) -> str:
        return self.report()

    # -- dict / JSON ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready summary (no data arrays; :meth:`to_json` keeps everything)."""
        return jsonable({
            "circuit": self.circuit, "label": self.label, "params": self.params, "stderr": self.stderr,
            "param_units": self.param_units, "param_names": self.param_names, "correlation": self.correlation,
            "chi2": self.chi2, "chi2_reduced": self.chi2_reduced, "weighting": self.weighting,
            "success": self.success, "status": self.status, "n_iter": self.n_iter, "warnings": list(self.warnings),
            "flags": self.flags, "fixed": list(self.fixed), "message": self.message,
            "evidence": self.evidence(), "bounds": {k: list(v) for k, v in self.bounds.items()},
            "lf_loop": {"detected": self.has_lf_loop, "excluded": self.lf_loop_excluded,
                        "freq_Hz": self.lf_loop_freq_Hz},
        })

    def to_json(self, indent: int | None = None) -> str:
        """Everything needed to rebuild this result (:meth:`from_json`), as a JSON document (SI; units in keys)."""
        d = self.to_dict()
        Z, Zf, s = np.asarray(self.Z, complex), np.asarray(self.Z_fit, complex), np.asarray(self.sigma, complex)
        d.update(jsonable({
            "schema": SCHEMA, "covariance": self.covariance, "n_dropped": self.n_dropped,
            "params_at_bounds": self.params_at_bounds, "outside_window": list(self.outside_window),
            "freq_Hz": self.freq_Hz, "z_real_ohm": Z.real, "z_imag_ohm": Z.imag,
            "z_fit_real_ohm": Zf.real, "z_fit_imag_ohm": Zf.imag,
            "sigma_real_ohm": s.real, "sigma_imag_ohm": s.imag,
        }))
        loop_z = np.asarray(self.lf_loop_Z, complex)
        d["lf_loop"].update(jsonable({"z_real_ohm": loop_z.real, "z_imag_ohm": loop_z.imag}))
        d["bounds"] = {k: [None if not math.isfinite(b) else b for b in v] for k, v in self.bounds.items()}
        return json.dumps(d, indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, doc) -> "FitResult":
        """Rebuild a result written by :meth:`to_json` (a JSON string, bytes or an already parsed dict)."""
        if isinstance(doc, (str, bytes)):
            try:
                doc = json.loads(doc)
            except ValueError as exc:
                raise FitError(f"FitResult.from_json: not JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
            raise FitError(f"FitResult.from_json: expected a document with schema {SCHEMA!r}, got {got!r}")
        try:
            names = list(doc["param_names"])

            def arr(key, sub=None):
                src = doc[sub] if sub else doc
                return np.array([math.nan if v is None else v for v in src[key]], float)

            def mat(key):
                return np.array([[math.inf if v is None else v for v in row] for row in doc[key]], float
                                ).reshape(len(names), len(names))

            Z = arr("z_real_ohm") + 1j * arr("z_imag_ohm")
            Zf = arr("z_fit_real_ohm") + 1j * arr("z_fit_imag_ohm")
            loop = doc["lf_loop"]
            bounds = {k: (0.0 if v[0] is None else float(v[0]), math.inf if v[1] is None else float(v[1]))
                      for k, v in doc.get("bounds", {}).items()}
            with np.errstate(divide="ignore", invalid="ignore"):
                resid = (Z - Zf) / np.abs(Z)
            return cls(
                circuit=doc["circuit"], param_names=names, params=_floats(doc["params"]),
                stderr=_floats(doc["stderr"]), correlation=mat("correlation"), covariance=mat("covariance"),
                chi2=float(doc["chi2"]), chi2_reduced=float(doc["chi2_reduced"]), weighting=doc["weighting"],
                success=bool(doc["success"]), n_iter=int(doc["n_iter"]), warnings=tuple(doc["warnings"]),
                flags=dict(doc["flags"]), fixed=tuple(doc["fixed"]), freq_Hz=arr("freq_Hz"), Z=Z, Z_fit=Zf,
                residuals=resid, message=doc.get("message", ""),
                lf_loop_freq_Hz=arr("freq_Hz", "lf_loop"),
                lf_loop_Z=arr("z_real_ohm", "lf_loop") + 1j * arr("z_imag_ohm", "lf_loop"),
                lf_loop_excluded=bool(loop["excluded"]), label=doc.get("label", "spectrum"),
                status=doc.get("status", "converged"), params_at_bounds=dict(doc.get("params_at_bounds", {})),
                outside_window=tuple(doc.get("outside_window", ())), bounds=bounds,
                sigma=arr("sigma_real_ohm") + 1j * arr("sigma_imag_ohm"), n_dropped=int(doc.get("n_dropped", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise FitError(f"FitResult.from_json: malformed document ({type(exc).__name__}: {exc})") from None


# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileResult(Result):
    """Profile-likelihood interval of one parameter: the other free parameters refitted at each value.

    ``lower``/``upper`` are where χ² rises by ``threshold`` noise units (χ²₁ quantile of ``level``; the noise unit
    is the best fit's χ²_red) above its minimum; ``lower_open``/``upper_open`` mean the data never pushed χ² that
    high before the parameter's bound (or the scanned span) — the data do not constrain that side, and
    ``lower``/``upper`` then hold the bound (0 or ∞ for a positive parameter)."""

    name: str
    unit: str
    value: float
    stderr: float
    level: float
    threshold: float
    lower: float
    upper: float
    lower_open: bool
    upper_open: bool
    values: np.ndarray
    delta_chi2: np.ndarray
    note: str = ""

    def __str__(self) -> str:
        lo = "open (not constrained)" if self.lower_open else format_value(self.lower, None, self.unit)
        hi = "open (not constrained)" if self.upper_open else format_value(self.upper, None, self.unit)
        s = (f"{self.name} = {format_value(self.value, self.stderr, self.unit)}; {100 * self.level:g} % profile "
             f"interval: lower {lo}, upper {hi}")
        return s + (f" ({self.note})" if self.note else "")


def compare_fits(results, criterion: str = "bic") -> list[dict]:
    """Rank fits of different circuits to the **same** spectrum: one dict per result, best first, with ``circuit``,
    ``n_free``, ``chi2_reduced``, ``aic``, ``aicc``, ``bic``, their differences to the best (``d_aic`` …), the
    Akaike weight of ``criterion`` (exp(−Δ/2) normalised), ``runs_z`` (the lower of the two residual-run scores),
    ``outside_window``, ``params_at_bounds`` and ``success``.  Refuses (:class:`FitError`) results fitted to
    different points or with different weighting — their criteria are not comparable.

    Reading it: Δ ≥ 10 is decisive; a richer circuit that wins while some of its arcs lie outside the window, or
    with parameters at bounds, has not earned them — the recipe should say so."""
    results = list(results)
    if not results:
        raise FitError("compare_fits: no results")
    key = {"aic": "aic", "aicc": "aicc", "bic": "bic"}.get(str(criterion).lower())
    if key is None:
        raise FitError(f"compare_fits: criterion {criterion!r}; use aic, aicc or bic")
    ref = results[0]
    for r in results[1:]:
        same = (r.n_points == ref.n_points and r.weighting == ref.weighting
                and np.array_equal(np.asarray(r.freq_Hz), np.asarray(ref.freq_Hz))
                and np.array_equal(np.asarray(r.Z), np.asarray(ref.Z)))
        if not same:
            raise FitError(f"compare_fits: {r.circuit} ({r.label}) and {ref.circuit} ({ref.label}) were not fitted to "
                           "the same points with the same weighting")
    rows = []
    for r in results:
        rows.append({"circuit": r.circuit, "label": r.label, "n_free": r.n_free, "chi2_reduced": r.chi2_reduced,
                     "aic": r.aic, "aicc": r.aicc, "bic": r.bic, "runs_z": min(r.runs_z_real, r.runs_z_imag),
                     "outside_window": list(r.outside_window), "params_at_bounds": dict(r.params_at_bounds),
                     "success": r.success})
    for k in ("aic", "aicc", "bic"):
        best = min(row[k] for row in rows)
        for row in rows:
            row[f"d_{k}"] = row[k] - best
    w = np.array([math.exp(-0.5 * row[f"d_{key}"]) if math.isfinite(row[f"d_{key}"]) else 0.0 for row in rows])
    w = w / w.sum() if w.sum() > 0 else w
    for row, wi in zip(rows, w):
        row["weight"] = float(wi)
    return sorted(rows, key=lambda row: row[key])
