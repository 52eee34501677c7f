"""Complex non-linear least squares fitting of equivalent circuits, one spectrum or a whole series at once.

How it works (and why; see ``lessons-from-other-tools.md``):

* **Parameter scaling.**  The optimiser works on internal variables ``u`` with the transform the element registry
  (:mod:`sselab.eis.elements`) gives each parameter: ``p = exp(u)`` for every positive parameter (R, C, Q, L, σ, τ)
  and ``α = lo + (hi − lo)·sigmoid(u)`` for exponents (default bounds 0–1).  User bounds on positive parameters
  become a logistic in log space.  Q ≈ 1e-10 next to R ≈ 1e4 is then no problem.
* **Analytic Jacobian** of every element (registry), chained through the transforms.
* **Levenberg–Marquardt run on all problems at once** (:mod:`sselab.eis._lm`): the Gauss–Newton matrices of every
  (spectrum, start) pair are stacked and the damped normal equations solved with one batched
  ``numpy.linalg.solve`` per iteration.  Each problem has its own damping and stops on its own, leaving the
  working set at once (a few slow spectra cost only their own rows); the iteration count is capped.
* **Data-driven starting values** (:mod:`sselab.eis._guess`): every top-level series component of the circuit is a
  unit-size copy of itself placed at a characteristic frequency; for a grid of characteristic frequencies the
  amplitudes enter linearly, so every grid combination is a non-negative linear least-squares problem (vectorised).
  The best few combinations are the starts of the non-linear fit (multi-start; after a few scouting iterations the
  two best distinct ones continue); the best χ² wins.
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
* **Honest ends**: a fit stops when a step gains less than 1e-4 noise units of χ², or on a χ² plateau (flat valley
  of an unresolved parameter), and the Gauss–Newton model (which overestimates in curved valleys) promises less
  than 10 noise units from further steps; a larger promise at the end means ``stalled``
  from further steps.  Otherwise, or at the iteration cap, ``success=False`` with the reason.  Every result carries
  the model-choice evidence of :mod:`sselab.eis.result` (AIC/BIC, residual runs, parameters at bounds, arcs outside
  the window); :func:`profile` gives profile-likelihood intervals where the Jacobian error is meaningless.

Weighting: ``"modulus"`` (σ = |Z| for both parts; the default), ``"proportional"`` (σ_re = |Z′|, σ_im = |Z″|,
floored at 0.1 % of |Z|), ``"unit"`` (σ = 1 Ω), or an array of σ per point.  χ² is the weighted sum of squares
Σ(ΔZ′/σ_re)² + (ΔZ″/σ_im)²; standard errors come from the Jacobian, scaled by the reduced χ² (the weights are
relative, not measured noise).

Numerical warnings of numpy never reach the caller: every non-finite intermediate is checked explicitly.
"""
from __future__ import annotations

import contextlib
import functools
import math
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import FitError
from . import _lm
from ._guess import guesses_many, has_timescale, initial_guesses
from .artefacts import LF_LOOP, LF_LOOP_OPTIONS, circuit_has_loop_element, lf_inductive_loop, loop_summary
from .circuit import Circuit, Element, Parallel
from .elements import ELEMENTS
from .result import FitResult, ProfileResult

__all__ = ["FitResult", "ProfileResult", "fit", "fit_batch", "initial_guesses", "profile"]

_WEIGHTINGS = ("modulus", "proportional", "unit")
_KEEP = 2  # distinct starts per spectrum that continue after the scouting iterations
_SCOUT_ITER = 6
_CHUNK_ROWS = 2000  # LM rows per chunk (bounded memory for very large batches)
_STALL_GAIN = _lm.PLATEAU_MAX_GAIN  # χ² (noise units) the Gauss–Newton model may promise at a successful end
_STATUS = {_lm.CONVERGED: "converged", _lm.PLATEAU: "plateau", _lm.ITERATION_CAP: "iteration-cap",
           _lm.FAILED: "failed"}


@contextlib.contextmanager
def quiet():
    """No numpy floating-point warnings (every non-finite result is checked explicitly instead).  ``np.errstate``
    is thread-local, so fits in worker threads do not touch the process-wide warning filters."""
    with np.errstate(all="ignore"):
        yield


