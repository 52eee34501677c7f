"""The regularised, non-negative DRT of one spectrum or of many at once.

Problem (normalised units: impedances divided by ``Z_s``, the geometric mean of |Z|, so λ means the same for every
spectrum — with unit weights it is exactly the λ of DRTtools / pyDRTtools)::

    min_x≥0  Σ_n w_n² |Z_model(ω_n; x) − Z_n|² / Z_s²  +  λ ( ||d γ/d ln τ||² + μ² ||x||² )

* unknowns ``x``: RBF coefficients of γ, and R∞, series inductance L (when the spectrum has Z″ > 0 at its highest
  frequencies, or on request) and a low-frequency phasance (CPE) amplitude 1/Q (when a capacitive / diffusive tail
  is detected, or on request) — all non-negative, so an inductive artefact can never become a negative peak;
* weights ``w_n = Z_s/|Z_n|`` ("modulus", default) or 1 ("unit");
* μ = 1e-4 is a tiny ridge on every unknown that makes the penalty invertible (negligible against the data term);
* λ: chosen per spectrum by GCV (default), modified GCV (Kim & Gu 2004, ρ = 1.3 below 50 data, else 2) or the
  L-curve corner, evaluated in closed form from one SVD of the weighted matrix in standard form (``A R_pen⁻¹``) on a
  grid of λ from 1e-7 to 1 (15 per decade) — the unconstrained ridge as DRTtools does; or given by the user;
* the non-negative solution: ``scipy.optimize.nnls`` on the augmented least-squares system
  ``[W A; √λ R_pen] x = [W Z; 0]`` with unit-norm columns — the normal equations are never formed, so tiny λ
  (1e-6) is as safe as large λ; on the rare non-convergence of NNLS the bounded solver
  ``scipy.optimize.lsq_linear`` (BVLS) solves the same system and the result says so;
* credible band: parametric bootstrap of the whole non-negative estimator — replicate spectra = DRT fit + Gaussian
  noise of the size of the weighted residuals (σ² = RSS/(n − dof), dof = trace of the ridge influence matrix), each
  solved by NNLS at the same λ; γ's 2.5–97.5 % quantiles over the replicates form the 95 % band (non-negativity is
  respected by every replicate, so the band never dips below zero and is not symmetric where γ ≈ 0).  It measures
  the estimator's noise, not its regularisation bias.  (A truncated-Gaussian posterior sampled by exact HMC was
  tried first: with most coefficients at the bound it needed ~10³ wall bounces per draw, 30× slower.)  100
  replicates by default (~0.1–0.3 s per spectrum).
"""
from __future__ import annotations

import functools
import math
import warnings as _warnings
from dataclasses import dataclass, field

import numpy as np

from ...errors import AnalysisError
from ...results import Result
from . import basis as _b

__all__ = ["DRTResult", "DRTPeak", "drt", "drt_many", "LAMBDA_METHODS", "DEFAULTS", "lambda_grid"]

LAMBDA_METHODS = ("gcv", "mgcv", "lcurve")
TAIL_OPTIONS = ("auto", "cpe", "none", "exclude")
LF_LOOP_OPTIONS = ("exclude", "keep")
WEIGHTINGS = ("modulus", "unit")
_MU = 1e-4         # ridge on the RBF coefficients (γ/Z_s ~ 1)
_MU_EXTRA = 1e-7   # ridge on R∞, L, tail (columns scaled so that their coefficients are ~1 or less)

#: every option of :func:`drt` with its default (the recipe records these)
DEFAULTS = dict(lam="auto", lam_method="gcv", rbf="gaussian", fwhm=2.0, points_per_decade=10.0,
                extend_decades=1.0, order=1, weighting="modulus", inductance="auto", tail="auto", lf_loop="exclude",
                band=True, n_samples=100, seed=0, peak_prominence=0.03, peak_min_fraction=0.01, refine=True)


def lambda_grid(lo: float = 1e-7, hi: float = 1.0, per_decade: int = 15) -> np.ndarray:
    n = int(round(math.log10(hi / lo) * per_decade)) + 1
    return np.logspace(math.log10(lo), math.log10(hi), n)


# ---------------------------------------------------------------------------------------------------------------
# results
@dataclass(frozen=True)
class DRTPeak(Result):
    """One DRT peak = one relaxation process (see :mod:`sselab.eis.drt.peaks`).

    ``tau_s``, ``R_ohm``, ``alpha``: the peak's time constant, resistance (area) and Cole–Cole exponent (1 = ideal
    RC, smaller = broader) — refined against the impedance when ``refined`` (standard error ``R_err_ohm``, 95 %
    interval ``tau_ci95_s``), else from the regularised γ; ``R_area_ohm``/``tau_drt_s``: area and position in the
    regularised γ; ``C_F = τ/R`` (for an R‖CPE arc this is its Brug capacitance); ``assignment`` from C·(L/A) after
    Irvine, Sinclair & West (:func:`sselab.eis.derive.assign`); ``in_window``: the apex frequency 1/(2πτ) lies
    inside the measured band.
    """

    tau_s: float
    R_ohm: float
    C_F: float
    f_peak_Hz: float
    alpha: float
    gamma_max_ohm: float
    fwhm_decades: float
    assignment: str
    C_norm_F_per_cm: float
    in_window: bool
    R_err_ohm: float | None = None
    tau_ci95_s: tuple[float, float] | None = None
    R_area_ohm: float | None = None
    R_area_err_ohm: float | None = None
    tau_drt_s: float | None = None
    refined: bool = False


