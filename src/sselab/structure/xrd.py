"""Powder-diffraction analysis: axis conversions, lattice parameters, indexing, whole-pattern (Pawley) fitting,
the Li2NH superstructure test, phase identification and weight fractions.

Wavelengths are in metres (``wavelength_m``); 2θ in degrees (``two_theta_deg``, how every diffractometer and
paper gives it); lattice parameters and d-spacings in Å where the name says so (``a_angstrom``) — the
crystallographic convention; Q in 1/m.

* :func:`two_theta_to_d`, :func:`d_to_two_theta`, :func:`two_theta_to_q`, :func:`q_to_two_theta`, :func:`convert_two_theta`
  (between wavelengths);
* :func:`fit_cubic` — a (and a zero shift) from indexed reflection positions, weighted least squares with errors;
  :func:`refine_cell` — general least-squares cell refinement from indexed d-spacings (any crystal system);
* :func:`index_cubic` — automatic cubic indexing (P, I, F, diamond) of observed peak positions;
* :func:`pawley_fit` — whole-pattern fit of one or more phases: cell(s), zero shift, Caglioti profile, free
  reflection intensities (non-negative) and a Chebyshev background by variable projection;
* :func:`superstructure_test` — is the (111) reflection of the doubled (2a×2a×2a) Li2NH cell there, how strong,
  how significant;
* :func:`identify_phases` — which knowledge-base structures explain the observed peaks;
* :func:`weight_fractions` — Hill–Howard weight fractions from phase scales (I_obs / I_calc).

Full Rietveld refinement (atomic positions, occupancies, preferred orientation) is out of scope: use GSAS-II or
TOPAS; :func:`pawley_fit` gives cells and intensities without a structural model.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import AnalysisError, FitError
from ..results import Result
from .crystal import Crystal, d_spacings, powder_lines
from .peaks import fit_peaks, find_peaks, pseudo_voigt, snip_background

__all__ = ["two_theta_to_d", "d_to_two_theta", "two_theta_to_q", "q_to_two_theta", "convert_two_theta",
           "CubicFit", "fit_cubic", "CellFit", "refine_cell", "CubicIndexing", "index_cubic", "PawleyFit",
           "PawleyPhase", "pawley_fit", "SuperstructureTest", "superstructure_test", "PhaseMatch", "identify_phases",
           "weight_fractions", "crystal_system"]


# ---------------------------------------------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------------------------------------------

def two_theta_to_d(two_theta_deg, wavelength_m: float) -> np.ndarray:
    """d-spacing (m) from 2θ (degrees) — Bragg's law, first order."""
    return wavelength_m / (2.0 * np.sin(np.radians(np.asarray(two_theta_deg, float)) / 2.0))


def d_to_two_theta(d_m, wavelength_m: float) -> np.ndarray:
    """2θ (degrees) of a d-spacing (m); NaN beyond the Ewald sphere (λ > 2d)."""
    with np.errstate(invalid="ignore"):
        return 2.0 * np.degrees(np.arcsin(wavelength_m / (2.0 * np.asarray(d_m, float))))


def two_theta_to_q(two_theta_deg, wavelength_m: float) -> np.ndarray:
    """Scattering vector Q = 4π sinθ / λ (1/m)."""
    return 4.0 * np.pi * np.sin(np.radians(np.asarray(two_theta_deg, float)) / 2.0) / wavelength_m