def _quietly(fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        with quiet():
            return fn(*a, **k)

    return wrapper


# ---------------------------------------------------------------------------------------------------------------
# public API
@_quietly
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


@_quietly
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
    labels = [str(x) for x in labels] if labels is not None else [f"spectrum {i + 1}" for i in range(S)]
    if len(labels) != S:
        raise FitError(f"fit_batch: {len(labels)} labels for {S} spectra")
    fixed_d = _resolve_fixed(circuit, fixed)
    init_d = _check_initial(circuit, initial)
    tr = _lm.Transform(circuit, bounds)
    names = circuit.param_names
    free = np.array([k for k, n in enumerate(names) if n not in fixed_d], int)
    for k, v in fixed_d.items():
        if v <= 0 and not circuit.is_fraction[names.index(k)]:
            raise FitError(f"fixed: {k} must be positive, got {v}")
    if lf_loop not in LF_LOOP_OPTIONS:
        raise FitError(f"lf_loop {lf_loop!r}: use one of {', '.join(LF_LOOP_OPTIONS)}")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise FitError(f"max_iter must be a positive integer, got {max_iter!r}")
    if n_starts is not None and (not isinstance(n_starts, (int, np.integer)) or n_starts < 1):
        raise FitError(f"n_starts must be a positive integer, got {n_starts!r}")
    exclude_loop = lf_loop == "exclude" or (lf_loop == "auto" and not circuit_has_loop_element(circuit))
    cb = _progress_callback(progress, S)

    cleaned, loops = [], []
    for (f, z), lab in zip(spectra, labels):
        f, z, dropped, why = _clean(f, z, lab, weighting)
        lm_ = lf_inductive_loop(f, z)
        loops.append((f[lm_], z[lm_], bool(exclude_loop and lm_.any()), loop_summary(f, lm_, exclude_loop)
                      if lm_.any() else None))
        if exclude_loop and lm_.any():
            if (~lm_).sum() < 3:
                raise FitError(f"{lab}: only {int((~lm_).sum())} points left after excluding the {LF_LOOP} "
                               "(use lf_loop='keep')")
            f, z = f[~lm_], z[~lm_]
        cleaned.append((f, z, dropped, why))
    Nmax = max(c[0].size for c in cleaned)
    omega = np.empty((S, Nmax))
    zz = np.zeros((S, Nmax), complex)
    WR = np.zeros((S, Nmax))
    WI = np.zeros((S, Nmax))
    wnames, sigmas = [], []
    for s, (f, z, _, _) in enumerate(cleaned):
        n = f.size
        wr, wi, wname = _weights(weighting, f, z, labels[s])
        wnames.append(wname)
        sigmas.append(1.0 / wr + 1j / wi)
        omega[s, :n] = 2 * np.pi * f
        omega[s, n:] = 2 * np.pi * f[-1]
        zz[s, :n] = z
        zz[s, n:] = z[-1]
        WR[s, :n], WI[s, :n] = wr, wi
    data = (omega, np.log(omega), zz, WR, WI)

    # stage 1: multi-start from data-driven guesses, all spectra and starts in one batch
    n_timed = sum(has_timescale(c) for c in circuit.top_level())
    if n_starts is None:  # more starts (and scouting) where several arcs can be confused
        n_starts = 4 if n_timed <= 1 else 8
    scout = _SCOUT_ITER if n_timed <= 1 else 10
    skip = _asymmetric_groups(circuit, fixed_d, bounds)
    # progress in stages: guesses, first LM pass, (warm-start pass); each reports per block/chunk
    bounds_frac = (0.0, 0.35, 0.7 if warm_start and S > 1 else 1.0, 1.0)

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
    best = _run(circuit, data, P0, owner, free, tr, max_iter, P_ref=P_ref, scout_iter=scout, tick=stage(1))
    b_P, _, b_cost, b_it, b_why = best
    # best row per spectrum
    order = np.lexsort((b_cost, owner))
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    chosen = {s: (b_cost[j], b_P[j], b_it[j], b_why[j]) for s, j in zip(owner[first], first)}

    if warm_start and S > 1:
        # stage 2: restart each spectrum from its neighbours' solutions
        cands = {s: [(b_cost[j], b_P[j], b_it[j], b_why[j]) for j in np.flatnonzero(owner == s)] for s in range(S)}
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
        bP, _, bc, bi, bw = _run(circuit, data, P1, own1, free, tr, max_iter, P_ref=ref1, scout_iter=scout,
                                  tick=stage(2))
        for j, s in enumerate(own1):
            cands[s].append((bc[j], bP[j], bi[j], bw[j]))
        # walk the series: near-best solutions closest to the previous choice
        chosen[0] = min(cands[0], key=lambda c: c[0])
        for s in range(1, S):
            best_c = min(c[0] for c in cands[s])
            dof = max(2 * cleaned[s][0].size - free.size, 1)
            near = [c for c in cands[s] if c[0] <= best_c * (1 + continuity_tol / dof)]
            prev = _logp(circuit, chosen[s - 1][1])
            chosen[s] = min(near, key=lambda c: float(np.sum((_logp(circuit, c[1]) - prev)[free] ** 2)))
    Pf = _order_arcs(circuit, np.array([chosen[s][1] for s in range(S)]), skip, tr, fixed_d)
    its = np.array([chosen[s][2] for s in range(S)], int)
    whys = np.array([chosen[s][3] for s in range(S)], int)
    results = _finish_batch(circuit, cleaned, data, Pf, its, whys, free, tr, fixed_d, wnames, sigmas, labels, loops)
    if cb:
        cb(S, S)
    return results


# ---------------------------------------------------------------------------------------------------------------
# profile likelihood
@_quietly
def profile(result: FitResult, name: str, level: float = 0.95, max_steps: int = 60,
            max_iter: int = 200) -> ProfileResult:
    """Profile-likelihood interval of ``name`` for a fitted ``result``: the parameter is stepped away from its best
    value (in its fitting coordinate: ln p, or the logit of an exponent) and every other free parameter refitted at
    each step, until χ² has risen by the χ²₁ quantile of ``level`` in noise units (the best fit's χ²_red; 3.84 for
    95 %) or the parameter reaches its bound (1e±100 for an unbounded positive one; that side is then *open*).
    The crossing is interpolated linearly between the last two steps.

    Use it where the Jacobian error is meaningless: an arc outside the band (R1 of a hot pellet: the lower end is
    typically open — R1 → 0 fits as well), a parameter at a bound, or strongly non-linear dependence."""
    from scipy.stats import chi2 as chi2_dist

    if not isinstance(result, FitResult):
        raise FitError(f"profile: expected a FitResult, got {type(result).__name__}")
    if name not in result.params:
        raise FitError(f"profile: circuit {result.circuit} has no parameter {name!r} "
                       f"(has {', '.join(result.param_names)})")
    if name in result.fixed:
        raise FitError(f"profile: {name} was fixed in this fit")
    if not 0 < level < 1:
        raise FitError(f"profile: level must lie between 0 and 1, got {level}")
    if result.sigma.size != result.freq_Hz.size:
        raise FitError("profile: this result carries no weights (sigma); refit it with this sselab version")
    circuit = Circuit(result.circuit)
    names = circuit.param_names
    k = names.index(name)
    tr = _lm.Transform(circuit, result.bounds or None)
    fixed_idx = [names.index(n) for n in result.fixed]
    free_all = np.array([j for j in range(len(names)) if j not in fixed_idx], int)
    free = free_all[free_all != k]
    f = np.asarray(result.freq_Hz, float)
    w = 2 * np.pi * f
    sig = np.asarray(result.sigma, complex)
    pb = _lm.Problem(circuit, w[None], np.log(w)[None], np.asarray(result.Z, complex)[None],
                     1.0 / sig.real[None], 1.0 / sig.imag[None],
                     np.array([[result.params[n] for n in names]]), free, tr)
    noise = max(result.chi2_reduced, 1e-300)
    chi0 = float(result.chi2)
    thr = float(chi2_dist.ppf(level, 1))
    kk = np.array([k])
    P_best = pb.P.copy()
    u_best = float(tr.to_u(P_best[:, kk], kk)[0, 0])
    # first step: half the Jacobian error in the fitting coordinate (0.05 when undetermined), doubled while χ² stays
    # flat, up to the parameter's bound (1e±100 for an unbounded positive parameter) each way
    _, d = tr.to_p(np.array([[u_best]]), kk)
    e = result.stderr[name]
    su = e / max(abs(float(d[0, 0])), 1e-300) if math.isfinite(e) and e > 0 else math.nan
    h0 = float(np.clip(su / 2, 1e-7, 0.5)) if math.isfinite(su) else 0.05
    span = _lm.U_LIM if tr.mode[k] in (0, 3) else 2 * _lm.SIG_LIM
    lim_lo, lim_hi = (-_lm.SIG_LIM + 1, _lm.SIG_LIM - 1) if tr.mode[k] in (1, 2) else (-_lm.U_LIM + 1,
                                                                                       _lm.U_LIM - 1)
    known = {u_best: (chi0, P_best)}

    def point(u, inner):
        """Δχ² (noise units) with parameter k pinned at u (fitting coordinate), the others refitted from the known
        point ``inner`` (the neighbour towards the best fit) — and, if χ² rose past the threshold, also from the best
        fit itself (the lower wins: an inner fit that lost its way must not fake a wall)."""
        pk = float(tr.to_p(np.array([[u]]), kk)[0][0, 0])
        best = None
        for start in ([known[inner][1]] if inner == u_best else [known[inner][1], P_best]):
            P = start.copy()
            P[0, k] = pk
            pb.P = P
            c, P_new = _refit_one(pb, max_iter)
            if best is None or c < best[0]:
                best = (c, P_new)
            if (c - chi0) / noise < thr:
                break
        known[u] = best
        return (best[0] - chi0) / noise

    ends = {}
    for direction in (-1, 1):
        u, h = u_best, h0
        limit = max(lim_lo, u_best - span) if direction < 0 else min(lim_hi, u_best + span)
        crossing = None
        for _ in range(max_steps):
            u_next = u + direction * h
            hit = (u_next <= limit) if direction < 0 else (u_next >= limit)
            if hit:
                u_next = limit
            dchi = point(u_next, u)
            if dchi >= thr:
                crossing = (u, u_next)
                break
            u = u_next
            if hit:
                break
            if dchi < thr / 100:  # flat: stride out (a parameter run off to 0 may need 20+ e-folds)
                h = min(2 * h, 4.0)
            elif dchi < thr / 4:
                h = min(2 * h, 0.5)
        if crossing is not None:
            # refine between the bracketing points: interpolation on √Δχ² (about linear in u near the minimum),
            # bisection whenever that does not halve the bracket (profiles with a wall, e.g. R0 → 0)
            a, b = crossing
            for it in range(16):
                da = math.sqrt(max((known[a][0] - chi0) / noise, 0.0))
                db = math.sqrt(max((known[b][0] - chi0) / noise, 0.0))
                t = (math.sqrt(thr) - da) / (db - da) if db != da else 0.5
                m = a + (min(max(t, 0.05), 0.95) if it % 2 == 0 else 0.5) * (b - a)
                dm = point(m, a)
                if abs(dm - thr) < 0.02 * thr or abs(b - a) < 1e-9:
                    break
                a, b = (m, b) if dm < thr else (a, m)
        ends[direction] = crossing is not None
    uu = np.array(sorted(known))
    cc = np.array([known[x][0] for x in uu])
    note = ""
    cmin = float(np.min(cc))
    if cmin < chi0 - 0.05 * noise:
        j = int(np.argmin(cc))
        pv = float(tr.to_p(uu[j:j + 1, None], kk)[0][0, 0])
        gap = (chi0 - cmin) / noise
        note = (f"the profile found a lower χ² at {name} = {pv:.4g}, {gap:.2g} noise units below the fit: "
                + ("a flat valley (the interval is measured from that minimum)" if gap < 1 else
                   "the fit was not at the global minimum (the interval is measured from the lower χ²)"))
    dchi2 = (cc - min(cmin, chi0)) / noise
    jb = int(np.argmin(dchi2))

    def crossing_value(side):
        idx = range(jb, -1, -1) if side < 0 else range(jb, len(uu))
        prev = None
        for j in idx:
            if dchi2[j] >= thr and prev is not None:
                a, b = prev, j
                sa, sb = math.sqrt(max(dchi2[a], 0.0)), math.sqrt(dchi2[b])
                t = (math.sqrt(thr) - sa) / (sb - sa) if sb != sa else 1.0
                return float(tr.to_p(np.array([[uu[a] + t * (uu[b] - uu[a])]]), kk)[0][0, 0]), False
            prev = j
        lo_b, hi_b = tr.bounds[name]
        return (lo_b if side < 0 else hi_b), True

    lower, lower_open = crossing_value(-1)
    upper, upper_open = crossing_value(1)
    values = tr.to_p(uu[:, None], kk)[0][:, 0]
    unit = circuit.param_units[name]
    return ProfileResult(name=name, unit=unit, value=float(result.params[name]), stderr=float(result.stderr[name]),
                         level=float(level), threshold=thr, lower=lower, upper=upper, lower_open=lower_open,
                         upper_open=upper_open, values=values, delta_chi2=dchi2, note=note)


def _refit_one(pb: _lm.Problem, max_iter: int):
    """Refit the free parameters of a one-row problem from its current P; returns (χ², P)."""
    free = pb.free
    if free.size == 0:
        c, _, _ = _lm.evaluate(pb, None, np.zeros((1, 0)))
        return float(c[0]), pb.P.copy()
    u0 = pb.tr.to_u(pb.P[:, free], free)
    logistic = np.isin(pb.tr.mode[free], (1, 2))
    u0[:, logistic] = np.clip(u0[:, logistic], -8.0, 8.0)
    u, cost, _, _, _, _ = _lm.lm(pb, u0, max_iter=max_iter)
    P = pb.P.copy()
    P[:, free] = pb.tr.to_p(u, free)[0]
    return float(cost[0]), P


# ---------------------------------------------------------------------------------------------------------------
# input handling
def _as_spectra(spectra) -> list:
    """[(f, Z), ...] from a list of pairs, a Measurement (all its sweeps) or a list of Measurements."""
    if hasattr(spectra, "spectra") and callable(spectra.spectra):
        return list(spectra.spectra())
    out = []
    try:
        items = list(spectra)
    except TypeError:
        raise FitError(f"fit_batch: expected a list of (freq_Hz, Z) pairs, got {type(spectra).__name__}") from None
    for item in items:
        if hasattr(item, "spectra") and callable(item.spectra):
            out.extend(item.spectra())
        else:
            try:
                f, z = item
            except (TypeError, ValueError):
                raise FitError("fit_batch: every spectrum must be a (freq_Hz, Z) pair or a Measurement") from None
            out.append((f, z))
    return out


def _weights(weighting, f, z, label="spectrum"):
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
        raise FitError(f"{label}: weighting array must hold one positive finite sigma per fitted point "
                       f"({z.size} points)")
    if np.iscomplexobj(s):
        if np.any(s.real == 0) or np.any(s.imag == 0):
            raise FitError(f"{label}: complex sigma needs both parts non-zero")
        return 1.0 / np.abs(s.real), 1.0 / np.abs(s.imag), "sigma"
    return 1.0 / np.abs(s), 1.0 / np.abs(s), "sigma"


def _clean(freq_Hz, Z, label: str = "spectrum", weighting="modulus"):
    """Finite points with f > 0 (and |Z| > 0 for relative weightings).  Returns f, z, number dropped, reason text."""
    try:
        f = np.asarray(freq_Hz, dtype=float).ravel()
    except (TypeError, ValueError):
        raise FitError(f"{label}: frequencies must be numbers") from None
    try:
        z = np.asarray(Z).ravel()
    except (TypeError, ValueError):
        raise FitError(f"{label}: impedance must be complex numbers") from None
    if not np.iscomplexobj(z):
        raise FitError(f"{label}: Z must be complex (Z' + jZ''); got real values")
    if f.shape != z.shape:
        raise FitError(f"{label}: {f.size} frequencies but {z.size} impedance values")
    if f.size == 0:
        raise FitError(f"{label}: no data points")
    reasons = []
    bad_f = ~np.isfinite(f)
    neg = np.isfinite(f) & (f < 0)
    zero = f == 0
    bad_z = np.isfinite(f) & (f > 0) & ~np.isfinite(z)
    relative = isinstance(weighting, str) and weighting.lower() in ("modulus", "proportional")
    zero_z = np.isfinite(f) & (f > 0) & np.isfinite(z) & (z == 0) if relative else np.zeros(f.size, bool)
    good = ~(bad_f | neg | zero | bad_z | zero_z)
    if neg.all():
        raise FitError(f"{label}: every frequency is negative ({f.size} points); frequencies must be > 0 "
                       "(a sign problem in the file or its export)")
    for mask, what in ((neg, "negative frequency"), (zero, "zero frequency"), (bad_f, "non-finite frequency"),
                       (bad_z, "non-finite impedance (NaN/inf)"), (zero_z, "|Z| = 0 (relative weighting)")):
        if mask.any():
            reasons.append(f"{int(mask.sum())} with {what}")
    dropped = int((~good).sum())
    f, z = f[good], z[good]
    if f.size < 3:
        why = "; ".join(reasons) if reasons else "too few points"
        raise FitError(f"{label}: only {f.size} usable points (need ≥ 3 with f > 0 and finite Z; {why})")
    if np.all(np.abs(z) == 0):
        raise FitError(f"{label}: impedance is zero everywhere")
    text = (f"{dropped} of {dropped + f.size} point(s) ignored: " + ", ".join(reasons)) if dropped else ""
    return f, z, dropped, text


def _finite_value(what: str, name: str, v) -> float:
    """A user's value for parameter ``name`` as a finite float (one-line FitError otherwise)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise FitError(f"{what}: {name} needs a finite number, got {v!r}") from None
    if not math.isfinite(x):
        raise FitError(f"{what}: {name} needs a finite number, got {v!r}")
    return x


def _resolve_fixed(circuit: Circuit, fixed) -> dict[str, float]:
    if fixed is None:
        return {}
    if isinstance(fixed, Mapping):
        out = {}
        for k, v in fixed.items():
            if k not in circuit.param_names:
                raise FitError(f"fixed: circuit {circuit.text} has no parameter {k!r} "
                               f"(has {', '.join(circuit.param_names)})")
            out[k] = _finite_value("fixed", k, v)
        return out
    raise FitError("fixed must be a mapping name -> value, e.g. {'CPE2_alpha': 1.0}")


def _check_initial(circuit: Circuit, initial) -> dict[str, float]:
    if initial is None:
        return {}
    if isinstance(initial, Mapping):
        bad = [k for k in initial if k not in circuit.param_names]
        if bad:
            raise FitError(f"initial: circuit {circuit.text} has no parameter {', '.join(bad)}")
        return {k: _finite_value("initial", k, v) for k, v in initial.items()}
    arr = circuit.as_array(initial)
    if not np.all(np.isfinite(arr)):
        raise FitError("initial: values must be finite")
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
    for s, c in enumerate(cleaned):
        groups.setdefault((c[0].size, c[0].tobytes()), []).append(s)
    out: list = [None] * len(cleaned)
    done = 0
    total = len(cleaned)
    for members in groups.values():
        f = cleaned[members[0]][0]
        base = done
        g = guesses_many(circuit, f, np.array([cleaned[s][1] for s in members]), n_starts, ordered=ordered,
                         tick=None if tick is None else (lambda n, b=base: tick((b + n) / total)))
        for j, s in enumerate(members):
            out[s] = g[j]
        done += len(members)
    return out


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


# ---------------------------------------------------------------------------------------------------------------
# the multi-start LM runs
def _logp(circuit: Circuit, P: np.ndarray) -> np.ndarray:
    return np.where(circuit.is_fraction, P * 10.0, np.log(np.maximum(P, 1e-300)))


def _run(circuit, data, P0, owner, free, tr, max_iter, P_ref: np.ndarray | None = None,
         chunk_rows: int = _CHUNK_ROWS, scout_iter: int | None = None, tick=None):
    """:func:`_run_rows` in chunks of whole spectra (bounded memory for very large batches).
    ``tick(fraction_done)`` is called after each chunk (progress reporting)."""
    if len(owner) <= chunk_rows:
        out = _run_rows(circuit, data, P0, owner, free, tr, max_iter, P_ref=P_ref, scout_iter=scout_iter)
        if tick is not None:
            tick(1.0)
        return out
    out = [np.empty_like(P0), np.empty((len(owner), free.size)), np.empty(len(owner)),
           np.empty(len(owner), int), np.empty(len(owner), int)]
    spectra = np.unique(owner)
    per = max(1, chunk_rows // max(1, int(np.ceil(len(owner) / len(spectra)))))
    for i in range(0, len(spectra), per):
        rows = np.flatnonzero(np.isin(owner, spectra[i:i + per]))
        res = _run_rows(circuit, data, P0[rows], owner[rows], free, tr, max_iter,
                        P_ref=None if P_ref is None else P_ref[rows], scout_iter=scout_iter)
        for o, r in zip(out, res):
            o[rows] = r
        if tick is not None:
            tick(min(1.0, (i + per) / len(spectra)))
    return tuple(out)


def _problem(circuit, data, owner, P0, free, tr) -> _lm.Problem:
    omega, lw, zz, WR, WI = data
    return _lm.Problem(circuit, omega[owner], lw[owner], zz[owner], WR[owner], WI[owner], P0.copy(), free, tr)


def _run_rows(circuit, data, P0, owner, free, tr, max_iter, keep: int | None = None,
              scout_iter: int | None = None, P_ref: np.ndarray | None = None):
    """LM from every start row (owner = spectrum index per row).  After ``scout_iter`` iterations only the ``keep``
    best starts of each spectrum continue.  ``P_ref`` (per row; default the starts): data-driven values that
    parameters collapsed onto a flat boundary are reset to in the rescue step.
    Returns P, u, χ², iterations, stop reason per row (rows not continued have χ² = inf)."""
    keep = _KEEP if keep is None else keep
    scout_iter = _SCOUT_ITER if scout_iter is None else scout_iter
    pb = _problem(circuit, data, owner, P0, free, tr)
    u0 = tr.to_u(P0[:, free], free)
    # starts outside user bounds would sit on a saturated logistic (no gradient): pull them inside
    logistic = np.isin(tr.mode[free], (1, 2))
    u0[:, logistic] = np.clip(u0[:, logistic], -8.0, 8.0)
    u, cost, it, why, A, _ = _lm.lm(pb, u0, max_iter=min(scout_iter, max_iter))
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
    go = sel & (why == _lm.ITERATION_CAP)
    if go.any() and max_iter > scout_iter:
        idx = np.flatnonzero(go)
        u2, c2, it2, w2, A2, _ = _lm.lm(pb.take(idx), u[idx], max_iter=max_iter - scout_iter)
        u[idx], cost[idx], it[idx], why[idx], A[idx] = u2, c2, it[idx] + it2, w2, A2
    cost = np.where(sel, cost, np.inf)
    if max_iter > scout_iter and free.size:
        u_ref = u0 if P_ref is None else tr.to_u(P_ref[:, free], free)
        _rescue(pb, owner, u_ref, u, cost, it, why, A, max_iter)
    P = P0.copy()
    p, _ = tr.to_p(u, free)
    P[:, free] = p
    return P, u, cost, it, why


def _rescue(pb: _lm.Problem, owner, u_ref, u, cost, it, why, A, max_iter) -> None:
    """Refinement of poor fits: a log-parameter that ran off to a flat boundary (R0 → 0, Q → ∞ ...) has no
    gradient left to come back.  Restart the best fit of each spectrum with such parameters reset to their
    data-driven reference values; keep the result where χ² improves (in place)."""
    order = np.lexsort((cost, owner))
    best = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    best = best[np.isfinite(cost[best])]
    if best.size == 0:
        return
    coln = np.sqrt(np.maximum(np.einsum("bpp->bp", A[best]), 0.0))
    moved = np.abs(u[best] - u_ref[best]) > math.log(100.0)
    flat = (coln < 1e-3 * coln.max(axis=1, keepdims=True)) & moved
    need = flat.any(axis=1)
    if not need.any():
        return
    rows = best[need]
    ur = u[rows].copy()
    ur[flat[need]] = u_ref[rows][flat[need]]
    u2, c2, it2, w2, A2, _ = _lm.lm(pb.take(rows), ur, max_iter=max_iter)
    better = c2 < cost[rows] * (1 - 1e-6)
    r = rows[better]
    u[r], cost[r], it[r], why[r], A[r] = u2[better], c2[better], it[r] + it2[better], w2[better], A2[better]


# ---------------------------------------------------------------------------------------------------------------
# arcs
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


def _order_arcs(circuit: Circuit, P: np.ndarray, skip: set | frozenset = frozenset(), tr=None,
                fixed: Mapping | None = None) -> np.ndarray:
    """Sort runs of identical top-level R‖CPE (or R‖C) arcs by apex frequency, high first.  Vectorised over the
    rows of ``P``.  In groups in ``skip`` (arcs the user pinned asymmetrically) a row is reordered only where the
    sorted assignment keeps every fixed value in place and every parameter inside its bounds (``tr.bounds``)."""
    P = np.array(P, float)
    B = P.shape[0]
    rows = np.arange(B)[:, None]
    names = circuit.param_names
    fixed = fixed or {}
    for gi, g in enumerate(_arc_groups(circuit)):
        idx = np.array([[*r_el.index, *cap.index] for r_el, cap in g])  # (n_arcs, 1 + cap params)
        et = ELEMENTS[g[0][1].kind]
        vals = P[:, idx]  # (B, n_arcs, n)
        ltau, _ = et.rc_log_tau(vals[:, :, 0], [vals[:, :, j] for j in range(1, idx.shape[1])])
        ltau = np.where(np.isfinite(ltau), ltau, np.inf)
        order = np.argsort(ltau, axis=1, kind="stable")  # shortest τ (highest apex) first
        new = vals[rows, order].reshape(B, -1)
        ok = np.ones(B, bool)
        if gi in skip:
            if tr is None:
                continue
            for col, k in enumerate(idx.ravel()):
                nm = names[k]
                if nm in fixed:
                    ok &= new[:, col] == P[:, k]
                else:
                    lo, hi = tr.bounds[nm]
                    ok &= (new[:, col] >= lo) & (new[:, col] <= hi)
        P[np.ix_(np.flatnonzero(ok), idx.ravel())] = new[ok]
    return P


# ---------------------------------------------------------------------------------------------------------------
# results
def _finish_batch(circuit: Circuit, cleaned, data, Pf, its, whys, free, tr, fixed, wnames, sigmas, labels,
                  loops) -> list[FitResult]:
    """Covariances, evidence, flags and warnings for every spectrum at once; then one FitResult each."""
    S = Pf.shape[0]
    names = circuit.param_names
    n = circuit.n_params
    F = free.size
    uf = tr.to_u(Pf[:, free], free)
    pb = _problem(circuit, data, np.arange(S), Pf, free, tr)
    cost = np.empty(S)
    A = np.empty((S, F, F))
    g = np.empty((S, F))
    zfit = np.empty(data[2].shape, complex)
    step = max(1, _CHUNK_ROWS)
    for a in range(0, S, step):
        r = np.arange(a, min(S, a + step))
        cost[r], A[r], g[r] = _lm.evaluate(pb, r, uf[r])
        zfit[r] = _model(circuit, pb.omega[r], pb.log_omega[r], Pf[r])
    npts = np.array([c[0].size for c in cleaned])
    dof = np.maximum(2 * npts - F, 1)
    finite = np.isfinite(cost) & np.all(np.isfinite(Pf), axis=1)
    if not finite.all():
        s = int(np.flatnonzero(~finite)[0])
        raise FitError(f"{labels[s]}: fit produced non-finite parameters")
    chi2_red = cost / dof
    # parameters at bounds: finite bounds (transform) and log-parameters the model no longer feels
    side = np.zeros((S, F), int)
    if F:
        side = tr.at_bound(uf, free)
        sens = np.einsum("bpp->bp", A) / np.maximum(chi2_red, 1e-300)[:, None]  # Δχ² (noise units) per e-fold
        loose = (sens < _lm.LOOSE) & np.isin(tr.mode[free], (0, 3))[None, :] & (side == 0)
        if loose.any():
            side = np.where(loose, _runoff_side(pb, uf, loose, chi2_red), side)
    # status: an end is a success only where the Gauss-Newton model expects < _STALL_GAIN noise units more, over
    # the parameters not at a bound (a saturated bound or a parameter run off to 0 / ∞ cannot move further)
    dec = _lm.decrement(A, g, active=side == 0) / np.maximum(chi2_red, 1e-300)
    # (at the precision floor — exact or synthetic data matched to 1e-8 rms of the weighted data — the noise unit
    # means nothing and a promise is not a stall)
    at_floor = cost <= _lm.FLOOR * pb.scale2
    stalled = np.isin(whys, (_lm.CONVERGED, _lm.PLATEAU)) & (dec > _STALL_GAIN) & ~at_floor
    # covariance in u (scaled for a well-conditioned inverse), then in p
    cov_full = np.zeros((S, n, n))
    if F:
        dA = np.einsum("bpp->bp", A)
        sc = np.sqrt(np.maximum(dA, 1e-300))
        As = A / (sc[:, :, None] * sc[:, None, :])
        try:
            w_eig, V = np.linalg.eigh(As)
            ok_eig = np.ones(S, bool)
        except np.linalg.LinAlgError:
            w_eig, V = np.ones((S, F)), np.repeat(np.eye(F)[None], S, axis=0)
            ok_eig = np.zeros(S, bool)
        tiny = w_eig < 1e-13 * np.maximum(w_eig.max(axis=1, keepdims=True), 1e-300)
        inv_w = np.where(tiny, 0.0, 1.0 / np.where(tiny, 1.0, w_eig))
        cov_s = (V * inv_w[:, None, :]) @ V.transpose(0, 2, 1)
        null = (np.abs(V) * tiny[:, None, :]).max(axis=2) > 1e-3  # parameters in the null space: undetermined
        null |= ~ok_eig[:, None]
        cov_u = cov_s / (sc[:, :, None] * sc[:, None, :]) * chi2_red[:, None, None]
        cov_u = np.where(null[:, :, None] | null[:, None, :], np.inf, cov_u)
        _, D = tr.to_p(uf, free)
        cov_p = cov_u * (D[:, :, None] * D[:, None, :])
        cov_p = np.where(np.isnan(cov_p), np.inf, cov_p)
        cov_full[:, free[:, None], free[None, :]] = cov_p
    diag = np.einsum("bpp->bp", cov_full)
    err = np.sqrt(np.where(diag >= 0, diag, np.inf))
    corr = cov_full / (err[:, :, None] * err[:, None, :])
    corr = np.where(np.isfinite(corr), corr, 0.0)
    fixed_idx = [names.index(k) for k in names if k in fixed]
    for k in fixed_idx:
        corr[:, k, :] = 0.0
        corr[:, :, k] = 0.0
    corr[:, np.arange(n), np.arange(n)] = 1.0
    # arcs outside the window
    fmin = np.array([c[0].min() for c in cleaned])
    fmax = np.array([c[0].max() for c in cleaned])
    arcs = [tc for tc in circuit.time_constants() if tc.resistor is not None]
    apex = {tc.name: tc.apex_Hz(Pf) for tc in arcs}
    fixed_names = tuple(k for k in names if k in fixed)
    out = []
    for s in range(S):
        f, z, dropped, why_dropped = cleaned[s]
        warns: list[str] = []
        flags: dict[str, str] = {}
        if dropped:
            warns.append(why_dropped)
        loop_f, loop_z, loop_excl, loop_msg = loops[s]
        if loop_msg:
            warns.append(loop_msg)
            flags[LF_LOOP] = "excluded" if loop_excl else "kept"
        params = dict(zip(names, Pf[s].tolist()))
        stderr = dict(zip(names, err[s].tolist()))
        for k in free:
            nm = names[k]
            if not math.isfinite(stderr[nm]):
                flags.setdefault(nm, "undetermined")
                warns.append(f"{nm} is not determined by the data (singular Jacobian)")
        outside = []
        for tc in arcs:
            r_name = tc.resistor
            fa = float(apex[tc.name][s])
            R = params[r_name]
            if not (fmin[s] <= fa <= fmax[s]):
                where = "above" if fa > fmax[s] else "below"
                flags[r_name] = "outside-window"
                outside.append(r_name)
                warns.append(f"{r_name}: arc outside the measured window (apex {fa:.3g} Hz {where} the data, "
                             f"{fmin[s]:.3g}–{fmax[s]:.3g} Hz); {r_name} is not resolved")
            elif math.isfinite(stderr[r_name]) and stderr[r_name] > 0.5 * abs(R) and r_name not in fixed:
                flags.setdefault(r_name, "poorly-determined")
                warns.append(f"{r_name} is poorly determined (±{100 * stderr[r_name] / abs(R):.0f} %)")
        at_b = {}
        for j, k in enumerate(free):
            if side[s, j]:
                nm = names[k]
                which = "lower" if side[s, j] < 0 else "upper"
                at_b[nm] = which
                lo, hi = tr.bounds[nm]
                bval = lo if which == "lower" else hi
                if tr.mode[k] in (1, 2):  # a finite bound
                    warns.append(f"{nm} at its {which} bound ({bval:g}); standard error meaningless (use profile)")
                else:
                    warns.append(f"{nm} → {'0' if which == 'lower' else '∞'}: not needed by the data; standard "
                                 "error meaningless")
        w_ = whys[s]
        if w_ == _lm.ITERATION_CAP:
            status, msg = "iteration-cap", "stopped at the iteration cap before converging"
            warns.append("fit stopped at the iteration cap before converging")
        elif w_ == _lm.FAILED:
            status, msg = "failed", "the optimiser met non-finite values"
            warns.append("fit failed: the optimiser met non-finite values")
        elif stalled[s]:
            status = "stalled"
            msg = f"stalled: χ² could still fall by ≈{dec[s]:.2g} noise units but no step improved it"
            warns.append(f"fit stalled before the minimum (χ² could still fall by ≈{dec[s]:.2g} noise units)")
        elif w_ == _lm.PLATEAU:
            status, msg = "plateau", "converged (χ² plateau: a flat direction, see undetermined parameters)"
        else:
            status, msg = "converged", "converged"
        success = status in ("converged", "plateau")
        nn = f.size
        sig = sigmas[s]
        zf = zfit[s, :nn].copy()
        resid = (z - zf) / np.abs(z)
        out.append(FitResult(
            circuit=circuit.text, param_names=list(names), params=params, stderr=stderr, correlation=corr[s],
            covariance=cov_full[s], chi2=float(cost[s]), chi2_reduced=float(chi2_red[s]), weighting=wnames[s],
            success=success, n_iter=int(its[s]), warnings=tuple(warns), flags=flags, fixed=fixed_names,
            freq_Hz=f, Z=z, Z_fit=zf, residuals=resid, message=msg,
            lf_loop_freq_Hz=np.asarray(loop_f, float), lf_loop_Z=np.asarray(loop_z, complex),
            lf_loop_excluded=bool(loop_excl), label=labels[s], status=status, params_at_bounds=at_b,
            outside_window=tuple(outside), bounds=dict(tr.bounds), sigma=sig, n_dropped=int(dropped)))
    return out


def _model(circuit: Circuit, omega, lw, P) -> np.ndarray:
    from .circuit import _quiet_eval

    z = _quiet_eval(circuit.tree, P, omega, lw, None)
    return np.broadcast_to(z, omega.shape)


def _runoff_side(pb: _lm.Problem, uf: np.ndarray, loose: np.ndarray, chi2_red: np.ndarray) -> np.ndarray:
    """For log-parameters with (almost) no effect on χ²: −1 when the parameter is heading to 0 (its effect grows
    when it grows, e.g. a series R0 → 0), +1 when heading to ∞ (e.g. the Q of a series CPE: a short)."""
    side = np.zeros(loose.shape, int)
    for j in np.flatnonzero(loose.any(axis=0)):
        rows = np.flatnonzero(loose[:, j])
        u1 = uf[rows].copy()
        u1[:, j] += 1.0
        _, A1, _ = _lm.evaluate(pb, rows, u1)
        _, A0, _ = _lm.evaluate(pb, rows, uf[rows])
        side[rows, j] = np.where(A1[:, j, j] >= A0[:, j, j], -1, 1)
    return side
