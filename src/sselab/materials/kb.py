"""The materials knowledge base: loading, validation, lookup, Arrhenius extrapolation and ranking.

The shipped data file ``data/nitride_sse.yaml`` (schema 1) holds every row of Tables 1–5 of the nitride-SSE review
(Li et al., Energy Environ. Sci. 2025) plus the three Li2NH preparations of the lithium-imide paper (Lowen et al.,
EES Batteries 2025).  Field units live in the file's field names (``sigma_S_per_cm``, ``density_g_per_cm3``);
:class:`Material` holds SI values (``sigma_S_per_m``, ``sigma_T_K``, ``density_kg_per_m3``…).  Activation
energies stay in eV (``Ea_eV``) as everywhere in sselab.

Arrhenius convention: σT = A·exp(−Ea / k_B T), i.e. ``σ(T) = σ_ref · (T_ref / T) · exp(−Ea/k_B · (1/T − 1/T_ref))``.

>>> kb = load_kb()
>>> m = kb.get("vacancy-rich b-Li3N")
>>> round(m.sigma_S_per_m * 0.01, 5)          # S/cm, as printed
0.00214
>>> round(m.sigma_at(m.sigma_T_K) / m.sigma_S_per_m, 12)
1.0
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .. import units
from ..errors import SselabError
from ..results import Result
from .formula import FormulaError, normalize_formula, parse_formula

__all__ = [
    "SCHEMA_VERSION", "FAMILIES", "KnowledgeBaseError", "MaterialNotFoundError", "AmbiguousMaterialError",
    "Material", "KnowledgeBase", "load_kb", "builtin_kb", "load_user_file", "arrhenius_sigma", "BUILTIN_PATH",
    "same_composition", "name_key",
]

SCHEMA_VERSION = 1
DATA_DIR = Path(__file__).with_name("data")
BUILTIN_PATH = DATA_DIR / "nitride_sse.yaml"
T_ROOM_K = 298.15

#: family slug -> label used in tables and plot legends
FAMILIES: dict[str, str] = {
    "li3n": "Li3N",
    "lipon": "LiPON & derivatives",
    "nitride_halide": "Nitride halides",
    "nitride_chalcogenide": "Nitride chalcogenides",
    "nitridophosphate": "Nitridophosphates",
    "group14_nitride": "Group 14 nitrides (C, Si)",
    "group13_nitride": "Group 13 nitrides (B, Al)",
    "imide": "Lithium imide",
    "external": "External dataset",
    "user": "User data",
}

_S_PER_CM = 100.0          # 1 S/cm = 100 S/m
_OHM_CM2 = 1e-4            # 1 Ω cm² = 1e-4 Ω m²
_MA_PER_CM2 = 10.0         # 1 mA/cm² = 10 A/m²
_G_PER_CM3 = 1000.0        # 1 g/cm³ = 1000 kg/m³


def _mah_cm2(x):
    """mAh/cm² → C/m²."""
    return None if x is None else float(x) * 3.6 / 1e-4


class KnowledgeBaseError(SselabError, ValueError):
    """A knowledge-base file is malformed (names the file and the entry)."""


class MaterialNotFoundError(SselabError, LookupError):
    """No knowledge-base entry matches the name (the message lists close matches)."""


class AmbiguousMaterialError(MaterialNotFoundError):
    """Several entries match; the message lists them."""

    def __init__(self, message: str, candidates: Sequence["Material"] = ()):
        super().__init__(message)
        self.candidates = tuple(candidates)


def arrhenius_sigma(sigma_ref, T_ref_K, Ea_eV, T_K):
    """σ at ``T_K`` from one reference point and Ea, assuming σT = A exp(−Ea/kT).  Vectorised over ``T_K``."""
    T = np.asarray(T_K, dtype=float)
    if np.any(T <= 0) or T_ref_K <= 0:
        raise units.UnitError("temperatures must be positive kelvin")
    out = sigma_ref * (T_ref_K / T) * np.exp(-Ea_eV / units.K_B_EV * (1.0 / T - 1.0 / T_ref_K))
    return float(out) if out.ndim == 0 else out


def name_key(text: str) -> str:
    """Loose key for name matching: case, Greek letters, dashes, spaces and brackets do not matter."""
    t = str(text).strip()
    t = t.replace("⊥", " perp ").replace("∥", " par ").replace("||", " par ")
    t = t.replace("α", "alpha-").replace("β", "beta-").replace("γ", "gamma-")
    t = t.lower()
    t = re.sub(r"[‐‑‒–—−]", "-", t)
    # 'a-Li3N' / 'b-Li3N' as the PDF text extraction prints alpha / beta
    t = re.sub(r"(^|[\s(])a-(?=li)", r"\1alpha-", t)
    t = re.sub(r"(^|[\s(])b-(?=li)", r"\1beta-", t)
    return re.sub(r"[^a-z0-9.]", "", t)


def _window(value, where):
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise KnowledgeBaseError(f"{where}: a stability window must be [low, high] in V, got {value!r}") from None
    if not lo <= hi:
        raise KnowledgeBaseError(f"{where}: stability window low > high ({lo} > {hi})")
    return (lo, hi)


def _temperature(value, where):
    if value is None:
        return None
    try:
        return units.parse(value, "temperature", default_unit="C")
    except units.UnitError as exc:
        raise KnowledgeBaseError(f"{where}: {exc}") from None


def _num(d, key, where, positive=False):
    v = d.get(key)
    if v is None or v == "":
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise KnowledgeBaseError(f"{where}: {key} must be a number, got {v!r}") from None
    if not math.isfinite(x) or (positive and x <= 0):
        raise KnowledgeBaseError(f"{where}: {key} must be a positive finite number, got {v!r}")
    return x


@dataclass(frozen=True)
class Material(Result):
    """One knowledge-base entry, SI inside (field units only in the data file)."""

    id: str
    name: str
    formula: str | None
    family: str
    source: str = ""
    table: str = ""
    structure: str | None = None
    space_group: str | None = None
    form: str | None = None
    sigma_S_per_m: float | None = None
    sigma_T_K: float | None = None
    sigma_direction: str | None = None
    sigma_calculated: bool = False
    sigma_approx: bool = False
    Ea_eV: float | None = None
    Ea_err_eV: float | None = None
    Ea_HT_eV: float | None = None
    unresolved_structure: bool = False
    synthesis: str | None = None
    synthesis_detail: str | None = None
    synthesis_max_T_K: float | None = None
    window_calc_V: tuple[float, float] | None = None
    window_extended_V: tuple[float, float] | None = None
    window_exp_V: tuple[float, float] | None = None
    window_exp_min: bool = False
    density_kg_per_m3: float | None = None
    density_source: str | None = None
    relative_density: float | None = None
    electronic_sigma_S_per_m: float | None = None
    electronic_sigma_T_K: float | None = None
    electronic_upper_bound: bool = False
    transference_ion: float | None = None
    interface_asr_ohm_m2: float | None = None
    ccd_A_per_m2: float | None = None
    critical_capacity_C_per_m2: float | None = None
    areal_capacity_C_per_m2: float | None = None
    max_c_rate_per_h: float | None = None
    air_retention: float | None = None
    air_storage_sigma_min_S_per_m: float | None = None
    cell_source: str | None = None
    reference: str | None = None
    ref_authors: str | None = None
    formula_note: str | None = None
    refined_formula: str | None = None
    notes: str | None = None
    aliases: tuple[str, ...] = ()
    origin: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    # -- derived ----------------------------------------------------------------------------------
    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if self.sigma_calculated:
            out.append("calculated_from_arrhenius")
        if self.sigma_approx:
            out.append("approximate")
        if self.sigma_direction:
            out.append(f"anisotropic_{self.sigma_direction}")
        if self.unresolved_structure:
            out.append("unresolved_structure")
        return tuple(out)

    @property
    def family_label(self) -> str:
        return FAMILIES.get(self.family, self.family)

    @property
    def has_arrhenius(self) -> bool:
        return self.sigma_S_per_m is not None and self.sigma_T_K is not None and self.Ea_eV is not None

    def sigma_at(self, T_K):
        """σ (S/m) at ``T_K`` by σT Arrhenius from the entry's (σ, T, Ea).  Raises when Ea or σ is missing."""
        if self.sigma_S_per_m is None or self.sigma_T_K is None:
            raise MaterialNotFoundError(f"{self.name}: no conductivity in the knowledge base")
        if self.Ea_eV is None:
            T = np.asarray(T_K, dtype=float)
            if np.allclose(T, self.sigma_T_K, atol=1e-9):
                return self.sigma_S_per_m if T.ndim == 0 else np.full(T.shape, self.sigma_S_per_m)
            raise MaterialNotFoundError(f"{self.name}: no activation energy, cannot extrapolate σ from "
                                        f"{self.sigma_T_K:.2f} K")
        return arrhenius_sigma(self.sigma_S_per_m, self.sigma_T_K, self.Ea_eV, T_K)

    @property
    def sigma_25C_S_per_m(self) -> float | None:
        if not self.has_arrhenius:
            if self.sigma_S_per_m is not None and self.sigma_T_K is not None and abs(self.sigma_T_K - T_ROOM_K) < 1e-6:
                return self.sigma_S_per_m
            return None
        return float(self.sigma_at(T_ROOM_K))

    @property
    def composition(self) -> dict[str, float] | None:
        if not self.formula:
            return None
        try:
            return parse_formula(self.formula)
        except FormulaError:
            return None

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["flags"] = list(self.flags)
        d["family_label"] = self.family_label
        d["sigma_25C_S_per_m"] = self.sigma_25C_S_per_m
        if not d.get("extra"):
            d.pop("extra", None)
        return d

    def to_field_dict(self) -> dict:
        """The entry in the data file's field units (S/cm, °C strings, g/cm³) — inverse of the loader."""
        d: dict = {"id": self.id, "name": self.name, "formula": self.formula, "family": self.family}
        for k in ("aliases",):
            if self.aliases:
                d[k] = list(self.aliases)
        simple = ["source", "table", "structure", "space_group", "form", "sigma_direction", "Ea_eV", "Ea_err_eV",
                  "Ea_HT_eV", "synthesis", "synthesis_detail", "relative_density", "transference_ion", "reference",
                  "ref_authors", "formula_note", "refined_formula", "notes", "density_source"]
        for k in simple:
            v = getattr(self, k)
            if v not in (None, ""):
                d[k] = v
        if self.sigma_S_per_m is not None:
            d["sigma_S_per_cm"] = self.sigma_S_per_m / _S_PER_CM
        if self.sigma_T_K is not None:
            d["sigma_T"] = f"{self.sigma_T_K:.2f} K"
        for flag in ("sigma_calculated", "sigma_approx", "unresolved_structure", "window_exp_min",
                     "electronic_upper_bound"):
            if getattr(self, flag):
                d[flag] = True
        for k in ("window_calc_V", "window_extended_V", "window_exp_V"):
            if getattr(self, k) is not None:
                d[k] = list(getattr(self, k))
        if self.density_kg_per_m3 is not None:
            d["density_g_per_cm3"] = self.density_kg_per_m3 / _G_PER_CM3
        if self.electronic_sigma_S_per_m is not None:
            d["electronic_sigma_S_per_cm"] = self.electronic_sigma_S_per_m / _S_PER_CM
        if self.electronic_sigma_T_K is not None:
            d["electronic_sigma_T"] = f"{self.electronic_sigma_T_K:.2f} K"
        if self.synthesis_max_T_K is not None:
            d["synthesis_max_T_C"] = round(self.synthesis_max_T_K - 273.15, 6)
        if self.interface_asr_ohm_m2 is not None:
            d["interface_asr_ohm_cm2"] = self.interface_asr_ohm_m2 / _OHM_CM2
        cell = {}
        if self.ccd_A_per_m2 is not None:
            cell["ccd_mA_per_cm2"] = self.ccd_A_per_m2 / _MA_PER_CM2
        if self.critical_capacity_C_per_m2 is not None:
            cell["critical_capacity_mAh_per_cm2"] = self.critical_capacity_C_per_m2 / 36000.0
        if self.areal_capacity_C_per_m2 is not None:
            cell["areal_capacity_mAh_per_cm2"] = self.areal_capacity_C_per_m2 / 36000.0
        if self.max_c_rate_per_h is not None:
            cell["max_rate_C"] = self.max_c_rate_per_h
        if self.air_retention is not None:
            cell["air_retention"] = self.air_retention
        if self.air_storage_sigma_min_S_per_m is not None:
            cell["air_storage_sigma_S_per_cm_min"] = self.air_storage_sigma_min_S_per_m / _S_PER_CM
        if self.cell_source:
            cell["source"] = self.cell_source
        if cell:
            d["cell"] = cell
        return d


