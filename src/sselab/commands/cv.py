"""`sselab cv` — cyclic voltammetry: Li stripping/plating charges per cycle, Li imbalance, stability window.  The
analysis (window, onset rule, reduction limit) is the ``cv`` recipe's (:mod:`sselab.recipes.voltammetry`)."""
from __future__ import annotations

from pathlib import Path

import typer

from ._common import (JSON_OPTION, MANIFEST_OPTION, OUT_OPTION, cli_cell, emit, load_manifest_option, out_dir,
                      show_table, show_values, user_errors, write_outputs)


def _parse_window(text: str | None):
    """``None`` (the recipe's default), ``'none'`` (no window) or ``(low, high)`` in V."""
    from .. import units
    from ..errors import UnitError

    if text is None:
        return "default"
    s = text.strip()
    if s.lower() in ("none", "off", "no"):
        return None
    for sep in ("..", "…", ",", ":"):
        if sep in s:
            a, b = s.split(sep, 1)
            try:
                lo = units.parse(a, "potential", default_unit="V")
                hi = units.parse(b, "potential", default_unit="V")
            except UnitError as exc:
                raise UnitError(f"--window {text!r}: {exc}") from None
            if not hi > lo:
                raise UnitError(f"--window {text!r}: the upper bound must exceed the lower")
            return (lo, hi)
    raise UnitError(f"--window {text!r}: expected 'LOW,HIGH' in volts, e.g. '-0.5,0.5', or 'none'")


def cv(
    file: Path = typer.Argument(..., help="CV or LSV file (any format sselab.io.read understands)."),
    pellet_mass: str = typer.Option(None, "--pellet-mass", help="Pellet mass, e.g. '150mg' (for Li imbalance %)."),
    formula: str = typer.Option(None, "--formula", help="Electrolyte formula, e.g. Li2NH (non-integer allowed)."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area, e.g. '0.7854cm2'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter instead of area, e.g. '10mm'."),
    threshold: str = typer.Option(None, "--threshold",
                                  help="Decomposition current-density threshold (default 10 µA/cm²; bare number: "
                                       "µA/cm²)."),
    window: str = typer.Option(None, "--window",
                               help="Stripping/plating window 'LOW,HIGH' in V vs Li (default -0.5,0.5; 'none')."),
    reference: str = typer.Option("Li/Li+", "--reference",
                                  help="Reference electrode named on the potential axis of the figure ('none': "
                                       "omit)."),
    consecutive: int = typer.Option(5, "--consecutive", min=1,
                                    help="Samples that must stay beyond the threshold to call an onset."),
    manifest: Path = MANIFEST_OPTION,
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Cycles, Li stripping/plating charge per cycle and its imbalance (% of pellet Li), stability window."""
    with user_errors():
        out = out_dir(out, [file] + ([manifest] if manifest is not None else []))
        from .. import units
        from ..errors import UnitError
        from ..io import read
        from ..recipes import get
        from ..recipes.routing import cell_for

        opts = {"n_consecutive": consecutive}
        win = _parse_window(window)
        if win != "default":
            opts["window_V"] = win
        if threshold is not None:
            try:
                th = units.parse(threshold, "current_density", default_unit="uA/cm2")
            except UnitError as exc:
                raise UnitError(f"--threshold {threshold!r}: {exc}") from None
            if not th > 0:
                raise UnitError(f"--threshold {threshold!r} must be positive")
            opts["threshold_A_per_m2"] = th
        ref = None if reference.strip().lower() in ("", "none") else reference.strip()
        opts["reference"] = ref
        base = cli_cell(Path(file).stem, diameter=diameter, area=area, pellet_mass=pellet_mass, formula=formula,
                        electrodes="Li|steel")
        if formula is not None:
            from ..materials.formula import parse_formula

            parse_formula(formula)
        cell, _ = cell_for(Path(file).resolve(), load_manifest_option(manifest), base)
        if cell is not base and formula is not None:
            from dataclasses import replace

            cell = replace(cell, formula=formula)
        res = get("cv").run([read(file)], cell, **opts)
        written = write_outputs([res], out)

        def show_fn(r):
            if any(t.name == "cycles" for t in r.tables):
                show_table(r.table("cycles"))
            show_values(r, f"Cyclic voltammetry — {r.subject}")

        emit([res], json_out=json_out, single=True, written=written, show_fn=show_fn)


def register(app: typer.Typer) -> None:
    app.command("cv")(cv)
