"""Cyclic / linear sweep voltammetry of solid electrolytes: cycles, Li stripping/plating charges, the
electrochemical stability window, and the two-regime growth of the stripping/plating charge.

Conventions (Lowen *et al.*, lithium-imide paper, Fig. 2): potential of the working electrode (steel) vs the Li
counter/reference; **anodic = positive current = Li stripping** (Li → Li⁺ + e⁻), **cathodic = negative current =
Li plating**.  Everything is SI inside (V, A, C, s, A/m²).

Cycles and sweeps
    Vertices are found on the **potential** signal with a hysteresis ("zig-zag") detector: a turning point is
    confirmed only once the potential has retreated from the running extremum by more than ``hysteresis_V``
    (default: the larger of 5 % of the scanned span and 8× the point-to-point noise, estimated robustly from
    second differences).  Noise and staircase steps therefore never create vertices.  The instrument's cycle
    column is *not* used; when present and different, a warning says so.  Cycles are split at vertices of one
    kind (``boundary``): by default (``"auto"``) the kind farther from the stripping/plating window, so that each
    cycle holds one complete excursion through the window (plating, then stripping of that lithium).  Without a
    window, cycles split at the kind opposite to the first vertex.

Stripping / plating charge
    Per cycle, ``Q_strip = ∫ max(I, 0) dt`` and ``Q_plate = ∫ max(−I, 0) dt`` over samples with the potential
    inside ``window_V`` (default −0.5 … +0.5 V vs Li/Li⁺, :data:`DEFAULT_WINDOW_V`); trapezoidal rule on time,
    only over intervals whose two samples are both inside (an interval counts for the cycle of its first sample),
    and never across a time
    gap (an interval longer than 20× the median sampling interval, e.g. a truncated or paused record).

    **Window edges at a vertex are open.**  When the scan turns round at (or within noise of) a window edge — the
    paper's CV runs to exactly −0.5 V, the default lower edge — potential noise scatters the vertex samples, which
    carry the largest plating currents, on both sides of the edge.  Rule: an edge is *open* at a turning point
    (vertex or record end point) whose potential, taken from the 5-point running median, lies within ``edge_tol_V``
    of that edge; every sample of the contiguous run around that turning point with potential within
    ``edge_tol_V`` of the edge (on either side) counts as inside.  ``edge_tol_V`` defaults to
    ``max(5·σ_noise, 2·median|ΔE|, 1 mV)`` (σ_noise from second differences, ΔE the sampling step).  An edge
    crossed in mid-sweep (vertex well beyond it, e.g. a scan to −1 V) stays a closed edge.  Which edges were
    opened is reported in ``window_edges_open`` (lower, upper).
    The imbalance ``Σ Q_plate − Σ Q_strip`` is converted to moles of Li (÷ F) and expressed as a percentage of the
    moles of Li in the pellet, ``n_Li = m / M(formula) × count(Li in formula)`` (paper: 5.2 % more plated than
    stripped).

Stability window
    The oxidative onset is the lowest potential on an anodic sweep at which the current density exceeds
    ``+threshold`` for ``n_consecutive`` consecutive samples; the reductive onset is the highest potential on a
    cathodic sweep where it stays below ``−threshold``.  Default threshold: 10 µA/cm² = 0.1 A/m²
    (:data:`DEFAULT_THRESHOLD_A_PER_M2`).  With a stripping/plating window, the search is restricted to potentials
    above the window (Li plating/stripping is not decomposition).  ``None`` means "no onset within the scanned
    range"; the stability window then extends to the scan limit and ``*_limit_found`` is False.  A reductive
    onset at or above the oxidative one means there is no window: a warning says so.

Two regimes
    The stripping and plating charges vs cycle number are fitted with a continuous two-segment (hinge) line;
    the break point is scanned on a fine grid and the one with least squares kept.  BIC of the hinge and of one
    straight line tell whether two regimes are warranted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import AnalysisError
from .results import Result
from .units import FARADAY

__all__ = [
    "DEFAULT_WINDOW_V", "DEFAULT_THRESHOLD_A_PER_M2", "Sweep", "TwoRegimeFit", "CVResult",
    "detect_vertices", "split_sweeps", "assign_cycles", "window_charges", "window_mask", "time_gaps",
    "default_edge_tol", "li_moles_in_pellet",
    "onset_potentials", "two_regime_fit", "analyze_cv", "plot_cv", "plot_charge_vs_cycle",
    "CURRENT_UNITS", "CURRENT_DENSITY_UNITS", "CHARGE_UNITS", "AREAL_CHARGE_UNITS", "pick_unit",
]

#: default stripping/plating window around 0 V vs Li/Li⁺ (V)
DEFAULT_WINDOW_V = (-0.5, 0.5)
#: default decomposition threshold: 10 µA/cm² in A/m²
DEFAULT_THRESHOLD_A_PER_M2 = 0.1


# -- vertices, sweeps, cycles ---------------------------------------------------------------------------------

def _noise(e: np.ndarray) -> float:
    if e.size < 5:
        return 0.0
    d2 = np.diff(e, 2)
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / math.sqrt(6.0))


def default_hysteresis(potential_V) -> float:
    e = np.asarray(potential_V, float)
    e = e[np.isfinite(e)]
    if e.size == 0:
        return 0.0
    span = float(e.max() - e.min())
    return max(0.05 * span, 8.0 * _noise(e), 1e-6)


def detect_vertices(potential_V, hysteresis_V: float | None = None) -> np.ndarray:
    """Indices of the turning points of a potential sweep (endpoints excluded), robust to noise.

    A maximum is confirmed once the potential has fallen ``hysteresis_V`` below the running maximum (and
    vice versa); the vertex is the index of that running extremum.  Records of ≥ 25 points are first passed
    through a 5-point running median, so isolated single-sample glitches cannot create vertices.
    """
    e = np.asarray(potential_V, float)
    if e.size < 3:
        return np.zeros(0, dtype=int)
    if e.size >= 25 and np.all(np.isfinite(e)):
        # a 5-point running median removes isolated glitches (single-sample spikes) before the zig-zag
        from scipy.ndimage import median_filter

        e = median_filter(e, size=5, mode="nearest")
    h = default_hysteresis(e) if hysteresis_V is None else float(hysteresis_V)
    vertices: list[int] = []
    direction = 0
    i_max = i_min = ext = 0
    for k in range(1, e.size):
        v = e[k]
        if not math.isfinite(v):
            continue
        if direction == 0:
            if v > e[i_max]:
                i_max = k
            if v < e[i_min]:
                i_min = k
            if v - e[0] > h:
                direction, ext = 1, i_max
            elif e[0] - v > h:
                direction, ext = -1, i_min
        elif direction > 0:
            if v >= e[ext]:
                ext = k
            elif e[ext] - v > h:
                vertices.append(ext)
                direction, ext = -1, k
        else:
            if v <= e[ext]:
                ext = k
            elif v - e[ext] > h:
                vertices.append(ext)
                direction, ext = 1, k
    return np.asarray(sorted(set(v for v in vertices if 0 < v < e.size - 1)), dtype=int)


@dataclass(frozen=True)
class Sweep:
    """One monotonic sweep: samples ``start`` … ``stop`` (inclusive), ``direction`` +1 anodic / −1 cathodic."""

    start: int
    stop: int
    direction: int
    e_start_V: float
    e_stop_V: float


def split_sweeps(potential_V, hysteresis_V: float | None = None) -> list[Sweep]:
    """Split a voltammogram into monotonic sweeps at the detected vertices."""
    e = np.asarray(potential_V, float)
    v = detect_vertices(e, hysteresis_V)
    bounds = [0, *v.tolist(), e.size - 1]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        d = 1 if e[b] >= e[a] else -1
        out.append(Sweep(int(a), int(b), d, float(e[a]), float(e[b])))
    return out


def assign_cycles(potential_V, sweeps: list[Sweep], boundary: str = "auto",
                  window_V: tuple[float, float] | None = DEFAULT_WINDOW_V) -> tuple[np.ndarray, str]:
    """Cycle number (1-based) of each sample and the vertex kind used as boundary (``"upper"``/``"lower"``)."""
    e = np.asarray(potential_V, float)
    n = e.size
    # vertex kinds: the end of an anodic sweep is an upper vertex
    vertex_idx = [s.stop for s in sweeps[:-1]]
    kinds = ["upper" if s.direction > 0 else "lower" for s in sweeps[:-1]]
    if boundary == "auto":
        if not kinds:
            boundary = "upper"
        elif window_V is not None:
            centre = 0.5 * (window_V[0] + window_V[1])
            up = [e[i] for i, k in zip(vertex_idx, kinds) if k == "upper"]
            lo = [e[i] for i, k in zip(vertex_idx, kinds) if k == "lower"]
            d_up = abs(np.mean(up) - centre) if up else -1.0
            d_lo = abs(np.mean(lo) - centre) if lo else -1.0
            boundary = "upper" if d_up >= d_lo else "lower"
        else:
            boundary = "lower" if kinds[0] == "upper" else "upper"
    if boundary not in ("upper", "lower"):
        raise AnalysisError(f"CV: boundary must be 'upper', 'lower' or 'auto', got {boundary!r}")
    cyc = np.ones(n, dtype=int)
    for i, k in zip(vertex_idx, kinds):
        if k == boundary:
            cyc[i + 1:] += 1
    return cyc, boundary


# -- charges --------------------------------------------------------------------------------------------------

def default_edge_tol(potential_V) -> float:
    """Tolerance for "the scan turns round at a window edge": ``max(5·σ_noise, 2·median|ΔE|, 1 mV)``."""
    e = np.asarray(potential_V, float)
    e = e[np.isfinite(e)]
    step = float(np.median(np.abs(np.diff(e)))) if e.size > 1 else 0.0
    return max(5.0 * _noise(e), 2.0 * step, 1e-3)


def time_gaps(time_s, factor: float = 20.0) -> np.ndarray:
    """Boolean per interval (length n − 1): True where the interval exceeds ``factor`` × the median interval."""
    t = np.asarray(time_s, float)
    dt = np.diff(t)
    if dt.size == 0:
        return np.zeros(0, bool)
    pos = dt[dt > 0]
    if pos.size == 0:
        return np.zeros(dt.size, bool)
    return dt > factor * float(np.median(pos))


def _smoothed(e: np.ndarray) -> np.ndarray:
    if e.size >= 25 and np.all(np.isfinite(e)):
        from scipy.ndimage import median_filter

        return median_filter(e, size=5, mode="nearest")
    return e


def window_mask(potential_V, window_V, sweeps: list[Sweep] | None = None,
                edge_tol_V: float | None = None) -> tuple[np.ndarray, tuple[bool, bool]]:
    """Samples inside the stripping/plating window, with edges opened at turning points (module docstring).

    Returns ``(mask, (lower_open, upper_open))``.  Without ``sweeps`` they are found with :func:`split_sweeps`.
    """
    e = np.asarray(potential_V, float)
    lo, hi = float(min(window_V)), float(max(window_V))
    mask = (e >= lo) & (e <= hi)
    if e.size < 3:
        return mask, (False, False)
    if sweeps is None:
        sweeps = split_sweeps(e)
    tol = default_edge_tol(e) if edge_tol_V is None else float(edge_tol_V)
    es = _smoothed(e)
    lower = {s.start for s in sweeps if s.direction > 0} | {s.stop for s in sweeps if s.direction < 0}
    upper = {s.start for s in sweeps if s.direction < 0} | {s.stop for s in sweeps if s.direction > 0}
    opened = [False, False]
    for which, idxs, edge, sign in ((0, lower, lo, 1.0), (1, upper, hi, -1.0)):
        # near = within tol of the edge or beyond it (sign: +1 for the lower edge, −1 for the upper)
        near = sign * (e - edge) <= tol
        for k in sorted(idxs):
            if not abs(es[k] - edge) <= tol:
                continue
            a = b = k
            while a > 0 and near[a - 1]:
                a -= 1
            while b < e.size - 1 and near[b + 1]:
                b += 1
            run = slice(a, b + 1)
            mask[run] |= near[run] & np.isfinite(e[run])
            opened[which] = True
    return mask, (opened[0], opened[1])


def window_charges(time_s, potential_V, current_A, cycle, window_V=DEFAULT_WINDOW_V, *, inside=None,
                   gaps=None):
    """Per-cycle ``(cycles, q_anodic_C, q_cathodic_C)`` inside the potential window (both ≥ 0).

    ``inside`` (per-sample mask, e.g. from :func:`window_mask`) overrides the plain ``lo ≤ E ≤ hi`` test;
    ``gaps`` (per-interval mask, e.g. from :func:`time_gaps`) excludes intervals from the integral.
    """
    t = np.asarray(time_s, float)
    e = np.asarray(potential_V, float)
    i = np.asarray(current_A, float)
    c = np.asarray(cycle, int)
    lo, hi = window_V
    if inside is None:
        inside = (e >= lo) & (e <= hi)
    # an interval belongs to the cycle of its first sample (the one across a cycle boundary is not lost)
    both = inside[:-1] & inside[1:]
    if gaps is not None:
        both &= ~np.asarray(gaps, bool)
    dt = np.diff(t)
    ip = np.clip(i, 0, None)
    im = np.clip(-i, 0, None)
    qa_int = np.where(both, dt * 0.5 * (ip[:-1] + ip[1:]), 0.0)
    qc_int = np.where(both, dt * 0.5 * (im[:-1] + im[1:]), 0.0)
    cycles = np.unique(c)
    qa = np.array([qa_int[c[:-1] == k].sum() for k in cycles])
    qc = np.array([qc_int[c[:-1] == k].sum() for k in cycles])
    return cycles, qa, qc


def li_moles_in_pellet(pellet_mass_kg: float, formula: str) -> float:
    """Moles of Li in a pellet of ``formula`` (non-integer stoichiometry allowed)."""
    from .materials.formula import element_count, molar_mass

    if not (math.isfinite(pellet_mass_kg) and pellet_mass_kg > 0):
        raise AnalysisError(f"CV: pellet mass must be positive, got {pellet_mass_kg!r}")
    m_g_per_mol = molar_mass(formula)
    n_li = element_count(formula, "Li")
    if not n_li > 0:
        raise AnalysisError(f"CV: formula {formula!r} contains no Li")
    return pellet_mass_kg * 1e3 / m_g_per_mol * n_li


# -- onsets ---------------------------------------------------------------------------------------------------

def _first_run(mask: np.ndarray, n: int) -> int | None:
    if n <= 1:
        hits = np.nonzero(mask)[0]
        return int(hits[0]) if len(hits) else None
    run = 0
    for k, m in enumerate(mask):
        run = run + 1 if m else 0
        if run >= n:
            return k - n + 1
    return None


def onset_potentials(potential_V, current_density_A_per_m2, sweeps: list[Sweep], threshold_A_per_m2: float,
                     n_consecutive: int = 5, e_min_V: float | None = None):
    """Per-sweep decomposition onsets: list of ``(sweep_index, kind, onset_V)`` with kind ``ox``/``red``.

    Only samples with potential above ``e_min_V`` (when given) are searched.
    """
    e = np.asarray(potential_V, float)
    j = np.asarray(current_density_A_per_m2, float)
    out = []
    for k, s in enumerate(sweeps):
        sl = slice(s.start, s.stop + 1)
        es, js = e[sl], j[sl]
        region = np.ones(es.size, bool) if e_min_V is None else es > e_min_V
        if s.direction > 0:
            idx = _first_run(region & (js > threshold_A_per_m2), n_consecutive)
            kind = "ox"
        else:
            idx = _first_run(region & (js < -threshold_A_per_m2), n_consecutive)
            kind = "red"
        out.append((k, kind, None if idx is None else float(es[idx])))
    return out


# -- two regimes ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TwoRegimeFit(Result):
    """Continuous two-segment line ``y = a + b1·x + (b2 − b1)·max(x − x_break, 0)``."""

    x_break: float
    intercept: float
    slope_1: float
    slope_1_se: float
    slope_2: float
    slope_2_se: float
    rss: float
    bic_two: float
    bic_one: float
    two_regimes: bool
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, float)
        return self.intercept + self.slope_1 * x + (self.slope_2 - self.slope_1) * np.clip(x - self.x_break, 0, None)


def two_regime_fit(x, y, grid_step: float | None = None) -> TwoRegimeFit:
    """Least-squares hinge fit with the break point scanned between the 2nd and the second-to-last x."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n < 5:
        raise AnalysisError(f"two-regime fit needs at least 5 points, got {n}")
    xs = np.sort(x)
    step = grid_step or max((xs[-1] - xs[0]) / 2000.0, 1e-12)
    grid = np.arange(xs[1], xs[-2] + 0.5 * step, step)
    best = None
    for xb in grid:
        a = np.column_stack([np.ones(n), x, np.clip(x - xb, 0, None)])
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        rss = float(np.sum((a @ coef - y) ** 2))
        if best is None or rss < best[0] - 1e-15 * max(1.0, abs(rss)):
            best = (rss, xb, coef, a)
    rss, xb, coef, a = best
    dof = max(n - 4, 1)
    s2 = rss / dof
    try:
        cov = np.linalg.inv(a.T @ a) * s2
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    b1, dd = coef[1], coef[2]
    se1 = math.sqrt(cov[1, 1]) if cov[1, 1] >= 0 else float("nan")
    var2 = cov[1, 1] + cov[2, 2] + 2 * cov[1, 2]
    se2 = math.sqrt(var2) if var2 >= 0 else float("nan")
    a1 = np.column_stack([np.ones(n), x])
    c1, *_ = np.linalg.lstsq(a1, y, rcond=None)
    rss1 = float(np.sum((a1 @ c1 - y) ** 2))
    tiny = 1e-300

    def bic(r, p):
        return n * math.log(max(r / n, tiny)) + p * math.log(n)

    b2, b1_ = bic(rss, 4), bic(rss1, 2)
    return TwoRegimeFit(x_break=float(xb), intercept=float(coef[0]), slope_1=float(b1), slope_1_se=float(se1),
                        slope_2=float(b1 + dd), slope_2_se=float(se2), rss=rss, bic_two=b2, bic_one=b1_,
                        two_regimes=bool(b2 < b1_ - 2.0), x=x, y=y)


