"""DRT peaks → processes: peak τ, R, C = τ/R, assignment, and circuit seeds for :func:`sselab.eis.fit`.

1. **Detection.**  Peaks are local maxima of the regularised γ(ln τ) with a prominence of at least
   ``prominence``·γ_max whose area is at least ``min_fraction``·R_pol.
2. **Areas.**  Each peak is described by a Cole–Cole shape — the DRT of a ZARC, area R_k, centre τ_k, exponent α_k::

       γ_k(ln τ) = R_k/(2π) · sin(α_k π) / (cosh(α_k ln(τ/τ_k)) + cos(α_k π))

   started from the maximum (centre), the half width (α) and the valley-bounded area (R); γ is apportioned
   between overlapping peaks in proportion to these shapes, so the peak areas ``R_area_ohm`` add up to R_pol.
3. **Refinement** (default).  Regularisation broadens and merges neighbouring peaks, which biases their areas and
   positions (two ZARCs a decade apart at 1 % noise: R off by ~5–10 %, τ by ~10 %).  The peaks are therefore
   refined by fitting the *parametric* DRT Σ_k γ_k (i.e. Z = R∞ + jωL + Σ_k R_k/(1 + (jωτ_k)^α_k) + tail) to the
   impedance itself, weighted as the DRT, started from the DRT peaks (number and values); ``R_ohm``/``tau_s``/
   ``alpha`` are then the refined values with standard errors from the fit's covariance.  The refinement is kept
   only when it converges, every peak stays within a decade of its DRT position with R within a factor 3 of its
   area, and its residual is not worse than twice the DRT reconstruction's (+0.2 %); otherwise the area values are
   reported and the result carries the flag ``peak-refinement-rejected``.
"""
from __future__ import annotations

import math

import numpy as np

from .core import DRTPeak

__all__ = ["find_peaks", "refine_peaks", "cole_cole", "seed_circuit", "CircuitSeed", "fit_seeded"]

_MIN_SEP = 0.25 * math.log(10)   # peaks closer than a quarter decade are not resolved
_AL = np.linspace(0.2, 0.995, 160)
_FW = 2 * np.arccosh(2 + np.cos(_AL * math.pi)) / _AL    # Cole–Cole FWHM in ln τ (decreasing in α)


def cole_cole(ln_tau, R, ln_tau0, alpha):
    """DRT of a ZARC (Ω per unit ln τ); area R."""
    a = np.clip(alpha, 1e-3, 0.9999)
    x = a * (np.asarray(ln_tau, float) - ln_tau0)
    return R / (2 * math.pi) * np.sin(a * math.pi) / (np.cosh(np.clip(x, -700, 700)) + np.cos(a * math.pi))


def _fwhm_to_alpha(fwhm_ln: float) -> float:
    return float(np.interp(fwhm_ln, _FW[::-1], _AL[::-1]))


def _shapes(y, g, idx):
    """Quick Cole–Cole description (R, ln τ, α) of each candidate peak."""
    dy = float(y[1] - y[0])
    edges = [0]
    for a, b in zip(idx[:-1], idx[1:]):
        edges.append(a + int(np.argmin(g[a:b + 1])))
    edges.append(g.size - 1)
    R, lt, al = [], [], []
    for k, i in enumerate(idx):
        # centre: vertex of the parabola through the maximum and its neighbours
        if 0 < i < g.size - 1:
            g0, g1, g2 = g[i - 1], g[i], g[i + 1]
            den = g0 - 2 * g1 + g2
            off = 0.5 * (g0 - g2) / den if den < 0 else 0.0
        else:
            off = 0.0
        lt.append(y[i] + float(np.clip(off, -0.5, 0.5)) * dy)
        half = g[i] / 2
        lo = i
        while lo > edges[k] and g[lo] > half:
            lo -= 1
        hi = i
        while hi < edges[k + 1] and g[hi] > half:
            hi += 1
        # half width on the better-defined side (the other may run into a neighbour)
        w_side = min(i - lo, hi - i) if (lo > edges[k] and hi < edges[k + 1]) else max(i - lo, hi - i)
        al.append(_fwhm_to_alpha(max(2 * w_side * dy, 2 * dy)))
        R.append(max(float(np.sum(g[edges[k]:edges[k + 1] + 1]) * dy), 1e-30))
    return np.array(R), np.array(lt), np.array(al)


