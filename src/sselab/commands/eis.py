"""`sselab eis` — impedance: fit every spectrum (σ, ASR; the circuit chosen from the data unless given), a series of
spectra in time, and Lin-KK validation.  The analysis is the recipes' (:mod:`sselab.recipes.eis`): the report and
the API give the same numbers for the same file and options."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from ._common import (JSON_OPTION, MANIFEST_OPTION, OUT_OPTION, cli_cell, emit, err_console, fmt, load_manifest_option,
                      out_dir, print_json, show, show_table, show_values, table, user_errors, write_outputs)

eis_app = typer.Typer(help="Impedance spectra: equivalent-circuit fits (σ, ASR), series in time, Kramers–Kronig "
                           "checks.", no_args_is_help=True)


def _lf_loop(text: str, allowed=None) -> str:
    from ..eis.artefacts import LF_LOOP_OPTIONS
    from ..errors import UnitError

    t = text.strip().lower()
    if t not in (allowed or LF_LOOP_OPTIONS):
        raise UnitError(f"--lf-loop {text!r}: expected one of {', '.join(allowed or LF_LOOP_OPTIONS)}")
    return t


def _parse_fix(items: list[str] | None) -> dict[str, float]:
    from ..errors import UnitError

    out = {}
    for it in items or []:
        for part in it.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise UnitError(f"--fix {part!r}: expected NAME=VALUE, e.g. CPE2_alpha=1")
            k, v = part.split("=", 1)
            try:
                out[k.strip()] = float(v)
            except ValueError:
                raise UnitError(f"--fix {part!r}: {v!r} is not a number") from None
    return out


def _freq(text, opt):
    from .. import units

    return units.parse(text, "frequency", default_unit="Hz") if text else None


def _weighting(w: str) -> str:
    from ..errors import UnitError

    if w not in ("modulus", "proportional", "unit"):
        raise UnitError(f"--weighting {w!r}: unknown weighting (modulus, proportional or unit)")
    return w


def _kind(cell) -> str:
    from ..errors import UnitError

    k = cell.kind if cell is not None else "blocking"
    if k == "full":
        raise UnitError(f"cell {cell.name!r}: no impedance analysis for a full cell yet (give blocking or "
                        "symmetric electrodes)")
    return "symmetric" if k == "symmetric" else "blocking"


def _cells(files, manifest, geometry: dict, electrodes, temperature):
    """(file, cell, manifest entry temperature) for every file (manifest first, command-line geometry fills in)."""
    from ..recipes.routing import cell_for

    out = []
    for p in files:
        base = cli_cell(Path(p).stem, electrodes=electrodes, temperature=temperature, **geometry)
        cell, T_entry = cell_for(Path(p).resolve(), manifest, base)
        if electrodes is not None and cell is not base:
            from dataclasses import replace

            cell = replace(cell, electrodes=base.electrodes)
        out.append((Path(p), cell, T_entry))
    return out


def _show_spectra(results) -> None:
    """One spectrum: its values and tables; several: a summary row each and the parameters."""
    if len(results) == 1:
        r = results[0]
        show_values(r, f"{r.recipe} — {r.subject}")
        show_table(r.table("parameters"))
        show_table(r.table("arcs"), ["resistor", "R_ohm", "C_eff_F", "apex_Hz", "apex_in_band", "assignment"])
        show_table(r.table("models"), ["circuit", "n_free", "delta_bic", "runs_z", "admissible", "chosen"])
        return
    keys = [("T_K", "T"), ("R_electrolyte_ohm", "R electrolyte"), ("sigma_S_per_m", "σ"),
            ("asr_interface_ohm_m2", "ASR per interface"), ("circuit", "circuit"), ("chi2_reduced", "χ²red")]
    keys = [(k, lab) for k, lab in keys if any(k in r for r in results)]
    rows = [[r.subject] + [r[k].text() if k in r else "—" for k, _ in keys] for r in results]
    show(table("Impedance fits", ["spectrum"] + [lab for _, lab in keys], rows))
    circuits = {r.get("circuit") for r in results}
    if len(circuits) == 1:
        names = [row[0] for row in results[0].table("parameters").rows]
        prow = [[r.subject] + [f"{fmt(row[1])} ± {fmt(row[2], 2)}" for row in r.table("parameters").rows]
                for r in results]
        show(table(f"Parameters (SI) — {circuits.pop()}", ["spectrum"] + names, prow))


@eis_app.command("fit")
def fit_cmd(
    files: List[Path] = typer.Argument(..., help="Impedance files (any format sselab.io.read understands)."),
    circuit: str = typer.Option(None, "--circuit", "-c",
                                help="Fit this circuit (impedance.py syntax, e.g. 'R0-p(R1,CPE1)-CPE2') instead of "
                                     "choosing the number of arcs from the data."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    electrodes: str = typer.Option(None, "--electrodes", "-e",
                                   help="Au|Au / blocking (default), Li|Li / li / Na|Na (symmetric: interface ASR = "
                                        "R·A/2), Li|steel."),
    resistance: str = typer.Option(None, "--resistance", "-R",
                                   help="With --circuit: parameters summed into the electrolyte resistance, e.g. "
                                        "'R0+R1' (default: every resistor but the interface's)."),
    interface: str = typer.Option(None, "--interface",
                                  help="With --circuit, symmetric cells: the interface resistance (default: the last "
                                       "arc)."),
    weighting: str = typer.Option("modulus", "--weighting", "-w", help="modulus, proportional or unit."),
    fmin: str = typer.Option(None, "--fmin", help="Ignore points below this frequency, e.g. '5Hz'."),
    fmax: str = typer.Option(None, "--fmax", help="Ignore points above this frequency, e.g. '1MHz'."),
    fix: Optional[List[str]] = typer.Option(None, "--fix", help="With --circuit: hold a parameter, NAME=VALUE "
                                                                 "(repeatable)."),
    temperature: str = typer.Option(None, "--temperature", "-T",
                                    help="Temperature when neither the file nor the manifest gives one, e.g. '30C'."),
    lf_loop: str = typer.Option("auto", "--lf-loop",
                                help="Low-frequency inductive loop (Z'' > 0 at the lowest f): exclude, keep, or auto "
                                     "(exclude unless the circuit has an R-L branch such as p(R3,L3))."),
    manifest: Path = MANIFEST_OPTION,
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Fit every spectrum on its own: R electrolyte, σ (with geometry), interface ASR (symmetric cells), the
    model-choice evidence.  Warnings come first; --json prints {"results": [one result per spectrum]}."""
    with user_errors():
        out = out_dir(out, list(files) + ([manifest] if manifest is not None else []))
        from ..io import read
        from ..recipes.eis import per_spectrum

        man = load_manifest_option(manifest)
        opts = dict(circuit=circuit, resistance=resistance, interface=interface, weighting=_weighting(weighting),
                    fmin_Hz=_freq(fmin, "--fmin"), fmax_Hz=_freq(fmax, "--fmax"), fixed=_parse_fix(fix) or None,
                    lf_loop=_lf_loop(lf_loop))
        geometry = dict(thickness=thickness, diameter=diameter, area=area)
        results = []
        for path, cell, T_entry in _cells(files, man, geometry, electrodes, temperature):
            m = read(path)
            results += per_spectrum([m], cell, kind=_kind(cell), temperature_K=T_entry, **opts)
        written = write_outputs(results, out, summary="eis_fits.csv")
        if json_out:
            emit(results, json_out=True, single=False, written=written)
        else:
            _emit_table(results, written)


