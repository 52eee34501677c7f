"""Values a paper states, with the sentence each comes from — the yardstick for "does sselab reproduce the paper?".

The shipped file ``data/lowen2025.yaml`` holds the lithium-imide paper (Lowen et al., EES Batteries 2025, 1, 527):
σ(30 °C) and Ea of the three preparations, the Li|Li2NH interface ASR before/after heat treatment, σe and t_i,
σe / t_i / τ before and after CV, the CV imbalance and its stated basis, the stability limit, the stripping/plating
hours and current densities, the post-cycling impedance drop, and the full-cell capacities and cycle counts — plus
the set-up values (geometry, rates, programmes) the demo simulation uses as inputs.

>>> from sselab.materials.paper import load_paper
>>> p = load_paper("lowen2025")
>>> row = p["ea_hot_pressed"]
>>> row.value, row.unit, row.uncertainty
(0.44, 'eV', 0.01)
>>> round(p["sigma30_hot_pressed"].value_si, 6)          # S/m
0.1
>>> p["sp_total_hours"].agrees(760 * 3600.0)              # "> 750 h": a lower bound
True
>>> p.comparison_row("t_ion_au", 0.9981)["agrees"]
True

Values are SI in ``value_si`` (temperatures in K; activation energies stay in eV as everywhere in sselab); ``value``
and ``unit`` are as printed.  ``agrees(x_si)`` applies the row's relation and tolerance (see the YAML header).
``comparison_row(id, x_si)`` gives the row of a report's ``paper_comparison`` table: ``quantity, paper_value,
sselab_value, unit, agrees`` (values in the paper's unit).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import units
from ..errors import SselabError, UnitError, check_keys
from ..results import Result

__all__ = ["PaperValue", "PaperValues", "PaperValuesError", "load_paper", "PAPERS", "RELATIONS"]

DATA_DIR = Path(__file__).with_name("data")
#: shipped papers: key -> file in ``data/``
PAPERS = {"lowen2025": "lowen2025.yaml"}
RELATIONS = ("=", "~", ">", ">=", "<", "<=")
_DEFAULT_REL_TOL = {"=": 0.05, "~": 0.15}
_FIELDS = {"id", "quantity", "value", "unit", "relation", "uncertainty", "temperature", "tolerance", "where",
           "sentence", "note", "kind", "basis"}
_KINDS = ("result", "condition")


class PaperValuesError(SselabError, ValueError):
    """A paper-values file is malformed (names the file and the row)."""


#: units kept as they are in ``value_si`` because sselab keeps them everywhere (activation energies in eV)
_KEPT_UNITS = {"eV"}


def _to_si(x: float, unit: str) -> float:
    return float(units.from_unit(x, unit)) if unit and unit not in _KEPT_UNITS else float(x)


def _scale(unit: str) -> float:
    """SI per unit for differences (no temperature offset)."""
    return _to_si(1.0, unit) - _to_si(0.0, unit)


@dataclass(frozen=True)
class PaperValue(Result):
    """One stated value: as printed (``value``, ``unit``) and in SI (``value_si``), with its source sentence."""

    id: str
    quantity: str
    value: float | tuple[float, ...]
    unit: str
    value_si: float | tuple[float, ...]
    relation: str = "="
    uncertainty: float | None = None
    uncertainty_si: float | None = None
    temperature_K: float | None = None
    tolerance_rel: float | None = None
    tolerance_abs: float | None = None        # in ``unit``
    kind: str = "result"
    where: str = ""
    sentence: str = ""
    note: str = ""
    basis: str = ""                           # what the value is normalised to / per, as the paper states it

    @property
    def is_range(self) -> bool:
        return isinstance(self.value, tuple)

    def to_paper_unit(self, x_si: float) -> float:
        """An SI value expressed in this row's unit (temperatures: offset included)."""
        if not self.unit or self.unit in _KEPT_UNITS:
            return float(x_si)
        return float(units.to_unit(x_si, self.unit))

    def agrees(self, x_si) -> bool | None:
        """Whether an sselab value (SI) agrees with the stated one; ``None`` for ranges/programmes or no value.

        ``=`` / ``~``: |x − v| within the tolerance (``tolerance`` of the row, else 5 % / 15 %; never tighter than
        two printed standard errors).  ``>`` / ``>=``: x ≥ v (a lower bound is met by anything at or above it);
        ``<`` / ``<=``: x ≤ v.  Comparisons happen in the paper's unit.
        """
        if self.is_range or x_si is None:
            return None
        try:
            x = self.to_paper_unit(float(x_si))
        except (TypeError, ValueError):
            return None
        if not math.isfinite(x):
            return None
        v = float(self.value)
        if self.relation in (">", ">="):
            return bool(x >= v)
        if self.relation in ("<", "<="):
            return bool(x <= v)
        tol = 0.0
        if self.tolerance_abs is not None:
            tol = self.tolerance_abs
        else:
            rel = self.tolerance_rel if self.tolerance_rel is not None else _DEFAULT_REL_TOL[self.relation]
            tol = rel * abs(v)
        if self.uncertainty is not None:
            tol = max(tol, 2 * self.uncertainty)
        return bool(abs(x - v) <= tol + 1e-12 * max(1.0, abs(v)))

    def paper_text(self) -> str:
        """The stated value as a reader would write it: ``0.50(2) eV``, ``> 750 h``, ``~3308 Ohm cm2``."""
        def num(x):
            return f"{x:g}"

        if self.is_range:
            sep = "–" if len(self.value) == 2 else ", "
            body = sep.join(num(x) for x in self.value)
        else:
            body = num(self.value)
            if self.uncertainty is not None:
                body += f" ± {num(self.uncertainty)}"
        rel = {"=": "", "~": "~", ">": "> ", ">=": "≥ ", "<": "< ", "<=": "≤ "}[self.relation]
        return f"{rel}{body}{(' ' + self.unit) if self.unit else ''}"


