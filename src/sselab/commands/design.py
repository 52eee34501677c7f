"""`sselab design` — cell-level energy density of a layer stack: breakdown, sweeps, critical values, Fig. 17."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from rich.markup import escape

from ._common import JSON_OPTION, OUT_OPTION, err_console, fmt, print_json, show, table, user_errors

PRESETS = {"fig17": "Li3InCl6", "fig17-li3incl6": "Li3InCl6", "fig17-lgps": "LGPS"}


def _kv(spec: str, what: str) -> tuple[str, str]:
    from ..errors import AnalysisError

    if "=" not in spec:
        raise AnalysisError(f"{what} {spec!r} must look like PARAM=VALUE")
    k, v = spec.split("=", 1)
    return k.strip(), v.strip()


def design(
    stack_file: Optional[str] = typer.Argument(None, metavar="STACK.yaml",
                                               help="Stack file (YAML) or the name of a shipped example."),
    preset: Optional[str] = typer.Option(None, "--preset", help="fig17 (Li3InCl6) or fig17-lgps: the review's "
                                                                "Fig. 17 cell and its critical values."),
    set_: List[str] = typer.Option([], "--set", help="Override a parameter, e.g. --set sse_thickness=30um."),
    sweeps: List[str] = typer.Option([], "--sweep", help="PARAM=start:stop:n, e.g. sse_thickness=5um:200um:40. "
                                     "PARAM: sse_thickness (each layer), separator1_thickness, areal_capacity, "
                                     "np_ratio, al_thickness, cu_thickness, foil_scale, active_fraction, "
                                     "specific_capacity, voltage, cathode_porosity, layers, pouch_area, extra_mass."),
    targets: List[str] = typer.Option([], "--target", help="Target, e.g. 350Wh/kg or 900Wh/L (repeatable)."),
    solve: List[str] = typer.Option([], "--solve", help="Parameter to solve for each --target (repeatable)."),
    contour_spec: Optional[str] = typer.Option(None, "--contour", help="Map over two parameters, e.g. "
                                                                        "'sse_thickness=5um:100um:40,areal_capacity=1:10:40'."),
    sigma: List[str] = typer.Option([], "--sigma", help="Separator conductivity (one for all layers or one per "
                                                        "layer), e.g. '0.5mS/cm' — enables the rate section."),
    ea: Optional[str] = typer.Option(None, "--ea", help="Activation energy (eV) to move --sigma from --t-ref to "
                                                        "--temperature (Arrhenius σ form)."),
    t_ref: str = typer.Option("25C", "--t-ref", help="Temperature at which --sigma was measured."),
    temperature: str = typer.Option("25C", "--temperature", "-T", help="Operating temperature."),
    c_rate: float = typer.Option(1.0, "--c-rate", help="C-rate for the IR drop."),
    budget: str = typer.Option("100mV", "--budget", help="Allowed separator IR drop."),
    json_out: bool = JSON_OPTION,
    out: Optional[Path] = OUT_OPTION,
):
    """Energy density (Wh/kg, Wh/L) and per-layer breakdown of a cell stack; sweeps, critical values for a target,
    contour maps, the rate limit from a measured conductivity, and the review's Fig. 17 (``--preset fig17``)."""
    with user_errors():
        from ._common import out_dir

        out = out_dir(out, [p for p in (stack_file,) if p is not None])
        import numpy as np

        from ..design import analysis as an
        from ..design.fig17 import fig17_stack, reproduce_fig17
        from ..design.rate import stack_rate_capability
        from ..design.stack import evaluate
        from ..design.stackfile import load_stack
        from ..errors import AnalysisError

        repro = None
        if preset is not None:
            key = preset.strip().lower()
            if key not in PRESETS:
                raise AnalysisError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
            if stack_file is not None:
                raise AnalysisError("give either a stack file or --preset, not both")
            repro = reproduce_fig17(PRESETS[key])
            stack = fig17_stack(PRESETS[key])
        elif stack_file is not None:
            stack = load_stack(stack_file)
        else:
            raise AnalysisError("give a stack file (STACK.yaml) or --preset fig17")
        for spec in set_:
            k, v = _kv(spec, "--set")
            stack = an.set_param(stack, k, an.parse_value(k, v))
        result: dict = {"stack": stack.name, "design": evaluate(stack)}
        if repro is not None:
            result["fig17"] = repro
        sw = []
        for spec in sweeps:
            name, vals = an.parse_range(spec)
            sw.append(an.sweep(stack, name, vals))
        result["sweeps"] = sw
        if solve and not targets:
            targets = ["350Wh/kg"]
        if targets and not solve:
            raise AnalysisError("--target needs --solve PARAM (e.g. --solve sse_thickness)")
        crit, failures = [], []
        for p in solve:
            for t in targets:
                try:
                    crit.append(an.solve_for(stack, p, t))
                except AnalysisError as exc:  # unreachable: report it, keep the others
                    failures.append({"param": an.param(p).name, "target": t, "error": str(exc)})
        if failures and not crit:
            raise AnalysisError(failures[0]["error"] if len(failures) == 1 else
                                f"no target reachable: {failures[0]['error']}")
        result["critical"] = crit
        result["unreachable"] = failures
        cmap = None
        if contour_spec:
            parts = [x for x in contour_spec.split(",") if x.strip()]
            if len(parts) != 2:
                raise AnalysisError(f"--contour {contour_spec!r} must be 'P1=a:b:n,P2=a:b:n'")
            (p1, v1), (p2, v2) = an.parse_range(parts[0]), an.parse_range(parts[1])
            cmap = an.contour(stack, p1, v1, p2, v2)
            result["contour"] = cmap
        rate = None
        if sigma:
            from .. import units

            T = units.parse(temperature, "temperature", "K")
            Tr = units.parse(t_ref, "temperature", "K")
            sig = [units.parse(s, "conductivity", "S/m") for s in sigma]
            if ea is not None:
                e = float(units.parse(ea, None, "eV") / units.E_CHARGE)
                sig = [(s, Tr, e) for s in sig]
            rate = stack_rate_capability(stack, sig, T, c_rate, units.parse(budget, "potential", "V"))
            result["rate"] = rate
        written = []
        if out is not None:
            written = _write_outputs(out, result, repro, sw, cmap)
            result["files"] = [str(p) for p in written]
        if json_out:
            print_json(result)
            return
        _show(result, repro, sw, crit, rate, np)
        for f in failures:
            err_console.print(f"[yellow]unreachable:[/] {escape(str(f['error']))}", highlight=False, soft_wrap=True)
        for p in written:
            err_console.print(f"wrote {p}", highlight=False, markup=False)