@dataclass(frozen=True, eq=False)
class DRTResult(Result):
    """The DRT of one spectrum (SI: Ω, s, H, Hz).

    ``tau_s``/``gamma_ohm``: γ(τ) per unit ln τ on the output grid (∫γ d ln τ = ``R_pol_ohm``);
    ``gamma_lo_ohm``/``gamma_hi_ohm``: 95 % credible band (``None`` without ``band``); ``freq_Hz``/``Z``: the
    points used, ``Z_fit`` the DRT-reconstructed impedance, ``residuals`` (Z − Z_fit)/|Z|; ``excluded_freq_Hz``:
    points left out (low-frequency inductive loop, or tail with ``tail="exclude"``); ``tail_Q``/``tail_alpha``: the
    low-frequency phasance 1/(Q (jω)^α) when modelled; ``flags``: stable code → one-line message.
    """

    label: str
    freq_Hz: np.ndarray
    Z: np.ndarray
    Z_fit: np.ndarray
    residuals: np.ndarray
    tau_s: np.ndarray
    gamma_ohm: np.ndarray
    gamma_lo_ohm: np.ndarray | None
    gamma_hi_ohm: np.ndarray | None
    R_inf_ohm: float
    L_H: float
    tail_Q: float | None
    tail_alpha: float | None
    R_pol_ohm: float
    lam: float
    lam_method: str
    lam_grid: np.ndarray
    lam_score: np.ndarray
    rms_residual: float
    peaks: tuple
    basis: str
    eps: float
    tau_grid_s: np.ndarray
    coefficients_ohm: np.ndarray
    excluded_freq_Hz: np.ndarray
    excluded_Z: np.ndarray
    solver: str
    flags: dict = field(default_factory=dict)
    warnings: tuple = ()
    options: dict = field(default_factory=dict)

    @property
    def n_peaks(self) -> int:
        return len(self.peaks)

    @property
    def tau_window_s(self) -> tuple[float, float]:
        """τ range 1/(2π f_max) … 1/(2π f_min) probed by the measurement."""
        return 1 / (2 * math.pi * float(self.freq_Hz.max())), 1 / (2 * math.pi * float(self.freq_Hz.min()))

    def predict(self, freq_Hz) -> np.ndarray:
        """DRT-model impedance at any frequencies."""
        f = np.asarray(freq_Hz, float)
        a_re, a_im = _b.impedance_matrices(f, self.tau_grid_s, self.basis, self.eps)
        z = (a_re + 1j * a_im) @ self.coefficients_ohm + self.R_inf_ohm + 1j * 2 * np.pi * f * self.L_H
        if self.tail_Q:
            z = z + 1.0 / (self.tail_Q * (1j * 2 * np.pi * f) ** self.tail_alpha)
        return z

    def seed(self):
        """A circuit string and ``initial`` dict for :func:`sselab.eis.fit` built from the peaks (see
        :func:`sselab.eis.drt.seed_circuit`)."""
        from .peaks import seed_circuit

        return seed_circuit(self)

    def to_dict(self) -> dict:
        from ...results import jsonable

        d = {k: getattr(self, k) for k in ("label", "R_inf_ohm", "L_H", "tail_Q", "tail_alpha", "R_pol_ohm", "lam",
                                            "lam_method", "rms_residual", "basis", "eps", "solver", "flags",
                                            "warnings", "options")}
        d["n_points"] = int(self.freq_Hz.size)
        d["peaks"] = [p.to_dict() for p in self.peaks]
        d["excluded_freq_Hz"] = self.excluded_freq_Hz
        return jsonable(d)


# ---------------------------------------------------------------------------------------------------------------
# preparation of one spectrum
@dataclass
class _Prep:
    label: str
    f: np.ndarray          # descending
    z: np.ndarray
    w: np.ndarray          # per-point weight (normalised units)
    zs: float              # impedance scale (Ω)
    use_L: bool
    tail: bool
    tail_alpha: float | None
    excl_f: np.ndarray
    excl_z: np.ndarray
    flags: dict
    warnings: list
    tau_cut: float = math.inf


def _clean(freq_Hz, Z, label: str):
    f = np.asarray(freq_Hz, float).ravel()
    z = np.asarray(Z, complex).ravel()
    if f.shape != z.shape:
        raise AnalysisError(f"{label}: frequency ({f.size}) and impedance ({z.size}) lengths differ")
    keep = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0)
    dropped = int((~keep).sum())
    f, z = f[keep], z[keep]
    order = np.argsort(-f, kind="stable")
    f, z = f[order], z[order]
    if f.size and np.any(np.abs(z) == 0):
        raise AnalysisError(f"{label}: impedance is exactly zero at some frequency")
    if f.size < 5:
        raise AnalysisError(f"{label}: {f.size} usable points (need ≥ 5 with f > 0 and finite Z)")
    if float(f.max() / f.min()) < 10 ** 0.5:
        raise AnalysisError(f"{label}: frequency span {f.min():.3g}–{f.max():.3g} Hz is under half a decade; "
                            "a DRT needs a wider sweep")
    return f, z, dropped


