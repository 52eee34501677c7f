"""`sselab report` — one HTML report for a folder of files; `sselab demo` — simulate a paper-like data set and
report on it (recovered values beside the values used to simulate them)."""
from __future__ import annotations

import time
from pathlib import Path

import typer

from rich.markup import escape

from ._common import JSON_OPTION, err_console, fmt, print_json, progress, show, table, user_errors


def _progress_bar(iterable, total=None, description="working"):
    return progress(iterable, total=total, description=description)


def _plain(text) -> str:
    import re

    return re.sub(r"<[^>]+>", "", str(text))


def _show_report(rep, out: Path, truth: bool):
    for t in rep.summary_tables:
        show(table(_plain(t.title), [_plain(c) for c in t.columns], [[_plain(c) for c in r] for r in t.rows]))
    for r in rep.failed_files:
        err_console.print(f"[yellow]failed:[/] {escape(str(r.error))}", highlight=False, soft_wrap=True)
    for e in rep.analysis_errors:
        err_console.print(f"[red]analysis failed:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
    if getattr(rep, "paper_rows", None):
        rows = [[_plain(r.get("quantity", "")), r.get("paper_text", ""), r.get("sselab_text", "—"),
                 r.get("unit_text", r.get("unit", "")),
                 {True: "agrees", False: "differs", None: "—"}[r.get("agrees")]] for r in rep.paper_rows]
        show(table(f"Comparison with the paper ({_plain(getattr(rep, 'paper_citation', ''))})",
                   ["quantity", "paper", "sselab", "unit", ""], rows))
        for r in rep.paper_rows:
            if r.get("agrees") is not True and r.get("note"):
                err_console.print(f"  {escape(_plain(r.get('quantity', '')))}: {escape(r['note'])}", highlight=False,
                                  soft_wrap=True)
    if getattr(rep, "paper_figures", None):
        figs = [e for e in rep.paper_figures if e.get("figure")]
        err_console.print(f"paper figures drawn: {', '.join(dict.fromkeys(e['figure'] for e in figs))}",
                          highlight=False, soft_wrap=True)
        for e in rep.paper_figures:
            if e.get("missing"):
                err_console.print(f"[yellow]not drawn:[/] {escape(', '.join(e['panels']))} ({escape(e['note'])})",
                                  highlight=False)
    if rep.truth_rows:
        n_ok = sum(1 for r in rep.truth_rows if r.get("agrees"))
        err_console.print(f"recovered vs simulated: {n_ok}/{len(rep.truth_rows)} agree", highlight=False)
        for r in rep.truth_rows:
            if r.get("agrees") is False:
                err_console.print(f"  differs: {escape(r['subject'])} {escape(r['quantity'])}: "
                                  f"{fmt(r['recovered'])} vs {fmt(r['true'])}", highlight=False)
    err_console.print(f"report: {out / 'report.html'}  ({rep.seconds:.1f} s, {len(rep.records)} files, "
                      f"{len(rep.failed_files)} failed)", highlight=False, markup=False)


def report(
    directory: Path = typer.Argument(..., help="Folder with instrument files (searched recursively)."),
    manifest: Path = typer.Option(None, "--manifest", "-m",
                                  help="Cells YAML (default: cells.yaml or manifest.yaml inside the folder)."),
    out: Path = typer.Option(Path("sselab-report"), "--out", "-o", help="Output folder (replaced atomically)."),
    truth: Path = typer.Option(None, "--truth",
                               help="truth.json with simulated values (default: truth.json inside the folder)."),
    title: str = typer.Option(None, "--title", help="Report title."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Numbers only (much faster)."),
    json_out: bool = JSON_OPTION,
):
    """One self-contained HTML report (+ results.json, summary.csv, figures) for a folder of files.

    Every file is read and routed to the recipes by technique and cell (sselab.recipes.routing): EIS → σ, interface
    ASR, Arrhenius per material, series in time; CA → DC polarisation; CV → voltammetry; galvanostatic →
    stripping/plating or full cell; then knowledge-base comparison, scorecard and cell-level projection.  Writes OUT/report.html (works offline), results.json, summary.csv and figures/*.png|svg.
    A file that cannot be read is listed with its error; the run never stops for one bad file."""
    with user_errors():
        from ..report import build_report

        rep = build_report(directory, out, manifest=manifest, truth=truth, title=title, progress=_progress_bar,
                           figures=not no_figures)
        if json_out:
            print_json({"report": str(out / "report.html"), "results": str(out / "results.json"),
                        "seconds": round(rep.seconds, 2), "files": len(rep.records),
                        "failed": [r.error for r in rep.failed_files], "analysis_errors": rep.analysis_errors,
                        "summary": [n.__dict__ for n in rep.numbers], "truth_comparison": rep.truth_rows})
            return
        _show_report(rep, out, bool(rep.truth_rows))


def demo(
    out: Path = typer.Option(Path("sselab-demo"), "--out", "-o", help="Folder for data/ and report/."),
    small: bool = typer.Option(False, "--small", help="A reduced data set (fewer temperatures and cycles)."),
    seed: int = typer.Option(2025, "--seed", help="Seed of the simulated noise."),
    json_out: bool = JSON_OPTION,
):
    """Simulate the lithium-imide paper's study (Lowen et al. 2025) and report on it: every figure of the paper
    sselab computes, labelled with its number, and every stated value beside sselab's.

    Three pellet preparations with EIS at 30–110 °C (Fig. 1e,f), Li|Li impedance before/after the heat treatment
    (1g), DC polarisation (ESI 2), DC polarisation before/after a −0.5…5 V CV (2a–d), the 758 h stripping/plating
    ladder with the impedance after cycling (3a–f), Li|TiS2 and Li|LiFePO4 full cells (5a–d), powder XRD (1d, 2e),
    in situ XRD and ⁷Li NMR (4a–c, ESI 17), and a clearly named showcase cell with a hard short (not the paper's).
    Writes OUT/data (instrument files, cells.yaml, truth.json) and OUT/report."""
    with user_errors():
        from ..report import build_report
        from ..simulate.demo import generate_demo

        from ..outputs import OutputDir

        t0 = time.perf_counter()
        OutputDir.prepare(out, kind="demo").create()   # a new, empty or earlier demo folder, marked as sselab's
        ds = generate_demo(out / "data", small=small, seed=seed)
        t_sim = time.perf_counter() - t0
        rep = build_report(ds.root, out / "report", manifest=ds.manifest, truth=ds.truth,
                           title="sselab demo — simulated lithium-imide data set", progress=_progress_bar)
        total = time.perf_counter() - t0
        n_ok = sum(1 for r in rep.truth_rows if r.get("agrees"))
        if json_out:
            print_json({"data": str(ds.root), "report": str(out / "report" / "report.html"),
                        "files": len(ds.files), "simulate_seconds": round(t_sim, 2),
                        "total_seconds": round(total, 2), "agree": n_ok, "compared": len(rep.truth_rows),
                        "truth_comparison": rep.truth_rows, "paper_comparison": rep.paper_rows,
                        "paper_figures": rep.paper_figures})
            return
        _show_report(rep, out / "report", True)
        err_console.print(f"demo: {len(ds.files)} files simulated in {t_sim:.1f} s, total {total:.1f} s; "
                          f"{n_ok}/{len(rep.truth_rows)} recovered values agree with the simulation",
                          highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("demo")(demo)
