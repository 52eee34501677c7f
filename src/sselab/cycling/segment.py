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

Memory: the inputs stay in the dtype the reader gave (EC-Lab's float32 potential and current are not copied to
float64); every computation converts a block of rows to float64 and works there, in blocks of about
:data:`CHUNK_ROWS` rows (the rolling windows read a few rows beyond each block; per-segment sums run over blocks of
whole segments).  The results are bit-identical to one pass over float64 copies of the whole record, and the
temporaries no longer grow with the record.

Half-cycle charges: :attr:`Segmentation.charge_C` is ∫I dt of the sampled current.  Battery cyclers count charge
continuously and their readers rebuild ``charge_C`` from those counters (:data:`COUNTER_FORMATS`);
:func:`counter_charges` takes per-segment charges from them, which the analyses prefer (``charge="auto"``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError
from ..results import Result

__all__ = ["Segmentation", "segment", "as_arrays", "decimate_minmax", "counter_charges", "charge_counter",
           "COUNTER_FORMATS", "FROM_COUNTERS", "FROM_INTEGRATION",
           "CHARGE_OPTIONS", "CHUNK_ROWS"]

#: rows per block of the chunked passes (a multiple of the 256-row noise blocks): the temporaries are a few
#: float64 arrays of this length whatever the length of the record
CHUNK_ROWS = 1 << 18
_BLOCK = 256            # rows per block of the block-median noise floor
_HALO = 16              # rows read beyond a block: ≥ half the widest rolling window (15) + the first difference

#: reader formats whose ``charge_C`` is rebuilt from the instrument's own capacity counters (docs/CONVENTIONS.md,
#: "Battery cyclers"); ``charge="auto"`` takes half-cycle charges from it instead of integrating the current
COUNTER_FORMATS = frozenset({"neware-nda", "neware-ndax", "arbin-res", "maccor-txt", "spreadsheet"})
#: ``charge=`` options of the analyses, and what the results say they used
CHARGE_OPTIONS = ("auto", "counters", "integrated")
FROM_COUNTERS = "instrument counters"
FROM_INTEGRATION = "integrated current"


def _f64(a: np.ndarray) -> np.ndarray:
    """``a`` as float64 (no copy when it already is)."""
    return a if a.dtype == np.float64 else a.astype(np.float64)


def _float(x) -> np.ndarray:
    """A float array without copying float32/float64 input (other dtypes become float64)."""
    a = np.asarray(x)
    if a.dtype == np.float64 or a.dtype == np.float32:
        return a
    return np.asarray(x, dtype=float)


# -------------------------------------------------------------------------------------------------------------
# input normalisation
# -------------------------------------------------------------------------------------------------------------

def as_arrays(record, potential=None, current=None, notes: list | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """``(time_s, potential_V, current_A, name)`` from a Measurement, DataFrame, mapping or three arrays.

    ``record`` may be a :class:`sselab.io.Measurement`, a DataFrame / mapping with canonical columns, a tuple
    ``(t, V, I)``, or the time array with ``potential`` and ``current`` given separately.  Rows of a table that
    carry an impedance frequency (``freq_Hz`` > 0, e.g. PEIS inside a Modulo Bat sequence) are not galvanostatic:
    their current is set to 0 so they count as rests, and a note is appended to ``notes``.  Float32 and float64
    arrays are returned as they are (no copy); other dtypes become float64.
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
    t, v, i = _float(t), _float(v), _float(i)
    if not (t.ndim == v.ndim == i.ndim == 1 and len(t) == len(v) == len(i)):
        raise AnalysisError(f"{name}: time, potential and current must be 1-D arrays of equal length")
    if eis is not None and eis.any():
        i = np.where(eis, i.dtype.type(0), i)
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


def _chunks(n: int, rows: int | None = None) -> list[tuple[int, int]]:
    """``[(a, b), …]`` covering ``range(n)`` in blocks of ``rows`` (a multiple of the noise block) rows."""
    rows = max(_BLOCK, (int(rows or CHUNK_ROWS) // _BLOCK) * _BLOCK)
    return [(a, min(a + rows, n)) for a in range(0, n, rows)]


def _abs_diff(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``|x[k] − x[k−1]|`` in float64 for rows ``lo ≤ k < hi`` (row 0 takes row 1's value)."""
    a = max(lo - 1, 0)
    c = _f64(x[a:hi])
    d = np.empty(hi - lo)
    if lo == 0:
        np.subtract(c[1:], c[:-1], out=d[1:])
    else:
        np.subtract(c[1:], c[:-1], out=d)
    np.abs(d, out=d)
    if lo == 0:
        d[0] = d[1]
    return d


def _block_medians(cur: np.ndarray, rows: int | None = None) -> np.ndarray:
    """Median of ``|ΔI|`` per consecutive block of :data:`_BLOCK` rows (the last, partial block padded as
    :func:`_block_median` pads it), computed block of rows by block of rows."""
    n = len(cur)
    nb = -(-n // _BLOCK)
    pad = nb * _BLOCK - n
    med = np.empty(nb)
    for a, b in _chunks(n, rows):
        full = (b - a) // _BLOCK
        if full:
            d = _abs_diff(cur, a, a + full * _BLOCK)
            med[a // _BLOCK:a // _BLOCK + full] = np.median(d.reshape(full, _BLOCK), axis=1)
    if pad:
        if pad <= n:
            lo = max(n - _BLOCK, 0)
            d = _abs_diff(cur, lo, n)                 # holds rows n − pad … n − 1 (pad < block)
            last = np.concatenate((d[len(d) - (_BLOCK - pad):], d[len(d) - pad:][::-1]))
        else:
            last = np.resize(_abs_diff(cur, 0, n), _BLOCK)
        med[-1] = np.median(last)
    return med


def _robust_sigma_diff(x: np.ndarray) -> float:
    """Noise standard deviation from the median absolute first difference (robust to rare steps)."""
    n = len(x)
    if n < 3:
        return 0.0
    d = np.empty(n - 1)
    for a, b in _chunks(n - 1):
        np.subtract(_f64(x[a + 1:b + 1]), _f64(x[a:b]), out=d[a:b])
    np.abs(d, out=d)
    return float(1.4826 * np.median(d, overwrite_input=True) / np.sqrt(2.0))

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
        lvl = _segment_sums(cur, starts, n) / lens
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
            min_points: int = 3, split_steps: bool = True, name: str | None = None) -> Segmentation:
    """Split a galvanostatic record into current-on segments and rests using only the current signal.

    ``time_s`` may also be a Measurement / DataFrame with canonical columns (then omit the other two).
    ``ocv_V`` is the reference for overpotentials (0 V for Li|SSE|Li).  ``snr``: signal-to-local-noise ratio a
    row needs to count as *on*; ``rel_step``: relative jump of the current that starts a new step;
    ``rest_threshold_A`` overrides the automatic *on/rest* threshold.  ``split_steps=False`` keeps a run of one
    sign in one segment (a *half cycle*) even where the current level changes within it.  Segments shorter than
    ``min_points`` rows between two neighbours of the same kind and level are glitches and merged away; shorter
    current-on segments next to one of the same direction (switching transients) are folded into it.  ``name``
    labels error messages (default: the record's file name).
    """
    warnings: list[str] = []
    t, v, cur, name0 = as_arrays(time_s, potential_V, current_A, notes=warnings)
    name = name or name0
    good = np.isfinite(t)
    good &= np.isfinite(v)
    good &= np.isfinite(cur)
    if not good.all():
        nbad = int((~good).sum())
        warnings.append(f"{nbad} row(s) with non-finite time/potential/current were dropped")
        t, v, cur = t[good], v[good], cur[good]
    del good
    n = len(t)
    if n < 3:
        raise AnalysisError(f"{name}: only {n} usable row(s); a galvanostatic record needs at least 3")
    back = t[1:] < t[:-1]
    if back.any():
        nback = int(back.sum())
        warnings.append(f"time went backwards {nback} time(s); restarts were stitched end to end")
        t = _stitch(t)
    del back

    imax = float(max(cur.max(), -cur.min()))
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
        kind=kind, start=starts.astype(np.int64), stop=stops.astype(np.int64), t_start_s=_f64(t[starts]),
        n_points=lens.astype(np.int64), ocv_V=float(ocv_V), current_noise_A=sig_i, potential_noise_V=sig_v,
        rest_threshold_A=rest_thr, n_rows=int(n), t_total_s=float(t[-1]) - float(t[0]), warnings=tuple(warnings),
        **stats,
    )


def _stitch(t: np.ndarray) -> np.ndarray:
    """Times with each backward jump (a clock restart) replaced by the typical positive step (float64)."""
    t = _f64(t)
    dt = np.diff(t)
    pos = dt[dt > 0]
    typical = float(np.median(pos)) if len(pos) else 1.0
    dt = np.where(dt < 0, typical, dt)
    return np.concatenate(([t[0]], t[0] + np.cumsum(dt)))


def _classify(cur, snr, rel_step, rest_threshold_A, split_steps, rows: int | None = None):
    """Row states (int8: +1/−1 on, 0 rest), within-sign current jumps (bool, length n−1, or None) and the
    effective rest threshold.

    Works through the record in blocks of ``rows`` rows (default :data:`CHUNK_ROWS`); the rolling windows read
    :data:`_HALO` rows beyond each block and the 256-row noise floor comes from :func:`_block_medians`, so the
    result is identical to one pass over the whole record while the float64 temporaries stay block-sized."""
    n = len(cur)
    chunks = _chunks(n, rows)
    # pass 1: the 5-sample median-filtered current (stored in the input's float dtype: a median of 5 picks one of
    # the samples, so float32 holds it exactly) and its largest magnitude
    i_f = np.empty(n, dtype=cur.dtype if (cur.dtype == np.float32 and n >= 5) else np.float64)
    imax = 0.0
    for a, b in chunks:
        lo, hi = max(a - _HALO, 0), min(b + _HALO, n)
        f = _rolling_median5(_f64(cur[lo:hi]))[a - lo:b - lo]
        i_f[a:b] = f
        imax = max(imax, float(np.abs(f).max()))
    floor = 1e-6 * imax
    bmed = _block_medians(cur, rows) if rest_threshold_A is None else None
    state = np.empty(n, dtype=np.int8)
    jump = np.empty(n - 1, dtype=bool) if split_steps else None
    off_thr = []
    for a, b in chunks:
        e = min(b + 1, n)                   # one row more: the jump between this block's last row and the next
        c = _f64(cur[a:e])
        acur = np.abs(c)
        f = _f64(i_f[a:e])
        af = np.abs(f)
        if bmed is not None:
            # local noise (15 samples), bounded below by half the noise of the surrounding 256-row block: a chance
            # run of small differences among millions of rest rows must not make the threshold collapse
            lo, hi = max(a - _HALO, 0), min(e + _HALO, n)
            thr = _rolling_median(_abs_diff(cur, lo, hi), 15)[a - lo:e - lo]
            k0 = a // _BLOCK
            bm = np.repeat(bmed[k0:(e - 1) // _BLOCK + 1], _BLOCK)[a - k0 * _BLOCK:e - k0 * _BLOCK]
            bm *= 0.5
            np.maximum(thr, bm, out=thr)
            del bm
            thr *= snr
            on_row = acur > thr
            on_row &= af > thr
            on_row &= acur > floor
            off_thr.append(thr[:b - a][~on_row[:b - a]])
        else:
            thr = None
            on_row = acur > float(rest_threshold_A)
        st = np.sign(c).astype(np.int8)
        st[~on_row] = 0
        state[a:b] = st[:b - a]
        if jump is not None and e - a > 1:
            # jumps are judged on the median-filtered current: sample noise and single spikes do not split a step
            dif = np.abs(np.diff(f))
            m = np.maximum(af[1:], af[:-1])
            m *= rel_step
            jmp = dif > m
            if thr is not None:
                np.maximum(thr[1:], thr[:-1], out=m)
                jmp &= dif > m
            jmp &= st[1:] != 0
            jump[a:e - 1] = jmp
    del i_f
    if bmed is None:
        rest_thr = float(rest_threshold_A)
    else:
        off = np.concatenate(off_thr) if off_thr else np.empty(0)
        del off_thr
        rest_thr = float(max(floor, float(np.median(off, overwrite_input=True)) if len(off) else floor))
    return state, jump, rest_thr


def _segment_groups(starts: np.ndarray, stops: np.ndarray, rows: int | None = None) -> list[tuple[int, int]]:
    """``[(s0, s1), …]``: runs of whole segments holding at most ``rows`` rows each (a longer segment alone)."""
    rows = int(rows or CHUNK_ROWS)
    out = []
    s0, ns = 0, len(starts)
    while s0 < ns:
        s1 = max(int(np.searchsorted(stops, starts[s0] + rows, side="right")), s0 + 1)
        out.append((s0, s1))
        s0 = s1
    return out


def _segment_sums(x: np.ndarray, starts: np.ndarray, n: int, rows: int | None = None) -> np.ndarray:
    """``np.add.reduceat(x, starts)`` in float64, over blocks of whole segments (each segment is summed exactly as
    in one pass over a float64 copy of ``x``)."""
    stops = np.append(starts[1:], n)
    parts = []
    for s0, s1 in _segment_groups(starts, stops, rows):
        r0, r1 = int(starts[s0]), int(stops[s1 - 1])
        parts.append(np.add.reduceat(_f64(x[r0:r1]), starts[s0:s1] - r0))
    return np.concatenate(parts)


def _segment_stats(t, v, cur, starts, stops, lens, kind, ocv_V, skip, rows: int | None = None) -> dict:
    """Per-segment integrals and shape metrics, over blocks of whole segments (float64 temporaries of a block's
    length; identical to one pass over the whole record)."""
    n = len(t)
    parts = []
    for s0, s1 in _segment_groups(starts, stops, rows):
        r0, r1 = int(starts[s0]), int(stops[s1 - 1])
        # midpoint weights need the rows either side of the block
        lo, hi = max(r0 - 1, 0), min(r1 + 1, n)
        tl = _f64(t[lo:hi])
        dt = np.diff(tl)
        wl = np.empty(hi - lo)
        np.add(dt[1:], dt[:-1], out=wl[1:-1])
        wl[1:-1] *= 0.5
        if lo == 0:
            wl[0] = 0.5 * dt[0]
        if hi == n:
            wl[-1] = 0.5 * dt[-1]
        del dt
        off = r0 - lo
        parts.append(_block_stats(tl[off:off + r1 - r0], wl[off:off + r1 - r0], _f64(v[r0:r1]), _f64(cur[r0:r1]),
                                  starts[s0:s1] - r0, lens[s0:s1], kind[s0:s1], ocv_V, skip))
        del tl, wl
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _block_stats(t, w, v, cur, starts, lens, kind, ocv_V, skip) -> dict:
    """Per-segment integrals and shape metrics of whole segments (float64 rows, ``w`` the rows' time weights)."""
    # midpoint weights: each row stands for half the interval to either neighbour.  Inside a segment the
    # current is constant, so this is the trapezoid rule; at a boundary the unknown switching instant is taken
    # halfway between the last row of one segment and the first of the next.  With EC-Lab-style rows at each
    # step's start and end the gap is ~0 and the segment spans [first row, last row].
    n = len(t)
    stops = np.append(starts[1:], n)
    duration = np.add.reduceat(w, starts)
    tmp = cur * w
    charge = np.add.reduceat(tmp, starts)
    tmp *= v
    energy = np.add.reduceat(tmp, starts)
    np.multiply(v, w, out=tmp)
    vdt = np.add.reduceat(tmp, starts)
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
        drop[idx[idx < stops]] = -np.inf
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
    y = _float(y)                     # min/max are exact in float32: converted after the reduction
    if len(x) <= 2 * n_bins:
        return x.copy(), y.astype(np.float64)
    edges = np.linspace(x[0], x[-1], n_bins + 1)
    idx = np.unique(np.searchsorted(x, edges[:-1], side="left"))
    idx = idx[idx < len(x)]
    ymin = _f64(np.minimum.reduceat(y, idx))
    ymax = _f64(np.maximum.reduceat(y, idx))
    stops = np.append(idx[1:], len(x))
    xl = x[idx]
    xr = x[stops - 1]
    xs = np.empty(2 * len(idx))
    ys = np.empty(2 * len(idx))
    xs[0::2], xs[1::2] = xl, xr
    # draw min then max (or max then min) in the order they occur is not needed at pixel scale
    ys[0::2], ys[1::2] = ymin, ymax
    return xs, ys


# -------------------------------------------------------------------------------------------------------------
# half-cycle charges from the instrument's own counters
# -------------------------------------------------------------------------------------------------------------

def charge_counter(record, seg: Segmentation, charge: str = "auto") -> np.ndarray | None:
    """The instrument's cumulative charge row by row, aligned with ``seg``'s rows, when ``charge`` selects it.

    ``"auto"``: ``charge_C`` of a Measurement read from one of :data:`COUNTER_FORMATS` (None otherwise);
    ``"counters"``: ``charge_C`` of any record (an error without it); ``"integrated"``: None.  May hold NaN rows."""
    if charge not in CHARGE_OPTIONS:
        raise AnalysisError(f"charge={charge!r}: expected one of {', '.join(CHARGE_OPTIONS)}")
    if charge == "integrated":
        return None
    data = getattr(record, "data", record)
    cols = getattr(data, "columns", None)
    has = cols is not None and "charge_C" in cols
    name = getattr(record, "name", "<memory>") if hasattr(record, "data") else "<memory>"
    if charge == "auto" and not (has and getattr(record, "format", None) in COUNTER_FORMATS):
        return None
    if not has:
        raise AnalysisError(f"{name}: charge='counters' needs a charge_C column (the instrument's charge counter)")
    q = _float(data["charge_C"])
    if len(q) != seg.n_rows:
        # segment() dropped rows without a finite time, potential or current: drop the same rows here
        t, v, cur, _ = as_arrays(record)
        good = np.isfinite(t) & np.isfinite(v) & np.isfinite(cur)
        q = q[good]
        if len(q) != seg.n_rows:
            raise AnalysisError(f"{name}: the segmentation does not belong to this record ({seg.n_rows} rows, "
                                f"record {len(q)})")
    return q


def counter_charges(record, seg: Segmentation, *, charge: str = "auto", notes: list | None = None
                    ) -> tuple[np.ndarray, str]:
    """Per-segment charge (C, signed, one value per segment of ``seg``) and where it came from.

    ``charge="auto"`` takes it from the instrument's cumulative charge counter (``charge_C`` of a Measurement read
    from one of :data:`COUNTER_FORMATS`: Neware, Arbin, Maccor, cycler spreadsheets) and otherwise integrates the
    sampled current (``seg.charge_C``); ``"counters"`` insists on ``charge_C`` (any record with that column);
    ``"integrated"`` always integrates.

    A counter's value at a row is the charge passed up to that row's time, so the increment onto a row belongs to
    the interval before it: the charge of a current-on segment is the counter's change from the row before the
    segment to the last row before the next current-on segment (the rest rows that follow a half cycle carry the
    end of it — the instrument counted up to the cut-off, the log row came later).  Rest segments get 0 (their
    change is counted with the half cycle before them).  Integrating a record logged every few minutes instead
    misses part of the first and last interval of every half cycle.  With ``"auto"``, a counter without a value
    at one of those rows falls back to integration and says so in ``notes``.
    Returns ``(charge_C, source)`` with ``source`` :data:`FROM_COUNTERS` or :data:`FROM_INTEGRATION`.
    """
    q = charge_counter(record, seg, charge)
    if q is None:
        return seg.charge_C, FROM_INTEGRATION
    name = getattr(record, "name", "<memory>") if hasattr(record, "data") else "<memory>"
    on = np.flatnonzero(seg.kind != 0)
    out = np.zeros(seg.n_segments)
    if len(on) == 0:
        return out, FROM_COUNTERS
    end = np.append(seg.start[on[1:]], seg.n_rows) - 1       # last row before the next half cycle
    before = seg.start[on] - 1                                 # row before the half cycle (none: 0 C)
    q_end = _f64(q[end])
    q_before = np.where(before >= 0, _f64(q[np.maximum(before, 0)]), 0.0)
    bad = ~(np.isfinite(q_end) & np.isfinite(q_before))
    if bad.any():
        what = (f"charge_C (the instrument's counter) has no value at the boundary rows of {int(bad.sum())} of "
                f"{len(on)} half cycles")
        if charge == "counters":
            raise AnalysisError(f"{name}: {what}")
        if notes is not None:
            notes.append(f"{what}: half-cycle charges were integrated from the current instead")
        return seg.charge_C, FROM_INTEGRATION
    out[on] = q_end - q_before
    return out, FROM_COUNTERS