def _u(unit: str) -> str:
    return {"um": "µm", "mAh/cm2": "mAh/cm²", "cm2": "cm²"}.get(unit, unit)


def _show(result, repro, sw, crit, rate, np):
    from .. import units

    d = result["design"]
    rows = [(k, fmt(float(d.mass_kg_per_m2.get(k, 0.0)) * 100, 4),
             fmt(float(d.thickness_m[k]) * 1e6, 4), fmt(100 * float(d.mass_fraction.get(k, 0.0)), 3))
            for k in d.thickness_m]
    # the layer table is per unit cell; with a pouch the headline values are the pouch's, so say which is which
    head = (f"{fmt(d.specific_energy_Wh_per_kg, 4)} Wh/kg, {fmt(d.energy_density_Wh_per_L, 4)} Wh/L (unit cell)"
            if d.pouch_mass_kg is None else
            f"{fmt(d.specific_energy_Wh_per_kg, 4)} Wh/kg, {fmt(d.energy_density_Wh_per_L, 4)} Wh/L (pouch); unit cell "
            f"{fmt(d.unit_specific_energy_Wh_per_kg, 4)} Wh/kg, {fmt(d.unit_energy_density_Wh_per_L, 4)} Wh/L")
    show(table(f"{result['stack']}: {head}", ["layer", "mg/cm²", "µm", "mass %"], rows))
    if d.pouch_mass_kg is not None:
        show(table("pouch", ["energy (Wh)", "mass (g)", "thickness (mm)", "Wh/kg", "Wh/L"],
                   [(d.pouch_energy_Wh, d.pouch_mass_kg * 1e3, d.pouch_thickness_m * 1e3,
                     d.specific_energy_Wh_per_kg, d.energy_density_Wh_per_L)]))
    if repro is not None:
        show(table(f"Fig. 17 critical values for {repro.target_Wh_per_kg:g} Wh/kg ({repro.sse}; reading in FIG17.md)",
                   ["statement", "foils", "stated", "reproduced", "error %", "Wh/kg at stated"],
                   [(r.label, r.foils, f"{r.stated:g} {_u(r.unit)}".strip(),
                     f"{r.reproduced:.3g} {_u(r.unit)}".strip(), f"{100 * r.rel_error:+.1f}",
                     fmt(r.energy_at_stated_Wh_per_kg, 4)) for r in repro.rows]))
    for s in sw:
        show(table(f"sweep {s.param}", [_u(s.unit) or s.param, "Wh/kg", "Wh/L"],
                   zip(s.values_display, s.specific_energy_Wh_per_kg, s.energy_density_Wh_per_L)))
    if crit:
        show(table("critical values", ["parameter", "target", "value", "kind"],
                   [(c.param, f"{c.target:g} {'Wh/kg' if c.metric.endswith('kg') else 'Wh/L'}",
                     f"{c.value_display:.4g} {_u(c.unit)}".strip(), "minimum" if c.direction == "min" else "maximum")
                    for c in crit]))
    if rate is not None:
        show(table(f"separator rate limit at {units.celsius(rate.T_K):.4g} °C (ohmic only)",
                   ["ASR (Ω cm²)", f"IR drop at {rate.c_rate:g}C (mV)", "max C-rate", "min charge (min)",
                    f"max thickness for {rate.target_c_rate:g}C (µm)"],
                   [(rate.asr_ohm_cm2, rate.ir_drop_V * 1e3, rate.max_c_rate, rate.min_charge_time_s / 60,
                     rate.max_thickness_for_target_m * 1e6)]))