_KNOWN_FIELDS = {
    "id", "name", "aliases", "formula", "formula_note", "refined_formula", "family", "source", "table", "structure",
    "space_group", "form", "sigma_S_per_cm", "sigma_T", "sigma_direction", "sigma_calculated", "sigma_approx",
    "Ea_eV", "Ea_err_eV", "Ea_HT_eV", "phase_transition_C", "unresolved_structure", "synthesis", "synthesis_detail",
    "synthesis_max_T_C", "window_calc_V", "window_extended_V", "window_exp_V", "window_exp_min",
    "density_g_per_cm3", "density_source", "relative_density", "electronic_sigma_S_per_cm", "electronic_sigma_T",
    "electronic_upper_bound", "transference_ion", "interface_asr_ohm_cm2", "cell", "reference", "ref_authors",
    "notes",
}
_CELL_FIELDS = {"ccd_mA_per_cm2", "critical_capacity_mAh_per_cm2", "areal_capacity_mAh_per_cm2", "max_rate_C",
                "air_retention", "air_storage_sigma_S_per_cm_min", "source"}


def material_from_fields(d: dict, where: str = "entry", origin: str = "", strict: bool = True) -> Material:
    """Build a :class:`Material` from one data-file entry (field units) — validating every field."""
    if not isinstance(d, dict):
        raise KnowledgeBaseError(f"{where}: each entry must be a mapping, got {type(d).__name__}")
    ident = d.get("id") or d.get("name")
    if not ident:
        raise KnowledgeBaseError(f"{where}: entry without id or name")
    where = f"{where} ({ident})"
    unknown = set(d) - _KNOWN_FIELDS
    if strict and unknown:
        raise KnowledgeBaseError(f"{where}: unknown field(s) {sorted(unknown)} (schema {SCHEMA_VERSION}; "
                                 "put free text in 'notes')")
    name = str(d.get("name") or ident)
    formula = d.get("formula")
    if formula is not None:
        formula = str(formula).strip() or None
    if formula:
        try:
            parse_formula(formula)
        except FormulaError as exc:
            raise KnowledgeBaseError(f"{where}: {exc}") from None
    family = str(d.get("family") or "user")
    sigma = _num(d, "sigma_S_per_cm", where, positive=True)
    sigma_T = _temperature(d.get("sigma_T"), where)
    if sigma is not None and sigma_T is None:
        raise KnowledgeBaseError(f"{where}: sigma_S_per_cm given without sigma_T (e.g. '25 C')")
    direction = d.get("sigma_direction")
    if direction not in (None, "perp_c", "par_c"):
        raise KnowledgeBaseError(f"{where}: sigma_direction must be perp_c or par_c, got {direction!r}")
    dens = _num(d, "density_g_per_cm3", where, positive=True)
    rel = _num(d, "relative_density", where, positive=True)
    if rel is not None and rel > 1.0:
        raise KnowledgeBaseError(f"{where}: relative_density is a fraction (0-1], got {rel}")
    cell = d.get("cell") or {}
    if not isinstance(cell, dict):
        raise KnowledgeBaseError(f"{where}: 'cell' must be a mapping")
    if strict and set(cell) - _CELL_FIELDS:
        raise KnowledgeBaseError(f"{where}: unknown cell field(s) {sorted(set(cell) - _CELL_FIELDS)}")
    e_sigma = _num(d, "electronic_sigma_S_per_cm", where, positive=True)
    asr = _num(d, "interface_asr_ohm_cm2", where, positive=True)
    syn_T = _num(d, "synthesis_max_T_C", where)
    ccd = _num(cell, "ccd_mA_per_cm2", where, positive=True)
    air_min = _num(cell, "air_storage_sigma_S_per_cm_min", where, positive=True)
    extra = {k: d[k] for k in ("phase_transition_C",) if k in d}
    if not strict:
        extra.update({k: d[k] for k in unknown})
    return Material(
        id=str(ident), name=name, formula=formula, family=family, source=str(d.get("source") or ""),
        table=str(d.get("table") or ""), structure=d.get("structure"), space_group=d.get("space_group"),
        form=d.get("form"),
        sigma_S_per_m=None if sigma is None else sigma * _S_PER_CM, sigma_T_K=sigma_T,
        sigma_direction=direction, sigma_calculated=bool(d.get("sigma_calculated", False)),
        sigma_approx=bool(d.get("sigma_approx", False)),
        Ea_eV=_num(d, "Ea_eV", where, positive=True), Ea_err_eV=_num(d, "Ea_err_eV", where),
        Ea_HT_eV=_num(d, "Ea_HT_eV", where, positive=True),
        unresolved_structure=bool(d.get("unresolved_structure", False)),
        synthesis=d.get("synthesis"), synthesis_detail=d.get("synthesis_detail"),
        synthesis_max_T_K=None if syn_T is None else syn_T + 273.15,
        window_calc_V=_window(d.get("window_calc_V"), where),
        window_extended_V=_window(d.get("window_extended_V"), where),
        window_exp_V=_window(d.get("window_exp_V"), where), window_exp_min=bool(d.get("window_exp_min", False)),
        density_kg_per_m3=None if dens is None else dens * _G_PER_CM3, density_source=d.get("density_source"),
        relative_density=rel,
        electronic_sigma_S_per_m=None if e_sigma is None else e_sigma * _S_PER_CM,
        electronic_sigma_T_K=_temperature(d.get("electronic_sigma_T"), where),
        electronic_upper_bound=bool(d.get("electronic_upper_bound", False)),
        transference_ion=_num(d, "transference_ion", where),
        interface_asr_ohm_m2=None if asr is None else asr * _OHM_CM2,
        ccd_A_per_m2=None if ccd is None else ccd * _MA_PER_CM2,
        critical_capacity_C_per_m2=_mah_cm2(_num(cell, "critical_capacity_mAh_per_cm2", where, positive=True)),
        areal_capacity_C_per_m2=_mah_cm2(_num(cell, "areal_capacity_mAh_per_cm2", where, positive=True)),
        max_c_rate_per_h=_num(cell, "max_rate_C", where, positive=True),
        air_retention=_num(cell, "air_retention", where),
        air_storage_sigma_min_S_per_m=None if air_min is None else air_min * _S_PER_CM,
        cell_source=cell.get("source"),
        reference=None if d.get("reference") is None else str(d.get("reference")),
        ref_authors=d.get("ref_authors"), formula_note=d.get("formula_note"),
        refined_formula=d.get("refined_formula"), notes=d.get("notes"),
        aliases=tuple(str(a) for a in (d.get("aliases") or ())), origin=origin, extra=extra,
    )