# -- full analysis --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CVResult(Result):
    """Cyclic voltammetry of a Li|SSE|blocking cell: cycles, stripping/plating charges, stability window."""

    n_cycles: int
    cycles: np.ndarray
    complete: tuple[bool, ...]
    boundary: str
    hysteresis_V: float
    n_sweeps: int
    scan_rate_V_per_s: float | None
    scan_range_V: tuple[float, float]
    window_V: tuple[float, float] | None
    window_edges_open: tuple[bool, bool]
    edge_tol_V: float
    n_time_gaps: int
    q_strip_C: np.ndarray
    q_plate_C: np.ndarray
    strip_plate_ratio: np.ndarray
    cumulative_imbalance_C: np.ndarray
    total_strip_C: float
    total_plate_C: float
    imbalance_C: float
    imbalance_mol_Li: float
    pellet_Li_mol: float | None
    imbalance_pct_of_pellet_Li: float | None
    area_m2: float | None
    threshold_A_per_m2: float
    ox_onset_V: float | None
    red_onset_V: float | None
    ox_onset_by_cycle: tuple
    red_onset_by_cycle: tuple
    stability_window_V: tuple[float, float]
    ox_limit_found: bool
    red_limit_found: bool
    strip_regimes: TwoRegimeFit | None
    plate_regimes: TwoRegimeFit | None
    instrument_cycles: int | None
    warnings: tuple[str, ...]
    time_s: np.ndarray = field(repr=False)
    potential_V: np.ndarray = field(repr=False)
    current_A: np.ndarray = field(repr=False)
    cycle_of_sample: np.ndarray = field(repr=False)

    def areal(self, value_C):
        """Charge(s) per electrode area in C/m² (``None`` without an area); ×0.1 gives mC/cm²."""
        if not self.area_m2:
            return None
        return np.asarray(value_C, float) / self.area_m2 if np.ndim(value_C) else float(value_C) / self.area_m2

    def to_dict(self) -> dict:
        d = super().to_dict()
        for k in ("time_s", "potential_V", "current_A", "cycle_of_sample"):
            d.pop(k, None)
        from .results import jsonable

        for k in ("q_strip", "q_plate", "cumulative_imbalance", "total_strip", "total_plate", "imbalance"):
            d[f"{k}_C_per_m2"] = jsonable(self.areal(getattr(self, f"{k}_C")))
        for k in ("strip_regimes", "plate_regimes"):
            if d.get(k):
                f = d[k]
                d[k] = {"break_cycle": f["x_break"], "intercept_C": f["intercept"],
                        "slope_1_C_per_cycle": f["slope_1"], "slope_1_se_C_per_cycle": f["slope_1_se"],
                        "slope_2_C_per_cycle": f["slope_2"], "slope_2_se_C_per_cycle": f["slope_2_se"],
                        "rss_C2": f["rss"], "bic_two": f["bic_two"], "bic_one": f["bic_one"],
                        "two_regimes": f["two_regimes"]}
        return d


