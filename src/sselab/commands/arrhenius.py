"""`sselab arrhenius` — impedance files at several temperatures → R, σ(T), Ea, σ(25 °C), Arrhenius plot and CSV.

Temperatures come from, in order: the manifest's per-file ``temperature``, the file itself
(``Measurement.temperature_K``: recorded by the instrument or written in the name, ``pellet_30C.mpr``,
``x_303K.z``), the manifest cell's default ``temperature``.  Geometry comes from the manifest cell, else from
``--thickness``/``--diameter``/``--area``.  With a manifest, cells sharing a ``material`` form one Arrhenius
series (several preparations on one plot, like Fig. 1f of the Li2NH paper); without one, all files are one series.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from rich.markup import escape

from ._common import JSON_OPTION, OUT_OPTION, err_console, out_dir, fmt, fmt_pm, print_json, show, table, user_errors

DEFAULT_CIRCUIT = "R0-p(R1,CPE1)-CPE2"


def _out_of_window_hint(circuit, r_expr: str, fits) -> list[str]:
    """When an arc summed into the resistance lies above the measured band, its resistance has merged into the
    series intercept (R0): say so, and how to include it."""
    summed = {t.strip() for t in r_expr.split("+")}
    lost = sorted({name for fr in fits for name, flag in fr.flags.items()
                   if flag == "outside-window" and name in summed})
    series = [n for n in _default_resistance(circuit).split("+") if n not in summed]
    if not lost or not series:
        return []
    n = sum(any(fr.flags.get(x) == "outside-window" for x in lost) for fr in fits)
    return [f"hint: {', '.join(lost)} {'lie' if len(lost) > 1 else 'lies'} above the measured band in {n} of {len(fits)} spectra, where it merges into "
            f"the high-frequency intercept; include {'+'.join(series)} (e.g. --resistance "
            f"{'+'.join(series + sorted(summed))}, the default) so the electrolyte resistance is not underestimated"]


def _default_resistance(circuit) -> str:
    """Every plain resistor of the circuit, summed (``R0+R1``…), as ``sselab eis fit`` does for blocking cells."""
    plain = [e.name for e in circuit.elements if e.kind == "R"]
    if not plain:
        from ..errors import AnalysisError

        raise AnalysisError(f"circuit {circuit.text} has no resistor: give --resistance")
    return "+".join(plain)


def _collect(files, manifest, cli_cell, label):
    """[(group, path, cell, temperature_K_or_None, Measurement)] for every file."""
    from ..errors import AnalysisError
    from ..io import read

    if manifest is not None and not files:
        files = [fe.path for c in manifest.cells for fe in c.files]
        if not files:
            raise AnalysisError(f"{manifest.source}: the manifest lists no files")
    if not files:
        raise AnalysisError("no files given (pass impedance files or --manifest with files)")
    out = []
    for path in files:
        path = Path(path)
        cell, T_entry, T_cell, group = cli_cell, None, None, label
        hit = manifest.cell_for(path) if manifest is not None else None
        if hit is not None:
            c, fe = hit
            cell = c if (c.thickness_m is not None and c.area_m2 is not None) else _merge_geometry(c, cli_cell)
            T_entry, T_cell = fe.temperature_K, c.temperature_K
            group = c.material or c.name
        m = read(path)
        if not m.is_eis:
            raise AnalysisError(f"{path}: not an impedance file (technique {m.technique})")
        T = T_entry if T_entry is not None else (m.temperature_K if m.temperature_K is not None else T_cell)
        if T is None:
            raise AnalysisError(f"{path}: no temperature (put it in the name, e.g. pellet_30C.csv, or in --manifest)")
        out.append((group, path, cell, float(T), m))
    return out


def _merge_geometry(cell, cli_cell):
    from dataclasses import replace

    return replace(cell, thickness_m=cell.thickness_m or cli_cell.thickness_m,
                   diameter_m=cell.diameter_m or cli_cell.diameter_m,
                   area_m2_given=cell.area_m2_given or cli_cell.area_m2_given)


def _compare_curves(fit, name):
    """Nearest knowledge-base neighbours as reference curves, or ([], note) when the knowledge base is absent."""
    try:
        from ..materials import compare
    except ImportError:
        return [], None, "knowledge base (sselab.materials) not available: --compare ignored"
    from ..errors import SselabError

    try:
        comp = compare(fit=fit, name=name, T_range_K=(min(fit.T_min_K, 298.15), fit.T_max_K))
    except SselabError as exc:
        return [], None, f"{name}: --compare skipped: {exc}"
    near = {r["name"] for r in comp.neighbours(2) if not r.get("is_user")}
    curves = [(c["name"], c["T_K"], c["sigma_S_per_m"]) for c in comp.curves
              if c["family"] != "user" and c["name"] in near]
    return curves, comp, None


def _write_csv(rows, fits_rows, out) -> list[Path]:
    import csv
    import io

    written = []
    for name, header, data in (("arrhenius_points.csv", ["group", "file", "T_K", "T_C", "resistance_ohm",
                                                          "resistance_err_ohm", "sigma_S_per_cm",
                                                          "sigma_err_S_per_cm", "fit_success"], rows),
                               ("arrhenius_fit.csv", ["group", "model", "regime", "convention", "n_points",
                                                      "T_min_K", "T_max_K", "Ea_eV", "Ea_err_eV", "Ea_ci95_lo_eV",
                                                      "Ea_ci95_hi_eV", "prefactor", "prefactor_unit",
                                                      "ln_prefactor_err", "sigma_25C_S_per_cm",
                                                      "sigma_25C_ci95_lo_S_per_cm", "sigma_25C_ci95_hi_S_per_cm",
                                                      "sigma_30C_S_per_cm", "sigma_30C_ci95_lo_S_per_cm",
                                                      "sigma_30C_ci95_hi_S_per_cm", "r_squared"], fits_rows)):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)
        written.append(out.write_text(name, buf.getvalue()))
    return written


def _fit_row(group, model, regime, f):
    ci = f.Ea_ci95_eV or (None, None)
    c25 = f.sigma_25C_ci95_S_per_m or (None, None)
    c30 = f.sigma_30C_ci95_S_per_m or (None, None)
    cm = (lambda v: None if v is None else v * 1e-2)  # S/m -> S/cm
    return [group, model, regime, f.convention, f.n_points, f.T_min_K, f.T_max_K, f.Ea_eV, f.Ea_err_eV, ci[0], ci[1],
            f.prefactor, f.prefactor_unit, f.ln_prefactor_err, cm(f.sigma_25C_S_per_m), cm(c25[0]), cm(c25[1]),
            cm(f.sigma_30C_S_per_m), cm(c30[0]), cm(c30[1]), f.r_squared]


def arrhenius_cmd(
    files: Optional[List[Path]] = typer.Argument(None, help="Impedance files, one temperature each (temperature "
                                                            "from the file, its name like pellet_30C.csv, or "
                                                            "--manifest)."),
    circuit: str = typer.Option(DEFAULT_CIRCUIT, "--circuit", "-c",
                                help="Equivalent circuit, impedance.py syntax."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    resistance: str = typer.Option(None, "--resistance", "-R",
                                   help="Parameters summed into the electrolyte resistance, e.g. 'R1+R2' "
                                        "(default: every plain R of the circuit)."),
    convention: str = typer.Option("sigmaT", "--convention",
                                   help="sigmaT: ln(σT) vs 1/T (hopping model, default); sigma: ln σ vs 1/T."),
    manifest: Path = typer.Option(None, "--manifest", "-m",
                                  help="cells.yaml: geometry, temperatures, and groups (cells sharing a material)."),
    weighting: str = typer.Option("modulus", "--weighting", "-w", help="EIS fit weighting: modulus, proportional, "
                                                                      "unit."),
    two_regime: bool = typer.Option(False, "--two-regime",
                                    help="Also fit two regimes with an automatic break (F-test and BIC vs one)."),
    continuous: bool = typer.Option(False, "--continuous",
                                    help="With --two-regime: lines meet at the break (hinge) instead of two "
                                         "independent lines."),
    weighted: bool = typer.Option(True, "--weighted/--unweighted",
                                  help="Weight the Arrhenius fit by the σ errors from the EIS fits."),
    compare: bool = typer.Option(False, "--compare",
                                 help="Overlay the nearest knowledge-base materials (needs sselab.materials)."),
    label: str = typer.Option("sample", "--label", help="Name of the series when no manifest groups the files."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Fit every spectrum (one warm-started batch per series), then σ(T) → Ea, prefactor, σ(25 °C), σ(30 °C)."""
    with user_errors():
        import numpy as np

        from .. import units
        from ..cell import CellSpec, load_manifest
        from ..eis import Circuit, fit_batch
        from ..eis.derive import conductivity
        from ..errors import AnalysisError
        from ..transport.arrhenius import _fmt_ea, fit_arrhenius, fit_two_regime, plot_arrhenius

        if convention not in ("sigmaT", "sigma"):
            raise AnalysisError(f"--convention {convention!r}: use 'sigmaT' or 'sigma'")
        if continuous and not two_regime:
            raise AnalysisError("--continuous only applies with --two-regime")
        circ = Circuit(circuit)
        r_expr = resistance or _default_resistance(circ)
        cli_cell = CellSpec.from_strings("cell", thickness=thickness, diameter=diameter, area=area)
        man = load_manifest(manifest) if manifest is not None else None
        items = _collect(files or [], man, cli_cell, label)
        out = out_dir(out, [it[1] for it in items] + ([manifest] if manifest is not None else []))

        groups: dict[str, list] = {}
        for it in items:
            groups.setdefault(it[0], []).append(it)

        notes: list[str] = []
        results = []
        for gname, members in groups.items():
            spectra = []
            for _, path, cell, T, m in members:
                for k, (f, z) in enumerate(m.spectra()):
                    ok = np.isfinite(f) & np.isfinite(z) & (f > 0)
                    spectra.append((T, path, cell, f[ok], z[ok], list(m.warnings)))
            spectra.sort(key=lambda s: s[0])  # warm start runs along the temperature series
            labels = [f"{p.name} ({T - 273.15:.1f} °C)" for T, p, *_ in spectra]
            fits = fit_batch([(s[3], s[4]) for s in spectra], circ, weighting=weighting, warm_start=True,
                             labels=labels, progress=err_console.is_terminal)
            fits[0].resistance(r_expr)  # one-line error for a bad expression
            points = []
            for (T, path, cell, _, _, rwarn), fr in zip(spectra, fits):
                R, R_err = fr.resistance(r_expr)
                sig, sig_err = conductivity(R, R_err, cell)
                if not fr.success:
                    notes.append(f"{path.name}: EIS fit did not converge ({fr.message})")
                notes += [f"{path.name}: {w}" for w in list(rwarn) + list(fr.warnings)]
                points.append({"file": str(path), "T_K": T, "T_C": T - 273.15, "resistance_ohm": R,
                               "resistance_err_ohm": R_err, "sigma_S_per_m": sig, "sigma_err_S_per_m": sig_err,
                               "fit_success": bool(fr.success), "params": dict(fr.params)})
            notes += _out_of_window_hint(circ, r_expr, fits)
            T_arr = np.array([p["T_K"] for p in points])
            s_arr = np.array([p["sigma_S_per_m"] for p in points])
            e_arr = np.array([p["sigma_err_S_per_m"] for p in points])
            use_err = weighted and bool(np.all(np.isfinite(e_arr) & (e_arr > 0)))
            if weighted and not use_err:
                notes.append(f"{gname}: some σ errors are unknown: Arrhenius fit unweighted")
            try:
                fit = fit_arrhenius(T_arr, s_arr, e_arr if use_err else None, convention=convention)
            except AnalysisError as exc:
                raise AnalysisError(f"{gname}: {exc}") from None
            two = None
            if two_regime:
                try:
                    two = fit_two_regime(T_arr, s_arr, e_arr if use_err else None, convention=convention,
                                         continuous=continuous)
                except AnalysisError as exc:
                    notes.append(f"{gname}: two-regime fit skipped: {exc}")
            notes += [f"{gname}: {w}" for w in fit.warnings]
            results.append({"group": gname, "points": points, "fit": fit, "two_regime": two})

        comparisons = []
        compare_curves = []
        if compare:
            for r in results:
                curves, comp, note = _compare_curves(r["fit"], r["group"])
                if note:
                    notes.append(note)
                    if comp is None and "not available" in note:
                        break
                    continue
                compare_curves += [c for c in curves if c[0] not in {x[0] for x in compare_curves}]
                comparisons.append({"group": r["group"], "rank": comp.user_rank, "n_ranked": comp.n_ranked,
                                    "neighbours": comp.neighbours(2)})

        written = []
        if out is not None:
            from ..plotting import save_figure

            shown = [r["two_regime"] if (r["two_regime"] is not None and r["two_regime"].preferred == "two")
                     else r["fit"] for r in results]
            fig = plot_arrhenius(shown, labels=[r["group"] if len(results) > 1 else None for r in results],
                                 compare=compare_curves)
            written += save_figure(fig, out, "arrhenius")
            prow = [[r["group"], Path(p["file"]).name, p["T_K"], p["T_C"], p["resistance_ohm"],
                     p["resistance_err_ohm"], p["sigma_S_per_m"] * 1e-2, p["sigma_err_S_per_m"] * 1e-2,
                     p["fit_success"]] for r in results for p in r["points"]]
            frow = []
            for r in results:
                frow.append(_fit_row(r["group"], "one", "all", r["fit"]))
                if r["two_regime"] is not None:
                    t = r["two_regime"]
                    frow.append(_fit_row(r["group"], "two", "low", t.low))
                    frow.append(_fit_row(r["group"], "two", "high", t.high))
            written += _write_csv(prow, frow, out)

        if json_out:
            print_json({"circuit": circ.text, "resistance": r_expr, "convention": convention,
                        "groups": [{"group": r["group"], "points": r["points"], "fit": r["fit"],
                                    "two_regime": r["two_regime"]} for r in results],
                        "compare": comparisons, "warnings": notes, "files_written": [str(p) for p in written]})
            return

        def ms(v):  # S/m -> mS/cm
            return None if v is None else units.to_unit(v, "mS/cm")

        rows = [[r["group"], Path(p["file"]).name, fmt(p["T_C"], 4), fmt(p["T_K"], 5),
                 fmt_pm(p["resistance_ohm"], p["resistance_err_ohm"]),
                 fmt_pm(ms(p["sigma_S_per_m"]), ms(p["sigma_err_S_per_m"]))]
                for r in results for p in r["points"]]
        show(table(f"Resistance {r_expr} and conductivity — {circ.text}",
                   ["series", "file", "T (°C)", "T (K)", "R (Ω)", "σ (mS/cm)"], rows))

        def ci(pair, f=lambda v: v, value=None):
            # bounds to the printed value's decimals (at 3 significant digits 1.002 mS/cm got '[1, 1]', an
            # interval that does not contain its value)
            if pair is None:
                return "—"
            shown = fmt(f(value), 4) if value is not None else ""
            if "." in shown and "e" not in shown:
                d = len(shown.split(".")[1])
                return f"[{f(pair[0]):.{d}f}, {f(pair[1]):.{d}f}]"
            return f"[{fmt(f(pair[0]), 4)}, {fmt(f(pair[1]), 4)}]"

        def ea(g):
            return _fmt_ea(g.Ea_eV, g.Ea_err_eV)

        def ea_ci(g):
            if g.Ea_ci95_eV is None:
                return "—"
            d = len(ea(g).split(" ± ")[0].split(".")[-1])
            return f"[{g.Ea_ci95_eV[0]:.{d}f}, {g.Ea_ci95_eV[1]:.{d}f}]"

        frows = []
        for r in results:
            f = r["fit"]
            frows.append([r["group"], "one", ea(f), ea_ci(f),
                          f"{fmt(ms(f.sigma_25C_S_per_m), 4)} {ci(f.sigma_25C_ci95_S_per_m, ms, f.sigma_25C_S_per_m)}",
                          f"{fmt(ms(f.sigma_30C_S_per_m), 4)} {ci(f.sigma_30C_ci95_S_per_m, ms, f.sigma_30C_S_per_m)}",
                          f"{fmt(f.prefactor, 4)} {f.prefactor_unit}", str(f.n_points)])
            t = r["two_regime"]
            if t is not None:
                for name, g in (("low T", t.low), ("high T", t.high)):
                    frows.append(["", name, ea(g), ea_ci(g), "", "",
                                  f"{fmt(g.prefactor, 4)} {g.prefactor_unit}", str(g.n_points)])
        conv = "ln(σT) vs 1/T" if convention == "sigmaT" else "ln σ vs 1/T"
        show(table(f"Arrhenius fit ({conv}; 95 % intervals)",
                   ["series", "regime", "Ea (eV)", "Ea 95 % CI", "σ(25 °C) (mS/cm) [95 %]",
                    "σ(30 °C) (mS/cm) [95 %]", "prefactor", "n"], frows))
        for r in results:
            t = r["two_regime"]
            if t is not None:
                br = fmt_pm(t.T_break_K - 273.15, t.T_break_err_K)
                p = "—" if t.p_value is None else fmt(t.p_value, 3)
                err_console.print(f"{escape(str(r['group']))}: break at {br} °C ({'hinge' if t.continuous else 'two lines'}); "
                                  f"F-test p = {p}, BIC one {t.bic_one:.1f} vs two {t.bic_two:.1f} → "
                                  f"{t.preferred} regime{'s' if t.preferred == 'two' else ''} preferred",
                                  highlight=False)
        for c in comparisons:
            err_console.print(f"{escape(str(c['group']))}: rank {c['rank']} of {c['n_ranked']} knowledge-base materials at "
                              f"25 °C", highlight=False)
        for n in notes:
            err_console.print(f"[yellow]warning:[/] {escape(str(n))}", highlight=False)
        for p in written:
            err_console.print(f"wrote {p}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("arrhenius", help="Impedance files at several temperatures → σ(T), Ea, σ(25 °C), Arrhenius "
                                  "plot.")(arrhenius_cmd)
