"""Impedance spectroscopy: equivalent circuits, fitting (single and vectorised batch), Lin-KK validation,
derived quantities (σ, ASR, effective capacitances) and plots.

>>> from sselab.eis import Circuit, fit, fit_batch, lin_kk
"""
from .circuit import Circuit, CircuitError
from .fitting import FitResult, fit, fit_batch, initial_guesses

__all__ = ["Circuit", "CircuitError", "FitResult", "fit", "fit_batch", "initial_guesses", "lin_kk", "KKResult"]


def __getattr__(name):
    if name in ("lin_kk", "KKResult"):
        from . import kk

        return getattr(kk, name)
    raise AttributeError(name)
