"""The results store: every analysis of a folder as tidy Parquet tables you can query with SQL.

::

    from sselab import store
    run = store.batch("measurements/", "results.store", jobs=2)          # or scheduler="tcp://host:8786"
    with store.open("results.store") as st:
        st.sql("SELECT subject, Ea_eV, Ea_eV_stderr FROM arrhenius")     # pandas DataFrame
        st.con                                                           # the DuckDB connection (views)
        st.results(recipe="eis.arrhenius")                               # RecipeResults back

Modules: :mod:`.schema` (tables and how a RecipeResult maps to them), :mod:`.layout` (files on disk, atomic
commits, compaction), :mod:`.reader` (DuckDB views), :mod:`sselab.batch` (incremental runs: local pool or Dask),
:mod:`.work` (units of work and the worker function), :mod:`.jobs` (the recipes' routing — the report's — as
units of work).  Needs the extra ``sselab[store]`` (duckdb, pyarrow); Dask clusters ``sselab[dask]``.
"""
from __future__ import annotations

from .layout import StoreError
from .work import Job

__all__ = ["open", "batch", "query", "Store", "StoreError", "Job", "BatchRun"]


def open(path):  # noqa: A001 - sselab.store.open(path), like other data libraries' open functions
    """Open a results store for reading: a :class:`~sselab.store.reader.Store` (DuckDB views, pandas frames,
    RecipeResults back)."""
    from .reader import Store

    return Store(path)


def query(path, sql: str):
    """One SQL query on a store, as a pandas DataFrame."""
    from .reader import query as _query

    return _query(path, sql)


def batch(folder, store, **kwargs):
    """Analyse ``folder`` into the store ``store``; see :func:`sselab.batch.batch`."""
    from ..batch import batch as _batch

    return _batch(folder, store, **kwargs)


def __getattr__(name):
    if name == "Store":
        from .reader import Store

        return Store
    if name == "BatchRun":
        from ..batch import BatchRun

        return BatchRun
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
