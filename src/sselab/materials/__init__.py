"""Materials knowledge base for solid-state electrolytes (issue 7).

Stable entry points for other modules (SI inside; densities kg/m³, σ S/m, molar masses g/mol as named):

* formulas — :func:`parse_formula`, :func:`molar_mass` (g/mol), :func:`element_count` (``sselab.materials.formula``)
* knowledge base — :func:`load_kb` / :func:`builtin_kb` → :class:`KnowledgeBase` (``get``, ``find``, ``filter``,
  ``rank``), :class:`Material` (``sigma_at(T_K)``, ``flags``), :func:`arrhenius_sigma`
* density for cell design — :func:`density` (kg/m³; entry, then ``data/densities.yaml``: Li3N 1.27, Li3InCl6 2.59,
  LGPS 2.04 g/cm³ from the review's §5), :func:`theoretical_density`, :func:`pellet_density`
* :func:`reagent_masses` (element balance), :func:`compare` / :func:`plot_comparison`, :func:`scorecard`,
  :func:`import_csv` / :func:`cross_check` for external datasets.
"""
from .formula import (  # noqa: F401
    ATOMIC_WEIGHTS, ATOMIC_WEIGHTS_IUPAC_2007, WEIGHT_TABLES, FormulaError, FormulaSyntaxError, UnknownElementError,
    element_count, format_formula, mass_fractions, molar_mass, molar_mass_kg_per_mol, normalize_formula,
    parse_formula,
)
from .kb import (  # noqa: F401
    FAMILIES, SCHEMA_VERSION, AmbiguousMaterialError, KnowledgeBase, KnowledgeBaseError, Material,
    MaterialNotFoundError, arrhenius_sigma, builtin_kb, load_kb, load_user_file, same_composition,
)
from .calculators import (  # noqa: F401
    PelletDensity, ReagentMasses, cell_volume_m3, density, density_lookup, pellet_density, reagent_masses,
    theoretical_density,
)
from .scorecard import TARGETS, Grade, Scorecard, Target, sample_from_measurements, scorecard  # noqa: F401
from .compare import Comparison, compare, plot_comparison  # noqa: F401
from .external import PRESETS, CrossCheck, ImportResult, cross_check, import_csv  # noqa: F401
