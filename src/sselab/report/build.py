"""Build a report from a folder of instrument files: read, route, run the recipes, render, write atomically.

The analysis is entirely the recipes' (:mod:`sselab.recipes`): :func:`sselab.recipes.routing.plan` decides which
recipe analyses which file(s), each job runs the same recipe the CLI and the API call, and
:mod:`sselab.report.sections` renders the results generically.  A file that cannot be read, or whose analysis
fails, is shown with its one-line error; the rest of the report is complete.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import SselabError
from ..results import jsonable
from ..recipes.routing import MANIFEST_NAMES, SKIP_SUFFIXES, collect_files, one_line
from .model import FileRecord, Number, Section, Table
from .plots import FigureStore
from .sections import HEADLINE, Context, materials_sections, recipe_sections

__all__ = ["build_report", "Report", "TOLERANCES", "compare_truth", "collect_files", "SKIP_SUFFIXES"]

TRUTH_NAMES = ("truth.json",)
#: forked processes for the analyses (the figures are written by two more, report.plots.FigureStore)
ANALYSIS_WORKERS = min(2, os.cpu_count() or 1)
#: agreement tolerances for recovered vs simulated values: (kind, tolerance); kind "abs", "rel" or "exact"
TOLERANCES = {
    "Ea_eV": ("abs", 0.02), "sigma_30C_mS_per_cm": ("rel", 0.10), "tau_s": ("rel", 0.05),
    "sigma_e_nS_per_cm": ("rel", 0.05), "t_ion": ("abs", 0.002), "imbalance_pct_of_pellet_Li": ("rel", 0.10),
    "break_cycle": ("abs", 1.0), "ox_onset_V": ("abs", 0.05), "q_plate_first_C": ("rel", 0.05),
    "q_plate_last_C": ("rel", 0.05), "strip_plate_ratio": ("abs", 0.03), "n_cycles": ("abs", 0.0),
    "short_cycle": ("abs", 1.0), "short_kind": ("exact", 0), "short_current_density_uA_per_cm2": ("rel", 0.02),
    "first_discharge_mAh_per_g": ("rel", 0.02), "last_discharge_mAh_per_g": ("rel", 0.02),
    "first_ce": ("abs", 0.01), "ce": ("abs", 0.01), "asr_interface_ohm_cm2": ("rel", 0.10),
    "lattice_a_angstrom": ("abs", 0.001), "cycles_above_threshold": ("abs", 1.0), "R_cell_drop_first_to_min":
        ("rel", 0.05), "R_cell_drop_before_min": ("rel", 0.05), "ccd_uA_per_cm2": ("rel", 0.001),
}


@dataclass
class Report:
    title: str
    input_dir: Path
    generated: str
    records: list[FileRecord]
    sections: list[Section]
    summary_tables: list[Table] = field(default_factory=list)
    truth_rows: list[dict] = field(default_factory=list)
    paper_rows: list[dict] = field(default_factory=list)
    paper_figures: list[dict] = field(default_factory=list)
    paper_citation: str = ""
    manifest_path: Path | None = None
    truth_path: Path | None = None
    seconds: float = 0.0
    out_dir: Path | None = None
    cells: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    analysis_errors: list[str] = field(default_factory=list)

    @property
    def numbers(self) -> list[Number]:
        return [n for s in self.sections for n in s.numbers]

    @property
    def failed_files(self) -> list[FileRecord]:
        return [r for r in self.records if not r.ok]

    def to_dict(self) -> dict:
        from .. import __version__

        return jsonable({
            "sselab_version": __version__, "title": self.title, "generated": self.generated,
            "input_dir": str(self.input_dir), "manifest": self.manifest_path, "truth": self.truth_path,
            "seconds": round(self.seconds, 2),
            "files": [{"file": r.rel, "technique": r.technique, "format": r.format,
                       "cell": getattr(r.cell, "name", None), "temperature_K": r.temperature_K,
                       "status": "ok" if r.ok else "error", "error": r.error, "warnings": r.warnings,
                       "used_in": r.used_in} for r in self.records],
            "analysis_errors": self.analysis_errors,
            "summary": [n.__dict__ for n in self.numbers],
            "truth_comparison": self.truth_rows,
            "paper_comparison": self.paper_rows,
            "paper_figures": self.paper_figures,
            "sections": [{"id": s.id, "title": s.title, "kind": s.kind, "recipe": s.recipe, "subject": s.subject,
                          "status": s.status, "notes": s.notes, "files": s.files,
                          "figures": [list(f.files) for f in s.figures],
                          "figure_labels": [f.paper_figure for f in s.figures],
                          "numbers": [n.__dict__ for n in s.numbers],
                          "results": [r.to_dict() for r in s.results], "data": jsonable(s.data)}
                         for s in self.sections],
            "notes": self.notes,
        })


# ---------------------------------------------------------------------------------------------------------------
# summary tables and truth
# ---------------------------------------------------------------------------------------------------------------

def _summary_tables(sections: list[Section], data: dict) -> list[Table]:
    tables = []
    arr = [s for s in sections if s.recipe == "eis.arrhenius" and s.results]
    if arr:
        rows = []
        cells_of = data.get("material_cells") or {}
        ranks = {n.subject: n.value for sec in sections if sec.kind == "materials" for n in sec.numbers
                 if n.quantity == "kb_rank"}
        for s in arr:
            r = s.results[0]
            lo, hi = r.get("T_min_K"), r.get("T_max_K")
            trange = f"{lo - 273.15:.0f}–{hi - 273.15:.0f}" if lo is not None and hi is not None else "—"
            rows.append([s.subject, ", ".join(cells_of.get(s.subject, [])) or "—", trange,
                         r["sigma_30C_S_per_m"].text(with_unit=False) if "sigma_30C_S_per_m" in r else "—",
                         r["Ea_eV"].text(with_unit=False, resolved=True) if "Ea_eV" in r
                         else "— (" + r.flags[0].message + ")",
                         str(r.get("n_points", "—")), str(ranks.get(s.subject, "not ranked"))])
        tables.append(Table("Table 1. Ionic conductivity of the preparations (EIS, blocking electrodes)",
                            ["material", "cells", "T range (°C)", "σ(30 °C) (mS/cm)", "Ea (eV)", "n",
                             "rank in knowledge base (25 °C)"], rows))
    rows = []
    for s in sections:
        # blocking-cell fits are Table 1; the DRT beside every impedance fit is in the report's EIS sections
        if s.recipe in ("eis.blocking", "eis.arrhenius", "eis.drt", "") or not s.results:
            continue
        for r in s.results:
            keys = HEADLINE.get(s.recipe) or [v.key for v in r.values[:4]]
            parts = [f"{r[k].label} = {r[k].text(resolved=True)}" for k in keys if k in r]
            rows.append([s.subject, s.title.split(" — ")[0], "; ".join(parts)])
    if rows:
        tables.append(Table("Table 2. Measurements per cell", ["cell", "test", "results"], rows))
    if data.get("cell_projection_table") is not None:
        tables.append(data["cell_projection_table"])
    return tables


def paper_figure_index(sections: list[Section], records=()) -> list[dict]:
    """One entry per figure that reproduces a paper figure (``figure``, ``panels``, ``section``, ``title``,
    ``files``), in the paper's order, then one per panel the manifest tags that no figure shows (``missing``)."""
    from .sections import _panel_key, panels

    out = []
    shown = set()
    for s in sections:
        for f in s.figures:
            if f.paper_figure:
                ps = sorted(panels(f.paper_figure), key=_panel_key)
                shown |= set(ps)
                out.append({"figure": f.paper_figure, "panels": ps, "section": s.id, "section_title": s.title,
                            "title": f.title, "files": list(f.files), "name": f.name})
    out.sort(key=lambda e: _panel_key(e["panels"][0]) if e["panels"] else (9, 999, ""))
    tagged = {t for r in records for t in getattr(r, "figures", ())}
    for t in sorted(tagged - shown, key=_panel_key):
        out.append({"figure": None, "panels": [t], "missing": True,
                    "note": "tagged in the manifest, but no figure of the report shows it"})
    return out


