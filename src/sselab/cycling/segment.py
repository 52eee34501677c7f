"""Segmentation of galvanostatic records into half cycles, rests and current steps — from the current itself.

Instrument counters (``cycle``, ``step``, ``Ns``) are ignored on purpose: they are often missing, restart between
techniques or count differently per instrument.  Everything here is vectorised (``diff``/``cumsum``/``reduceat``);
the cost is a handful of passes over the rows, so a 2.7 M-row record segments in well under a second.

Classification of a row as *on* (current flowing) or *rest*:

* the local noise is the rolling median (15 samples) of the first difference ``|ΔI|`` — robust to the steps —
  bounded below by half the median of its 256-row block (so chance runs of tiny differences in a long rest
  cannot collapse it);
* a row is *on* when both its current and the 5-sample median-filtered current exceed ``snr`` × the local noise
  (and ``1e-6 * max|I|``).  The test is relative to the *local* current scale, so a 4 µA step and a 50 mA step in
  the same ladder are both seen, a noisy current (SNR ≈ 15 per sample) stays *on*, a long rest with pA noise stays
  a rest, and a 10 s rest sampled only once between two half cycles is still found (the raw current is ≈ 0).

Within the same sign, a new segment starts where the filtered current jumps by more than ``rel_step`` of its own
magnitude (current-density ladders, CP step sequences without a rest in between).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError
from ..results import Result

__all__ = ["Segmentation", "segment", "as_arrays", "decimate_minmax"]


# -------------------------------------------------------------------------------------------------------------
# input normalisation
# -------------------------------------------------------------------------------------------------------------

def as_arrays(record, potential=None, current=None, notes: list | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """``(time_s, potential_V, current_A, name)`` from a Measurement, DataFrame, mapping or three arrays.

    ``record`` may be a :class:`sselab.io.Measurement`, a DataFrame / mapping with canonical columns, a tuple
    ``(t, V, I)``, or the time array with ``potential`` and ``current`` given separately.  Rows of a table that
    carry an impedance frequency (``freq_Hz`` > 0, e.g. PEIS inside a Modulo Bat sequence) are not galvanostatic:
    their current is set to 0 so they count as rests, and a note is appended to ``notes``.
    """
    name = "<memory>"
    eis = None
    if potential is not None or current is not None:
        if potential is None or current is None:
            raise AnalysisError("give time, potential and current arrays together")
        t, v, i = record, potential, current
    elif isinstance(record, tuple) and len(record) == 3:
        t, v, i = record
    else:
        data = getattr(record, "data", record)
        name = getattr(record, "name", name) if hasattr(record, "data") else name
        cols = set(getattr(data, "columns", None) if hasattr(data, "columns") else data.keys())
        missing = [c for c in ("time_s", "potential_V", "current_A") if c not in cols]
        if missing:
            raise AnalysisError(f"{name}: cycling analysis needs columns {', '.join(missing)} "
                                f"(has: {', '.join(map(str, cols))})")
        t, v, i = data["time_s"], data["potential_V"], data["current_A"]
        if "freq_Hz" in cols:
            f = np.asarray(data["freq_Hz"], dtype=float)
            eis = np.isfinite(f) & (f > 0)
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    i = np.asarray(i, dtype=float)
    if not (t.ndim == v.ndim == i.ndim == 1 and len(t) == len(v) == len(i)):
        raise AnalysisError(f"{name}: time, potential and current must be 1-D arrays of equal length")
    if eis is not None and eis.any():
        i = np.where(eis, 0.0, i)
        if notes is not None:
            notes.append(f"{int(eis.sum())} impedance row(s) (freq_Hz > 0) were treated as rests")
    return t, v, i, name


def _rolling_median(x: np.ndarray, size: int) -> np.ndarray:
    if len(x) < size:
        return np.full(len(x), np.median(x)) if len(x) else x.copy()
    from scipy.ndimage import median_filter

    return median_filter(x, size=size, mode="reflect")


def _block_median(x: np.ndarray, block: int) -> np.ndarray:
    """Median of each consecutive ``block`` of rows, broadcast back to the rows (vectorised, O(n log block))."""
    n = len(x)
    nb = -(-n // block)
    pad = nb * block - n
    xp = np.concatenate((x, x[n - pad:][::-1])) if pad and pad <= n else np.resize(x, nb * block)
    med = np.median(xp.reshape(nb, block), axis=1)
    return np.repeat(med, block)[:n]


def _rolling_median5(x: np.ndarray) -> np.ndarray:
    return _rolling_median(x, 5)


def _robust_sigma_diff(x: np.ndarray) -> float:
    """Noise standard deviation from the median absolute first difference (robust to rare steps)."""
    if len(x) < 3:
        return 0.0
    d = np.abs(np.diff(x))
    return float(1.4826 * np.median(d) / np.sqrt(2.0))


# -------------------------------------------------------------------------------------------------------------
# result
# -------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segmentation(Result):
    """Segments of a galvanostatic record (one entry per segment; ``kind`` +1 / −1 = current on, 0 = rest).

    Per segment: first row ``start`` and one-past-last row ``stop``; ``t_start_s``; ``duration_s`` (midpoint
    weights: a boundary between two segments lies halfway between their last and first rows); time-weighted
    mean ``current_A`` and ``potential_V``; ``charge_C``
    (signed ∫I dt), ``energy_J`` (∫V·I dt); first/last/peak overpotential (``eta_*_V``: potential minus
    ``ocv_V``, peak taken in the direction of the current); profile shape (``flatness`` = 1 − std/mean of |η|,
    ``spike`` = (peak − mean)/mean of |η|, ``max_drop_V`` largest sample-to-sample fall of |η| after the first
    ``skip`` samples, its time ``drop_time_s`` and whether |η| at the segment end is back above 70 % of the level
    just before the drop, ``drop_recovered``).
    """

    kind: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    t_start_s: np.ndarray
    duration_s: np.ndarray
    n_points: np.ndarray
    current_A: np.ndarray
    charge_C: np.ndarray
    energy_J: np.ndarray
    potential_V: np.ndarray
    eta_mean_V: np.ndarray
    eta_first_V: np.ndarray
    eta_end_V: np.ndarray
    eta_peak_V: np.ndarray
    flatness: np.ndarray
    spike: np.ndarray
    max_drop_V: np.ndarray
    drop_time_s: np.ndarray
    drop_recovered: np.ndarray
    ocv_V: float
    current_noise_A: float
    potential_noise_V: float
    rest_threshold_A: float
    n_rows: int
    t_total_s: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_segments(self) -> int:
        return int(len(self.kind))

    @property
    def on(self) -> np.ndarray:
        """Boolean mask of segments with current flowing (half cycles)."""
        return self.kind != 0

    def table(self):
        """The per-segment arrays as a pandas DataFrame (SI units)."""
        import pandas as pd

        names = ["kind", "start", "stop", "t_start_s", "duration_s", "n_points", "current_A", "charge_C",
                 "energy_J", "potential_V", "eta_mean_V", "eta_first_V", "eta_end_V", "eta_peak_V", "flatness",
                 "spike", "max_drop_V", "drop_time_s", "drop_recovered"]
        return pd.DataFrame({n: getattr(self, n) for n in names})

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["n_segments"] = self.n_segments
        return d


# -------------------------------------------------------------------------------------------------------------
# segmentation
# -------------------------------------------------------------------------------------------------------------

def _merge_transients(starts, state, n, min_points):
    """Fold a too-short current-on segment into a neighbour of the same direction (the sample recorded while
    the current was switching, e.g. half the set value for 40 ms at the start of each EC-Lab GCPL half cycle)."""
    if len(starts) < 2:
        return starts
    lens = np.diff(np.append(starts, n))
    k = state[starts]
    short = (lens < min_points) & (k != 0)
    if not short.any():
        return starts
    nxt = np.append(k[1:], 0)
    prv = np.concatenate(([0], k[:-1]))
    into_next = short & (nxt == k)
    into_prev = short & ~into_next & (prv == k)
    drop = np.zeros(len(starts), bool)
    drop[np.flatnonzero(into_next) + 1] = True     # the next segment now starts at the short one
    drop[into_prev] = True                          # the short one joins the previous segment
    drop[0] = False
    return starts[~drop]


def _merge_glitches(starts, state, cur, n, rel_step, min_points):
    """Remove segments shorter than ``min_points`` rows whose two neighbours are the same kind and level.

    Such a segment is a glitch (a one-sample spike at rest, a dropout during a half cycle); the three segments
    become one.  A short segment *between different* neighbours (a 10 s rest sampled once) is kept.
    """
    for _ in range(3):                      # a few passes settle back-to-back glitches; each pass is vectorised
        if len(starts) < 3:
            return starts
        stops = np.append(starts[1:], n)
        lens = stops - starts
        k = state[starts]
        lvl = np.add.reduceat(cur, starts) / lens
        prev_k, next_k = k[:-2], k[2:]
        prev_l, next_l = lvl[:-2], lvl[2:]
        similar = (prev_k == next_k) & (np.abs(prev_l - next_l)
                                        <= rel_step * np.maximum(np.abs(prev_l), np.abs(next_l)) + 1e-300)
        glitch = np.zeros(len(starts), bool)
        glitch[1:-1] = (lens[1:-1] < min_points) & similar
        # do not merge overlapping triples in the same pass
        glitch[1:] &= ~glitch[:-1]
        if not glitch.any():
            return starts
        drop = glitch.copy()
        drop[np.flatnonzero(glitch) + 1] = True        # the follower joins too
        starts = starts[~drop]
    return starts


def segment(time_s, potential_V=None, current_A=None, *, ocv_V: float = 0.0, snr: float = 5.0,
            rel_step: float = 0.1, rest_threshold_A: float | None = None, skip: int = 3,
            min_points: int = 3, split_steps: bool = True) -> Segmentation:
    """Split a galvanostatic record into current-on segments and rests using only the current signal.

    ``time_s`` may also be a Measurement / DataFrame with canonical columns (then omit the other two).
    ``ocv_V`` is the reference for overpotentials (0 V for Li|SSE|Li).  ``snr``: signal-to-local-noise ratio a
    row needs to count as *on*; ``rel_step``: relative jump of the current that starts a new step;
    ``rest_threshold_A`` overrides the automatic *on/rest* threshold.  ``split_steps=False`` keeps a run of one
    sign in one segment (a *half cycle*) even where the current level changes within it.  Segments shorter than
    ``min_points`` rows between two neighbours of the same kind and level are glitches and merged away; shorter
    current-on segments next to one of the same direction (switching transients) are folded into it.
    """
    warnings: list[str] = []
    t, v, cur, name = as_arrays(time_s, potential_V, current_A, notes=warnings)
    good = np.isfinite(t) & np.isfinite(v) & np.isfinite(cur)
    if not good.all():
        nbad = int((~good).sum())
        warnings.append(f"{nbad} row(s) with non-finite time/potential/current were dropped")
        t, v, cur = t[good], v[good], cur[good]
    n = len(t)
    if n < 3:
        raise AnalysisError(f"{name}: only {n} usable row(s); a galvanostatic record needs at least 3")
    dt = np.diff(t)
    if (dt < 0).any():
        nback = int((dt < 0).sum())
        warnings.append(f"time went backwards {nback} time(s); restarts were stitched end to end")
        pos = dt[dt > 0]
        typical = float(np.median(pos)) if len(pos) else 1.0
        dt = np.where(dt < 0, typical, dt)
        t = np.concatenate(([t[0]], t[0] + np.cumsum(dt)))

    imax = float(np.max(np.abs(cur)))
    if not imax > 0:
        raise AnalysisError(f"{name}: the current is zero throughout — no galvanostatic segments")
    state, jump, rest_thr = _classify(cur, snr, rel_step, rest_threshold_A, split_steps)
    brk = np.diff(state) != 0
    if jump is not None:
        brk |= jump
        del jump
    starts = np.concatenate(([0], np.flatnonzero(brk) + 1))
    del brk
    starts = _merge_glitches(starts, state, cur, n, rel_step, min_points)
    starts = _merge_transients(starts, state, n, min_points)
    stops = np.append(starts[1:], n)
    lens = stops - starts
    # kind of a segment = sign of the sum of its row states (int8 sums in int64 per segment, no row copy)
    kind = np.sign(np.add.reduceat(state, starts, dtype=np.int64)).astype(np.int8)
    del state
    stats = _segment_stats(t, v, cur, starts, stops, lens, kind, ocv_V, skip)
    sig_v = _robust_sigma_diff(v)
    sig_i = _robust_sigma_diff(cur)
    return Segmentation(
        kind=kind, start=starts.astype(np.int64), stop=stops.astype(np.int64), t_start_s=t[starts],
        n_points=lens.astype(np.int64), ocv_V=float(ocv_V), current_noise_A=sig_i, potential_noise_V=sig_v,
        rest_threshold_A=rest_thr, n_rows=int(n), t_total_s=float(t[-1] - t[0]), warnings=tuple(warnings),
        **stats,
    )


def _classify(cur, snr, rel_step, rest_threshold_A, split_steps):
    """Row states (int8: +1/−1 on, 0 rest), within-sign current jumps (bool, length n−1, or None) and the
    effective rest threshold.  Temporaries are row-length arrays freed on return (bounded memory)."""
    n = len(cur)
    i_f = _rolling_median5(cur)
    af = np.abs(i_f)
    imax = float(af.max())
    floor = 1e-6 * imax
    if rest_threshold_A is None:
        dd = np.empty(n)
        np.subtract(cur[1:], cur[:-1], out=dd[1:])
        np.abs(dd, out=dd)
        dd[0] = dd[1]
        # local noise (15 samples), bounded below by half the noise of the surrounding 256-row block: a chance
        # run of small differences among millions of rest rows must not make the threshold collapse
        thr = _rolling_median(dd, 15)
        bm = _block_median(dd, 256)
        del dd
        bm *= 0.5
        np.maximum(thr, bm, out=thr)
        del bm
        thr *= snr
        acur = np.abs(cur)
        on_row = acur > thr
        on_row &= af > thr
        on_row &= acur > floor
        del acur
        rest_thr = float(max(floor, float(np.median(thr[~on_row])) if (~on_row).any() else floor))
    else:
        thr = None
        rest_thr = float(rest_threshold_A)
        on_row = np.abs(cur) > rest_thr
    state = np.sign(cur).astype(np.int8)
    state[~on_row] = 0
    del on_row
    jump = None
    if split_steps:
        # jumps are judged on the median-filtered current: sample noise and single spikes do not split a step
        dif = np.abs(np.diff(i_f))
        m = np.maximum(af[1:], af[:-1])
        m *= rel_step
        jump = dif > m
        if thr is not None:
            np.maximum(thr[1:], thr[:-1], out=m)
            jump &= dif > m
        del m, dif
        jump &= state[1:] != 0
    return state, jump, rest_thr


def _segment_stats(t, v, cur, starts, stops, lens, kind, ocv_V, skip) -> dict:
    """Per-segment integrals and shape metrics with reduceat; a few row-length temporaries at a time."""
    n = len(t)
    # midpoint weights: each row stands for half the interval to either neighbour.  Inside a segment the
    # current is constant, so this is the trapezoid rule; at a boundary the unknown switching instant is taken
    # halfway between the last row of one segment and the first of the next.  With EC-Lab-style rows at each
    # step's start and end the gap is ~0 and the segment spans [first row, last row].
    w = np.empty(n)
    dt = np.diff(t)
    w[0] = 0.5 * dt[0]
    w[-1] = 0.5 * dt[-1]
    np.add(dt[1:], dt[:-1], out=w[1:-1])
    w[1:-1] *= 0.5
    del dt
    duration = np.add.reduceat(w, starts)
    tmp = cur * w
    charge = np.add.reduceat(tmp, starts)
    tmp *= v
    energy = np.add.reduceat(tmp, starts)
    np.multiply(v, w, out=tmp)
    vdt = np.add.reduceat(tmp, starts)
    del w
    npts = lens.astype(float)
    pos_dur = duration > 0
    safe_dur = np.where(pos_dur, duration, 1.0)
    mean_i = np.where(pos_dur, charge / safe_dur, np.add.reduceat(cur, starts) / npts)
    mean_v = np.where(pos_dur, vdt / safe_dur, np.add.reduceat(v, starts) / npts)

    # overpotential (in place in tmp); its direction-signed peak, |η| moments and sudden drops
    eta = tmp
    np.subtract(v, ocv_V, out=eta)
    sgn = np.where(kind != 0, kind, 1).astype(float)
    eta *= np.repeat(sgn, lens)                             # η in the direction of the current
    eta_peak = np.maximum.reduceat(eta, starts) * sgn
    np.abs(eta, out=eta)                                    # |η|
    aeta = eta
    m1 = np.add.reduceat(aeta, starts) / npts
    peak_abs = np.maximum.reduceat(aeta, starts)
    sq = aeta * aeta
    m2 = np.add.reduceat(sq, starts) / npts
    std = np.sqrt(np.maximum(m2 - m1 * m1, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        flatness = np.clip(np.where(m1 > 0, 1.0 - std / m1, 0.0), 0.0, 1.0)
        spike = np.where(m1 > 0, (peak_abs - m1) / m1, 0.0)

    # sudden drops of |η| inside a segment (after the first `skip` samples); reuse sq as the drop array
    drop = sq
    drop[0] = -np.inf
    np.subtract(aeta[:-1], aeta[1:], out=drop[1:])
    skip = max(int(skip), 1)
    for k in range(skip):                                   # mask the first rows of every segment (k < skip)
        idx = starts + k
        drop[idx[idx < np.append(starts[1:], n)]] = -np.inf
    max_drop = np.maximum.reduceat(drop, starts)
    has_drop = np.isfinite(max_drop)
    max_drop = np.where(has_drop, max_drop, 0.0)
    is_max = drop == np.repeat(max_drop, lens)
    is_max &= np.isfinite(drop)
    del drop, sq
    hit = np.flatnonzero(is_max)                            # rows that hold their segment's largest drop
    del is_max
    seg_of_hit = np.searchsorted(starts, hit, side="right") - 1
    big = np.iinfo(np.int64).max
    first_max = np.full(len(starts), big, dtype=np.int64)
    np.minimum.at(first_max, seg_of_hit, hit)               # the earliest hit wins (ties are rare)
    found = has_drop & (first_max < big)
    fm = np.where(found, first_max, starts)
    drop_time = np.where(found, t[fm], t[starts])
    eta_end = v[stops - 1] - ocv_V
    before = aeta[np.maximum(fm - 1, 0)]
    drop_recovered = found & (np.abs(eta_end) >= 0.7 * before)
    return dict(duration_s=duration, current_A=mean_i, charge_C=charge, energy_J=energy, potential_V=mean_v,
                eta_mean_V=mean_v - ocv_V, eta_first_V=v[starts] - ocv_V, eta_end_V=eta_end, eta_peak_V=eta_peak,
                flatness=flatness, spike=spike, max_drop_V=max_drop, drop_time_s=drop_time,
                drop_recovered=drop_recovered)


# -------------------------------------------------------------------------------------------------------------
# decimation for plots
# -------------------------------------------------------------------------------------------------------------

def decimate_minmax(x, y, n_bins: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Min/max per bin of ``x`` (sorted): at most ``2 * n_bins`` points that draw like the full trace."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) <= 2 * n_bins:
        return x.copy(), y.copy()
    edges = np.linspace(x[0], x[-1], n_bins + 1)
    idx = np.unique(np.searchsorted(x, edges[:-1], side="left"))
    idx = idx[idx < len(x)]
    ymin = np.minimum.reduceat(y, idx)
    ymax = np.maximum.reduceat(y, idx)
    stops = np.append(idx[1:], len(x))
    xl = x[idx]
    xr = x[stops - 1]
    xs = np.empty(2 * len(idx))
    ys = np.empty(2 * len(idx))
    xs[0::2], xs[1::2] = xl, xr
    # draw min then max (or max then min) in the order they occur is not needed at pixel scale
    ys[0::2], ys[1::2] = ymin, ymax
    return xs, ys
