"""`sselab eis drt` — distribution of relaxation times of one spectrum or a series (recipe ``eis.drt``)."""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from ..fmt import fmt_pm
from ._common import (JSON_OPTION, MANIFEST_OPTION, OUT_OPTION, err_console, fmt, load_manifest_option, out_dir,
                      print_json, print_notes, progress,
                      show, table, user_errors)


class _bar:
    """A rich progress bar on stderr fed by the recipe's ``progress(done, total)`` callback (silent when stderr is
    not a terminal)."""

    def __enter__(self):
        self._p = None
        if err_console.is_terminal:
            from rich.progress import Progress

            self._p = Progress(console=err_console, transient=True)
            self._p.start()
            self._task = self._p.add_task("DRT", total=None)
        return self.tick

    def tick(self, done, total):
        if self._p is not None:
            self._p.update(self._task, completed=done, total=total)

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.stop()
        return False


def _lambda(text: str):
    from ..errors import UnitError

    t = text.strip().lower()
    if t == "auto":
        return "auto"
    try:
        v = float(t)
    except ValueError:
        raise UnitError(f"--lambda {text!r}: expected 'auto' or a positive number such as 1e-3") from None
    if not v > 0 or v != v or v == float("inf"):
        raise UnitError(f"--lambda {text!r}: must be a positive finite number")
    return v


def _choice(text: str, allowed, option: str) -> str:
    from ..errors import UnitError

    t = text.strip().lower().replace("_", "-")
    table_ = {a.replace("_", "-"): a for a in allowed}
    if t not in table_:
        raise UnitError(f"{option} {text!r}: expected one of {', '.join(table_)}")
    return table_[t]


def _inductance(text: str):
    from ..errors import UnitError

    t = text.strip().lower()
    if t == "auto":
        return "auto"
    if t in ("yes", "on", "true", "1"):
        return True
    if t in ("no", "off", "false", "0"):
        return False
    raise UnitError(f"--inductance {text!r}: expected auto, yes or no")


def _manifest_cell(files, man, cli):
    """The one manifest cell of the series (its geometry; the command line fills what it lacks)."""
    from ..errors import UnitError
    from ..recipes.routing import cell_for

    cells = {}
    for p in files:
        c, _ = cell_for(Path(p).resolve(), man, cli)
        cells.setdefault(c.name, c)
    if len(cells) > 1:
        raise UnitError(f"the files belong to {len(cells)} cells of the manifest ({', '.join(sorted(cells))}): "
                        "a DRT series is one cell — run it per cell")
    return next(iter(cells.values()))


