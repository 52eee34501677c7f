"""Impedance spectroscopy: equivalent circuits, fitting (single and vectorised batch), Lin-KK validation,
derived quantities (σ, ASR, effective capacitances), model-choice evidence, profile intervals and plots.

Public API::

    from sselab.eis import Circuit, fit, fit_batch, profile, lin_kk, ELEMENTS
    c = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)-CPE3")   # impedance.py syntax; R C L CPE W Ws Wo G TLMQ (alias TLM)
    c.param_names                                   # ['R0', 'R1', 'CPE1_Q', 'CPE1_alpha', ...]
    c.param_units                                   # {'R0': 'Ohm', 'CPE1_Q': 'F s^(alpha-1)', ...} (registry)
    Z = c.impedance(freq_Hz, params)                # dict or array; complex, mathematical sign
    res = fit(freq_Hz, Z, "R0-p(R1,CPE1)-CPE2", weighting="modulus", initial=None, fixed=None, bounds=None)
    res.params, res.stderr, res.correlation, res.chi2, res.chi2_reduced, res.residuals, res.warnings, res.flags
    res.success, res.status, res.message            # converged | plateau (success) | stalled | iteration-cap
    res.resistance("R1+R2")                         # (value_ohm, stderr_ohm) with covariance
    print(res)                                      # res.report(): lmfit-like, units and ±, correlations, arcs
    res.n_points, res.n_free, res.aic, res.aicc, res.bic, res.runs_z_real, res.runs_z_imag,
    res.params_at_bounds, res.outside_window        # model-choice evidence (sselab.eis.result); res.evidence()
    text = res.to_json(); FitResult.from_json(text) # lossless round trip; SI, units in keys
    pr = res.profile("R1", level=0.95)              # profile-likelihood interval (ProfileResult; open sides)
    compare_fits([res_1arc, res_2arc])              # same spectrum, several circuits: ΔAIC/ΔBIC, weights, runs
    results = fit_batch(spectra, circuit, warm_start=True, progress=False)   # one vectorised run, ≈1 ms/spectrum
    kk = lin_kk(freq_Hz, Z)                         # Schönleber 2014, automatic M (μ, c = 0.85)
    # low-frequency inductive loops (Z'' > 0 at the lowest f, Li|SSE|Li): detected, warned and flagged
    # (flags["low-frequency inductive loop"], res.has_lf_loop, res.lf_loop_freq_Hz); option lf_loop=
    # "auto" | "exclude" | "keep" of fit / fit_batch (auto: exclude unless the circuit has an R-L branch) and of
    # lin_kk (default keep).  Circuits without any arc (R0-CPE1, R0-W1, L0-R0-C1, R0 ...) are fitted as well.

    from sselab.eis import derive, plot
    derive.conductivity(R, R_err, cell)             # S/m;  derive.asr(R, R_err, cell) -> Ω m² (R·A/2, Li|Li)
    derive.arcs(res, cell)                          # Brug C, apex frequency, bulk / grain boundary / electrode
    plot.nyquist(res); plot.bode(res); plot.residuals(res); plot.fit_overview(res); plot.profile(pr)

**One place per circuit element**: :mod:`.elements` is the registry — impedance, analytic Jacobian, parameter names
and units, fit transform (log / logit) and default bounds, initial-guess rule, time constant / apex and Brug
capacitance of every element type.  The parser, the fit, ``derive`` and :mod:`sselab.simulate` all read it; adding
an element touches that file only (``docs/CONVENTIONS.md``: "How to add a circuit element").

Numbers are SI everywhere (Ω, F, H, s, Hz; Q in F s^(α−1)).  Bad input raises :class:`sselab.errors.FitError` /
:class:`CircuitError` with one line; numpy floating-point warnings never reach the caller.

Modules: :mod:`.elements` (registry), :mod:`.circuit` (parser, evaluation, time constants), :mod:`.fitting` (fit,
fit_batch, profile), :mod:`.result` (FitResult, ProfileResult, evidence, JSON), :mod:`._lm` / :mod:`._guess`
(batched Levenberg–Marquardt, starting values), :mod:`.kk` (lin_kk), :mod:`.artefacts` (inductive-loop detection),
:mod:`.derive`, :mod:`.plot`.
"""
from .circuit import Circuit, CircuitError
from .fitting import FitResult, ProfileResult, fit, fit_batch, initial_guesses, profile
from .result import compare_fits

__all__ = ["Circuit", "CircuitError", "FitResult", "ProfileResult", "fit", "fit_batch", "profile", "initial_guesses",
           "lin_kk", "KKResult", "ELEMENTS", "compare_fits"]


def __getattr__(name):
    import importlib

    if name in ("lin_kk", "KKResult"):
        return getattr(importlib.import_module(".kk", __name__), name)
    if name == "ELEMENTS":
        from .elements import ELEMENTS

        return ELEMENTS
    if name in ("derive", "plot", "kk", "artefacts", "elements"):  # submodules on first use (plot imports matplotlib)
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
