"""Routing: which recipe analyses which file(s) of a folder — one function shared by the report, ``sselab batch``
and the CLI's ``--manifest`` option, so a file gets the same recipe, cell and options everywhere.

* :func:`load` reads every candidate file of a folder (plus the manifest's files) into :class:`Item` s; a file
  that cannot be read is an item with a one-line ``error``.
* :func:`plan` turns items into :class:`Job` s using the registry (:class:`~sselab.recipes.base.RecipeSpec`:
  ``techniques``, ``cell_kinds``, ``scope``, ``accepts``): one job per file for ``scope="file"`` recipes, one per
  cell or per material (cells sharing ``material``) for the others.  A readable file no recipe takes gets a
  one-line note saying why.
* :func:`run` runs a job: a :class:`RecipeResult`, or the one-line error of that file / group.

* :func:`run_all` runs a plan: first the jobs whose recipe uses no other recipe's results, then the others
  (``scope="figure"`` overlays, the Arrhenius comparison) with the results of the recipes they ``use`` over the
  same files, so one file is analysed once and every section shows the same numbers.

The cell of a file is the manifest cell listing it; its temperature is the manifest entry's, else the file's own
(instrument or name), else the manifest cell's default; its ``label`` and ``figures`` (the figure panels it belongs
to, e.g. ``[1e, 1f]``) come from the manifest entry.  Files a manifest tags with the same panel form one
``scope="figure"`` group (the 30 °C spectra of three preparations → one overlay).

A folder holding an operando manifest (``operando.yaml``, docs/CONVENTIONS.md) is one item per series it names
(XRD, NMR) with the electrochemistry record; the files it names are not read one by one.  A Bruker experiment
folder (``acqus`` + ``fid``/``ser``) is one item.  :func:`cell_for` gives the same for one file given on the
command line (manifest cell, completed by command-line geometry).
"""
from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import SselabError
from .base import RecipeResult, get, specs

__all__ = ["Item", "Job", "JobResult", "load", "read_item", "collect_files", "plan", "run", "run_all", "cell_for",
           "jobs_for_file", "uses_of", "SKIP_SUFFIXES", "MANIFEST_NAMES", "OPERANDO_NAMES", "one_line", "figure_tags"]

#: never read as measurements
SKIP_SUFFIXES = {".yaml", ".yml", ".json", ".md", ".html", ".htm", ".png", ".svg", ".pdf", ".jpg", ".jpeg", ".gif",
                 ".py", ".log", ".zip", ".gz", ".css", ".js", ".ipynb", ".toml", ".cfg", ".ini"}
MANIFEST_NAMES = ("cells.yaml", "cells.yml", "manifest.yaml", "manifest.yml")
#: operando manifests (an electrochemistry record + XRD/NMR series), found anywhere in the folder
OPERANDO_NAMES = ("operando.yaml", "operando.yml")


def one_line(exc: BaseException) -> str:
    """The single line a user sees for a failure (the type name too when it is not one of sselab's errors)."""
    msg = " ".join(str(exc).split())
    if isinstance(exc, SselabError):
        return msg or type(exc).__name__
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


@dataclass
class Item:
    """One input file: what was read (or the one-line error), its cell and temperature."""

    path: Path
    rel: str
    measurement: object | None = None
    cell: object | None = None                  # sselab.cell.CellSpec
    entry_temperature_K: float | None = None    # the manifest entry's temperature (overrides the file's)
    temperature_K: float | None = None          # resolved: entry > file > cell default
    technique: str = "unknown"
    format: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    used_in: list[str] = field(default_factory=list)
    label: str | None = None                    # the manifest entry's label ("pre-CV", "2 days after cycling")
    figures: tuple[str, ...] = ()               # the manifest entry's figure panels ("1e", "3b")
    time: object | None = None                  # the manifest entry's start time (datetime)
    series: object | None = None                # an operando item: the XRD/NMR Series (measurement: the echem)
    series_options: dict = field(default_factory=dict)
    options: dict | None = None                 # the file's own recipe options (manifest / settings file)
    rows: int | None = None                     # data rows read (kept when :func:`load` drops the data)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def kind(self) -> str | None:
        return self.cell.kind if self.cell is not None else None


