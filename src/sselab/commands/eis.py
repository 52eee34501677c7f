"""`sselab eis` — equivalent-circuit fits (σ, ASR) and Lin-KK validation of impedance spectra."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from rich.markup import escape

from ._common import JSON_OPTION, OUT_OPTION, err_console, out_dir, fmt, fmt_pm, print_json, progress, show, table, user_errors

eis_app = typer.Typer(help="Impedance spectra: equivalent-circuit fits (σ, ASR) and Kramers–Kronig checks.",
                      no_args_is_help=True)

DEFAULT_CIRCUIT = {"blocking": "R0-p(R1,CPE1)-CPE2", "li": "R0-p(R1,CPE1)-p(R2,CPE2)"}


def _electrodes(text: str) -> str:
    from ..errors import UnitError

    t = text.strip().lower()
    if t in ("blocking", "block", "au", "au|au", "steel", "ss", "steel|steel", "pt", "pt|pt"):
        return "blocking"
    if t in ("li", "li|li", "symmetric", "lithium"):
        return "li"
    raise UnitError(f"--electrodes {text!r}: expected 'blocking' (Au|SSE|Au, steel) or 'li' (Li|SSE|Li)")


def _default_resistances(circuit, electrodes: str) -> tuple[str, str | None]:
    """(resistance used for σ, resistance used for the ASR) for a circuit and cell type."""
    plain = [e.name for e in circuit.elements if e.kind == "R"]
    arcs = [r for r, _ in circuit.rc_pairs()]
    if electrodes == "li" and arcs:
        interface = arcs[-1]
        electrolyte = [r for r in plain if r != interface]
        return "+".join(electrolyte) if electrolyte else interface, interface
    return "+".join(plain), None


def _lf_loop(text: str) -> str:
    from ..eis.artefacts import LF_LOOP_OPTIONS
    from ..errors import UnitError

    t = text.strip().lower()
    if t not in LF_LOOP_OPTIONS:
        raise UnitError(f"--lf-loop {text!r}: expected one of {', '.join(LF_LOOP_OPTIONS)}")
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


def _load(files: list[Path], fmin, fmax):
    """Read every file; return [(label, path, f, Z, temperature_K, reader_warnings)]."""
    import numpy as np

    from ..errors import AnalysisError
    from ..io import read

    out = []
    for path in progress(files, total=len(files), description="reading"):
        m = read(path)
        if not m.is_eis:
            raise AnalysisError(f"{path}: not an impedance file (technique {m.technique})")
        spectra = m.spectra()
        for k, (f, z) in enumerate(spectra):
            keep = np.isfinite(f) & np.isfinite(z) & (f > 0)
            if fmin is not None:
                keep &= f >= fmin
            if fmax is not None:
                keep &= f <= fmax
            if keep.sum() < 5:
                raise AnalysisError(f"{path}: spectrum {k + 1} has {int(keep.sum())} points in the frequency window"
                                    " (need ≥ 5)")
            label = Path(path).name if len(spectra) == 1 else f"{Path(path).name}#{k + 1}"
            out.append((label, Path(path), f[keep], z[keep], m.temperature_K, list(m.warnings)))
    return out


@eis_app.command("fit")
def fit_cmd(
    files: List[Path] = typer.Argument(..., help="Impedance files (any format sselab.io.read understands)."),
    circuit: str = typer.Option(None, "--circuit", "-c",
                                help="Circuit, impedance.py syntax, e.g. 'R0-p(R1,CPE1)-CPE2' (default by "
                                     "--electrodes)."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    electrodes: str = typer.Option("blocking", "--electrodes", "-e",
                                   help="blocking (Au|SSE|Au) or li (Li|SSE|Li: ASR of the last arc, halved)."),
    resistance: str = typer.Option(None, "--resistance", "-R",
                                   help="Parameters summed into the electrolyte resistance for σ, e.g. 'R1+R2' "
                                        "(default: every plain R; for li all but the interface arc)."),
    interface: str = typer.Option(None, "--interface",
                                  help="li only: resistance for the ASR (default: R of the last arc)."),
    weighting: str = typer.Option("modulus", "--weighting", "-w", help="modulus, proportional or unit."),
    fmin: str = typer.Option(None, "--fmin", help="Ignore points below this frequency, e.g. '5Hz'."),
    fmax: str = typer.Option(None, "--fmax", help="Ignore points above this frequency, e.g. '1MHz'."),
    fix: Optional[List[str]] = typer.Option(None, "--fix", help="Hold a parameter, NAME=VALUE (repeatable)."),
    temperature: str = typer.Option(None, "--temperature", "-T",
                                    help="Temperature when the file does not carry one, e.g. '30C'."),
    series: bool = typer.Option(True, "--series/--independent",
                                help="Treat the files as a series (warm start from neighbours) or fit each "
                                     "independently."),
    lf_loop: str = typer.Option("auto", "--lf-loop",
                                help="Low-frequency inductive loop (Z'' > 0 at the lowest f): exclude, keep, or auto "
                                     "(exclude unless the circuit has an R-L branch such as p(R3,L3))."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Fit an equivalent circuit to every spectrum at once; report parameters ± errors, R, σ (S/cm), ASR."""
    with user_errors():
        out = out_dir(out, files)
        from .. import units
        from ..cell import CellSpec
        from ..eis import Circuit, fit_batch
        from ..eis.derive import arcs as arc_info
        from ..eis.derive import asr as asr_fn
        from ..eis.derive import conductivity

        el = _electrodes(electrodes)
        circ = Circuit(circuit or DEFAULT_CIRCUIT[el])
        r_default, i_default = _default_resistances(circ, el)
        r_expr = resistance or r_default
        i_expr = (interface or i_default) if el == "li" else None
        f_lo = units.parse(fmin, "frequency", default_unit="Hz") if fmin else None
        f_hi = units.parse(fmax, "frequency", default_unit="Hz") if fmax else None
        T_default = units.parse(temperature, "temperature", default_unit="C") if temperature else None
        cell = CellSpec.from_strings("cell", thickness=thickness, diameter=diameter, area=area,
                                     electrodes="Li|Li" if el == "li" else "Au|Au")
        has_geo = cell.thickness_m is not None and cell.area_m2 is not None
        fixed = _parse_fix(fix)
        data = _load(files, f_lo, f_hi)
        fits = fit_batch([(d[2], d[3]) for d in data], circ, weighting=weighting, fixed=fixed or None,
                         warm_start=series, labels=[d[0] for d in data], lf_loop=_lf_loop(lf_loop))
        # validate the expressions once (one-line error naming the bad parameter)
        fits[0].resistance(r_expr)
        if i_expr:
            fits[0].resistance(i_expr)

        records = []
        for (label, path, f, z, T_file, rwarn), res in zip(data, fits):
            T = T_file if T_file is not None else T_default
            R, Rerr = res.resistance(r_expr)
            sig = sig_err = None
            if has_geo:
                sig, sig_err = conductivity(R, Rerr, cell)
            a_val = a_err = None
            if i_expr and cell.area_m2 is not None:
                Ri, Rie = res.resistance(i_expr)
                a_val, a_err = asr_fn(Ri, Rie, cell, symmetric=True)
            arcs = arc_info(res, cell if has_geo else None)
            records.append({
                "file": str(path), "label": label, "temperature_K": T, "reader_warnings": rwarn,
                "fit": res.to_dict(),
                "resistance": {"expression": r_expr, "value_ohm": R, "stderr_ohm": Rerr},
                "sigma_S_per_cm": units.to_unit(sig, "S/cm") if sig is not None else None,
                "sigma_err_S_per_cm": units.to_unit(sig_err, "S/cm") if sig_err is not None else None,
                "asr_ohm_cm2": a_val * 1e4 if a_val is not None else None,
                "asr_err_ohm_cm2": a_err * 1e4 if a_err is not None else None,
                "interface": i_expr,
                "arcs": [a.to_dict() for a in arcs],
                "_res": res,
            })

        written = []
        if out is not None:
            from ..eis import plot
            from ..plotting import save_figure

            for rec in progress(records, total=len(records), description="figures"):
                stem = f"eis_{_slug(rec['label'])}"
                written += [str(p) for p in save_figure(plot.fit_overview(rec["_res"], title=rec["label"]), out,
                                                        stem)]
                written += [str(p) for p in save_figure(plot.nyquist(rec["_res"], title=rec["label"]), out,
                                                        stem + "_nyquist")]
            written.append(str(_write_csv(records, out)))
        for rec in records:
            rec.pop("_res")

        if json_out:
            print_json({"circuit": circ.text, "electrodes": el, "weighting": weighting,
                        "thickness_m": cell.thickness_m, "area_m2": cell.area_m2, "spectra": records,
                        "figures": written})
            return
        names = circ.param_names
        cols = ["file", "T (°C)", f"R = {r_expr} (Ω)", "σ (S/cm)"]
        if i_expr:
            cols.append(f"ASR {i_expr} (Ω cm²)")
        cols += ["χ²red", "flags"]
        rows = []
        for rec in records:
            fr = rec["fit"]
            T = rec["temperature_K"]
            row = [rec["label"], fmt(T - 273.15, 4) if T is not None else "—",
                   fmt_pm(rec["resistance"]["value_ohm"], rec["resistance"]["stderr_ohm"]),
                   fmt_pm(rec["sigma_S_per_cm"], rec["sigma_err_S_per_cm"]) if rec["sigma_S_per_cm"] is not None
                   else "— (give --thickness, --diameter)"]
            if i_expr:
                row.append(fmt_pm(rec["asr_ohm_cm2"], rec["asr_err_ohm_cm2"]))
            row += [fmt(fr["chi2_reduced"], 3), ", ".join(f"{k}: {v}" for k, v in fr["flags"].items()) or "—"]
            rows.append(row)

        def pm(fr, n):
            return fmt_pm(fr["params"][n], fr["stderr"][n]) + (" (fixed)" if n in fr["fixed"] else "")

        if len(records) <= 4:  # parameters down the page, one column per spectrum
            ptab = table(f"Parameters (SI) — {circ.text}, {weighting} weighting", ["parameter"] + [
                r["label"] for r in records], [[n] + [pm(r["fit"], n) for r in records] for n in names])
        else:
            ptab = table(f"Parameters (SI) — {circ.text}, {weighting} weighting", ["file"] + names,
                         [[r["label"]] + [pm(r["fit"], n) for n in names] for r in records])
        show(ptab, table("Resistance, conductivity" + (", ASR" if i_expr else ""), cols, rows))
        arc_rows = [[rec["label"], a["resistor"], fmt(a["C_eff_F"]), fmt(a["apex_Hz"]), a["assignment"],
                     "yes" if a["in_window"] else "no"] for rec in records for a in rec["arcs"]]
        if arc_rows:
            show(table("Arcs (Brug effective capacitance; assignment after Irvine, Sinclair & West 1990)",
                       ["file", "arc", "C_eff (F)", "apex (Hz)", "assignment", "apex in band"], arc_rows))
        for rec in records:
            for w in rec["reader_warnings"] + list(rec["fit"]["warnings"]):
                err_console.print(f"[yellow]warning:[/] {escape(str(rec['label']) + ': ' + str(w))}", highlight=False)
        for p in written:
            err_console.print(f"wrote {p}", highlight=False, markup=False)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "spectrum"


