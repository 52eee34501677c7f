"""Batched Levenberg–Marquardt for equivalent-circuit fits (internal to :mod:`sselab.eis.fitting`).

* :class:`Transform` maps optimiser variables u to raw parameters p with the transform the element registry gives
  each parameter (``log``: p = exp(u); ``logit``: p = lo + (hi − lo)·sigmoid(u)); user bounds on a positive
  parameter become a logistic in log space.
* :func:`evaluate` gives, for a batch of rows, the weighted χ², the Gauss–Newton matrix A = JᵀJ and the gradient
  g = Jᵀr in u (the iteration carries only A and g, never the (rows × 2N × P) Jacobian).
* :func:`lm` iterates every row at once with its own damping; a row leaves the working set as soon as it stops, so
  a few slow spectra cost only their own rows.  Stop reasons are recorded per row (:data:`CONVERGED`,
  :data:`PLATEAU`, :data:`ITERATION_CAP`, :data:`FAILED`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import FitError
from .circuit import Circuit

U_LIM = 230.0  # |ln p| cap (1e±100)
SIG_LIM = 40.0

#: stop reasons
RUNNING, CONVERGED, PLATEAU, ITERATION_CAP, FAILED = 0, 1, 2, 3, 4
#: a step that lowers χ² by less than this many noise units (χ²/dof) ends the iteration (converged)
DCHI2_TOL = 1e-4
#: χ² lower by less than this many noise units over PLATEAU_WINDOW iterations: a plateau (flat valley)
PLATEAU_TOL = 5e-2
PLATEAU_WINDOW = 5
#: ... and the Gauss–Newton model promises less than this many noise units from further steps (it overestimates
#: in curved valleys: a plateau with a larger promise keeps iterating; at the end such a promise means "stalled")
PLATEAU_MAX_GAIN = 10.0


class Transform:
    """Per-parameter map u -> p.  Modes: 0 exp(u); 1 logistic in log-space; 2 logistic linear; 3 lo + exp(u)."""

    def __init__(self, circuit: Circuit, bounds: Mapping | None):
        n = circuit.n_params
        self.mode = np.zeros(n, int)
        self.lo = np.zeros(n)
        self.hi = np.ones(n)
        #: the bounds in force for every parameter (user's or the registry default), for results and profiles
        self.bounds: dict[str, tuple[float, float]] = {}
        self._cache: dict = {}
        bounds = dict(bounds or {})
        unknown = [k for k in bounds if k not in circuit.param_names]
        if unknown:
            raise FitError(f"bounds: circuit {circuit.text} has no parameter {', '.join(unknown)}")
        for k, (name, spec) in enumerate(zip(circuit.param_names, circuit.param_specs)):
            frac = spec.transform == "logit"
            b = bounds.get(name, spec.bounds)
            try:
                lo, hi = b
            except (TypeError, ValueError):
                raise FitError(f"bounds for {name}: expected (lower, upper), got {b!r}") from None
            lo = -math.inf if lo is None else float(lo)
            hi = math.inf if hi is None else float(hi)
            if math.isnan(lo) or math.isnan(hi) or not lo < hi:
                raise FitError(f"bounds for {name}: lower {lo} must be below upper {hi}")
            if frac:
                if not (math.isfinite(lo) and math.isfinite(hi)):
                    raise FitError(f"bounds for {name}: exponent bounds must be finite")
                self.mode[k], self.lo[k], self.hi[k] = 2, lo, hi
            elif math.isfinite(hi):
                if hi <= 0:
                    raise FitError(f"bounds for {name}: upper bound {hi} must be positive ({name} > 0)")
                lo = max(lo, hi * 1e-15)
                self.mode[k], self.lo[k], self.hi[k] = 1, math.log(lo), math.log(hi)
            elif lo > 0:
                self.mode[k], self.lo[k], self.hi[k] = 3, lo, math.inf
            else:
                self.mode[k] = 0
                lo = 0.0
            self.bounds[name] = (lo, hi)

    def _cols(self, cols: np.ndarray):
        key = cols.tobytes()
        c = self._cache.get(key)
        if c is None:
            mode, lo, hi = self.mode[cols], self.lo[cols], self.hi[cols]
            span = np.where(np.isfinite(hi - lo), hi - lo, 0.0)
            c = (mode == 0, mode == 3, mode == 1, (mode == 1) | (mode == 2), np.where(np.isfinite(lo), lo, 0.0),
                 span, bool(np.any((mode == 1) | (mode == 2))), bool(np.any((mode == 0) | (mode == 3))))
            self._cache[key] = c
        return c

    def to_p(self, u: np.ndarray, cols: np.ndarray):
        """Raw parameters and dp/du for variables ``u`` (B, F) of parameter columns ``cols``."""
        m0, m3, m1, m12, lo, span, any_log, any_exp = self._cols(cols)
        if any_exp:
            e = np.exp(np.clip(u, -U_LIM, U_LIM))
            p = np.where(m3, lo + e, e)
            d = e
        else:
            p = np.empty_like(u)
            d = np.empty_like(u)
        if any_log:
            s = 1.0 / (1.0 + np.exp(-np.clip(u, -SIG_LIM, SIG_LIM)))
            v = lo + span * s
            dv = span * s * (1 - s)
            pv = np.where(m1, np.exp(np.where(m1, v, 0.0)), v)
            p = np.where(m12, pv, p)
            d = np.where(m12, np.where(m1, pv * dv, dv), d)
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
        return np.clip(u, -U_LIM, U_LIM)

    def at_bound(self, u: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """-1 / +1 where a parameter with a finite bound sits within 0.1 % of the bound's span of it (in the
        transformed coordinate), 0 elsewhere; (B, F) int.  Log-parameters without an upper bound are judged by
        :func:`sselab.eis.fitting` from their sensitivity instead."""
        mode = self.mode[cols]
        out = np.zeros(u.shape, int)
        m12 = (mode == 1) | (mode == 2)
        if m12.any():
            s = 1.0 / (1.0 + np.exp(-np.clip(u[:, m12], -SIG_LIM, SIG_LIM)))
            out[:, m12] = np.where(s < 1e-3, -1, np.where(s > 1 - 1e-3, 1, 0))
        mu = (mode == 0) | (mode == 3)
        if mu.any():
            out[:, mu] = np.where(u[:, mu] <= -U_LIM + 1, -1, np.where(u[:, mu] >= U_LIM - 1, 1, 0))
        return out


@dataclass
class Problem:
    """Rows of (spectrum, start) pairs: data padded to a common length (weights 0 on the padding)."""

    circuit: Circuit
    omega: np.ndarray  # (B, N)
    log_omega: np.ndarray  # (B, N)
    z: np.ndarray  # (B, N) complex
    wr: np.ndarray  # (B, N) weights for the real part (0 for padding)
    wi: np.ndarray
    P: np.ndarray  # (B, P) raw parameters (fixed ones kept)
    free: np.ndarray  # indices of free parameters
    tr: Transform
    w_interleaved: np.ndarray | None = None  # (B, 2N): wr, wi interleaved (built from wr, wi when not given)

    def __post_init__(self):
        if self.w_interleaved is None:
            B, N = self.wr.shape
            w = np.empty((B, 2 * N))
            w[:, 0::2], w[:, 1::2] = self.wr, self.wi
            self.w_interleaved = w

    def take(self, rows: np.ndarray) -> "Problem":
        return Problem(self.circuit, self.omega[rows], self.log_omega[rows], self.z[rows], self.wr[rows],
                       self.wi[rows], self.P[rows], self.free, self.tr, self.w_interleaved[rows])

    @property
    def n_values(self) -> np.ndarray:
        """Number of real data values per row (2 × points)."""
        return 2 * (self.wr > 0).sum(axis=1)

    @property
    def scale2(self) -> np.ndarray:
        """Σ (w·|Z|)² per row: the weighted size of the data (χ² of the model Z = 0 is about this)."""
        a = np.abs(self.z)
        return np.einsum("bn,bn->b", a * self.wr, a * self.wr) + np.einsum("bn,bn->b", a * self.wi, a * self.wi)


def evaluate(pb: Problem, rows: np.ndarray | None, u: np.ndarray):
    """χ² (B,), A = JᵀJ (B, F, F) and g = Jᵀr (B, F) in u for the given rows (None: all).

    The Jacobian is parameter-major (B, F, N) complex; viewed as float it is (B, F, 2N) with real and imaginary
    parts interleaved, so the weights (interleaved the same way) and the products are plain contiguous arrays."""
    if rows is None:
        P = pb.P.copy()
        omega, lw, z, wv = pb.omega, pb.log_omega, pb.z, pb.w_interleaved
    else:
        P = pb.P[rows]
        omega, lw, z, wv = pb.omega[rows], pb.log_omega[rows], pb.z[rows], pb.w_interleaved[rows]
    free = pb.free
    p, dpdu = pb.tr.to_p(u, free)
    P[:, free] = p
    zm, Jc = pb.circuit._z_and_jac(omega, P, lw)
    B, N = zm.shape
    with np.errstate(invalid="ignore", over="ignore"):
        rv = (zm - z).view(float).reshape(B, 2 * N) * wv  # weighted residuals, re/im interleaved
        cost = np.einsum("bn,bn->b", rv, rv)
        Jf = Jc[:, free, :] if free.size != Jc.shape[1] else Jc
        Jv = Jf.view(float).reshape(B, free.size, 2 * N)
        Jv *= wv[:, None, :]
        Jv *= dpdu[:, :, None]
        A = Jv @ Jv.transpose(0, 2, 1)
        g = (Jv @ rv[:, :, None])[:, :, 0]
    bad = ~np.isfinite(cost) | ~np.isfinite(np.einsum("bpp->b", A)) | ~np.isfinite(g).all(axis=1)
    cost[bad] = np.inf
    return cost, A, g


def lm(pb: Problem, u0: np.ndarray, max_iter: int = 200, ftol: float = DCHI2_TOL):
    """Levenberg–Marquardt on all rows at once.

    Returns u, χ², iterations, stop reason (per row), A and g at the returned point."""
    B, F = u0.shape
    u_out = u0.copy()
    cost_out = np.full(B, np.inf)
    it_out = np.zeros(B, int)
    why_out = np.full(B, ITERATION_CAP, int)
    A_out = np.zeros((B, F, F))
    g_out = np.zeros((B, F))
    cost, A, g = evaluate(pb, None, u0)
    cost_out[:] = cost
    A_out[:], g_out[:] = A, g
    if F == 0:
        why_out[:] = np.where(np.isfinite(cost), CONVERGED, FAILED)
        return u_out, cost_out, it_out, why_out, A_out, g_out
    keep = np.isfinite(cost)
    why_out[~keep] = FAILED
    ids = np.flatnonzero(keep)
    u, cost, A, g = u0[keep].copy(), cost[keep], A[keep], g[keep]
    sub = pb.take(ids) if ids.size != B else pb
    dof = np.maximum(sub.n_values - F, 1)
    chi2_floor = FLOOR * sub.scale2  # χ² at which the model matches the data to the precision of any file
    lam = np.full(ids.size, 1e-2)
    ref_cost = cost.copy()
    n_it = np.zeros(ids.size, int)
    eye = np.eye(F)
    for it_ in range(max_iter):
        if ids.size == 0:
            break
        dA = np.einsum("bpp->bp", A)
        floor = 1e-12 * dA.max(axis=1, keepdims=True) + 1e-300
        Ad = A + (lam[:, None] * (dA + floor))[:, :, None] * eye
        try:
            delta = -np.linalg.solve(Ad, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            delta = np.zeros((ids.size, F))
            for j in range(ids.size):
                delta[j] = -np.linalg.lstsq(Ad[j], g[j], rcond=None)[0]
        ok = np.isfinite(delta).all(axis=1)
        delta[~ok] = 0.0
        # cap each component (not the whole vector: a direction without curvature must not freeze the others)
        np.clip(delta, -5.0, 5.0, out=delta)
        u_new = np.clip(u + delta, -U_LIM, U_LIM)
        c_new, A_new, g_new = evaluate(sub, None, u_new)
        better = (c_new < cost) & ok
        gain = np.where(better, cost - c_new, 0.0)
        u[better], A[better], g[better], cost[better] = u_new[better], A_new[better], g_new[better], c_new[better]
        lam = np.where(better, np.maximum(lam / 5.0, 1e-10), lam * 4.0)
        n_it += 1
        noise = cost / dof  # one noise unit of χ² (the weights are relative)
        done = better & ((gain <= ftol * noise) | (np.abs(delta).max(axis=1) < 1e-7) | (cost <= chi2_floor))
        done |= ~better & (lam > 1e10)
        why = np.where(done, CONVERGED, RUNNING)
        if (it_ + 1) % PLATEAU_WINDOW == 0:
            # χ² fell by less than PLATEAU_TOL noise units over the window: a flat valley of an unresolved parameter
            # (well-determined parameters converge quadratically long before); judged at the end (stall or not)
            plateau = ~done & ((ref_cost - cost) <= PLATEAU_TOL * noise)
            if plateau.any():
                # ... unless the Gauss–Newton model still promises a lot (then keep going: a slow, curved valley)
                pi = np.flatnonzero(plateau)
                active = movable(pb.tr, u[pi], pb.free, A[pi], noise[pi])
                plateau[pi] = ((decrement(A[pi], g[pi], active) < PLATEAU_MAX_GAIN * noise[pi])
                               | (cost[pi] <= chi2_floor[pi]))
            why = np.where(plateau, PLATEAU, why)
            ref_cost = cost.copy()
        fin = why != RUNNING
        if fin.any():
            fi = ids[fin]
            u_out[fi], cost_out[fi], it_out[fi], why_out[fi] = u[fin], cost[fin], n_it[fin], why[fin]
            A_out[fi], g_out[fi] = A[fin], g[fin]
            kp = ~fin
            ids, u, cost, A, g, lam, ref_cost, n_it, dof, chi2_floor = (
                ids[kp], u[kp], cost[kp], A[kp], g[kp], lam[kp], ref_cost[kp], n_it[kp], dof[kp], chi2_floor[kp])
            sub = sub.take(np.flatnonzero(kp))
    if ids.size:
        u_out[ids], cost_out[ids], it_out[ids], why_out[ids] = u, cost, n_it, ITERATION_CAP
        A_out[ids], g_out[ids] = A, g
    return u_out, cost_out, it_out, why_out, A_out, g_out


#: χ² ≤ FLOOR × Σ(w|Z|)² (rms weighted misfit ≤ 1e-8 of the data): the model matches the data to the precision of
#: any instrument file; noise units mean nothing there (exact or synthetic data): converged
FLOOR = 1e-16
#: a parameter whose e-fold change moves χ² by less than this many noise units has left the model (R0 → 0)
LOOSE = 1e-2


def movable(tr: Transform, u: np.ndarray, free: np.ndarray, A: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """(B, F) True for parameters that are neither at a finite bound nor run off (an e-fold change moves χ² by
    less than LOOSE noise units): the directions in which a Gauss–Newton promise means something."""
    sens = np.einsum("bpp->bp", A) / np.maximum(noise, 1e-300)[:, None]
    return (tr.at_bound(u, free) == 0) & ~((sens < LOOSE) & np.isin(tr.mode[free], (0, 3))[None, :])


def decrement(A: np.ndarray, g: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """χ² the Gauss–Newton model still expects to gain from the current point, gᵀ(A + μ diag A)⁻¹g with a small
    damping μ = 1e-6 (directions without curvature do not count), over the ``active`` parameters only (B, F) bool;
    returns (B,)."""
    B, F = g.shape
    if F == 0:
        return np.zeros(B)
    if active is not None:
        m = active.astype(float)
        A = A * (m[:, :, None] * m[:, None, :]) + (1.0 - m)[:, :, None] * np.eye(F)
        g = g * m
    dA = np.einsum("bpp->bp", A)
    Ad = A + (1e-6 * dA + 1e-300)[:, :, None] * np.eye(F)
    with np.errstate(all="ignore"):
        try:
            x = np.linalg.solve(Ad, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            x = np.stack([np.linalg.lstsq(Ad[j], g[j], rcond=None)[0] for j in range(B)])
        out = np.einsum("bp,bp->b", g, x)
    return np.where(np.isfinite(out), np.maximum(out, 0.0), np.inf)
