"""The app's model of a folder: its files, their cells and recipes (routing, as the report does), each file's kept
options, and the recipe runs the pages show.  No Dash here — the pages (:mod:`sselab.app.ui`) call these methods,
and every analysis is a recipe call (:mod:`sselab.recipes`), so a file gives the app the answer the report gives.
"""
from __future__ import annotations

import inspect
import math
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import SselabError
from ..recipes import RecipeResult, get
from ..recipes import routing
from .settings import SettingsFile

__all__ = ["Workspace", "FileRow", "EIS_OPTIONS", "recipe_options"]

#: the options the EIS fitting page sets (those of eis.blocking / eis.symmetric for one file)
EIS_OPTIONS = ("circuit", "fixed", "initial", "bounds", "mask", "fmin_Hz", "fmax_Hz", "weighting", "resistance",
               "interface", "lf_loop")
#: recipe keywords the app never offers for editing (routing sets them, or they select the data)
_NOT_EDITABLE = {"temperature_K", "temperatures_K", "cells", "file_options", "subject", "spectrum"}
_UPLOAD_DIR = "uploaded"


@dataclass
class FileRow:
    """One line of the folder page."""

    rel: str
    technique: str
    cell: str
    temperature_C: float | None
    status: str          # "ok", "error", "no recipe"
    message: str         # the one-line error / note ("" when ok)
    recipes: str
    kept: bool           # the file has kept options


def recipe_options(name: str) -> dict:
    """The editable keyword options of recipe ``name`` with their defaults (the recipe's own)."""
    sig = inspect.signature(get(name).run)
    return {p.name: p.default for p in sig.parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.name not in _NOT_EDITABLE}


