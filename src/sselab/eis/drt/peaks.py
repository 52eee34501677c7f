"""DRT peaks → processes: peak τ, R, C = τ/R, assignment, and circuit seeds for :func:`sselab.eis.fit`.

1. **Detection.**  Peaks are local maxima of the regularised γ(ln τ) with a prominence of at least
   ``prominence``·γ_max whose area is at least ``min_fraction``·R_pol.
2. **Areas.**  Each peak is described by a Cole–Cole shape — the DRT of a ZARC, area R_k, centre τ_k, exponent α_k::

       γ_k(ln τ) = R_k/(2π) · sin(α_k π) / (cosh(α_k ln(τ/τ_k)) + cos(α_k π))

   started from the maximum (centre), the half width (α) and the valley-bounded area (R); γ is apportioned
   between overlapping peaks in proportion to these shapes, so the peak areas ``R_area_ohm`` add up to R_pol.
3. **Refinement** (default).  Regularisation broadens and merges neighbouring peaks, which biases their areas and
   positions (two ZARCs a decade apart at 1 % noise: R off by ~5 %, τ by ~10 %).  The peaks are therefore refined by
   fitting the *parametric* DRT Σ_k γ_k — i.e. Z = R∞ + jωL + Σ_k R_k/(1 + (jωτ_k)^α_k) + tail — to the impedance
   itself, weighted as the DRT, with the number of peaks chosen by the data (:func:`refine_peaks`: start from the
   major DRT peaks, drop those whose R is not determined to a third, add minor DRT peaks or split merged ones only
   when the Bayesian information criterion drops by more than 10).  ``R_ohm``/``tau_s``/``alpha`` are then the
   refined values with standard errors from the fit's Jacobian; if the refinement does not converge, the area
   values are reported with the flag ``peak-refinement-rejected``.  The fits are a projected Levenberg–Marquardt
   with analytic derivatives, batched over the spectra of a series for the first (major-peak) fit.
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
def _zarc_model_batch(P, w, K, use_L, tail):
    """Z (normalised) and Jacobian of Σ ZARC + R∞ + jωL + A (jω)^-α_t for parameter rows P (S × n_par):
    returns z (S × N complex) and J (S × N × n_par complex)."""
    lw = np.log(w)
    S, npar = P.shape
    n = w.size
    J = np.empty((S, npar, n), complex)
    z = np.zeros((S, n), complex)
    if K:
        q = P[:, :3 * K].reshape(S, K, 3)
        R, lt, a = np.exp(q[..., 0])[..., None], q[..., 1][..., None], q[..., 2][..., None]
        X = lw + lt + 0.5j * math.pi                       # S × K × N
        u = np.exp(a * X)
        D = 1.0 + u
        zk = R / D
        g = zk * u / D
        z += zk.sum(axis=1)
        J[:, 0:3 * K:3] = zk
        J[:, 1:3 * K:3] = -g * a
        J[:, 2:3 * K:3] = -g * X
    j = 3 * K
    z += P[:, j:j + 1]
    J[:, j] = 1.0
    j += 1
    if use_L:
        c = 1j * w / w.max()
        z += c * P[:, j:j + 1]
        J[:, j] = c
        j += 1
    if tail:
        la, at = P[:, j:j + 1], P[:, j + 1:j + 2]
        Y = lw - math.log(w.min()) + 0.5j * math.pi
        zt = np.exp(la - at * Y)
        z += zt
        J[:, j] = zt
        J[:, j + 1] = -zt * Y
    return z, J.transpose(0, 2, 1)


def _zarc_model(p, w, K, use_L, tail):
    """One parameter vector: z (N) and J (N × n_par)."""
    z, J = _zarc_model_batch(np.asarray(p, float)[None, :], w, K, use_L, tail)
    return z[0], J[0]


def majors(raw):
    """The starting peaks of the refinement: area ≥ 5 % of the total (at least the largest)."""
    major = raw["R_area"] >= 0.05 * float(np.sum(raw["R_area"]))
    major[int(np.argmax(raw["R_area"]))] = True
    return major


def refine_peaks(freq_Hz, Z, weights, zs, raw, R_inf, L, tail_Q, tail_alpha, rms_drt, ln_tau_bounds,
                 max_fits: int = 16, min_fraction: float = 0.01, first=None):
    """Refine the DRT peaks ``raw`` (see :func:`find_peaks`) by fitting Σ ZARC (+ R∞, L, tail) to the spectrum,
    choosing which peaks the data support by forward selection with the Bayesian information criterion
    BIC = n·ln(RSS/n) + P·ln n:

    1. fit the major peaks (area ≥ 5 % of R_pol; at least the largest); drop any whose R is not determined to
       better than a third (R < 3 σ_R), least significant first;
    2. while the peaks leave more residual than the regularised DRT (noise estimates √(RSS/(n − dof)) more than
       1.3× apart), add the minor DRT peaks one at a time —
       the addition with the lowest BIC is kept when it lowers the BIC by more than 10 (very strong evidence) and
       every peak stays significant (R ≥ 3 σ_R); repeat;
    3. when the peaks still leave clearly more residual than the regularised DRT (same test), try splitting each
       peak in two (±0.3 decade) under the same rule (overlapping processes that the regularisation merged);
    4. peaks below ``min_fraction`` of the total R are dropped.

    Returns ``(ok, dict)``: per-peak arrays ``R``, ``R_err``, ``ln_tau``, ``ln_tau_err``, ``alpha``, ``alpha_err``
    (sorted by τ), the refined ``rms`` and ``bic``; ``ok`` False (with ``reason``) when the refinement is rejected."""
    args = (freq_Hz, Z, weights, zs)
    extra = (R_inf, L, tail_Q, tail_alpha, ln_tau_bounds)
    fits = [0]

    def fit(start):
        fits[0] += 1
        return _refine(*args, start, *extra)

    major = majors(raw)
    if first is None:
        cur = fit(_subset(raw, major))
    else:                           # the fit of the major peaks, done already (batched over a series)
        cur = first
        fits[0] += 1
    minor = [k for k in range(raw["R_area"].size) if not major[k]]
    while not cur["converged"] and cur.get("R") is not None and cur["R"].size > 1 and fits[0] < max_fits:
        cur = fit(_merged(cur, int(np.argmin(cur["R"]))))   # degenerate major peaks: merge the smallest away
    if not cur["converged"]:
        cur["reason"] = cur.get("message") or "the fit did not converge"
        return False, cur
    # 1. backward: insignificant major peaks
    while cur["R"].size > 1 and fits[0] < max_fits:
        z = cur["R"] / np.maximum(cur["R_err"], 1e-300)
        close = np.flatnonzero(np.diff(cur["ln_tau"]) < _MIN_SEP)
        z[close] = np.minimum(z[close], 0.0)             # of a pair closer than a quarter decade, the smaller
        z[close + 1] = np.minimum(z[close + 1], 0.0)     # goes first (not resolved)
        z = np.where(z <= 0, -1.0 / np.maximum(cur["R"], 1e-300), z)
        weak = [int(k) for k in np.argsort(z) if z[k] < _Z_MIN]
        if not weak:
            break
        if len(weak) == cur["R"].size:
            weak = weak[:-1]
        options = ([weak] if len(weak) > 1 else []) + [[k] for k in weak]
        for drop in options:           # all weak ones at once, else the least significant first
            sub = fit(_merged(cur, drop))
            if sub["converged"] or fits[0] >= max_fits:
                break
        if not sub["converged"]:
            break
        cur = sub
    # 2. forward: minor peaks — only while the peaks leave more residual than the DRT (which fits the data to its
    #    noise); otherwise no addition can lower the BIC by 10
    while minor and fits[0] < max_fits and _sigma(cur) > 1.3 * rms_drt:
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
    while _sigma(cur) > 1.3 * rms_drt and fits[0] < max_fits:
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


def _merged(ref, drop):
    """Starting values without the peaks ``drop`` (an index or a list) of a refined fit, each one's R added to the
    nearest remaining peak."""
    drop = [drop] if np.isscalar(drop) else list(drop)
    keep = np.ones(ref["R"].size, bool)
    keep[drop] = False
    st = _as_raw(ref, keep)
    st["R_area"] = st["R_area"].copy()
    for k in drop:
        j = int(np.argmin(np.abs(st["ln_tau"] - ref["ln_tau"][k])))
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


def _sigma(ref) -> float:
    """Noise estimate of a peak fit: its rms residual corrected for the fitted parameters, √(RSS/(n − P))."""
    return ref["rms"] * math.sqrt(ref["n"] / max(ref["n"] - ref["P"], 1))


def _check(ref, rms_drt):
    if not ref["converged"]:
        return ref.get("message", "the fit did not converge")
    if np.any(np.diff(ref["ln_tau"]) < _MIN_SEP):
        return "two peaks closer than a quarter decade (not resolved)"
    return None


def _start(raw, zs, w, R_inf, L, tail_Q, tail_alpha, ln_tau_bounds):
    """(p0, lo, hi) of the Σ ZARC fit from starting peaks ``raw`` and the DRT's R∞, L and tail."""
    K = raw["R_area"].size
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
    if L > 0:
        p0.append(L * w.max() / zs)
        lo.append(0.0)
        hi.append(np.inf)
    if tail_Q:
        p0 += [math.log(1.0 / (tail_Q * zs)) - tail_alpha * math.log(w.min()), float(np.clip(tail_alpha, 0.1, 1.0))]
        lo += [-np.inf, 0.05]
        hi += [np.inf, 1.0]
    lo, hi = np.array(lo), np.array(hi)
    return np.clip(np.array(p0), lo, hi), lo, hi


