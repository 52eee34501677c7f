"""Cell-level design (issue 8): layer-stack energy densities, sweeps, critical values, the review's Fig. 17 and
the step from a measured conductivity to a C-rate.

Public API
----------
* model — :class:`CellStack` of :class:`Cathode`, :class:`Separator` layers, :class:`Anode`, two
  :class:`Collector` and an optional :class:`Pouch`; :func:`evaluate` → :class:`CellDesign` (Wh/kg, Wh/L, per-layer
  mass and thickness).  :func:`density` looks materials up (knowledge base first, built-in table second).
* analysis — :func:`sweep`, :func:`contour`, :func:`solve_for` (critical value for a target such as
  ``"350 Wh/kg"``), :data:`PARAMS`.
* Fig. 17 — :func:`fig17_stack`, :func:`reproduce_fig17`, :func:`compare_readings` (see ``FIG17.md``); the
  systematic search of its unstated choices in :mod:`sselab.design.fig17_search` (``search_readings``).
* measurement → cell — :func:`rate_capability` (ASR, IR drop, highest C-rate, thickness for a 4C charge) from a
  σ(T) given as a number, a callable, an Arrhenius fit object or ``(σ_ref, T_ref, Ea)``; :func:`conductivity_at`.
* files — :func:`load_stack` / :func:`stack_from_dict` (YAML format in :mod:`sselab.design.stackfile`),
  :func:`example_files` (shipped ``data/*.yaml``).
* plots — :mod:`sselab.design.plots` (``plot_sweep``, ``plot_contour``, ``plot_fig17``, ``plot_breakdown``).

Densities: an explicit value in the stack wins; otherwise :func:`density` asks ``sselab.materials`` (guarded import;
any failure falls through) and then the built-in table :data:`BUILTIN_DENSITIES` (collectors, cathode actives, Li,
Li–In and the Fig. 17 SSEs).  The Fig. 17 preset uses the caption's densities directly.
"""
from .analysis import (  # noqa: F401
    PARAMS, Contour, CriticalValue, Sweep, contour, get_param, param, parse_range, parse_target, parse_value,
    set_param, solve_for, sweep,
)
from .densities import BUILTIN_DENSITIES, UnknownDensityError, density, density_source  # noqa: F401
from .fig17 import (  # noqa: F401
    ALTERNATIVES, STATEMENTS, Fig17Reproduction, compare_readings, fig17_curves, fig17_stack, reproduce_fig17,
)
from .rate import (  # noqa: F401
    RateCapability, conductivity_at, rate_capability, separator_asr_ohm_m2, stack_rate_capability,
)
from .stack import (  # noqa: F401
    MAH_PER_CM2, MAH_PER_G, Anode, Cathode, CellDesign, CellStack, Collector, Pouch, Separator, evaluate,
)
from .stackfile import StackFileError, example_files, load_stack, stack_from_dict  # noqa: F401
