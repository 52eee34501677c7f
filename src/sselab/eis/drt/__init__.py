"""Distribution of relaxation times (DRT): how many processes a spectrum holds and where, before any circuit.

Public API::

    from sselab.eis.drt import drt, drt_many, drt_series, seed_circuit, fit_seeded
    res = drt(freq_Hz, Z)                        # one spectrum (Z complex, mathematical sign)
    res.tau_s, res.gamma_ohm                     # γ(τ) in Ω per unit ln τ;  ∫γ d ln τ = res.R_pol_ohm
    res.gamma_lo_ohm, res.gamma_hi_ohm           # 95 % band (bootstrap of the non-negative estimator)
    res.R_inf_ohm, res.L_H, res.tail_Q, res.tail_alpha, res.lam, res.Z_fit, res.residuals, res.flags
    for p in res.peaks:                          # processes, fastest first
        p.tau_s, p.R_ohm, p.R_err_ohm, p.C_F, p.alpha, p.assignment, p.in_window
    circuit, initial = seed_circuit(res)         # 'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3', {...} for sselab.eis.fit
    fitres = fit_seeded(res)                     # the DRT-seeded circuit fit (a sselab.eis.FitResult)
    results = drt_many([(f, Z), ...])            # many spectra: shared basis matrices, batched λ selection
    series = drt_series(spectra, T_K=[...], cell=cell)   # + peaks tracked, Arrhenius per process, DRT map
    series.track("bulk").Ea_eV, series.gamma_map_ohm

    from sselab.eis.drt import plot
    plot.drt_overview(res); plot.drt_map(series); plot.track_arrhenius(series)

How (details in the modules): :mod:`.basis` (RBF discretisation on a log-τ grid, tabulated kernels, the
shape-factor rule), :mod:`.core` (Tikhonov problem with non-negativity by NNLS on the augmented system, λ by GCV /
mGCV / L-curve or given, R∞ / series L / low-frequency CPE tail, bootstrap band), :mod:`.peaks` (peak detection,
refinement of the peaks against the impedance with BIC model selection, assignment by C·L/A, circuit seeds),
:mod:`.series` (tracking and Arrhenius), :mod:`.plot` (figures).
"""
from .core import DEFAULTS, LAMBDA_METHODS, DRTPeak, DRTResult, detect_tail, drt, drt_many
from .peaks import CircuitSeed, cole_cole, fit_seeded, seed_circuit
from .series import DRTSeries, PeakTrack, drt_series, track_peaks

__all__ = ["DEFAULTS", "LAMBDA_METHODS", "DRTPeak", "DRTResult", "DRTSeries", "PeakTrack", "CircuitSeed", "drt",
           "drt_many", "drt_series", "track_peaks", "detect_tail", "cole_cole", "seed_circuit", "fit_seeded"]


def __getattr__(name):
    import importlib

    if name in ("plot", "basis"):  # plot imports matplotlib: load on first use
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
