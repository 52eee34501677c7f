"""The store's tables, and how a :class:`~sselab.recipes.RecipeResult` becomes rows in them — in one place.

Every table carries the identity columns ``unit_id`` (the unit of work that produced the row) and, for rows that
come from a result, ``result`` (the index of the result within its unit), ``recipe`` and ``subject``.

Core tables (fixed columns, :data:`CORE`):

* ``units``   — one row per unit of work: its key (content hashes + sselab version + options), status
  (``ok`` / ``empty`` / ``error``), one-line error (and the traceback of an unexpected one), Python warnings,
  rows read, seconds (wall and CPU), the worker process's peak memory so far, worker;
* ``files``   — one row per (unit, input file): relative path, SHA-256, size, mtime, format, technique, instrument,
  software version, start time, temperature, rows, cell, status and one-line error, reader warnings;
* ``results`` — one row per RecipeResult: recipe, subject, inputs, options, and the full JSON (``to_json()``,
  without figures) that :meth:`RecipeResult.from_json` reads back;
* ``figures`` — the figure arrays of each result (JSON), so a report can be drawn from the store;
* ``values``  — one row per :class:`~sselab.recipes.Value`: key (with its unit), value (DOUBLE; ``value_text`` for
  text or non-finite values), unit, stderr, bound, ci95, label, display unit, where, note;
* ``flags``   — one row per :class:`~sselab.recipes.Flag`.

Summary tables: one *wide* row per result in the summary table of its recipe (:func:`summary_table_for`:
:data:`RECIPE_TABLES` for the built-in recipes — ``eis`` (``eis.blocking``, ``eis.symmetric``), ``eis_series``,
``eis_overlay``, ``drt``, ``arrhenius`` (``eis.arrhenius``), ``arrhenius_compare``, ``dcpol``, ``dcpol_pair``,
``cv``, ``cycling`` (``cycling.symmetric``, ``cycling.full``), ``xrd``, ``operando``, ``nmr_lines`` —, else the
family part of the name, :data:`SUMMARY_TABLES`, else the recipe name with ``_`` for ``.``) with a column per value
key (``Ea_eV``), ``<key>_stderr`` where any value has an error and ``<key>_bound`` where any is a bound, so
``SELECT subject, Ea_eV FROM arrhenius`` works.

Recipe tables: each :class:`~sselab.recipes.RecipeTable` goes to the store table named by its recipe's summary table
and its own name (``cv`` + ``cycles`` → ``cv_cycles``, ``arrhenius`` + ``points`` → ``arrhenius_points``, ``drt`` +
``peaks`` → ``drt_peaks``; a name that already starts with the summary table's, or a well-known one, is kept), its
columns named with their units, plus the identity columns and ``row``.  :data:`TABLE_ALIASES` renames; a name taken
by a core or summary table gets the suffix ``_rows``.  Well-known recipe tables (:data:`KNOWN_TABLES`):

* ``fits``      — the fitted circuit parameters of the single-spectrum impedance recipes (``eis.blocking``,
  ``eis.symmetric``: their ``parameters`` tables): one row per spectrum and parameter, ``parameter``, ``value``,
  ``stderr``, ``unit``, ``note`` (the spectrum is the row's ``subject``, its file in ``results.inputs``);
* ``drt_peaks`` — one row per spectrum and DRT peak (``eis.drt``: ``label``, ``T_K``, ``peak``, ``tau_s``, ``R_ohm``,
  ``C_F`` …).

Column types: identity and :data:`TYPED_COLUMNS` have fixed types; other columns are typed from their values
(integers → BIGINT, numbers → DOUBLE, booleans → BOOLEAN, text → VARCHAR, lists/mappings → JSON text); a column
that is text in some rows and numbers in others is VARCHAR.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Mapping

__all__ = ["CORE", "SUMMARY_TABLES", "TABLE_ALIASES", "KNOWN_TABLES", "TYPED_COLUMNS", "summary_table_for",
           "recipe_table_name", "result_rows", "to_arrow", "unify_schemas", "conform", "empty_table",
           "STORE_FORMAT", "IDENTITY"]

#: bumped when the layout or the meaning of a column changes (part of every unit's key: a new format re-runs)
STORE_FORMAT = 1


def _pa():
    from .layout import require_pyarrow

    return require_pyarrow()


def _types():
    pa = _pa()
    return {"string": pa.string(), "int64": pa.int64(), "int32": pa.int32(), "float64": pa.float64(),
            "bool": pa.bool_(), "list<string>": pa.list_(pa.string()), "timestamp": pa.timestamp("us")}


#: identity columns of rows that come from a result
IDENTITY = (("unit_id", "string"), ("result", "int32"), ("recipe", "string"), ("subject", "string"))

CORE: dict[str, tuple[tuple[str, str], ...]] = {
    "units": (("unit_id", "string"), ("kind", "string"), ("key", "string"), ("inputs", "list<string>"),
              ("after", "list<string>"), ("status", "string"), ("error", "string"), ("n_results", "int64"),
              ("n_rows_read", "int64"), ("warnings", "list<string>"), ("traceback", "string"),
              ("seconds", "float64"), ("cpu_seconds", "float64"), ("peak_rss_bytes", "int64"),
              ("worker", "string"), ("sselab_version", "string")),
    "files": (("unit_id", "string"), ("path", "string"), ("sha256", "string"), ("size_bytes", "int64"),
              ("mtime", "timestamp"), ("format", "string"), ("technique", "string"), ("instrument", "string"),
              ("software_version", "string"), ("start_time", "timestamp"), ("temperature_K", "float64"),
              ("rows", "int64"), ("cell", "string"), ("status", "string"), ("error", "string"),
              ("warnings", "list<string>")),
    "results": IDENTITY + (("inputs", "list<string>"), ("options_json", "string"), ("sselab_version", "string"),
                           ("ok", "bool"), ("n_values", "int64"), ("n_flags", "int64"), ("json", "string")),
    "figures": IDENTITY + (("json", "string"),),
    "values": IDENTITY + (("key", "string"), ("value", "float64"), ("value_text", "string"), ("unit", "string"),
                          ("stderr", "float64"), ("bound", "string"), ("ci95_low", "float64"),
                          ("ci95_high", "float64"), ("label", "string"), ("display_unit", "string"),
                          ("where", "string"), ("note", "string")),
    "flags": IDENTITY + (("code", "string"), ("severity", "string"), ("message", "string"), ("where", "string")),
}

#: built-in recipe → its summary table (the rest: :data:`SUMMARY_TABLES`, else the recipe name)
RECIPE_TABLES: dict[str, str] = {
    "eis.blocking": "eis", "eis.symmetric": "eis", "eis.series": "eis_series", "eis.overlay": "eis_overlay",
    "eis.drt": "drt", "eis.arrhenius": "arrhenius", "eis.arrhenius.compare": "arrhenius_compare",
    "dcpol": "dcpol", "dcpol.pair": "dcpol_pair", "cv": "cv", "cycling.symmetric": "cycling",
    "cycling.full": "cycling", "xrd.pattern": "xrd", "operando": "operando", "nmr.lines": "nmr_lines",
}

#: recipe family (a part of the recipe name, matched from the right) → summary table
SUMMARY_TABLES: dict[str, str] = {
    "eis": "eis", "impedance": "eis",
    "arrhenius": "arrhenius",
    "dcpol": "dcpol", "polarization": "dcpol", "polarisation": "dcpol",
    "cv": "cv", "voltammetry": "cv",
    "cycling": "cycling", "ladder": "cycling", "stripping": "cycling", "symmetric_cycling": "cycling",
    "fullcell": "cycling", "full_cell": "cycling",
}

#: store-table name of a recipe table: by (summary table, table name), then by table name
TABLE_ALIASES: dict = {("eis", "parameters"): "fits", "fit": "fits", "eis_fits": "fits"}

#: well-known recipe tables: columns front-ends may rely on (more may be present)
KNOWN_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "fits": (("row", "int64"), ("parameter", "string"), ("value", "float64"), ("stderr", "float64"),
             ("unit", "string"), ("note", "string")),
    "drt_peaks": (("row", "int64"), ("label", "string"), ("T_K", "float64"), ("peak", "int64"), ("tau_s", "float64"),
                  ("R_ohm", "float64"), ("C_F", "float64")),
}

#: columns with a fixed type wherever they appear in a recipe table
TYPED_COLUMNS: dict[str, str] = {
    "row": "int64", "spectrum": "int64", "cycle": "int64", "step": "int64", "peak": "int64", "half_cycle": "int64",
    "n_points": "int64", "file": "string", "circuit": "string", "param": "string", "unit": "string",
    "material": "string", "cell": "string", "T_K": "float64", "value": "float64", "stderr": "float64",
}

_RESERVED = set(CORE) | set(SUMMARY_TABLES.values()) | set(RECIPE_TABLES.values())
_IDENT = re.compile(r"[^A-Za-z0-9_]+")


def _ident(name: str) -> str:
    s = _IDENT.sub("_", str(name)).strip("_") or "table"
    return "t_" + s if s[0].isdigit() else s


def summary_table_for(recipe: str) -> str:
    """The summary table of a recipe: :data:`RECIPE_TABLES` (``"eis.arrhenius"`` → ``"arrhenius"``), else its family
    (``"transport.dcpol"`` → ``"dcpol"``), else its name (``"gitt.fit"`` → ``"gitt_fit"``)."""
    if recipe in RECIPE_TABLES:
        return RECIPE_TABLES[recipe]
    if recipe in SUMMARY_TABLES:
        return SUMMARY_TABLES[recipe]
    for part in reversed(str(recipe).split(".")):
        if part in SUMMARY_TABLES:
            return SUMMARY_TABLES[part]
    return _ident(str(recipe).replace(".", "_")).lower()


def recipe_table_name(table_name: str, recipe: str | None = None) -> str:
    """The store table a RecipeTable called ``table_name`` of ``recipe`` goes to (see the module docstring)."""
    prefix = summary_table_for(recipe) if recipe else None
    name = TABLE_ALIASES.get((prefix, table_name)) or TABLE_ALIASES.get(table_name)
    if name is None:
        name = _ident(table_name)
        if prefix and name not in KNOWN_TABLES and not name.lower().startswith(prefix + "_") \
                and name.lower() != prefix:
            name = f"{prefix}_{name}"
    name = _ident(name)
    reserved = _RESERVED | ({prefix} if prefix else set())
    return name + "_rows" if name.lower() in reserved else name


# ---------------------------------------------------------------------------------------------------------------
# RecipeResult → rows
# ---------------------------------------------------------------------------------------------------------------

def _finite(x) -> float | None:
    if x is None or isinstance(x, (str, bytes)):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _cell(x):
    """A table cell as a plain Python scalar (numpy scalars unwrapped, containers as JSON text)."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    item = getattr(x, "item", None)
    if callable(item) and getattr(x, "ndim", 0) == 0:
        return x.item()
    if isinstance(x, (list, tuple, dict)):
        from ..results import jsonable

        return json.dumps(jsonable(x), allow_nan=False)
    return str(x)


