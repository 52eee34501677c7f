"""`sselab cycle` — galvanostatic cycling: Li|SSE|Li stripping/plating ladders (shorts, CCD) or full cells."""
from __future__ import annotations

from pathlib import Path

import typer


from ._common import JSON_OPTION, OUT_OPTION, err_console, out_dir, write_table, fmt, fmt_pm, print_json, print_notes, show, table, user_errors


def _jd(j_A_per_m2) -> str:
    from ..cycling.plots import format_current_density

    return format_current_density(j_A_per_m2)


def cycle(
    file: Path = typer.Argument(..., help="Galvanostatic record (any format sselab.io.read understands; "
                                          "CSV with time_s,potential_V,current_A works)."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area, e.g. '0.7854cm2'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter instead of area, e.g. '10mm'."),
    symmetric: bool = typer.Option(False, "--symmetric", help="Li|SSE|Li stripping/plating (default without "
                                                              "--active-mass)."),
    active_mass: str = typer.Option(None, "--active-mass", "-m", help="Full cell: cathode active mass, e.g. '3mg'."),
    threshold: float = typer.Option(0.8, "--threshold", help="Full cell: end-of-life retention (fraction)."),
    ccd_on: str = typer.Option("any", "--ccd-on", help="Short kinds that end the CCD ladder: any (hard or soft) "
                                                       "or hard."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Segment a galvanostatic record into half cycles and analyse it as a symmetric ladder or a full cell."""
    with user_errors():
        out = out_dir(out, [file])
        from ..cell import CellSpec
        from ..errors import UnitError
        from ..io import read

        if symmetric and active_mass is not None:
            raise UnitError("--symmetric and --active-mass exclude each other (symmetric cell or full cell?)")
        if ccd_on not in ("any", "hard"):
            raise UnitError(f"--ccd-on {ccd_on!r}: expected any or hard")
        cell = CellSpec.from_strings(Path(file).stem, diameter=diameter, area=area, active_mass=active_mass)
        full = active_mass is not None
        if not full and cell.area_m2 is None:
            raise UnitError("a symmetric cell needs --area or --diameter (current density)")
        m = read(file)
        if full:
            _full(file, m, cell, threshold, json_out, out)
        else:
            _symmetric(file, m, cell, ccd_on, json_out, out)


def _symmetric(file, m, cell, ccd_on, json_out, out):
    from .. import units
    from ..cycling import analyze_symmetric

    res = analyze_symmetric(m, area_m2=cell.area_m2, ccd_on=ccd_on)
    written = []
    if out is not None:
        from ..cycling.plots import plot_ladder, plot_profiles, plot_resistance
        from ..plotting import save_figure

        stem = Path(file).stem
        figs = ((plot_ladder(res), f"cycle_{stem}_ladder"), (plot_resistance(res), f"cycle_{stem}_resistance"),
                (plot_profiles(res), f"cycle_{stem}_profiles"))
        for fig, name in figs:
            written += [str(p) for p in save_figure(fig, out, name)]
        written.append(write_table(out, f"cycle_{stem}_half_cycles.csv", res.half_cycle_table()))
    if json_out:
        print_json({"file": str(file), "technique": m.technique, "mode": "symmetric",
                    "reader_warnings": list(m.warnings), "result": res.to_dict(), "outputs": written})
        return
    rows = []
    for st in res.steps:
        rows.append((_jd(st.current_density_A_per_m2), str(st.n_cycles), f"{st.first_cycle}–{st.last_cycle}",
                     fmt(st.eta_median_V * 1e3), fmt(st.resistance_median_ohm_m2 * 1e4),
                     fmt_pm(st.r_slope_ohm_m2_per_cycle * 1e4, st.r_slope_err_ohm_m2_per_cycle * 1e4),
                     fmt_pm(st.r_slope_ohm_m2_per_h * 1e4, st.r_slope_err_ohm_m2_per_h * 1e4),
                     "yes" if st.sustained else "no"))
    show(table(f"Stripping/plating ladder — {Path(file).name}",
               ["|j|", "cycles", "cycle range", "median |η| / mV", "median R / Ω cm²", "dR/dcycle / Ω cm²",
                "dR/dt / Ω cm² h⁻¹", "sustained"], rows))
    q_mAh_cm2 = units.to_unit(res.cumulative_charge_C_per_m2, "mAh/cm2")
    tot = [("time", f"{fmt(res.total_hours)} h"), ("cycles", str(res.n_cycles)),
           ("cumulative charge", f"{fmt(q_mAh_cm2)} mAh/cm²  (≈ {fmt(res.li_thickness_equivalent_m * 1e6)} µm Li)"),
           ("CCD", (f"≥ {_jd(res.ccd_A_per_m2)}" if res.ccd_is_lower_bound else _jd(res.ccd_A_per_m2))
            if res.ccd_A_per_m2 is not None else "— (short in the first step)"),
           ("CCD (hard shorts only)", _jd(res.ccd_hard_A_per_m2) if res.ccd_hard_A_per_m2 is not None else "—")]
    show(table("Totals", ["quantity", "value"], tot))
    if res.shorts:
        show(table("Shorts", ["kind", "cycle", "time / h", "|j|", "reasons"],
                   [(s.kind, str(s.cycle), fmt(s.time_s / 3600.0), _jd(s.current_density_A_per_m2),
                     "; ".join(s.reasons)) for s in res.shorts]))
    else:
        err_console.print("no short detected: " + res.ccd_criterion, highlight=False, markup=False)
    print_notes(list(m.warnings) + list(res.warnings), written)


def _full(file, m, cell, threshold, json_out, out):
    from ..cycling import analyze_full_cell

    res = analyze_full_cell(m, active_mass_kg=cell.active_mass_kg, area_m2=cell.area_m2, threshold=threshold)
    written = []
    if out is not None:
        from ..cycling.plots import plot_full_cell, plot_profiles
        from ..plotting import save_figure

        stem = Path(file).stem
        for fig, name in ((plot_full_cell(res), f"cycle_{stem}_capacity"), (plot_profiles(res),
                                                                            f"cycle_{stem}_profiles")):
            written += [str(p) for p in save_figure(fig, out, name)]
        written.append(write_table(out, f"cycle_{stem}_cycles.csv", res.table()))
    if json_out:
        print_json({"file": str(file), "technique": m.technique, "mode": "full-cell",
                    "reader_warnings": list(m.warnings), "result": res.to_dict(), "outputs": written})
        return
    rows = []
    for k in range(res.n_cycles):
        area_col = (fmt(res.discharge_capacity_C_per_m2[k] / 36.0)
                    if res.discharge_capacity_C_per_m2 is not None else "—")
        rows.append((str(res.cycle[k]), fmt(res.charge_capacity_C_per_kg[k] / 3600.0),
                     fmt(res.discharge_capacity_C_per_kg[k] / 3600.0), area_col,
                     fmt(res.coulombic_efficiency[k] * 100), fmt(res.discharge_mean_voltage_V[k]),
                     fmt(res.retention[k] * 100)))
    show(table(f"Full cell — {Path(file).name} (starts with {res.first_direction})",
               ["cycle", "charge / mAh g⁻¹", "discharge / mAh g⁻¹", "discharge / µAh cm⁻²", "CE / %",
                "mean V (dis) / V", "retention / %"], rows))
    eol = (f"cycle {res.end_of_life_cycle}" if res.end_of_life_cycle else f"not reached in {res.n_cycles} cycles")
    show(table("Summary", ["quantity", "value"], [
        ("first discharge", f"{fmt(res.first_discharge_C_per_kg / 3600.0)} mAh/g"),
        ("specific current", f"{fmt(res.specific_current_A_per_kg)} mA/g"),
        (f"end of life ({res.threshold:.0%} retention)", eol)]))
    print_notes(list(m.warnings) + list(res.warnings), written)


def register(app: typer.Typer) -> None:
    app.command("cycle")(cycle)
