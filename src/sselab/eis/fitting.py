"""Complex non-linear least squares fitting of equivalent circuits, one spectrum or a whole series at once.

How it works (and why; see ``docs`` of issue 3 and ``lessons-from-other-tools.md``):

* **Parameter scaling.**  The optimiser works on internal variables ``u``: ``p = exp(u)`` for every positive
  parameter (R, C, Q, L, σ, τ) and ``α = lo + (hi − lo)·sigmoid(u)`` for exponents (default bounds 0–1).  User bounds
  on positive parameters become a logistic in log space.  Q ≈ 1e-10 next to R ≈ 1e4 is then no problem.
* **Analytic Jacobian** of every element (:mod:`sselab.eis.circuit`), chained through the transforms.
* **Levenberg–Marquardt run on all problems at once**: residual vectors and Jacobians of every (spectrum, start)
  pair are stacked and the damped normal equations solved with one batched ``numpy.linalg.solve`` per iteration.
  Each problem has its own damping and stops on its own; the iteration count is capped (never hangs).
* **Data-driven starting values.**  Every top-level series component of the circuit is a unit-size copy of itself
  placed at a characteristic frequency; an arc ``p(R,CPE)`` at frequency f_c is ``R/(1+(jω/ω_c)^α)``.  For a grid of
  characteristic frequencies (beyond both ends of the measured band) the amplitudes enter linearly, so every grid
  combination is solved as a non-negative linear least-squares problem against the data (vectorised).  The best few
  combinations are the starts of the non-linear fit (multi-start); the best χ² wins.
* **Circuits without a time-scale component** (``R0-CPE1``, ``R0-W1``, ``L0-R0-C1``, a single ``R``): there is no
  grid, the one amplitude fit is the start (exact for noise-free data of linear-in-amplitude circuits).
* **Low-frequency inductive loops** (Z″ > 0 at the lowest frequencies, Li|SSE|Li cells): detected by
  :func:`sselab.eis.artefacts.lf_inductive_loop`, warned, flagged (``flags["low-frequency inductive loop"]``) and,
  with ``lf_loop="auto"`` unless the circuit has an R–L branch that can model them, left out of the fit.
* **Identical arcs are ordered by apex frequency**: in ``R0-p(R1,CPE1)-p(R2,CPE2)`` the first-written arc is the
  high-frequency one (bulk), the next the lower one (grain boundary), whatever the optimiser found.
* **Series**: :func:`fit_batch` fits everything in one vectorised run, then (``warm_start``) restarts every spectrum
  from its neighbours' solutions and walks the series choosing, among solutions statistically as good as the best
  (Δχ² ≤ 1 in units of the reduced χ²), the one closest to the previous spectrum's parameters (prevents bulk /
  grain-boundary swaps at the hot end, where two assignments fit equally well).

Weighting: ``"modulus"`` (σ = |Z| for both parts; the default), ``"proportional"`` (σ_re = |Z′|, σ_im = |Z″|,
floored at 0.1 % of |Z|), ``"unit"`` (σ = 1 Ω), or an array of σ per point.  χ² is the weighted sum of squares
Σ(ΔZ′/σ_re)² + (ΔZ″/σ_im)²; standard errors come from the Jacobian, scaled by the reduced χ² (the weights are
relative, not measured noise).
"""
from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import FitError
from ..results import Result
from .artefacts import LF_LOOP, LF_LOOP_OPTIONS, circuit_has_loop_element, lf_inductive_loop, loop_summary
from .circuit import Circuit, Element, Parallel

__all__ = ["FitResult", "fit", "fit_batch", "initial_guesses"]

_WEIGHTINGS = ("modulus", "proportional", "unit")
_U_LIM = 230.0  # |log p| cap (1e±100)
_SIG_LIM = 40.0
_KEEP = 2  # distinct starts per spectrum that continue after the scouting iterations
_SCOUT_ITER = 6
_GUESS_BLOCK = 4_000_000  # complex (spectrum, combination, point, component) entries per block of initial guesses


# ---------------------------------------------------------------------------------------------------------------
# result
@dataclass(frozen=True, eq=False)
class FitResult(Result):
    """One fitted spectrum.  Values in SI (Ω, F, H, s); ``residuals`` are (Z_data − Z_fit)/|Z_data| (complex)."""

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

    @property
    def has_lf_loop(self) -> bool:
        """True when the spectrum ends in a low-frequency inductive loop (Z'' > 0 at low f)."""
        return bool(np.size(self.lf_loop_freq_Hz))

    @property
    def circuit_obj(self) -> Circuit:
        return Circuit(self.circuit)

    def predict(self, freq_Hz) -> np.ndarray:
        """Model impedance at any frequencies."""
        return Circuit(self.circuit).impedance(freq_Hz, self.params)

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
        var = float(np.sum(sub))
        err = math.sqrt(var) if var >= 0 and math.isfinite(var) else math.inf
        return value, err

    def to_dict(self) -> dict:
        from ..results import jsonable

        return jsonable({
            "circuit": self.circuit, "params": self.params, "stderr": self.stderr,
            "param_names": self.param_names, "correlation": self.correlation, "chi2": self.chi2,
            "chi2_reduced": self.chi2_reduced, "weighting": self.weighting, "success": self.success,
            "n_iter": self.n_iter, "warnings": list(self.warnings), "flags": self.flags, "fixed": list(self.fixed),
            "message": self.message,
            "lf_loop": {"detected": self.has_lf_loop, "excluded": self.lf_loop_excluded,
                        "freq_Hz": self.lf_loop_freq_Hz},
        })