def result_rows(unit_id: str, index: int, res, *, figures: bool = True) -> dict[str, list[dict]]:
    """The rows one RecipeResult contributes, by store table."""
    from .. import __version__

    ident = {"unit_id": unit_id, "result": index, "recipe": res.recipe, "subject": res.subject}
    out: dict[str, list[dict]] = {}
    d = res.to_dict(figures=False)
    out["results"] = [{**ident, "inputs": [str(p) for p in res.inputs],
                       "options_json": json.dumps(d["options"], sort_keys=True, allow_nan=False),
                       "sselab_version": res.sselab_version or __version__, "ok": bool(res.ok),
                       "n_values": len(res.values), "n_flags": len(res.flags),
                       "json": json.dumps(d, allow_nan=False, sort_keys=True)}]
    if figures and res.figures:
        from ..results import jsonable

        out["figures"] = [{**ident, "json": json.dumps(jsonable(dict(res.figures)), allow_nan=False)}]
    vals = []
    for v in res.values:
        num = None if isinstance(v.value, str) else _finite(v.value)
        text = None
        if isinstance(v.value, bool):
            text = "true" if v.value else "false"
        elif num is None and v.value is not None:
            text = str(v.value)
        ci = v.ci95 if v.ci95 is not None else (None, None)
        vals.append({**ident, "key": v.key, "value": num, "value_text": text, "unit": v.unit,
                     "stderr": _finite(v.stderr), "bound": v.bound, "ci95_low": _finite(ci[0]),
                     "ci95_high": _finite(ci[1]), "label": v.label, "display_unit": v.display_unit,
                     "where": v.where, "note": v.note})
    out["values"] = vals
    if res.flags:
        out["flags"] = [{**ident, "code": f.code, "severity": f.severity, "message": f.message, "where": f.where}
                        for f in res.flags]
    summ = summary_table_for(res.recipe)
    if summ:
        row: dict[str, Any] = {**ident, "inputs": json.dumps([str(p) for p in res.inputs])}
        for v in res.values:
            key = _ident(v.key)
            if key in row:
                continue
            row[key] = v.value if isinstance(v.value, (str, bool)) else (_finite(v.value) if v.value is not None
                                                                          else None)
            if v.stderr is not None:
                row[key + "_stderr"] = _finite(v.stderr)
            if v.bound is not None:
                row[key + "_bound"] = v.bound
        out.setdefault(summ, []).append(row)
    for t in res.tables:
        name = recipe_table_name(t.name, res.recipe)
        cols = [_ident(c) for c in t.columns]
        rows = out.setdefault(name, [])
        start = len(rows)
        for k, r in enumerate(t.rows):
            rec = dict(ident)
            rec["row"] = start + k
            for c, x in zip(cols, r):
                if c in ident or c == "row":
                    c = c + "_"
                rec[c] = _cell(x)
            rows.append(rec)
    return out