@dataclass
class Job:
    """One recipe run: the recipe, its subject (file, cell or material), the items and cell, the options."""

    recipe: str
    subject: str
    items: list[Item]
    cell: object | None
    options: dict = field(default_factory=dict)
    cells: list | None = None                   # per-item cells (material and figure scope)
    figures: tuple[str, ...] = ()               # the figure panels of the job's files (figure scope: its one tag)

    @property
    def files(self) -> list[str]:
        return [it.rel for it in self.items]


@dataclass
class JobResult:
    job: Job
    result: RecipeResult | None = None
    error: str | None = None
    trace: str | None = None


# ---------------------------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------------------------

def _natural(name: str):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", name)]


def _inside(p: Path, parent: Path) -> bool:
    try:
        p.resolve().relative_to(parent)
        return True
    except ValueError:
        return False


def collect_files(data_dir, manifest=None, exclude=()) -> list[Path]:
    """Every candidate measurement file under ``data_dir`` (recursively, natural order) plus the manifest's files.
    Hidden files and folders, non-data suffixes (:data:`SKIP_SUFFIXES`) and earlier sselab report folders are
    left out."""
    data_dir = Path(data_dir)
    ex = [Path(e).resolve() for e in exclude]
    found: dict[Path, None] = {}
    if data_dir.is_file():
        found[data_dir.resolve()] = None
    else:
        taken = set()
        for m in operando_manifests(data_dir, exclude):
            taken |= _operando_paths(m)
        for root, dirs, files in os.walk(data_dir):
            rp = Path(root).resolve()
            if rp in taken:
                dirs[:] = []
                continue
            if _is_bruker_experiment(rp) and rp != data_dir.resolve():
                found[rp] = None            # one experiment: read as one item, its parts not one by one
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not any(_inside(rp / d, e) for e in ex)
                             and not ((rp / d / "report.html").exists() and (rp / d / "results.json").exists()))
            for name in sorted(files, key=_natural):
                p = rp / name
                if name.startswith(".") or p.suffix.lower() in SKIP_SUFFIXES or p in taken:
                    continue
                found[p] = None
    if manifest is not None:
        for c in manifest.cells:
            for fe in c.files:
                found.setdefault(Path(fe.path).resolve(), None)
    return list(found)


def _is_bruker_experiment(d: Path) -> bool:
    return (d / "acqus").is_file() and ((d / "fid").is_file() or (d / "ser").is_file())


