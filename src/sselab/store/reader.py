"""Reading a store: DuckDB views over the committed Parquet files, pandas frames, and RecipeResults back."""
from __future__ import annotations

import json
from pathlib import Path

from .layout import StoreError, read_state, require_duckdb, require_pyarrow

__all__ = ["Store", "open_store", "query"]


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    return " ".join(lines[0].split()) if lines else type(exc).__name__


class Store:
    """A read-only view of a results store.

    ``store.sql("SELECT …")`` → pandas DataFrame; ``store.con`` is the DuckDB connection (every table is a view:
    ``store.con.sql("SELECT * FROM fits").pl()`` gives a polars frame when polars is installed);
    ``store.table("values")``; ``store.tables()`` → ``{name: rows}``; ``store.results(recipe=…, subject=…)`` →
    the stored :class:`~sselab.recipes.RecipeResult` objects (with their figure data).  Views see the last
    committed state of the store; :meth:`refresh` picks up a newer one.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._duckdb = require_duckdb()
        require_pyarrow()
        self.con = self._duckdb.connect(":memory:")
        self.state = None
        self._empty: list[str] = []
        self.refresh()

    # -- views --------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """(Re)build the views from the store's committed manifest."""
        from . import schema

        state = read_state(self.path)
        names = (set(state.tables()) | set(schema.CORE) | set(schema.SUMMARY_TABLES.values())
                 | set(schema.RECIPE_TABLES.values()) | set(schema.KNOWN_TABLES))
        for name in self._empty:
            try:
                self.con.unregister(f"__empty_{name}")
            except Exception:  # noqa: BLE001 - not registered
                pass
        self._empty = []
        for name in sorted(names):
            files = state.table_files(name)
            if files:
                lst = "[" + ", ".join(_sql_str(str(self.path / f)) for f in files) + "]"
                self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM "
                                 f"read_parquet({lst}, union_by_name = true)")
            else:
                reg = f"__empty_{name}"
                self.con.register(reg, schema.empty_table(name))
                self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM {_ident(reg)}")
                self._empty.append(name)
        self.state = state

    # -- queries ------------------------------------------------------------------------------------------------
    def _run(self, sql: str, params=None):
        duckdb = self._duckdb
        for attempt in (0, 1):
            try:
                return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
            except duckdb.IOException as exc:
                if attempt == 0:           # a writer replaced segments since the views were built: once more
                    self.refresh()
                    continue
                raise StoreError(f"query: {_one_line(exc)}") from None
            except duckdb.Error as exc:
                raise StoreError(f"query: {_one_line(exc)}") from None
        raise AssertionError("unreachable")

    def sql(self, sql: str, params=None):
        """Run one SQL statement; the result as a pandas DataFrame (one-line :class:`StoreError` on bad SQL)."""
        return self._run(sql, params).df()

    def rows(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        """Column names and rows (plain Python values) of a query."""
        cur = self._run(sql, params)
        cols = [d[0] for d in cur.description] if cur.description else []
        return cols, cur.fetchall()

    def table(self, name: str):
        if name not in self.tables():
            raise StoreError(f"{self.path}: no table {name!r} (has: {', '.join(sorted(self.tables()))})")
        return self.sql(f"SELECT * FROM {_ident(name)}")

    def tables(self) -> dict[str, int]:
        """Every table (view) with its number of rows."""
        out = {}
        names = [r[0] for r in self.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name NOT LIKE '__empty_%' "
            "ORDER BY view_name").fetchall()]
        for n in names:
            out[n] = int(self.con.execute(f"SELECT count(*) FROM {_ident(n)}").fetchone()[0])
        return out

    def columns(self, name: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE {_ident(name)}").fetchall()]

    # -- RecipeResults back -------------------------------------------------------------------------------------
    def results(self, recipe: str | None = None, subject: str | None = None, unit: str | None = None) -> list:
        """The stored RecipeResults (``from_dict`` of their JSON, figure data included), in unit order."""
        from ..recipes import RecipeResult

        where, params = [], []
        for col, val in (("r.recipe", recipe), ("r.subject", subject), ("r.unit_id", unit)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        w = (" WHERE " + " AND ".join(where)) if where else ""
        _, rows = self.rows("SELECT r.json, f.json FROM results r LEFT JOIN figures f "
                            "ON f.unit_id = r.unit_id AND f.result = r.result" + w +
                            " ORDER BY r.unit_id, r.result", params)
        out = []
        for rj, fj in rows:
            d = json.loads(rj)
            if fj:
                d["figures"] = json.loads(fj)
            out.append(RecipeResult.from_dict(d))
        return out

    # -- housekeeping -------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        n = len(self.state.units) if self.state else 0
        return f"<sselab Store {self.path} ({n} units)>"


def open_store(path) -> Store:
    """Open the results store at ``path`` for reading (see :class:`Store`)."""
    return Store(path)


def query(path, sql: str):
    """One SQL query on a store, as a pandas DataFrame."""
    with Store(path) as st:
        return st.sql(sql)