def _cv_arrays(data, time_s, potential_V, current_A):
    if data is not None:
        t = data.column("time_s")
        e = data.column("potential_V")
        i = data.column("current_A")
        cyc = data.data["cycle"].to_numpy() if "cycle" in data.data.columns else None
        return t, e, i, cyc
    if time_s is None or potential_V is None or current_A is None:
        raise AnalysisError("CV: give a Measurement or time_s, potential_V and current_A arrays")
    return np.asarray(time_s, float), np.asarray(potential_V, float), np.asarray(current_A, float), None


def analyze_cv(data=None, *, time_s=None, potential_V=None, current_A=None,
               window_V: tuple[float, float] | None = DEFAULT_WINDOW_V, area_m2: float | None = None,
               threshold_A_per_m2: float = DEFAULT_THRESHOLD_A_PER_M2, n_consecutive: int = 5,
               pellet_mass_kg: float | None = None, formula: str | None = None,
               hysteresis_V: float | None = None, boundary: str = "auto",
               edge_tol_V: float | None = None) -> CVResult:
    """Analyse a CV (or LSV) record: see the module docstring for every definition and default."""
    t, e, i, inst_cyc = _cv_arrays(data, time_s, potential_V, current_A)
    src = getattr(data, "name", None) if data is not None else None
    where = f"{src}: " if src else ""
    ok = np.isfinite(t) & np.isfinite(e) & np.isfinite(i)
    t, e, i = t[ok], e[ok], i[ok]
    if inst_cyc is not None:
        inst_cyc = inst_cyc[ok]
    if t.size < 5:
        raise AnalysisError(f"{where}CV needs at least 5 finite (time, potential, current) points, got {t.size}")
    if np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, e, i = t[order], e[order], i[order]
        inst_cyc = inst_cyc[order] if inst_cyc is not None else None
    if window_V is not None:
        lo, hi = float(min(window_V)), float(max(window_V))
        window_V = (lo, hi)
    if not threshold_A_per_m2 > 0:
        raise AnalysisError(f"{where}CV: threshold must be positive, got {threshold_A_per_m2!r}")
    warnings: list[str] = []
    h = default_hysteresis(e) if hysteresis_V is None else float(hysteresis_V)
    sweeps = split_sweeps(e, h)
    cyc, boundary_used = assign_cycles(e, sweeps, boundary, window_V)
    cycles = np.unique(cyc)
    n_cyc = int(cycles.size)
    e_min, e_max = float(e.min()), float(e.max())
    instrument_cycles = None
    if inst_cyc is not None:
        ic = inst_cyc[np.isfinite(inst_cyc.astype(float))]
        instrument_cycles = int(np.unique(ic).size) if ic.size else None
        if instrument_cycles is not None and instrument_cycles != n_cyc:
            warnings.append(f"instrument cycle column has {instrument_cycles} cycle(s); vertex detection found "
                            f"{n_cyc} (the latter is used)")
    # scan rate from the interior of sweeps
    dt = np.diff(t)
    de = np.diff(e)
    good = dt > 0
    scan_rate = float(np.median(np.abs(de[good] / dt[good]))) if good.any() else None
    # complete cycles: the cycle holds both an anodic and a cathodic pass over the window (or the whole span)
    span_lo, span_hi = (max(window_V[0], e_min), min(window_V[1], e_max)) if window_V else (e_min, e_max)
    complete = []
    for k in cycles:
        ok_dirs = []
        for d in (1, -1):
            segs = [s for s in sweeps if s.direction == d and cyc[s.start] <= k <= cyc[s.stop]]
            covered = False
            for s in segs:
                m = cyc[s.start:s.stop + 1] == k
                es = e[s.start:s.stop + 1][m]
                if es.size and es.min() <= span_lo + h and es.max() >= span_hi - h:
                    covered = True
            ok_dirs.append(covered)
        complete.append(all(ok_dirs))
    # charges in the window (edges open at turning points; never across time gaps)
    gaps = time_gaps(t)
    n_gaps = int(gaps.sum())
    if n_gaps:
        warnings.append(f"{n_gaps} time gap(s) in the record (longest {float(np.diff(t)[gaps].max()):.3g} s): "
                        "the curve is incomplete there and nothing is integrated across a gap")
    tol = default_edge_tol(e) if edge_tol_V is None else float(edge_tol_V)
    edges_open = (False, False)
    if window_V is not None:
        inside, edges_open = window_mask(e, window_V, sweeps, tol)
        _, qa, qc = window_charges(t, e, i, cyc, window_V, inside=inside, gaps=gaps)
        if not inside.any():
            warnings.append(f"no data inside the stripping/plating window {window_V[0]:g}…{window_V[1]:g} V")
    else:
        qa = np.zeros(n_cyc)
        qc = np.zeros(n_cyc)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(qc > 0, qa / np.where(qc > 0, qc, 1.0), np.nan)
    if window_V is not None and np.any(qc <= 0) and (qa > 0).any() | (qc > 0).any():
        warnings.append("strip/plate ratio undefined (no plating charge) in some cycles")
    cum = np.cumsum(qc - qa)
    tot_a, tot_c = float(qa.sum()), float(qc.sum())
    imb = tot_c - tot_a
    imb_mol = imb / FARADAY
    n_li = pct = None
    if pellet_mass_kg is not None and formula:
        n_li = li_moles_in_pellet(pellet_mass_kg, formula)
        pct = 100.0 * imb_mol / n_li
    elif pellet_mass_kg is not None or formula:
        warnings.append("the imbalance as % of Li in the pellet needs both pellet mass and formula")
    # onsets
    ox_by = [None] * n_cyc
    red_by = [None] * n_cyc
    ox = red = None
    if area_m2 is not None:
        if not area_m2 > 0:
            raise AnalysisError(f"{where}CV: area must be positive, got {area_m2!r}")
        j = i / area_m2
        e_floor = window_V[1] if window_V is not None else None
        cyc_index = {int(k): n for n, k in enumerate(cycles)}
        for k, kind, onset in onset_potentials(e, j, sweeps, threshold_A_per_m2, n_consecutive, e_floor):
            if onset is None:
                continue
            s = sweeps[k]
            # the cycle of the onset sample
            sl = slice(s.start, s.stop + 1)
            idx = s.start + int(np.argmin(np.abs(e[sl] - onset)))
            n = cyc_index[int(cyc[idx])]
            if kind == "ox":
                ox_by[n] = onset if ox_by[n] is None else min(ox_by[n], onset)
                ox = onset if ox is None else min(ox, onset)
            else:
                red_by[n] = onset if red_by[n] is None else max(red_by[n], onset)
                red = onset if red is None else max(red, onset)
    else:
        warnings.append("no electrode area: decomposition onsets (current-density threshold) not evaluated")
    lower = red if red is not None else e_min
    upper = ox if ox is not None else e_max
    if lower >= upper:
        warnings.append(f"reductive onset ({lower:.4g} V) is not below the oxidative onset ({upper:.4g} V): the "
                        "current exceeds the threshold across the scan, so there is no stability window (Faradaic "
                        "features other than decomposition? give a stripping/plating --window or a higher threshold)")
    # regimes
    strip_fit = plate_fit = None
    sel = np.asarray(complete, bool)
    if window_V is not None and sel.sum() >= 5:
        x = cycles[sel].astype(float)
        strip_fit = two_regime_fit(x, qa[sel])
        plate_fit = two_regime_fit(x, qc[sel])
    return CVResult(
        n_cycles=n_cyc, cycles=cycles, complete=tuple(bool(c) for c in complete), boundary=boundary_used,
        hysteresis_V=h, n_sweeps=len(sweeps), scan_rate_V_per_s=scan_rate, scan_range_V=(e_min, e_max),
        window_V=window_V, window_edges_open=edges_open, edge_tol_V=float(tol), n_time_gaps=n_gaps,
        q_strip_C=qa, q_plate_C=qc, strip_plate_ratio=ratio, cumulative_imbalance_C=cum,
        total_strip_C=tot_a, total_plate_C=tot_c, imbalance_C=imb, imbalance_mol_Li=imb_mol, pellet_Li_mol=n_li,
        imbalance_pct_of_pellet_Li=pct, area_m2=area_m2, threshold_A_per_m2=float(threshold_A_per_m2),
        ox_onset_V=ox, red_onset_V=red, ox_onset_by_cycle=tuple(ox_by), red_onset_by_cycle=tuple(red_by),
        stability_window_V=(float(lower), float(upper)), ox_limit_found=ox is not None,
        red_limit_found=red is not None, strip_regimes=strip_fit, plate_regimes=plate_fit,
        instrument_cycles=instrument_cycles, warnings=tuple(warnings), time_s=t, potential_V=e, current_A=i,
        cycle_of_sample=cyc,
    )