def operando_manifests(data_dir, exclude=()) -> list[Path]:
    """The operando manifests (:data:`OPERANDO_NAMES`) anywhere under ``data_dir`` (not in hidden or excluded
    folders), in natural order."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    ex = [Path(e).resolve() for e in exclude]
    out = []
    for root, dirs, files in os.walk(data_dir):
        rp = Path(root).resolve()
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not any(_inside(rp / d, e) for e in ex))
        out += [rp / n for n in sorted(files, key=_natural) if n in OPERANDO_NAMES]
    return out


def _operando_paths(manifest_path: Path) -> set[Path]:
    """Every file and folder an operando manifest names (resolved); nothing when it cannot be read (its item then
    carries the error)."""
    from ..io.structure_series import read_operando_manifest

    try:
        man = read_operando_manifest(manifest_path)
    except SselabError:
        return set()
    out = set()
    if man.electrochem is not None:
        out.add(Path(man.electrochem).resolve())
    for spec in (man.xrd, man.nmr):
        if spec is None:
            continue
        for f in spec["files"]:
            out.add(Path(f).resolve())
        if spec.get("log"):
            out.add(Path(spec["log"]).resolve())
    return out


def operando_items(manifest_path, base) -> list[Item]:
    """One :class:`Item` per series an operando manifest names (XRD, NMR): ``series`` is the Series,
    ``measurement`` the electrochemistry record (None without one), ``series_options`` the clock options of the
    ``operando`` recipe.  A manifest or series that cannot be read is an item with its one-line error."""
    from ..io import read
    from ..io.structure_series import read_operando_manifest, read_series_spec

    path = Path(manifest_path)
    try:
        rel = path.resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        rel = str(path)
    try:
        man = read_operando_manifest(path)
        ec = read(man.electrochem) if man.electrochem is not None else None
    except Exception as exc:        # the manifest's one line; the rest of the folder is still analysed
        return [Item(path=path, rel=rel, technique="operando", error=one_line(exc))]
    out = []
    for kind in ("xrd", "nmr"):
        spec = getattr(man, kind)
        if spec is None:
            continue
        it = Item(path=path, rel=f"{rel}#{kind}", measurement=ec, technique=f"{kind.upper()}-series",
                  format="operando manifest")
        try:
            it.series = read_series_spec(spec)
            it.warnings = list(getattr(it.series, "warnings", []) or [])
        except Exception as exc:
            it.error = one_line(exc)
            out.append(it)
            continue
        wl = None
        if kind == "xrd" and spec.get("wavelength"):
            from ..structure.xrd import parse_wavelength

            wl = parse_wavelength(str(spec["wavelength"]))[0]
        it.series_options = {"ec_offset_s": man.electrochem_offset_s, "ec_start": man.electrochem_start,
                             "wavelength_m": wl}
        out.append(it)
    return out


def figure_tags(items) -> tuple[str, ...]:
    """The figure panels of some items, in order of first appearance."""
    return tuple(dict.fromkeys(t for it in items for t in it.figures))


def read_item(path, base, manifest=None, settings=None) -> Item:
    """Read one file into an :class:`Item` (a failure is the item's one-line ``error``).  Its recipe options come
    from the manifest (:meth:`~sselab.cell.Manifest.options_for`), else from ``settings`` (resolved path → options,
    :func:`sselab.cell.load_settings` of a folder without a manifest)."""
    from ..io import read

    path = Path(path)
    try:
        rel = path.relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        rel = str(path)
    it = Item(path=path, rel=rel)
    hit = manifest.cell_for(path) if manifest is not None else None
    if hit is not None:
        it.cell, it.entry_temperature_K = hit[0], hit[1].temperature_K
        fe = hit[1]
        it.label, it.time = getattr(fe, "label", None), getattr(fe, "time", None)
        it.figures = tuple(getattr(fe, "figures", ()) or ())
    it.options = manifest.options_for(path) if manifest is not None else (settings or {}).get(path.resolve())
    try:
        if not path.exists():
            raise SselabError(f"{path.name}: listed in the manifest but not found ({path})")
        m = read(path)
        if len(m) == 0:
            raise SselabError(f"{path.name}: no data rows")
        it.measurement, it.format, it.rows = m, m.format, len(m)
        tech = m.technique or "unknown"
        it.technique = "EIS" if (m.is_eis and tech in ("unknown", "PEIS", "GEIS")) else tech
        it.warnings = list(m.warnings)
        it.temperature_K = _temperature(it)
    except Exception as exc:    # a reader bug must not stop the other files: the file's one line says what broke
        it.error = one_line(exc)
        if path.name not in it.error and str(path) not in it.error:
            it.error = f"{path.name}: {it.error}"
    return it


def _temperature(it: Item):
    if it.entry_temperature_K is not None:
        return it.entry_temperature_K
    m = it.measurement
    if m is not None and m.temperature_K is not None:
        return m.temperature_K
    return it.cell.temperature_K if it.cell is not None else None


def load(data_dir, manifest=None, exclude=(), progress=None, keep_data: bool = True) -> list[Item]:
    """Read every candidate file of ``data_dir`` (see :func:`collect_files`); ``progress(iterable, total,
    description)`` wraps the loop.  ``keep_data=False`` (``sselab batch``, whose workers read the files again):
    planning keeps what it needs — every item's metadata, and the data of impedance files only (the recipes'
    ``accepts`` count their spectra) — so the driver holds one large file at a time, not the folder."""
    from ..cell import load_settings, settings_path

    data_dir = Path(data_dir)
    base = data_dir if data_dir.is_dir() else data_dir.parent
    side = settings_path(base)
    settings = load_settings(side) if manifest is None and side.is_file() else None
    paths = collect_files(data_dir, manifest, exclude)
    it = progress(paths, total=len(paths), description="reading") if progress else paths
    items = []
    for p in it:
        item = read_item(p, base, manifest, settings)
        if not keep_data:
            _drop_data(item)
        items.append(item)
    for m in operando_manifests(data_dir, exclude) if data_dir.is_dir() else []:
        items += operando_items(m, base)
    return items


#: arrays in a measurement's ``extra`` above this many elements are dropped with its data (an NMR FID)
_EXTRA_ARRAY_MAX = 65536


def _drop_data(it: Item) -> None:
    """Keep the columns and metadata of a non-impedance item's measurement, not its rows (planning never reads
    them; the recipes' ``accepts`` look at impedance spectra only)."""
    import dataclasses

    import numpy as np

    m = it.measurement
    if m is None or m.is_eis:
        return
    extra = {k: (None if isinstance(v, np.ndarray) and v.size > _EXTRA_ARRAY_MAX else v)
             for k, v in (m.extra or {}).items()}
    it.measurement = dataclasses.replace(m, data=m.data.iloc[:0].copy(), extra=extra)