@dataclass(frozen=True)
class PaperValues:
    """All stated values of one paper; index by id (``p["ea_hot_pressed"]``)."""

    key: str
    citation: str
    doi: str
    rows: tuple[PaperValue, ...]
    source: Path | None = None
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self._index.update({r.id: r for r in self.rows})

    def __getitem__(self, id_: str) -> PaperValue:
        try:
            return self._index[id_]
        except KeyError:
            raise PaperValuesError(f"{self.source or self.key}: no stated value {id_!r} "
                                   f"(known: {', '.join(sorted(self._index))})") from None

    def get(self, id_: str, default=None):
        return self._index.get(id_, default)

    def __contains__(self, id_: str) -> bool:
        return id_ in self._index

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rows)

    def results(self) -> tuple[PaperValue, ...]:
        """Rows that are measured outcomes (what a report compares against)."""
        return tuple(r for r in self.rows if r.kind == "result")

    def comparison_row(self, id_: str, sselab_value_si, note: str = "") -> dict:
        """One ``paper_comparison`` row: quantity, paper_value, sselab_value, unit, agrees (+ id, relation, note)."""
        r = self[id_]
        sv = None if sselab_value_si is None else r.to_paper_unit(float(sselab_value_si))
        return {"id": r.id, "quantity": r.quantity, "paper_value": r.value if not r.is_range else list(r.value),
                "relation": r.relation, "sselab_value": sv, "unit": r.unit, "agrees": r.agrees(sselab_value_si),
                "basis": r.basis, "note": note or r.note}

    def to_dict(self) -> dict:
        from ..results import jsonable

        return {"key": self.key, "citation": self.citation, "doi": self.doi, "values": [jsonable(r) for r in self.rows]}