def same_composition(a, b, rtol: float = 2e-3) -> bool:
    """True when two formulas have the same element ratios (``Li7.2N1.6Cl2.4`` ≡ ``Li9N2Cl3``)."""
    try:
        ca = parse_formula(a) if isinstance(a, str) else dict(a)
        cb = parse_formula(b) if isinstance(b, str) else dict(b)
    except FormulaError:
        return False
    ca = {k: v for k, v in ca.items() if v > 0}
    cb = {k: v for k, v in cb.items() if v > 0}
    if set(ca) != set(cb):
        return False
    sa, sb = sum(ca.values()), sum(cb.values())
    return all(abs(ca[k] / sa - cb[k] / sb) <= rtol * max(ca[k] / sa, 1e-12) for k in ca)


class KnowledgeBase:
    """An ordered, read-only collection of :class:`Material` entries with lookup and ranking."""

    def __init__(self, entries: Iterable[Material], sources: Sequence[str] = (), meta: dict | None = None):
        self._entries: tuple[Material, ...] = tuple(entries)
        ids = [m.id for m in self._entries]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise KnowledgeBaseError(f"duplicate entry id(s): {sorted(dup)}")
        self.sources = tuple(sources)
        self.meta = dict(meta or {})

    # -- collection protocol -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Material]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, key) -> Material:
        return self.get(key)

    @property
    def entries(self) -> tuple[Material, ...]:
        return self._entries

    @property
    def families(self) -> list[str]:
        seen: list[str] = []
        for m in self._entries:
            if m.family not in seen:
                seen.append(m.family)
        return seen

    # -- merging -------------------------------------------------------------------------------------
    def merged(self, other: "KnowledgeBase | Iterable[Material]", override: bool = True) -> "KnowledgeBase":
        """A new knowledge base with ``other``'s entries added; same ids replace ours when ``override``."""
        other_entries = list(other)
        other_sources = other.sources if isinstance(other, KnowledgeBase) else ()
        by_id = {m.id: m for m in self._entries}
        order = [m.id for m in self._entries]
        for m in other_entries:
            if m.id in by_id and not override:
                raise KnowledgeBaseError(f"{m.origin or 'user data'}: entry id {m.id!r} already exists")
            if m.id not in by_id:
                order.append(m.id)
            by_id[m.id] = m
        return KnowledgeBase([by_id[i] for i in order], self.sources + tuple(other_sources), self.meta)

    # -- lookup --------------------------------------------------------------------------------------
    def find(self, query: str) -> list[Material]:
        """All entries matching ``query``: exact id/name/alias first, then formula, then substring."""
        q = str(query).strip()
        if not q:
            return []
        for m in self._entries:
            if m.id == q:
                return [m]
        key = name_key(q)
        exact = [m for m in self._entries if key == name_key(m.name) or key == name_key(m.id)
                 or any(key == name_key(a) for a in m.aliases)]
        if exact:
            return exact
        by_formula = [m for m in self._entries if m.formula and (q.lower() == m.formula.lower()
                      or (m.refined_formula and q.lower() == m.refined_formula.lower()))]
        if not by_formula:
            try:
                norm = normalize_formula(q)
                by_formula = [m for m in self._entries if m.formula and _norm(m.formula) == norm]
            except FormulaError:
                pass
        if by_formula:
            return by_formula
        if len(key) >= 3:
            sub = [m for m in self._entries if key in name_key(m.name)
                   or any(key in name_key(a) for a in m.aliases)]
            if sub:
                return sub
        return []

    def get(self, query: str) -> Material:
        """Exactly one entry for ``query`` (case-insensitive name, alias, id or formula).

        Raises :class:`AmbiguousMaterialError` listing candidates when several match, and
        :class:`MaterialNotFoundError` listing close names when none does.
        """
        found = self.find(query)
        if len(found) == 1:
            return found[0]
        if found:
            names = "; ".join(f"{m.name} [{m.id}]" for m in found[:12])
            more = f" (+{len(found) - 12} more)" if len(found) > 12 else ""
            raise AmbiguousMaterialError(f"{query!r} matches {len(found)} entries: {names}{more}", found)
        raise MaterialNotFoundError(f"no material {query!r} in the knowledge base{self._suggest(query)}")

    def _suggest(self, query: str) -> str:
        names = {}
        for m in self._entries:
            names[name_key(m.name)] = m.name
            if m.formula:
                names.setdefault(name_key(m.formula), m.formula)
            for a in m.aliases:
                names.setdefault(name_key(a), m.name)
        close = difflib.get_close_matches(name_key(query), list(names), n=5, cutoff=0.5)
        picks = []
        for c in close:
            if names[c] not in picks:
                picks.append(names[c])
        return f"; close matches: {', '.join(picks)}" if picks else "; try `sselab materials list`"

    # -- queries -------------------------------------------------------------------------------------
    def filter(self, family: str | Sequence[str] | None = None, min_sigma_S_per_m: float | None = None,
               T_K: float = T_ROOM_K, formula: str | None = None, flags_absent: Sequence[str] = ()) -> list[Material]:
        """Entries of the given family/families with σ(T_K) ≥ ``min_sigma_S_per_m`` (σT Arrhenius)."""
        fams = None
        if family:
            fams = {self._family_slug(f) for f in ([family] if isinstance(family, str) else family)}
        out = []
        for m in self._entries:
            if fams and m.family not in fams:
                continue
            if formula and not (m.formula and same_composition(m.formula, formula)):
                continue
            if any(f in m.flags for f in flags_absent):
                continue
            if min_sigma_S_per_m is not None:
                s = _sigma_or_none(m, T_K)
                if s is None or s < min_sigma_S_per_m:
                    continue
            out.append(m)
        return out

    def _family_slug(self, name: str) -> str:
        """Family slug from a slug or label, case-insensitive (``"LiPON"``, ``"nitride halides"`` …)."""
        known = list(dict.fromkeys(list(self.families) + list(FAMILIES)))
        key = name_key(name)
        for slug in known:
            label = FAMILIES.get(slug, slug)
            if key in (name_key(slug), name_key(label), name_key(label.split(" (")[0]),
                       name_key(label.split(" &")[0])) or key + "s" == name_key(slug):
                return slug
        raise MaterialNotFoundError(f"unknown family {name!r}; known: {', '.join(self.families)}")

    def rank(self, T_K: float = T_ROOM_K, entries: Iterable[Material] | None = None) -> list[tuple[Material, float]]:
        """(entry, σ(T_K) in S/m), highest first; entries whose σ cannot be evaluated at T_K are left out."""
        pool = self._entries if entries is None else entries
        scored = [(m, s) for m in pool if (s := _sigma_or_none(m, T_K)) is not None]
        return sorted(scored, key=lambda t: -t[1])

    def density_kg_per_m3(self, query: str) -> float:
        """Density of an entry or formula: entry's own value, else the shipped density table."""
        from .calculators import density_lookup
        return density_lookup(query, kb=self)