# ---------------------------------------------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------------------------------------------

def _takes(spec, option: str) -> bool:
    import inspect

    return option in inspect.signature(spec.run).parameters


def _options(spec, items: list[Item]) -> dict:
    """The options routing passes: the manifest entries' temperatures and labels where a recipe takes them, the
    files' own options (a file recipe gets those it takes; a recipe over many files taking ``file_options`` gets one
    mapping per file), and an operando item's series with its clock options."""
    out = {}
    if _takes(spec, "temperatures_K"):
        out["temperatures_K"] = [it.entry_temperature_K for it in items]
    elif _takes(spec, "temperature_K") and len(items) == 1 and items[0].entry_temperature_K is not None:
        out["temperature_K"] = items[0].entry_temperature_K
    if _takes(spec, "labels") and any(it.label for it in items):
        out["labels"] = [it.label for it in items]
    if _takes(spec, "figure_tags") and any(it.figures for it in items):
        out["figure_tags"] = [list(it.figures) for it in items]
    if len(items) == 1 and items[0].series is not None and _takes(spec, "series"):
        out["series"] = items[0].series
        out.update({k: v for k, v in items[0].series_options.items() if _takes(spec, k)})
    if spec.scope == "file" and len(items) == 1 and items[0].options:
        out.update({k: v for k, v in items[0].options.items() if _takes(spec, k)})
    elif _takes(spec, "file_options") and any(it.options for it in items):
        names = getattr(spec.run, "file_option_names", None)
        per = [{k: v for k, v in (it.options or {}).items() if names is None or k in names} or None for it in items]
        if any(per):
            out["file_options"] = per
    return out


def _options_used(spec, options: dict) -> set:
    """The file options ``spec`` uses (a recipe taking ``file_options`` names them in ``run.file_option_names``)."""
    if _takes(spec, "file_options"):
        names = getattr(spec.run, "file_option_names", None)
        return set(options) if names is None else set(options) & set(names)
    return {k for k in options if _takes(spec, k)} if spec.scope == "file" else set()


def _accepts(spec, items: list[Item], cell) -> bool:
    """``spec.accepts`` on the items' measurements, with the manifest entries' temperatures applied."""
    if spec.accepts is None:
        return True
    ms = [replace(it.measurement, temperature_K=it.entry_temperature_K) if it.entry_temperature_K is not None
          else it.measurement for it in items]
    return bool(spec.accepts(ms, cell))


def _group_name(it: Item) -> str:
    return it.cell.name if it.cell is not None else it.rel


