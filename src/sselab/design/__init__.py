"""Cell-level design (issue 8): layer-stack energy densities, sweeps, critical values, the review's Fig. 17 and
the step from a measured conductivity to a C-rate.

Public API
----------
* model — :class:`CellStack` of :class:`Cathode`, :class:`Separator` layers, :class:`Anode`, two
  :class:`Collector` and an optional :class:`Pouch`; :func:`evaluate` → :class:`CellDesign` (Wh/kg, Wh/L, per-layer
  mass and thickness).  :func:`density` looks materials up (knowledge base first, built-in table second).
* analysis — :func:`sweep`, :func:`contour`, :func:`solve_for` (critical value for a target such as
  ``"350 Wh/kg"``), :data:`PARAMS`.
* Fig. 17 — :func:`fig17_stack`, :func:`reproduce_fig17`, :func:`compare_readings` (see ``FIG17.md``).
"""
from .analysis import (  # noqa: F401
    PARAMS, Contour, CriticalValue, Sweep, contour, get_param, param, parse_range, parse_target, parse_value,
    set_param, solve_for, sweep,
)
from .densities import BUILTIN_DENSITIES, UnknownDensityError, density, density_source  # noqa: F401
from .fig17 import (  # noqa: F401
    ALTERNATIVES, STATEMENTS, Fig17Reproduction, compare_readings, fig17_curves, fig17_stack, reproduce_fig17,
)
from .stack import (  # noqa: F401
    MAH_PER_CM2, MAH_PER_G, Anode, Cathode, CellDesign, CellStack, Collector, Pouch, Separator, evaluate,
)