def _norm(formula: str) -> str | None:
    try:
        return normalize_formula(formula)
    except FormulaError:
        return None


def _sigma_or_none(m: Material, T_K: float) -> float | None:
    if m.sigma_S_per_m is None or m.sigma_T_K is None:
        return None
    if m.Ea_eV is None:
        return m.sigma_S_per_m if abs(m.sigma_T_K - T_K) < 1e-6 else None
    return float(m.sigma_at(T_K))


# -- loading ------------------------------------------------------------------------------------------

def _read_yaml(path: Path):
    import yaml
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeBaseError(f"{path}: no such file") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise KnowledgeBaseError(f"{path}: not valid YAML{where}") from None


def _entries_from_doc(doc, path: Path, strict: bool = True) -> tuple[list[Material], dict]:
    if isinstance(doc, list):
        doc = {"schema_version": SCHEMA_VERSION, "entries": doc}
    if not isinstance(doc, dict) or "entries" not in doc:
        raise KnowledgeBaseError(f"{path}: expected a mapping with 'schema_version' and 'entries'")
    ver = doc.get("schema_version", SCHEMA_VERSION)
    if ver != SCHEMA_VERSION:
        raise KnowledgeBaseError(f"{path}: schema_version {ver!r} is not supported (this sselab reads "
                                 f"{SCHEMA_VERSION})")
    entries = doc.get("entries") or []
    if not isinstance(entries, list):
        raise KnowledgeBaseError(f"{path}: 'entries' must be a list")
    mats = [material_from_fields(e, where=f"{path.name} entry {i + 1}", origin=str(path), strict=strict)
            for i, e in enumerate(entries)]
    meta = {k: v for k, v in doc.items() if k != "entries"}
    return mats, meta


