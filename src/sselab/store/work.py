"""Units of work and the function that executes one (in this process, a pool worker or a Dask worker).

A :class:`Job` names what to analyse: its input files, the parameters that decide the answer (cell, options) and
the units whose results it consumes (``after``).  A *router* — by default :mod:`sselab.store.jobs` (the recipes'
routing, :mod:`sselab.recipes.routing`, as the report runs it) — provides

* ``units_of_work(folder, manifest) -> list[Job]`` and
* ``run(job, measurements, upstream) -> list[RecipeResult]`` (``measurements``: path → Measurement of the inputs
  that could be read; ``upstream``: unit id → that unit's RecipeResults),
* optionally ``file_info(job, path) -> dict`` (``cell``, ``temperature_K`` for the ``files`` table) and
  ``ROUTER_VERSION`` (part of every key).

A router with ``READS_INPUTS = True`` reads its inputs itself in ``run`` (``measurements`` is then an empty dict it
may fill, for the rows-read figure) and gives the ``files`` rows itself: ``job.params["files_rows"]`` (rows without
the content columns, which :func:`execute_unit` fills from the hashes).  A ``run`` that raises an exception with a
``trace`` attribute keeps that traceback (a failure the router caught and reported in one line).

:func:`execute_unit` reads the inputs, calls ``run`` and turns the results into Arrow tables for the store.
"""
from __future__ import annotations

import importlib
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Job", "UnitOutput", "execute_unit", "resolve_router", "router_ref", "one_line"]


@dataclass(frozen=True)
class Job:
    """One unit of work.

    ``id``: stable across runs (``"eis.blocking:x.mpt"``, ``"file:eis/x.mpt"``, ``"eis.arrhenius:Li2NH"``) — the
    store keys rows and incremental bookkeeping on it.  ``kind``: a label (stored in ``units.kind``).  ``inputs``:
    absolute paths of the files (or folders) read (their content hashes are part of the key).  ``params``: JSON-able
    parameters that decide the answer (cell geometry, recipe options) — part of the key.  ``after``: ids of units
    whose results this one consumes (their keys are part of this key).  ``context``: what the worker needs to run
    the unit that is not part of its answer's identity (e.g. the manifest cells, where files are) — not in the key.
    """

    id: str
    kind: str = "unit"
    inputs: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_doc(self) -> dict:
        """JSON (a router that reuses its plan keeps its units this way)."""
        return {"id": self.id, "kind": self.kind, "inputs": list(self.inputs), "params": dict(self.params),
                "after": list(self.after), "context": dict(self.context)}

    @classmethod
    def from_doc(cls, d: Mapping) -> "Job":
        return cls(d["id"], d.get("kind", "unit"), tuple(d.get("inputs", ())), dict(d.get("params", {})),
                   tuple(d.get("after", ())), dict(d.get("context", {})))


@dataclass
class UnitOutput:
    """What a worker sends back: status, timing and the unit's rows as Arrow tables (by store table)."""

    unit_id: str
    status: str                      # ok | empty | error
    error: str | None
    traceback: str | None
    seconds: float
    worker: str
    tables: dict
    n_results: int = 0
    n_items: int = 0                 # data rows read (for throughput figures)
    warnings: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0         # CPU time of the worker process on this unit
    peak_rss_bytes: int | None = None  # the worker process's peak resident memory so far


def one_line(exc: BaseException) -> str:
    from ..errors import SselabError

    msg = " ".join(str(exc).split())
    if isinstance(exc, SselabError):
        return msg or type(exc).__name__
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


_ROUTERS: dict[str, Any] = {}


def router_ref(router) -> str:
    """``"module"`` or ``"module:attr"`` naming a router importable on every worker."""
    if router is None:
        return "sselab.store.jobs"
    if isinstance(router, str):
        return router
    if hasattr(router, "__name__") and hasattr(router, "__spec__"):    # a module
        return router.__name__
    mod = getattr(router, "__module__", None)
    if mod:
        m = importlib.import_module(mod)
        for name, obj in vars(m).items():
            if obj is router:
                return f"{mod}:{name}"
    from ..errors import SselabError

    raise SselabError("router: give a module or a 'module:attribute' name importable by the workers")


def resolve_router(ref: str):
    r = _ROUTERS.get(ref)
    if r is None:
        mod, _, attr = ref.partition(":")
        r = importlib.import_module(mod)
        if attr:
            r = getattr(r, attr)
        _ROUTERS[ref] = r
    return r


def _rel(path: str, source: str | None) -> str:
    if source:
        try:
            return Path(path).relative_to(source).as_posix()
        except ValueError:
            pass
    return str(path)


