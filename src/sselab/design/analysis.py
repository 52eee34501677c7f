"""Sweeps, critical values and contour maps of a :class:`~sselab.design.stack.CellStack`.

Parameters are addressed by name (:data:`PARAMS`), e.g. ``"sse_thickness"`` (every separator layer at once — the
Fig. 17 reading), ``"separator1_thickness"``, ``"areal_capacity"``, ``"np_ratio"``, ``"al_thickness"``,
``"cu_thickness"``, ``"foil_scale"`` (both collectors × factor).  Values are SI; :func:`parse_value` reads
``"30 um"``/``"4 mAh/cm2"`` (plain numbers are taken in the parameter's display unit).

Sweeps and contours are vectorised: the parameter is set to a numpy array and the stack evaluated once.
:func:`solve_for` finds where a metric crosses a target (``"350 Wh/kg"`` → gravimetric, ``"900 Wh/L"`` →
volumetric): a vectorised scan of the bracket locates a sign change, then :func:`scipy.optimize.brentq` refines it;
no crossing → :class:`~sselab.errors.AnalysisError` naming the reachable range.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .. import units
from ..errors import AnalysisError
from ..results import Result
from .stack import CellStack, evaluate

__all__ = ["Param", "PARAMS", "param", "parse_value", "set_param", "get_param", "Sweep", "sweep", "Contour",
           "contour", "CriticalValue", "solve_for", "parse_target", "parse_range"]


@dataclass(frozen=True)
class Param:
    name: str
    dimension: str
    unit: str                      # display / default unit
    bracket: tuple[float, float]   # default search range (SI)
    getter: Callable
    setter: Callable
    description: str
    integer: bool = False


def _set_all_separators(s: CellStack, v):
    if not s.separators:
        raise AnalysisError("the stack has no separator layer")
    return replace(s, separators=tuple(replace(x, thickness_m=v) for x in s.separators))


def _set_separator(i):
    def f(s: CellStack, v):
        if len(s.separators) <= i:
            raise AnalysisError(f"the stack has {len(s.separators)} separator layer(s), no separator{i + 1}")
        seps = list(s.separators)
        seps[i] = replace(seps[i], thickness_m=v)
        return replace(s, separators=tuple(seps))
    return f


def _get_separator(i):
    def f(s: CellStack):
        if len(s.separators) <= i:
            raise AnalysisError(f"the stack has {len(s.separators)} separator layer(s), no separator{i + 1}")
        return s.separators[i].thickness_m
    return f


def _cath(attr):
    return (lambda s: getattr(s.cathode, attr), lambda s, v: replace(s, cathode=replace(s.cathode, **{attr: v})))


def _pouch(attr):
    def g(s):
        if s.pouch is None:
            raise AnalysisError(f"'{attr}' needs a pouch section in the stack")
        return getattr(s.pouch, attr)

    def st(s, v):
        if s.pouch is None:
            raise AnalysisError(f"'{attr}' needs a pouch section in the stack")
        return replace(s, pouch=replace(s.pouch, **{attr: v}))
    return g, st


def _np_set(s, v):
    if s.anode.kind == "anode-free":
        raise AnalysisError("np_ratio cannot be varied for an anode-free cell (set anode type to li)")
    return replace(s, anode=replace(s.anode, np_ratio=v))


def _coll(which):
    def g(s):
        return getattr(s, which).thickness_m

    def st(s, v):
        return replace(s, **{which: replace(getattr(s, which), thickness_m=v)})
    return g, st


def _foil_scale_set(s, k):
    return replace(s, positive_collector=replace(s.positive_collector, thickness_m=s.positive_collector.thickness_m * k),
                   negative_collector=replace(s.negative_collector, thickness_m=s.negative_collector.thickness_m * k))


_MAHCM2 = units.parse("1 mAh/cm2", "areal_charge")
_MAHG = units.parse("1 mAh/g", "specific_charge")

PARAMS: dict[str, Param] = {}


def _add(p: Param, *aliases):
    PARAMS[p.name] = p
    for a in aliases:
        _ALIASES[a] = p.name


_ALIASES: dict[str, str] = {}
_add(Param("sse_thickness", "length", "um", (0.0, 5e-3), _get_separator(0), _set_all_separators,
           "thickness of every separator layer (each layer, not their sum)"), "sse", "separator_thickness")
for _i in range(4):
    _add(Param(f"separator{_i + 1}_thickness", "length", "um", (0.0, 5e-3), _get_separator(_i), _set_separator(_i),
               f"thickness of separator layer {_i + 1} only"))
_add(Param("areal_capacity", "areal_charge", "mAh/cm2", (0.01 * _MAHCM2, 200 * _MAHCM2),
           *_cath("areal_capacity_C_per_m2"), "cathode areal capacity"), "capacity", "loading")
_add(Param("np_ratio", "dimensionless", "", (0.0, 1000.0), lambda s: s.anode.np_ratio, _np_set,
           "negative/positive areal capacity ratio"), "np", "n/p", "n_p")
_add(Param("active_fraction", "dimensionless", "", (1e-3, 1.0), *_cath("active_fraction"),
           "active-material mass fraction of the cathode composite"))
_add(Param("specific_capacity", "specific_charge", "mAh/g", (1 * _MAHG, 2000 * _MAHG),
           *_cath("specific_capacity_C_per_kg"), "cathode active specific capacity"))
_add(Param("voltage", "potential", "V", (0.1, 10.0), *_cath("voltage_V"), "cathode nominal voltage vs Li"))
_add(Param("cathode_porosity", "dimensionless", "", (0.0, 0.99), *_cath("porosity"), "cathode composite porosity"))
_add(Param("al_thickness", "length", "um", (0.0, 1e-3), *_coll("positive_collector"),
           "positive collector thickness"), "positive_collector_thickness")
_add(Param("cu_thickness", "length", "um", (0.0, 1e-3), *_coll("negative_collector"),
           "negative collector thickness"), "negative_collector_thickness")
_add(Param("foil_scale", "dimensionless", "", (0.0, 100.0), lambda s: 1.0, _foil_scale_set,
           "both collector thicknesses × this factor"))
_add(Param("layers", "dimensionless", "", (1.0, 1000.0), *_pouch("layers"), "pouch unit-cell count", True))
_add(Param("pouch_area", "area", "cm2", (1e-4, 1.0), *_pouch("area_m2"), "pouch electrode area"))
_add(Param("extra_mass", "mass", "g", (0.0, 10.0), *_pouch("extra_mass_kg"), "pouch extra mass"))


def param(name: str) -> Param:
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in PARAMS:
        raise AnalysisError(f"unknown parameter {name!r}; known: {', '.join(PARAMS)}")
    return PARAMS[key]


def parse_value(name: str, text) -> float:
    """SI value of ``text`` for parameter ``name`` (``"30 um"``; plain numbers in the parameter's unit)."""
    p = param(name)
    if p.dimension == "dimensionless":
        if isinstance(text, str) and text.strip().endswith("%"):
            return units.parse(text, "dimensionless")
        try:
            return float(text)
        except (TypeError, ValueError):
            return units.parse(text, "dimensionless")
    return units.parse(text, p.dimension, default_unit=p.unit)


def get_param(stack: CellStack, name: str):
    return param(name).getter(stack)


def set_param(stack: CellStack, name: str, value) -> CellStack:
    return param(name).setter(stack, value)


def to_display(name: str, value_si):
    p = param(name)
    return value_si if not p.unit else units.to_unit(np.asarray(value_si, dtype=float), p.unit)


_METRICS = {"specific_energy": "specific_energy_Wh_per_kg", "energy_density": "energy_density_Wh_per_L"}


def parse_target(target) -> tuple[str, float]:
    """``"350 Wh/kg"`` → ``("specific_energy_Wh_per_kg", 350.0)``; ``"900 Wh/L"`` → volumetric.  Plain numbers
    are Wh/kg."""
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        return _METRICS["specific_energy"], float(target)
    q = units.parse_quantity(target, default_unit="Wh/kg")
    if q.dim == units.DIMENSIONS["specific_energy"]:
        return _METRICS["specific_energy"], q.to("Wh/kg")
    if q.dim == units.DIMENSIONS["energy_density"]:  # same dimension vector as pressure
        return _METRICS["energy_density"], q.to("Wh/L")
    raise units.UnitError(f"target {target!r} must be an energy per mass (Wh/kg) or per volume (Wh/L)")


def parse_range(spec: str) -> tuple[str, np.ndarray]:
    """``"sse_thickness=5um:200um:40"`` → (name, 40 SI values, linear).  Plain numbers use the display unit."""
    if "=" not in spec:
        raise AnalysisError(f"sweep {spec!r} must look like PARAM=start:stop:n (e.g. sse_thickness=5um:200um:40)")
    name, rng = spec.split("=", 1)
    parts = rng.split(":")
    if len(parts) not in (2, 3):
        raise AnalysisError(f"sweep {spec!r} must look like PARAM=start:stop:n")
    p = param(name)
    a, b = parse_value(p.name, parts[0]), parse_value(p.name, parts[1])
    try:
        n = int(parts[2]) if len(parts) == 3 else 50
    except ValueError:
        raise AnalysisError(f"sweep {spec!r}: point count {parts[2]!r} is not an integer") from None
    if n < 2:
        raise AnalysisError(f"sweep {spec!r}: need at least 2 points")
    return p.name, np.linspace(a, b, n)


@dataclass(frozen=True)
class Sweep(Result):
    """A metric of the stack against one parameter (``values`` SI; ``values_display`` in ``unit``)."""

    param: str
    unit: str
    values: np.ndarray
    values_display: np.ndarray
    specific_energy_Wh_per_kg: np.ndarray
    energy_density_Wh_per_L: np.ndarray
    label: str = ""


def sweep(stack: CellStack, name: str, values, label: str = "") -> Sweep:
    """Energy densities of ``stack`` for each value of parameter ``name`` (one vectorised evaluation)."""
    p = param(name)
    v = np.asarray(values, dtype=float)
    d = evaluate(p.setter(stack, v))
    shape = v.shape
    return Sweep(p.name, p.unit, v, np.asarray(to_display(p.name, v)),
                 np.broadcast_to(d.specific_energy_Wh_per_kg, shape).copy(),
                 np.broadcast_to(d.energy_density_Wh_per_L, shape).copy(), label or stack.name)


@dataclass(frozen=True)
class Contour(Result):
    """A metric on a grid of two parameters (``z[i, j]`` at ``y[i]``, ``x[j]``)."""

    x_param: str
    x_unit: str
    x: np.ndarray
    y_param: str
    y_unit: str
    y: np.ndarray
    metric: str
    z: np.ndarray


def contour(stack: CellStack, x_name: str, x_values, y_name: str, y_values,
            metric: str = "specific_energy_Wh_per_kg") -> Contour:
    """Vectorised map of ``metric`` over ``x × y`` (both SI)."""
    px, py = param(x_name), param(y_name)
    if px.name == py.name:
        raise AnalysisError("contour needs two different parameters")
    x = np.asarray(x_values, dtype=float)
    y = np.asarray(y_values, dtype=float)
    X, Y = np.meshgrid(x, y)
    s = py.setter(px.setter(stack, X), Y)
    z = np.broadcast_to(getattr(evaluate(s), metric), X.shape).copy()
    return Contour(px.name, px.unit, np.asarray(to_display(px.name, x)), py.name, py.unit,
                   np.asarray(to_display(py.name, y)), metric, z)


@dataclass(frozen=True)
class CriticalValue(Result):
    """The value of ``param`` at which ``metric`` equals ``target`` (``value`` SI, ``value_display`` in ``unit``)."""

    param: str
    unit: str
    metric: str
    target: float
    value: float
    value_display: float
    bracket: tuple[float, float]
    achieved: float
    direction: str    # "min" when larger values help (the value is a minimum), "max" when they hurt


def _scan_grid(lo: float, hi: float, n: int = 400) -> np.ndarray:
    g = np.linspace(lo, hi, n)
    if lo >= 0 and hi > 0:
        g = np.union1d(g, np.geomspace(max(lo, hi * 1e-6), hi, n))
    return g


def solve_for(stack: CellStack, name: str, target="350 Wh/kg", bracket: tuple[float, float] | None = None
              ) -> CriticalValue:
    """Value of parameter ``name`` where the stack reaches ``target`` (brentq inside a bracket found by scanning).

    Raises :class:`AnalysisError` (one line) when the target is out of reach within ``bracket`` (default
    :attr:`Param.bracket`).
    """
    from scipy.optimize import brentq

    p = param(name)
    metric, tgt = parse_target(target)
    lo, hi = bracket if bracket is not None else p.bracket
    if not hi > lo:
        raise AnalysisError(f"bracket for {p.name} must be increasing, got {bracket}")
    grid = _scan_grid(float(lo), float(hi))
    vals = np.asarray(getattr(evaluate(p.setter(stack, grid)), metric), dtype=float)
    vals = np.broadcast_to(vals, grid.shape)
    f = vals - tgt
    unit_lbl = "Wh/kg" if metric.endswith("kg") else "Wh/L"
    idx = np.nonzero(np.sign(f[:-1]) * np.sign(f[1:]) <= 0)[0]
    if idx.size == 0:
        show = (lambda v: f"{to_display(p.name, v):.4g} {p.unit}".strip())
        raise AnalysisError(
            f"{tgt:g} {unit_lbl} is unreachable by varying {p.name} over [{show(lo)}, {show(hi)}]: "
            f"the stack gives {np.nanmin(vals):.4g}–{np.nanmax(vals):.4g} {unit_lbl}")
    i = int(idx[0])
    a, b = grid[i], grid[i + 1]

    def g(x):
        return float(np.asarray(getattr(evaluate(p.setter(stack, x)), metric))) - tgt

    x = a if f[i] == 0 else (b if f[i + 1] == 0 else brentq(g, a, b, xtol=1e-14 * max(1.0, abs(b)), rtol=1e-12))
    direction = "min" if f[i + 1] > f[i] else "max"
    if p.integer:  # smallest (largest) whole value that meets the target
        x = float(np.ceil(x - 1e-9) if direction == "min" else np.floor(x + 1e-9))
    return CriticalValue(p.name, p.unit, metric, tgt, float(x), float(to_display(p.name, x)),
                         (float(lo), float(hi)), g(x) + tgt, direction)