def _load_csv_entries(path: Path) -> list[Material]:
    """A CSV file in the same schema: one row per entry, column names = field names."""
    import pandas as pd
    try:
        df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(f"{path}: cannot read CSV ({str(exc).splitlines()[0]})") from None
    out = []
    for i, row in enumerate(df.to_dict(orient="records")):
        d = {k: (v if v != "" else None) for k, v in row.items()}
        for k in ("aliases",):
            if d.get(k):
                d[k] = [a.strip() for a in str(d[k]).split(";") if a.strip()]
        for k in ("window_calc_V", "window_extended_V", "window_exp_V"):
            if d.get(k):
                d[k] = [float(x) for x in re.split(r"[;,\s]+", str(d[k]).strip("[]() ")) if x]
        for k in ("sigma_calculated", "sigma_approx", "unresolved_structure", "window_exp_min",
                  "electronic_upper_bound"):
            if d.get(k) is not None:
                d[k] = str(d[k]).strip().lower() in ("1", "true", "yes", "y")
        cell = {k[5:]: d.pop(k) for k in list(d) if k.startswith("cell_") and d[k] is not None}
        for k in list(d):
            if k.startswith("cell_"):
                d.pop(k)
        if cell:
            d["cell"] = cell
        out.append(material_from_fields(d, where=f"{path.name} row {i + 2}", origin=str(path)))
    return out


def load_user_file(path) -> KnowledgeBase:
    """Read a user knowledge-base file (YAML or CSV) in the shipped schema."""
    path = Path(path)
    if not path.exists():
        raise KnowledgeBaseError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        return KnowledgeBase(_load_csv_entries(path), sources=(str(path),))
    mats, meta = _entries_from_doc(_read_yaml(path), path)
    return KnowledgeBase(mats, sources=(str(path),), meta=meta)


@lru_cache(maxsize=1)
def builtin_kb() -> KnowledgeBase:
    """The shipped knowledge base (cached)."""
    mats, meta = _entries_from_doc(_read_yaml(BUILTIN_PATH), BUILTIN_PATH)
    return KnowledgeBase(mats, sources=(str(BUILTIN_PATH),), meta=meta)


def load_kb(user_files: Iterable | None = None, include_builtin: bool = True) -> KnowledgeBase:
    """The shipped knowledge base merged with user files (later files override entries with the same id)."""
    kb = builtin_kb() if include_builtin else KnowledgeBase([])
    for f in user_files or ():
        kb = kb.merged(load_user_file(f))
    return kb
