"""Peak shapes, backgrounds, peak finding and a batched Levenberg–Marquardt pseudo-Voigt fitter.

Everything here is axis-agnostic (2θ in degrees or δ in ppm) and vectorised over rows: a whole in-situ series
(n patterns × m points) is fitted in one call (:func:`fit_pv_batch`), which is what makes tracking 1000 patterns
a matter of seconds.

* :func:`pseudo_voigt` (unit area; FWHM ``w``; Lorentzian fraction ``eta``), :func:`lorentzian`, :func:`gaussian`;
* :func:`snip_background` (statistics-sensitive non-linear iterative peak clipping, Morháč et al., NIM A 401
  (1997) 113 — vectorised over rows), :func:`als_background` (asymmetric least squares, Eilers & Boelens 2005);
* :func:`find_peaks` — local maxima above a noise-based threshold (robust MAD noise of the second difference);
* :func:`fit_pv_batch` — area, centre, FWHM, η and a linear background per row, with standard errors, optional
  Kα2 doublet (fixed ratio, position tied through Bragg's law).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError, FitError
from ..results import Result

__all__ = ["pseudo_voigt", "lorentzian", "gaussian", "snip_background", "als_background", "find_peaks",
           "fit_pv_batch", "PVFit", "noise_sigma"]

_LN2 = np.log(2.0)
_GN = 2.0 * np.sqrt(_LN2 / np.pi)


def lorentzian(x, c, w):
    """Unit-area Lorentzian with FWHM ``w``."""
    u = (np.asarray(x, float) - c) / w
    return (2.0 / (np.pi * w)) / (1.0 + 4.0 * u * u)


def gaussian(x, c, w):
    """Unit-area Gaussian with FWHM ``w``."""
    u = (np.asarray(x, float) - c) / w
    return (_GN / w) * np.exp(-4.0 * _LN2 * u * u)


def pseudo_voigt(x, c, w, eta):
    """Unit-area pseudo-Voigt: η·Lorentzian + (1 − η)·Gaussian, same FWHM ``w``."""
    return eta * lorentzian(x, c, w) + (1.0 - eta) * gaussian(x, c, w)


def noise_sigma(y) -> np.ndarray:
    """Robust noise estimate per row: MAD of the second difference / (0.6745·√6)."""
    y = np.atleast_2d(np.asarray(y, float))
    d2 = np.diff(y, 2, axis=1)
    return np.median(np.abs(d2 - np.median(d2, axis=1, keepdims=True)), axis=1) / (0.6745 * np.sqrt(6.0))


def snip_background(y, half_width: int = 40, *, lls: bool = True, smooth: int = 0) -> np.ndarray:
    """SNIP background of each row of ``y`` (peaks clipped away iteratively with windows 1 … ``half_width``
    points; choose ≈ 2–3 × the widest peak's FWHM in points).  ``lls``: work on log(log(√(y+1)+1)+1) so that both
    weak and strong peaks are clipped (Morháč's LLS operator)."""
    y = np.atleast_2d(np.asarray(y, float))
    if smooth:
        k = np.ones(2 * smooth + 1) / (2 * smooth + 1)
        y = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, y)
    off = np.minimum(y.min(axis=1, keepdims=True), 0.0) if lls else 0.0
    v = np.log(np.log(np.sqrt(y - off + 1.0) + 1.0) + 1.0) if lls else y.copy()
    n = v.shape[1]
    for p in range(1, int(half_width) + 1):
        if 2 * p >= n:
            break
        mid = 0.5 * (v[:, : n - 2 * p] + v[:, 2 * p:])
        v[:, p: n - p] = np.minimum(v[:, p: n - p], mid)
    if lls:
        v = (np.exp(np.exp(v) - 1.0) - 1.0) ** 2 - 1.0 + off
    return v


def als_background(y, lam: float = 1e6, p: float = 0.01, n_iter: int = 10) -> np.ndarray:
    """Asymmetric-least-squares baseline of each row (Eilers & Boelens): smoothness ``lam``, asymmetry ``p``."""
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    y = np.atleast_2d(np.asarray(y, float))
    n = y.shape[1]
    D = sparse.diags([1.0, -2.0, 1.0], [0, -1, -2], shape=(n, n - 2))
    H = lam * (D @ D.T)
    out = np.empty_like(y)
    for r in range(len(y)):
        w = np.ones(n)
        for _ in range(n_iter):
            W = sparse.spdiags(w, 0, n, n)
            z = spsolve((W + H).tocsc(), w * y[r])
            w = np.where(y[r] > z, p, 1.0 - p)
        out[r] = z
    return out


def find_peaks(x, y, *, background=None, sigma=None, min_snr: float = 5.0, min_separation: float | None = None,
               max_peaks: int = 200) -> np.ndarray:
    """Indices of peaks in one pattern: local maxima of (y − background) whose height and prominence exceed
    ``min_snr`` × the local noise — ``sigma`` per point when given (counting statistics: √counts), else one robust
    noise level for the whole pattern; ``min_separation`` in x units."""
    from scipy.signal import find_peaks as _fp

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    bg = snip_background(y)[0] if background is None else np.asarray(background, float)
    net = y - bg
    sig = float(noise_sigma(y)[0])
    if not np.isfinite(sig) or sig <= 0:
        sig = float(np.std(net)) or 1.0
    # Poisson-like scaling: noise grows with the signal; use local σ ≈ max(σ_MAD, √|y| scaled)
    dist = None
    if min_separation:
        step = float(np.median(np.abs(np.diff(x))))
        dist = max(1, int(min_separation / step))
    if sigma is not None:
        loc = np.where(np.isfinite(sigma) & (np.asarray(sigma, float) > 0), np.asarray(sigma, float), sig)
        # smooth the local noise a little (a single low count must not create a peak)
        snr = net / np.maximum(loc, 1e-300)
        idx, props = _fp(snr, height=min_snr, prominence=min_snr, distance=dist)
    else:
        idx, props = _fp(net, height=min_snr * sig, prominence=min_snr * sig, distance=dist)
    if len(idx) > max_peaks:
        idx = idx[np.argsort(props["prominences"])[::-1][:max_peaks]]
    return np.sort(idx)


@dataclass(frozen=True)
class PVFit(Result):
    """Batched pseudo-Voigt fits: arrays of shape (n,) per parameter, with standard errors.

    ``area`` (x-unit × intensity), ``center``, ``fwhm``, ``eta``, ``bg0`` (background at the window centre),
    ``bg1`` (slope); ``*_err`` one standard deviation (covariance scaled by the reduced χ²); ``chi2_red``;
    ``converged`` (bool per row)."""

    area: np.ndarray
    center: np.ndarray
    fwhm: np.ndarray
    eta: np.ndarray
    bg0: np.ndarray
    bg1: np.ndarray
    area_err: np.ndarray
    center_err: np.ndarray
    fwhm_err: np.ndarray
    eta_err: np.ndarray
    chi2_red: np.ndarray
    converged: np.ndarray
    n_points: np.ndarray


def _pv_parts(x, c, w, eta):
    u = (x - c) / w
    den = 1.0 + 4.0 * u * u
    L = (2.0 / (np.pi * w)) / den
    G = (_GN / w) * np.exp(-4.0 * _LN2 * u * u)
    dLdc = L * (8.0 * u / w) / den
    dLdw = -L / w + L * (8.0 * u * u / w) / den
    dGdc = G * (8.0 * _LN2 * u / w)
    dGdw = -G / w + G * (8.0 * _LN2 * u * u / w)
    pv = eta * L + (1 - eta) * G
    return pv, eta * dLdc + (1 - eta) * dGdc, eta * dLdw + (1 - eta) * dGdw, L - G


def _model(x, p, xm, ka2):
    A, c, w, eta, b0, b1 = (p[:, k: k + 1] for k in range(6))
    pv, dc, dw, de = _pv_parts(x, c, w, eta)
    y = A * pv
    J = [pv, A * dc, A * dw, A * de]
    if ka2 is not None:
        ratio, lam_ratio = ka2
        s = np.clip(lam_ratio * np.sin(np.radians(c) / 2.0), -1, 1)
        c2 = 2.0 * np.degrees(np.arcsin(s))
        dc2 = lam_ratio * np.cos(np.radians(c) / 2.0) / np.cos(np.radians(c2) / 2.0)
        pv2, dc_2, dw2, de2 = _pv_parts(x, c2, w, eta)
        y = y + ratio * A * pv2
        J = [pv + ratio * pv2, A * (dc + ratio * dc_2 * dc2), A * (dw + ratio * dw2), A * (de + ratio * de2)]
    y = y + b0 + b1 * (x - xm)
    J += [np.ones_like(x) * np.ones_like(y), (x - xm) * np.ones_like(y)]
    return y, np.stack(J, axis=-1)


def fit_pv_batch(x, y, p0, *, sigma=None, mask=None, ka2: tuple[float, float] | None = None, max_iter: int = 60,
                 fix_eta: float | None = None, fwhm_bounds: tuple[float, float] | None = None) -> PVFit:
    """Fit one pseudo-Voigt + linear background to every row of ``y`` (Levenberg–Marquardt, all rows at once).

    ``x``: (m,) or (n, m); ``y``: (n, m); ``p0``: (n, 6) or (n, 4) starting ``[area, center, fwhm, eta(, bg0,
    bg1)]``; ``sigma``: (n, m) standard deviations (weights 1/σ²) or None; ``mask``: (n, m) bool of points to use
    (padding); ``ka2``: ``(I(Kα2)/I(Kα1), λ(Kα2)/λ(Kα1))`` for a laboratory doublet (x must be 2θ in degrees);
    ``fix_eta``: hold η at this value."""
    y = np.atleast_2d(np.asarray(y, float))
    n, m = y.shape
    x = np.broadcast_to(np.asarray(x, float), (n, m)) if np.ndim(x) == 1 else np.asarray(x, float)
    W = np.ones_like(y) if sigma is None else 1.0 / np.maximum(np.asarray(sigma, float), 1e-300) ** 2
    if mask is not None:
        W = W * np.asarray(mask, float)
    W = np.where(np.isfinite(y) & np.isfinite(W), W, 0.0)
    y = np.where(np.isfinite(y), y, 0.0)
    p = np.zeros((n, 6))
    p0 = np.atleast_2d(np.asarray(p0, float))
    p[:, : p0.shape[1]] = p0
    if p0.shape[1] < 6:
        # background start: the window edges
        wsum = np.maximum(W.sum(axis=1), 1e-300)
        p[:, 4] = np.array([np.median(y[i][W[i] > 0][:5].tolist() + y[i][W[i] > 0][-5:].tolist()) if (W[i] > 0).any()
                            else 0.0 for i in range(n)])
        p[:, 5] = 0.0
        del wsum
    if fix_eta is not None:
        p[:, 3] = fix_eta
    xm = p[:, 1:2].copy()
    wlo, whi = fwhm_bounds or (1e-6, np.inf)
    free = np.ones(6, bool)
    if fix_eta is not None:
        free[3] = False
    lam = np.full(n, 1e-3)
    f, J = _model(x, p, xm, ka2)
    r = y - f
    chi2 = np.einsum("ij,ij->i", W * r, r)
    converged = np.zeros(n, bool)
    nf = int(free.sum())
    eye = np.eye(nf)
    for _ in range(max_iter):
        act = np.where(~converged & (lam < 1e12))[0]          # rows still moving: the batch shrinks as they converge
        if not len(act):
            break
        Ja, Wa, ra = J[act][..., free], W[act], r[act]
        JtW = Ja * Wa[..., None]
        A = np.einsum("imk,iml->ikl", JtW, Ja)
        g = np.einsum("imk,im->ik", JtW, ra)
        diag = np.einsum("ikk->ik", A)
        Ad = A + lam[act, None, None] * np.maximum(diag, 1e-300)[:, :, None] * eye
        try:
            step = np.linalg.solve(Ad, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(Ad[i], g[i], rcond=None)[0] for i in range(len(act))])
        pn = p[act].copy()
        pn[:, free] += step
        pn[:, 2] = np.clip(np.abs(pn[:, 2]), wlo, whi)
        pn[:, 3] = np.clip(pn[:, 3], 0.0, 1.0)
        fn, Jn = _model(x[act], pn, xm[act], ka2)
        rn = y[act] - fn
        chi2n = np.einsum("ij,ij->i", Wa * rn, rn)
        better = np.isfinite(chi2n) & (chi2n <= chi2[act])
        rel = np.abs(chi2[act] - chi2n) / np.maximum(chi2[act], 1e-300)
        small = np.all(np.abs(step) <= 1e-9 * (np.abs(p[act][:, free]) + 1e-12), axis=1)
        converged[act] |= better & ((rel < 1e-9) | small)
        ab = act[better]
        p[ab], f[ab], J[ab], r[ab], chi2[ab] = pn[better], fn[better], Jn[better], rn[better], chi2n[better]
        lam[act] = np.clip(np.where(better, lam[act] * 0.3, lam[act] * 10.0), 1e-12, 1e12)
    converged |= lam < 1e12
    npts = (W > 0).sum(axis=1)
    dof = np.maximum(npts - free.sum(), 1)
    chi2_red = chi2 / dof
    Jf = J[..., free]
    A = np.einsum("imk,iml->ikl", Jf * W[..., None], Jf)
    errs = np.full((n, 6), np.nan)
    try:
        cov = np.linalg.inv(A)
        e = np.sqrt(np.abs(np.einsum("ikk->ik", cov)) * chi2_red[:, None])
        errs[:, free] = e
    except np.linalg.LinAlgError:
        for i in range(n):
            try:
                errs[i, free] = np.sqrt(np.abs(np.diag(np.linalg.inv(A[i]))) * chi2_red[i])
            except np.linalg.LinAlgError:
                pass
    return PVFit(p[:, 0], p[:, 1], p[:, 2], p[:, 3], p[:, 4], p[:, 5], errs[:, 0], errs[:, 1], errs[:, 2],
                 errs[:, 3], chi2_red, converged, npts)