def plan(items: list[Item], manifest=None) -> tuple[list[Job], dict[str, str]]:
    """Jobs for readable items, and a one-line note per readable file no recipe takes (by ``rel``)."""
    ok = [it for it in items if it.ok]
    jobs: list[Job] = []
    order = {c.name: i for i, c in enumerate(getattr(manifest, "cells", ()) or ())}
    for spec in specs():
        mine = [it for it in ok if spec.applies_to(it.technique, it.kind)]
        if not mine:
            continue
        if spec.scope == "figure":
            tags: dict[str, list[Item]] = {}
            for it in mine:
                for t in it.figures:
                    tags.setdefault(t, []).append(it)
            for tag, group in tags.items():
                cells = [g.cell for g in group]
                if not _accepts(spec, group, None if len(set(map(id, cells))) > 1 else cells[0]):
                    continue
                opts = _options(spec, group)
                if _takes(spec, "cells"):
                    opts["cells"] = cells
                if _takes(spec, "paper_figure"):
                    opts["paper_figure"] = tag
                jobs.append(Job(spec.name, f"Fig. {tag}", group, group[0].cell, opts, cells, (tag,)))
            continue
        if spec.scope == "file":
            for it in mine:
                if _accepts(spec, [it], it.cell):
                    subject = it.rel if it.series is not None else (
                        it.path.name if it.cell is None or spec.name.startswith("eis.") else it.cell.name)
                    jobs.append(Job(spec.name, subject, [it], it.cell, _options(spec, [it])))
            continue
        groups: dict[str, list[Item]] = {}
        for it in mine:
            key = _group_name(it) if spec.scope == "cell" else (
                (it.cell.material or it.cell.name) if it.cell is not None else None)
            if key is not None:
                groups.setdefault(key, []).append(it)
        for key, group in groups.items():
            cell = group[0].cell
            if not _accepts(spec, group, cell):
                continue
            opts = _options(spec, group)
            cells = [g.cell for g in group] if spec.scope == "material" else None
            if cells is not None and _takes(spec, "cells"):
                opts["cells"] = cells
            jobs.append(Job(spec.name, key, group, cell, opts, cells))
    claimed = {t for j in jobs if get(j.recipe).scope == "figure" for t in j.figures}
    for j in jobs:
        if get(j.recipe).scope != "figure":
            j.figures = tuple(t for t in figure_tags(j.items) if t not in claimed)
    jobs.sort(key=lambda j: (order.get(j.cell.name, len(order)) if j.cell is not None else len(order) + 1,
                             j.items[0].rel))
    covered = {id(it) for j in jobs for it in j.items}
    for it in ok:     # a file option no recipe of the file takes is said, never dropped silently
        if it.options:
            mine = [j for j in jobs if any(x is it for x in j.items)]
            used = set().union(*[_options_used(get(j.recipe), it.options) for j in mine])
            left = sorted(set(it.options) - used)
            msg = (f"{it.rel}: option{'s' if len(left) > 1 else ''} {', '.join(left)} not taken by "
                   f"{', '.join(sorted({j.recipe for j in mine}))}: not used")
            if left and mine and msg not in it.warnings:     # plan may run again on the same items (the app)
                it.warnings.append(msg)
    notes = {}
    for it in ok:
        if id(it) not in covered:
            where = f"a {it.kind} cell" if it.kind else "a file not in the manifest"
            hint = ""
            if it.technique in ("GCPL", "CP", "CYCLING", "MB"):
                hint = " (give the cell as Li|Li, or Li|cathode with active_mass, in the manifest)"
            notes[it.rel] = f"{it.rel}: no recipe for {it.technique} data of {where}{hint}"
    return jobs, notes


def run(job: Job, results=None) -> JobResult:
    """Run a job; a failure is the job's one-line error (traceback kept in ``trace`` for the debug log).
    ``results``: results of the recipes the job's recipe ``uses`` (passed as ``results=``)."""
    spec = get(job.recipe)
    extra = {"results": results} if results is not None else {}
    try:
        ms = [it.measurement for it in job.items if it.measurement is not None]
        res = spec.run(ms, job.cell, **job.options, **extra)
    except Exception as exc:   # one failing analysis never stops the others: its one line is shown instead
        msg = one_line(exc)
        names = [Path(f).name for f in job.files]
        if not any(n in msg for n in names):
            msg = f"{', '.join(names[:3])}{' …' if len(names) > 3 else ''}: {msg}"
        return JobResult(job, None, msg, None if isinstance(exc, SselabError) else traceback.format_exc())
    for it in job.items:
        it.used_in.append(job.recipe)
    return JobResult(job, res)


def uses_of(jobs: list[Job], i: int) -> list[int] | None:
    """The jobs whose results job ``i`` gets as ``results=``: those of the recipes its recipe ``uses`` whose files
    are all among its own (per file, per cell or per material), in plan order; None when its recipe takes no
    results.  :func:`run_all` passes the successful ones; ``sselab batch`` passes the same, read back from its
    store."""
    spec = get(jobs[i].recipe)
    if not (spec.uses and _takes(spec, "results")):
        return None
    mine = {id(x) for x in jobs[i].items}
    return [k for k, j in enumerate(jobs) if k != i and j.recipe in spec.uses and all(id(x) in mine for x in j.items)]


def _used(jobs: list[Job], i: int, done: list) -> list | None:
    idx = uses_of(jobs, i)
    if idx is None:
        return None
    return [done[k].result for k in idx if done[k] is not None and done[k].result is not None]