def _write_outputs(out: Path, result, repro, sw, cmap) -> list:
    import csv
    import io
    import json

    from ..design.plots import plot_breakdown, plot_contour, plot_fig17, plot_sweep
    from ..plotting import save_figure
    from ..results import jsonable

    wh_targets = tuple(c.target for c in result.get("critical", []) if c.metric.endswith("kg"))
    written = list(save_figure(plot_breakdown(result["design"]), out, "design_breakdown"))
    for s in sw:
        written += save_figure(plot_sweep(s, targets=wh_targets or (350.0, 500.0)), out, f"sweep_{s.param}")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([f"{s.param}_{s.unit}" if s.unit else s.param, "specific_energy_Wh_per_kg",
                    "energy_density_Wh_per_L"])
        w.writerows(zip(s.values_display, s.specific_energy_Wh_per_kg, s.energy_density_Wh_per_L))
        written.append(out.write_text(f"sweep_{s.param}.csv", buf.getvalue()))
    if cmap is not None:
        written += save_figure(plot_contour(cmap, targets=wh_targets or (350.0, 500.0)), out, f"contour_{cmap.x_param}_{cmap.y_param}")
    if repro is not None:
        written += save_figure(plot_fig17(repro), out, f"fig17_{repro.sse}")
    written.append(out.write_text("design.json", json.dumps(
        jsonable({k: v for k, v in result.items() if k != "files"}), indent=2, allow_nan=False)))
    return written


def register(app: typer.Typer) -> None:
    app.command("design")(design)
