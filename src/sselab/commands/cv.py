"""`sselab cv` — cyclic voltammetry: Li stripping/plating charges per cycle, Li imbalance, stability window."""
from __future__ import annotations

from pathlib import Path

import typer


from ._common import JSON_OPTION, OUT_OPTION, err_console, out_dir, write_table, fmt, print_json, print_notes, show, table, user_errors


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
    reference: str = typer.Option("Li/Li+", "--reference",
                                  help="Reference electrode for the potential axis of the figure ('none': omit)."),
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

        out = out_dir(out, [file])
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
        import numpy as np

        has_charge = win is not None and bool(np.any(res.q_strip_C > 0) or np.any(res.q_plate_C > 0))
        written = []
        if out is not None:
            from ..plotting import save_figure

            stem = Path(file).stem
            ref = None if reference.strip().lower() in ("", "none") else reference.strip()
            ref = "Li/Li$^+$" if ref == "Li/Li+" else ref
            written += [str(p) for p in save_figure(plot_cv(res, reference=ref), out, f"cv_{stem}")]
            if has_charge:
                written += [str(p) for p in save_figure(plot_charge_vs_cycle(res), out, f"cv_charge_{stem}")]
            if win is not None:
                import pandas as pd

                cols = {"cycle": res.cycles, "complete": res.complete, "q_strip_C": res.q_strip_C,
                        "q_plate_C": res.q_plate_C, "strip_plate_ratio": res.strip_plate_ratio,
                        "cumulative_plate_minus_strip_C": res.cumulative_imbalance_C}
                if res.area_m2:
                    cols.update({"q_strip_C_per_m2": res.areal(res.q_strip_C),
                                 "q_plate_C_per_m2": res.areal(res.q_plate_C)})
                written.append(write_table(out, f"cv_charges_{stem}.csv", pd.DataFrame(cols)))
        if json_out:
            d = res.to_dict()
            for k in ("ox_onset_by_cycle", "red_onset_by_cycle"):   # potentials: the key carries the unit
                if k in d:
                    d[f"{k}_V"] = d.pop(k)
            print_json({"file": str(file), "technique": m.technique, "reader_warnings": list(m.warnings),
                        "result": d, "figures": written})
            return
        from ..voltammetry import AREAL_CHARGE_UNITS, CHARGE_UNITS, pick_unit

        fq, uq = pick_unit(np.concatenate([res.q_strip_C, res.q_plate_C]), CHARGE_UNITS)
        if res.area_m2:
            fa, ua = pick_unit(np.concatenate([res.areal(res.q_strip_C), res.areal(res.q_plate_C)]),
                               AREAL_CHARGE_UNITS)
            ua = ua.replace(" cm$^{-2}$", "/cm²")
        if has_charge:
            rows = []
            for n, k in enumerate(res.cycles):
                row = [str(int(k)) + ("" if res.complete[n] else "*")]
                if res.area_m2:
                    row += [fmt(res.q_strip_C[n] / res.area_m2 * fa), fmt(res.q_plate_C[n] / res.area_m2 * fa)]
                row += [fmt(res.q_strip_C[n] * fq), fmt(res.q_plate_C[n] * fq), fmt(res.strip_plate_ratio[n]),
                        fmt(res.cumulative_imbalance_C[n] * fq)]
                rows.append(row)
            cols = ["cycle"]
            if res.area_m2:
                cols += [f"strip {ua}", f"plate {ua}"]
            cols += [f"strip {uq}", f"plate {uq}", "ratio s/p", f"Σ(p−s) {uq}"]
            edges = [name for name, o in zip(("lower", "upper"), res.window_edges_open) if o]
            note = f" (open {' and '.join(edges)} edge at the vertex)" if edges else ""
            show(table(f"Stripping/plating charge in {win[0]:g}…{win[1]:g} V{note} — {Path(file).name}", cols,
                       rows))
            if not all(res.complete):
                err_console.print("* partial cycle (does not cross the whole window both ways)", highlight=False)
        elif win is not None:
            err_console.print(f"no stripping/plating charge: the scan ({fmt(res.scan_range_V[0])} … "
                              f"{fmt(res.scan_range_V[1])} V) has no current inside {win[0]:g}…{win[1]:g} V",
                              highlight=False)

        def onset(v, found):
            return f"{fmt(v)} V" if found else "none (stable to scan limit)"

        fi, ui = pick_unit([res.imbalance_C], CHARGE_UNITS)
        imb = f"{fmt(res.imbalance_C * fi)} {ui}"
        if res.area_m2:
            fia, uia = pick_unit([res.imbalance_C / res.area_m2], AREAL_CHARGE_UNITS)
            imb += f" ({fmt(res.imbalance_C / res.area_m2 * fia)} {uia.replace(' cm$^{-2}$', '/cm²')})"
        summary = [
            ("cycles (vertex detection)", str(res.n_cycles)),
            ("scan range", f"{fmt(res.scan_range_V[0])} … {fmt(res.scan_range_V[1])} V"),
            ("scan rate", f"{fmt(res.scan_rate_V_per_s * 1e3)} mV/s" if res.scan_rate_V_per_s else "—"),
        ]
        if has_charge:
            summary += [
                ("Li plated − stripped", f"{imb} = {fmt(res.imbalance_mol_Li * 1e9)} nmol"
                 if abs(res.imbalance_mol_Li) < 1e-6 else f"{imb} = {fmt(res.imbalance_mol_Li * 1e6)} µmol"),
                ("… as % of Li in pellet", fmt(res.imbalance_pct_of_pellet_Li) + " %"
                 if res.imbalance_pct_of_pellet_Li is not None else "— (give --pellet-mass and --formula)"),
            ]
        if res.area_m2 is not None:
            summary += [
                (f"oxidative onset (>{fmt(th * 100)} µA/cm²)", onset(res.ox_onset_V, res.ox_limit_found)),
                ("reductive onset", onset(res.red_onset_V, res.red_limit_found)),
                ("stability window", f"{fmt(res.stability_window_V[0])} … {fmt(res.stability_window_V[1])} V"
                 if res.stability_window_V[0] < res.stability_window_V[1] else "none (onsets overlap)"),
            ]
        for name, fit in (("stripping", res.strip_regimes), ("plating", res.plate_regimes)):
            if fit is not None:
                if res.area_m2:
                    fs, us = pick_unit([fit.slope_1 / res.area_m2, fit.slope_2 / res.area_m2], AREAL_CHARGE_UNITS)
                    s1, s2, us = fit.slope_1 / res.area_m2 * fs, fit.slope_2 / res.area_m2 * fs, \
                        us.replace(" cm$^{-2}$", "/cm²")
                else:
                    fs, us = pick_unit([fit.slope_1, fit.slope_2], CHARGE_UNITS)
                    s1, s2 = fit.slope_1 * fs, fit.slope_2 * fs
                two = "yes" if fit.two_regimes else "no"
                summary.append((f"{name}: break at cycle",
                                f"{fmt(fit.x_break, 3)}  (slopes {fmt(s1)} → {fmt(s2)} {us}/cycle; "
                                f"two regimes: {two})"))
        show(table("Summary", ["quantity", "value"], summary))
        print_notes(list(m.warnings) + list(res.warnings), written)


def register(app: typer.Typer) -> None:
    app.command("cv")(cv)
