"""Recipes: one function per measurement kind, the only place where analysis decisions are made.

Front-ends (``sselab`` CLI commands, the HTML report, the app, ``sselab batch``) call a recipe and format its
:class:`RecipeResult`; they make no scientific decisions of their own.  See :mod:`sselab.recipes.base` for the
contract and docs/CONVENTIONS.md ("Adding a recipe")::

    from sselab import recipes
    res = recipes.get("eis.blocking").run([measurement], cell)
    print(res)                       # values with units and ±, then the flags
    res["sigma_S_per_m"].value, res.to_json()
"""
from __future__ import annotations

from .base import (FigureOut, Flag, RecipeError, RecipeResult, RecipeSpec, RecipeTable, Value, get, names, register,
                   specs)

__all__ = ["FigureOut", "Flag", "RecipeError", "RecipeResult", "RecipeSpec", "RecipeTable", "Value", "get", "names",
           "register", "specs"]

#: modules defining the built-in recipes (imported on first use of the registry)
_BUILTIN: tuple[str, ...] = ("eis", "arrhenius", "transport", "voltammetry", "cycling", "xrd", "nmr", "operando", "drt",
                             "compare", "nmr_lines")


def _load_builtin() -> None:
    import importlib

    for mod in _BUILTIN:
        importlib.import_module(f".{mod}", __name__)