def q_to_two_theta(q_per_m, wavelength_m: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 2.0 * np.degrees(np.arcsin(np.asarray(q_per_m, float) * wavelength_m / (4.0 * np.pi)))


def convert_two_theta(two_theta_deg, from_wavelength_m: float, to_wavelength_m: float) -> np.ndarray:
    """2θ of the same d-spacing measured with another wavelength (e.g. Mo Kα1 → synchrotron)."""
    return d_to_two_theta(two_theta_to_d(two_theta_deg, from_wavelength_m), to_wavelength_m)


def crystal_system(space_group: int) -> str:
    n = int(space_group)
    for lim, name in ((2, "triclinic"), (15, "monoclinic"), (74, "orthorhombic"), (142, "tetragonal"),
                      (167, "trigonal"), (194, "hexagonal"), (230, "cubic")):
        if n <= lim:
            return name
    raise AnalysisError(f"space group {space_group}: not 1–230")


# ---------------------------------------------------------------------------------------------------------------
# cubic lattice parameter from indexed reflections
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CubicFit(Result):
    """a (Å) of a cubic phase from indexed 2θ positions; ``zero_deg`` the fitted 2θ zero shift (0 when fixed);
    errors are one standard deviation (covariance scaled by the reduced χ² when it exceeds 1)."""

    a_angstrom: float
    a_err_angstrom: float
    zero_deg: float
    zero_err_deg: float | None
    n_reflections: int
    chi2_red: float
    residuals_deg: np.ndarray
    hkl: tuple


def fit_cubic(hkl, two_theta_deg, wavelength_m: float, two_theta_err_deg=None, *, refine_zero: bool = False) -> CubicFit:
    """Least-squares a (and optionally the 2θ zero shift) of a cubic cell: 2θ_hkl = 2·asin(λ√(h²+k²+l²)/2a) + z."""
    hkl = np.atleast_2d(np.asarray(hkl, int))
    tt = np.asarray(two_theta_deg, float)
    if len(tt) < (2 if refine_zero else 1):
        raise FitError(f"a cubic fit needs ≥ {2 if refine_zero else 1} indexed reflection(s), got {len(tt)}")
    s = np.sqrt((hkl ** 2).sum(axis=1))
    lam = wavelength_m * 1e10
    sig = np.ones_like(tt) if two_theta_err_deg is None else np.asarray(two_theta_err_deg, float)
    if np.any(~np.isfinite(sig)) or np.any(sig <= 0):
        sig = np.where(np.isfinite(sig) & (sig > 0), sig, np.nanmedian(sig[sig > 0]) if np.any(sig > 0) else 1.0)
    # start: mean of single-peak estimates
    a = float(np.median(lam * s / (2.0 * np.sin(np.radians(tt) / 2.0))))
    z = 0.0
    for _ in range(50):
        arg = lam * s / (2.0 * a)
        if np.any(arg >= 1):
            raise FitError("reflections beyond the Ewald limit for this a")
        model = 2.0 * np.degrees(np.arcsin(arg)) + z
        da = -2.0 * np.degrees(1.0 / np.sqrt(1 - arg ** 2)) * arg / a
        J = np.column_stack([da, np.ones_like(tt)]) if refine_zero else da[:, None]
        r = (tt - model) / sig
        Jw = J / sig[:, None]
        step = np.linalg.lstsq(Jw, r, rcond=None)[0]
        a += step[0]
        if refine_zero:
            z += step[1]
        if abs(step[0]) < 1e-12 * a:
            break
    arg = lam * s / (2.0 * a)
    model = 2.0 * np.degrees(np.arcsin(arg)) + z
    res = tt - model
    dof = max(len(tt) - J.shape[1], 1)
    chi2_red = float(np.sum((res / sig) ** 2) / dof) if len(tt) > J.shape[1] else 1.0
    if two_theta_err_deg is None:
        scale = chi2_red
    else:
        scale = max(chi2_red, 1.0)
    cov = np.linalg.inv(Jw.T @ Jw) * scale
    return CubicFit(float(a), float(np.sqrt(cov[0, 0])), float(z), float(np.sqrt(cov[1, 1])) if refine_zero else None,
                    len(tt), chi2_red, res, tuple(tuple(int(v) for v in h) for h in hkl))


# ---------------------------------------------------------------------------------------------------------------
# general cell refinement
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellFit(Result):
    """Refined cell (Å, degrees) with standard errors, from indexed d-spacings."""

    system: str
    a_angstrom: float
    b_angstrom: float
    c_angstrom: float
    alpha_deg: float
    beta_deg: float
    gamma_deg: float
    errors: dict
    volume_angstrom3: float
    volume_err_angstrom3: float
    n_reflections: int
    chi2_red: float


_SYSTEM_TERMS = {
    # 1/d² = Σ coef_i · term_i(h, k, l) in reciprocal-metric components
    "cubic": lambda h, k, l: [h * h + k * k + l * l],
    "tetragonal": lambda h, k, l: [h * h + k * k, l * l],
    "hexagonal": lambda h, k, l: [h * h + h * k + k * k, l * l],
    "trigonal": lambda h, k, l: [h * h + h * k + k * k, l * l],      # hexagonal axes
    "orthorhombic": lambda h, k, l: [h * h, k * k, l * l],
    "monoclinic": lambda h, k, l: [h * h, k * k, l * l, h * l],      # unique axis b
    "triclinic": lambda h, k, l: [h * h, k * k, l * l, k * l, h * l, h * k],
}


def _cell_from_coefs(system, q):
    if system == "cubic":
        a = 1 / np.sqrt(q[0])
        return a, a, a, 90.0, 90.0, 90.0
    if system == "tetragonal":
        a, c = 1 / np.sqrt(q[0]), 1 / np.sqrt(q[1])
        return a, a, c, 90.0, 90.0, 90.0
    if system in ("hexagonal", "trigonal"):
        a, c = np.sqrt(4.0 / (3.0 * q[0])), 1 / np.sqrt(q[1])
        return a, a, c, 90.0, 90.0, 120.0
    if system == "orthorhombic":
        return 1 / np.sqrt(q[0]), 1 / np.sqrt(q[1]), 1 / np.sqrt(q[2]), 90.0, 90.0, 90.0
    # monoclinic / triclinic: reciprocal metric → direct metric
    if system == "monoclinic":
        gs = np.array([[q[0], 0, q[3] / 2], [0, q[1], 0], [q[3] / 2, 0, q[2]]])
    else:
        gs = np.array([[q[0], q[5] / 2, q[4] / 2], [q[5] / 2, q[1], q[3] / 2], [q[4] / 2, q[3] / 2, q[2]]])
    g = np.linalg.inv(gs)
    a, b, c = np.sqrt(np.diag(g))
    al = np.degrees(np.arccos(g[1, 2] / (b * c)))
    be = np.degrees(np.arccos(g[0, 2] / (a * c)))
    ga = np.degrees(np.arccos(g[0, 1] / (a * b)))
    return a, b, c, al, be, ga


def refine_cell(hkl, d_angstrom, system: str, d_err_angstrom=None) -> CellFit:
    """Linear least squares of 1/d² in the reciprocal-metric components allowed by ``system`` (cubic,
    tetragonal, hexagonal/trigonal (hexagonal axes), orthorhombic, monoclinic (b unique), triclinic); the cell
    and its errors (first-order propagation through a numerical Jacobian)."""
    system = system.lower()
    if system not in _SYSTEM_TERMS:
        raise AnalysisError(f"crystal system {system!r}: one of {', '.join(_SYSTEM_TERMS)}")
    hkl = np.atleast_2d(np.asarray(hkl, float))
    d = np.asarray(d_angstrom, float)
    A = np.array([_SYSTEM_TERMS[system](*h) for h in hkl], float)
    if len(d) < A.shape[1]:
        raise FitError(f"{system} cell: {A.shape[1]} parameters need ≥ {A.shape[1]} reflections, got {len(d)}")
    y = 1.0 / d ** 2
    sy = np.ones_like(y) if d_err_angstrom is None else 2.0 * np.asarray(d_err_angstrom, float) / d ** 3
    Aw, yw = A / sy[:, None], y / sy
    q, *_ = np.linalg.lstsq(Aw, yw, rcond=None)
    res = yw - Aw @ q
    dof = max(len(y) - len(q), 1)
    chi2_red = float(res @ res / dof) if len(y) > len(q) else 1.0
    scale = chi2_red if d_err_angstrom is None else max(chi2_red, 1.0)
    cov = np.linalg.pinv(Aw.T @ Aw) * scale
    cell = np.array(_cell_from_coefs(system, q), float)
    Jc = np.zeros((6, len(q)))
    for j in range(len(q)):
        dq = np.zeros_like(q)
        dq[j] = 1e-7 * max(abs(q[j]), 1e-12)
        Jc[:, j] = (np.array(_cell_from_coefs(system, q + dq)) - np.array(_cell_from_coefs(system, q - dq))) / (2 * dq[j])
    ccov = Jc @ cov @ Jc.T
    names = ("a_angstrom", "b_angstrom", "c_angstrom", "alpha_deg", "beta_deg", "gamma_deg")
    errs = {n: float(np.sqrt(max(ccov[i, i], 0.0))) for i, n in enumerate(names)}
    cr = Crystal("fit", 1, cell[0], cell[1], cell[2], cell[3], cell[4], cell[5])
    V = cr.volume_angstrom3()
    # volume error by propagation on the coefficients
    def vol(qq):
        c = _cell_from_coefs(system, qq)
        return Crystal("fit", 1, *c).volume_angstrom3()
    Jv = np.array([(vol(q + np.eye(len(q))[j] * 1e-7 * max(abs(q[j]), 1e-12)) -
                    vol(q - np.eye(len(q))[j] * 1e-7 * max(abs(q[j]), 1e-12))) / (2e-7 * max(abs(q[j]), 1e-12))
                   for j in range(len(q))])
    return CellFit(system, *map(float, cell), errs, float(V), float(np.sqrt(max(Jv @ cov @ Jv, 0.0))), len(d), chi2_red)


# ---------------------------------------------------------------------------------------------------------------
# cubic indexing
# ---------------------------------------------------------------------------------------------------------------

def _allowed_N(lattice: str, n_max: int = 400) -> np.ndarray:
    out = set()
    r = int(np.sqrt(n_max)) + 1
    for h in range(r):
        for k in range(h + 1):
            for l in range(k + 1):
                N = h * h + k * k + l * l
                if N == 0 or N > n_max:
                    continue
                if lattice == "I" and (h + k + l) % 2:
                    continue
                if lattice in ("F", "D") and not (h % 2 == k % 2 == l % 2):
                    continue
                if lattice == "D" and (h % 2 == 0) and (h + k + l) % 4 != 0:
                    continue
                out.add(N)
    return np.array(sorted(out))


@dataclass(frozen=True)
class CubicIndexing(Result):
    lattice: str                     # P, I, F or D (diamond, Fd-3m)
    a_angstrom: float
    hkl: tuple
    indexed: np.ndarray              # bool per observed peak
    figure_of_merit: float           # fraction of observed peaks indexed
    candidates: tuple                # (lattice, a, fraction) of the runners-up


def _hkl_for_N(N: int) -> tuple[int, int, int]:
    r = int(np.sqrt(N)) + 1
    best = None
    for h in range(r, -1, -1):
        for k in range(h, -1, -1):
            for l in range(k, -1, -1):
                if h * h + k * k + l * l == N:
                    return (h, k, l)
    return best or (0, 0, 0)


def index_cubic(two_theta_deg, wavelength_m: float, *, tolerance_deg: float = 0.03, max_N: int = 200,
                a_range_angstrom: tuple[float, float] = (2.5, 25.0)) -> CubicIndexing:
    """Index observed peak positions on a cubic lattice: for each Bravais type (P, I, F, diamond D) and each
    assignment of the first peaks to allowed N = h²+k²+l², a candidate a; keep the one indexing the most peaks
    (ties → the smallest cell, which also indexes the fewest unobserved lines)."""
    tt = np.sort(np.asarray(two_theta_deg, float))
    if len(tt) < 3:
        raise AnalysisError(f"cubic indexing needs ≥ 3 peaks, got {len(tt)}")
    lam = wavelength_m * 1e10
    s2 = np.sin(np.radians(tt) / 2.0) ** 2
    cands = []
    for lat in ("P", "I", "F", "D"):
        Ns = _allowed_N(lat, max_N)
        for first in range(min(2, len(tt))):
            for N in Ns[:12]:
                a = lam * np.sqrt(N / s2[first]) / 2.0
                if not a_range_angstrom[0] <= a <= a_range_angstrom[1]:
                    continue
                Nobs = 4 * a * a * s2 / lam ** 2
                nearest = Ns[np.argmin(np.abs(Ns[None, :] - Nobs[:, None]), axis=1)]
                tcalc = 2 * np.degrees(np.arcsin(np.clip(lam * np.sqrt(nearest) / (2 * a), 0, 1)))
                ok = np.abs(tcalc - tt) < tolerance_deg
                if ok.sum() < 3:
                    continue
                # refine a on the indexed peaks
                hk = [_hkl_for_N(int(n)) for n in nearest[ok]]
                try:
                    fit = fit_cubic(hk, tt[ok], wavelength_m)
                except FitError:
                    continue
                a2 = fit.a_angstrom
                tcalc = 2 * np.degrees(np.arcsin(np.clip(lam * np.sqrt(nearest) / (2 * a2), 0, 1)))
                ok = np.abs(tcalc - tt) < tolerance_deg
                # unobserved lines predicted inside the range (penalises supercells)
                pred = 2 * np.degrees(np.arcsin(np.clip(lam * np.sqrt(Ns) / (2 * a2), 0, 1.0)))
                pred = pred[(pred >= tt.min() - 0.1) & (pred <= tt.max() + 0.1)]
                missing = np.sum(np.min(np.abs(pred[:, None] - tt[None, :]), axis=1) > tolerance_deg)
                cands.append((ok.mean(), -missing, -a2, lat, a2, ok, nearest))
    if not cands:
        raise AnalysisError("no cubic cell indexes three or more of the peaks")
    cands.sort(key=lambda c: (round(c[0], 3), c[1], c[2]), reverse=True)
    best = cands[0]
    _, _, _, lat, a, ok, nearest = best
    hkl = tuple(_hkl_for_N(int(n)) for n in nearest)
    runners = []
    seen = set()
    for c in cands[1:]:
        key = (c[3], round(c[4], 2))
        if key in seen or key == (lat, round(a, 2)):
            continue
        seen.add(key)
        runners.append((c[3], float(c[4]), float(c[0])))
        if len(runners) >= 3:
            break
    return CubicIndexing(lat, float(a), hkl, ok, float(ok.mean()), tuple(runners))


# ---------------------------------------------------------------------------------------------------------------
# Pawley whole-pattern fitting (variable projection)
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PawleyPhase(Result):
    """One phase of a Pawley fit: refined cell (Å) with errors, and its reflections' fitted intensities."""

    name: str
    key: str
    space_group: int
    cell: tuple
    cell_err: tuple
    hkl: tuple
    two_theta_deg: np.ndarray
    intensity: np.ndarray           # fitted integrated intensity (area, intensity × degrees), per reflection group
    intensity_err: np.ndarray
    calc_intensity: np.ndarray      # m·|F|²·LP from the structure (arbitrary scale)
    scale: float                    # Σ I_fit / Σ I_calc over resolved reflections (for weight fractions)
    scale_err: float

    @property
    def a_angstrom(self) -> float:
        return self.cell[0]

    @property
    def a_err_angstrom(self) -> float:
        return self.cell_err[0]


@dataclass(frozen=True)
class PawleyFit(Result):
    phases: tuple
    zero_deg: float
    zero_err_deg: float | None
    fwhm_params: tuple               # Caglioti U, V, W (deg²)
    eta: float
    rwp: float
    chi2_red: float
    x: np.ndarray
    y: np.ndarray
    calc: np.ndarray
    background: np.ndarray
    wavelength_m: float
    warnings: tuple = ()

    def phase(self, key: str) -> PawleyPhase:
        for p in self.phases:
            if p.key == key or p.name == key:
                return p
        raise KeyError(key)


def _cell_params(cr: Crystal) -> list[str]:
    sysn = crystal_system(cr.space_group)
    return {"cubic": ["a"], "tetragonal": ["a", "c"], "hexagonal": ["a", "c"], "trigonal": ["a", "c"],
            "orthorhombic": ["a", "b", "c"]}.get(sysn, ["scale"])


def _with_cell(cr: Crystal, vals: dict) -> Crystal:
    if "scale" in vals:
        s = vals["scale"]
        return replace(cr, a_angstrom=cr.a_angstrom * s, b_angstrom=None if cr.b_angstrom is None else cr.b_angstrom * s,
                       c_angstrom=None if cr.c_angstrom is None else cr.c_angstrom * s)
    kw = {}
    if "a" in vals:
        kw["a_angstrom"] = vals["a"]
        if crystal_system(cr.space_group) in ("tetragonal", "hexagonal", "trigonal") and cr.b_angstrom is not None:
            kw["b_angstrom"] = vals["a"]
    if "b" in vals:
        kw["b_angstrom"] = vals["b"]
    if "c" in vals:
        kw["c_angstrom"] = vals["c"]
    return replace(cr, **kw)


def _cheb(x, n):
    t = 2 * (x - x.min()) / max(np.ptp(x), 1e-300) - 1
    return np.polynomial.chebyshev.chebvander(t, n - 1)


def pawley_fit(x, y, phases, wavelength_m: float, *, sigma=None, wavelength2_m: float | None = None,
               ka2_ratio: float = 0.0, n_background: int = 8, background=None, refine_zero: bool = True,
               polarisation: float = 0.0, fwhm0_deg: float | None = None, eta0: float = 0.5,
               max_nfev: int = 200, refine_cells: bool = True) -> PawleyFit:
    """Whole-pattern Pawley fit of ``phases`` (knowledge-base :class:`Crystal` objects) to one pattern.

    Non-linear parameters (least squares, scipy ``least_squares`` with a numerical Jacobian): cell lengths
    (cubic a; tetragonal/hexagonal a, c; orthorhombic a, b, c; lower symmetry: one isotropic scale), the 2θ zero
    shift, Caglioti U, V, W (FWHM² = U tan²θ + V tanθ + W) and η.  Linear parameters solved at every step
    (non-negative least squares): one integrated intensity per reflection group (reflections at one 2θ share one)
    and a Chebyshev background of ``n_background`` terms (or a given ``background`` array subtracted first).
    Kα2 (``wavelength2_m``, ``ka2_ratio``) doubles every reflection with the fixed ratio.
    Errors: from the Jacobian of the full (linear + non-linear) model at the solution, scaled by the reduced χ²."""
    from scipy.optimize import least_squares, nnls

    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    sig = np.sqrt(np.maximum(np.abs(y), 1.0)) if sigma is None else np.asarray(sigma, float)[ok]
    sig = np.where(np.isfinite(sig) & (sig > 0), sig, np.nanmedian(sig[sig > 0]) if np.any(sig > 0) else 1.0)
    bg_fixed = None if background is None else np.asarray(background, float)[ok]
    yfit = y - bg_fixed if bg_fixed is not None else y
    phases = list(phases)
    if not phases:
        raise AnalysisError("pawley_fit: no phases")
    lam = wavelength_m
    tt_max = float(x.max()) + 1.0
    step = float(np.median(np.diff(x)))
    w0 = fwhm0_deg or max(5 * step, 0.02)
    # parameter vector
    names: list[tuple[int, str]] = []
    p0: list[float] = []
    for i, cr in enumerate(phases):
        for nm in _cell_params(cr):
            names.append((i, nm))
            p0.append({"a": cr.cell[0], "b": cr.cell[1], "c": cr.cell[2], "scale": 1.0}[nm])
    n_cell = len(p0)
    p0 += [0.0, 0.0, 0.0, w0 ** 2, eta0]          # zero, U, V, W, eta
    lines_cache: dict = {}

    def lines(i, cr):
        key = (i, round(cr.cell[0], 5), round(cr.cell[1], 5), round(cr.cell[2], 5))
        if key not in lines_cache:
            pl = powder_lines(cr, lam, tt_max + 2.0, polarisation=polarisation)
            lines_cache[key] = pl
        return lines_cache[key]

    # reflection lists fixed from the starting cells (indices; positions recomputed from cells)
    start_lines = [powder_lines(cr, lam, tt_max + 2.0, polarisation=polarisation) for cr in phases]
    groups = []     # per phase: list of arrays of reflection indices sharing one 2θ
    for pl in start_lines:
        inr = np.where((pl.two_theta_deg >= x.min() - 0.5) & (pl.two_theta_deg <= x.max() + 0.5))[0]
        gs, cur = [], []
        for j in inr:
            if cur and abs(pl.two_theta_deg[j] - pl.two_theta_deg[cur[-1]]) > 1e-4:
                gs.append(np.array(cur))
                cur = []
            cur.append(j)
        if cur:
            gs.append(np.array(cur))
        groups.append(gs)
    if sum(len(g) for g in groups) == 0:
        raise AnalysisError("no reflection of the given phases falls inside the measured 2θ range")

    hkl_all = [np.array(pl.hkl, float) for pl in start_lines]

    def unpack(p):
        crs = []
        for i, cr in enumerate(phases):
            vals = {nm: p[k] for k, (ii, nm) in enumerate(names) if ii == i}
            crs.append(_with_cell(cr, vals))
        zero, U, V, W, eta = p[n_cell:]
        return crs, zero, U, V, W, float(np.clip(eta, 0, 1))

    def design(p):
        crs, zero, U, V, W, eta = unpack(p)
        from scipy import sparse

        ncol = sum(len(g) for g in groups)
        rows, cols, vals = [], [], []
        pos = []
        col = 0
        for i, cr in enumerate(crs):
            d = d_spacings(cr, hkl_all[i])
            tt = 2 * np.degrees(np.arcsin(np.clip(lam / (2 * d * 1e-10), 0, 1))) + zero
            for g in groups[i]:
                c = tt[g[0]]
                th = np.radians(c / 2)
                fw = np.sqrt(max(U * np.tan(th) ** 2 + V * np.tan(th) + W, (0.2 * step) ** 2))
                cs = [(c, 1.0)]
                if wavelength2_m and ka2_ratio > 0:
                    c2 = 2 * np.degrees(np.arcsin(min(wavelength2_m / lam * np.sin(np.radians(c - zero) / 2), 1.0))) + zero
                    cs.append((c2, ka2_ratio))
                for cc, wgt in cs:
                    # the profile is evaluated within ±40 FWHM (outside: < 0.8 % of a Lorentzian's area)
                    lo, hi = np.searchsorted(x, [cc - 40 * fw, cc + 40 * fw])
                    if hi > lo:
                        rows.append(np.arange(lo, hi))
                        cols.append(np.full(hi - lo, col))
                        vals.append(wgt * pseudo_voigt(x[lo:hi], cc, fw, eta))
                pos.append((i, g, c, fw))
                col += 1
        if rows:
            Aint = sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                     shape=(len(x), ncol))
        else:
            Aint = sparse.csc_matrix((len(x), ncol))
        return Aint, pos

    B = _cheb(x, n_background) if bg_fixed is None and n_background > 0 else np.zeros((len(x), 0))
    Bw = B / sig[:, None]
    yw = yfit / sig

    from scipy import sparse as _sp

    Winv = _sp.diags(1.0 / sig)
    GBB = Bw.T @ Bw
    bB = Bw.T @ yw

    def solve_linear(Aint):
        """Non-negative intensities, free-sign background: NNLS on the normal equations' Cholesky factor (same
        minimiser as NNLS on the full design matrix, k×k instead of m×k; the profile columns are sparse)."""
        Aw = Winv @ Aint
        GAA = (Aw.T @ Aw).toarray()
        GAB = np.asarray(Aw.T @ Bw)
        bA = Aw.T @ yw
        G = np.block([[GAA, GAB, -GAB], [GAB.T, GBB, -GBB], [-GAB.T, -GBB, GBB]])
        b = np.concatenate([bA, bB, -bB])
        G[np.diag_indices_from(G)] += 1e-12 * np.trace(G) / len(G)
        try:
            L = np.linalg.cholesky(G)
            z = np.linalg.solve(L, b)
            coef, _ = nnls(L.T, z, maxiter=50 * len(b))
        except np.linalg.LinAlgError:
            A = np.hstack([Aw.toarray(), Bw, -Bw])
            coef, _ = nnls(A, yw, maxiter=50 * A.shape[1])
        ni = Aint.shape[1]
        return coef[:ni], coef[ni: ni + B.shape[1]] - coef[ni + B.shape[1]:]

    def resid(p):
        Aint, _ = design(p)
        inten, bgc = solve_linear(Aint)
        return (yfit - Aint @ inten - B @ bgc) / sig

    free = np.ones(len(p0), bool)
    if not refine_zero:
        free[n_cell] = False
    if not refine_cells:
        free[:n_cell] = False
    p_start = np.array(p0, float)

    def resid_free(q):
        p = p_start.copy()
        p[free] = q
        return resid(p)

    lo = np.full(len(p0), -np.inf)
    hi = np.full(len(p0), np.inf)
    lo[:n_cell] = p_start[:n_cell] * 0.9
    hi[:n_cell] = p_start[:n_cell] * 1.1
    lo[n_cell], hi[n_cell] = -1.0, 1.0
    lo[n_cell + 3], hi[n_cell + 3] = (0.2 * step) ** 2, (20 * w0) ** 2
    lo[n_cell + 4], hi[n_cell + 4] = 0.0, 1.0
    # stage 1: profile + zero with cells fixed (robust start), stage 2: everything
    stage1 = free.copy()
    stage1[:n_cell] = False
    q1 = least_squares(lambda q: resid(_merge(p_start, stage1, q)), p_start[stage1], bounds=(lo[stage1], hi[stage1]),
                       x_scale="jac", max_nfev=max_nfev // 2)
    p_start[stage1] = q1.x
    sol = least_squares(resid_free, p_start[free], bounds=(lo[free], hi[free]), x_scale="jac", max_nfev=max_nfev)
    p = p_start.copy()
    p[free] = sol.x
    warnings = []
    if not sol.success:
        warnings.append(f"Pawley fit did not converge ({sol.message})")
    Aint, pos = design(p)
    inten, bgc = solve_linear(Aint)
    Aint = Aint.toarray()
    calc = Aint @ inten + B @ bgc
    bg = B @ bgc + (bg_fixed if bg_fixed is not None else 0.0)
    r = (yfit - calc) / sig
    n_lin = int((inten > 0).sum()) + B.shape[1]
    dof = max(len(x) - n_lin - int(free.sum()), 1)
    chi2_red = float(r @ r / dof)
    rwp = float(np.sqrt(np.sum(r ** 2) / np.sum((yfit / sig) ** 2)))
    # covariance: full Jacobian (non-linear numeric + linear analytic) at the solution
    Jnl = sol.jac if sol.jac is not None else np.zeros((len(x), 0))
    active = inten > 0
    Jlin = np.column_stack([Aint[:, active], B]) / sig[:, None]
    J = np.column_stack([Jnl, Jlin])
    try:
        cov = np.linalg.pinv(J.T @ J) * max(chi2_red, 1e-300)
        perr = np.sqrt(np.abs(np.diag(cov)))
    except np.linalg.LinAlgError:
        perr = np.full(J.shape[1], np.nan)
    nl_err = np.full(len(p0), np.nan)
    nl_err[free] = perr[: int(free.sum())]
    ierr = np.full(len(inten), np.nan)
    ierr[active] = perr[int(free.sum()): int(free.sum()) + int(active.sum())]
    # inactive (zero) intensities: error from the diagonal of their own column (an upper-bound scale)
    for k in np.where(~active)[0]:
        col = Aint[:, k] / sig
        ierr[k] = float(np.sqrt(max(chi2_red, 1.0) / max(col @ col, 1e-300)))
    crs, zero, U, V, W, eta = unpack(p)
    out_phases = []
    k0 = 0
    for i, cr in enumerate(crs):
        pl = powder_lines(cr, lam, tt_max + 2.0, polarisation=polarisation)
        ng = len(groups[i])
        gi = inten[k0: k0 + ng]
        ge = ierr[k0: k0 + ng]
        gpos = np.array([pos[k0 + j][2] for j in range(ng)])
        calc_i = np.array([pl.intensity[g].sum() for g in groups[i]]) if ng else np.zeros(0)
        hk = tuple(tuple(int(v) for v in start_lines[i].hkl[g[0]]) for g in groups[i])
        # phase scale from resolved, significant reflections
        resolved = np.ones(ng, bool)
        allpos = np.array([q[2] for q in pos])
        allfw = np.array([q[3] for q in pos])
        for j in range(ng):
            others = np.delete(np.arange(len(pos)), k0 + j)
            resolved[j] = not np.any(np.abs(allpos[others] - gpos[j]) < 1.0 * allfw[k0 + j]) if len(others) else True
        use = resolved & (calc_i > 0)
        if use.any() and calc_i[use].sum() > 0:
            scale = float(gi[use].sum() / calc_i[use].sum())
            scale_err = float(np.sqrt(np.nansum(ge[use] ** 2)) / calc_i[use].sum())
        else:
            scale, scale_err = float("nan"), float("nan")
        cell_err = [0.0] * 6
        for k, (ii, nm) in enumerate(names):
            if ii != i:
                continue
            e = float(nl_err[k])
            if nm == "a":
                cell_err[0] = e
                if crystal_system(cr.space_group) in ("cubic", "tetragonal", "hexagonal", "trigonal"):
                    cell_err[1] = e
                if crystal_system(cr.space_group) == "cubic":
                    cell_err[2] = e
            elif nm == "b":
                cell_err[1] = e
            elif nm == "c":
                cell_err[2] = e
            elif nm == "scale":
                cell_err[:3] = [e * v for v in cr.cell[:3]]
        out_phases.append(PawleyPhase(cr.name, cr.key, cr.space_group, tuple(float(v) for v in cr.cell),
                                      tuple(cell_err), hk, gpos, gi, ge, calc_i, scale, scale_err))
        k0 += ng
    return PawleyFit(tuple(out_phases), float(zero), float(nl_err[n_cell]) if refine_zero else None,
                     (float(U), float(V), float(W)), float(eta), rwp, chi2_red, x, y, calc + (bg_fixed if bg_fixed is not None else 0.0),
                     bg, lam, tuple(warnings))


def _merge(p, mask, q):
    out = p.copy()
    out[mask] = q
    return out


# ---------------------------------------------------------------------------------------------------------------
# the Li2NH superstructure test
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SuperstructureTest(Result):
    """Is the (111) reflection of the doubled Fd-3m cell present?

    ``present``: True/False, or None when (111) lies outside the measured range; ``intensity`` and
    ``intensity_err`` (fitted area); ``significance_sigma`` = intensity / error; ``ratio`` = I(111) /
    I(strongest reflection) with ``ratio_err``; ``expected_ratio`` from the ordered model; ``threshold_sigma``."""

    present: bool | None
    two_theta_deg: float
    intensity: float
    intensity_err: float
    significance_sigma: float
    ratio: float
    ratio_err: float
    expected_ratio: float
    threshold_sigma: float
    reason: str = ""


def superstructure_test(fit: PawleyFit, phase_key: str = "Li2NH-Fd-3m", hkl=(1, 1, 1), *,
                        threshold_sigma: float = 5.0) -> SuperstructureTest:
    """From a Pawley fit that includes the doubled cell: the (111) intensity, its significance and its ratio to
    the strongest reflection; ``present`` when the significance reaches ``threshold_sigma`` (default 5σ)."""
    ph = fit.phase(phase_key)
    idx = None
    for j, h in enumerate(ph.hkl):
        if tuple(sorted(map(abs, h))) == tuple(sorted(map(abs, hkl))):
            idx = j
    lam = fit.wavelength_m
    cr_tt = float(d_to_two_theta(ph.cell[0] * 1e-10 / np.sqrt(sum(v * v for v in hkl)), lam)) + fit.zero_deg
    if idx is None:
        return SuperstructureTest(None, cr_tt, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"),
                                  float("nan"), threshold_sigma, reason=f"({''.join(map(str, hkl))}) at {cr_tt:.3f}° "
                                  f"lies outside the measured 2θ range {fit.x.min():.2f}–{fit.x.max():.2f}°")
    I = float(ph.intensity[idx])
    e = float(ph.intensity_err[idx])
    strong = int(np.argmax(ph.intensity))
    Is, es = float(ph.intensity[strong]), float(ph.intensity_err[strong])
    ratio = I / Is if Is > 0 else float("nan")
    ratio_err = abs(ratio) * float(np.sqrt((e / I) ** 2 + (es / Is) ** 2)) if I > 0 and Is > 0 else (e / Is if Is > 0 else float("nan"))
    exp_ratio = float(ph.calc_intensity[idx] / ph.calc_intensity[strong]) if ph.calc_intensity[strong] > 0 else float("nan")
    z = I / e if e > 0 else float("inf")
    present = bool(z >= threshold_sigma)
    reason = (f"I(111)/σ = {z:.1f} {'≥' if present else '<'} {threshold_sigma:g}; I(111)/I(strongest) = {ratio:.4f} "
              f"(ordered model: {exp_ratio:.4f})")
    return SuperstructureTest(present, float(ph.two_theta_deg[idx]), I, e, float(z), float(ratio), float(ratio_err),
                              exp_ratio, threshold_sigma, reason)


# ---------------------------------------------------------------------------------------------------------------
# phase identification
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PhaseMatch(Result):
    key: str
    name: str
    matched: int                     # strong calculated lines with an observed peak
    expected: int                    # strong calculated lines inside the range
    score: float                     # matched / expected, weighted by intensity
    lattice_scale: float             # best cell scale (observed d / tabulated d)
    explained_peaks: tuple           # indices of observed peaks it explains
    found: bool


def identify_phases(peaks_two_theta_deg, wavelength_m: float, candidates, *, x_range=None, tolerance_deg: float = 0.05,
                    strong_percent: float = 5.0, min_score: float = 0.7, scale_range: float = 0.01,
                    peak_heights=None) -> list[PhaseMatch]:
    """Match observed peak positions against each candidate structure's strong lines (relative intensity ≥
    ``strong_percent``), allowing a common cell scale of ± ``scale_range`` (thermal expansion, strain,
    off-stoichiometry).  A phase is ``found`` when its intensity-weighted match score ≥ ``min_score`` and at least
    two strong lines are seen."""
    obs = np.asarray(peaks_two_theta_deg, float)
    lo, hi = x_range if x_range is not None else (obs.min() - 1, obs.max() + 1)
    out = []
    for cr in candidates:
        pl = powder_lines(cr, wavelength_m, hi + 1.0)
        strong = (pl.relative >= strong_percent)
        best = None
        for s in np.linspace(1 - scale_range, 1 + scale_range, 81):
            tt = d_to_two_theta(pl.d_angstrom * s * 1e-10, wavelength_m)
            inr = strong & (tt >= lo) & (tt <= hi)
            if inr.sum() == 0:
                continue
            dist = np.abs(tt[inr][:, None] - obs[None, :])
            hit = dist.min(axis=1) < tolerance_deg
            w = pl.relative[inr]
            score = float((w * hit).sum() / w.sum())
            cand = (score, int(hit.sum()), int(inr.sum()), s, tuple(np.unique(dist.argmin(axis=1)[hit])))
            if best is None or (cand[0], cand[1]) > (best[0], best[1]) or (
                    (cand[0], cand[1]) == (best[0], best[1]) and abs(s - 1) < abs(best[3] - 1)):
                best = cand
        if best is None:
            out.append(PhaseMatch(cr.key, cr.name, 0, 0, 0.0, 1.0, (), False))
            continue
        score, m, e, s, expl = best
        out.append(PhaseMatch(cr.key, cr.name, m, e, score, float(s), expl, bool(score >= min_score and m >= min(2, e))))
    out.sort(key=lambda p: -p.score)
    return out


def weight_fractions(fit: PawleyFit, phases) -> dict:
    """Hill–Howard weight fractions W_p = S_p·(ZMV)_p / Σ S·(ZMV): S the phase scale (I_fit / I_calc per cell),
    ZM the cell content mass, V the cell volume.  Returns {key: (fraction, error)}; nan for phases without a
    resolved reflection.  Estimates: no absorption/microabsorption or preferred-orientation correction."""
    crs = {c.key: c for c in phases}
    vals = {}
    for ph in fit.phases:
        c = crs.get(ph.key)
        if c is None:
            continue
        cr = _with_cell(c, {"a": ph.cell[0], "b": ph.cell[1], "c": ph.cell[2]}) if crystal_system(c.space_group) != "triclinic" else c
        zmv = cr.mass_per_cell_u() * cr.volume_angstrom3()
        vals[ph.key] = (ph.scale * zmv, ph.scale_err * zmv)
    tot = sum(v for v, _ in vals.values() if np.isfinite(v))
    out = {}
    for k, (v, e) in vals.items():
        if not np.isfinite(v) or tot <= 0:
            out[k] = (float("nan"), float("nan"))
            continue
        f = v / tot
        out[k] = (float(f), float(e / tot * np.sqrt(max(1 - f, 0.0) ** 2 + 0.0)) if np.isfinite(e) else float("nan"))
    return out


def parse_wavelength(text) -> tuple[float, float | None, float]:
    """A wavelength from the command line or a manifest → ``(λ1_m, λ2_m or None, Kα2/Kα1 ratio)``.

    ``"0.824042A"`` / ``"0.824042 Å"`` / ``"0.0824042 nm"`` / ``"8.24042e-11 m"`` (in a wavelength ``A`` means
    ångström), a bare number (Å), or an anode: ``"Mo"``/``"MoKa1"`` (Kα1 only), ``"Cu"``/``"CuKa"`` (Kα1 + Kα2,
    ratio 0.5)."""
    import re

    from .. import units
    from ..errors import UnitError
    from ..io.xrd import ANODES

    s = str(text).strip()
    m = re.fullmatch(r"([A-Z][a-z]?)\s*(K[aα]1?|K[aα]12|K-?alpha-?1?)?", s)
    if m and m.group(1) in ANODES:
        l1, l2 = ANODES[m.group(1)]
        kind = (m.group(2) or "").lower().replace("α", "a")
        if kind in ("ka1", "k-alpha1", "kalpha1"):
            return l1, None, 0.0
        if kind in ("", "ka", "ka12", "k-alpha", "kalpha"):
            return l1, (l2 if m.group(2) else None), (0.5 if m.group(2) else 0.0)
        return l1, None, 0.0
    num = re.fullmatch(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(A|Å|angstrom|Angstrom)?", s)
    if num and (num.group(2) or float(num.group(1)) > 1e-3):
        v = float(num.group(1)) * 1e-10
    else:
        try:
            v = units.parse(s, "length")
        except UnitError:
            raise UnitError(f"wavelength {s!r}: give e.g. '0.824042A', '0.0824 nm' or an anode ('Mo', 'CuKa')") from None
    if not 1e-12 < v < 1e-8:
        raise UnitError(f"wavelength {s!r} = {v:.3g} m: not an X-ray wavelength")
    return v, None, 0.0