def _apportion(y, g, R, lt, al):
    shapes = np.array([cole_cole(y, R[k], lt[k], al[k]) for k in range(R.size)])
    tot = shapes.sum(axis=0)
    share = np.divide(shapes, tot, out=np.zeros_like(shapes), where=tot > 1e-300)
    far = tot <= 1e-300   # where no shape reaches (far tails), γ goes to the nearest peak
    if far.any():
        near = np.argmin(np.abs(y[far][:, None] - lt[None, :]), axis=1)
        share[:, far] = 0
        share[near, np.flatnonzero(far)] = 1
    return share, (share * g).sum(axis=1) * float(y[1] - y[0])


def find_peaks(tau_s, gamma_ohm, R_pol_ohm, *, prominence: float = 0.02, min_fraction: float = 0.005,
               samples=None):
    """Peaks of γ(τ) by area: dict of arrays ``R_area``, ``ln_tau``, ``alpha``, ``gamma_max``, ``R_area_err``
    (from ``samples``, posterior/bootstrap draws of γ on the same grid, or None), sorted by τ."""
    from scipy.signal import find_peaks as sp_find_peaks

    y = np.log(np.asarray(tau_s, float))
    g = np.asarray(gamma_ohm, float)
    empty = dict(R_area=np.empty(0), ln_tau=np.empty(0), alpha=np.empty(0), gamma_max=np.empty(0), R_area_err=None)
    gmax = float(g.max()) if g.size else 0.0
    if not gmax > 0:
        return empty
    idx, _ = sp_find_peaks(g, prominence=prominence * gmax)
    while idx.size:
        R, lt, al = _shapes(y, g, idx)
        share, Ra = _apportion(y, g, R, lt, al)
        keep = Ra >= min_fraction * max(R_pol_ohm, 1e-300)
        if keep.all():
            break
        idx = idx[keep]       # drop the insignificant ones, apportion again among the rest
    if idx.size == 0:
        return empty
    err = None
    if samples is not None and len(samples) > 2:
        err = np.std((np.asarray(samples) * float(y[1] - y[0])) @ share.T, axis=0, ddof=1)
    return dict(R_area=Ra, ln_tau=lt, alpha=al, gamma_max=g[idx], R_area_err=err)


# ---------------------------------------------------------------------------------------------------------------
# refinement: the parametric DRT (sum of Cole–Cole peaks) fitted to the impedance
def _zarc_model(p, w, K, use_L, tail, zs):
    """Z (normalised by zs) and the Jacobian (N × P complex) of Σ ZARC + R∞ + jωL + A (jω)^-α_t."""
    lw = np.log(w)
    n = w.size
    P = p.size
    J = np.empty((P, n), complex)
    z = np.zeros(n, complex)
    if K:
        q = p[:3 * K].reshape(K, 3)
        R, lt, a = np.exp(q[:, 0]), q[:, 1], q[:, 2]
        X = lw[None, :] + lt[:, None] + 0.5j * math.pi
        u = np.exp(a[:, None] * X)
        D = 1.0 + u
        zk = R[:, None] / D
        g = zk * u / D
        z += zk.sum(axis=0)
        J[0:3 * K:3] = zk
        J[1:3 * K:3] = -g * a[:, None]
        J[2:3 * K:3] = -g * X
    j = 3 * K
    z += p[j]
    J[j] = 1.0
    j += 1
    if use_L:
        c = 1j * w / w.max()
        z += c * p[j]
        J[j] = c
        j += 1
    if tail:
        la, at = p[j], p[j + 1]
        Y = lw - math.log(w.min()) + 0.5j * math.pi
        zt = np.exp(la - at * Y)
        z += zt
        J[j] = zt
        J[j + 1] = -zt * Y
    return z, J.T


