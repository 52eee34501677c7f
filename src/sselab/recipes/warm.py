"""Warm-started fits of a series of files: the same circuit fitted to every file of a temperature (or time) series,
each seeded from its neighbour's fitted parameters — "apply to all spectra of the series" in ``sselab app``.

Every file is fitted by its own recipe (``eis.blocking`` / ``eis.symmetric``) with its own options and an
``initial`` taken from the previous fit, so each result is one ordinary recipe run: it records the seed in
``result.options["initial"]`` and gives the same answer when it is run again alone (by ``sselab report`` from the
kept settings, or by the exported script).  The data-driven starts are still tried beside the seed and the best χ²
wins (:func:`sselab.eis.fit_batch`), so a seed cannot trap a fit in a worse minimum than the automatic starts find.

Order (the decision this module owns): from the file the user fitted outward — upwards in temperature (or time)
seeded from the next colder file, downwards seeded from the next warmer one — because neighbouring temperatures
have the closest parameters.  Files without a temperature follow in their given order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SselabError
from .base import RecipeError, RecipeResult, get

__all__ = ["WarmRun", "order_from", "seed_from", "fit_series_warm", "CARRIED_OPTIONS"]

#: options the seed file's settings pass on to every file of the series (a point mask is the file's own)
CARRIED_OPTIONS = ("circuit", "resistance", "interface", "fixed", "bounds", "fmin_Hz", "fmax_Hz", "weighting",
                   "lf_loop")


@dataclass
class WarmRun:
    """One file of a warm-started series: the result or the one-line error, and the options it was run with."""

    index: int
    options: dict
    result: RecipeResult | None = None
    error: str | None = None
    seeded_from: int | None = None


def order_from(start: int, temperatures_K: list) -> tuple[list[int], list[int]]:
    """``(upward, downward)`` visiting orders from ``start``: files sorted by temperature (None last, then given
    order); upward = the files after ``start`` in that order, downward = those before it, nearest first."""
    n = len(temperatures_K)
    if not 0 <= start < n:
        raise RecipeError(f"warm start: file {start} of {n}")
    key = sorted(range(n), key=lambda i: (temperatures_K[i] is None, temperatures_K[i] or 0.0, i))
    p = key.index(start)
    return key[p + 1:], key[:p][::-1]


def seed_from(result: RecipeResult, options: dict) -> dict:
    """Starting values for the next fit: the fitted parameters of ``result`` (those not held fixed), clipped into
    the ``bounds`` of ``options``."""
    params = dict(result.figures.get("params") or {})
    fixed = set((options.get("fixed") or {}).keys())
    bounds = options.get("bounds") or {}
    seed = {}
    for name, v in params.items():
        if name in fixed or v is None or not math.isfinite(float(v)) or not float(v) > 0:
            continue
        v = float(v)
        lo, hi = (list(bounds.get(name) or (None, None)) + [None, None])[:2]
        if lo is not None:
            v = max(v, float(lo))
        if hi is not None:
            v = min(v, float(hi))
        seed[name] = v
    return seed


def fit_series_warm(measurements, cells, start: int, options: dict, *, temperatures_K=None, recipes=None,
                    own_options=None) -> list[WarmRun]:
    """Fit every measurement of a series with the seed file's circuit and settings, warm-started (see the module
    docstring).  ``cells``: one CellSpec (or None) per measurement; ``start``: index of the seed file whose
    ``options`` (must hold a ``circuit``) are used for it as given; ``temperatures_K``: the routed temperature of
    each file (None: from the file); ``recipes``: the recipe name per file (default from the cell kind);
    ``own_options``: per file, options kept as that file's own (its ``mask``).  A file that fails is a run with a
    one-line error; the chain goes on from the last fit that worked."""
    ms = list(measurements)
    n = len(ms)
    if not options.get("circuit"):
        raise RecipeError("apply to the series: give a circuit first (the parameters are named by it)")
    cells = list(cells) if cells is not None else [None] * n
    temps = list(temperatures_K) if temperatures_K is not None else [None] * n
    own = list(own_options) if own_options is not None else [None] * n
    if not (len(cells) == len(temps) == len(own) == n):
        raise RecipeError(f"warm start: {n} files but {len(cells)} cells, {len(temps)} temperatures")
    if recipes is None:
        recipes = ["eis.symmetric" if c is not None and c.kind == "symmetric" else "eis.blocking" for c in cells]
    order_T = [t if t is not None else getattr(m, "temperature_K", None) for t, m in zip(temps, ms)]
    carried = {k: v for k, v in options.items() if k in CARRIED_OPTIONS and v is not None}
    runs: dict[int, WarmRun] = {}

    def run(i: int, opts: dict, seeded_from: int | None) -> WarmRun:
        kw = dict(opts)
        if temps[i] is not None:
            kw["temperature_K"] = temps[i]
        try:
            res = get(recipes[i]).run([ms[i]], cells[i], **kw)
        except SselabError as exc:
            return WarmRun(i, opts, None, " ".join(str(exc).split()), seeded_from)
        return WarmRun(i, opts, res, None, seeded_from)

    runs[start] = run(start, dict(options), None)
    if runs[start].result is None:
        raise RecipeError(f"the seed file does not fit: {runs[start].error}")
    up, down = order_from(start, order_T)
    for chain in (up, down):
        prev = start
        for i in chain:
            opts = {**carried, **(own[i] or {})}
            opts["initial"] = seed_from(runs[prev].result, opts)
            runs[i] = run(i, opts, prev)
            if runs[i].result is not None:
                prev = i
    return [runs[i] for i in range(n)]
