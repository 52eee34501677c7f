"""Impedance of the equivalent circuits used by the simulators — the same evaluator the analysis fits with.

Circuit strings follow the impedance.py / :mod:`sselab.eis` convention: ``-`` joins elements in series, ``p(a,b)``
in parallel; the element types (R, C, L, CPE, W, Ws, Wo, G, TLMQ …), their parameters (``R0``, ``CPE1_Q``,
``CPE1_alpha``, ``Wo1_tau`` …) and SI units come from the element registry :mod:`sselab.eis.elements`.  There is
no second parser here: :func:`impedance` is :meth:`sselab.eis.Circuit.impedance`, so a simulated spectrum and a fit
of it use one implementation (checked against impedance.py in the tests).
"""
from __future__ import annotations

import numpy as np

__all__ = ["closed_form", "impedance", "BLOCKING", "SYMMETRIC"]

#: Au|SSE|Au: lead resistance, bulk arc, grain-boundary arc, blocking electrode spike
BLOCKING = "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"
#: Li|SSE|Li: lead resistance, bulk arc, grain-boundary arc, Li|SSE interface arc (non-blocking)
SYMMETRIC = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)"


def impedance(circuit: str, f, params: dict) -> np.ndarray:
    """Impedance (complex, mathematical sign) of ``circuit`` at frequencies ``f`` (Hz) for ``params`` (SI dict;
    entries the circuit does not use are ignored, so one parameter set can serve several circuits).
    Errors (unknown element, missing parameter) are one-line :class:`sselab.eis.CircuitError`."""
    from ..eis.circuit import Circuit

    c = Circuit(circuit)
    used = {k: v for k, v in dict(params).items() if k in c.param_names}
    return np.asarray(c.impedance(np.asarray(f, float), used), dtype=complex)


#: former name of :func:`impedance` (there used to be a separate closed-form evaluator; kept for callers)
closed_form = impedance