# -- plots ----------------------------------------------------------------------------------------------------

def pick_unit(values, units: tuple[tuple[float, str], ...]) -> tuple[float, str]:
    """Largest unit in which the largest |value| is ≥ 1 (e.g. mA → µA → nA)."""
    v = np.asarray(values, float)
    vmax = float(np.nanmax(np.abs(v))) if v.size and np.isfinite(v).any() else 0.0
    for f, u in units:
        if vmax * f >= 1:
            return f, u
    return units[-1]


#: (factor from SI, label) ladders for figures and tables
CURRENT_UNITS = ((1e3, "mA"), (1e6, "µA"), (1e9, "nA"), (1e12, "pA"))
CURRENT_DENSITY_UNITS = ((0.1, "mA cm$^{-2}$"), (100.0, "µA cm$^{-2}$"), (1e5, "nA cm$^{-2}$"))
CHARGE_UNITS = ((1.0, "C"), (1e3, "mC"), (1e6, "µC"), (1e9, "nC"))
AREAL_CHARGE_UNITS = ((1e-4, "C cm$^{-2}$"), (0.1, "mC cm$^{-2}$"), (100.0, "µC cm$^{-2}$"), (1e5, "nC cm$^{-2}$"))


def _potential_label(reference: str | None) -> str:
    return f"potential (V vs {reference})" if reference else "potential (V)"