def _file_row(job: Job, path: str, source, hashes: Mapping, router) -> tuple[dict, Any]:
    """The ``files`` row of one input and its Measurement (None when it cannot be read)."""
    from ..io import read

    h = hashes.get(path) or (None, None, None)
    row = {"unit_id": job.id, "path": _rel(path, source), "sha256": h[2], "size_bytes": h[0],
           "mtime": (h[1] / 1e9) if h[1] is not None else None, "status": "ok", "error": None, "warnings": []}
    m = None
    try:
        if h[2] is None:
            raise FileNotFoundError(2, "not found", path)
        m = read(path)
        if len(m) == 0:
            raise ValueError("no data rows")
        tech = m.technique or "unknown"
        if tech == "unknown" and m.is_eis:
            tech = "EIS"
        row.update(format=m.format, technique=tech, instrument=m.instrument, software_version=m.software_version,
                   start_time=m.start_time, temperature_K=m.temperature_K, rows=len(m),
                   warnings=[str(w) for w in m.warnings])
    except Exception as exc:  # one bad file is a row with its error, never the end of the run
        m = None
        msg = one_line(exc) if not isinstance(exc, FileNotFoundError) else "no such file"
        name = Path(path).name
        row.update(status="error", error=msg if name in msg else f"{name}: {msg}")
    extra = getattr(router, "file_info", None)
    if extra is not None:
        for k, v in (extra(job, path) or {}).items():
            if k in ("cell", "temperature_K") and v is not None:
                row[k] = v
    return row, m


def _given_file_row(job: Job, row: Mapping, source, hashes: Mapping) -> dict:
    """A ``files`` row the router made while planning, with the content columns (hash, size, mtime) of its file."""
    path = row.get("input")
    if path and source and not os.path.isabs(path):
        path = os.path.join(source, path)
    h = hashes.get(path) or (None, None, None)
    out = {k: v for k, v in row.items() if k != "input"}
    out.update(unit_id=job.id, sha256=h[2], size_bytes=h[0], mtime=(h[1] / 1e9) if h[1] is not None else None)
    out.setdefault("path", _rel(path, source) if path else None)
    return out


class _quiet:
    """numpy RuntimeWarnings of odd data are not the user's business (problems become flags); every other
    Python warning raised while a unit runs is kept and reported with the unit."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings(record=True)
        self.caught = self._w.__enter__()
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", RuntimeWarning)
        return self

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
        return False


def execute_unit(job: Job, router: str, source: str | None, hashes: Mapping, upstream: Mapping,
                 figures: bool = True) -> UnitOutput:
    """Run one unit: read its inputs, call the router's ``run``, return its rows as Arrow tables.

    ``upstream``: unit id → list of RecipeResult JSON documents (the results of the units in ``job.after``).
    Never raises for a problem of the data: a failing unit comes back with ``status="error"`` and one line.
    """
    from ..errors import SselabError
    from ..recipes import RecipeResult
    from . import schema

    t0, c0 = time.perf_counter(), time.process_time()
    r = resolve_router(router)
    rows: dict[str, list] = {"files": []}
    measurements: dict = {}
    own = bool(getattr(r, "READS_INPUTS", False))
    if own:             # the router reads its inputs in run; the files rows come with the job
        rows["files"] = [_given_file_row(job, row, source, hashes) for row in job.params.get("files_rows", ())]
    else:
        for path in job.inputs:
            frow, m = _file_row(job, path, source, hashes, r)
            rows["files"].append(frow)
            if m is not None:
                measurements[path] = m
    status, error, tb, results, caught = "ok", None, None, [], []
    try:
        up = {u: [RecipeResult.from_json(j) for j in docs] for u, docs in upstream.items()}
        with _quiet() as q:
            results = list(r.run(job, measurements, up) or [])
        caught = [f"{w.category.__name__}: {w.message}" for w in q.caught]
        if not results:
            status = "empty"
            bad = [row["error"] for row in rows["files"] if row["status"] == "error"]
            if bad and len(bad) == len(rows["files"]):     # nothing could be read: the unit failed
                status, error = "error", bad[0] if len(bad) == 1 else f"{bad[0]} (and {len(bad) - 1} more files)"
            elif own and rows["files"] and job.params.get("analysed"):
                status = "ok"           # a file unit: its file is read and analysed by the recipe units
    except Exception as exc:  # the unit failed: one line for people, the traceback for bugs
        status, error = "error", one_line(exc)
        tb = getattr(exc, "trace", None)
        if tb is None and not isinstance(exc, SselabError):
            tb = traceback.format_exc()
        results = []
    for k, res in enumerate(results):
        for table, trs in schema.result_rows(job.id, k, res, figures=figures).items():
            rows.setdefault(table, []).extend(trs)
    tables = {t: schema.to_arrow(t, trs) for t, trs in rows.items() if trs}
    return UnitOutput(job.id, status, error, tb, time.perf_counter() - t0,
                      f"{socket.gethostname()}:{os.getpid()}", tables, n_results=len(results), n_items=sum(len(m) for m in measurements.values()),
                      warnings=list(dict.fromkeys(caught)), cpu_seconds=time.process_time() - c0,
                      peak_rss_bytes=_peak_rss())


def _peak_rss() -> int | None:
    try:
        import resource
        import sys

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(kb if sys.platform == "darwin" else kb * 1024)
    except (ImportError, OSError):     # no resource module (Windows)
        return None