def refine_peaks(freq_Hz, Z, weights, zs, raw, R_inf, L, tail_Q, tail_alpha, rms_drt, ln_tau_bounds,
                 max_fits: int = 16, min_fraction: float = 0.01):
    """Refine the DRT peaks ``raw`` (see :func:`find_peaks`) by fitting Σ ZARC (+ R∞, L, tail) to the spectrum,
    choosing which peaks the data support by forward selection with the Bayesian information criterion
    BIC = n·ln(RSS/n) + P·ln n:

    1. fit the major peaks (area ≥ 10 % of R_pol; at least the largest); drop any whose R is not determined to
       better than a third (R < 3 σ_R), least significant first;
    2. add the minor DRT peaks one at a time — the addition with the lowest BIC is kept when it lowers the BIC by
       more than 10 (very strong evidence) and every peak stays significant (R ≥ 3 σ_R); repeat;
    3. when the peaks still leave clearly more residual than the regularised DRT (which fits the data to its
       noise), try splitting each peak in two (±0.3 decade) under the same rule (overlapping processes that the
       regularisation merged);
    4. peaks below ``min_fraction`` of the total R are dropped.

    Returns ``(ok, dict)``: per-peak arrays ``R``, ``R_err``, ``ln_tau``, ``ln_tau_err``, ``alpha``, ``alpha_err``
    (sorted by τ), the refined ``rms`` and ``bic``; ``ok`` False (with ``reason``) when the refinement is rejected."""
    args = (freq_Hz, Z, weights, zs)
    extra = (R_inf, L, tail_Q, tail_alpha, ln_tau_bounds)
    fits = [0]

    def fit(start):
        fits[0] += 1
        return _refine(*args, start, *extra)

    Rtot = float(np.sum(raw["R_area"]))
    major = raw["R_area"] >= 0.1 * Rtot
    major[int(np.argmax(raw["R_area"]))] = True
    cur = fit(_subset(raw, major))
    minor = [k for k in range(raw["R_area"].size) if not major[k]]
    while not cur["converged"] and cur.get("R") is not None and cur["R"].size > 1 and fits[0] < max_fits:
        cur = fit(_merged(cur, int(np.argmin(cur["R"]))))   # degenerate major peaks: merge the smallest away
    if not cur["converged"]:
        cur["reason"] = cur.get("message") or "the fit did not converge"
        return False, cur
    # 1. backward: insignificant major peaks
    while cur["R"].size > 1 and fits[0] < max_fits:
        z = cur["R"] / np.maximum(cur["R_err"], 1e-300)
        k = int(np.argmin(z))
        if z[k] >= _Z_MIN:
            break
        sub = fit(_merged(cur, k))
        if not sub["converged"]:
            break
        cur = sub
    # 2. forward: minor peaks
    while minor and fits[0] < max_fits:
        best, best_k = None, None
        for k in minor:
            sub = fit(_with(cur, raw, k))
            if _better(sub, cur) and (best is None or sub["bic"] < best["bic"]):
                best, best_k = sub, k
            if fits[0] >= max_fits:
                break
        if best is None:
            break
        cur = best
        minor.remove(best_k)
    # 3. splits of merged peaks
    while cur["rms"] > 1.3 * rms_drt and fits[0] < max_fits:
        best = None
        for k in np.argsort(-cur["R"]):
            sub = fit(_split(cur, k))
            if _better(sub, cur) and (best is None or sub["bic"] < best["bic"]):
                best = sub
            if fits[0] >= max_fits:
                break
        if best is None:
            break
        cur = best
    # 4. negligible peaks
    if cur["R"].size > 1:
        keep = cur["R"] >= min_fraction * max(float(np.sum(cur["R"])), 1e-300)
        if 0 < keep.sum() < keep.size:
            sub = fit(_as_raw(cur, keep))
            if sub["converged"]:
                cur = sub
    reason = _check(cur, rms_drt)
    cur["reason"] = reason
    cur["n_fits"] = fits[0]
    return reason is None, cur


_Z_MIN = 3.0        # a reported peak has R ≥ 3 σ_R
_DBIC = 10.0        # an added peak must lower the BIC by more than this ("very strong" evidence)


def _better(sub, cur) -> bool:
    if not sub["converged"] or sub["bic"] > cur["bic"] - _DBIC:
        return False
    if np.any(sub["R"] < _Z_MIN * sub["R_err"]):
        return False
    return not np.any(np.diff(sub["ln_tau"]) < _MIN_SEP)


def _merged(ref, k):
    """Starting values without peak ``k`` of a refined fit, its R added to the nearest remaining peak."""
    keep = np.ones(ref["R"].size, bool)
    keep[k] = False
    st = _as_raw(ref, keep)
    j = int(np.argmin(np.abs(st["ln_tau"] - ref["ln_tau"][k])))
    st["R_area"] = st["R_area"].copy()
    st["R_area"][j] += ref["R"][k]
    return st