def _outputs(p, r_final, converged, msg, Z, wt, zs, w, K, use_L, tail):
    """The result dict of one fit: refined peaks sorted by τ with standard errors, rms, BIC, tail."""
    Z = np.asarray(Z, complex)
    zm, J = _zarc_model(p, w, K, use_L, tail)
    resid = (zm * zs - Z) / np.abs(Z)
    rms = float(np.sqrt(np.mean(resid.real ** 2 + resid.imag ** 2) / 2))
    R = np.exp(p[0:3 * K:3]) * zs
    lt = p[1:3 * K:3]
    al = p[2:3 * K:3]
    n, P = 2 * w.size, p.size
    Jw = np.concatenate([J.real, J.imag]) * wt[:, None]
    s2 = float(np.sum(r_final ** 2)) / max(n - P, 1)
    try:      # standard errors from the SVD of the weighted Jacobian; undetermined directions → infinite
        _, sv, Vt = np.linalg.svd(Jw, full_matrices=False)
        ok = sv > sv[0] * 1e-9 if sv.size and sv[0] > 0 else np.zeros(sv.size, bool)
        sd = np.sqrt(s2 * np.sum((Vt[ok] / sv[ok, None]) ** 2, axis=0))
        if not ok.all():
            sd[np.any(np.abs(Vt[~ok]) > 1e-3, axis=0)] = np.inf
    except np.linalg.LinAlgError:  # pragma: no cover
        sd = np.full(P, np.inf)
    rss = float(np.sum(r_final ** 2))
    out = dict(R=R, R_err=R * sd[0:3 * K:3], ln_tau=lt, ln_tau_err=sd[1:3 * K:3], alpha=al,
               alpha_err=sd[2:3 * K:3], rms=rms, bic=n * math.log(max(rss, 1e-300) / n) + P * math.log(n),
               resid=resid, n=n, P=P)
    o = np.argsort(out["ln_tau"])
    for key in ("R", "R_err", "ln_tau", "ln_tau_err", "alpha", "alpha_err"):
        out[key] = out[key][o]
    if tail:
        la, at = p[-2], p[-1]
        out["tail_alpha"] = float(at)
        out["tail_Q"] = math.exp(min(-(math.log(zs) + la + at * math.log(w.min())), 700.0))
    out["converged"] = bool(converged) and bool(np.all(np.isfinite(p)))
    out["message"] = msg
    return out