def _row(raw, where: str) -> PaperValue:
    if not isinstance(raw, dict):
        raise PaperValuesError(f"{where}: each value must be a mapping")
    check_keys(raw, _FIELDS, where, PaperValuesError, "field(s)")
    for k in ("id", "quantity", "value", "sentence"):
        if raw.get(k) in (None, ""):
            raise PaperValuesError(f"{where}: missing {k!r}")
    rid = str(raw["id"])
    where = f"{where} ({rid})"
    unit = str(raw.get("unit") or "")
    rel = str(raw.get("relation", "="))
    if rel not in RELATIONS:
        raise PaperValuesError(f"{where}: relation {rel!r} is not one of {', '.join(RELATIONS)}")
    kind = str(raw.get("kind", "result"))
    if kind not in _KINDS:
        raise PaperValuesError(f"{where}: kind {kind!r} is not one of {', '.join(_KINDS)}")
    val = raw["value"]
    try:
        if isinstance(val, (list, tuple)):
            if not val or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in val):
                raise PaperValuesError(f"{where}: value must be a number or a list of numbers")
            value = tuple(float(x) for x in val)
            value_si = tuple(_to_si(x, unit) for x in value)
        elif isinstance(val, (int, float)) and not isinstance(val, bool):
            value = float(val)
            value_si = _to_si(value, unit)
        else:
            raise PaperValuesError(f"{where}: value must be a number or a list of numbers, got {val!r}")
        unc = raw.get("uncertainty")
        unc = None if unc is None else float(unc)
        unc_si = None if unc is None else unc * _scale(unit)
        temp = raw.get("temperature")
        temp_K = None if temp is None else units.parse(temp, "temperature")
    except UnitError as exc:
        raise PaperValuesError(f"{where}: {exc}") from None
    tol = raw.get("tolerance") or {}
    if not isinstance(tol, dict) or set(tol) - {"rel", "abs"} or len(tol) > 1:
        raise PaperValuesError(f"{where}: tolerance must be {{rel: x}} or {{abs: x}}")
    t_rel = float(tol["rel"]) if "rel" in tol else None
    t_abs = float(tol["abs"]) if "abs" in tol else None
    for t in (t_rel, t_abs, unc):
        if t is not None and not (math.isfinite(t) and t >= 0):
            raise PaperValuesError(f"{where}: tolerances and uncertainties must be finite and ≥ 0")
    return PaperValue(id=rid, quantity=str(raw["quantity"]), value=value, unit=unit, value_si=value_si,
                      relation=rel, uncertainty=unc, uncertainty_si=unc_si, temperature_K=temp_K,
                      tolerance_rel=t_rel, tolerance_abs=t_abs, kind=kind, where=str(raw.get("where") or ""),
                      sentence=str(raw["sentence"]).strip(), note=str(raw.get("note") or "").strip(),
                      basis=str(raw.get("basis") or "").strip())


def _load(path: Path) -> PaperValues:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PaperValuesError(f"{path}: no such paper-values file") from None
    except yaml.YAMLError as exc:
        raise PaperValuesError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or not isinstance(doc.get("values"), list):
        raise PaperValuesError(f"{path}: expected schema_version 1 and a 'values' list")
    rows = tuple(_row(r, f"{path}: values[{i}]") for i, r in enumerate(doc["values"]))
    seen: set[str] = set()
    for r in rows:
        if r.id in seen:
            raise PaperValuesError(f"{path}: duplicate id {r.id!r}")
        seen.add(r.id)
    return PaperValues(key=str(doc.get("key") or path.stem), citation=str(doc.get("citation") or ""),
                       doi=str(doc.get("doi") or ""), rows=rows, source=path)


@lru_cache(maxsize=8)
def _load_builtin(key: str) -> PaperValues:
    return _load(DATA_DIR / PAPERS[key])


def load_paper(name_or_path="lowen2025") -> PaperValues:
    """A shipped paper by key (``"lowen2025"``) or any paper-values YAML file by path."""
    if isinstance(name_or_path, str) and name_or_path in PAPERS:
        return _load_builtin(name_or_path)
    p = Path(name_or_path)
    if p.suffix.lower() not in (".yaml", ".yml"):
        raise PaperValuesError(f"{name_or_path}: unknown paper (shipped: {', '.join(PAPERS)}) and not a .yaml file")
    return _load(p)