def _emit_table(results, written) -> None:
    from ._common import show_flags

    for r in results:
        show_flags(r)
    _show_spectra(results)
    for p in written:
        err_console.print(f"wrote {p}", highlight=False, markup=False)


@eis_app.command("series")
def series_cmd(
    files: List[Path] = typer.Argument(..., help="One file with many spectra (GEIS/PEIS loops), or several "
                                                 "one-spectrum files of one cell in time."),
    circuit: str = typer.Option(None, "--circuit", "-c", help="Fit this circuit instead of choosing one from the "
                                                              "data (one model for the whole series)."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter."),
    electrodes: str = typer.Option(None, "--electrodes", "-e", help="Li|Li (default for a series), Au|Au …"),
    resistance: str = typer.Option(None, "--resistance", "-R", help="With --circuit: the electrolyte resistance."),
    interface: str = typer.Option(None, "--interface", help="With --circuit: the interface resistance."),
    weighting: str = typer.Option("modulus", "--weighting", "-w", help="modulus, proportional or unit."),
    fmin: str = typer.Option(None, "--fmin", help="Ignore points below this frequency."),
    fmax: str = typer.Option(None, "--fmax", help="Ignore points above this frequency."),
    lf_loop: str = typer.Option("auto", "--lf-loop", help="exclude, keep or auto (see `eis fit`)."),
    manifest: Path = MANIFEST_OPTION,
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """R(t), σ(t) and ASR(t) of every spectrum in time (in-situ loops during cycling, rest, after cycling), one
    model for the series; a figure against time and spectrum number."""
    with user_errors():
        out = out_dir(out, list(files) + ([manifest] if manifest is not None else []))
        from ..io import read
        from ..recipes import get

        man = load_manifest_option(manifest)
        cells = _cells(files, man, dict(thickness=thickness, diameter=diameter, area=area), electrodes, None)
        cell = cells[0][1]
        given = electrodes is not None or any(v is not None for v in (thickness, diameter, area)) or \
            cell is not None and man is not None and man.cell_for(cells[0][0].resolve()) is not None
        res = get("eis.series").run([read(p) for p, _, _ in cells], cell if given else None,
                                    circuit=circuit, resistance=resistance, interface=interface,
                                    weighting=_weighting(weighting), fmin_Hz=_freq(fmin, "--fmin"),
                                    fmax_Hz=_freq(fmax, "--fmax"), lf_loop=_lf_loop(lf_loop))
        written = write_outputs([res], out)

        def show_fn(r):
            show_values(r)
            show_table(r.table("spectra"), ["n", "spectrum", "t_s", "R_electrolyte_ohm", "R_interface_ohm",
                                            "sigma_S_per_m", "asr_interface_ohm_m2", "chi2_reduced"])

        emit([res], json_out=json_out, single=True, written=written, show_fn=show_fn)


@eis_app.command("kk")
def kk_cmd(
    file: Path = typer.Argument(..., help="Impedance file."),
    c: float = typer.Option(0.85, "--c", help="μ threshold for choosing the number of RC elements."),
    threshold: str = typer.Option("1%", "--threshold", help="Pass when the RMS residual is below this."),
    lf_loop: str = typer.Option("keep", "--lf-loop",
                                help="Low-frequency inductive loop (Z'' > 0 at the lowest f): keep (test it too) or "
                                     "exclude."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Lin-KK (Schönleber 2014) validation: automatic M (μ criterion), residuals, pass/fail."""
    with user_errors():
        out = out_dir(out, [file])
        import numpy as np

        from ..eis import lin_kk
        from ..errors import UnitError
        from ..io import read

        t = threshold.strip()
        try:
            thr = float(t[:-1]) / 100 if t.endswith("%") else float(t)
        except ValueError:
            raise UnitError(f"--threshold {threshold!r}: expected e.g. '1%' or 0.01") from None
        if not 0 < thr < 1:  # also rejects nan
            raise UnitError(f"--threshold {threshold!r}: must lie between 0 and 100 %")
        if not c > 0:
            raise UnitError(f"--c {c}: must be positive")
        loop_opt = _lf_loop(lf_loop)
        m = read(file)
        if not m.is_eis:
            raise UnitError(f"{file}: not an impedance file (technique {m.technique})")
        spectra = m.spectra()
        results = []
        for k, (f, z) in enumerate(spectra):
            keep = np.isfinite(f) & np.isfinite(z) & (f > 0)
            label = Path(file).name if len(spectra) == 1 else f"{Path(file).name}#{k + 1}"
            results.append((label, lin_kk(f[keep], z[keep], c=c, threshold=thr, lf_loop=loop_opt)))
        written = []
        if out is not None:
            from ..eis import plot
            from ..plotting import save_figure

            for label, r in results:
                stem = f"kk_{_slug(label)}"
                written += [str(p) for p in save_figure(plot.residuals(r, title=f"Lin-KK — {label}"), out, stem)]
                written += [str(p) for p in save_figure(plot.nyquist(r, title=f"Lin-KK — {label}"), out,
                                                        stem + "_nyquist")]
        if json_out:
            print_json({"file": str(file), "spectra": [{"label": lab, "result": r.to_dict()} for lab, r in results],
                        "reader_warnings": list(m.warnings), "figures": written})
            return
        rows = [[lab, str(r.M), fmt(r.mu, 3), "pass" if r.passed else "FAIL", fmt(100 * r.rms_residual, 3),
                 fmt(100 * r.max_abs_residual, 3)] for lab, r in results]
        show(table(f"Lin-KK — {Path(file).name} (c = {c}, threshold {100 * thr:g} % RMS)",
                   ["spectrum", "M", "μ", "result", "RMS residual (%)", "max |residual| (%)"], rows))
        for x in list(m.warnings) + [f"{lab}: {w}" for lab, r in results for w in r.warnings]:
            err_console.print(f"[yellow]warning:[/] {escape(str(x))}", highlight=False)
        for p in written:
            err_console.print(f"wrote {p}", highlight=False, markup=False)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "spectrum"


from .eis_drt import drt_cmd  # noqa: E402

eis_app.command("drt")(drt_cmd)


def register(app: typer.Typer) -> None:
    app.add_typer(eis_app, name="eis")