def _lm(fun_jac, p0, lo, hi, max_iter: int = 200, tol: float = 1e-6):
    """Projected Levenberg–Marquardt for one small box-bounded problem: ``fun_jac(p) -> (r, J)``.  Parameters at
    a bound whose gradient points outwards are held for the step.  Returns (p, r, converged, message)."""
    p = np.minimum(np.maximum(np.asarray(p0, float), lo), hi)
    r, J = fun_jac(p)
    cost = float(r @ r)
    H = J.T @ J
    mu = 1e-3 * max(float(H.diagonal().max()), 1e-300)
    nu = 2.0
    history = []
    for _ in range(max_iter):
        history.append(cost)
        if len(history) > 8 and history[-8] - cost <= 1e-5 * history[-8]:
            return p, r, True, ""          # crawling along a flat valley: the minimum is reached to 1e-5
        g = J.T @ r
        held = ((p <= lo) & (g > 0)) | ((p >= hi) & (g < 0))
        if held.any():
            free = ~held
            if not free.any():
                return p, r, True, ""
            Hf, gf = H[np.ix_(free, free)], g[free]
        else:
            free, Hf, gf = None, H, g
        d = Hf.diagonal().copy()
        d[d <= 0] = 1e-300
        A = Hf.copy()
        A.flat[::A.shape[0] + 1] += mu * d
        try:
            step = np.linalg.solve(A, -gf)
        except np.linalg.LinAlgError:
            mu *= nu
            nu *= 2
            continue
        p_new = p.copy()
        if free is None:
            p_new += step
        else:
            p_new[free] += step
        p_new = np.minimum(np.maximum(p_new, lo), hi)
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
            if mu > 1e20 * max(float(H.diagonal().max()), 1e-300):
                return p, r, True, ""      # no further decrease possible: a (local) minimum
    return p, r, False, f"the fit did not converge in {max_iter} iterations"


