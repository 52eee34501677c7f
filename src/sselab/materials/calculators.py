"""Bench calculators: reagent masses from an element balance, theoretical (X-ray) density from a unit cell,
pellet relative density, and the density lookup the cell-design module uses.

>>> r = reagent_masses("Li2NH", ["LiNH2", "Li3N"], target_mass_kg=1e-3, weights="iupac2007")
>>> [round(m * 1e3, 4) for m in r.masses_kg]          # grams, as weighed in the lithium-imide paper
[0.3973, 0.6027]
>>> round(theoretical_density("NaCl", Z=4, a_m=5.6402e-10) / 1000, 3)   # g/cm3
2.163
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import units
from ..errors import AnalysisError
from ..results import Result
from .formula import molar_mass, normalize_formula, parse_formula, FormulaError

__all__ = [
    "ReagentMasses", "reagent_masses", "cell_volume_m3", "theoretical_density", "PelletDensity",
    "pellet_density", "density_lookup", "density", "density_table",
]


@dataclass(frozen=True)
class ReagentMasses(Result):
    """Precursor amounts for a target: ``moles_per_target`` (mol precursor per mol target), masses in kg."""

    target: str
    precursors: tuple[str, ...]
    moles_per_target: tuple[float, ...]
    masses_kg: tuple[float, ...]
    mass_fractions: tuple[float, ...]
    target_mass_kg: float
    target_molar_mass_g_per_mol: float
    byproducts: tuple[str, ...]
    byproduct_moles_per_target: tuple[float, ...]
    residual: float
    elements: tuple[str, ...]
    weights: str

    def table(self) -> list[dict]:
        return [{"precursor": p, "mol_per_mol_target": n, "mass_g": m * 1e3, "mass_fraction": f}
                for p, n, m, f in zip(self.precursors, self.moles_per_target, self.masses_kg, self.mass_fractions)]


def _mass_kg(x) -> float:
    if isinstance(x, str):
        return units.parse(x, "mass")
    v = float(x)
    if not v > 0:
        raise units.UnitError(f"target mass must be positive, got {x!r}")
    return v


def _length_m(x, name: str) -> float:
    if isinstance(x, str):
        return units.parse(x, "length")
    v = float(x)
    if not v > 0:
        raise units.UnitError(f"{name} must be a positive length, got {x!r}")
    return v


def reagent_masses(target: str, precursors, target_mass_kg=1e-3, byproducts=(), weights=None,
                   tol: float = 1e-6) -> ReagentMasses:
    """Masses of ``precursors`` that make ``target_mass_kg`` of ``target`` (element balance, least squares).

    Solves A·n = t, where column j of A is the composition of precursor j (and of each ``byproducts`` species,
    entered with a negative sign, e.g. ``"H2"`` released), t the target composition.  Raises
    :class:`AnalysisError` when the balance cannot be closed (residual > ``tol`` atoms per formula unit) or a
    precursor amount would be negative.  ``target_mass_kg`` accepts "1 g"-style strings.

    Example (lithium-imide paper, Methods): LiNH2 + Li3N → 2 Li2NH → 0.3973 g + 0.6027 g per gram of Li2NH with
    ``weights="iupac2007"`` (the paper's Li = 6.941); Li(2−x)NH(1+x) by changing the target formula.
    """
    if isinstance(precursors, str):
        precursors = [precursors]
    precursors = [str(p) for p in precursors]
    byproducts = [str(b) for b in (byproducts or ())]
    if not precursors:
        raise AnalysisError("reagent_masses: give at least one precursor")
    mass = _mass_kg(target_mass_kg)
    t = parse_formula(target)
    comps = [parse_formula(p) for p in precursors] + [parse_formula(b) for b in byproducts]
    elements = list(t)
    for c in comps:
        for el in c:
            if el not in elements:
                elements.append(el)
    missing = [el for el in t if not any(el in c for c in comps[:len(precursors)])]
    if missing:
        raise AnalysisError(f"reagent_masses: no precursor supplies {', '.join(missing)} for {target}")
    A = np.array([[c.get(el, 0.0) for c in comps] for el in elements], dtype=float)
    sign = np.array([1.0] * len(precursors) + [-1.0] * len(byproducts))
    A = A * sign
    b = np.array([t.get(el, 0.0) for el in elements], dtype=float)
    n, *_ = np.linalg.lstsq(A, b, rcond=None)
    rank = np.linalg.matrix_rank(A)
    if rank < A.shape[1]:
        raise AnalysisError(f"reagent_masses: precursors {precursors + byproducts} are not independent "
                            "(amounts not unique); drop one")
    resid = float(np.max(np.abs(A @ n - b)))
    if resid > tol:
        raise AnalysisError(f"reagent_masses: {' + '.join(precursors)} cannot make {target} "
                            f"(element balance off by {resid:.3g} atoms per formula unit)")
    n = np.where(np.abs(n) < 1e-12, 0.0, n)
    if np.any(n < 0):
        bad = [s for s, x in zip(precursors + byproducts, n) if x < 0]
        raise AnalysisError(f"reagent_masses: {target} would need a negative amount of {', '.join(bad)}")
    M_t = molar_mass(t, weights)
    mol_target = mass / (M_t * 1e-3)
    n_prec = n[:len(precursors)]
    m_prec = [float(x * molar_mass(c, weights) * 1e-3 * mol_target) for x, c in zip(n_prec, comps)]
    total = sum(m_prec)
    return ReagentMasses(
        target=target, precursors=tuple(precursors), moles_per_target=tuple(float(x) for x in n_prec),
        masses_kg=tuple(m_prec), mass_fractions=tuple(m / total for m in m_prec), target_mass_kg=mass,
        target_molar_mass_g_per_mol=M_t, byproducts=tuple(byproducts),
        byproduct_moles_per_target=tuple(float(x) for x in n[len(precursors):]), residual=resid,
        elements=tuple(elements), weights=str(weights or "iupac2021") if not isinstance(weights, dict) else "custom",
    )


def cell_volume_m3(a_m, b_m=None, c_m=None, alpha_deg=90.0, beta_deg=90.0, gamma_deg=90.0) -> float:
    """Unit-cell volume (m³) of a general triclinic cell; b, c default to a (cubic).  Lengths in m or "5.07 Å"."""
    a = _length_m(a_m, "a")
    b = a if b_m is None else _length_m(b_m, "b")
    c = a if c_m is None else _length_m(c_m, "c")
    ca, cb, cg = (math.cos(math.radians(float(x))) for x in (alpha_deg, beta_deg, gamma_deg))
    arg = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg
    if not arg > 0:
        raise AnalysisError(f"cell angles {alpha_deg}, {beta_deg}, {gamma_deg} do not form a cell")
    return a * b * c * math.sqrt(arg)


def theoretical_density(formula: str, Z: float, a_m, b_m=None, c_m=None, alpha_deg=90.0, beta_deg=90.0,
                        gamma_deg=90.0, weights=None) -> float:
    """Crystallographic density (kg/m³) = Z·M / (N_A·V).  Hexagonal: ``gamma_deg=120``."""
    if not float(Z) > 0:
        raise AnalysisError(f"Z must be positive, got {Z!r}")
    V = cell_volume_m3(a_m, b_m, c_m, alpha_deg, beta_deg, gamma_deg)
    return float(Z) * molar_mass(formula, weights) * 1e-3 / (units.N_A * V)


@dataclass(frozen=True)
class PelletDensity(Result):
    """Geometric density of a cylindrical pellet and, with a theoretical density, the relative density."""

    mass_kg: float
    diameter_m: float
    thickness_m: float
    volume_m3: float
    density_kg_per_m3: float
    theoretical_density_kg_per_m3: float | None
    relative_density: float | None
    porosity: float | None


def pellet_density(mass_kg, diameter_m, thickness_m, theoretical_kg_per_m3=None) -> PelletDensity:
    """Pellet (cylinder) density; strings like "0.12 g", "10 mm", "1.2 mm", "1.47 g/cm3" are accepted."""
    m = _mass_kg(mass_kg)
    d = _length_m(diameter_m, "diameter")
    t = _length_m(thickness_m, "thickness")
    V = math.pi * (d / 2) ** 2 * t
    rho = m / V
    th = None
    if theoretical_kg_per_m3 is not None:
        th = units.parse(theoretical_kg_per_m3, "density") if isinstance(theoretical_kg_per_m3, str) \
            else float(theoretical_kg_per_m3)
        if not th > 0:
            raise units.UnitError(f"theoretical density must be positive, got {theoretical_kg_per_m3!r}")
    rel = None if th is None else rho / th
    return PelletDensity(m, d, t, V, rho, th, rel, None if rel is None else 1.0 - rel)


# -- density lookup (cell design) ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def density_table() -> tuple[dict, ...]:
    """The shipped density table (``data/densities.yaml``), densities converted to kg/m³."""
    import yaml

    from .kb import DATA_DIR, KnowledgeBaseError
    path = DATA_DIR / "densities.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("schema_version") != 1:
        raise KnowledgeBaseError(f"{path}: expected schema_version 1")
    rows = []
    for r in doc.get("densities") or []:
        rows.append({**r, "density_kg_per_m3": float(r["density_g_per_cm3"]) * 1000.0})
    return tuple(rows)


def density_lookup(query: str, kb=None) -> float:
    """Bulk density (kg/m³) of a material by name, alias or formula.

    Order: a single knowledge-base entry with its own density; the density table (formula, name or alias;
    formulas compared after normalisation, e.g. ``Li3(InCl6)`` = ``Li3InCl6``).
    """
    from .kb import AmbiguousMaterialError, MaterialNotFoundError, builtin_kb, name_key
    kb = builtin_kb() if kb is None else kb
    try:
        m = kb.get(query)
        if m.density_kg_per_m3 is not None:
            return m.density_kg_per_m3
        formula = m.formula
    except AmbiguousMaterialError as exc:
        dens = {c.density_kg_per_m3 for c in exc.candidates if c.density_kg_per_m3 is not None}
        if len(dens) == 1 and all(c.density_kg_per_m3 is not None for c in exc.candidates):
            return dens.pop()
        formula = None
    except MaterialNotFoundError:
        formula = None
    key = name_key(query)
    try:
        norm_q = normalize_formula(query)
    except FormulaError:
        norm_q = None
    norm_f = None
    if formula:
        try:
            norm_f = normalize_formula(formula)
        except FormulaError:
            pass
    for r in density_table():
        names = [r.get("name", ""), r.get("formula", "")] + list(r.get("aliases") or [])
        if any(key == name_key(n) for n in names if n):
            return r["density_kg_per_m3"]
        try:
            nr = normalize_formula(r["formula"])
        except FormulaError:
            continue
        if nr in (norm_q, norm_f):
            return r["density_kg_per_m3"]
    known = sorted({r.get("name") for r in density_table()} | {m.name for m in kb if m.density_kg_per_m3})
    raise MaterialNotFoundError(f"no density known for {query!r}; known: {', '.join(known)} "
                                "(compute one with theoretical_density())")


def density(query: str, kb=None) -> float:
    """Alias of :func:`density_lookup` — kg/m³."""
    return density_lookup(query, kb)