def _subset(raw, keep):
    return {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in raw.items()}


def _with(ref, raw, k):
    """Starting values: a refined fit plus raw peak ``k``."""
    R = np.append(ref["R"], raw["R_area"][k])
    lt = np.append(ref["ln_tau"], raw["ln_tau"][k])
    al = np.append(ref["alpha"], raw["alpha"][k])
    o = np.argsort(lt)
    return dict(R_area=R[o], ln_tau=lt[o], alpha=al[o], gamma_max=np.zeros(R.size), R_area_err=None)


def _as_raw(ref, keep):
    """Starting values (the raw-peak layout) from a refined fit, without the peaks not in ``keep``."""
    return dict(R_area=ref["R"][keep], ln_tau=ref["ln_tau"][keep], alpha=ref["alpha"][keep],
                gamma_max=np.zeros(int(keep.sum())), R_area_err=None)


def _split(ref, k):
    """Starting values with peak ``k`` of a refined fit split in two (±0.3 decade, half the area each)."""
    d = 0.3 * math.log(10)
    R = np.concatenate([np.delete(ref["R"], k), [ref["R"][k] / 2] * 2])
    lt = np.concatenate([np.delete(ref["ln_tau"], k), [ref["ln_tau"][k] - d, ref["ln_tau"][k] + d]])
    al = np.concatenate([np.delete(ref["alpha"], k), [min(ref["alpha"][k] + 0.05, 1.0)] * 2])
    o = np.argsort(lt)
    return dict(R_area=R[o], ln_tau=lt[o], alpha=al[o], gamma_max=np.zeros(R.size), R_area_err=None)


def _check(ref, rms_drt):
    if not ref["converged"]:
        return ref.get("message", "the fit did not converge")
    if np.any(np.diff(ref["ln_tau"]) < _MIN_SEP):
        return "two peaks closer than a quarter decade (not resolved)"
    return None


def _lm(fun_jac, p0, lo, hi, max_iter: int = 200, tol: float = 1e-7):
    """Projected Levenberg–Marquardt for small box-bounded problems: ``fun_jac(p) -> (r, J)``.  Parameters at a
    bound whose gradient points outwards are held for the step.  Returns (p, r, converged, message)."""
    p = np.clip(np.asarray(p0, float), lo, hi)
    r, J = fun_jac(p)
    cost = float(r @ r)
    H = J.T @ J
    mu = 1e-3 * max(float(np.max(np.diag(H))), 1e-300)
    nu = 2.0
    for _ in range(max_iter):
        g = J.T @ r
        free = ~(((p <= lo) & (g > 0)) | ((p >= hi) & (g < 0)))
        if not free.any():
            return p, r, True, ""
        Hf = H[np.ix_(free, free)]
        d = np.diag(Hf).copy()
        d[d <= 0] = 1e-300
        try:
            step = np.linalg.solve(Hf + mu * np.diag(d), -g[free])
        except np.linalg.LinAlgError:
            mu *= nu
            nu *= 2
            continue
        p_new = p.copy()
        p_new[free] += step
        p_new = np.clip(p_new, lo, hi)
        r_new, J_new = fun_jac(p_new)
        cost_new = float(r_new @ r_new)
        if not np.isfinite(cost_new):
            mu *= nu
            nu *= 2
            continue
        dp = p_new - p
        pred = -(2 * float(g @ dp) + float(dp @ H @ dp))
        if cost_new < cost:
            rho = (cost - cost_new) / pred if pred > 0 else 1.0
            small = float(np.max(np.abs(dp) / (1e-6 + np.abs(p)))) < 1e-7 or (cost - cost_new) <= tol * cost
            p, r, J, cost = p_new, r_new, J_new, cost_new
            H = J.T @ J
            mu *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
            nu = 2.0
            if small:
                return p, r, True, ""
        else:
            mu *= nu
            nu *= 2
            if mu > 1e20 * max(float(np.max(np.diag(H))), 1e-300):
                return p, r, True, ""      # no further decrease possible: a (local) minimum
    return p, r, False, f"the fit did not converge in {max_iter} iterations"