def _lm_batch(fun_jac, P0, LO, HI, max_iter: int = 200, tol: float = 1e-6):
    """:func:`_lm` for many problems at once (rows of ``P0``): each has its own damping and stops on its own.
    ``fun_jac(P, rows) -> (r, J)`` for the active rows.  Returns (P, r, converged, messages)."""
    P = np.minimum(np.maximum(np.asarray(P0, float), LO), HI)
    S, npar = P.shape
    rows = np.arange(S)
    r, J = fun_jac(P, rows)
    cost = np.einsum("sm,sm->s", r, r)
    H = np.einsum("smi,smj->sij", J, J)
    diag = np.einsum("sii->si", H)
    mu = 1e-3 * np.maximum(diag.max(axis=1), 1e-300)
    nu = np.full(S, 2.0)
    active = np.ones(S, bool)
    conv = np.zeros(S, bool)
    hist = np.full((S, 8), np.inf)
    eye = np.eye(npar)
    for it in range(max_iter):
        a = np.flatnonzero(active)
        if a.size == 0:
            break
        # stagnation over the last 8 iterations: a flat valley, the minimum is reached to 1e-5
        stag = np.isfinite(hist[a, 0]) & (hist[a, 0] - cost[a] <= 1e-5 * hist[a, 0])
        conv[a[stag]] = True
        active[a[stag]] = False
        hist[a] = np.concatenate([hist[a, 1:], cost[a, None]], axis=1)
        a = a[~stag]
        if a.size == 0:
            break
        g = np.einsum("smi,sm->si", J[a], r[a])
        held = ((P[a] <= LO[a]) & (g > 0)) | ((P[a] >= HI[a]) & (g < 0))
        allheld = held.all(axis=1)
        conv[a[allheld]] = True
        active[a[allheld]] = False
        keep = ~allheld
        a, g, held = a[keep], g[keep], held[keep]
        if a.size == 0:
            break
        Ha = H[a].copy()
        d = np.einsum("sii->si", Ha).copy()
        d[d <= 0] = 1e-300
        A = Ha + mu[a, None, None] * (d[:, :, None] * eye)
        # held parameters: no step (identity row/column, zero gradient)
        A[held[:, :, None] & np.ones((1, 1, npar), bool)] = 0.0
        A[held[:, None, :] & np.ones((1, npar, 1), bool)] = 0.0
        A[:, np.arange(npar), np.arange(npar)] = np.where(held, 1.0, np.einsum("sii->si", A))
        rhs = np.where(held, 0.0, -g)
        try:
            step = np.linalg.solve(A, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(A[k], rhs[k], rcond=None)[0] for k in range(a.size)])
        Pn = np.minimum(np.maximum(P[a] + step, LO[a]), HI[a])
        rn, Jn = fun_jac(Pn, a)
        cn = np.einsum("sm,sm->s", rn, rn)
        dp = Pn - P[a]
        pred = -(2 * np.einsum("si,si->s", g, dp) + np.einsum("si,sij,sj->s", dp, H[a], dp))
        better = np.isfinite(cn) & (cn < cost[a])
        # accepted steps
        b = a[better]
        if b.size:
            ca, cb = cost[b], cn[better]
            rho = np.where(pred[better] > 0, (ca - cb) / np.where(pred[better] > 0, pred[better], 1.0), 1.0)
            small = (np.max(np.abs(dp[better]) / (1e-6 + np.abs(P[b])), axis=1) < 1e-7) | (ca - cb <= tol * ca)
            P[b], r[b], J[b], cost[b] = Pn[better], rn[better], Jn[better], cb
            H[b] = np.einsum("smi,smj->sij", J[b], J[b])
            mu[b] *= np.maximum(1 / 3, 1 - (2 * rho - 1) ** 3)
            nu[b] = 2.0
            conv[b[small]] = True
            active[b[small]] = False
        # rejected steps
        c = a[~better]
        if c.size:
            mu[c] *= nu[c]
            nu[c] *= 2
            dead = mu[c] > 1e20 * np.maximum(np.einsum("sii->si", H[c]).max(axis=1), 1e-300)
            conv[c[dead]] = True                # no further decrease possible: a (local) minimum
            active[c[dead]] = False
    msgs = ["" if conv[k] else f"the fit did not converge in {max_iter} iterations" for k in range(S)]
    return P, r, conv, msgs