#: relative cost of a recipe's job (to start the slow ones first when jobs run in parallel)
_COST = {"eis.symmetric": 8, "eis.series": 20, "xrd.pattern": 12, "operando": 12, "eis.arrhenius": 10,
         "eis.blocking": 2, "dcpol": 3, "dcpol.pair": 5}
_PARALLEL_JOBS: list = []


def _run_index(i: int):
    """Run ``_PARALLEL_JOBS[i]`` in a worker: ``(i, pickled JobResult parts)``, or ``(i, None)`` when the result
    cannot travel back (then the parent runs the job itself)."""
    import pickle

    jr = run(_PARALLEL_JOBS[i])
    try:
        return i, pickle.dumps((jr.result, jr.error, jr.trace), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:       # an unpicklable detail object: the parent runs this one job again
        return i, None


def run_all(jobs: list[Job], progress=None, workers: int = 1) -> list[JobResult]:
    """Run a plan; results in job order.  A job whose recipe ``uses`` other recipes runs after them and gets the
    successful results of their jobs over its own files (per file, per cell or per material) as ``results=``.
    ``progress(iterable, total, description)`` wraps the loop.  ``workers > 1``: the jobs that use no other
    results run in that many forked processes (where the platform forks); each job's result is the same as in
    one process."""
    done: list[JobResult | None] = [None] * len(jobs)
    if workers > 1 and len(jobs) > 2:
        try:
            import multiprocessing as mp

            ctx = mp.get_context("fork")
        except (ValueError, ImportError):
            ctx = None
        free = [i for i in range(len(jobs)) if not get(jobs[i].recipe).uses]
        if ctx is not None and len(free) > 2:
            import pickle

            global _PARALLEL_JOBS
            _PARALLEL_JOBS = jobs
            free.sort(key=lambda i: -_COST.get(jobs[i].recipe, 1) * len(jobs[i].items))
            try:
                with ctx.Pool(workers) as pool:
                    it = pool.imap_unordered(_run_index, free)
                    for i, blob in (progress(it, total=len(free), description="analysing") if progress else it):
                        if blob is None:
                            done[i] = run(jobs[i])
                            continue
                        res, err, trace = pickle.loads(blob)
                        done[i] = JobResult(jobs[i], res, err, trace)
                        if res is not None:
                            for item in jobs[i].items:
                                item.used_in.append(jobs[i].recipe)
            finally:
                _PARALLEL_JOBS = []
            rest = [i for i in range(len(jobs)) if done[i] is None]
            for i in rest:        # the recipes that use others' results, with those results
                done[i] = run(jobs[i], _used(jobs, i, done))
            return done  # type: ignore[return-value]
    pending = list(range(len(jobs)))
    order = []
    while pending:                       # dependencies first (a recipe never uses itself; cycles run as they come)
        names = {jobs[i].recipe for i in pending}
        ready = [i for i in pending if not (set(get(jobs[i].recipe).uses) & (names - {jobs[i].recipe}))]
        ready = ready or pending
        order += ready
        pending = [i for i in pending if i not in ready]
    it = progress(order, total=len(order), description="analysing") if progress else order
    for i in it:
        done[i] = run(jobs[i], _used(jobs, i, done))
    return done  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------------
# one file from the command line
# ---------------------------------------------------------------------------------------------------------------

def cell_for(path, manifest=None, cli_cell=None):
    """``(cell, entry temperature)`` of a file given on the command line: the manifest cell listing it, its missing
    geometry filled from ``cli_cell``; else ``cli_cell``."""
    hit = manifest.cell_for(path) if manifest is not None else None
    if hit is None:
        return cli_cell, None
    c, fe = hit
    if cli_cell is not None:
        c = replace(c, thickness_m=c.thickness_m or cli_cell.thickness_m,
                    diameter_m=c.diameter_m or cli_cell.diameter_m,
                    area_m2_given=c.area_m2_given or cli_cell.area_m2_given)
    return c, fe.temperature_K


def jobs_for_file(path, manifest, recipes_wanted=None) -> list[Job]:
    """The per-file jobs the report would run for ``path`` (restricted to ``recipes_wanted`` when given)."""
    base = Path(manifest.base_dir) if manifest is not None else Path(path).parent
    it = read_item(Path(path).resolve(), base, manifest)
    if not it.ok:
        raise SselabError(it.error)
    jobs, _ = plan([it], manifest)
    return [j for j in jobs if recipes_wanted is None or j.recipe in recipes_wanted]