def _at_temperature(numbers, subject, q):
    """``sigma_30C_mS_per_cm`` of a cell: its ``sigma_mS_per_cm`` number measured at 30 °C (if there is one)."""
    m = re.match(r"^(.*?)_(-?\d+(?:\.\d+)?)C_(.*)$", q)
    if not m:
        return None
    base, T_C = f"{m.group(1)}_{m.group(3)}", float(m.group(2))
    hits = [n for n in numbers if n.subject == subject and n.quantity == base and n.T_K is not None
            and abs(n.T_K - 273.15 - T_C) < 0.5]
    return hits[0] if hits else None


def compare_truth(numbers: list[Number], truth: dict) -> list[dict]:
    """Rows ``subject, quantity, recovered, stderr, true, deviation, agrees`` for every truth value.  The
    tolerance is :data:`TOLERANCES`' unless the truth file gives one for that value (``tolerances: {subject:
    {quantity: {rel|abs: x, why: …}}}``, e.g. a bias the simulation puts in the data on purpose); ``why`` is then
    the row's ``note``."""
    rows = []
    own = truth.get("tolerances") or {}
    index = {(n.subject, n.quantity): n for n in numbers}
    for group in ("materials", "cells"):
        for subject, vals in (truth.get(group) or {}).items():
            for q, true in vals.items():
                if true is None:
                    continue
                n = index.get((subject, q)) or _at_temperature(numbers, subject, q)
                row = {"subject": subject, "quantity": q, "label": n.label if n else q,
                       "recovered": n.value if n else None, "stderr": n.stderr if n else None,
                       "unit": n.unit if n else "", "true": true, "deviation": None, "agrees": None}
                if n is not None and n.value is not None:
                    kind, tol = TOLERANCES.get(q, ("rel", 0.05))
                    t_own = (own.get(subject) or {}).get(q)
                    if isinstance(t_own, dict) and ("rel" in t_own or "abs" in t_own):
                        kind = "rel" if "rel" in t_own else "abs"
                        tol = float(t_own[kind])
                        row["note"] = str(t_own.get("why") or "")
                    if isinstance(true, str) or isinstance(n.value, str) or kind == "exact":
                        row["agrees"] = str(n.value) == str(true)
                    else:
                        dev = float(n.value) - float(true)
                        row["deviation"] = dev
                        lim = tol * abs(float(true)) if kind == "rel" else tol
                        se = n.stderr if (n.stderr is not None and math.isfinite(n.stderr)) else None
                        # within the tolerance, or within 2 standard errors when those are themselves that precise
                        row["agrees"] = bool(abs(dev) <= lim + 1e-12 or (se is not None and se <= lim
                                                                         and abs(dev) <= 2 * se))
                        row["tolerance"] = f"{'±' + format(tol * 100, 'g') + ' %' if kind == 'rel' else '±' + format(tol, 'g')}"
                rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# main entry