def refine_first(jobs) -> list[dict]:
    """The first refinement fit (major peaks) of many spectra at once; ``jobs``: dicts with ``freq_Hz``, ``Z``,
    ``weights``, ``zs``, ``raw``, ``R_inf``, ``L``, ``tail_Q``, ``tail_alpha``, ``bounds``."""
    return _refine_many([dict(jb, raw=_subset(jb["raw"], majors(jb["raw"]))) for jb in jobs])


def _refine(freq_Hz, Z, weights, zs, raw, R_inf, L, tail_Q, tail_alpha, ln_tau_bounds):
    """One Σ ZARC fit started from ``raw``: dict with the refined arrays, ``rms``, ``bic``, ``converged``."""
    return _refine_many([dict(freq_Hz=freq_Hz, Z=Z, weights=weights, zs=zs, raw=raw, R_inf=R_inf, L=L,
                              tail_Q=tail_Q, tail_alpha=tail_alpha, bounds=ln_tau_bounds)])[0]


def _refine_many(jobs) -> list[dict]:
    """Σ ZARC fits of many spectra: jobs sharing frequencies and model layout (K, L, tail) run as one batched
    Levenberg–Marquardt (:func:`_lm_batch`)."""
    out: list = [None] * len(jobs)
    groups: dict = {}
    for i, jb in enumerate(jobs):
        f = np.asarray(jb["freq_Hz"], float)
        key = (f.tobytes(), jb["raw"]["R_area"].size, jb["L"] > 0, bool(jb["tail_Q"]))
        groups.setdefault(key, []).append(i)
    for (_, K, use_L, tail), idx in groups.items():
        f = np.asarray(jobs[idx[0]]["freq_Hz"], float)
        w = 2 * np.pi * f
        P0, LO, HI, Zs, WT = [], [], [], [], []
        for i in idx:
            jb = jobs[i]
            p0, lo, hi = _start(jb["raw"], jb["zs"], w, jb["R_inf"], jb["L"], jb["tail_Q"], jb["tail_alpha"],
                                jb["bounds"])
            P0.append(p0)
            LO.append(lo)
            HI.append(hi)
            Zs.append(np.asarray(jb["Z"], complex) / jb["zs"])
            wt = np.asarray(jb["weights"], float)
            WT.append(np.concatenate([wt, wt]))
        P0, LO, HI, Zs, WT = map(np.array, (P0, LO, HI, Zs, WT))

        def fun_jac(P, rows):
            with np.errstate(over="ignore", invalid="ignore"):   # a trial step may overflow: LM rejects it
                zm, J = _zarc_model_batch(P, w, K, use_L, tail)
            r = zm - Zs[rows]
            wt = WT[rows]
            return (np.concatenate([r.real, r.imag], axis=1) * wt,
                    np.concatenate([J.real, J.imag], axis=1) * wt[:, :, None])

        if len(idx) == 1:            # one problem: the plain LM has less overhead
            p, rf, cv, msg = _lm(lambda p: tuple(x[0] for x in fun_jac(p[None, :], np.zeros(1, int))), P0[0], LO[0],
                                 HI[0])
            P, Rf, conv, msgs = p[None, :], rf[None, :], [cv], [msg]
        else:
            P, Rf, conv, msgs = _lm_batch(fun_jac, P0, LO, HI)
        for k, i in enumerate(idx):
            jb = jobs[i]
            out[i] = _outputs(P[k], Rf[k], conv[k], msgs[k], jb["Z"], WT[k], jb["zs"], w, K, use_L, tail)
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
            ci = (math.exp(lt - 1.96 * lte), math.exp(lt + 1.96 * lte)) if lte < 20 else None   # else: undetermined
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