def windows(x, centers, half_width):
    """Index windows ``[lo, hi)`` of a sorted axis around each centre (± ``half_width`` in x units)."""
    x = np.asarray(x, float)
    asc = x[-1] >= x[0]
    xs = x if asc else x[::-1]
    lo = np.searchsorted(xs, np.asarray(centers) - half_width)
    hi = np.searchsorted(xs, np.asarray(centers) + half_width)
    if not asc:
        lo, hi = len(x) - hi, len(x) - lo
    return lo, hi


def fit_peaks(x, y, centers, half_width, *, sigma=None, fwhm0=None, eta0: float = 0.5, ka2=None,
              fix_eta=None) -> PVFit:
    """Fit one pseudo-Voigt per centre in one pattern, each in its own window (± ``half_width``)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    centers = np.atleast_1d(np.asarray(centers, float))
    hw = np.broadcast_to(np.asarray(half_width, float), centers.shape)
    los, his = [], []
    for c, h in zip(centers, hw):
        lo, hi = windows(x, [c], h)
        los.append(int(lo[0]))
        his.append(int(hi[0]))
    L = max(max(h - lo for lo, h in zip(los, his)), 1)
    n = len(centers)
    X = np.zeros((n, L))
    Y = np.zeros((n, L))
    S = np.ones((n, L)) if sigma is not None else None
    M = np.zeros((n, L), bool)
    for i, (lo, hi) in enumerate(zip(los, his)):
        k = hi - lo
        if k < 8:
            raise FitError(f"peak at {centers[i]:.4g}: only {k} points in its window")
        X[i, :k] = x[lo:hi]
        X[i, k:] = x[hi - 1]
        Y[i, :k] = y[lo:hi]
        M[i, :k] = True
        if S is not None:
            S[i, :k] = np.asarray(sigma, float)[lo:hi]
    step = float(np.median(np.abs(np.diff(x))))
    w0 = np.full(n, fwhm0 if fwhm0 else 6 * step) if np.ndim(fwhm0) == 0 else np.asarray(fwhm0, float)
    base = np.array([np.median(np.r_[Y[i, :3], Y[i, M[i]][-3:]]) for i in range(n)])
    peak = np.array([Y[i, M[i]].max() for i in range(n)]) - base
    area0 = np.maximum(peak, 1e-12) * w0 * 1.2
    p0 = np.column_stack([area0, centers, w0, np.full(n, eta0), base, np.zeros(n)])
    if S is not None and not np.all(np.isfinite(S)):
        raise AnalysisError("non-finite intensity uncertainties")
    return fit_pv_batch(X, Y, p0, sigma=S, mask=M, ka2=ka2, fix_eta=fix_eta)
