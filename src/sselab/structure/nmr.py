"""NMR spectrum analysis: phasing, baselines, referencing, region integrals over time, peak tracking,
lineshape fits and static CSA fits (mrsimulator, optional extra ``sselab[nmr]``).

Spectra are arrays on a ppm axis (``shift_ppm``; any order), one row per spectrum.  Integrals are in spectrum
units × ppm (Σ y·|Δδ|), so they compare across rows of one series and with simulated truth
(:meth:`sselab.simulate.structure.NMRSeries.region_truth` uses the same convention).

* :func:`autophase` (zero- and optionally first-order; maximises the absorptive, positive part),
  :func:`apply_phase`;
* :func:`baseline` (polynomial through signal-free points found automatically or given regions; ALS as option);
* :func:`reference` (shift the axis so a known line sits at its literature shift);
* :func:`region_integrals` (per row, with the noise-propagated standard error);
* :func:`track_peaks` (position, width, area per row: batched pseudo-Voigt fits);
* :func:`fit_lines` (sum of Lorentzian / Gaussian / pseudo-Voigt components, errors);
* :func:`fit_csa` (static CSA components — quasi-axial and rhombic — simulated with mrsimulator and fitted by
  least squares; Haeberlen δiso, δaniso, η with errors).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError, FitError, MissingDependencyError
from ..results import Result
from .peaks import fit_pv_batch, gaussian, lorentzian, noise_sigma, pseudo_voigt

__all__ = ["autophase", "apply_phase", "baseline", "reference", "region_integrals", "RegionIntegrals", "track_peaks",
           "fit_lines", "LineFit", "fit_csa", "CSAFit", "csa_spectrum_mrsimulator", "DEFAULT_REGIONS_PPM"]

#: regions used by default for ⁷Li in-situ cells (Li metal ~260 ppm, the electrolyte near 0 ppm)
DEFAULT_REGIONS_PPM = {"Li metal": (200.0, 320.0), "SSE": (-60.0, 60.0)}


def apply_phase(spec, phc0_deg: float = 0.0, phc1_deg: float = 0.0) -> np.ndarray:
    """Multiply by exp(−i(φ0 + φ1·k/N)) along the last axis (TopSpin convention, k = 0 … N−1)."""
    spec = np.asarray(spec, complex)
    n = spec.shape[-1]
    return spec * np.exp(-1j * np.radians(phc0_deg + phc1_deg * np.arange(n) / n))


def autophase(spec, *, first_order: bool = False) -> tuple[float, float]:
    """Phase angles (degrees) that make the (summed) spectrum absorptive: maximise Σ Re − 4·Σ|negative Re| (the
    dispersive parts integrate to ~0 over a spectrum much wider than its lines, the absorptive ones are positive;
    the penalty removes the sign ambiguity).  First order, when asked, by Nelder–Mead on the same criterion.
    Returns ``(phc0, phc1)`` for :func:`apply_phase`.  Biased when lines sit near the spectrum's edges (their
    dispersive tails are cut)."""
    from scipy.optimize import minimize, minimize_scalar

    s = np.atleast_2d(np.asarray(spec, complex)).sum(axis=0)
    s = s / (np.abs(s).max() or 1.0)

    def cost(p0, p1=0.0):
        r = apply_phase(s, p0, p1).real
        return -(r.sum() - 4.0 * np.abs(r[r < 0]).sum())

    grid = np.arange(-180, 180, 2.0)
    p0 = grid[np.argmin([cost(g) for g in grid])]
    p0 = minimize_scalar(lambda v: cost(v), bounds=(p0 - 2, p0 + 2), method="bounded",
                         options={"xatol": 1e-3}).x
    if not first_order:
        return float(((p0 + 180) % 360) - 180), 0.0
    res = minimize(lambda v: cost(v[0], v[1]), [p0, 0.0], method="Nelder-Mead", options={"xatol": 0.01, "fatol": 1e-9})
    return float(((res.x[0] + 180) % 360) - 180), float(res.x[1])


def baseline(ppm, y, *, signal_regions=None, order: int = 3, method: str = "poly") -> np.ndarray:
    """Baseline of each row of ``y``: a polynomial of ``order`` through the points outside ``signal_regions``
    (list of (lo, hi) ppm; found automatically when None: points within 3σ of a SNIP background), or an ALS
    baseline (``method='als'``)."""
    from .peaks import als_background, snip_background

    ppm = np.asarray(ppm, float)
    Y = np.atleast_2d(np.asarray(y, float))
    if method == "als":
        return als_background(Y, lam=1e7, p=0.02)
    if signal_regions is None:
        s = Y.mean(axis=0)
        bg = snip_background(s, half_width=max(10, len(s) // 50), lls=False)[0]
        sig = float(noise_sigma(s)[0]) or 1e-12
        keep = np.abs(s - bg) < 3 * sig
    else:
        keep = np.ones_like(ppm, bool)
        for lo, hi in signal_regions:
            keep &= ~((ppm >= min(lo, hi)) & (ppm <= max(lo, hi)))
    if keep.sum() < order + 2:
        raise AnalysisError("too few signal-free points for a baseline")
    t = (ppm - ppm.mean()) / (np.ptp(ppm) or 1.0)
    V = np.vander(t[keep], order + 1)
    coef, *_ = np.linalg.lstsq(V, Y[:, keep].T, rcond=None)
    return (np.vander(t, order + 1) @ coef).T


def reference(ppm, y, expected_ppm: float, window_ppm: tuple[float, float]) -> tuple[np.ndarray, float]:
    """Shift the axis so the strongest point of the mean spectrum inside ``window_ppm`` sits at ``expected_ppm``
    (refined by a parabola through the top three points).  Returns ``(new_ppm, shift_applied_ppm)``."""
    ppm = np.asarray(ppm, float)
    s = np.atleast_2d(np.asarray(y, float)).mean(axis=0)
    sel = np.where((ppm >= min(window_ppm)) & (ppm <= max(window_ppm)))[0]
    if len(sel) < 3:
        raise AnalysisError(f"reference window {window_ppm} holds fewer than 3 points")
    k = sel[np.argmax(s[sel])]
    k = min(max(k, 1), len(ppm) - 2)
    y0, y1, y2 = s[k - 1], s[k], s[k + 1]
    den = y0 - 2 * y1 + y2
    frac = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    pos = ppm[k] + frac * (ppm[k + 1] - ppm[k - 1]) / 2.0
    shift = expected_ppm - pos
    return ppm + shift, float(shift)


@dataclass(frozen=True)
class RegionIntegrals(Result):
    """Per-region integrals of every row: ``values[name]`` (n,), ``errors[name]`` (n,) in spectrum units × ppm."""

    regions: dict
    values: dict
    errors: dict


def region_integrals(ppm, Y, regions: dict | None = None, *, noise=None) -> RegionIntegrals:
    """Integrate each row of ``Y`` over each region {name: (lo, hi) ppm}: Σ y·|Δδ| (trapezoid on the grid).
    Error: per-row noise σ (robust, from the second difference, or ``noise``) × |Δδ| × √N."""
    ppm = np.asarray(ppm, float)
    Y = np.atleast_2d(np.asarray(Y, float))
    regions = dict(regions or DEFAULT_REGIONS_PPM)
    o = np.argsort(ppm)
    x = ppm[o]
    Ys = Y[:, o]
    sig = noise_sigma(Y) if noise is None else np.broadcast_to(np.asarray(noise, float), (len(Y),))
    vals, errs = {}, {}
    for name, (lo, hi) in regions.items():
        lo, hi = min(lo, hi), max(lo, hi)
        if hi < x[0] or lo > x[-1]:
            raise AnalysisError(f"region {name!r} ({lo:g}–{hi:g} ppm) lies outside the spectrum "
                                f"({x[0]:.4g}–{x[-1]:.4g} ppm)")
        sel = (x >= lo) & (x <= hi)
        xi = np.concatenate([[lo], x[sel], [hi]])
        yl = np.array([np.interp(lo, x, r) for r in Ys])
        yh = np.array([np.interp(hi, x, r) for r in Ys])
        yi = np.column_stack([yl, Ys[:, sel], yh])
        vals[name] = np.trapezoid(yi, xi, axis=1)
        dx = float(np.median(np.diff(x)))
        errs[name] = sig * dx * np.sqrt(max(sel.sum(), 1))
    return RegionIntegrals(regions, vals, errs)


def track_peaks(ppm, Y, region: tuple[float, float], *, sigma=None, eta: float | None = None):
    """Fit one pseudo-Voigt + linear background inside ``region`` for every row; returns the
    :class:`sselab.structure.peaks.PVFit` (centre = shift, fwhm = width in ppm, area)."""
    ppm = np.asarray(ppm, float)
    Y = np.atleast_2d(np.asarray(Y, float))
    sel = (ppm >= min(region)) & (ppm <= max(region))
    if sel.sum() < 8:
        raise AnalysisError(f"region {region} holds fewer than 8 points")
    x = ppm[sel]
    o = np.argsort(x)
    x = x[o]
    Ys = Y[:, sel][:, o]
    k = np.argmax(Ys, axis=1)
    top = Ys[np.arange(len(Ys)), k]
    base = np.median(np.column_stack([Ys[:, :3], Ys[:, -3:]]), axis=1)
    half = (top + base) / 2
    w0 = np.array([max(np.ptp(x[r > h]) if (r > h).sum() > 1 else 3 * np.median(np.diff(x)), np.median(np.diff(x)))
                   for r, h in zip(Ys, half)])
    p0 = np.column_stack([(top - base) * w0 * 1.3, x[k], w0, np.full(len(Ys), 0.5 if eta is None else eta), base,
                          np.zeros(len(Ys))])
    S = None if sigma is None else np.broadcast_to(np.asarray(sigma, float)[:, None], Ys.shape)
    return fit_pv_batch(x, Ys, p0, sigma=S, fix_eta=eta)


@dataclass(frozen=True)
class LineFit(Result):
    components: tuple               # dicts: shape, center_ppm, fwhm_ppm, area, eta + *_err
    chi2_red: float
    model: np.ndarray
    residual_rms: float


def fit_lines(ppm, y, components, *, sigma=None, baseline_order: int = 1) -> LineFit:
    """Least-squares sum of lines: ``components`` = list of {"shape": "lorentz"|"gauss"|"pv", "center": ppm,
    "fwhm": ppm, "area": float (optional), "eta": (pv only)} starting values; a polynomial baseline of
    ``baseline_order`` is fitted alongside.  Returns areas, centres, widths with standard errors."""
    from scipy.optimize import least_squares

    x = np.asarray(ppm, float)
    y = np.asarray(y, float)
    sig = float(noise_sigma(y)[0]) if sigma is None else sigma
    shapes = [c.get("shape", "lorentz") for c in components]
    p0 = []
    for c in components:
        area = c.get("area") or max(np.max(y), 1e-12) * c["fwhm"]
        p0 += [area, c["center"], c["fwhm"]] + ([c.get("eta", 0.5)] if c.get("shape") == "pv" else [])
    t = (x - x.mean()) / (np.ptp(x) or 1)
    nb = baseline_order + 1
    p0 += [0.0] * nb

    def model(p):
        out = np.zeros_like(x)
        k = 0
        for s in shapes:
            A, c, w = p[k], p[k + 1], abs(p[k + 2])
            if s == "pv":
                out += A * pseudo_voigt(x, c, w, np.clip(p[k + 3], 0, 1))
                k += 4
            else:
                out += A * (lorentzian(x, c, w) if s == "lorentz" else gaussian(x, c, w))
                k += 3
        out += np.polyval(p[k:k + nb], t)
        return out

    res = least_squares(lambda p: (model(p) - y) / sig, p0, x_scale="jac")
    if not res.success:
        raise FitError(f"line fit did not converge: {res.message}")
    dof = max(len(x) - len(p0), 1)
    chi2 = float(np.sum(res.fun ** 2) / dof)
    try:
        cov = np.linalg.pinv(res.jac.T @ res.jac) * chi2
        err = np.sqrt(np.abs(np.diag(cov)))
    except np.linalg.LinAlgError:
        err = np.full(len(p0), np.nan)
    comps = []
    k = 0
    for s in shapes:
        d = {"shape": s, "area": float(res.x[k]), "area_err": float(err[k]), "center_ppm": float(res.x[k + 1]),
             "center_err_ppm": float(err[k + 1]), "fwhm_ppm": float(abs(res.x[k + 2])), "fwhm_err_ppm": float(err[k + 2])}
        if s == "pv":
            d["eta"], d["eta_err"] = float(res.x[k + 3]), float(err[k + 3])
            k += 4
        else:
            k += 3
        comps.append(d)
    m = model(res.x)
    return LineFit(tuple(comps), chi2, m, float(np.sqrt(np.mean((m - y) ** 2))))


# ---------------------------------------------------------------------------------------------------------------
# static CSA with mrsimulator
# ---------------------------------------------------------------------------------------------------------------

def _mrsim():
    try:
        import mrsimulator  # noqa: F401
        from mrsimulator import Simulator, Site, SpinSystem
        from mrsimulator.method import SpectralDimension
        from mrsimulator.method.lib import BlochDecaySpectrum
    except ImportError:
        raise MissingDependencyError("static CSA fits need mrsimulator: pip install 'sselab[nmr]'") from None
    return Simulator, Site, SpinSystem, SpectralDimension, BlochDecaySpectrum


def csa_spectrum_mrsimulator(ppm, components, *, sf_Hz: float, isotope: str = "7Li", broadening_ppm=None):
    """Static powder spectrum of CSA components on the ``ppm`` grid (mrsimulator): each component {"iso":
    δiso ppm, "aniso": δaniso ppm (Haeberlen, chemical-shift convention), "eta": η, "area": area (× ppm),
    "broadening": Lorentzian FWHM ppm}.  Returns the summed spectrum (same order as ``ppm``)."""
    Simulator, Site, SpinSystem, SpectralDimension, BlochDecaySpectrum = _mrsim()
    ppm = np.asarray(ppm, float)
    o = np.argsort(ppm)
    xs = ppm[o]
    n = len(xs)
    step = (xs[-1] - xs[0]) / (n - 1)
    sf_mhz = sf_Hz / 1e6
    # field from the Larmor frequency of the isotope
    gamma = {"7Li": 16.546, "6Li": 6.2661, "1H": 42.577478, "31P": 17.235, "13C": 10.7084, "23Na": 11.262}.get(isotope)
    if gamma is None:
        raise AnalysisError(f"isotope {isotope!r}: no gyromagnetic ratio in sselab's table")
    B0 = sf_mhz / gamma
    sw_Hz = step * n * sf_mhz
    center_ppm = xs[0] + step * (n // 2)
    total = np.zeros(n)
    for c in components:
        # mrsimulator: shielding_symmetric zeta in ppm on the shielding scale = −δaniso on the shift scale
        site = Site(isotope=isotope, isotropic_chemical_shift=float(c["iso"]),
                    shielding_symmetric={"zeta": -float(c["aniso"]), "eta": float(np.clip(c["eta"], 0, 1))})
        method = BlochDecaySpectrum(channels=[isotope], magnetic_flux_density=B0, rotor_frequency=0,
                                    spectral_dimensions=[SpectralDimension(count=n, spectral_width=sw_Hz,
                                                                           reference_offset=center_ppm * sf_mhz)])
        sim = Simulator(spin_systems=[SpinSystem(sites=[site])], methods=[method])
        sim.config.integration_density = 120
        sim.config.number_of_sidebands = 1
        sim.run()
        sp = np.asarray(sim.methods[0].simulation.y[0].components[0].real, float)
        # mrsimulator's coordinates: frequency → ppm; place on our ascending grid
        coords = np.asarray(sim.methods[0].spectral_dimensions[0].coordinates_ppm(), float)
        sp = np.interp(xs, coords, sp) if not np.allclose(coords, xs, atol=step * 1e-3) else sp
        br = float(c.get("broadening", 0.5))
        if br > 0:
            k = (np.arange(n) - n // 2) * step
            L = (br / (2 * np.pi)) / (k ** 2 + (br / 2) ** 2) * step
            sp = np.convolve(sp, L, mode="same")
        s = np.sum(sp) * step
        total += float(c.get("area", 1.0)) * sp / (s if s else 1.0)
    out = np.empty(n)
    out[o] = total
    return out


@dataclass(frozen=True)
class CSAFit(Result):
    """Fitted static CSA components: dicts with iso/aniso/eta/area/broadening and their ``*_err``."""

    components: tuple
    chi2_red: float
    model: np.ndarray


def fit_csa(ppm, y, components, *, sf_Hz: float, isotope: str = "7Li", sigma=None, fix=None) -> CSAFit:
    """Fit static CSA components to a spectrum (mrsimulator forward model, scipy least squares).

    ``components``: starting values [{"iso", "aniso", "eta", "area", "broadening", "kind"}]; ``kind``
    "quasi-axial" fixes η = 0, "rhombic" fits η in [0, 1].  ``fix``: names of parameters held (e.g.
    {"broadening"}).  Errors from the Jacobian, scaled by the reduced χ²."""
    from scipy.optimize import least_squares

    x = np.asarray(ppm, float)
    y = np.asarray(y, float)
    sig = float(noise_sigma(y)[0]) if sigma is None else float(sigma)
    fix = set(fix or ())
    names, p0, lo, hi = [], [], [], []
    for i, c in enumerate(components):
        for k in ("iso", "aniso", "eta", "area", "broadening"):
            if k == "eta" and c.get("kind") == "quasi-axial":
                continue
            if k in fix:
                continue
            names.append((i, k))
            v = float(c.get(k, {"eta": 0.5, "broadening": 0.5, "area": 1.0}.get(k, 0.0)))
            p0.append(v)
            lo.append({"eta": 0.0, "broadening": 1e-3, "area": 0.0}.get(k, -np.inf))
            hi.append({"eta": 1.0}.get(k, np.inf))
    p0 = np.clip(p0, np.array(lo) + 1e-9, np.array(hi) - 1e-9)

    def comps(p):
        out = [dict(c) for c in components]
        for c in out:
            if c.get("kind") == "quasi-axial":
                c["eta"] = 0.0
        for (i, k), v in zip(names, p):
            out[i][k] = v
        return out

    def resid(p):
        return (csa_spectrum_mrsimulator(x, comps(p), sf_Hz=sf_Hz, isotope=isotope) - y) / sig

    res = least_squares(resid, p0, bounds=(lo, hi), x_scale="jac", diff_step=1e-4)
    dof = max(len(x) - len(p0), 1)
    chi2 = float(np.sum(res.fun ** 2) / dof)
    try:
        cov = np.linalg.pinv(res.jac.T @ res.jac) * max(chi2, 1e-300)
        err = np.sqrt(np.abs(np.diag(cov)))
    except np.linalg.LinAlgError:
        err = np.full(len(p0), np.nan)
    final = comps(res.x)
    for (i, k), e in zip(names, err):
        final[i][f"{k}_err"] = float(e)
    return CSAFit(tuple(final), chi2, csa_spectrum_mrsimulator(x, final, sf_Hz=sf_Hz, isotope=isotope))
