"""Densities (kg/m³) for the layer-stack model: knowledge base first, then a small built-in table.

Lookup order for a material name / formula (``density("Li3InCl6")``):

1. ``sselab.materials`` (issue 7; ``sselab.materials.calculators.density_lookup``), imported lazily and guarded:
   if the module is missing, broken, or does not know the material, we fall through silently.
2. :data:`BUILTIN_DENSITIES` below — current collectors, common cathode actives, Li metal, Li–In, and the SSEs of the
   review's Fig. 17 (so the Fig. 17 preset never depends on another module).

A density given explicitly in a stack file always wins over both.
"""
from __future__ import annotations

import re

from ..errors import SselabError

__all__ = ["BUILTIN_DENSITIES", "density", "density_source", "UnknownDensityError"]


class UnknownDensityError(SselabError, LookupError):
    """No density is known for a material (give one explicitly)."""


#: g/cm³ values × 1000 → kg/m³.  Sources: review Fig. 17 caption (Li3InCl6, LGPS, Li3N, Al, Cu);
#: CRC Handbook (Li, In, Ni, Cu, Al, Ti, stainless steel); crystallographic densities of the cathode actives
#: (NMC811 4.75, NMC622 4.70, LCO 5.05, LFP 3.60, NCA 4.80); sulfides/halides/oxides from their structures.
BUILTIN_DENSITIES: dict[str, float] = {
    "al": 2700.0, "cu": 8900.0, "ni": 8908.0, "ti": 4506.0, "sus": 7930.0, "stainless steel": 7930.0,
    "li": 534.0, "lithium": 534.0, "in": 7310.0, "li-in": 6030.0, "liin": 6030.0,
    "nmc811": 4750.0, "ncm811": 4750.0, "ncm83": 4750.0, "nmc622": 4700.0, "nmc111": 4700.0,
    "nca": 4800.0, "lco": 5050.0, "licoo2": 5050.0, "lfp": 3600.0, "lifepo4": 3600.0,
    "li3incl6": 2590.0, "lgps": 2040.0, "li10gep2s12": 2040.0, "li3n": 1270.0, "beta-li3n": 1270.0,
    "b-li3n": 1270.0, "β-li3n": 1270.0, "li6ps5cl": 1640.0, "lpsc": 1640.0, "llzo": 5100.0,
    "li7la3zr2o12": 5100.0, "li3ycl6": 2670.0, "lipon": 2500.0, "li7n2i": 2200.0, "li9n2cl3": 1640.0,
    "carbon": 2000.0, "pvdf": 1780.0,
}


def _key(name: str) -> str:
    k = name.strip().lower().replace("_", "-")
    k = re.sub(r"\s+foil$", "", k)
    return k


def _from_knowledge_base(name: str) -> float | None:
    try:  # guarded: the materials package is developed concurrently and is optional for this module
        from ..materials.calculators import density_lookup  # type: ignore
    except Exception:
        return None
    try:
        value = float(density_lookup(name))
    except Exception:
        return None
    return value if value > 0 else None


def density_source(name: str) -> tuple[float, str]:
    """``(density_kg_per_m3, source)`` where source is ``"knowledge base"`` or ``"built-in table"``."""
    raw = str(name)
    bare = re.sub(r"^(β|b|beta)-", "", raw.strip(), flags=re.IGNORECASE)
    for q in dict.fromkeys([raw, bare]):
        v = _from_knowledge_base(q)
        if v is not None:
            return v, "knowledge base"
    for q in (_key(raw), _key(bare)):
        if q in BUILTIN_DENSITIES:
            return BUILTIN_DENSITIES[q], "built-in table"
    raise UnknownDensityError(f"no density known for material {raw!r}; give one (e.g. 'density: 2.0 g/cm3')")


def density(name: str) -> float:
    """Density in kg/m³ of a material by name or formula (knowledge base first, then built-in table)."""
    return density_source(name)[0]