def _refine(freq_Hz, Z, weights, zs, raw, R_inf, L, tail_Q, tail_alpha, ln_tau_bounds):
    """One Σ ZARC fit started from ``raw``: dict with the refined arrays, ``rms``, ``bic``, ``converged``."""
    f = np.asarray(freq_Hz, float)
    z = np.asarray(Z, complex) / zs
    w = 2 * np.pi * f
    wt = np.concatenate([weights, weights])
    K = raw["R_area"].size
    use_L = L > 0
    tail = bool(tail_Q)
    p0, lo, hi = [], [], []
    rtot = max(float(np.sum(raw["R_area"])) / zs, 1e-300)
    t_lo, t_hi = ln_tau_bounds
    for k in range(K):
        Rk = float(np.clip(raw["R_area"][k] / zs, 1e-5 * rtot, 5 * rtot))
        p0 += [math.log(Rk), float(np.clip(raw["ln_tau"][k], t_lo, t_hi)), float(np.clip(raw["alpha"][k], 0.31, 0.995))]
        lo += [math.log(rtot) - 14, t_lo, 0.3]
        hi += [math.log(rtot) + 2.5, t_hi, 1.0]
    p0.append(max(R_inf / zs, 0.0))
    lo.append(0.0)
    hi.append(np.inf)
    if use_L:
        p0.append(L * w.max() / zs)
        lo.append(0.0)
        hi.append(np.inf)
    if tail:
        p0 += [math.log(1.0 / (tail_Q * zs)) - tail_alpha * math.log(w.min()), float(np.clip(tail_alpha, 0.1, 1.0))]
        lo += [-np.inf, 0.05]
        hi += [np.inf, 1.0]
    p0 = np.clip(np.array(p0), np.array(lo), np.array(hi))

    def fun_jac(p):
        with np.errstate(over="ignore", invalid="ignore"):   # a trial step may overflow: LM rejects it
            zm, J = _zarc_model(p, w, K, use_L, tail, zs)
        r = zm - z
        return np.concatenate([r.real, r.imag]) * wt, np.concatenate([J.real, J.imag]) * wt[:, None]

    p, r_final, converged, msg = _lm(fun_jac, p0, np.array(lo), np.array(hi))
    zm, J = _zarc_model(p, w, K, use_L, tail, zs)
    resid = (zm - z) * zs / np.abs(np.asarray(Z, complex))
    rms = float(np.sqrt(np.mean(resid.real ** 2 + resid.imag ** 2) / 2))
    R = np.exp(p[0:3 * K:3]) * zs
    lt = p[1:3 * K:3]
    al = p[2:3 * K:3]
    n, P = 2 * f.size, p.size
    Jw = np.concatenate([J.real, J.imag]) * wt[:, None]
    s2 = float(np.sum(r_final ** 2)) / max(n - P, 1)
    try:
        cov = np.linalg.pinv(Jw.T @ Jw) * s2
        sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    except np.linalg.LinAlgError:  # pragma: no cover
        sd = np.full(P, np.nan)
    rss = float(np.sum(r_final ** 2))
    out = dict(R=R, R_err=R * sd[0:3 * K:3], ln_tau=lt, ln_tau_err=sd[1:3 * K:3], alpha=al,
               alpha_err=sd[2:3 * K:3], rms=rms, bic=n * math.log(max(rss, 1e-300) / n) + P * math.log(n),
               resid=resid)
    o = np.argsort(out["ln_tau"])
    for key in ("R", "R_err", "ln_tau", "ln_tau_err", "alpha", "alpha_err"):
        out[key] = out[key][o]
    out["converged"] = converged and bool(np.all(np.isfinite(p)))
    out["message"] = msg
    return out


