"""What ``sselab batch`` analyses: the recipes' routing — the same as the HTML report's — as units of work.

No analysis choice is made here.  :mod:`sselab.recipes.routing` decides which recipe runs on which files with which
cell and options (``load`` + ``plan``, exactly as :func:`sselab.report.build.build_report` calls them), the recipes
decide everything else, and ``routing.run`` runs a job.  This module only turns the plan into content-addressed
units for the store and runs one unit where a worker is:

* :func:`units_of_work` ``(folder, manifest)`` — one unit per routing job (``"<recipe>:<subject>"``), whose
  ``after`` are the jobs whose results it gets (:func:`sselab.recipes.routing.uses_of`: a ``scope="figure"``
  overlay gets the per-file fits of its spectra, the materials comparison the Arrhenius fits), and one unit per
  input (``"file:<path>"``) that records it in the ``files`` table (format, technique, cell, temperature, its read
  error, or the note saying why no recipe takes it);
* :func:`run` ``(job, measurements, upstream)`` — reads the unit's files as routing does (``routing.read_item``, or
  ``routing.operando_items`` for a series of an operando manifest), plans them again (``routing.plan`` over those
  files gives the planned job; a job whose options came out different is refused: the files changed after
  planning), and runs ``routing.run`` with the upstream units' results (read back from the store) as
  ``results=`` — the results ``routing.run_all`` passes;
* :data:`ROUTER_VERSION` — part of every unit's key, with the files' content hashes, the job's recipe, subject,
  cell and options, and the sselab version.

Planning reads every file of the folder once in the driver (as the report does) but keeps only what planning
needs (``routing.load(keep_data=False)``: metadata, and the rows of impedance files), so the driver's peak memory is
one large file plus the folder's spectra, not the folder.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import numpy as np

from ..errors import SselabError
from .work import Job

__all__ = ["ROUTER_VERSION", "READS_INPUTS", "UnitFailed", "units_of_work", "plan_inputs", "run", "canonical"]

#: part of every unit's key: bump it when the mapping from routing jobs to units changes its answers
ROUTER_VERSION = "recipes-routing-1"
#: the router reads its inputs itself (``routing.read_item``) and gives the ``files`` rows (sselab.store.work)
READS_INPUTS = True


class UnitFailed(SselabError):
    """A routing job failed: its one-line error (``routing.run``), with the traceback of an unexpected failure."""

    def __init__(self, message: str, trace: str | None = None):
        super().__init__(message)
        self.trace = trace


# ---------------------------------------------------------------------------------------------------------------
# canonical parameters (the part of a key that is not file content)
# ---------------------------------------------------------------------------------------------------------------

def canonical(x, base: str = ""):
    """``x`` (a job's options, a cell) as plain JSON data for a unit's key: cells without their file lists (the
    files are keyed by their content), arrays by a hash of their bytes, paths inside ``base`` relative to it (a
    moved folder keeps its keys), non-finite floats as text."""
    from ..cell import CellSpec

    if x is None or isinstance(x, (bool, int)):
        return x
    if isinstance(x, str):
        return _relative(x, base)
    if isinstance(x, float):
        return x if math.isfinite(x) else repr(x)
    if isinstance(x, np.generic):
        return canonical(x.item(), base)
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return canonical(x.tolist(), base)
        a = np.ascontiguousarray(x)
        h = hashlib.sha256(a.tobytes())
        return {"array": f"{a.dtype.str}{list(a.shape)}", "sha256": h.hexdigest()}
    if isinstance(x, Path):
        return _relative(str(x), base)
    if isinstance(x, (datetime, date)):
        return x.isoformat()
    if isinstance(x, CellSpec):
        return {f.name: canonical(getattr(x, f.name), base) for f in dataclasses.fields(x) if f.name != "files"}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {"type": type(x).__name__,
                **{f.name: canonical(getattr(x, f.name), base) for f in dataclasses.fields(x)}}
    if isinstance(x, dict):
        return {str(k): canonical(v, base) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [canonical(v, base) for v in x]
    if isinstance(x, (set, frozenset)):
        return sorted((canonical(v, base) for v in x), key=repr)
    return {"type": type(x).__name__, "repr": repr(x)}


def _relative(s: str, base: str) -> str:
    if base and s.startswith(base + os.sep):
        return s[len(base) + 1:].replace(os.sep, "/")
    return s


# ---------------------------------------------------------------------------------------------------------------
# planning (in the driver)
# ---------------------------------------------------------------------------------------------------------------

def _is_operando(it) -> bool:
    from ..recipes.routing import OPERANDO_NAMES

    return it.path.name in OPERANDO_NAMES


def _inputs(it) -> list[str]:
    """The files (or instrument folders) an item is read from: its path, and for a series of an operando manifest
    every file and folder the manifest names."""
    out = [str(it.path)]
    if _is_operando(it):
        from ..recipes import routing

        out += sorted(str(p) for p in routing._operando_paths(it.path))
    return out


def _file_row(it, base: str) -> dict:
    """The ``files`` row of an item (without the content columns, filled in from the hashes of ``input``: relative
    to the folder when inside it)."""
    m = it.measurement
    start = getattr(m, "start_time", None) if m is not None else None
    return {"input": canonical(it.path, base), "path": it.rel, "format": it.format, "technique": it.technique,
            "instrument": getattr(m, "instrument", None) if m is not None else None,
            "software_version": getattr(m, "software_version", None) if m is not None else None,
            "start_time": start.isoformat() if isinstance(start, (datetime, date)) else start,
            "temperature_K": canonical(it.temperature_K), "rows": it.rows,
            "cell": it.cell.name if it.cell is not None else None, "status": "ok" if it.ok else "error",
            "error": it.error, "warnings": [str(w) for w in it.warnings]}


def _unit_ids(jobs) -> list[str]:
    """``"<recipe>:<subject>"``; jobs of one recipe with the same subject (equal file names in two folders) are told
    apart by their first file."""
    count = Counter((j.recipe, j.subject) for j in jobs)
    ids, seen = [], set()
    for j in jobs:
        uid = f"{j.recipe}:{j.subject}"
        if count[(j.recipe, j.subject)] > 1:
            uid += f" [{j.files[0]}]"
        n, base = 2, uid
        while uid in seen:
            uid, n = f"{base} #{n}", n + 1
        seen.add(uid)
        ids.append(uid)
    return ids


def _context(job, base: Path, manifest) -> dict:
    """What a worker needs to read the job's items as routing does (JSON): where they are, the manifest (read again
    by the worker, as the driver read it), or their own options when there is no manifest (the folder's settings
    file)."""
    items = [{"path": str(it.path), "rel": it.rel, "operando": _is_operando(it)} for it in job.items]
    ctx: dict = {"base": str(base), "items": items}
    if manifest is not None:
        ctx["manifest"] = str(Path(manifest.source).resolve())
    else:
        ctx["settings"] = {str(it.path.resolve()): it.options for it in job.items if it.options}
    return ctx


def plan_inputs(folder, manifest) -> dict:
    """What decides the plan besides the code (for ``sselab batch`` to reuse its last plan when none of it changed):
    every file routing would read (``routing.collect_files``, the operando manifests and what they name), the
    manifest and the settings file, and the registered recipes."""
    from ..cell import settings_path
    from ..recipes import routing
    from ..recipes.base import specs

    folder = Path(folder)
    paths = [str(p) for p in routing.collect_files(folder, manifest)]
    for m in routing.operando_manifests(folder) if folder.is_dir() else []:
        paths += [str(m)] + sorted(str(p) for p in routing._operando_paths(m))
    if manifest is not None and manifest.source is not None:
        paths.append(str(Path(manifest.source).resolve()))
    side = settings_path(manifest.source if manifest is not None and manifest.source is not None
                         else (folder if folder.is_dir() else folder.parent))
    paths.append(str(side.resolve()))
    return {"paths": list(dict.fromkeys(paths)), "version": [ROUTER_VERSION, sorted(sp.name for sp in specs())]}


def units_of_work(folder, manifest) -> list[Job]:
    """The units of ``folder`` (+ ``manifest``): see the module docstring."""
    from ..recipes import routing

    folder = Path(folder)
    base = (folder if folder.is_dir() else folder.parent).resolve()
    items = routing.load(folder, manifest, keep_data=False)   # metadata; the workers read the files again
    jobs, notes = routing.plan(items, manifest)
    for it in items:                    # the note the report shows for a file no recipe takes
        if it.rel in notes:
            it.warnings.append(notes[it.rel])
    used = {id(it) for j in jobs for it in j.items}
    units: list[Job] = []
    sb = str(base)
    for it in items:
        units.append(Job(f"file:{it.rel}", "file", tuple(_inputs(it)),
                         {"file": it.rel, "files_rows": [_file_row(it, sb)], "analysed": id(it) in used}))
    ids = _unit_ids(jobs)
    for k, j in enumerate(jobs):
        idx = routing.uses_of(jobs, k)
        inputs = tuple(dict.fromkeys(p for it in j.items for p in _inputs(it)))
        params = {"recipe": j.recipe, "subject": j.subject, "files": list(j.files),
                  "cell": canonical(j.cell, sb), "options": canonical(j.options, sb), "results": idx is not None}
        units.append(Job(ids[k], "recipe", inputs, params, after=tuple(ids[x] for x in idx or ()),
                         context=_context(j, base, manifest)))
    for it in items:                    # the units keep what they need; the measurements go
        it.measurement = None
        it.series = None
    return units


# ---------------------------------------------------------------------------------------------------------------
# running one unit (in a worker)
# ---------------------------------------------------------------------------------------------------------------

_MANIFESTS: dict = {}


def _manifest(path: str | None):
    """The manifest at ``path`` (read once per process and state of the file), as ``sselab batch`` reads it."""
    if path is None:
        return None
    from ..cell import load_manifest, settings_path

    def stamp(p):
        try:
            st = os.stat(p)
            return st.st_size, st.st_mtime_ns
        except OSError:
            return None

    key = (path, stamp(path), stamp(settings_path(path)))
    man = _MANIFESTS.get(key)
    if man is None:
        _MANIFESTS.clear()
        man = _MANIFESTS[key] = load_manifest(path, check_files=False)
    return man


def _read(ctx: dict):
    from ..recipes import routing

    base = Path(ctx["base"])
    man = _manifest(ctx.get("manifest"))
    settings = {Path(p): o for p, o in (ctx.get("settings") or {}).items()} or None
    items = []
    for spec in ctx["items"]:
        path = Path(spec["path"])
        if spec.get("operando"):
            found = [x for x in routing.operando_items(path, base) if x.rel == spec["rel"]]
            it = found[0] if found else None
            if it is None:
                raise UnitFailed(f"{spec['rel']}: no longer in its operando manifest; run sselab batch again")
        else:
            it = routing.read_item(path, base, man, settings)
        if not it.ok:
            raise UnitFailed(it.error)
        items.append(it)
    return items, man


def run(job: Job, measurements: dict, upstream: dict) -> list:
    """Run one unit: nothing for a file unit (its row is made while planning), else the routing job."""
    if job.kind == "file":
        return []
    from ..recipes import routing

    p = job.params
    items, man = _read(job.context)
    for it in items:
        if it.measurement is not None:
            measurements[str(it.path)] = it.measurement
    jobs, _ = routing.plan(items, man)
    sb = job.context["base"]
    match = [j for j in jobs if j.recipe == p["recipe"] and j.subject == p["subject"] and j.files == p["files"]]
    if not match or canonical(match[0].options, sb) != p["options"] or canonical(match[0].cell, sb) != p["cell"]:
        names = ", ".join(Path(f).name for f in p["files"][:3]) + (" …" if len(p["files"]) > 3 else "")
        raise UnitFailed(f"{names}: routed differently than when the run was planned (a file or the manifest "
                         f"changed during the run); run sselab batch again")
    results = [r for u in job.after for r in upstream.get(u, ())] if p["results"] else None
    jr = routing.run(match[0], results)
    if jr.error is not None:
        raise UnitFailed(jr.error, jr.trace)
    return [jr.result]
