"""Materials knowledge base for solid-state electrolytes (issue 7).

Stable entry points for other modules:

* :mod:`sselab.materials.formula` — ``parse_formula``, ``molar_mass`` (g/mol), ``element_count``.
"""
from .formula import (  # noqa: F401
    ATOMIC_WEIGHTS, ATOMIC_WEIGHTS_IUPAC_2007, WEIGHT_TABLES, FormulaError, FormulaSyntaxError, UnknownElementError, element_count, format_formula,
    mass_fractions, molar_mass, molar_mass_kg_per_mol, normalize_formula, parse_formula,
)