def _write_csv(records, out) -> Path:
    import csv
    import io

    names = records[0]["fit"]["param_names"]
    header = ["file", "label", "temperature_K"] + [x for n in names for x in (n, n + "_stderr")] + [
        "resistance_expr", "resistance_ohm", "resistance_stderr_ohm", "sigma_S_per_cm", "sigma_err_S_per_cm",
        "asr_ohm_cm2", "asr_err_ohm_cm2", "chi2_reduced", "success"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in records:
        fr = r["fit"]
        w.writerow([r["file"], r["label"], r["temperature_K"]]
                   + [x for n in names for x in (fr["params"][n], fr["stderr"][n])]
                   + [r["resistance"]["expression"], r["resistance"]["value_ohm"], r["resistance"]["stderr_ohm"],
                      r["sigma_S_per_cm"], r["sigma_err_S_per_cm"], r["asr_ohm_cm2"], r["asr_err_ohm_cm2"],
                      fr["chi2_reduced"], fr["success"]])
    return out.write_text("eis_fits.csv", buf.getvalue())


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
        from ..eis import lin_kk
        from ..errors import UnitError

        t = threshold.strip()
        try:
            thr = float(t[:-1]) / 100 if t.endswith("%") else float(t)
        except ValueError:
            raise UnitError(f"--threshold {threshold!r}: expected e.g. '1%' or 0.01") from None
        if not 0 < thr < 1:  # also rejects nan
            raise UnitError(f"--threshold {threshold!r}: must lie between 0 and 100 %")
        data = _load([file], None, None)
        loop_opt = _lf_loop(lf_loop)
        results = [(d[0], lin_kk(d[2], d[3], c=c, threshold=thr, lf_loop=loop_opt), d[5]) for d in data]
        written = []
        if out is not None:
            from ..eis import plot
            from ..plotting import save_figure

            for label, r, _ in results:
                stem = f"kk_{_slug(label)}"
                written += [str(p) for p in save_figure(plot.residuals(r, title=f"Lin-KK — {label}"), out, stem)]
                written += [str(p) for p in save_figure(plot.nyquist(r, title=f"Lin-KK — {label}"), out,
                                                        stem + "_nyquist")]
        if json_out:
            print_json({"file": str(file), "spectra": [{"label": lab, "result": r.to_dict(), "reader_warnings": w}
                                                       for lab, r, w in results], "figures": written})
            return
        rows = [[lab, str(r.M), fmt(r.mu, 3), "pass" if r.passed else "FAIL", fmt(100 * r.rms_residual, 3),
                 fmt(100 * r.max_abs_residual, 3)] for lab, r, _ in results]
        show(table(f"Lin-KK — {Path(file).name} (c = {c}, threshold {100 * thr:g} % RMS)",
                   ["spectrum", "M", "μ", "result", "RMS residual (%)", "max |residual| (%)"], rows))
        for lab, r, w in results:
            for x in list(w) + list(r.warnings):
                err_console.print(f"[yellow]warning:[/] {escape(str(lab) + ': ' + str(x))}", highlight=False)
        for p in written:
            err_console.print(f"wrote {p}", highlight=False, markup=False)


from .eis_drt import drt_cmd  # noqa: E402

eis_app.command("drt")(drt_cmd)


def register(app: typer.Typer) -> None:
    app.add_typer(eis_app, name="eis")