# ---------------------------------------------------------------------------------------------------------------

def _identity_progress(iterable, total=None, description=""):
    yield from iterable


def build_report(data_dir, out_dir, *, manifest=None, truth=None, title: str | None = None,
                 progress=None, figures: bool = True) -> Report:
    """Analyse every file under ``data_dir`` and write ``out_dir/report.html``, ``results.json``,
    ``summary.csv`` and ``figures/*.png|svg``.

    ``manifest``: path to a cells YAML (default: ``cells.yaml``/``manifest.yaml`` inside ``data_dir`` when present).
    ``truth``: path to a ``truth.json`` (default: ``truth.json`` inside ``data_dir`` when present) — recovered values
    are then shown beside the values used to simulate them.  ``progress(iterable, total, description)`` wraps the
    loops (a rich bar in the CLI).  ``figures=False`` skips drawing (numbers only, much faster).  The output
    directory is built next to ``out_dir`` and moved into place at the end, so an interrupted run leaves no
    half-written report.  One bad file never aborts the run.
    """
    from ..cell import load_manifest
    from ..recipes import routing

    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    out_dir = Path(out_dir)
    if not data_dir.exists():
        raise SselabError(f"{data_dir}: no such directory")
    progress = progress or _identity_progress
    base = data_dir if data_dir.is_dir() else data_dir.parent
    mpath = Path(manifest) if manifest else next((base / n for n in MANIFEST_NAMES if (base / n).exists()), None)
    # a file listed in the manifest but missing is reported as a failed file, not a reason to stop
    man = load_manifest(mpath, check_files=False) if mpath is not None else None
    tpath = Path(truth) if truth else next((base / n for n in TRUTH_NAMES if (base / n).exists()), None)
    truth_doc = None
    notes = []
    if tpath is not None:
        try:
            truth_doc = json.loads(tpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            notes.append(f"{tpath}: truth file not readable ({one_line(exc)}); comparison left out")

    from ..outputs import write_tree

    # the output folder is checked before any work: new, empty or an earlier sselab report, outside the inputs
    with write_tree(out_dir, inputs=[data_dir, mpath, tpath], kind="report") as tmp:
        records = routing.load(data_dir, man, exclude=[out_dir, tmp], progress=progress)
        jobs, unrouted = routing.plan(records, man)
        for r in records:
            if r.rel in unrouted:
                r.warnings.append(unrouted[r.rel])
        with _quiet():
            results = routing.run_all(jobs, progress=progress, workers=ANALYSIS_WORKERS)
            ctx = Context(items=records, results=results, figures=FigureStore(tmp / "figures", enabled=figures),
                          manifest=man)
            sections = recipe_sections(ctx)
            sections += materials_sections(ctx)
            from .cell_projection import cell_projection_sections

            sections += cell_projection_sections(ctx)
        ctx.figures.flush(progress if progress is not _identity_progress else None)
        rep = Report(title=title or f"sselab report — {data_dir.name}", input_dir=data_dir.resolve(),
                     generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), records=records,
                     sections=sections, manifest_path=mpath, truth_path=tpath, notes=notes,
                     cells=list(man.cells) if man is not None else [],
                     analysis_errors=[jr.error for jr in results if jr.error])
        rep.summary_tables = _summary_tables(sections, ctx.data)
        rep.paper_figures = paper_figure_index(sections, records) if figures else []
        if truth_doc is not None:
            from .paper import paper_comparison

            rep.paper_rows = paper_comparison(results, truth_doc)
            if rep.paper_rows:
                rep.paper_citation = str(truth_doc.get("paper") or "")
            rep.truth_rows = compare_truth(rep.numbers, truth_doc)
            for row in rep.truth_rows:
                for s in sections:
                    for n in s.numbers:
                        if (n.subject, n.quantity) == (row["subject"], row["quantity"]):
                            n.truth = row["true"]
        rep.seconds = time.perf_counter() - t0
        from .html import render

        (tmp / "report.html").write_text(render(rep), encoding="utf-8")
        (tmp / "results.json").write_text(json.dumps(rep.to_dict(), indent=1, allow_nan=False), encoding="utf-8")
        (tmp / "summary.csv").write_text(_summary_csv(rep), encoding="utf-8")
        if ctx.log:
            (tmp / "debug.log").write_text("\n".join(ctx.log), encoding="utf-8")
    rep.out_dir = out_dir
    rep.seconds = time.perf_counter() - t0
    return rep


class _quiet:
    """Many figures are open until the end of the run (they are written in parallel): no warning for that; numpy
    warnings from analyses of odd files are not the user's business either (problems are reported as notes)."""

    def __enter__(self):
        import warnings

        import matplotlib

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        self._rc = matplotlib.rc_context({"figure.max_open_warning": 0})
        self._rc.__enter__()
        return self

    def __exit__(self, *exc):
        self._rc.__exit__(*exc)
        self._w.__exit__(*exc)
        return False


def _summary_csv(rep: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "subject", "quantity", "label", "value", "stderr", "unit", "truth"])
    for n in rep.numbers:
        w.writerow([n.section, n.subject, n.quantity, n.label, n.value, "" if n.stderr is None else n.stderr, n.unit,
                    "" if n.truth is None else n.truth])
    return buf.getvalue()