def plot_cv(result: CVResult, reference: str | None = "Li/Li$^+$"):
    """Cycles overlaid, coloured by cycle number (discrete colour bar); current density when the area is known.

    Lines are broken at time gaps; the stripping/plating window is shaded.  ``reference`` names the reference
    electrode on the potential axis (``None``: plain "potential / V").
    """
    from .plotting import new_figure, style

    fig, ax = new_figure(3.8, 2.8)
    with style():
        _draw_cv(fig, ax, result, reference)
    return fig


def _draw_cv(fig, ax, result: CVResult, reference: str | None = "Li/Li$^+$") -> None:
    import matplotlib as mpl
    from matplotlib.collections import LineCollection
    from matplotlib.ticker import MaxNLocator

    if result.area_m2:
        j = result.current_A / result.area_m2
        f, unit = pick_unit(j, CURRENT_DENSITY_UNITS)
        y = j * f
        ylabel = f"current density ({unit})"
    else:
        f, unit = pick_unit(result.current_A, CURRENT_UNITS)
        y = result.current_A * f
        ylabel = f"current ({unit})"
    lo, hi = int(result.cycles.min()), int(result.cycles.max())
    n = hi - lo + 1
    cmap = mpl.colormaps["viridis"].resampled(n)
    norm = mpl.colors.BoundaryNorm(np.arange(lo - 0.5, hi + 1.5), cmap.N)
    breaks = np.concatenate([[False], time_gaps(result.time_s)])      # True: a gap precedes this sample
    segs, colors = [], []
    for k in result.cycles:
        idx = np.nonzero(result.cycle_of_sample == k)[0]
        if idx.size < 2:
            continue
        cuts = np.nonzero(breaks[idx[1:]] | (np.diff(idx) != 1))[0] + 1
        for piece in np.split(idx, cuts):
            if piece.size >= 2:
                segs.append(np.column_stack([result.potential_V[piece], y[piece]]))
                colors.append(cmap(norm(k)))
    ax.add_collection(LineCollection(segs, colors=colors, linewidths=0.8))
    ax.autoscale_view()
    if result.window_V is not None:
        wlo, whi = result.window_V
        e_lo, e_hi = result.scan_range_V
        if whi > e_lo and wlo < e_hi:
            ax.axvspan(max(wlo, e_lo), min(whi, e_hi), color="0.85", alpha=0.5, lw=0, zorder=0,
                       label="strip/plate window")
    ax.axhline(0, color="0.6", lw=0.5)
    if result.ox_onset_V is not None:
        ax.axvline(result.ox_onset_V, color="C3", ls="--", lw=0.8, label="oxidative onset")
    if result.red_onset_V is not None:
        ax.axvline(result.red_onset_V, color="C0", ls="--", lw=0.8, label="reductive onset")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    sm.set_array([])
    ticks = [v for v in MaxNLocator(integer=True, nbins=min(n, 8)).tick_values(lo, hi) if lo <= v <= hi]
    cb = fig.colorbar(sm, ax=ax, label="cycle", ticks=ticks or [lo])
    cb.ax.minorticks_off()
    ax.set_xlabel(_potential_label(reference))
    ax.set_ylabel(ylabel)


