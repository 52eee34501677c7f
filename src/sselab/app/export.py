"""Exports of what the user did in the app: the fit as JSON (settings + the recipe's result) and a short runnable
Python script that calls the same sselab recipe with the same options (so the number can be reproduced without the
app)."""
from __future__ import annotations

import json
import pprint
from pathlib import Path

from ..results import jsonable

__all__ = ["export_json", "export_script"]


def export_json(rel: str, recipe: str, options: dict, result, *, cell=None, temperature_K=None,
                settings_file=None) -> str:
    """One JSON document: the file, the recipe, the options the user chose, the cell and the recipe's result
    (``RecipeResult.to_dict``, values with units and errors, flags, tables)."""
    doc = {"file": rel, "recipe": recipe, "options": jsonable(options or {}),
           "temperature_K": temperature_K, "cell": cell.name if cell is not None else None,
           "settings_file": str(settings_file) if settings_file else None,
           "result": result.to_dict() if result is not None else None}
    return json.dumps(doc, indent=1, allow_nan=False, ensure_ascii=False)


def _literal(obj) -> str:
    return pprint.pformat(jsonable(obj), width=100, sort_dicts=False)


def export_script(path, recipe: str, options: dict, *, manifest=None, cell_name=None, temperature_K=None,
                  spectrum=None) -> str:
    """A short Python script reproducing one recipe run: reads the file, takes the cell from the manifest, runs
    ``recipe`` with ``options`` and prints the result (values with units, flags first)."""
    path = Path(path).resolve()
    kw = {k: v for k, v in (options or {}).items() if v is not None}
    if temperature_K is not None:
        kw["temperature_K"] = float(temperature_K)
    if spectrum is not None:
        kw["spectrum"] = int(spectrum)
    lines = ['"""Reproduces an analysis made in `sselab app` (run: python this_file.py)."""',
             "from sselab import recipes",
             "from sselab.io import read", ""]
    if manifest is not None and cell_name is not None:
        lines += ["from sselab.cell import load_manifest", "",
                  f"cell = load_manifest({str(Path(manifest).resolve())!r}, check_files=False).cell({cell_name!r})"]
    else:
        lines += ["cell = None  # no manifest cell: no geometry (resistances only)"]
    lines += [f"measurement = read({str(path)!r})",
              f"options = {_literal(kw)}",
              f"result = recipes.get({recipe!r}).run([measurement], cell, **options)",
              "print(result)", ""]
    return "\n".join(lines)
