"""Galvanostatic cycling: Li|SSE|Li stripping/plating ladders and full cells (issue 6).

>>> from sselab.cycling import segment, analyze_symmetric, analyze_full_cell
>>> res = analyze_symmetric(measurement, area_m2=0.7854e-4)        # doctest: +SKIP
>>> res.hard_short, res.ccd_A_per_m2, res.steps[0].r_slope_ohm_m2_per_h   # doctest: +SKIP

* :func:`segment` — half cycles, rests and current steps from the current signal alone (vectorised);
* :func:`analyze_symmetric` — per-half-cycle overpotential/resistance, ladder steps with drift slopes, totals
  (hours, cycles, charge, equivalent Li thickness), hard/soft short detection with reasons, CCD;
* :func:`analyze_full_cell` — capacity (C/kg, C/m²), coulombic efficiency, energy, mean voltage, retention, EOL;
* :mod:`sselab.cycling.plots` — Fig. 3a-style ladder, resistance vs cycle, capacity/CE vs cycle, profiles.
"""
from .fullcell import FullCellResult, analyze_full_cell
from .segment import Segmentation, decimate_minmax, segment
from .symmetric import (LI_DENSITY_KG_PER_M3, LI_MOLAR_MASS_KG_PER_MOL, LadderStep, ShortEvent, SymmetricResult,
                        analyze_symmetric, li_thickness_m)

__all__ = ["segment", "Segmentation", "decimate_minmax", "analyze_symmetric", "SymmetricResult", "LadderStep",
           "ShortEvent", "analyze_full_cell", "FullCellResult", "li_thickness_m", "LI_DENSITY_KG_PER_M3",
           "LI_MOLAR_MASS_KG_PER_MOL"]
