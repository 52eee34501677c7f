"""Build a report from a folder of instrument files: read, route, analyse, render, write atomically."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import SselabError
from ..results import jsonable
from .model import FileRecord, Number, Section, Table
from .plots import FigureStore
from .sections import SECTION_BUILDERS, Context, fmt_pm, one_line

__all__ = ["build_report", "Report", "TOLERANCES", "compare_truth", "collect_files", "SKIP_SUFFIXES"]

#: never read as measurements
SKIP_SUFFIXES = {".yaml", ".yml", ".json", ".md", ".html", ".htm", ".png", ".svg", ".pdf", ".jpg", ".jpeg", ".gif",
                 ".py", ".log", ".zip", ".gz", ".css", ".js", ".ipynb", ".toml", ".cfg", ".ini"}
MANIFEST_NAMES = ("cells.yaml", "cells.yml", "manifest.yaml", "manifest.yml")
TRUTH_NAMES = ("truth.json",)

#: agreement tolerances for recovered vs simulated values: (kind, tolerance); kind "abs", "rel" or "exact"
TOLERANCES = {
    "Ea_eV": ("abs", 0.02), "sigma_30C_mS_per_cm": ("rel", 0.10), "tau_s": ("rel", 0.05),
    "sigma_e_nS_per_cm": ("rel", 0.05), "t_ion": ("abs", 0.002), "imbalance_pct_of_pellet_Li": ("rel", 0.10),
    "break_cycle": ("abs", 1.0), "ox_onset_V": ("abs", 0.05), "q_plate_first_C": ("rel", 0.05),
    "q_plate_last_C": ("rel", 0.05), "strip_plate_ratio": ("abs", 0.03), "n_cycles": ("abs", 0.0),
    "short_cycle": ("abs", 1.0), "short_kind": ("exact", 0), "short_current_density_uA_per_cm2": ("rel", 0.02),
    "first_discharge_mAh_per_g": ("rel", 0.02), "last_discharge_mAh_per_g": ("rel", 0.02),
    "first_ce": ("abs", 0.01), "ce": ("abs", 0.01), "asr_interface_ohm_cm2": ("rel", 0.10),
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
    manifest_path: Path | None = None
    truth_path: Path | None = None
    seconds: float = 0.0
    out_dir: Path | None = None
    cells: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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
            "summary": [n.__dict__ for n in self.numbers],
            "truth_comparison": self.truth_rows,
            "sections": [{"id": s.id, "title": s.title, "kind": s.kind, "subject": s.subject, "status": s.status,
                          "notes": s.notes, "files": s.files, "figures": [list(f.files) for f in s.figures],
                          "numbers": [n.__dict__ for n in s.numbers], "result": _result_dict(s.result)}
                         for s in self.sections],
            "notes": self.notes,
        })


def _result_dict(obj):
    if obj is None:
        return None
    try:
        return jsonable(obj)
    except Exception as exc:  # never let one odd result object break results.json
        return {"unserialisable": one_line(exc)}


# ---------------------------------------------------------------------------------------------------------------
# collecting and reading
# ---------------------------------------------------------------------------------------------------------------

def collect_files(data_dir: Path, manifest=None, exclude: list[Path] = ()) -> list[Path]:
    """Every candidate measurement file under ``data_dir`` (recursively) plus the manifest's files.

    Hidden files and folders, non-data suffixes (:data:`SKIP_SUFFIXES`) and earlier sselab report folders (holding
    ``report.html`` and ``results.json``) are left out."""
    data_dir = Path(data_dir)
    ex = [Path(e).resolve() for e in exclude]
    found: dict[Path, None] = {}
    if data_dir.is_file():
        found[data_dir.resolve()] = None
    else:
        for root, dirs, files in os.walk(data_dir):
            rp = Path(root).resolve()
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not any(_inside(rp / d, e) for e in ex)
                             and not ((rp / d / "report.html").exists() and (rp / d / "results.json").exists()))
            for name in sorted(files, key=_natural):
                p = rp / name
                if name.startswith(".") or p.suffix.lower() in SKIP_SUFFIXES:
                    continue
                found[p] = None
    if manifest is not None:
        for c in manifest.cells:
            for fe in c.files:
                found.setdefault(Path(fe.path).resolve(), None)
    return list(found)


def _natural(name: str):
    """Sort key putting ``x_30C`` before ``x_100C``."""
    import re

    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", name)]


def _inside(p: Path, parent: Path) -> bool:
    try:
        p.resolve().relative_to(parent)
        return True
    except ValueError:
        return False


def _read_one(path: Path, base: Path, manifest) -> FileRecord:
    from ..io import read

    try:
        rel = path.relative_to(base.resolve()).as_posix()
    except ValueError:
        rel = str(path)
    rec = FileRecord(path=path, rel=rel)
    hit = manifest.cell_for(path) if manifest is not None else None
    if hit is not None:
        rec.cell = hit[0]
    try:
        if not path.exists():
            raise SselabError(f"{path.name}: listed in the manifest but not found ({path})")
        m = read(path)
        if len(m) == 0:
            raise SselabError(f"{path.name}: no data rows")
        rec.measurement = m
        rec.format = m.format
        tech = m.technique or "unknown"
        if tech == "unknown" and m.is_eis:
            tech = "EIS"
        rec.technique = tech
        rec.warnings = list(m.warnings)
        t_manifest = manifest.temperature_of(path) if manifest is not None else None
        rec.temperature_K = t_manifest if t_manifest is not None else m.temperature_K
    except Exception as exc:
        rec.error = one_line(exc)
        if not rec.error.startswith(path.name) and str(path) not in rec.error:
            rec.error = f"{path.name}: {rec.error}"
    return rec


# ---------------------------------------------------------------------------------------------------------------
# summary tables and truth
# ---------------------------------------------------------------------------------------------------------------

def _summary_tables(sections: list[Section], results: dict) -> list[Table]:
    tables = []
    arr = [s for s in sections if s.kind == "arrhenius" and s.subject != "all"]
    if arr:
        rows = []
        cells_of = results.get("material_cells") or {}
        ranks = {n.subject: n.value for sec in sections if sec.kind == "materials" for n in sec.numbers
                 if n.quantity == "kb_rank"}
        for s in arr:
            num = {n.quantity: n for n in s.numbers}
            fit = s.result
            trange = (f"{fit.T_K.min() - 273.15:.0f}–{fit.T_K.max() - 273.15:.0f}" if fit is not None and
                      hasattr(fit, "T_K") else "—")
            s30 = num.get("sigma_30C_mS_per_cm")
            ea = num.get("Ea_eV")
            rows.append([s.subject, ", ".join(cells_of.get(s.subject, [])) or "—",
                         trange, fmt_pm(s30.value, s30.stderr, 3) if s30 else "—",
                         fmt_pm(ea.value, ea.stderr, 3) if ea else "—", str(getattr(fit, "n_points", "—")),
                         str(ranks.get(s.subject, "—"))])
        tables.append(Table("Table 1. Ionic conductivity of the preparations (EIS, blocking electrodes)",
                            ["material", "cells", "T range (°C)", "σ(30 °C) (mS/cm)", "Ea (eV)", "n",
                             "rank in knowledge base (25 °C)"], rows))
    other = [s for s in sections if (s.kind in ("dcpol", "cv", "cycling") or
                                     (s.kind == "eis" and any(n.quantity.startswith("asr") for n in s.numbers)))
             and s.numbers]
    if other:
        rows = []
        for s in other:
            parts = [f"{n.label} = {fmt_pm(n.value, n.stderr, 3) if not isinstance(n.value, str) else n.value}"
                     f"{(' ' + n.unit) if n.unit and not isinstance(n.value, str) else ''}" for n in s.numbers]
            test = {"dcpol": "DC polarisation", "cv": "cyclic voltammetry", "eis": "impedance (Li|Li)"}.get(
                s.kind, s.title.split(" — ")[0])
            rows.append([s.subject, test, "; ".join(parts)])
        tables.append(Table("Table 2. Electrochemical tests", ["cell", "test", "results"], rows))
    if results.get("cell_projection_table") is not None:
        tables.append(results["cell_projection_table"])
    return tables


def compare_truth(numbers: list[Number], truth: dict) -> list[dict]:
    """Rows ``subject, quantity, recovered, stderr, true, deviation, agrees`` for every truth value."""
    rows = []
    index = {(n.subject, n.quantity): n for n in numbers}
    for group in ("materials", "cells"):
        for subject, vals in (truth.get(group) or {}).items():
            for q, true in vals.items():
                if true is None:
                    continue
                n = index.get((subject, q))
                row = {"subject": subject, "quantity": q, "label": n.label if n else q,
                       "recovered": n.value if n else None, "stderr": n.stderr if n else None,
                       "unit": n.unit if n else "", "true": true, "deviation": None, "agrees": None}
                if n is not None and n.value is not None:
                    kind, tol = TOLERANCES.get(q, ("rel", 0.05))
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
    per-file loop (a rich bar in the CLI).  ``figures=False`` skips drawing (numbers only, much faster).  The output directory is built next to ``out_dir`` and moved into place
    at the end, so an interrupted run leaves no half-written report.  One bad file never aborts the run.
    """
    from ..cell import load_manifest

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
        paths = collect_files(data_dir, man, exclude=[out_dir, tmp])
        records = [_read_one(p, base, man) for p in progress(paths, total=len(paths), description="reading")]
        ctx = Context(records=records, figures=FigureStore(tmp / "figures", enabled=figures), manifest=man)
        sections: list[Section] = []
        for builder in progress(SECTION_BUILDERS, total=len(SECTION_BUILDERS), description="analysing"):
            try:
                with _quiet():
                    sections.extend(builder(ctx))
            except Exception as exc:  # a builder bug must not lose the rest of the report
                sec = Section(f"error-{builder.__name__}", builder.__name__.replace("_", " "), "error",
                              status="error")
                sec.note(f"{builder.__name__} failed: {one_line(exc)}")
                ctx.log.append(traceback.format_exc())
                sections.append(sec)
        ctx.figures.flush(progress if progress is not _identity_progress else None)
        for r in records:
            if r.ok and not r.used_in and r.technique not in ("EIS", "PEIS", "GEIS", "CA", "CV", "LSV", "GCPL",
                                                                "CP", "CYCLING", "MB"):
                r.warnings.append(f"technique {r.technique}: no analysis in the report")
        rep = Report(title=title or f"sselab report — {data_dir.name}", input_dir=data_dir.resolve(),
                     generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), records=records,
                     sections=sections, manifest_path=mpath, truth_path=tpath, notes=notes,
                     cells=list(man.cells) if man is not None else [])
        rep.summary_tables = _summary_tables(sections, ctx.results)
        if truth_doc is not None:
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