class Workspace:
    """A folder opened in the app (``root``; its manifest ``cells.yaml``/``manifest.yaml`` when present)."""

    def __init__(self, root, manifest=None):
        root = Path(root).expanduser()
        if not root.exists():
            raise SselabError(f"{root}: no such folder")
        self.focus = None
        if root.is_file():
            self.focus = root.resolve()
            root = root.parent
        self.root = root.resolve()
        self.manifest_path = Path(manifest).resolve() if manifest else next(
            (self.root / n for n in routing.MANIFEST_NAMES if (self.root / n).is_file()), None)
        self.lock = threading.RLock()
        self.upload_dir = None
        self.manifest_error = None
        self._last: dict = {}
        self.reload()

    # -- loading ----------------------------------------------------------------------------------------------
    def reload(self) -> None:
        from ..cell import load_manifest

        with self.lock:
            self.manifest = None
            self.manifest_error = None
            if self.manifest_path is not None:
                try:
                    self.manifest = load_manifest(self.manifest_path, check_files=False)
                except SselabError as exc:
                    self.manifest_error = routing.one_line(exc)
            self.settings = SettingsFile(self.manifest_path or self.root)
            src = self.focus if self.focus is not None else self.root
            try:
                items = routing.load(src, self.manifest)
            except SselabError as exc:      # a damaged settings file: shown, the files still listed without it
                self.manifest_error = routing.one_line(exc)
                items = [routing.read_item(p, self.root, None) for p in routing.collect_files(src, None)]
            self.items = {it.rel: it for it in items}
            for it in self._uploads():
                self.items[it.rel] = it
            self._plan()

    def _plan(self) -> None:
        items = list(self.items.values())
        self.jobs, self.notes = routing.plan(items, self.manifest)

    def _uploads(self) -> list:
        return [it for it in getattr(self, "items", {}).values() if it.rel.startswith(_UPLOAD_DIR + "/")]

    def add_upload(self, name: str, data: bytes) -> routing.Item:
        """A file given through the page (not saved into the folder): read into a temporary folder sselab owns,
        listed as ``uploaded/NAME``.  A file that cannot be read is listed with its one-line error."""
        safe = Path(str(name)).name.strip() or "upload"
        if safe.startswith("."):
            safe = "_" + safe
        with self.lock:
            if self.upload_dir is None:
                self.upload_dir = Path(tempfile.mkdtemp(prefix="sselab-app-"))
            d = self.upload_dir / _UPLOAD_DIR
            d.mkdir(exist_ok=True)
            p = d / safe
            p.write_bytes(data)
            it = routing.read_item(p, self.upload_dir, None)
            self.items[it.rel] = it
            self._plan()
            return it

    def close(self) -> None:
        """Remove the temporary upload folder (sselab created it)."""
        if self.upload_dir is not None and self.upload_dir.name.startswith("sselab-app-"):
            shutil.rmtree(self.upload_dir, ignore_errors=True)
            self.upload_dir = None

    # -- the folder page --------------------------------------------------------------------------------------
    def rows(self) -> list[FileRow]:
        out = []
        with self.lock:
            for rel, it in self.items.items():
                mine = sorted({j.recipe for j in self.jobs if any(x is it for x in j.items)})
                if not it.ok:
                    status, msg = "error", it.error
                elif rel in self.notes:
                    status, msg = "no recipe", self.notes[rel]
                else:
                    status, msg = "ok", "; ".join(w for w in it.warnings if "not used" in w)
                T = it.temperature_K
                out.append(FileRow(rel, it.technique, it.cell.name if it.cell is not None else "—",
                                   None if T is None else T - 273.15, status, msg, ", ".join(mine),
                                   bool(it.options)))
        return out

    def item(self, rel: str) -> routing.Item:
        it = self.items.get(rel)
        if it is None:
            raise SselabError(f"{rel}: not a file of {self.root}")
        return it

    # -- jobs -------------------------------------------------------------------------------------------------
    def jobs_of(self, rel: str) -> list[routing.Job]:
        it = self.item(rel)
        return [j for j in self.jobs if any(x is it for x in j.items)]

    def file_jobs(self, rel: str) -> list[routing.Job]:
        """The per-file recipe jobs of ``rel`` (those its settings are passed to)."""
        return [j for j in self.jobs_of(rel) if get(j.recipe).scope == "file"]

    def file_job(self, rel: str) -> routing.Job | None:
        """The (first) per-file recipe job of ``rel``, or None."""
        return next(iter(self.file_jobs(rel)), None)

    def eis_recipe(self, rel: str) -> str:
        """The per-spectrum recipe for an impedance file: the routed one, else by the cell's kind."""
        for job in self.file_jobs(rel):           # (the DRT is routed beside the fit; the fit is what is edited)
            if job.recipe in ("eis.blocking", "eis.symmetric"):
                return job.recipe
        it = self.item(rel)
        return "eis.symmetric" if it.cell is not None and it.cell.kind == "symmetric" else "eis.blocking"

    def n_spectra(self, rel: str) -> int:
        it = self.item(rel)
        return len(it.measurement.spectra()) if it.ok and it.measurement.is_eis else 0

    def options(self, rel: str) -> dict:
        """The options kept for ``rel`` (settings file, else the manifest entry's), {} for none."""
        return dict(self.item(rel).options or {})

    def keeps_settings(self, rel: str) -> str | None:
        """None when the options of ``rel`` can be kept, else why not (one line)."""
        if rel.startswith(_UPLOAD_DIR + "/"):
            return "an uploaded file is not in the folder: its settings are not kept"
        if self.n_spectra(rel) > 1:
            return ("a file with several spectra is analysed as a series by the report: per-spectrum settings are "
                    "not kept")
        return None

    def _base_kw(self, it, recipe: str) -> dict:
        kw = {}
        if it.entry_temperature_K is not None and "temperature_K" in inspect.signature(get(recipe).run).parameters:
            kw["temperature_K"] = it.entry_temperature_K
        return kw

    def run_file(self, rel: str, options: dict | None = None, *, recipe: str | None = None,
                 spectrum: int | None = None) -> RecipeResult:
        """Run the per-file recipe of ``rel`` with ``options`` (None: the kept ones) — the call ``sselab report``
        makes for that file.  ``spectrum``: one spectrum of a file holding several."""
        it = self.item(rel)
        if not it.ok:
            raise SselabError(it.error)
        job = self.file_job(rel)
        name = recipe or (self.eis_recipe(rel) if it.measurement.is_eis else (job.recipe if job is not None else None))
        if name is None:
            raise SselabError(self.notes.get(rel) or f"{rel}: no per-file recipe for {it.technique} data")
        opts = self.options(rel) if options is None else dict(options)
        kw = self._base_kw(it, name)
        if spectrum is not None and self.n_spectra(rel) > 1:
            kw["spectrum"] = int(spectrum)
        takes = inspect.signature(get(name).run).parameters
        if options is None:         # kept options: those this recipe takes (routing does the same; it warns the rest)
            opts = {k: v for k, v in opts.items() if k in takes}
        bad = sorted(k for k in opts if k not in takes)
        if bad:
            raise SselabError(f"{name} has no option {', '.join(bad)}")
        kw.update({k: v for k, v in opts.items() if v is not None})
        return get(name).run([it.measurement], it.cell, **kw)

    def remember(self, rel: str, options: dict, result, spectrum=None) -> None:
        """The last analysis shown for ``rel`` (what the export buttons write)."""
        with self.lock:
            self._last[rel] = (dict(options or {}), result, spectrum)

    def last(self, rel: str):
        """``(options, result, spectrum)`` of the last analysis shown for ``rel`` (the kept options' run when none
        was shown yet)."""
        with self.lock:
            if rel in self._last:
                return self._last[rel]
        res = self.run_file(rel)
        return self.options(rel), res, None

    def run_job(self, job: routing.Job) -> RecipeResult:
        jr = routing.run(job)
        if jr.error:
            raise SselabError(jr.error)
        return jr.result

    def save(self, rel: str, options: dict | None) -> Path | None:
        """Keep ``options`` for ``rel`` (None: forget them, back to the manifest's / automatic), then re-plan so
        the group recipes (Arrhenius) use them.  Returns the settings file written, None when not kept."""
        if self.keeps_settings(rel):
            return None
        return self.save_many({rel: options})

    def save_many(self, changes: dict) -> Path:
        with self.lock:
            path = self.settings.update({self.item(rel).path: opts for rel, opts in changes.items()})
            from ..cell import load_settings

            kept = load_settings(path)
            for rel in changes:
                it = self.item(rel)
                own = kept.get(it.path.resolve())
                if own is None and self.manifest is not None:
                    hit = self.manifest.cell_for(it.path)
                    own = hit[1].options if hit is not None else None
                it.options = own
                it.warnings = [w for w in it.warnings if not w.endswith(": not used")]   # re-said by plan
            self._plan()
            return path

    # -- series -----------------------------------------------------------------------------------------------
    def series(self, rel: str) -> list[str]:
        """The impedance files of ``rel``'s series: the one-spectrum EIS files of its cell (or, without a cell,
        of its folder), in temperature order (then time, then name)."""
        it = self.item(rel)
        if not (it.ok and it.measurement.is_eis):
            return []

        def same(o):
            if not (o.ok and o.measurement.is_eis) or len(o.measurement.spectra()) != 1:
                return False
            if o.rel.startswith(_UPLOAD_DIR + "/") != it.rel.startswith(_UPLOAD_DIR + "/"):
                return False
            if it.cell is not None:
                return o.cell is not None and o.cell.name == it.cell.name
            return o.cell is None and o.path.parent == it.path.parent

        mates = [o for o in self.items.values() if same(o)]
        mates.sort(key=lambda o: (o.temperature_K is None, o.temperature_K or 0.0,
                                  str(getattr(o.measurement, "start_time", "") or ""), o.rel))
        return [o.rel for o in mates]

    def apply_to_series(self, rel: str, options: dict) -> list:
        """Fit ``options``' circuit to every file of ``rel``'s series, warm-started from ``rel``
        (:func:`sselab.recipes.warm.fit_series_warm`); each file keeps its own mask.  The options of every file
        that fitted are kept.  Returns the runs (series order) as ``(rel, WarmRun)``."""
        from ..recipes.warm import fit_series_warm

        rels = self.series(rel)
        if rel not in rels:
            raise SselabError(f"{rel}: not part of a series of one-spectrum impedance files")
        its = [self.item(r) for r in rels]
        own = [{"mask": self.options(r).get("mask")} if self.options(r).get("mask") is not None and r != rel
               else None for r in rels]
        runs = fit_series_warm([o.measurement for o in its], [o.cell for o in its], rels.index(rel), options,
                               temperatures_K=[o.entry_temperature_K for o in its],
                               recipes=[self.eis_recipe(r) for r in rels], own_options=own)
        keep = {r: run.options for r, run in zip(rels, runs) if run.result is not None and not self.keeps_settings(r)}
        if keep:
            self.save_many(keep)
        return list(zip(rels, runs))

    def series_results(self, rel: str) -> list[tuple[str, RecipeResult | None, str | None]]:
        """Every file of the series analysed with its kept options: ``(rel, result, error)``."""
        out = []
        for r in self.series(rel):
            try:
                out.append((r, self.run_file(r), None))
            except SselabError as exc:
                out.append((r, None, routing.one_line(exc)))
        return out

    def arrhenius_job(self, rel: str) -> routing.Job | None:
        return next((j for j in self.jobs_of(rel) if j.recipe == "eis.arrhenius"), None)

    def arrhenius(self, rel: str) -> RecipeResult | None:
        """The ``eis.arrhenius`` run of the material ``rel`` belongs to (the report's, with every file's kept
        options), or None when the file is in none."""
        job = self.arrhenius_job(rel)
        return None if job is None else self.run_job(job)


def finite_or_none(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
