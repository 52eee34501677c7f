"""The recipe contract: what every recipe returns, and the registry front-ends find recipes in.

A *recipe* is one function per measurement kind (blocking-cell EIS, Li|SSE|Li EIS, temperature series, DC
polarisation, CV, stripping/plating ladder, full cell, DRT, XRD, NMR, operando …).  It takes Measurement(s), a
:class:`sselab.cell.CellSpec` and options, makes every scientific decision (model choice, windows, guardrails) and
returns a frozen :class:`RecipeResult`.  Front-ends — the CLI, the HTML report, the app, ``sselab batch`` — only
format what the result holds, so one file gives one answer everywhere.

A result holds

* ``values``: the reported numbers, each a :class:`Value` with a key that carries its unit (``sigma_S_per_m``,
  ``asr_interface_ohm_m2``, ``Ea_eV``), its standard error, a human label, the unit researchers read it in
  (``display_unit``) and whether it is only a bound (a CCD with no short seen is a lower bound);
* ``flags``: quality flags (:class:`Flag`: a stable code, one line for people, severity, where);
* ``tables``: per-point tables (per spectrum, per cycle …), columns named with their units;
* ``figures``: the arrays a plot needs (plain lists/arrays keyed by name) — the recipe module's ``plot(result)``
  draws them, identically for every front-end;
* ``options``: every option the recipe used, defaults filled in (so a run can be reproduced);
* ``details``: the primitive results (FitResult, ArrheniusFit …) for API users; not serialised.

Register a recipe with :func:`register`; front-ends use :func:`get` / :func:`names`.  See docs/CONVENTIONS.md,
"Adding a recipe".
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..errors import SselabError
from ..fmt import finite
from ..results import Result, jsonable

__all__ = ["Value", "Flag", "RecipeTable", "RecipeResult", "RecipeSpec", "FigureOut", "register", "get", "names", "specs",
           "SEVERITIES", "SCOPES", "RecipeError"]

SEVERITIES = ("info", "warning", "error")


class RecipeError(SselabError, ValueError):
    """A recipe cannot run on the given input (wrong technique, missing geometry …)."""


@dataclass(frozen=True)
class Flag(Result):
    """A quality flag: ``code`` is stable (tests, the store and the app key on it), ``message`` is one line."""

    code: str
    message: str
    severity: str = "warning"
    where: str | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} not in {SEVERITIES}")
        if "\n" in self.message:
            raise ValueError("a flag message is one line")

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class Value(Result):
    """One reported quantity.

    ``key`` names it with its unit (``sigma_30C_S_per_m``); ``value``/``stderr`` are in ``unit`` (SI, or eV, K, %
    where that is the field's convention — spelt so :func:`sselab.units.convert` understands it: ``"S/m"``,
    ``"ohm m2"``, ``"A/m2"``, ``"eV"``, ``"s"``, ``"K"``, ``""`` for dimensionless).  ``display_unit`` is the unit a
    researcher reads it in (``"mS/cm"``, ``"ohm cm2"``); ``bound`` is ``">="`` or ``"<="`` when the number is only a
    bound; ``ci95`` a 95 % interval in ``unit``; ``where`` the spectrum, file or cycle it refers to;
    ``resolution`` (in the display unit) the finest digit worth printing when the standard error is smaller still
    (an activation energy: 0.01 eV — the σ vs σT convention alone moves it by ≈ k_B·T): ``text(resolved=True)``
    (the report) then shows the value to that digit and its error to one significant figure (``0.44 ± 0.0003 eV``).
    """

    key: str
    value: Any
    unit: str = ""
    stderr: float | None = None
    label: str = ""
    display_unit: str | None = None
    bound: str | None = None
    ci95: tuple[float, float] | None = None
    where: str | None = None
    note: str | None = None
    resolution: float | None = None

    def __post_init__(self):
        if self.bound not in (None, ">=", "<="):
            raise ValueError(f"bound {self.bound!r}: use '>=' or '<='")

    # -- display ------------------------------------------------------------------------------------------------
    def shown(self) -> tuple[Any, float | None, str]:
        """``(value, stderr, unit)`` in the display unit (affine units such as K → °C handled)."""
        v = finite(self.value)
        if v is None or not self.display_unit or self.display_unit == self.unit:
            return self.value, finite(self.stderr), self.display_unit or self.unit
        from .. import units

        vd = float(units.convert(v, self.unit, self.display_unit))
        e = finite(self.stderr)
        ed = abs(float(units.convert(v + e, self.unit, self.display_unit)) - vd) if e is not None else None
        return vd, ed, self.display_unit

    def text(self, with_unit: bool = True, resolved: bool = False) -> str:
        """``'0.766 ± 0.004 mS/cm'``: rounded to its error (sselab.fmt), ``≥``/``≤`` for bounds, ``—`` if missing.
        ``resolved``: a value with a ``resolution`` finer than its error is shown to that digit (the report's
        tables: ``0.44 ± 0.0003 eV``); by default every value is rounded to its error (the CLI prints the 95 %
        interval to the value's decimals)."""
        from ..fmt import fmt_num, fmt_pm

        v, e, u = self.shown()
        if isinstance(v, str):
            s = v
        elif isinstance(v, bool):
            s = "yes" if v else "no"
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            s = str(int(v))
        elif resolved and e is not None and self.resolution and 0 < e < self.resolution:
            dec = max(0, -int(math.floor(math.log10(self.resolution) + 1e-9)))
            s = f"{float(v):.{dec}f} ± {_one_digit(e)}"
        else:
            s = fmt_pm(v, e) if e is not None else fmt_num(v, 4)
        if self.bound == ">=":
            s = "≥ " + s
        elif self.bound == "<=":
            s = "≤ " + s
        return f"{s} {_pretty_unit(u)}".rstrip() if with_unit and u and s != "—" else s


def _pretty_unit(u: str) -> str:
    return (u.replace("ohm", "Ω").replace("cm2", "cm²").replace("m2", "m²").replace("uA", "µA")
            .replace("um", "µm").replace("deg", "°"))


@dataclass(frozen=True)
class RecipeTable(Result):
    """A per-point table: ``columns`` carry their unit in the name (``T_K``, ``R_ohm``, ``sigma_S_per_m``)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    title: str = ""

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(self.columns))


@dataclass(frozen=True)
class RecipeResult(Result):
    """What every recipe returns (see the module docstring)."""

    recipe: str
    subject: str
    inputs: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    values: tuple[Value, ...] = ()
    flags: tuple[Flag, ...] = ()
    tables: tuple[RecipeTable, ...] = ()
    figures: Mapping[str, Any] = field(default_factory=dict)
    details: Any = None
    sselab_version: str = ""

    def __post_init__(self):
        keys = [v.key for v in self.values]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"{self.recipe}: duplicated value keys {sorted(dup)}")
        if not self.sselab_version:
            from .. import __version__

            object.__setattr__(self, "sselab_version", __version__)

    # -- access ------------------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Value:
        for v in self.values:
            if v.key == key:
                return v
        raise KeyError(f"{self.recipe}: no value {key!r} (has: {', '.join(v.key for v in self.values)})")

    def __contains__(self, key: str) -> bool:
        return any(v.key == key for v in self.values)

    def get(self, key: str, default=None):
        """The plain value of ``key`` (in its stored unit), or ``default``."""
        return self[key].value if key in self else default

    def table(self, name: str) -> RecipeTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"{self.recipe}: no table {name!r}")

    @property
    def ok(self) -> bool:
        """No error-severity flag."""
        return not any(f.severity == "error" for f in self.flags)

    def flagged(self, code: str) -> list[Flag]:
        return [f for f in self.flags if f.code == code]

    def with_flags(self, *extra: Flag) -> "RecipeResult":
        return replace(self, flags=tuple(self.flags) + tuple(extra))

    # -- serialisation -----------------------------------------------------------------------------------------
    def to_dict(self, figures: bool = False) -> dict:
        d = {
            "recipe": self.recipe, "subject": self.subject, "sselab_version": self.sselab_version,
            "inputs": list(self.inputs), "options": jsonable(dict(self.options)),
            "values": [v.to_dict() for v in self.values],
            "flags": [f.to_dict() for f in self.flags],
            "tables": [t.to_dict() for t in self.tables],
        }
        if figures:
            d["figures"] = jsonable(dict(self.figures))
        return d

    def to_json(self, figures: bool = False, **kw) -> str:
        kw.setdefault("indent", 1)
        return json.dumps(self.to_dict(figures=figures), allow_nan=False, **kw)

    @classmethod
    def from_dict(cls, d: Mapping) -> "RecipeResult":
        def tup(x):
            return tuple(x) if isinstance(x, list) else x

        vals = []
        for v in d.get("values", ()):
            v = dict(v)
            if v.get("ci95") is not None:
                v["ci95"] = tuple(v["ci95"])
            vals.append(Value(**{k: v[k] for k in (f.name for f in fields(Value)) if k in v}))
        return cls(
            recipe=d["recipe"], subject=d.get("subject", ""), inputs=tuple(d.get("inputs", ())),
            options=dict(d.get("options", {})), values=tuple(vals),
            flags=tuple(Flag(**f) for f in d.get("flags", ())),
            tables=tuple(RecipeTable(name=t["name"], columns=tuple(t["columns"]),
                                     rows=tuple(tuple(tup(c) for c in r) for r in t["rows"]),
                                     title=t.get("title", "")) for t in d.get("tables", ())),
            figures=dict(d.get("figures", {})), sselab_version=d.get("sselab_version", ""))

    @classmethod
    def from_json(cls, text: str) -> "RecipeResult":
        return cls.from_dict(json.loads(text))

    # -- people ------------------------------------------------------------------------------------------------
    def report(self) -> str:
        """A readable multi-line summary: the head line, the flags (errors, warnings, notes — they say how the
        numbers must be read), then the values with units and ±."""
        head = f"{self.recipe} — {self.subject}"
        if self.inputs:
            head += f" ({len(self.inputs)} file{'s' if len(self.inputs) != 1 else ''})"
        lines = [head]
        # the flags say how the numbers must be read: they come first (errors, warnings, then notes)
        order = {"error": 0, "warning": 1, "info": 2}
        lines += [f"  {f.severity}: {f}" for f in sorted(self.flags, key=lambda f: order[f.severity])]
        width = max((len(v.label or v.key) for v in self.values), default=0)
        for v in self.values:
            lines.append(f"  {(v.label or v.key).ljust(width)}  {v.text()}"
                         + (f"  [{v.where}]" if v.where else ""))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


@dataclass
class FigureOut:
    """One figure a recipe's ``plot(result)`` draws: a file stem, a title, a caption, the matplotlib figure and,
    where the figure reproduces one of a paper's, its label (``"Fig. 1e"``)."""

    name: str
    title: str
    figure: Any
    caption: str = ""
    paper_figure: str | None = None


# ---------------------------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecipeSpec:
    """A registered recipe: its function, what it accepts, and the function drawing its figures.

    ``run(measurements, cell=None, **options) -> RecipeResult``; ``plot(result) -> list[FigureOut]``; ``techniques``: Measurement techniques it accepts; ``cell_kinds``: CellSpec kinds it
    applies to (empty: any; ``"unknown"``: a file with no cell).

    Routing (:mod:`sselab.recipes.routing`) uses ``scope``: ``"file"`` (one run per file), ``"cell"`` (one run over
    all files of a cell) or ``"material"`` (one run over all files of the cells sharing a material), and
    ``accepts(measurements, cell) -> bool`` (None: always) to decide whether a file or group is for this recipe.
    ``plot_many(results)`` draws one set of figures for many results of this recipe (e.g. every spectrum of a cell
    in one overview); ``title`` heads the report section; ``cli`` names the command that runs the recipe.

    ``scope="figure"``: one run over the files (of any cells) that a manifest tags with the same figure panel
    (file entries' ``figures``, e.g. the 30 °C spectra of three preparations tagged ``1e``), with ``cells`` (one per
    file) and ``paper_figure`` (the tag) as options.  ``uses``: recipes whose per-file or per-material results over
    the same files this recipe can take instead of analysing the files again (its ``run`` takes ``results=``);
    routing runs those first and passes their results, so both sections show the same numbers.
    """

    name: str
    run: Callable[..., RecipeResult]
    summary: str = ""
    techniques: tuple[str, ...] = ()
    cell_kinds: tuple[str, ...] = ()
    plot: Callable[[RecipeResult], list] | None = None
    scope: str = "file"
    accepts: Callable[..., bool] | None = None
    plot_many: Callable[[list], list] | None = None
    title: str = ""
    cli: str = ""
    uses: tuple[str, ...] = ()

    def applies_to(self, technique: str, kind: str | None) -> bool:
        """True when a file of ``technique`` in a cell of ``kind`` (None: no cell) is for this recipe."""
        if self.techniques and technique not in self.techniques:
            return False
        return not self.cell_kinds or (kind or "unknown") in self.cell_kinds


SCOPES = ("file", "cell", "material", "figure")

_REGISTRY: dict[str, RecipeSpec] = {}


def register(name: str, *, summary: str = "", techniques: Iterable[str] = (), cell_kinds: Iterable[str] = (),
             plot: Callable | None = None, scope: str = "file", accepts: Callable | None = None,
             plot_many: Callable | None = None, title: str = "", cli: str = "", uses: Iterable[str] = ()):
    """Decorator registering a recipe function under ``name`` (e.g. ``"eis.blocking"``); see :class:`RecipeSpec`
    for the routing keywords."""
    if scope not in SCOPES:
        raise ValueError(f"recipe {name!r}: scope {scope!r} not in {SCOPES}")

    def deco(fn):
        if name in _REGISTRY and _REGISTRY[name].run is not fn:
            raise ValueError(f"recipe {name!r} registered twice")
        _REGISTRY[name] = RecipeSpec(name, fn, summary or (fn.__doc__ or "").strip().split("\n")[0],
                                     tuple(techniques), tuple(cell_kinds), plot, scope, accepts, plot_many,
                                     title or name, cli, tuple(uses))
        fn.recipe_name = name
        return fn

    return deco


def _load_all() -> None:
    from . import _load_builtin

    _load_builtin()


def get(name: str) -> RecipeSpec:
    """The registered recipe ``name`` (one-line error listing the known ones otherwise)."""
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RecipeError(f"unknown recipe {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def specs() -> list[RecipeSpec]:
    _load_all()
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]


def _one_digit(e: float) -> str:
    """An error to one significant figure in fixed notation (``0.00026`` → ``0.0003``)."""
    dec = max(0, -int(math.floor(math.log10(abs(e)))))
    return f"{round(e, dec):.{dec}f}"
