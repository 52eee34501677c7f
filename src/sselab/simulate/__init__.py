"""Forward models that write realistic instrument files with known inputs (for tests, demos and benchmarks).

>>> from sselab.simulate import ArrheniusLaw, eis_blocking
>>> sim = eis_blocking(303.15, bulk=ArrheniusLaw(0.0054, 0.50))      # 0.054 mS/cm, 0.50 eV
>>> path = sim.write("cp_30C.mpt")                                   # doctest: +SKIP

:func:`generate_demo` writes the lithium-imide paper's study (Lowen et al., EES Batteries 2025) with ``cells.yaml``
and ``truth.json`` (``sselab demo``): every simulation input is a value the paper states (``sselab.materials.paper``)
and the currents stay within what the simulated pellets can carry.  Writers (:func:`write_mpt`,
:func:`write_zview`, :func:`write_csv`) take canonical SI DataFrames and convert to
each file's units.  All noise comes from a seeded :class:`numpy.random.Generator` (pass ``rng=`` a seed or a
Generator).
"""
from __future__ import annotations

from .circuits import BLOCKING, SYMMETRIC, closed_form, impedance
from .models import (CATHODES, ArrheniusLaw, Simulation, cv_plating_charges, cyclic_voltammetry, dc_polarization,
                     default_frequencies, eis_blocking, eis_symmetric, full_cell, ohmic_limit_current, pellet_area,
                     pellet_resistance, stripping_plating, symmetric_circuit)
from .writers import MPT_TECHNIQUES, write_csv, write_mpt, write_zview
from .demo import generate_demo, load_truth

__all__ = [
    "ArrheniusLaw", "Simulation", "eis_blocking", "eis_symmetric", "symmetric_circuit", "dc_polarization",
    "cyclic_voltammetry", "cv_plating_charges", "stripping_plating", "full_cell", "CATHODES", "default_frequencies",
    "pellet_area", "pellet_resistance", "ohmic_limit_current",
    "write_mpt", "write_zview", "write_csv", "MPT_TECHNIQUES", "closed_form", "impedance", "BLOCKING", "SYMMETRIC",
    "generate_demo", "load_truth",
]