# ---------------------------------------------------------------------------------------------------------------
# rows → Arrow
# ---------------------------------------------------------------------------------------------------------------

def _fixed_types(table: str) -> dict[str, str]:
    if table in CORE:
        return dict(CORE[table])
    t = dict(IDENTITY)
    t.update(TYPED_COLUMNS)
    t.update(dict(KNOWN_TABLES.get(table, ())))
    return t


def _infer(values: Iterable) -> str:
    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, int):
            kinds.add("int64")
        elif isinstance(v, float):
            kinds.add("float64")
        else:
            kinds.add("string")
    if not kinds:
        return "null"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"int64", "float64", "bool"}:
        return "float64"
    return "string"


def _coerce(values: list, typ: str) -> list:
    if typ == "float64":
        return [None if v is None else _finite(v) if not isinstance(v, str) else _finite(_maybe(v)) for v in values]
    if typ == "int64":
        out = []
        for v in values:
            if v is None or isinstance(v, str):
                out.append(None if v is None else int(v))
            else:
                f = _finite(v)
                out.append(None if f is None else int(round(f)))
        return out
    if typ == "string":
        return [None if v is None else v if isinstance(v, str) else
                ("true" if v is True else "false" if v is False else repr(v) if isinstance(v, float) else str(v))
                for v in values]
    if typ == "bool":
        return [None if v is None else bool(v) for v in values]
    return values