def build_peaks(tau_s, gamma_ohm, raw, refined, freq_Hz, cell, samples=None) -> list[DRTPeak]:
    """DRTPeak objects: the refined values when ``refined`` is given (their areas in the regularised γ apportioned
    by the refined shapes), else the area description ``raw``."""
    from ..derive import assign

    f = np.asarray(freq_Hz, float)
    y = np.log(np.asarray(tau_s, float))
    g = np.asarray(gamma_ohm, float)
    dy = float(y[1] - y[0])
    if refined is not None:
        K = refined["R"].size
        share, R_area = _apportion(y, g, refined["R"], refined["ln_tau"], refined["alpha"])
        R_area_err = (np.std((np.asarray(samples) * dy) @ share.T, axis=0, ddof=1)
                      if samples is not None and len(samples) > 2 else None)
        i_max = np.argmax(share * g[None, :], axis=1)
    else:
        K = raw["R_area"].size
        R_area, R_area_err = raw["R_area"], raw["R_area_err"]
        i_max = None
    out = []
    for k in range(K):
        if refined is not None:
            R, Re = float(refined["R"][k]), float(refined["R_err"][k])
            lt, lte = float(refined["ln_tau"][k]), float(refined["ln_tau_err"][k])
            a = float(refined["alpha"][k])
            ci = (math.exp(lt - 1.96 * lte), math.exp(lt + 1.96 * lte)) if math.isfinite(lte) else None
            t_drt, gmax = float(math.exp(y[i_max[k]])), float(g[i_max[k]])
        else:
            R = float(raw["R_area"][k])
            Re = float(raw["R_area_err"][k]) if raw["R_area_err"] is not None else None
            lt, a, ci = float(raw["ln_tau"][k]), float(raw["alpha"][k]), None
            t_drt, gmax = math.exp(lt), float(raw["gamma_max"][k])
        t = math.exp(lt)
        C = t / R
        cls, cnorm = assign(C, cell)
        fp = 1 / (2 * math.pi * t)
        fw = 2 * math.acosh(2 + math.cos(a * math.pi)) / a / math.log(10) if a < 0.9999 else 0.0
        out.append(DRTPeak(tau_s=t, R_ohm=R, C_F=C, f_peak_Hz=fp, alpha=a, gamma_max_ohm=gmax,
                           fwhm_decades=float(fw), assignment=cls, C_norm_F_per_cm=float(cnorm),
                           in_window=bool(f.min() <= fp <= f.max()),
                           R_err_ohm=Re if Re is None or math.isfinite(Re) else None, tau_ci95_s=ci,
                           R_area_ohm=float(R_area[k]),
                           R_area_err_ohm=float(R_area_err[k]) if R_area_err is not None else None,
                           tau_drt_s=t_drt, refined=refined is not None))
    return out


# ---------------------------------------------------------------------------------------------------------------
# circuit seeds
class CircuitSeed(tuple):
    """``(circuit, initial)`` for :func:`sselab.eis.fit` / :func:`sselab.eis.fit_batch`."""

    __slots__ = ()

    def __new__(cls, circuit: str, initial: dict):
        return super().__new__(cls, (circuit, initial))

    @property
    def circuit(self) -> str:
        return self[0]

    @property
    def initial(self) -> dict:
        return self[1]


def seed_circuit(result, in_window_only: bool = False) -> CircuitSeed:
    """Circuit (impedance.py syntax) with one R‖CPE arc per DRT peak (fastest first), R∞ as R0, a series L0 when an
    inductance was fitted and a CPE for a modelled low-frequency tail, and initial values for every parameter:
    R_k = peak R, α_k = the peak's Cole–Cole exponent, Q_k = τ_k^α_k / R_k (so the arc's apex is at τ_k)."""
    parts, init = [], {}
    if result.L_H > 0:
        parts.append("L0")
        init["L0"] = float(result.L_H)
    parts.append("R0")
    init["R0"] = float(max(result.R_inf_ohm, 1e-3 * max(result.R_pol_ohm, 1e-9), 1e-9))
    peaks = [p for p in result.peaks if p.in_window or not in_window_only]
    k = 0
    for k, p in enumerate(peaks, start=1):
        parts.append(f"p(R{k},CPE{k})")
        a = float(min(max(p.alpha, 0.3), 0.999))
        init[f"R{k}"] = float(p.R_ohm)
        init[f"CPE{k}_Q"] = float(p.tau_s ** a / p.R_ohm)
        init[f"CPE{k}_alpha"] = a
    if result.tail_Q:
        k += 1
        parts.append(f"CPE{k}")
        init[f"CPE{k}_Q"] = float(result.tail_Q)
        init[f"CPE{k}_alpha"] = float(min(max(result.tail_alpha, 0.05), 1.0))
    return CircuitSeed("-".join(parts), init)


def fit_seeded(result, **fit_options):
    """Fit the DRT-seeded circuit (:func:`seed_circuit`) to the points the DRT used; returns a
    :class:`sselab.eis.FitResult`."""
    from .. import fit

    seed = seed_circuit(result)
    fit_options.setdefault("label", result.label)
    return fit(result.freq_Hz, result.Z, seed.circuit, initial=seed.initial, **fit_options)
