"""`sselab arrhenius` — impedance files at several temperatures → σ(T), Ea, σ(25 °C), σ(30 °C), Arrhenius plot.

The analysis is the ``eis.arrhenius`` recipe (:mod:`sselab.recipes.arrhenius`), with the report's routing when a
manifest is given: cells sharing a ``material`` form one series (several preparations, like Fig. 1f of the Li2NH
paper), temperatures come from the manifest entry, else the file (instrument or name: ``pellet_30C.mpr``,
``x_303K.z``), else the manifest cell.  Without a manifest all files are one series with the command-line geometry.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._common import (JSON_OPTION, MANIFEST_OPTION, OUT_OPTION, check_result, cli_cell, emit, load_manifest_option,
                      out_dir, show_table, show_values, user_errors, write_outputs)


def _jobs(files, manifest, cli, label):
    """The eis.arrhenius jobs (one per material) for the files, as the report plans them."""
    from dataclasses import replace

    from ..errors import AnalysisError
    from ..recipes.routing import Job, cell_for, plan, read_item

    if manifest is None:
        if not files:
            raise AnalysisError("no files given (pass impedance files or --manifest with files)")
        items = [read_item(Path(p).resolve(), Path(p).resolve().parent) for p in files]
        for it in items:
            if not it.ok:
                raise AnalysisError(it.error)
            if not it.measurement.is_eis:
                raise AnalysisError(f"{it.path}: not an impedance file (technique {it.technique})")
        cell = replace(cli, material=label)
        return [Job("eis.arrhenius", label, items, cell, {"cells": [cell] * len(items)}, [cell] * len(items))]
    paths = [Path(p).resolve() for p in files] or [Path(fe.path).resolve() for c in manifest.cells for fe in c.files]
    if not paths:
        raise AnalysisError(f"{manifest.source}: the manifest lists no files")
    items = []
    for p in paths:
        it = read_item(p, manifest.base_dir, manifest)
        if not it.ok:
            raise AnalysisError(it.error)
        it.cell = cell_for(p, manifest, cli)[0] if it.cell is not None else cli
        items.append(it)
    jobs = [j for j in plan(items, manifest)[0] if j.recipe == "eis.arrhenius"]
    for j in jobs:
        j.options["cells"] = [it.cell for it in j.items]
    if not jobs:
        raise AnalysisError("no temperature series among the files (impedance of blocking cells at ≥ 2 "
                            "temperatures)")
    return jobs


def arrhenius_cmd(
    files: Optional[List[Path]] = typer.Argument(None, help="Impedance files, one temperature each (temperature "
                                                            "from the file, its name like pellet_30C.csv, or "
                                                            "--manifest)."),
    circuit: str = typer.Option(None, "--circuit", "-c",
                                help="Fit this circuit to every spectrum instead of choosing the number of arcs "
                                     "from the data."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    resistance: str = typer.Option(None, "--resistance", "-R",
                                   help="With --circuit: parameters summed into the electrolyte resistance, e.g. "
                                        "'R0+R1' (default: every resistor).  A resistance that leaves out the "
                                        "intercept an above-band arc merged into is flagged and its point excluded."),
    keep: bool = typer.Option(False, "--keep", help="Keep points flagged unreliable in the fit."),
    convention: str = typer.Option("sigmaT", "--convention",
                                   help="sigmaT: ln(σT) vs 1/T (hopping model, default); sigma: ln σ vs 1/T."),
    manifest: Path = MANIFEST_OPTION,
    weighting: str = typer.Option("modulus", "--weighting", "-w", help="EIS fit weighting: modulus, proportional, "
                                                                      "unit."),
    two_regime: bool = typer.Option(False, "--two-regime",
                                    help="Also fit two regimes with an automatic break (F-test and BIC vs one)."),
    continuous: bool = typer.Option(False, "--continuous",
                                    help="With --two-regime: lines meet at the break (hinge) instead of two "
                                         "independent lines."),
    weighted: bool = typer.Option(True, "--weighted/--unweighted",
                                  help="Weight the Arrhenius fit by the σ errors from the EIS fits."),
    compare: bool = typer.Option(False, "--compare", help="Overlay and rank against the nearest knowledge-base "
                                                          "materials."),
    label: str = typer.Option("sample", "--label", help="Name of the series when no manifest groups the files."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """σ(T) of every spectrum (each analysed as `eis fit` does), then Ea ± error, σ(25 °C), σ(30 °C).  Warnings
    (excluded points, too few temperatures) come first; --json prints {"results": [one per material]}."""
    with user_errors():
        from ..errors import UnitError
        from ..recipes import get

        if convention not in ("sigmaT", "sigma"):
            raise UnitError(f"--convention {convention!r}: use 'sigmaT' or 'sigma'")
        if weighting not in ("modulus", "proportional", "unit"):
            raise UnitError(f"--weighting {weighting!r}: unknown weighting (modulus, proportional or unit)")
        if continuous and not two_regime:
            raise UnitError("--continuous only applies with --two-regime")
        cli = cli_cell("cell", thickness=thickness, diameter=diameter, area=area)
        man = load_manifest_option(manifest)
        out = out_dir(out, list(files or []) + ([manifest] if manifest is not None else []))
        spec = get("eis.arrhenius")
        results = []
        for job in _jobs(files or [], man, cli, label):
            opts = {**job.options, "circuit": circuit, "resistance": resistance, "keep": keep,
                    "convention": convention, "weighting": weighting, "two_regime": two_regime,
                    "continuous": continuous, "weighted": weighted, "compare": compare, "subject": job.subject}
            results.append(spec.run([it.measurement for it in job.items], job.cell, **opts))
        if len(results) == 1:
            check_result(results[0])
        written = write_outputs([r for r in results if r.ok], out, summary="arrhenius.csv")

        def show_fn(r):
            show_table(r.table("points"), ["spectrum", "T_K", "R_ohm", "sigma_S_per_m", "used", "note"],
                       f"σ(T) points — {r.subject}")
            show_values(r, f"Arrhenius fit ({'ln σT' if convention == 'sigmaT' else 'ln σ'} vs 1/T) — {r.subject}")

        emit(results, json_out=json_out, single=False, written=written, show_fn=show_fn)


def register(app: typer.Typer) -> None:
    app.command("arrhenius", help="Impedance files at several temperatures → σ(T), Ea, σ(25 °C), Arrhenius "
                                  "plot.")(arrhenius_cmd)
