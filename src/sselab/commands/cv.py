"""`sselab cv` — cyclic voltammetry: Li stripping/plating charges per cycle, Li imbalance, stability window."""
from __future__ import annotations

from pathlib import Path

import typer

from ._common import JSON_OPTION, OUT_OPTION, err_console, fmt, print_json, show, table, user_errors


def _parse_window(text: str | None):
    from .. import units
    from ..errors import UnitError

    if text is None:
        return (-0.5, 0.5)
    s = text.strip()
    if s.lower() in ("none", "off", "no"):
        return None
    for sep in ("..", "…", ",", ":"):
        if sep in s:
            a, b = s.split(sep, 1)
            lo = units.parse(a, "potential", default_unit="V")
            hi = units.parse(b, "potential", default_unit="V")
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
    threshold: str = typer.Option("10uA/cm2", "--threshold",
                                  help="Decomposition current-density threshold (bare number: µA/cm²)."),
    window: str = typer.Option(None, "--window",
                               help="Stripping/plating window 'LOW,HIGH' in V vs Li (default -0.5,0.5; 'none')."),
    consecutive: int = typer.Option(5, "--consecutive", min=1,
                                    help="Samples that must stay beyond the threshold to call an onset."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Cycles, Li stripping/plating charge per cycle and its imbalance (% of pellet Li), stability window."""
    with user_errors():
        from .. import units
        from ..cell import CellSpec
        from ..io import read
        from ..voltammetry import analyze_cv, plot_charge_vs_cycle, plot_cv

        win = _parse_window(window)
        th = units.parse(threshold, "current_density", default_unit="uA/cm2")
        if not th > 0:
            from ..errors import UnitError

            raise UnitError(f"--threshold {threshold!r} must be positive")
        cell = CellSpec.from_strings(Path(file).stem, diameter=diameter, area=area, pellet_mass=pellet_mass,
                                     formula=formula)
        m = read(file)
        res = analyze_cv(m, window_V=win, area_m2=cell.area_m2, threshold_A_per_m2=th, n_consecutive=consecutive,
                         pellet_mass_kg=cell.pellet_mass_kg, formula=formula)
        written = []
        if out is not None:
            from ..plotting import save_figure

            stem = Path(file).stem
            written += [str(p) for p in save_figure(plot_cv(res), out, f"cv_{stem}")]
            if win is not None:
                written += [str(p) for p in save_figure(plot_charge_vs_cycle(res), out, f"cv_charge_{stem}")]
                import pandas as pd

                csv = Path(out) / f"cv_charges_{stem}.csv"
                pd.DataFrame({"cycle": res.cycles, "complete": res.complete, "q_strip_C": res.q_strip_C,
                              "q_plate_C": res.q_plate_C, "strip_plate_ratio": res.strip_plate_ratio,
                              "cumulative_plate_minus_strip_C": res.cumulative_imbalance_C}).to_csv(csv, index=False)
                written.append(str(csv))
        if json_out:
            print_json({"file": str(file), "technique": m.technique, "reader_warnings": list(m.warnings),
                        "result": res.to_dict(), "figures": written})
            return
        rows = []
        for n, k in enumerate(res.cycles):
            rows.append((str(int(k)) + ("" if res.complete[n] else " (partial)"), res.q_strip_C[n] * 1e3,
                         res.q_plate_C[n] * 1e3, fmt(res.strip_plate_ratio[n]), res.cumulative_imbalance_C[n] * 1e3))
        if win is not None:
            show(table(f"Stripping/plating in {win[0]:g}…{win[1]:g} V — {Path(file).name}",
                       ["cycle", "Q strip / mC", "Q plate / mC", "strip/plate", "Σ(plate−strip) / mC"], rows))

        def onset(v, found):
            return f"{fmt(v)} V" if found else "none (stable to scan limit)"

        summary = [
            ("cycles (vertex detection)", str(res.n_cycles)),
            ("scan range", f"{fmt(res.scan_range_V[0])} … {fmt(res.scan_range_V[1])} V"),
            ("scan rate", f"{fmt(res.scan_rate_V_per_s * 1e3)} mV/s" if res.scan_rate_V_per_s else "—"),
            ("Li plated − stripped", f"{fmt(res.imbalance_C * 1e3)} mC = {fmt(res.imbalance_mol_Li * 1e6)} µmol"),
            ("… as % of Li in pellet", fmt(res.imbalance_pct_of_pellet_Li)
             if res.imbalance_pct_of_pellet_Li is not None else "— (give --pellet-mass and --formula)"),
        ]
        if res.area_m2 is not None:
            summary += [
                (f"oxidative onset (>{fmt(th * 100)} µA/cm²)", onset(res.ox_onset_V, res.ox_limit_found)),
                ("reductive onset", onset(res.red_onset_V, res.red_limit_found)),
                ("stability window", f"{fmt(res.stability_window_V[0])} … {fmt(res.stability_window_V[1])} V"),
            ]
        for name, fit in (("stripping", res.strip_regimes), ("plating", res.plate_regimes)):
            if fit is not None:
                slopes = f"{fmt(fit.slope_1 * 1e3)} → {fmt(fit.slope_2 * 1e3)} mC/cycle"
                two = "yes" if fit.two_regimes else "no"
                summary.append((f"{name}: break at cycle",
                                f"{fmt(fit.x_break, 3)}  (slopes {slopes}; two regimes: {two})"))
        show(table("Summary", ["quantity", "value"], summary))
        for w in list(m.warnings) + list(res.warnings):
            err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
        for p in written:
            err_console.print(f"wrote {p}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("cv")(cv)
