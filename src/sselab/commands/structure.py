"""`sselab xrd`, `sselab nmr`, `sselab operando` — structure during operation (issue 16).

The commands parse options, call the recipes (``xrd.pattern``, ``nmr.series``, ``operando``), print the flags
and values (or one JSON document with ``--json``) and save the recipes' figures into ``--out``."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._common import JSON_OPTION, OUT_OPTION, out_dir, print_json, print_notes, show, table, user_errors


def _values_table(res):
    from rich.text import Text

    rows = []
    for v in res.values:
        rows.append((v.label or v.key, Text(v.text())))
    return table(f"{res.recipe} — {res.subject}", ["quantity", "value"], rows)


def _flags_lines(res) -> list[str]:
    """Warnings and errors, one line each (print_notes prefixes them with 'warning:')."""
    return [("" if f.severity == "warning" else f"{f.severity}: ") + str(f) for f in res.flags if f.severity != "info"]


def _statements(res) -> None:
    """The recipe's automatic statements, printed under the table."""
    from rich.markup import escape

    from ._common import console

    for f in res.flags:
        if f.code in ("lattice_stable", "signal_change"):
            console.print(f"  → {escape(str(f))}", highlight=False)


def _save(spec, res, out, written: list[str], prefix: str = "") -> None:
    if out is None or spec.plot is None:
        return
    from ..plotting import save_figure

    for fo in spec.plot(res):
        written += [str(p) for p in save_figure(fo.figure, out, f"{prefix}{fo.name}")]


def _range(text):
    from ..errors import UnitError

    if text is None:
        return None
    try:
        lo, hi = (float(v) for v in text.replace("..", ":").split(":"))
    except ValueError:
        raise UnitError(f"--range {text!r}: write LOW:HIGH in degrees 2θ, e.g. 4:40") from None
    if not hi > lo:
        raise UnitError(f"--range {text!r}: HIGH must exceed LOW")
    return (lo, hi)


def _pattern_json(res, file, reader_warnings) -> dict:
    st = (res.details or {}).get("superstructure")
    lat = res["lattice_a_angstrom"] if "lattice_a_angstrom" in res else None
    return {
        "file": str(file),
        "lattice_a_angstrom": lat.value if lat else None,
        "lattice_a_err_angstrom": lat.stderr if lat else None,
        "lattice_phase": lat.where if lat else None,
        "superstructure": (st.present if st is not None else None),
        "superstructure_evidence": ({"two_theta_deg": st.two_theta_deg, "intensity": st.intensity,
                                     "intensity_err": st.intensity_err, "significance_sigma": st.significance_sigma,
                                     "ratio_to_strongest": st.ratio, "ratio_err": st.ratio_err,
                                     "expected_ratio_ordered_model": st.expected_ratio,
                                     "threshold_sigma": st.threshold_sigma, "reason": st.reason}
                                    if st is not None else None),
        "phases": res.get("phases", "none").split(",") if res.get("phases", "none") != "none" else [],
        "wavelength_m": res.options.get("wavelength_m"),
        "flags": [f.to_dict() for f in res.flags],
        "reader_warnings": list(reader_warnings),
        "result": res.to_dict(),
    }


