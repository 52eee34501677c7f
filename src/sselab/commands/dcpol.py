"""`sselab dcpol` — DC polarisation: electronic conductivity (eq 3), transference numbers (eqs 4–5), τ."""
from __future__ import annotations

from pathlib import Path

import typer


from ._common import JSON_OPTION, OUT_OPTION, out_dir, fmt, fmt_pm, print_json, print_notes, show, table, user_errors


def dcpol(
    file: Path = typer.Argument(..., help="Chronoamperometry file (any format sselab.io.read understands)."),
    voltage: str = typer.Option(..., "--voltage", "-V",
                                help="Applied polarisation, e.g. '0.5V' or '10 ± 0.1 mV' (bare number: V)."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    window: str = typer.Option("30min", "--window", help="Averaging window for If at the end (bare number: min)."),
    electrodes: str = typer.Option("blocking", "--electrodes",
                                   help="blocking (Au|Au), li (Li|SSE|Li; Bruce–Vincent: --r0, --rss), li|steel."),
    initial: str = typer.Option("first", "--initial",
                                help="It: 'first' sample after the step (paper), 'peak', or 'fit' (t→0)."),
    n_exp: str = typer.Option("auto", "--n-exp", help="Exponentials in the transient fit: auto (BIC), 1 or 2."),
    r0: str = typer.Option(None, "--r0",
                           help="Li|Li only: interfacial resistance before, e.g. '150 Ohm' or '150 ± 3 Ohm'."),
    rss: str = typer.Option(None, "--rss", help="Li|Li only: interfacial resistance after polarisation (± allowed)."),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """DC polarisation of a cell: σe = (L/A)·If/V, te = If/It, ti = 1 − te, and the relaxation time(s) τ."""
    with user_errors():
        out = out_dir(out, [file])
        from .. import units
        from ..cell import CellSpec
        from ..errors import UnitError
        from ..io import read
        from ..transport.polarization import analyze_polarization, plot_polarization

        v, v_se = _parse_pm(voltage, "potential", "V", "--voltage")
        win = units.parse(window, "time", default_unit="min")
        el = electrodes.strip().lower()
        if el in ("blocking", "block", "au", "au|au", "steel", "ss"):
            el = "blocking"
        elif el in ("li", "li|li", "symmetric", "lithium"):
            el = "li"
        elif el in ("li|steel", "li|ss", "li|au", "li-blocking", "steel|li"):
            el = "li-blocking"          # Li|SSE|steel (paper, before/after CV): eqs 3–5 apply unchanged
        else:
            raise UnitError(f"--electrodes {electrodes!r}: expected 'blocking', 'li' or 'li|steel'")
        if initial not in ("first", "peak", "fit"):
            raise UnitError(f"--initial {initial!r}: expected first, peak or fit")
        if n_exp not in ("auto", "1", "2"):
            raise UnitError(f"--n-exp {n_exp!r}: expected auto, 1 or 2")
        cell = CellSpec.from_strings(Path(file).stem, thickness=thickness, diameter=diameter, area=area)
        r0_ohm, r0_se = _parse_pm(r0, "resistance", "Ohm", "--r0") if r0 is not None else (None, None)
        rss_ohm, rss_se = _parse_pm(rss, "resistance", "Ohm", "--rss") if rss is not None else (None, None)
        if (r0_ohm is None) != (rss_ohm is None):
            raise UnitError("Bruce–Vincent needs both --r0 and --rss")
        if r0_ohm is not None and el != "li":
            raise UnitError("--r0/--rss (Bruce–Vincent) apply to Li|SSE|Li cells: add --electrodes li")
        m = read(file)
        res = analyze_polarization(
            m, voltage_V=v, thickness_m=cell.thickness_m, area_m2=cell.area_m2, window_s=win, initial=initial,
            n_exp=n_exp if n_exp == "auto" else int(n_exp), electrodes=el, r0_ohm=r0_ohm, rss_ohm=rss_ohm,
            r0_se_ohm=r0_se, rss_se_ohm=rss_se, voltage_se_V=v_se)
        written = []
        if out is not None:
            from ..plotting import save_figure

            written = [str(p) for p in save_figure(plot_polarization(res), out, f"dcpol_{Path(file).stem}")]
        if json_out:
            print_json({"file": str(file), "technique": m.technique, "reader_warnings": list(m.warnings),
                        "result": res.to_dict(), "figures": written})
            return
        rows = [
            ("applied voltage", f"{fmt_pm(res.voltage_V, v_se)} V"),
            ("If (mean of last window)", f"{_current(res.i_final_A, res.i_final_se_A)}  ({_duration(res.window_s)})"),
            (f"It ({res.initial_method})", _current(res.i_initial_A, res.i_initial_se_A)),
        ]
        if res.area_m2:
            rows += [("jf = If/A", _density(res.i_final_A / res.area_m2, res.i_final_se_A / res.area_m2)),
                     ("jt = It/A", _density(res.i_initial_A / res.area_m2, None))]
        rows += [
            ("σe", f"{fmt_pm(units.to_unit(res.sigma_e_S_per_m, 'nS/cm'), _nS(res.sigma_e_se_S_per_m))} nS/cm"
             if res.sigma_e_S_per_m is not None else "— (give --thickness and --diameter/--area)"),
            ("te", fmt_pm(res.t_e, res.t_e_se)),
            ("ti", fmt_pm(res.t_i, res.t_e_se, 5)),
        ]
        if res.fit is not None:
            for k, (tau, se) in enumerate(zip(res.fit.tau_s, res.fit.tau_se_s), 1):
                rows.append((f"τ{k}", f"{fmt_pm(tau, se)} s"))
            rows.append(("model (BIC)", f"{res.fit.n_exp} exponential(s) + constant"))
        if res.bruce_vincent is not None:
            bv = res.bruce_vincent
            rows.append(("t+ (Bruce–Vincent)", fmt_pm(bv.t_plus, bv.t_plus_se)))
            if bv.se_contributions:
                names = {"delta_V": "ΔV", "i0_A": "I0", "iss_A": "Is", "r0_ohm": "R0", "rss_ohm": "Rs"}
                budget = ", ".join(f"{names[k]} {fmt(c, 2)}" for k, c in
                                   sorted(bv.se_contributions.items(), key=lambda kv: -kv[1]))
                rows.append(("  se(t+) from", budget))
        show(table(f"DC polarisation — {Path(file).name}", ["quantity", "value"], rows))
        print_notes(list(m.warnings) + list(res.warnings), written)


def _parse_pm(text: str, kind: str, default_unit: str, option: str):
    """``'150 Ohm'`` → (value, None); ``'150 ± 3 Ohm'`` / ``'150+-3 Ohm'`` / ``'150 Ohm ± 3 Ohm'`` → (value, se),
    both in SI.  A bare number takes the unit of the other part, else ``default_unit``."""
    import re

    from .. import units
    from ..errors import UnitError

    parts = re.split(r"\s*(?:±|\+/-|\+-)\s*", str(text).strip())
    if len(parts) == 1:
        return units.parse(parts[0], kind, default_unit=default_unit), None
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise UnitError(f"{option} {text!r}: expected 'VALUE UNIT' or 'VALUE ± ERROR UNIT'")
    number = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
    val, err = parts
    tail = re.sub(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*", "", err)
    if number.match(val) and tail:
        val = f"{val} {tail}"
    head = re.sub(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*", "", val)
    if number.match(err) and head:
        err = f"{err} {head}"
    v = units.parse(val, kind, default_unit=default_unit)
    e = units.parse(err, kind, default_unit=default_unit)
    if not e >= 0:
        raise UnitError(f"{option} {text!r}: the standard error must be ≥ 0")
    return v, e


def _current(value_A, se_A=None) -> str:
    """Current in the largest of mA/µA/nA/pA that keeps the value ≥ 1."""
    from ..voltammetry import CURRENT_UNITS, pick_unit

    f, u = pick_unit([value_A], CURRENT_UNITS)
    return f"{fmt_pm(value_A * f, None if se_A is None else se_A * f)} {u}"


def _density(value_A_per_m2, se=None) -> str:
    from ..voltammetry import CURRENT_DENSITY_UNITS, pick_unit

    f, u = pick_unit([value_A_per_m2], CURRENT_DENSITY_UNITS)
    u = u.replace("cm$^{-2}$", "/cm²").replace(" /", "/")
    return f"{fmt_pm(value_A_per_m2 * f, None if se is None else se * f)} {u}"


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 360 == 0:
        return f"{fmt(seconds / 3600)} h"
    if seconds >= 60 and seconds % 6 == 0:
        return f"{fmt(seconds / 60)} min"
    return f"{fmt(seconds)} s"


def _nS(value):
    from .. import units

    return None if value is None else units.to_unit(value, "nS/cm")


def register(app: typer.Typer) -> None:
    app.command("dcpol")(dcpol)
