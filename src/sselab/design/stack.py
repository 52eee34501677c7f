"""Layer-stack model of a solid-state lithium-metal unit cell and of a pouch cell.

Everything is per unit electrode area and SI inside (kg/m², m, C/m², J/m²).  Every numeric field may also be a
numpy array: the model is pure arithmetic, so sweeps and contour maps evaluate a whole grid in one call
(:mod:`sselab.design.analysis`).

Unit cell (one cathode, the separator layers, one anode; a *repeat unit* of a stack)::

    positive collector | cathode composite | separator 1 | separator 2 | ... | anode | negative collector

* cathode composite: areal capacity Q, active specific capacity q, active mass fraction f
  → composite mass ``Q / (q f)``; thickness from the composite density (given, or from the constituents'
  densities and a porosity: ``ρ = (1 − φ) / (f/ρ_am + (1 − f)/ρ_catholyte)``).
* separator layer i: mass ``ρ_i (1 − φ_i) t_i``.
* anode: ``li`` (Li metal, mass ``N/P · Q / q_Li``), ``anode-free`` (no anode mass in the discharged state; the
  plated Li is the cathode's), ``li-in`` (Li–In alloy: ``N/P · Q / q_LiIn``, cell voltage lowered by 0.62 V).
* collectors: ``ρ t``, halved when ``shared`` (double-sided electrodes: a foil serves two neighbouring unit cells).

Energy per area = Q·(V − anode offset).  Unit-cell Wh/kg and Wh/L use the unit cell alone.  Wh/L uses the
charged-state thickness: for ``li`` and ``anode-free`` anodes the cathode's Li plated on the anode,
``Q/F · M_Li/ρ_Li`` (4.85 µm per mAh/cm²), is added as a zero-mass "plated Li (charged state)" layer (Li–In
alloy swelling is not modelled).

Pouch cell: ``layers`` unit cells of ``area`` each.  Collector positions 0…layers alternate positive/negative with
the positive collectors outside, so a shared positive collector appears ``layers//2 + 1`` times and a shared
negative one ``(layers+1)//2`` times (unshared: ``layers`` times each).  Laminate on both faces over
``area·(1 + seal_fraction)``, plus tab and extra masses.  Volume = stack thickness (+2 laminates) × area ×
(1 + seal_fraction).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import AnalysisError
from ..results import Result
from ..units import FARADAY

__all__ = [
    "MAH_PER_CM2", "MAH_PER_G", "Cathode", "Separator", "Anode", "Collector", "Pouch", "CellStack", "CellDesign",
    "evaluate", "LI_SPECIFIC_CAPACITY", "LI_IN_SPECIFIC_CAPACITY", "LI_IN_OFFSET_V",
]

#: 1 mAh/cm² in C/m² and 1 mAh/g in C/kg
MAH_PER_CM2 = 3.6 / 1e-4
MAH_PER_G = 3.6 / 1e-3
#: Li metal capacity used by the review (3500 mAh/g; theoretical 3861)
LI_SPECIFIC_CAPACITY = 3500 * MAH_PER_G
#: Li–In: capacity per mass of In for LiIn ↔ In (F / M_In = 233 mAh/g); 0.62 V vs Li/Li+
LI_IN_SPECIFIC_CAPACITY = 233.4 * MAH_PER_G
LI_IN_OFFSET_V = 0.62
#: Li molar mass (kg/mol) and density (kg/m³) for the plated-Li thickness in the charged state
M_LI = 6.94e-3
RHO_LI = 534.0

ANODE_KINDS = ("li", "anode-free", "li-in")


def _check(name: str, value, lo: float | None = 0.0, hi: float | None = None, strict_lo: bool = False):
    v = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(v)):
        raise AnalysisError(f"{name} must be finite, got {value!r}")
    if lo is not None and (np.any(v <= lo) if strict_lo else np.any(v < lo)):
        raise AnalysisError(f"{name} must be {'>' if strict_lo else '>='} {lo}, got {value!r}")
    if hi is not None and np.any(v > hi):
        raise AnalysisError(f"{name} must be <= {hi}, got {value!r}")


@dataclass(frozen=True)
class Cathode:
    areal_capacity_C_per_m2: float
    specific_capacity_C_per_kg: float = 200 * MAH_PER_G
    voltage_V: float = 3.75
    active_fraction: float = 0.9
    active_material: str = "NMC811"
    catholyte: str = "Li3InCl6"
    active_density_kg_per_m3: float = 4750.0
    catholyte_density_kg_per_m3: float = 2590.0
    porosity: float = 0.0
    composite_density_kg_per_m3: float | None = None

    def __post_init__(self):
        _check("cathode areal capacity", self.areal_capacity_C_per_m2, strict_lo=True)
        _check("cathode specific capacity", self.specific_capacity_C_per_kg, strict_lo=True)
        _check("cathode voltage", self.voltage_V, strict_lo=True)
        _check("cathode active fraction", self.active_fraction, 0.0, 1.0, strict_lo=True)
        _check("cathode porosity", self.porosity, 0.0, 0.99)
        if self.composite_density_kg_per_m3 is not None:
            _check("cathode composite density", self.composite_density_kg_per_m3, strict_lo=True)

    @property
    def active_mass_kg_per_m2(self):
        return self.areal_capacity_C_per_m2 / self.specific_capacity_C_per_kg

    @property
    def mass_kg_per_m2(self):
        return self.active_mass_kg_per_m2 / self.active_fraction

    @property
    def density_kg_per_m3(self):
        if self.composite_density_kg_per_m3 is not None:
            return self.composite_density_kg_per_m3
        f = self.active_fraction
        return (1.0 - self.porosity) / (f / self.active_density_kg_per_m3 + (1.0 - f) / self.catholyte_density_kg_per_m3)

    @property
    def thickness_m(self):
        return self.mass_kg_per_m2 / self.density_kg_per_m3


@dataclass(frozen=True)
class Separator:
    material: str
    thickness_m: float
    density_kg_per_m3: float
    porosity: float = 0.0

    def __post_init__(self):
        _check(f"{self.material} thickness", self.thickness_m)
        _check(f"{self.material} density", self.density_kg_per_m3, strict_lo=True)
        _check(f"{self.material} porosity", self.porosity, 0.0, 0.99)

    @property
    def mass_kg_per_m2(self):
        return self.density_kg_per_m3 * (1.0 - self.porosity) * self.thickness_m


@dataclass(frozen=True)
class Anode:
    kind: str = "li"
    np_ratio: float = 1.0
    specific_capacity_C_per_kg: float = LI_SPECIFIC_CAPACITY
    density_kg_per_m3: float = 534.0
    voltage_offset_V: float = 0.0

    def __post_init__(self):
        if self.kind not in ANODE_KINDS:
            raise AnalysisError(f"anode type {self.kind!r} unknown (expected one of {', '.join(ANODE_KINDS)})")
        _check("N/P ratio", self.np_ratio)
        _check("anode specific capacity", self.specific_capacity_C_per_kg, strict_lo=True)
        _check("anode density", self.density_kg_per_m3, strict_lo=True)

    @classmethod
    def li_metal(cls, np_ratio=1.0) -> "Anode":
        return cls("li", np_ratio)

    @classmethod
    def anode_free(cls) -> "Anode":
        return cls("anode-free", 0.0)

    @classmethod
    def li_in(cls, np_ratio=1.0) -> "Anode":
        return cls("li-in", np_ratio, LI_IN_SPECIFIC_CAPACITY, 7310.0, LI_IN_OFFSET_V)

    def mass_kg_per_m2(self, areal_capacity_C_per_m2):
        if self.kind == "anode-free":
            return 0.0 * np.asarray(areal_capacity_C_per_m2)
        return self.np_ratio * areal_capacity_C_per_m2 / self.specific_capacity_C_per_kg


@dataclass(frozen=True)
class Collector:
    material: str
    thickness_m: float
    density_kg_per_m3: float
    shared: bool = False

    def __post_init__(self):
        _check(f"{self.material} collector thickness", self.thickness_m)
        _check(f"{self.material} collector density", self.density_kg_per_m3, strict_lo=True)

    @property
    def share(self) -> float:
        return 0.5 if self.shared else 1.0

    @property
    def foil_mass_kg_per_m2(self):
        return self.density_kg_per_m3 * self.thickness_m


@dataclass(frozen=True)
class Pouch:
    layers: int = 1
    area_m2: float = 0.01
    laminate_thickness_m: float = 113e-6
    laminate_density_kg_per_m3: float = 1600.0
    seal_fraction: float = 0.10
    tab_mass_kg: float = 0.0
    extra_mass_kg: float = 0.0

    def __post_init__(self):
        _check("pouch layer count", self.layers, 1.0)
        _check("pouch area", self.area_m2, strict_lo=True)
        _check("laminate thickness", self.laminate_thickness_m)
        _check("laminate density", self.laminate_density_kg_per_m3, strict_lo=True)
        _check("seal fraction", self.seal_fraction)
        _check("tab mass", self.tab_mass_kg)
        _check("extra mass", self.extra_mass_kg)


@dataclass(frozen=True)
class CellStack:
    cathode: Cathode
    separators: tuple[Separator, ...]
    anode: Anode
    positive_collector: Collector
    negative_collector: Collector
    pouch: Pouch | None = None
    name: str = "cell"

    def __post_init__(self):
        object.__setattr__(self, "separators", tuple(self.separators))

    def with_(self, **changes) -> "CellStack":
        return replace(self, **changes)

    def evaluate(self) -> "CellDesign":
        return evaluate(self)


@dataclass(frozen=True)
class CellDesign(Result):
    """Energy densities and per-layer breakdowns of a stack (arrays when the stack holds arrays).

    ``mass_kg_per_m2``/``thickness_m`` are the unit cell's layers (shared collectors counted half);
    ``specific_energy_Wh_per_kg``/``energy_density_Wh_per_L`` are the pouch values when a pouch is given, else the
    unit cell's (both kept separately too).
    """

    name: str
    specific_energy_Wh_per_kg: object
    energy_density_Wh_per_L: object
    unit_specific_energy_Wh_per_kg: object
    unit_energy_density_Wh_per_L: object
    areal_energy_J_per_m2: object
    cell_voltage_V: object
    unit_mass_kg_per_m2: object
    unit_thickness_m: object
    mass_kg_per_m2: dict
    thickness_m: dict
    mass_fraction: dict
    pouch_energy_Wh: object = None
    pouch_mass_kg: object = None
    pouch_volume_m3: object = None
    pouch_thickness_m: object = None
    pouch_mass_kg_breakdown: dict = field(default_factory=dict)

    def scalar(self, name: str = "specific_energy_Wh_per_kg") -> float:
        return float(np.asarray(getattr(self, name)))


def _layer_names(stack: CellStack) -> list[str]:
    names, seen = [], {}
    for s in stack.separators:
        n = f"separator: {s.material}"
        seen[n] = seen.get(n, 0) + 1
        names.append(n if seen[n] == 1 else f"{n} #{seen[n]}")
    return names


def evaluate(stack: CellStack) -> CellDesign:
    """Masses, thicknesses and energy densities of ``stack`` (vectorised over array-valued fields)."""
    c, a = stack.cathode, stack.anode
    pc, nc = stack.positive_collector, stack.negative_collector
    Q = np.asarray(c.areal_capacity_C_per_m2, dtype=float)
    mass: dict = {}
    thick: dict = {}
    mass[f"positive collector: {pc.material}"] = pc.share * pc.foil_mass_kg_per_m2
    thick[f"positive collector: {pc.material}"] = pc.share * pc.thickness_m
    mass[f"cathode composite: {c.active_material}"] = c.mass_kg_per_m2
    thick[f"cathode composite: {c.active_material}"] = c.thickness_m
    for name, s in zip(_layer_names(stack), stack.separators):
        mass[name] = s.mass_kg_per_m2
        thick[name] = s.thickness_m
    m_an = a.mass_kg_per_m2(Q)
    mass[f"anode: {a.kind}"] = m_an
    thick[f"anode: {a.kind}"] = m_an / a.density_kg_per_m3
    if a.kind != "li-in":  # charged state: the cathode's Li plated on the anode side (volume only, no mass)
        thick["plated Li (charged state)"] = Q / FARADAY * M_LI / RHO_LI
    mass[f"negative collector: {nc.material}"] = nc.share * nc.foil_mass_kg_per_m2
    thick[f"negative collector: {nc.material}"] = nc.share * nc.thickness_m
    mass = {k: np.asarray(v, dtype=float) for k, v in mass.items()}
    thick = {k: np.asarray(v, dtype=float) for k, v in thick.items()}
    m_unit = sum(mass.values())
    t_unit = sum(thick.values())
    V = np.asarray(c.voltage_V, dtype=float) - a.voltage_offset_V
    if np.any(V <= 0):
        raise AnalysisError(f"cell voltage {c.voltage_V} V minus anode offset {a.voltage_offset_V} V is not positive")
    E_area = Q * V
    if np.any(m_unit <= 0) or np.any(t_unit <= 0):
        raise AnalysisError("the stack has no mass or no thickness")
    unit_wh_kg = E_area / m_unit / 3600.0
    unit_wh_l = E_area / t_unit / 3600.0 / 1000.0
    frac = {k: v / m_unit for k, v in mass.items()}
    out = dict(pouch_energy_Wh=None, pouch_mass_kg=None, pouch_volume_m3=None, pouch_thickness_m=None,
               pouch_mass_kg_breakdown={})
    wh_kg, wh_l = unit_wh_kg, unit_wh_l
    p = stack.pouch
    if p is not None:
        n = np.floor(np.asarray(p.layers, dtype=float))
        A = np.asarray(p.area_m2, dtype=float)
        n_pos = n // 2 + 1 if pc.shared else n
        n_neg = (n + 1) // 2 if nc.shared else n
        core_keys = [k for k in mass if "collector" not in k]
        pb = {k: n * A * mass[k] for k in core_keys}
        pb[f"positive collector: {pc.material}"] = n_pos * A * pc.foil_mass_kg_per_m2
        pb[f"negative collector: {nc.material}"] = n_neg * A * nc.foil_mass_kg_per_m2
        footprint = A * (1.0 + p.seal_fraction)
        pb["pouch laminate"] = 2.0 * footprint * p.laminate_thickness_m * p.laminate_density_kg_per_m3
        pb["tabs"] = np.asarray(p.tab_mass_kg, dtype=float)
        pb["extra"] = np.asarray(p.extra_mass_kg, dtype=float)
        pb = {k: np.asarray(v, dtype=float) for k, v in pb.items()}
        m_p = sum(pb.values())
        t_p = (n * sum(v for k, v in thick.items() if "collector" not in k) + n_pos * pc.thickness_m + n_neg * nc.thickness_m
               + 2.0 * p.laminate_thickness_m)
        vol = t_p * footprint
        energy_J = n * A * E_area
        wh_kg = energy_J / m_p / 3600.0
        wh_l = energy_J / vol / 3600.0 / 1000.0
        out = dict(pouch_energy_Wh=energy_J / 3600.0, pouch_mass_kg=m_p, pouch_volume_m3=vol,
                   pouch_thickness_m=t_p, pouch_mass_kg_breakdown=pb)
    sq = _squeeze
    return CellDesign(
        name=stack.name, specific_energy_Wh_per_kg=sq(wh_kg), energy_density_Wh_per_L=sq(wh_l),
        unit_specific_energy_Wh_per_kg=sq(unit_wh_kg), unit_energy_density_Wh_per_L=sq(unit_wh_l),
        areal_energy_J_per_m2=sq(E_area), cell_voltage_V=sq(V), unit_mass_kg_per_m2=sq(m_unit),
        unit_thickness_m=sq(t_unit), mass_kg_per_m2={k: sq(v) for k, v in mass.items()},
        thickness_m={k: sq(v) for k, v in thick.items()}, mass_fraction={k: sq(v) for k, v in frac.items()},
        **{k: (sq(v) if k != "pouch_mass_kg_breakdown" else {kk: sq(vv) for kk, vv in v.items()})
           for k, v in out.items()},
    )


def _squeeze(v):
    if v is None:
        return None
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a