def _maybe(s: str):
    try:
        return float(s)
    except ValueError:
        return None


def to_arrow(table: str, rows: list[Mapping]):
    """A pyarrow Table of ``rows`` for store table ``table`` (fixed types for known columns, inferred otherwise)."""
    pa = _pa()
    types = _types()
    fixed = _fixed_types(table)
    names: list[str] = [c for c, _ in CORE[table]] if table in CORE else []
    seen = set(names)
    for r in rows:
        for c in r:
            if c not in seen:
                seen.add(c)
                names.append(c)
    arrays, fields = [], []
    for c in names:
        col = [r.get(c) for r in rows]
        inferred = _infer(col)
        typ = fixed.get(c) or inferred
        if typ in ("float64", "int64", "bool") and inferred == "string" and table not in CORE:
            typ = "string"     # text where numbers were expected: keep the text rather than lose it
        if typ == "null":
            arrays.append(pa.nulls(len(rows)))
            fields.append(pa.field(c, pa.null()))
            continue
        if typ in ("float64", "int64", "string", "bool"):
            col = _coerce(col, typ)
        elif typ == "timestamp":
            col = [_timestamp(v) for v in col]
        arrays.append(pa.array(col, type=types[typ]))
        fields.append(pa.field(c, types[typ]))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _timestamp(v):
    from datetime import datetime, timezone

    if v is None:
        return None
    if isinstance(v, (int, float)):
        return datetime.fromtimestamp(float(v), tz=timezone.utc).replace(tzinfo=None)
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v)
        except ValueError:
            return None
    if getattr(v, "tzinfo", None) is not None:
        v = v.astimezone(timezone.utc).replace(tzinfo=None)
    return v


def empty_table(table: str):
    """A zero-row table with the columns the store promises for ``table`` (core, known or identity only)."""
    pa = _pa()
    types = _types()
    if table in CORE:
        cols = CORE[table]
    else:
        cols = IDENTITY + tuple(c for c in KNOWN_TABLES.get(table, ()) if c[0] not in dict(IDENTITY))
    return pa.schema([pa.field(c, types[t]) for c, t in cols]).empty_table()


def unify_schemas(schemas: list):
    """One schema for several parts of a table: the union of their columns (in first-seen order); a column whose
    types differ becomes DOUBLE when all are numeric, else VARCHAR; a null-typed column takes the other type."""
    pa = _pa()
    order: list[str] = []
    types: dict[str, set] = {}
    for s in schemas:
        for f in s:
            if f.name not in types:
                order.append(f.name)
                types[f.name] = set()
            types[f.name].add(f.type)
    fields = []
    for name in order:
        ts = {t for t in types[name] if not pa.types.is_null(t)}
        if not ts:
            t = pa.null()
        elif len(ts) == 1:
            t = ts.pop()
        elif all(pa.types.is_integer(x) or pa.types.is_floating(x) or pa.types.is_boolean(x) for x in ts):
            t = pa.float64()
        else:
            t = pa.string()
        fields.append(pa.field(name, t))
    return pa.schema(fields)


def conform(table, schema):
    """``table`` with exactly the columns of ``schema`` (missing ones null, types cast)."""
    pa = _pa()
    import pyarrow.compute as pc

    n = table.num_rows
    arrays = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            if col.type != f.type:
                if pa.types.is_string(f.type) and not pa.types.is_string(col.type):
                    if pa.types.is_null(col.type):
                        col = pa.nulls(n, pa.string())
                    else:
                        col = pc.cast(col, pa.string())
                else:
                    col = col.cast(f.type)
            arrays.append(col)
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