def xrd(
    files: List[Path] = typer.Argument(..., help="Powder patterns (.xy/.xye/.xrdml/.raw/.brml/…) or, with --poni, "
                                                 "2-D detector images."),
    wavelength: Optional[str] = typer.Option(None, "--wavelength", "-w",
                                             help="Wavelength: '0.824042A', '0.0709 nm', or an anode ('Mo', 'CuKa'); "
                                                  "default: from the file."),
    phases: str = typer.Option("auto", "--phases",
                               help="Knowledge-base phases, e.g. 'Li2NH,Li3N,Li' (default auto: identify)."),
    two_theta_range: Optional[str] = typer.Option(None, "--range", help="2θ range LOW:HIGH in degrees."),
    threshold: float = typer.Option(5.0, "--threshold", help="Superstructure: I(111)/σ needed to call it present."),
    poni: Optional[Path] = typer.Option(None, "--poni", help="pyFAI PONI calibration: integrate 2-D images first."),
    row: Optional[int] = typer.Option(None, "--row", help="Multi-scan files: analyse only this scan (default: all)."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Powder XRD: phases, lattice parameter with its error, the Li2NH (111) superstructure test (Fig. 1d)."""
    with user_errors():
        out = out_dir(out, list(files) + ([poni] if poni else []))
        from ..io import read
        from ..recipes import get
        from ..structure.xrd import parse_wavelength

        lam = lam2 = None
        ratio = 0.0
        if wavelength:
            lam, lam2, ratio = parse_wavelength(wavelength)
        rng = _range(two_theta_range)
        from ..recipes.xrd import _phase_list

        _phase_list(phases)                     # unknown phase names fail before any file is read
        spec = get("xrd.pattern")
        docs, written, warnings, tables = [], [], [], []
        for f in files:
            if poni is not None:
                from ..io.xrd2d import integrate_image

                m = integrate_image(f, poni)
            else:
                m = read(f)
            if m.technique != "XRD":
                from ..errors import ReaderError

                raise ReaderError(f, f"a {m.technique} file, not a powder pattern")
            rows = [0]
            if "row" in m.data.columns:
                rows = sorted(int(v) for v in m.data["row"].unique())
                if row is not None:
                    if row not in rows:
                        from ..errors import ReaderError

                        raise ReaderError(f, f"no scan {row} (has {rows[0]}–{rows[-1]})")
                    rows = [row]
            for r in rows:
                res = spec.run([m], wavelength_m=lam, wavelength2_m=lam2, ka2_ratio=ratio, phases=phases, row=r,
                               two_theta_range=rng, threshold_sigma=threshold)
                tag = f"{Path(f).stem}" + (f"_row{r}" if len(rows) > 1 else "")
                _save(spec, res, out, written, prefix="" if len(files) * len(rows) == 1 else "")
                if out is not None:
                    written.append(str(out.write_text(f"{tag}.json", res.to_json())))
                docs.append(_pattern_json(res, f if len(rows) == 1 else f"{f}[{r}]", m.warnings))
                warnings += [f"{Path(f).name}: {w}" for w in m.warnings]
                warnings += [f"{Path(f).name}: {line}" for line in _flags_lines(res)]
                tables.append(_values_table(res))
        if json_out:
            print_json(docs[0] if len(docs) == 1 else {"patterns": docs})
            print_notes([], written)
            return
        print_notes(warnings)              # caveats first: they change how the numbers must be read
        show(*tables)
        print_notes([], written)


def _signed_time(text) -> float:
    """A clock offset: '0', '-20s', '+1.5 min' (seconds; zero and negative allowed)."""
    from .. import units

    t = str(text).strip()
    sign = -1.0 if t.startswith("-") else 1.0
    body = t.lstrip("+-").strip()
    import re

    if re.fullmatch(r"0*\.?0*\s*[a-z]*", body):
        return 0.0
    return sign * units.parse(body, "time", default_unit="s")


def nmr(
    inputs: List[Path] = typer.Argument(..., help="Bruker experiment folders (fid/ser), Varian .fid folders, JCAMP-DX "
                                                  "files, or a folder of them (a series)."),
    regions: Optional[str] = typer.Option(None, "--regions",
                                          help="Integration regions 'NAME=LO:HI,…' in ppm (default 'Li metal=200:320,"
                                               "SSE=-60:60')."),
    log: Optional[Path] = typer.Option(None, "--log", help="CSV with one start_time (and end_time) per spectrum file."),
    start_time: Optional[str] = typer.Option(None, "--start-time", help="Series start (ISO) when the files lack it."),
    period: Optional[str] = typer.Option(None, "--period", help="Time between spectra (e.g. '60s', '1 min')."),
    no_autophase: bool = typer.Option(False, "--no-autophase", help="Keep the spectra's phase as read."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """NMR spectra or a series: region integrals over time (Li metal ~260 ppm, SSE ~0 ppm), line shift and width."""
    with user_errors():
        out = out_dir(out, list(inputs) + ([log] if log else []))
        from ..recipes import get

        s = _read_series(inputs, log, start_time, period)
        if s.kind != "NMR":
            from ..errors import ReaderError

            raise ReaderError(inputs[0], "not NMR data (use sselab xrd for patterns)")
        spec = get("nmr.series")
        res = spec.run([], series=s, regions=regions, autophase=not no_autophase)
        written: list[str] = []
        _save(spec, res, out, written)
        if out is not None:
            written.append(str(out.write_text("nmr.json", res.to_json())))
            written.append(str(out.write_text("nmr_per_spectrum.csv", res.table("per_spectrum").to_frame().to_csv(index=False))))
        if json_out:
            print_json({"inputs": [str(p) for p in inputs], "time_source": s.time_source,
                        "start_time": s.t0.isoformat() if s.t0 else None,
                        "statements": res.figures.get("statements", []), "flags": [f.to_dict() for f in res.flags],
                        "result": res.to_dict()})
            print_notes([], written)
            return
        print_notes(_flags_lines(res) + s.warnings[:3])
        show(_values_table(res))
        _statements(res)
        print_notes([], written)


def _read_series(inputs, log, start_time, period):
    from .. import units
    from ..io.structure_series import read_series, read_series_spec

    if start_time is not None or period is not None:
        spec = {"files": list(inputs), "log": None, "times": None, "offset_s": 0.0, "start_time": start_time,
                "row_period_s": units.parse(period, "time", default_unit="s") if period else None}
        return read_series_spec(spec)
    return read_series(list(inputs), log=log, allow_index_time=True)


def operando(
    electrochem: Optional[Path] = typer.Option(None, "--electrochem", "-e", help="Electrochemistry file (EC-Lab, Ivium, …)."),
    xrd_inputs: Optional[List[Path]] = typer.Option(None, "--xrd", help="XRD patterns or a folder (repeatable)."),
    nmr_inputs: Optional[List[Path]] = typer.Option(None, "--nmr", help="NMR series: a Bruker pseudo-2D folder, files…"),
    manifest: Optional[Path] = typer.Option(None, "--manifest", "-m",
                                            help="Operando manifest (YAML): files, logs, start times, clock offsets."),
    log: Optional[Path] = typer.Option(None, "--log", help="Scan log CSV (scan, start_time, end_time)."),
    offset: str = typer.Option("0s", "--ec-offset", help="Add this to the electrochemistry clock (e.g. '-20s')."),
    wavelength: Optional[str] = typer.Option(None, "--wavelength", "-w", help="XRD wavelength ('0.824042A'); "
                                                                               "default: from the files."),
    phases: str = typer.Option("auto", "--phases", help="XRD phases, e.g. 'Li2NH,Li3N,Li' (default: identify)."),
    regions: Optional[str] = typer.Option(None, "--regions", help="NMR regions 'NAME=LO:HI,…' (ppm)."),
    start_time: Optional[str] = typer.Option(None, "--start-time", help="Series start (ISO) when the files lack it."),
    period: Optional[str] = typer.Option(None, "--period", help="Time between members (e.g. '100s')."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """In situ XRD or NMR aligned with the electrochemistry: contour + potential/current (Fig. 4a–b), lattice parameter
    and peak areas (or region integrals) vs time, and statements with evidence."""
    with user_errors():
        from .. import units
        from ..errors import SselabError
        from ..io import read
        from ..io.structure_series import read_operando_manifest, read_series_spec
        from ..recipes import get
        from ..structure.xrd import parse_wavelength

        inputs = [p for p in ([electrochem, manifest, log] + list(xrd_inputs or []) + list(nmr_inputs or [])) if p]
        out = out_dir(out, inputs)
        ec_off = _signed_time(offset)
        ec_start = None
        series_list = []
        if manifest is not None:
            man = read_operando_manifest(manifest)
            if electrochem is None and man.electrochem is not None:
                electrochem = man.electrochem
                ec_off += man.electrochem_offset_s
                ec_start = man.electrochem_start
            for kind in ("xrd", "nmr"):
                spec_ = getattr(man, kind)
                if spec_ is not None:
                    series_list.append(read_series_spec(spec_))
                    if kind == "xrd" and spec_.get("wavelength") and not wavelength:
                        wavelength = str(spec_["wavelength"])
        if xrd_inputs:
            series_list.append(_read_series(xrd_inputs, log, start_time, period))
        if nmr_inputs:
            series_list.append(_read_series(nmr_inputs, None if xrd_inputs else log, start_time, period))
        if not series_list:
            raise SselabError("give --xrd and/or --nmr (or a --manifest naming them)")
        ec = read(electrochem) if electrochem is not None else None
        lam = parse_wavelength(wavelength)[0] if wavelength else None
        spec = get("operando")
        docs, written, notes, shown = [], [], [], []
        for s in series_list:
            res = spec.run([ec] if ec is not None else [], series=s, ec_offset_s=ec_off, ec_start=ec_start,
                           wavelength_m=lam, phases=phases, regions=regions)
            _save(spec, res, out, written)
            if out is not None:
                kind = s.kind.lower()
                written.append(str(out.write_text(f"operando_{kind}.json", res.to_json())))
                t = res.tables[0]
                written.append(str(out.write_text(f"operando_{kind}_{t.name}.csv", t.to_frame().to_csv(index=False))))
            docs.append({"kind": s.kind, "members": len(s), "time_source": s.time_source,
                         "statements": res.figures.get("statements", []), "flags": [f.to_dict() for f in res.flags],
                         "result": res.to_dict()})
            notes += _flags_lines(res)
            shown.append(res)
        if json_out:
            print_json(docs[0] if len(docs) == 1 else {"series": docs})
            print_notes([], written)
            return
        print_notes(notes)                 # caveats first, then the numbers
        for res in shown:
            show(_values_table(res))
            _statements(res)
        print_notes([], written)


def register(app: typer.Typer) -> None:
    app.command("xrd")(xrd)
    app.command("nmr")(nmr)
    app.command("operando")(operando)