def detect_tail(freq_Hz, Z) -> float | None:
    """α estimate of a low-frequency capacitive/diffusive tail (−Z″ rising towards low f with slope d ln(−Z″)/d ln f
    ≤ −0.25 over the lowest points, after a minimum of −Z″), or None.  ``freq_Hz`` any order."""
    f = np.asarray(freq_Hz, float)
    z = np.asarray(Z, complex)
    o = np.argsort(f)
    f, mi = f[o], -z.imag[o]
    n = f.size
    lf = np.log10(f)
    k = max(3, int(np.sum(lf <= lf[0] + 0.5)), n // 8)
    k = min(k, n - 2)
    if k < 3 or np.any(mi[:k] <= 0):
        return None
    slope = np.polyfit(np.log(f[:k]), np.log(mi[:k]), 1)[0]
    if slope > -0.25:
        return None
    # the rise must be the end of the spectrum, not the high-frequency side of an arc spanning the whole sweep
    # whose apex is below f_min *and* above f_max at once (pure CPE spectra are tails too): require −Z″ at f_min to
    # be the largest −Z″ of the lowest decade and above the spectrum's minimum of −Z″ by 30 %
    pos = mi[mi > 0]
    if pos.size == 0 or mi[0] < 1.3 * float(np.min(pos)):
        return None
    dec = lf <= lf[0] + 1.0
    if mi[0] < 0.999 * float(np.max(mi[dec])):
        return None
    return float(np.clip(-slope, 0.3, 1.0))


def _tail_cut(f_desc, z) -> int:
    """Number of leading (high-f) points to keep when excluding a tail: up to the minimum of −Z″ before it."""
    mi = -z.imag
    n = f_desc.size
    # walk from the low-frequency end while −Z″ decreases (towards higher f)
    j = n - 1
    while j > 0 and mi[j - 1] <= mi[j]:
        j -= 1
    return max(j + 1, 0)


def _prepare(freq_Hz, Z, label, opts) -> _Prep:
    from ..artefacts import hf_inductive_points, lf_inductive_loop

    f, z, dropped = _clean(freq_Hz, Z, label)
    flags, warns = {}, []
    if dropped:
        msg = f"{dropped} point(s) with a non-finite impedance or f ≤ 0 left out"
        flags["points-dropped"] = msg
        warns.append(msg)
    excl_f, excl_z = np.empty(0), np.empty(0, complex)
    loop = lf_inductive_loop(f, z)
    if loop.any():
        if opts["lf_loop"] == "exclude":
            excl_f, excl_z = f[loop], z[loop]
            f, z = f[~loop], z[~loop]
            msg = (f"low-frequency inductive loop: {int(loop.sum())} point(s) with Z'' > 0 below "
                   f"{excl_f.max():.3g} Hz left out (a DRT with γ ≥ 0 cannot represent it)")
            flags["lf-loop-excluded"] = msg
        else:
            msg = (f"low-frequency inductive loop ({int(loop.sum())} point(s) with Z'' > 0) kept: γ ≥ 0 cannot "
                   "represent it, expect residuals there")
            flags["lf-loop-kept"] = msg
        warns.append(msg)
        if f.size < 5:
            raise AnalysisError(f"{label}: only {f.size} points left after excluding the low-frequency inductive "
                                "loop (use lf_loop='keep')")
    ind = opts["inductance"]
    hf = hf_inductive_points(f, z)
    use_L = bool(hf.any()) if ind == "auto" else bool(ind)
    if hf.any():
        flags["hf-inductance"] = (f"{int(hf.sum())} high-frequency point(s) with Z'' > 0: modelled by a series "
                                  "inductance L ≥ 0" if use_L else
                                  f"{int(hf.sum())} high-frequency point(s) with Z'' > 0 but inductance=False: "
                                  "they cannot be fitted (γ ≥ 0)")
    tail_opt = opts["tail"]
    tail_alpha = None
    tail = False
    if tail_opt in ("auto", "exclude", "cpe"):
        a = detect_tail(f, z)
        if tail_opt == "cpe":
            tail, tail_alpha = True, a if a is not None else 0.9
        elif a is not None and tail_opt == "auto":
            tail, tail_alpha = True, a
        elif a is not None and tail_opt == "exclude":
            keep = _tail_cut(f, z)
            if keep < 5:
                raise AnalysisError(f"{label}: only {keep} points left after excluding the low-frequency tail "
                                    "(use tail='cpe')")
            excl_f = np.concatenate([excl_f, f[keep:]])
            excl_z = np.concatenate([excl_z, z[keep:]])
            flags["lf-tail-excluded"] = (f"low-frequency capacitive tail: {f.size - keep} point(s) below "
                                         f"{f[keep - 1]:.3g} Hz left out")
            f, z = f[:keep], z[:keep]
    zs = float(np.exp(np.mean(np.log(np.abs(z)))))
    if opts["weighting"] == "modulus":
        w = zs / np.abs(z)
    else:
        w = np.ones(f.size)
    return _Prep(label, f, z, w, zs, use_L, tail, tail_alpha, excl_f, excl_z, flags, warns,
                 tau_cut=10 ** 0.25 / (2 * math.pi * float(f.min())))


# ---------------------------------------------------------------------------------------------------------------
# shared matrices
@functools.lru_cache(maxsize=8)
def _derivative_factor(tau_key: bytes, rbf: str, eps: float, order: int) -> np.ndarray:
    return _b.derivative_penalty(np.frombuffer(tau_key, float), rbf, eps, order)


@functools.lru_cache(maxsize=64)
def _penalty(tau_key: bytes, n_tau: int, rbf: str, eps: float, order: int, n_extra: int):
    """(R, R⁻¹) of the penalty on the first ``n_tau`` RBF coefficients of the grid ``tau_key`` plus ``n_extra``
    unpenalised columns.  The leading block of the full grid's triangular factor is the factor of its leading
    columns, so every cut of one grid shares one QR."""
    R_L = _derivative_factor(tau_key, rbf, eps, order)[:n_tau, :n_tau]
    p = n_tau + n_extra
    top = np.zeros((n_tau, p))
    top[:, :n_tau] = R_L
    mu = np.full(p, _MU)
    mu[n_tau:] = _MU_EXTRA
    R = np.linalg.qr(np.vstack([top, np.diag(mu)]), mode="r")
    R = R * np.sign(np.diag(R))[:, None]
    Rinv = np.linalg.solve(R, np.eye(p))  # triangular, cond ~ 1/μ
    return R, Rinv


@functools.lru_cache(maxsize=16)
def _rbf_block(f_key: bytes, tau_key: bytes, rbf: str, eps: float) -> np.ndarray:
    f = np.frombuffer(f_key, float)
    tau = np.frombuffer(tau_key, float)
    a_re, a_im = _b.impedance_matrices(f, tau, rbf, eps)
    A = np.vstack([a_re, a_im])
    A.setflags(write=False)
    return A


def _columns(pr: _Prep, tau, rbf, eps, tail_alpha=None):
    """Unweighted real design matrix (2N × p) in normalised units and the column scales (x_SI = scale·x̃·Z_s)."""
    A_rbf = _rbf_block(pr.f.tobytes(), tau.tobytes(), rbf, eps)
    w = 2 * np.pi * pr.f
    n = pr.f.size
    cols = [A_rbf, np.concatenate([np.ones(n), np.zeros(n)])[:, None]]
    scale = [np.ones(tau.size), np.ones(1)]
    if pr.use_L:
        cols.append(np.concatenate([np.zeros(n), w / w.max()])[:, None])
        scale.append(np.array([1.0 / w.max()]))
    if pr.tail:
        a = pr.tail_alpha if tail_alpha is None else tail_alpha
        zlow = float(np.abs(pr.z[-1])) / pr.zs   # the tail column is scaled to the data's |Z| at f_min
        m = zlow * (w / w.min()) ** (-a)
        ph = a * math.pi / 2
        cols.append(np.concatenate([m * math.cos(ph), -m * math.sin(ph)])[:, None])
        scale.append(np.array([zlow * w.min() ** a]))   # amplitude 1/Q = scale·x̃·Z_s
    return np.hstack(cols), np.concatenate(scale)


def _tau_for(pr: _Prep, tau):
    """The RBF grid a spectrum uses: with a modelled low-frequency tail, nothing slower than ``tau_cut`` (a quarter
    decade beyond f_min, or less where the tail dominates — see :func:`_refine_tail`): a process there is
    indistinguishable from the tail's phasance and would trade area with it."""
    if not pr.tail:
        return tau
    return tau[: max(int(np.searchsorted(tau, pr.tau_cut, side="right")), 8)]


def _weighted(pr: _Prep, A):
    w2 = np.concatenate([pr.w, pr.w])
    b = np.concatenate([pr.z.real, pr.z.imag]) / pr.zs
    return A * w2[:, None], b * w2


# ---------------------------------------------------------------------------------------------------------------
# λ selection (closed form from one SVD per spectrum, all spectra of a shape in one batched SVD)
def _scores(U, s, b, lam, method: str):
    """Score curves (S, Λ) for the stacked standard-form problems (U: S×n×k, s: S×k, b: S×n)."""
    n = b.shape[1]
    beta = np.einsum("snk,sn->sk", U, b)
    perp = np.maximum(np.einsum("sn,sn->s", b, b) - np.einsum("sk,sk->s", beta, beta), 0.0)
    s2 = s[:, None, :] ** 2
    f = s2 / (s2 + lam[None, :, None])                       # filter factors (S, Λ, k)
    rss = np.einsum("slk,sk->sl", (1 - f) ** 2, beta ** 2) + perp[:, None]
    tr = f.sum(axis=2)
    if method in ("gcv", "mgcv"):
        rho = 1.0 if method == "gcv" else (1.3 if n < 50 else 2.0)
        den = np.maximum(n - rho * tr, 1e-9 * n) / n
        return rss / n / den ** 2
    # L-curve: maximum curvature of (log ||r||, log ||y||) against log λ
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.einsum("slk,sk->sl", f ** 2, (beta / np.where(s > 0, s, np.inf)) ** 2)
    x = 0.5 * np.log(np.maximum(rss, 1e-300))
    y = 0.5 * np.log(np.maximum(eta, 1e-300))
    t = np.log(lam)
    dx, dy = np.gradient(x, t, axis=1), np.gradient(y, t, axis=1)
    ddx, ddy = np.gradient(dx, t, axis=1), np.gradient(dy, t, axis=1)
    kappa = (dx * ddy - ddx * dy) / np.maximum((dx ** 2 + dy ** 2) ** 1.5, 1e-300)
    return -kappa  # minimise


def _select_lambda(Aws, bws, Rinv, method, lam_grid):
    """Chosen λ (S,), score curves (S, Λ), effective dof per spectrum at the chosen λ."""
    Abar = Aws @ Rinv
    U, s, _ = np.linalg.svd(Abar, full_matrices=False)
    sc = _scores(U, s, bws, lam_grid, method)
    sc = np.where(np.isfinite(sc), sc, np.inf)
    j = np.argmin(sc, axis=1)
    if method == "lcurve":  # a corner at the very end of the grid is no corner: fall back to GCV there
        edge = (j == 0) | (j == lam_grid.size - 1)
        if edge.any():
            g = _scores(U, s, bws, lam_grid, "gcv")
            j = np.where(edge, np.argmin(np.where(np.isfinite(g), g, np.inf), axis=1), j)
    lam = lam_grid[j]
    s2 = s ** 2
    dof = (s2 / (s2 + lam[:, None])).sum(axis=1)
    return lam, sc, dof


# ---------------------------------------------------------------------------------------------------------------
# non-negative solve
def _nnls(Aw, bw, R, lam):
    """min ||Aw x − bw||² + λ||R x||², x ≥ 0 via NNLS on the column-scaled augmented system."""
    from scipy.optimize import lsq_linear, nnls

    M = np.vstack([Aw, math.sqrt(lam) * R])
    rhs = np.concatenate([bw, np.zeros(R.shape[0])])
    c = np.linalg.norm(M, axis=0)
    c = np.where(c > 0, c, 1.0)
    Ms = M / c
    solver = "nnls"
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", RuntimeWarning)
            xs, _ = nnls(Ms, rhs, maxiter=50 * Ms.shape[1])
    except (RuntimeError, RuntimeWarning):
        res = lsq_linear(Ms, rhs, bounds=(0.0, np.inf), method="bvls", lsmr_tol="auto")
        xs = np.maximum(res.x, 0.0)
        solver = "bvls (nnls did not converge)"
    return xs / c, solver


# ---------------------------------------------------------------------------------------------------------------
# credible band: parametric bootstrap of the non-negative regularised estimator
def _band(Aw, bw, R, lam, x_hat, dof, n_samples, rng):
    """Bootstrap replicates of x (normalised units): data = fit + Gaussian noise of the residuals' size (σ² from
    the weighted residuals with the ridge's effective degrees of freedom), each solved by NNLS at the same λ.
    (Re-using the point estimate's active set does not pay: noise moves ~40 of ~100 coefficients across the
    bound in a typical replicate.)"""
    n = bw.size
    fit = Aw @ x_hat
    r = fit - bw
    sig = math.sqrt(float(r @ r) / max(n - dof, 1.0))
    if not sig > 0:
        return None
    noise = sig * rng.standard_normal((n_samples, n))
    out = np.empty((n_samples, x_hat.size))
    for i in range(n_samples):
        out[i], _ = _nnls(Aw, fit + noise[i], R, lam)
    return out


# ---------------------------------------------------------------------------------------------------------------
# public entry points
def _options(kw) -> dict:
    bad = sorted(set(kw) - set(DEFAULTS))
    if bad:
        raise TypeError(f"unknown DRT option(s): {', '.join(bad)}")
    o = dict(DEFAULTS)
    o.update(kw)
    o["rbf"] = _b._check_rbf(o["rbf"])
    if isinstance(o["lam"], str):
        if o["lam"].strip().lower() != "auto":
            raise AnalysisError(f"DRT lambda {o['lam']!r}: a number (e.g. 1e-3) or 'auto'")
        o["lam"] = "auto"
    else:
        lam = float(o["lam"])
        if not (math.isfinite(lam) and lam > 0):
            raise AnalysisError(f"DRT lambda must be a positive number, got {o['lam']!r}")
        o["lam"] = lam
    o["lam_method"] = str(o["lam_method"]).lower().replace("-", "").replace("_", "")
    if o["lam_method"] not in LAMBDA_METHODS:
        raise AnalysisError(f"DRT lambda method {o['lam_method']!r}: use one of {', '.join(LAMBDA_METHODS)}")
    for key, allowed in (("tail", TAIL_OPTIONS), ("lf_loop", LF_LOOP_OPTIONS), ("weighting", WEIGHTINGS)):
        if o[key] not in allowed:
            raise AnalysisError(f"DRT {key} {o[key]!r}: use one of {', '.join(allowed)}")
    if o["inductance"] not in ("auto", True, False):
        raise AnalysisError(f"DRT inductance {o['inductance']!r}: use 'auto', True or False")
    if not 2 <= float(o["points_per_decade"]) <= 40:
        raise AnalysisError("DRT points_per_decade must lie between 2 and 40")
    if not 0 <= float(o["extend_decades"]) <= 4:
        raise AnalysisError("DRT extend_decades must lie between 0 and 4")
    if o["band"] and int(o["n_samples"]) < 20:
        raise AnalysisError("DRT n_samples must be ≥ 20 for a credible band")
    return o


def drt(freq_Hz, Z, *, label: str = "spectrum", cell=None, **options) -> DRTResult:
    """The DRT of one impedance spectrum (``Z`` complex, mathematical sign; any frequency order).

    Options (defaults in :data:`DEFAULTS`): ``lam`` ("auto" or a number), ``lam_method`` ("gcv", "mgcv",
    "lcurve"), ``rbf`` ("gaussian", "inverse_quadratic"), ``fwhm`` (basis width in grid spacings),
    ``points_per_decade``, ``extend_decades`` (τ grid beyond the measured window), ``order`` (1 or 2: derivative
    penalised), ``weighting`` ("modulus", "unit"), ``inductance`` ("auto", True, False), ``tail`` ("auto": model a
    detected low-frequency tail by a CPE; "cpe": always; "none"; "exclude": drop the tail points), ``lf_loop``
    ("exclude", "keep"), ``band`` (credible band by HMC), ``n_samples``, ``seed``, ``peak_prominence`` and
    ``peak_min_fraction`` (peak detection thresholds relative to γ_max and R_pol).  ``cell``: a
    :class:`sselab.cell.CellSpec` (or L/A in 1/m) for the bulk/grain-boundary/electrode assignment.
    """
    return drt_many([(freq_Hz, Z)], labels=[label], cell=cell, **options)[0]


def drt_many(spectra, *, labels=None, cell=None, progress=None, **options) -> list[DRTResult]:
    """The DRT of many spectra ``[(f, Z), ...]`` in one call: spectra sharing a frequency vector share the basis
    matrices; the SVDs for λ are batched; every spectrum gets its own λ.  ``progress(done, total)`` is called as
    spectra finish."""
    o = _options(options)
    if cell is not None and hasattr(cell, "thickness_m") and (cell.thickness_m is None or cell.area_m2 is None):
        cell = None          # no geometry: assign from the raw capacitance (L/A = 1 cm⁻¹), as derive.assign does
    spectra = list(spectra)
    if not spectra:
        raise AnalysisError("DRT: no spectra given")
    labels = list(labels) if labels is not None else [f"spectrum {i + 1}" for i in range(len(spectra))]
    preps = [_prepare(f, z, lab, o) for (f, z), lab in zip(spectra, labels)]
    # one τ grid for all spectra (the union of their windows): a series then shares grid, penalty and output map
    fmin = min(float(p.f.min()) for p in preps)
    fmax = max(float(p.f.max()) for p in preps)
    tau = _b.tau_grid([fmin, fmax], o["points_per_decade"], o["extend_decades"])
    dlog = math.log(tau[1] / tau[0])
    eps = _b.shape_factor(o["rbf"], dlog, o["fwhm"])
    tau_out = np.logspace(math.log10(tau[0]), math.log10(tau[-1]), 3 * (tau.size - 1) + 1)
    B = _b.gamma_matrix(tau_out, tau, o["rbf"], eps)
    area = float(_b.rbf_integral(o["rbf"], eps))
    lam_grid = lambda_grid()
    rng = np.random.default_rng(o["seed"])

    # tail exponent: refine the detected α by minimising the regularised objective (provisional λ by the criterion)
    for pr in preps:
        if pr.tail:
            pr.tail_alpha = _refine_tail(pr, tau, eps, o)

    # group by (frequency vector, column layout) -> batched λ selection
    groups: dict = {}
    for i, pr in enumerate(preps):
        groups.setdefault((pr.f.tobytes(), pr.use_L, pr.tail, _tau_for(pr, tau).size), []).append(i)
    results: list = [None] * len(preps)
    done = 0
    all_states: list = []
    for (fkey, use_L, tail, m), idx in groups.items():
        n_extra = 1 + int(use_L) + int(tail)
        tau_m = tau[:m]
        R, Rinv = _penalty(tau.tobytes(), m, o["rbf"], eps, o["order"], n_extra)
        Aws, bws, scales = [], [], []
        for i in idx:
            A, sc = _columns(preps[i], tau_m, o["rbf"], eps)
            Aw, bw = _weighted(preps[i], A)
            Aws.append(Aw)
            bws.append(bw)
            scales.append(sc)
        Aws, bws = np.stack(Aws), np.stack(bws)
        lam_auto, score, dof = _select_lambda(Aws, bws, Rinv, o["lam_method"], lam_grid)
        states = []
        for k, i in enumerate(idx):
            pr = preps[i]
            lam = lam_auto[k] if o["lam"] == "auto" else o["lam"]
            if o["lam"] != "auto":
                s = np.linalg.svd(Aws[k] @ Rinv, compute_uv=False)
                dof_k = float(np.sum(s ** 2 / (s ** 2 + lam)))
            else:
                dof_k = float(dof[k])
            states.append(_first_solve(pr, Aws[k], bws[k], scales[k], R, lam, dof_k, tau_m, tau_out, B[:, :m],
                                       area, eps, o))
            states[-1]["Rinv"] = Rinv
        # the first peak fit of every spectrum in one batched Levenberg–Marquardt run
        for k, (i, st) in enumerate(zip(idx, states)):
            st.update(index=i, score=score[k])
            all_states.append(st)
    # the first peak fit of every spectrum (all groups) in batched Levenberg–Marquardt runs
    firsts = _batched_first(all_states, o)
    for st, first in zip(all_states, firsts):
        results[st["index"]] = _complete(st, first, st["score"], lam_grid, rng, cell)
        done += 1
        if progress is not None:
            progress(done, len(preps))
    return results


def _refine_tail(pr: _Prep, tau_full, eps, o) -> float:
    """Cut the RBF grid where the tail dominates (``pr.tau_cut``) and return the tail exponent to start from.

    Where the tail dominates, γ and the phasance trade area (a CPE is itself a power-law DRT), so γ is resolved
    only up to half a decade beyond the lowest frequency at which the tail (from a provisional solve at λ = 1e-3
    with α from the low-frequency slope, clipped to 0.5–1) is still below 3× the rest of the impedance.  α itself
    is then fitted with the peaks (:func:`sselab.eis.drt.peaks.refine_peaks`), after which λ and γ are solved
    again with it.  (A search of α on the regularised objective was tried: it costs 4–8 NNLS solves per spectrum
    and gave the same results after the peak fit.)"""
    n_extra = 1 + int(pr.use_L) + 1
    a0 = float(np.clip(pr.tail_alpha or 0.9, 0.5, 1.0))
    tau = _tau_for(pr, tau_full)
    R, _ = _penalty(tau_full.tobytes(), tau.size, o["rbf"], eps, o["order"], n_extra)
    A, _ = _columns(pr, tau, o["rbf"], eps, a0)
    Aw, bw = _weighted(pr, A)
    x, _ = _nnls(Aw, bw, R, 1e-3 if o["lam"] == "auto" else o["lam"])
    z_tail = (A[:, -1] * x[-1]) * pr.zs
    zt = z_tail[:pr.f.size] + 1j * z_tail[pr.f.size:]
    ratio = np.abs(zt) / np.maximum(np.abs(pr.z - zt), 1e-300)
    below = np.flatnonzero(ratio <= 3.0)
    if below.size:
        pr.tau_cut = min(pr.tau_cut, 10 ** 0.5 / (2 * math.pi * float(pr.f[below.max()])))
    return a0


def _lag1(resid) -> float:
    """Mean lag-1 autocorrelation of the real and imaginary residuals along frequency (≈ 0 for noise, → 1 for a
    systematic misfit)."""
    out = []
    for r in (resid.real, resid.imag):
        r = r - r.mean()
        den = float(r @ r)
        if r.size > 3 and den > 0:
            out.append(float(r[1:] @ r[:-1]) / den)
    return float(np.mean(out)) if out else 0.0


def _solution(pr, x, scale, tau, B, area, eps, o) -> dict:
    """γ, R∞, L, tail and the reconstructed spectrum from the NNLS solution (normalised units → SI)."""
    M = tau.size
    coef = x[:M] * pr.zs                                  # Ω
    k = M
    d = {"coef": coef, "gamma": B @ coef, "R_inf": float(x[k] * pr.zs), "L": 0.0, "tail_Q": None, "tail_alpha": None}
    k += 1
    if pr.use_L:
        d["L"] = float(x[k] * scale[k] * pr.zs)
        k += 1
    if pr.tail:
        amp = float(x[k] * scale[k] * pr.zs)               # 1/Q
        if amp > 0:
            d["tail_Q"], d["tail_alpha"] = 1.0 / amp, float(pr.tail_alpha)
    a_re, a_im = _b.impedance_matrices(pr.f, tau, o["rbf"], eps)
    w = 2 * np.pi * pr.f
    zfit = (a_re + 1j * a_im) @ coef + d["R_inf"] + 1j * w * d["L"]
    if d["tail_Q"]:
        zfit = zfit + 1.0 / (d["tail_Q"] * (1j * w) ** d["tail_alpha"])
    d["zfit"] = zfit
    d["resid"] = (pr.z - zfit) / np.abs(pr.z)
    d["rms"] = float(np.sqrt(np.mean(d["resid"].real ** 2 + d["resid"].imag ** 2) / 2))
    d["R_pol"] = float(area * np.sum(coef))
    return d


def _first_solve(pr, Aw, bw, scale, R, lam, dof, tau, tau_out, B, area, eps, o) -> dict:
    """NNLS at λ, the DRT quantities and its raw peaks (the state the peak refinement starts from)."""
    from .peaks import find_peaks

    x, solver = _nnls(Aw, bw, R, lam)
    sol = _solution(pr, x, scale, tau, B, area, eps, o)
    raw = find_peaks(tau_out, sol["gamma"], sol["R_pol"], prominence=o["peak_prominence"],
                     min_fraction=o["peak_min_fraction"])
    return dict(pr=pr, Aw=Aw, bw=bw, scale=scale, R=R, lam=lam, dof=dof, tau=tau, tau_out=tau_out, B=B, area=area,
                eps=eps, o=o, x=x, solver=solver, sol=sol, raw=raw)


def _job(st) -> dict:
    pr, sol, tau = st["pr"], st["sol"], st["tau"]
    return dict(freq_Hz=pr.f, Z=pr.z, weights=pr.w, zs=pr.zs, raw=st["raw"], R_inf=sol["R_inf"], L=sol["L"],
                tail_Q=sol["tail_Q"], tail_alpha=sol["tail_alpha"], bounds=(math.log(tau[0]), math.log(tau[-1])))


def _batched_first(states, o) -> list:
    from .peaks import refine_first

    todo = [k for k, st in enumerate(states) if o["refine"] and st["raw"]["R_area"].size]
    out: list = [None] * len(states)
    for k, res in zip(todo, refine_first([_job(states[k]) for k in todo])):
        out[k] = res
    return out


def _complete(st, first, score, lam_grid, rng, cell):
    """Peak refinement (re-solving γ once if it moved the tail exponent), band, flags → DRTResult."""
    from .peaks import refine_peaks

    pr, o, sol, raw = st["pr"], st["o"], st["sol"], st["raw"]
    Aw, bw, x, solver, R, lam = st["Aw"], st["bw"], st["x"], st["solver"], st["R"], st["lam"]
    tau, tau_out, B, area, eps = st["tau"], st["tau_out"], st["B"], st["area"], st["eps"]
    refined = None
    reason = None
    if o["refine"] and raw["R_area"].size:
        jb = _job(st)
        n = 2 * pr.f.size           # the DRT's noise estimate: rms corrected for its effective degrees of freedom
        sigma_drt = sol["rms"] * math.sqrt(n / max(n - st["dof"], 1.0))
        ok, ref = refine_peaks(jb["freq_Hz"], jb["Z"], jb["weights"], jb["zs"], raw, jb["R_inf"], jb["L"],
                               jb["tail_Q"], jb["tail_alpha"], sigma_drt, jb["bounds"],
                               min_fraction=o["peak_min_fraction"], first=first)
        if ok:
            refined = ref
            a_new = ref.get("tail_alpha")
            if a_new is not None and abs(a_new - pr.tail_alpha) > 0.001:
                # the nonlinear fit determines the tail exponent better than the search: solve γ again with it
                pr.tail_alpha = float(a_new)
                A, scale = _columns(pr, tau, o["rbf"], eps)
                Aw, bw = _weighted(pr, A)
                if o["lam"] == "auto":      # λ again too: a mismatched tail made the criterion ask for little
                    lam_a, score_a, dof_a = _select_lambda(Aw[None], bw[None], st["Rinv"], o["lam_method"], lam_grid)
                    lam, score, st["dof"] = float(lam_a[0]), score_a[0], float(dof_a[0])
                x, solver = _nnls(Aw, bw, R, lam)
                sol = _solution(pr, x, scale, tau, B, area, eps, o)
        else:
            reason = ref["reason"]
    xs = _band(Aw, bw, R, lam, x, st["dof"], int(o["n_samples"]), rng) if o["band"] else None
    return _finish(pr, sol, tau, tau_out, B, eps, o, xs, lam, lam_grid, score, solver, cell, refined, reason)


def _finish(pr, sol, tau, tau_out, B, eps, o, xs, lam, lam_grid, score, solver, cell, refined, reason):
    from .peaks import build_peaks, find_peaks

    M = tau.size
    coef, gamma, R_inf, L = sol["coef"], sol["gamma"], sol["R_inf"], sol["L"]
    tail_Q, tail_alpha, zfit, resid, rms, R_pol = (sol[k] for k in ("tail_Q", "tail_alpha", "zfit", "resid", "rms",
                                                                    "R_pol"))
    flags = dict(pr.flags)
    warns = list(pr.warnings)
    if tail_Q:
        flags["lf-tail-modelled"] = (f"low-frequency capacitive tail modelled by a CPE (Q = {tail_Q:.3g} "
                                     f"F s^(α-1), α = {tail_alpha:.2f}), not by DRT peaks")
    band_lo = band_hi = None
    gam_samples = None
    if xs is not None:
        gam_samples = (xs[:, :M] * pr.zs) @ B.T
        band_lo, band_hi = np.percentile(gam_samples, [2.5, 97.5], axis=0)
    raw = None
    if refined is None:
        raw = find_peaks(tau_out, gamma, R_pol, prominence=o["peak_prominence"],
                         min_fraction=o["peak_min_fraction"], samples=gam_samples)
    if reason is not None:
        flags["peak-refinement-rejected"] = (f"peak refinement rejected ({reason}): peak R and τ are the areas and "
                                             "positions in the regularised DRT")
    if refined is not None and refined["rms"] > 2 * rms + 2e-3:
        flags["peak-model-misfit"] = (f"the Cole–Cole peaks describe the spectrum to {100 * refined['rms']:.2g} % "
                                      f"rms against {100 * rms:.2g} % for the DRT: a process may be missing or "
                                      "strongly non-ideal (compare with γ)")
    peaks = build_peaks(tau_out, gamma, raw, refined, pr.f, cell, gam_samples)
    gmax = float(gamma.max()) if gamma.size else 0.0
    if gmax > 0 and (gamma[0] > 0.2 * gmax or gamma[-1] > 0.2 * gmax):
        side = "short" if gamma[0] > 0.2 * gmax else "long"
        flags["edge-rise"] = (f"γ does not decay at the {side}-τ end of the grid: a process lies outside the measured "
                              "window")
    out = [p for p in peaks if not p.in_window]
    if out:
        flags["peak-outside-window"] = (f"{len(out)} peak(s) with the apex outside the measured band "
                                        f"({', '.join(f'{p.f_peak_Hz:.3g} Hz' for p in out)}): τ and R extrapolated")
    # systematic misfit of both the DRT and (when refined) the peak model: an ideal RC is a delta the RBF basis
    # can only approximate, but its Cole–Cole peak (α → 1) fits it exactly, so both must miss to call it poor
    misses = []
    for r_, what in ((resid, "DRT"), (refined["resid"] if refined is not None else None, "peaks")):
        if r_ is not None:
            rr = float(np.sqrt(np.mean(r_.real ** 2 + r_.imag ** 2) / 2))
            misses.append((rr, _lag1(r_), what))
    if all((rr > 0.01 and r1 > 0.5) or rr > 0.05 for rr, r1, _ in misses):   # 1 %: the Lin-KK threshold
        rr, r1, _ = min(misses)
        flags["poor-fit"] = (f"the DRT misses the data systematically ({100 * rr:.2g} % rms, neighbouring residuals "
                             f"correlated {r1:.2f}): not a linear, stationary (Kramers–Kronig) spectrum, or an "
                             "artefact outside the model — check Lin-KK")
    if solver != "nnls":
        flags["solver-fallback"] = f"NNLS did not converge; the same problem was solved by BVLS ({solver})"
    if lam_grid.size and o["lam"] == "auto" and lam == lam_grid[-1]:
        flags["lambda-at-bound"] = (f"λ by {o['lam_method']} at the top of its search range ({lam:.3g}): γ may be "
                                    "over-smoothed")
    opts = {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in o.items()}
    return DRTResult(label=pr.label, freq_Hz=pr.f, Z=pr.z, Z_fit=zfit, residuals=resid, tau_s=tau_out,
                     gamma_ohm=gamma, gamma_lo_ohm=band_lo, gamma_hi_ohm=band_hi, R_inf_ohm=R_inf, L_H=L,
                     tail_Q=tail_Q, tail_alpha=tail_alpha, R_pol_ohm=R_pol, lam=float(lam),
                     lam_method=o["lam_method"] if o["lam"] == "auto" else "user", lam_grid=lam_grid,
                     lam_score=np.asarray(score), rms_residual=rms, peaks=tuple(peaks), basis=o["rbf"], eps=eps,
                     tau_grid_s=tau, coefficients_ohm=coef, excluded_freq_Hz=pr.excl_f, excluded_Z=pr.excl_z,
                     solver=solver, flags=flags, warnings=tuple(warns), options=opts)