def plot_charge_vs_cycle(result: CVResult):
    """Stripping and plating charge per cycle with the two-regime fits (paper Fig. 2b).

    Areal charge (mC cm⁻²-type units) when the electrode area is known, else charge; partial cycles are drawn
    in grey and are not part of the fits.
    """
    from .plotting import new_figure, style

    fig, ax = new_figure()
    with style():
        _draw_charge(ax, result)
    return fig


def _draw_charge(ax, result: CVResult) -> None:
    from matplotlib.ticker import MaxNLocator

    x = result.cycles
    if result.area_m2:
        qs, qp = result.areal(result.q_strip_C), result.areal(result.q_plate_C)
        f, unit = pick_unit(np.concatenate([qs, qp]), AREAL_CHARGE_UNITS)
        per = 1.0 / result.area_m2
        ylabel = f"areal charge ({unit})"
    else:
        qs, qp = result.q_strip_C, result.q_plate_C
        f, unit = pick_unit(np.concatenate([qs, qp]), CHARGE_UNITS)
        per = 1.0
        ylabel = f"charge ({unit})"
    full = np.asarray(result.complete, bool)
    ax.plot(x[full], qs[full] * f, "o", color="C3", label="stripping (anodic)")
    ax.plot(x[full], qp[full] * f, "s", color="C0", mfc="none", label="plating (cathodic)")
    if (~full).any():
        ax.plot(x[~full], qs[~full] * f, "o", color="0.6", label="partial cycle")
        ax.plot(x[~full], qp[~full] * f, "s", color="0.6", mfc="none")
    for fit, color in ((result.strip_regimes, "C3"), (result.plate_regimes, "C0")):
        if fit is None:
            continue
        xx = np.linspace(fit.x.min(), fit.x.max(), 200)
        ax.plot(xx, fit.predict(xx) * per * f, "-", color=color, lw=0.8)
        ax.axvline(fit.x_break, color=color, ls=":", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("cycle")
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left")