# ---------------------------------------------------------------------------------------------------------------
# transforms between raw parameters and optimiser variables
class _Transform:
    """Per-parameter map u -> p.  Modes: 0 exp(u); 1 logistic in log-space; 2 logistic linear; 3 lo + exp(u)."""

    def __init__(self, circuit: Circuit, bounds: Mapping | None):
        n = circuit.n_params
        self.mode = np.zeros(n, int)
        self.lo = np.zeros(n)
        self.hi = np.ones(n)
        bounds = dict(bounds or {})
        unknown = [k for k in bounds if k not in circuit.param_names]
        if unknown:
            raise FitError(f"bounds: circuit {circuit.text} has no parameter {', '.join(unknown)}")
        for k, name in enumerate(circuit.param_names):
            frac = bool(circuit.is_fraction[k])
            lo, hi = bounds.get(name, (0.0, 1.0) if frac else (0.0, math.inf))
            lo = -math.inf if lo is None else float(lo)
            hi = math.inf if hi is None else float(hi)
            if not lo < hi:
                raise FitError(f"bounds for {name}: lower {lo} must be below upper {hi}")
            if frac:
                if not (math.isfinite(lo) and math.isfinite(hi)):
                    raise FitError(f"bounds for {name}: exponent bounds must be finite")
                self.mode[k], self.lo[k], self.hi[k] = 2, lo, hi
            elif math.isfinite(hi):
                lo = max(lo, hi * 1e-15)
                self.mode[k], self.lo[k], self.hi[k] = 1, math.log(lo), math.log(hi)
            elif lo > 0:
                self.mode[k], self.lo[k], self.hi[k] = 3, lo, math.inf
            else:
                self.mode[k] = 0

    def to_p(self, u: np.ndarray, cols: np.ndarray):
        """Raw parameters and dp/du for variables ``u`` (B, F) of parameter columns ``cols``."""
        mode, lo, hi = self.mode[cols], self.lo[cols], self.hi[cols]
        p = np.empty_like(u)
        d = np.empty_like(u)
        m0 = mode == 0
        if m0.any():
            e = np.exp(np.clip(u[:, m0], -_U_LIM, _U_LIM))
            p[:, m0], d[:, m0] = e, e
        m3 = mode == 3
        if m3.any():
            e = np.exp(np.clip(u[:, m3], -_U_LIM, _U_LIM))
            p[:, m3], d[:, m3] = lo[m3] + e, e
        m12 = (mode == 1) | (mode == 2)
        if m12.any():
            s = 1.0 / (1.0 + np.exp(-np.clip(u[:, m12], -_SIG_LIM, _SIG_LIM)))
            span = hi[m12] - lo[m12]
            v = lo[m12] + span * s
            dv = span * s * (1 - s)
            is_log = mode[m12] == 1
            pv = np.where(is_log, np.exp(v), v)
            p[:, m12] = pv
            d[:, m12] = np.where(is_log, pv * dv, dv)
        return p, d

    def to_u(self, p: np.ndarray, cols: np.ndarray) -> np.ndarray:
        mode, lo, hi = self.mode[cols], self.lo[cols], self.hi[cols]
        p = np.asarray(p, float)
        u = np.empty_like(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            m0 = mode == 0
            u[:, m0] = np.log(np.maximum(p[:, m0], 1e-300))
            m3 = mode == 3
            u[:, m3] = np.log(np.maximum(p[:, m3] - lo[m3], 1e-300))
            m12 = (mode == 1) | (mode == 2)
            v = np.where(mode[m12] == 1, np.log(np.maximum(p[:, m12], 1e-300)), p[:, m12])
            span = hi[m12] - lo[m12]
            s = np.clip((v - lo[m12]) / span, 1e-9, 1 - 1e-9)
            u[:, m12] = np.log(s / (1 - s))
        return np.clip(u, -_U_LIM, _U_LIM)


# ---------------------------------------------------------------------------------------------------------------
# batched Levenberg–Marquardt
@dataclass
class _Problem:
    circuit: Circuit
    omega: np.ndarray  # (B, N)
    z: np.ndarray  # (B, N) complex
    wr: np.ndarray  # (B, N) weights for real part (0 for padding)
    wi: np.ndarray
    P: np.ndarray  # (B, P) raw parameters (fixed ones kept)
    free: np.ndarray  # indices of free parameters
    tr: _Transform
    n_data: np.ndarray = field(default=None)  # (B,) number of real data values


def _residuals(pb: _Problem, rows: np.ndarray, u: np.ndarray, jac: bool = True):
    P = pb.P[rows].copy()
    p, dpdu = pb.tr.to_p(u, pb.free)
    P[:, pb.free] = p
    zm, Jc = pb.circuit.impedance_and_jacobian(pb.omega[rows], P)
    dz = zm - pb.z[rows]
    wr, wi = pb.wr[rows], pb.wi[rows]
    B, N = dz.shape
    r = np.empty((B, 2 * N))
    np.multiply(dz.real, wr, out=r[:, :N])
    np.multiply(dz.imag, wi, out=r[:, N:])
    Jf = Jc[:, :, pb.free] if pb.free.size != Jc.shape[2] else Jc
    J = np.empty((B, 2 * N, Jf.shape[2]))
    np.multiply(Jf.real, (wr[:, :, None] * dpdu[:, None, :]), out=J[:, :N])
    np.multiply(Jf.imag, (wi[:, :, None] * dpdu[:, None, :]), out=J[:, N:])
    with np.errstate(invalid="ignore", over="ignore"):
        cost = np.einsum("bn,bn->b", r, r)
    bad = ~np.isfinite(cost) | ~np.isfinite(J).all(axis=(1, 2))
    cost[bad] = np.inf
    return cost, r, J


def _lm(pb: _Problem, u0: np.ndarray, max_iter: int = 200, ftol: float = 1e-9, xtol: float = 1e-7):
    """Levenberg–Marquardt on all rows at once.  Returns u, cost, iterations, converged flags.

    Working arrays hold only the still-active problems (compacted whenever some finish)."""
    B, F = u0.shape
    u_out = u0.copy()
    cost_out = np.full(B, np.inf)
    it_out = np.zeros(B, int)
    conv_out = np.zeros(B, bool)
    ids = np.arange(B)
    cost, r, J = _residuals(pb, ids, u0)
    cost_out[:] = cost
    if F == 0:
        return u_out, cost_out, it_out, np.isfinite(cost_out)
    keep = np.isfinite(cost)
    ids, u, cost, r, J = ids[keep], u0[keep].copy(), cost[keep], r[keep], J[keep]
    dof = np.maximum(2 * (pb.wr[ids] > 0).sum(axis=1) - F, 1)
    lam = np.full(ids.size, 1e-2)
    ref_cost = cost.copy()
    n_it = np.zeros(ids.size, int)
    eye = np.eye(F)
    for it_ in range(max_iter):
        if ids.size == 0:
            break
        Jt = J.transpose(0, 2, 1)
        A = Jt @ J
        g = (Jt @ r[:, :, None])[:, :, 0]
        dA = np.einsum("bpp->bp", A)
        floor = 1e-12 * dA.max(axis=1, keepdims=True) + 1e-300
        Ad = A + (lam[:, None] * (dA + floor))[:, :, None] * eye
        ok = np.isfinite(Ad).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
        delta = np.zeros((ids.size, F))
        if ok.all():
            try:
                delta = -np.linalg.solve(Ad, g[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                for j in range(ids.size):
                    delta[j] = -np.linalg.lstsq(Ad[j], g[j], rcond=None)[0]
        elif ok.any():
            delta[ok] = -np.linalg.solve(Ad[ok], g[ok][:, :, None])[:, :, 0]
        # cap each component (not the whole vector: a direction without curvature must not freeze the others)
        np.clip(delta, -5.0, 5.0, out=delta)
        u_new = np.clip(u + delta, -_U_LIM, _U_LIM)
        c_new, r_new, J_new = _residuals(pb, ids, u_new)
        better = c_new < cost
        rel = np.where(better, (cost - c_new) / np.maximum(cost, 1e-300), 0.0)
        u[better], r[better], J[better], cost[better] = u_new[better], r_new[better], J_new[better], c_new[better]
        lam = np.where(better, np.maximum(lam / 5.0, 1e-10), lam * 4.0)
        n_it += 1
        done = better & ((rel < ftol) | (np.abs(delta).max(axis=1) < xtol) | (cost == 0))
        conv = done | (~better & (lam > 1e10))
        fail = ~ok | ~np.isfinite(cost)
        if (it_ + 1) % 5 == 0:
            # stalled: χ² improved by less than 0.05 (in units of the reduced χ², i.e. of the noise) over 5
            # iterations: a flat valley of an unresolved parameter; more iterations would not change the fit
            # (well-determined parameters converge quadratically long before; this ends crawls in flat valleys)
            stall = (ref_cost - cost) <= 5e-2 * cost / dof
            conv |= stall & ~fail
            ref_cost = cost.copy()
        fin = conv | fail
        if fin.any():
            fi = ids[fin]
            u_out[fi], cost_out[fi], it_out[fi], conv_out[fi] = u[fin], cost[fin], n_it[fin], conv[fin] & ~fail[fin]
            kp = ~fin
            ids, u, cost, r, J, lam, ref_cost, n_it, dof = (ids[kp], u[kp], cost[kp], r[kp], J[kp], lam[kp],
                                                            ref_cost[kp], n_it[kp], dof[kp])
    if ids.size:
        u_out[ids], cost_out[ids], it_out[ids] = u, cost, n_it
    return u_out, cost_out, it_out, conv_out


# ---------------------------------------------------------------------------------------------------------------
# starting values
def _unit_params(node, fc: float, alpha: float, out: dict) -> None:
    """Parameters making ``node`` a unit-size (≈1 Ω) sub-circuit with characteristic frequency ``fc``."""
    wc = 2 * np.pi * fc
    if isinstance(node, Element):
        k, n = node.kind, node.name
        if k == "R":
            out[n] = 1.0
        elif k == "C":
            out[n] = 1.0 / wc
        elif k == "L":
            out[n] = 1.0 / wc
        elif k == "CPE":
            out[n + "_Q"] = 1.0 / wc ** alpha
            out[n + "_alpha"] = alpha
        elif k == "W":
            out[n] = math.sqrt(wc / 2.0)
        else:  # Ws, Wo, G
            out[n + "_R"] = 1.0
            out[n + "_tau"] = 1.0 / wc
        return
    for p in node.parts:
        _unit_params(p, fc, alpha, out)


def _scale_params(circuit: Circuit, params: dict, names: Sequence[str], k: float) -> None:
    """Multiply the impedance of the sub-circuit holding ``names`` by ``k`` (in place)."""
    for n in names:
        kind, suf = circuit.param_kinds[circuit.param_names.index(n)]
        if suf in ("alpha", "tau"):
            continue
        if kind in ("C",) or (kind == "CPE" and suf == "Q"):
            params[n] = params[n] / k
        else:
            params[n] = params[n] * k


def _has_timescale(node) -> bool:
    if isinstance(node, Element):
        return node.kind in ("Ws", "Wo", "G")
    return True  # any parallel / nested combination


def _spike_alpha(f: np.ndarray, z: np.ndarray) -> float:
    """Exponent of a low-frequency capacitive spike from the slope of log(−Z″) vs log f (0.85 if unclear)."""
    o = np.argsort(f)
    f, z = f[o], z[o]
    n = min(4, len(f))
    y = -z.imag[:n]
    if n < 2 or np.any(y <= 0):
        return 0.85
    slope = np.polyfit(np.log(f[:n]), np.log(y), 1)[0]
    return float(np.clip(-slope, 0.5, 1.0)) if np.isfinite(slope) else 0.85


def initial_guesses(circuit, freq_Hz, Z, n_starts: int = 4, grid_per_decade: float = 3.0) -> np.ndarray:
    """Candidate starting parameter vectors (rows in ``circuit.param_names`` order), best first.

    Each top-level series component is a unit-size copy placed at a characteristic frequency; amplitudes are solved
    by (vectorised) non-negative least squares against the modulus-weighted data for every grid combination.
    """
    circuit = Circuit(circuit) if not isinstance(circuit, Circuit) else circuit
    return _guesses_many(circuit, np.asarray(freq_Hz, float), np.asarray(Z, complex)[None], n_starts,
                         grid_per_decade)[0]


def _guesses_many(circuit: Circuit, f: np.ndarray, Zs: np.ndarray, n_starts: int = 4,
                  grid_per_decade: float = 3.0, ordered: bool = True) -> np.ndarray:
    """:func:`initial_guesses` for S spectra measured at the same frequencies: returns (S, n_starts, P)."""
    S, N = Zs.shape
    fmin, fmax = float(f.min()), float(f.max())
    comps = circuit.top_level()
    m = len(comps)
    timed = [i for i, c in enumerate(comps) if _has_timescale(c)]
    n_t = len(timed)
    lo, hi = math.log10(fmin) - 1.0, math.log10(fmax) + 1.5
    per_dec = grid_per_decade if n_t <= 2 else (2.0 if n_t == 3 else 1.0)
    grid = 10 ** np.arange(hi, lo - 1e-9, -1.0 / per_dec)  # descending
    # identical timed components written in a row are ordered high -> low frequency
    sig = [type(comps[i]).__name__ + "".join(sorted(e.kind for e in _elements(comps[i]))) for i in timed]
    # (no timed component, e.g. R0-CPE1 or R0-W1: one empty combination; the amplitudes alone are the guess)
    combos = (np.array(list(itertools.product(range(len(grid)), repeat=n_t)), int).reshape(-1, n_t) if n_t
              else np.zeros((1, 0), int))
    for a in range(n_t - 1):
        if sig[a] == sig[a + 1]:  # (not ordered: a pinned parameter makes identical-looking arcs different)
            combos = combos[combos[:, a] < combos[:, a + 1]] if ordered else combos[combos[:, a] != combos[:, a + 1]]
    if len(combos) > 3000:
        combos = combos[np.random.default_rng(0).choice(len(combos), 3000, replace=False)]
    K = max(len(combos), 1)
    if len(combos) == 0:
        combos = np.zeros((1, n_t), int)
    per = max(1, _GUESS_BLOCK // (K * N * m))
    if S > per:  # bounded memory: the NNLS stage holds ~6 arrays of S·K·N·m complex entries
        return np.concatenate([_guesses_many(circuit, f, Zs[i:i + per], n_starts, grid_per_decade, ordered)
                               for i in range(0, S, per)])

    spike = np.array([_spike_alpha(f, z) for z in Zs])  # (S,)
    Bt = np.zeros((K, N, m), complex)  # timed columns (shared by all spectra)
    unit_timed: dict[int, list[dict]] = {}
    static_units: dict[int, list[dict]] = {}
    Bs = np.zeros((S, N, m), complex)  # static columns (α of a lone CPE depends on the spectrum)
    for i, c in enumerate(comps):
        sub = _sub_circuit(str(c))
        if i in timed:
            t = timed.index(i)
            used = np.unique(combos[:, t])
            dicts = {}
            rows = []
            for gi in used:
                d = {}
                _unit_params(c, grid[gi], 0.85, d)
                dicts[gi] = d
                rows.append([d[n] for n in sub.param_names])
            zsub = sub.impedance(f, np.array(rows))
            pos = np.searchsorted(used, combos[:, t])
            Bt[:, :, i] = zsub[pos]
            unit_timed[i] = [dicts[g] for g in combos[:, t]]
        else:
            alphas = np.unique(spike)
            dl = {}
            rows = []
            for al in alphas:
                d = {}
                _unit_params(c, 1.0, float(al), d)
                dl[al] = d
                rows.append([d[n] for n in sub.param_names])
            zsub = sub.impedance(f, np.array(rows))
            pos = np.searchsorted(alphas, spike)
            Bs[:, :, i] = zsub[pos]
            static_units[i] = [dl[al] for al in spike]
    is_t = np.zeros(m, bool)
    is_t[timed] = True
    B = np.where(is_t[None, None, None, :], Bt[None], Bs[:, None])  # (S, K, N, m)
    wgt = 1.0 / np.maximum(np.abs(Zs), 1e-300)  # (S, N)
    M = np.concatenate([B.real * wgt[:, None, :, None], B.imag * wgt[:, None, :, None]], axis=2)
    y = np.concatenate([Zs.real * wgt, Zs.imag * wgt], axis=1)  # (S, 2N)
    amp, cost = _nnls_batch(M.reshape(S * K, 2 * N, m), np.repeat(y, K, axis=0))
    amp = amp.reshape(S, K, m)
    cost = cost.reshape(S, K)
    n_take = min(n_starts, K)
    order = _diverse(np.argsort(cost, axis=1), combos, n_take, min_sep=max(1, int(round(per_dec))))
    # a component the data do not need still starts visible: ≤ 1 % of |Z| where it is largest
    with np.errstate(divide="ignore"):
        floor = 0.01 * np.min(np.abs(Zs)[:, None, :, None] / np.abs(B), axis=2)  # (S, K, m)
    amp = np.maximum(amp, floor)
    # unit parameter tables: timed components per combination, static ones per spectrum; scaling powers
    names = circuit.param_names
    P = len(names)
    power = np.array([0 if suf in ("alpha", "tau") else (-1 if kind == "C" or suf == "Q" else 1)
                      for kind, suf in circuit.param_kinds], float)
    comp_of = np.empty(P, int)
    unit_t = np.zeros((K, P))
    unit_s = np.zeros((S, P))
    for i in range(m):
        keys = list((unit_timed[i][0] if is_t[i] else static_units[i][0]).keys())
        idx = [names.index(k) for k in keys]
        comp_of[idx] = i
        if is_t[i]:
            unit_t[:, idx] = [[d[k] for k in keys] for d in unit_timed[i]]
        else:
            unit_s[:, idx] = [[d[k] for k in keys] for d in static_units[i]]
    timed_param = is_t[comp_of]
    sidx = np.arange(S)[:, None]
    a_sel = amp[sidx, order][:, :, comp_of]  # (S, n_take, P)
    base = np.where(timed_param[None, None, :], unit_t[order], unit_s[:, None, :])
    return base * a_sel ** power


def _diverse(ranked: np.ndarray, combos: np.ndarray, n_take: int, min_sep: int) -> np.ndarray:
    """Per spectrum, the best combination, then the next best that differ from every one already taken by at least
    ``min_sep`` grid steps (one decade) in some component; filled up with the best remaining ones."""
    S = ranked.shape[0]
    out = np.empty((S, n_take), int)
    for s in range(S):
        taken: list[int] = []
        for kk in ranked[s]:
            if len(taken) >= n_take:
                break
            if all(np.abs(combos[kk] - combos[t]).max(initial=0) >= min_sep for t in taken):
                taken.append(int(kk))
        for kk in ranked[s]:
            if len(taken) >= n_take:
                break
            if int(kk) not in taken:
                taken.append(int(kk))
        out[s] = taken[:n_take]
    return out


@functools.lru_cache(maxsize=256)
def _sub_circuit(text: str) -> Circuit:
    return Circuit(text)


def _elements(node):
    if isinstance(node, Element):
        return [node]
    return [e for p in node.parts for e in _elements(p)]


def _param_names_of(circuit: Circuit, el: Element) -> list[str]:
    return [circuit.param_names[k] for k in el.index]


def _nnls_batch(M: np.ndarray, y: np.ndarray, n_pass: int = 6):
    """Approximate non-negative least squares for a stack of small problems M (K, n, m) x = y (K, n)."""
    K, n, m = M.shape
    Mt = M.transpose(0, 2, 1)
    A0 = Mt @ M
    scale = np.sqrt(np.einsum("kpp->kp", A0))  # column norms: solve with unit-norm columns
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    A = A0 / (scale[:, :, None] * scale[:, None, :])
    b = (Mt @ y[:, :, None])[:, :, 0] / scale
    ridge = 1e-10 * np.eye(m)
    keep = np.ones((K, m), bool)
    x = np.zeros((K, m))
    for _ in range(n_pass):
        Am = np.where(keep[:, :, None] & keep[:, None, :], A, 0.0) + ridge
        Am = Am + np.where(keep, 0.0, 1.0)[:, :, None] * np.eye(m)
        bm = np.where(keep, b, 0.0)
        x = np.linalg.solve(Am, bm[:, :, None])[:, :, 0]
        neg = keep & (x < 0)
        if not neg.any():
            break
        keep &= ~neg
    x = x / scale
    x = np.where(keep, np.maximum(x, 0.0), 0.0)
    res = (M @ x[:, :, None])[:, :, 0] - y
    cost = np.einsum("kn,kn->k", res, res)
    cost[~np.isfinite(cost)] = np.inf
    return x, cost


# ---------------------------------------------------------------------------------------------------------------
# public API
def _weights(weighting, f, z):
    if isinstance(weighting, str):
        wname = weighting.lower()
        if wname not in _WEIGHTINGS:
            raise FitError(f"unknown weighting {weighting!r} (use {', '.join(_WEIGHTINGS)} or an array of sigma)")
        mod = np.abs(z)
        if wname == "modulus":
            return 1.0 / mod, 1.0 / mod, wname
        if wname == "proportional":
            fl = 1e-3 * mod
            return 1.0 / np.maximum(np.abs(z.real), fl), 1.0 / np.maximum(np.abs(z.imag), fl), wname
        return np.ones_like(mod), np.ones_like(mod), wname
    s = np.asarray(weighting)
    if s.shape != z.shape or not np.all(np.isfinite(s)) or np.any(np.abs(s) <= 0):
        raise FitError("weighting array must hold one positive sigma per data point")
    if np.iscomplexobj(s):
        return 1.0 / np.abs(s.real), 1.0 / np.abs(s.imag), "sigma"
    return 1.0 / s, 1.0 / s, "sigma"


def _clean(freq_Hz, Z, label: str = "spectrum"):
    f = np.asarray(freq_Hz, dtype=float).ravel()
    z = np.asarray(Z).ravel()
    if not np.iscomplexobj(z):
        raise FitError(f"{label}: Z must be complex (Z' + jZ''); got real values")
    if f.shape != z.shape:
        raise FitError(f"{label}: {f.size} frequencies but {z.size} impedance values")
    good = np.isfinite(f) & np.isfinite(z) & (f > 0)
    dropped = int((~good).sum())
    f, z = f[good], z[good]
    if f.size < 3:
        raise FitError(f"{label}: only {f.size} usable points (need ≥ 3 with f > 0 and finite Z)")
    if np.all(np.abs(z) == 0):
        raise FitError(f"{label}: impedance is zero everywhere")
    return f, z, dropped


def _resolve_fixed(circuit: Circuit, fixed) -> dict[str, float]:
    if fixed is None:
        return {}
    if isinstance(fixed, Mapping):
        out = {}
        for k, v in fixed.items():
            if k not in circuit.param_names:
                raise FitError(f"fixed: circuit {circuit.text} has no parameter {k!r} "
                               f"(has {', '.join(circuit.param_names)})")
            if v is None or not np.isfinite(float(v)):
                raise FitError(f"fixed: {k} needs a finite value")
            out[k] = float(v)
        return out
    raise FitError("fixed must be a mapping name -> value, e.g. {'CPE2_alpha': 1.0}")


def _check_initial(circuit: Circuit, initial) -> dict[str, float]:
    if initial is None:
        return {}
    if isinstance(initial, Mapping):
        bad = [k for k in initial if k not in circuit.param_names]
        if bad:
            raise FitError(f"initial: circuit {circuit.text} has no parameter {', '.join(bad)}")
        return {k: float(v) for k, v in initial.items()}
    arr = circuit.as_array(initial)
    return circuit.as_dict(arr)


def _starts_for(circuit, auto: np.ndarray, initial: dict, fixed: dict, multistart: bool) -> np.ndarray:
    rows = []
    if initial:
        base = auto[0].copy()
        for k, v in initial.items():
            base[circuit.param_names.index(k)] = v
        rows.append(base)
        if multistart:
            rows.extend(auto)
    else:
        rows.extend(auto if multistart else auto[:1])
    rows = np.array(rows, float)
    for k, v in fixed.items():
        rows[:, circuit.param_names.index(k)] = v
    frac = circuit.is_fraction
    rows[:, frac] = np.clip(rows[:, frac], 0.05, 0.999)
    return rows


def _auto_guesses(circuit, cleaned, n_starts, ordered: bool = True, tick=None) -> list[np.ndarray]:
    """Data-driven starts for every spectrum, vectorised over spectra sharing a frequency vector.
    ``tick(fraction_done)`` is called after each block (progress reporting)."""
    groups: dict = {}
    for s, (f, z, _) in enumerate(cleaned):
        groups.setdefault((f.size, f.tobytes()), []).append(s)
    out: list = [None] * len(cleaned)
    for members in groups.values():
        f = cleaned[members[0]][0]
        for chunk in range(0, len(members), 64):
            mem = members[chunk:chunk + 64]
            g = _guesses_many(circuit, f, np.array([cleaned[s][1] for s in mem]), n_starts, ordered=ordered)
            for j, s in enumerate(mem):
                out[s] = g[j]
            if tick is not None:
                tick(sum(o is not None for o in out) / len(cleaned))
    return out


def _arc_groups(circuit: Circuit) -> list[list[tuple]]:
    """Runs of identical consecutive top-level R‖CPE (or R‖C) arcs: [[(R element, capacitive element), ...], ...]."""
    pairs = {r: c for r, c in circuit.rc_pairs()}
    groups: list[list] = []
    prev_sig = None
    for comp in circuit.top_level():
        sig = None
        if isinstance(comp, Parallel) and len(comp.parts) == 2:
            els = [p for p in comp.parts if isinstance(p, Element)]
            rs = [e for e in els if e.kind == "R" and e.name in pairs]
            if len(els) == 2 and rs:
                cap = circuit.element(pairs[rs[0].name])
                sig = cap.kind
                item = (rs[0], cap)
        if sig is not None and sig == prev_sig:
            groups[-1].append(item)
        elif sig is not None:
            groups.append([item])
        prev_sig = sig
    return [g for g in groups if len(g) > 1]


def _asymmetric_groups(circuit: Circuit, fixed: Mapping, bounds: Mapping | None) -> set[int]:
    """Indices of arc groups whose arcs the user treats differently (fixed values or bounds not the same for
    corresponding parameters): reordering those would move a pinned value to another arc."""
    bounds = bounds or {}
    out = set()
    for gi, g in enumerate(_arc_groups(circuit)):
        sigs = set()
        for r_el, cap in g:
            sig = []
            for k in (*r_el.index, *cap.index):
                name = circuit.param_names[k]
                kind, suf = circuit.param_kinds[k]
                b = bounds.get(name)
                sig.append((kind, suf, fixed.get(name), tuple(b) if b is not None else None))
            sigs.add(tuple(sig))
        if len(sigs) > 1:
            out.add(gi)
    return out


def _order_arcs(circuit: Circuit, P: np.ndarray, skip: set | frozenset = frozenset()) -> np.ndarray:
    """Sort runs of identical top-level R‖CPE (or R‖C) arcs by apex frequency, high first (groups in ``skip``, the
    ones the user pinned asymmetrically, keep the optimiser's order)."""
    groups = _arc_groups(circuit)
    P = P.copy()
    for gi, g in enumerate(groups):
        if gi in skip:
            continue
        for row in P:
            taus = []
            blocks = []
            for r_el, cap in g:
                idx = list(r_el.index) + list(cap.index)
                vals = row[idx].copy()
                if cap.kind == "CPE":
                    tau = (vals[0] * vals[1]) ** (1.0 / max(vals[2], 1e-3))
                else:
                    tau = vals[0] * vals[1]
                taus.append(tau)
                blocks.append((idx, vals))
            order = np.argsort(taus, kind="stable")
            new_vals = [blocks[o][1] for o in order]
            for (idx, _), v in zip(blocks, new_vals):
                row[idx] = v
    return P


def _finish(circuit: Circuit, f, z, wname, P_best, u_best, J, zfit, cost, n_iter, conv, free, tr, fixed,
            dropped: int, label: str, loop=None) -> FitResult:
    names = circuit.param_names
    n = circuit.n_params
    warnings_: list[str] = []
    flags: dict[str, str] = {}
    if dropped:
        warnings_.append(f"{dropped} point(s) with non-finite values or f ≤ 0 were ignored")
    loop_f, loop_z, loop_excl, loop_msg = loop if loop is not None else (np.empty(0), np.empty(0, complex), False,
                                                                         None)
    if loop_msg:
        warnings_.append(loop_msg)
        flags[LF_LOOP] = "excluded" if loop_excl else "kept"
    n_data = 2 * f.size
    dof = max(n_data - free.size, 1)
    chi2 = float(cost)
    chi2_red = chi2 / dof
    cov = np.full((n, n), 0.0)
    if free.size:
        A = J.T @ J
        with np.errstate(all="ignore"):
            try:
                # scale columns for a well-conditioned inverse
                s = np.sqrt(np.maximum(np.diag(A), 1e-300))
                As = A / np.outer(s, s)
                w_eig, V = np.linalg.eigh(As)
                tiny = w_eig < 1e-13 * max(w_eig.max(), 1e-300)
                if tiny.any():
                    # parameters in the null space are undetermined
                    null = np.abs(V[:, tiny]).max(axis=1) > 1e-3
                    cov_s = (V[:, ~tiny] * (1.0 / w_eig[~tiny])) @ V[:, ~tiny].T
                    cov_u = cov_s / np.outer(s, s) * chi2_red
                    cov_u[null, :] = np.inf
                    cov_u[:, null] = np.inf
                else:
                    cov_s = (V / w_eig) @ V.T
                    cov_u = cov_s / np.outer(s, s) * chi2_red
            except np.linalg.LinAlgError:
                cov_u = np.full((free.size, free.size), np.inf)
        _, dpdu = tr.to_p(u_best[None], free)
        D = dpdu[0]
        with np.errstate(invalid="ignore"):
            cov_p = cov_u * np.outer(D, D)
        cov_p = np.where(np.isnan(cov_p), np.inf, cov_p)
        cov[np.ix_(free, free)] = cov_p
    err = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.inf))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(err, err)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    fixed_names = tuple(k for k in names if k in fixed)
    for k in fixed_names:
        corr[names.index(k), :] = 0
        corr[:, names.index(k)] = 0
        corr[names.index(k), names.index(k)] = 1.0
    params = circuit.as_dict(P_best)
    stderr = {nm: float(e) for nm, e in zip(names, err)}
    for k in free:
        nm = names[k]
        if not math.isfinite(stderr[nm]):
            flags.setdefault(nm, "undetermined")
            warnings_.append(f"{nm} is not determined by the data (singular Jacobian)")
    # arcs outside the measured window
    fmin, fmax = float(f.min()), float(f.max())
    for r_name, c_name in circuit.rc_pairs():
        R = params[r_name]
        if circuit.element(c_name).kind == "CPE":
            Q, a = params[c_name + "_Q"], params[c_name + "_alpha"]
            tau = (R * Q) ** (1.0 / max(a, 1e-3))
        else:
            tau = R * params[c_name]
        fa = 1.0 / (2 * np.pi * tau) if tau > 0 else math.inf
        if not (fmin <= fa <= fmax):
            side = "above" if fa > fmax else "below"
            flags[r_name] = "outside-window"
            warnings_.append(f"{r_name}: arc outside the measured window (apex {fa:.3g} Hz {side} the data, "
                             f"{fmin:.3g}–{fmax:.3g} Hz); {r_name} is not resolved")
        elif math.isfinite(stderr[r_name]) and stderr[r_name] > 0.5 * abs(R) and r_name not in fixed:
            flags.setdefault(r_name, "poorly-determined")
            warnings_.append(f"{r_name} is poorly determined (±{100 * stderr[r_name] / abs(R):.0f} %)")
    success = bool(conv) and math.isfinite(chi2) and np.all(np.isfinite(P_best))
    msg = "converged" if conv else "stopped at the iteration cap"
    if not conv:
        warnings_.append("fit stopped at the iteration cap before converging")
    if not np.all(np.isfinite(P_best)) or not math.isfinite(chi2):
        raise FitError(f"{label}: fit produced non-finite parameters")
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = (z - zfit) / np.abs(z)
    return FitResult(circuit=circuit.text, param_names=list(names), params=params, stderr=stderr,
                     correlation=corr, covariance=cov, chi2=chi2, chi2_reduced=float(chi2_red),
                     weighting=wname, success=success, n_iter=int(n_iter), warnings=tuple(warnings_),
                     flags=flags, fixed=fixed_names, freq_Hz=f, Z=z, Z_fit=zfit, residuals=resid, message=msg,
                     lf_loop_freq_Hz=np.asarray(loop_f, float), lf_loop_Z=np.asarray(loop_z, complex),
                     lf_loop_excluded=bool(loop_excl))


def fit(freq_Hz, Z, circuit, weighting="modulus", initial=None, fixed=None, bounds=None, *,
        multistart: bool = True, n_starts: int | None = None, max_iter: int = 300,
        label: str = "spectrum", lf_loop: str = "auto") -> FitResult:
    """Fit ``circuit`` to one spectrum (complex ``Z`` with mathematical sign, ``freq_Hz`` > 0).  ``freq_Hz`` may
    also be a :class:`sselab.io.Measurement` (then ``Z`` is ignored and its first sweep is fitted).

    ``initial``: dict (partial allowed; missing values are guessed from the data) or array; ``fixed``: dict
    name→value held constant; ``bounds``: dict name→(lo, hi).  Returns a :class:`FitResult`.

    ``lf_loop``: what to do with a low-frequency inductive loop (Z″ > 0 at the lowest frequencies, detected by
    :func:`sselab.eis.artefacts.lf_inductive_loop`): ``"exclude"`` leaves those points out of the fit,
    ``"keep"`` fits them, ``"auto"`` (default) excludes them unless the circuit can model a loop (an inductor inside
    a parallel or nested branch, e.g. ``p(R3,L3)``).  Either way the result carries a warning, the flag
    ``flags["low-frequency inductive loop"]`` (``"excluded"`` / ``"kept"``) and the loop points
    (``lf_loop_freq_Hz``, ``lf_loop_Z``, ``lf_loop_excluded``).
    """
    if hasattr(freq_Hz, "impedance") and callable(freq_Hz.impedance):
        label = label if label != "spectrum" else getattr(freq_Hz, "name", label)
        freq_Hz, Z = freq_Hz.spectra()[0]
    return fit_batch([(freq_Hz, Z)], circuit, weighting=weighting, initial=initial, fixed=fixed, bounds=bounds,
                     warm_start=False, multistart=multistart, n_starts=n_starts, max_iter=max_iter,
                     labels=[label], lf_loop=lf_loop)[0]


def fit_batch(spectra, circuit, weighting="modulus", initial=None, fixed=None, bounds=None, *,
              warm_start: bool = True, progress: bool | Callable[[int, int], None] = False,
              multistart: bool = True, n_starts: int | None = None, max_iter: int = 300,
              continuity_tol: float = 1.0, labels: Sequence[str] | None = None,
              lf_loop: str = "auto") -> list[FitResult]:
    """Fit the same circuit to many spectra ``[(f, Z), ...]`` (or Measurements) in one vectorised LM run.

    ``warm_start``: treat the list as a series (e.g. temperatures in order): every spectrum is also restarted from
    its neighbours' solutions, and among solutions statistically as good as the best (χ² within ``continuity_tol``
    times the reduced χ², i.e. Δχ² ≤ 1 in noise units), the one
    closest to the previous spectrum's parameters is kept.  ``progress``: ``True`` for a rich bar on stderr, or a
    callback ``progress(done, total)``.  ``lf_loop``: see :func:`fit`.
    """
    circuit = Circuit(circuit) if not isinstance(circuit, Circuit) else circuit
    spectra = _as_spectra(spectra)
    if not spectra:
        raise FitError("fit_batch: no spectra given")
    S = len(spectra)
    labels = list(labels) if labels is not None else [f"spectrum {i + 1}" for i in range(S)]
    fixed_d = _resolve_fixed(circuit, fixed)
    init_d = _check_initial(circuit, initial)
    tr = _Transform(circuit, bounds)
    names = circuit.param_names
    free = np.array([k for k, n in enumerate(names) if n not in fixed_d], int)
    for k, v in fixed_d.items():
        if v <= 0 and not circuit.is_fraction[names.index(k)]:
            raise FitError(f"fixed: {k} must be positive, got {v}")

    if lf_loop not in LF_LOOP_OPTIONS:
        raise FitError(f"lf_loop {lf_loop!r}: use one of {', '.join(LF_LOOP_OPTIONS)}")
    exclude_loop = lf_loop == "exclude" or (lf_loop == "auto" and not circuit_has_loop_element(circuit))
    cb = _progress_callback(progress, S)
    cleaned = []
    loops = []
    for (f, z), lab in zip(spectra, labels):
        f, z, dropped = _clean(f, z, lab)
        lm = lf_inductive_loop(f, z)
        loops.append((f[lm], z[lm], bool(exclude_loop and lm.any()), loop_summary(f, lm, exclude_loop)
                      if lm.any() else None))
        if exclude_loop and lm.any():
            if (~lm).sum() < 3:
                raise FitError(f"{lab}: only {int((~lm).sum())} points left after excluding the {LF_LOOP} "
                               "(use lf_loop='keep')")
            f, z = f[~lm], z[~lm]
        cleaned.append((f, z, dropped))
    Nmax = max(c[0].size for c in cleaned)
    omega = np.empty((S, Nmax))
    zz = np.zeros((S, Nmax), complex)
    WR = np.zeros((S, Nmax))
    WI = np.zeros((S, Nmax))
    wnames = []
    for s, (f, z, _) in enumerate(cleaned):
        n = f.size
        wr, wi, wname = _weights(weighting, f, z)
        wnames.append(wname)
        omega[s, :n] = 2 * np.pi * f
        omega[s, n:] = 2 * np.pi * f[-1]
        zz[s, :n] = z
        zz[s, n:] = z[-1]
        WR[s, :n], WI[s, :n] = wr, wi

    # stage 1: multi-start from data-driven guesses, all spectra and starts in one batch
    n_timed = sum(_has_timescale(c) for c in circuit.top_level())
    if n_starts is None:  # more starts (and scouting) where several arcs can be confused
        n_starts = 4 if n_timed <= 1 else 8
    scout = _SCOUT_ITER if n_timed <= 1 else 10
    skip = _asymmetric_groups(circuit, fixed_d, bounds)
    # progress in stages: guesses, first LM pass, (warm-start pass); each reports per block/chunk
    bounds_frac = (0.0, 0.4, 0.7 if warm_start and S > 1 else 1.0, 1.0)

    def stage(k):
        if cb is None:
            return None
        lo, hi = bounds_frac[k], bounds_frac[k + 1]
        return lambda frac: cb(min(S - 1, int(S * (lo + (hi - lo) * frac))), S)

    auto = _auto_guesses(circuit, cleaned, n_starts if multistart else 1, ordered=not skip, tick=stage(0))
    starts = [_starts_for(circuit, auto[s], init_d, fixed_d, multistart) for s in range(S)]
    owner = np.concatenate([np.full(len(st), s) for s, st in enumerate(starts)])
    P0 = np.concatenate(starts)
    P_ref = np.concatenate([np.repeat(auto[s][:1], len(st), axis=0) for s, st in enumerate(starts)])
    best_P, best_u, best_cost, best_it, best_conv = _run(circuit, omega, zz, WR, WI, P0, owner, free, tr, max_iter,
                                                         P_ref=P_ref, scout_iter=scout, tick=stage(1))
    cands = {s: [(best_cost[j], best_P[j], best_u[j], best_it[j], best_conv[j])
                 for j in np.flatnonzero(owner == s)] for s in range(S)}

    chosen = {s: min(cands[s], key=lambda c: c[0]) for s in range(S)}
    if warm_start and S > 1:
        # stage 2: restart each spectrum from its neighbours' solutions
        P1, own1 = [], []
        for s in range(S):
            for nb in (s - 1, s + 1):
                if 0 <= nb < S:
                    row = chosen[nb][1].copy()
                    for k, v in fixed_d.items():
                        row[names.index(k)] = v
                    P1.append(row)
                    own1.append(s)
        P1 = np.array(P1)
        own1 = np.array(own1)
        ref1 = np.array([auto[s][0] for s in own1])
        for k, v in fixed_d.items():
            ref1[:, names.index(k)] = v
        bP, bu, bc, bi, bv = _run(circuit, omega, zz, WR, WI, P1, own1, free, tr, max_iter, P_ref=ref1,
                                  scout_iter=scout, tick=stage(2))
        for j, s in enumerate(own1):
            cands[s].append((bc[j], bP[j], bu[j], bi[j], bv[j]))
        # walk the series: near-best solutions closest to the previous choice
        chosen[0] = min(cands[0], key=lambda c: c[0])
        for s in range(1, S):
            best = min(c[0] for c in cands[s])
            dof = max(2 * cleaned[s][0].size - free.size, 1)
            near = [c for c in cands[s] if c[0] <= best * (1 + continuity_tol / dof)]
            prev = _logp(circuit, chosen[s - 1][1])
            chosen[s] = min(near, key=lambda c: float(np.sum((_logp(circuit, c[1]) - prev)[free] ** 2)))
    Pf = np.array([_order_arcs(circuit, chosen[s][1][None], skip)[0] for s in range(S)])
    uf = tr.to_u(Pf[:, free], free)
    pbf = _Problem(circuit, omega, zz, WR, WI, Pf, free, tr)
    costf, _, Jf = _residuals(pbf, np.arange(S), uf)
    results = []
    for s, (f, z, dropped) in enumerate(cleaned):
        _, _, _, it, conv = chosen[s]
        n = f.size
        zf = circuit.impedance(f, Pf[s])
        Js = np.concatenate([Jf[s, :n], Jf[s, Nmax:Nmax + n]], axis=0)
        results.append(_finish(circuit, f, z, wnames[s], Pf[s], uf[s], Js, zf, costf[s], it, conv, free, tr,
                               fixed_d, dropped, labels[s], loop=loops[s]))
    if cb:
        cb(S, S)
    return results


def _as_spectra(spectra) -> list:
    """[(f, Z), ...] from a list of pairs, a Measurement (all its sweeps) or a list of Measurements."""
    if hasattr(spectra, "spectra") and callable(spectra.spectra):
        return list(spectra.spectra())
    out = []
    for item in spectra:
        if hasattr(item, "spectra") and callable(item.spectra):
            out.extend(item.spectra())
        else:
            out.append(tuple(item))
    return out


def _logp(circuit: Circuit, P: np.ndarray) -> np.ndarray:
    return np.where(circuit.is_fraction, P * 10.0, np.log(np.maximum(P, 1e-300)))


def _run(circuit, omega, zz, WR, WI, P0, owner, free, tr, max_iter, P_ref: np.ndarray | None = None,
         chunk_rows: int = 4000, scout_iter: int | None = None, tick=None):
    """:func:`_run_rows` in chunks of whole spectra (bounded memory for very large batches).
    ``tick(fraction_done)`` is called after each chunk (progress reporting)."""
    if len(owner) <= chunk_rows:
        return _run_rows(circuit, omega, zz, WR, WI, P0, owner, free, tr, max_iter, P_ref=P_ref,
                         scout_iter=scout_iter)
    out = [np.empty_like(P0), np.empty((len(owner), free.size)), np.empty(len(owner)),
           np.empty(len(owner), int), np.empty(len(owner), bool)]
    spectra = np.unique(owner)
    per = max(1, chunk_rows // max(1, int(np.ceil(len(owner) / len(spectra)))))
    for i in range(0, len(spectra), per):
        rows = np.flatnonzero(np.isin(owner, spectra[i:i + per]))
        res = _run_rows(circuit, omega, zz, WR, WI, P0[rows], owner[rows], free, tr, max_iter,
                        P_ref=None if P_ref is None else P_ref[rows], scout_iter=scout_iter)
        for o, r in zip(out, res):
            o[rows] = r
        if tick is not None:
            tick(min(1.0, (i + per) / len(spectra)))
    return tuple(out)


def _run_rows(circuit, omega, zz, WR, WI, P0, owner, free, tr, max_iter, keep: int | None = None,
              scout_iter: int | None = None, P_ref: np.ndarray | None = None):
    """LM from every start row (owner = spectrum index per row).  After ``scout_iter`` iterations only the ``keep``
    best starts of each spectrum continue.  ``P_ref`` (per row; default the starts): data-driven values that
    parameters collapsed onto a flat boundary are reset to in the rescue step."""
    keep = _KEEP if keep is None else keep
    scout_iter = _SCOUT_ITER if scout_iter is None else scout_iter
    pb = _Problem(circuit, omega[owner], zz[owner], WR[owner], WI[owner], P0.copy(), free, tr)
    u0 = tr.to_u(P0[:, free], free)
    # starts outside user bounds would sit on a saturated logistic (no gradient): pull them inside
    logistic = np.isin(tr.mode[free], (1, 2))
    u0[:, logistic] = np.clip(u0[:, logistic], -8.0, 8.0)
    u, cost, it, conv = _lm(pb, u0, max_iter=min(scout_iter, max_iter))
    # keep the best few starts per spectrum (plus any already converged) for the full run
    # (starts that have already run into the same basin as a better one are dropped: they would only repeat it)
    sel = np.zeros(len(owner), bool)
    order = np.lexsort((cost, owner))
    bounds_ = np.flatnonzero(np.r_[True, owner[order][1:] != owner[order][:-1], True])
    for a, b in zip(bounds_[:-1], bounds_[1:]):
        taken: list[int] = []
        for j in order[a:b]:
            if len(taken) >= keep or not np.isfinite(cost[j]):
                break
            if all(np.abs(u[j] - u[t]).max(initial=0.0) > 0.1 for t in taken):
                taken.append(j)
        sel[taken] = True
    go = sel & ~conv
    if go.any() and max_iter > scout_iter:
        idx = np.flatnonzero(go)
        pb2 = _Problem(circuit, pb.omega[idx], pb.z[idx], pb.wr[idx], pb.wi[idx], pb.P[idx], free, tr)
        u2, c2, it2, conv2 = _lm(pb2, u[idx], max_iter=max_iter - scout_iter)
        u[idx], cost[idx], it[idx], conv[idx] = u2, c2, it[idx] + it2, conv2
    cost = np.where(sel, cost, np.inf)
    if max_iter > scout_iter and free.size:
        u_ref = u0 if P_ref is None else tr.to_u(P_ref[:, free], free)
        _rescue(pb, owner, u_ref, u, cost, it, conv, max_iter)
    P = P0.copy()
    p, _ = tr.to_p(u, free)
    P[:, free] = p
    return P, u, cost, it, conv


def _rescue(pb: _Problem, owner, u_ref, u, cost, it, conv, max_iter) -> None:
    """Refinement of poor fits: a log-parameter that ran off to a flat boundary (R0 → 0, Q → ∞ ...) has no
    gradient left to come back.  Restart the best fit of each spectrum with such parameters reset to their
    data-driven reference values; keep the result where χ² improves (in place)."""
    best = []
    for s_ in np.unique(owner):
        rows = np.flatnonzero(owner == s_)
        best.append(rows[np.argmin(cost[rows])])
    best = np.array(best)
    best = best[np.isfinite(cost[best])]
    if best.size == 0:
        return
    _, _, J = _residuals(pb, best, u[best])
    coln = np.sqrt(np.einsum("bnp,bnp->bp", J, J))
    moved = np.abs(u[best] - u_ref[best]) > math.log(100.0)
    flat = (coln < 1e-3 * coln.max(axis=1, keepdims=True)) & moved
    need = flat.any(axis=1)
    if not need.any():
        return
    rows = best[need]
    ur = u[rows].copy()
    ur[flat[need]] = u_ref[rows][flat[need]]
    pb2 = _Problem(pb.circuit, pb.omega[rows], pb.z[rows], pb.wr[rows], pb.wi[rows], pb.P[rows], pb.free, pb.tr)
    u2, c2, it2, conv2 = _lm(pb2, ur, max_iter=max_iter)
    better = c2 < cost[rows] * (1 - 1e-6)
    r = rows[better]
    u[r], cost[r], it[r], conv[r] = u2[better], c2[better], it[r] + it2[better], conv2[better]


def _progress_callback(progress, total):
    if callable(progress):
        return progress
    if progress:
        from rich.console import Console
        from rich.progress import Progress

        state = {"bar": None}

        def cb(done, tot):
            if state["bar"] is None:
                state["bar"] = Progress(transient=True, console=Console(stderr=True))
                state["bar"].start()
                state["task"] = state["bar"].add_task("fitting spectra", total=tot)
            state["bar"].update(state["task"], completed=done)
            if done >= tot:
                state["bar"].stop()

        return cb
    return None