def drt_cmd(
    files: List[Path] = typer.Argument(..., help="Impedance files (any format sselab.io.read understands); several "
                                                  "files or a multi-spectrum file form a series."),
    lam: str = typer.Option("auto", "--lambda", help="Regularisation: 'auto' (chosen per spectrum) or a number "
                                                     "(e.g. 1e-3)."),
    lam_method: str = typer.Option("gcv", "--lambda-method", help="How 'auto' chooses λ: gcv, mgcv or lcurve."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm' (assignment by "
                                                                   "C·L/A, σ per process)."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    fmin: str = typer.Option(None, "--fmin", help="Ignore points below this frequency, e.g. '1Hz'."),
    fmax: str = typer.Option(None, "--fmax", help="Ignore points above this frequency, e.g. '1MHz'."),
    temperature: str = typer.Option(None, "--temperature", "-T",
                                    help="Temperature when a file does not carry one, e.g. '30C'."),
    tail: str = typer.Option("auto", "--tail", help="Low-frequency capacitive tail: auto (model a detected one by a "
                                                    "CPE), cpe (always), none, exclude (drop its points)."),
    lf_loop: str = typer.Option("exclude", "--lf-loop", help="Low-frequency inductive loop: exclude or keep."),
    inductance: str = typer.Option("auto", "--inductance", help="Series inductance: auto (when Z'' > 0 at the "
                                                                "highest f), yes or no."),
    ppd: float = typer.Option(10.0, "--points-per-decade", help="τ-grid density (basis functions per decade)."),
    band: bool = typer.Option(True, "--band/--no-band", help="Bootstrap 95 % band of γ and peak-R errors."),
    manifest: Path = MANIFEST_OPTION,
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Distribution of relaxation times: γ(τ) with band, peaks (τ, R, C = τ/R, bulk / grain boundary / electrode),
    the DRT-reconstructed spectrum; for a series the DRT map, tracked processes and Ea per process."""
    with user_errors():
        out = out_dir(out, list(files) + ([manifest] if manifest is not None else []))
        from .. import recipes, units
        from ..cell import CellSpec
        from ..eis.drt.core import LF_LOOP_OPTIONS, TAIL_OPTIONS
        from ..io import read

        opts = dict(lam=_lambda(lam), lam_method=_choice(lam_method, ("gcv", "mgcv", "lcurve"), "--lambda-method"),
                    tail=_choice(tail, TAIL_OPTIONS, "--tail"), lf_loop=_choice(lf_loop, LF_LOOP_OPTIONS, "--lf-loop"),
                    inductance=_inductance(inductance), points_per_decade=ppd, band=band)
        if fmin:
            opts["fmin_Hz"] = units.parse(fmin, "frequency", default_unit="Hz")
        if fmax:
            opts["fmax_Hz"] = units.parse(fmax, "frequency", default_unit="Hz")
        if temperature:
            opts["temperature_K"] = units.parse(temperature, "temperature", default_unit="C")
        cell = CellSpec.from_strings("cell", thickness=thickness, diameter=diameter, area=area)
        if manifest is not None:
            cell = _manifest_cell(files, load_manifest_option(manifest), cell)
        measurements = [read(p) for p in progress(files, total=len(files), description="reading")]
        spec = recipes.get("eis.drt")
        with _bar() as tick:
            res = spec.run(measurements, cell, progress=tick, **opts)

        written = []
        if out is not None:
            from ..plotting import save_figure

            for fo in spec.plot(res):
                written += [str(p) for p in save_figure(fo.figure, out, fo.name)]
            for name in ("spectra", "peaks", "tracks"):
                try:
                    t = res.table(name)
                except KeyError:
                    continue
                written.append(str(out.write_text(f"drt_{name}.csv", t.to_frame().to_csv(index=False))))
            written.append(str(out.write_text("drt_result.json", res.to_json())))

        spectra = _spectra_json(res)
        if json_out:
            print_json({"recipe": res.recipe, "subject": res.subject, "options": res.options,
                        "thickness_m": cell.thickness_m, "area_m2": cell.area_m2, "spectra": spectra,
                        "tracks": _records(res, "tracks"), "values": [v.to_dict() for v in res.values],
                        "flags": [f.to_dict() for f in res.flags], "figures": written})
            return
        for f in res.flags:
            colour = {"error": "red", "warning": "yellow"}.get(f.severity, "cyan")
            from rich.markup import escape

            err_console.print(f"[{colour}]{f.severity}:[/] {escape(str(f))}", highlight=False, soft_wrap=True)
        rows = []
        for s in spectra:
            T = s["T_K"]
            rows.append([s["label"], fmt(T - 273.15, 4) if T is not None else "—", fmt(s["R_inf_ohm"]),
                         fmt(s["R_pol_ohm"]), fmt(s["lambda"], 2), str(len(s["peaks"])),
                         fmt(100 * s["rms_residual"], 2)])
        show(table("DRT per spectrum", ["spectrum", "T (°C)", "R∞ (Ω)", "R_pol (Ω)", "λ", "peaks", "rms (%)"], rows))
        prow = [[s["label"], str(p["peak"]), fmt(p["tau_s"]), fmt(p["f_peak_Hz"]), fmt_pm(p["R_ohm"], p["R_err_ohm"]),
                 fmt(p["C_F"]), fmt(p["alpha"], 3), p["assignment"], "yes" if p["in_window"] else "no",
                 p.get("track") or "—"]
                for s in spectra for p in s["peaks"]]
        if prow:
            show(table("DRT peaks (C = τ/R; assignment after Irvine, Sinclair & West 1990)",
                       ["spectrum", "#", "τ (s)", "f_peak (Hz)", "R (Ω)", "C (F)", "α", "assignment", "in band",
                        "track"], prow))
        tr = _records(res, "tracks")
        if tr:
            show(table("Processes through the series", ["track", "spectra", "median τ (s)", "median C (F)",
                                                         "Ea (eV)", "note"],
                       [[t["track"], str(t["n_spectra"]), fmt(t["tau_median_s"]), fmt(t["C_median_F"]),
                         fmt_pm(t["Ea_eV"], t["Ea_err_eV"]) if t["Ea_eV"] is not None else "—", t["note"] or ""]
                        for t in tr]))
        print_notes((), written)


def _records(res, name) -> list[dict]:
    try:
        t = res.table(name)
    except KeyError:
        return []
    return [dict(zip(t.columns, row)) for row in t.rows]


def _spectra_json(res) -> list[dict]:
    """One record per spectrum with its peaks (SI keys), from the recipe's tables."""
    peaks: dict[str, list] = {}
    for p in _records(res, "peaks"):
        label = p.pop("label")
        p.pop("T_K", None)
        p.pop("time_s", None)
        peaks.setdefault(label, []).append(p)
    out = []
    for s in _records(res, "spectra"):
        s = dict(s)
        s["flags"] = [c for c in (s.get("flags") or "").split(", ") if c]
        s["peaks"] = peaks.get(s["label"], [])
        out.append(s)
    return out
