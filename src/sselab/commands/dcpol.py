"""`sselab dcpol` — DC polarisation: electronic conductivity (eq 3), transference numbers (eqs 4–5), τ; a before /
after pair with ``--pair``.  The analysis (window, applied potential, steady-state check) is the ``dcpol`` recipe's
(:mod:`sselab.recipes.transport`)."""
from __future__ import annotations

from pathlib import Path

import typer

from ._common import (JSON_OPTION, MANIFEST_OPTION, OUT_OPTION, cli_cell, emit, load_manifest_option, out_dir,
                      show_table, show_values, user_errors, write_outputs)


def dcpol(
    file: Path = typer.Argument(..., help="Chronoamperometry file (any format sselab.io.read understands)."),
    voltage: str = typer.Option(None, "--voltage", "-V",
                                help="Applied polarisation, e.g. '0.5V' or '10 ± 0.1 mV' (bare number: V).  The "
                                     "file's potential is used when it has one; this is checked against it."),
    thickness: str = typer.Option(None, "--thickness", "-L", help="Pellet thickness, e.g. '1.2mm'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter, e.g. '10mm'."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area instead of diameter, e.g. '0.7854cm2'."),
    window: str = typer.Option(None, "--window",
                               help="Averaging window for If at the end (bare number: min; default: the last 30 min, "
                                    "or 10 % of a record shorter than 2 h)."),
    electrodes: str = typer.Option(None, "--electrodes",
                                   help="blocking (Au|Au, default), li (Li|SSE|Li; Bruce–Vincent: --r0, --rss), "
                                        "li|steel."),
    initial: str = typer.Option("first", "--initial",
                                help="It: 'first' sample after the step (paper), 'peak', or 'fit' (t→0)."),
    n_exp: str = typer.Option("auto", "--n-exp", help="Exponentials in the transient fit: auto (BIC), 1 or 2."),
    r0: str = typer.Option(None, "--r0",
                           help="Li|Li only: interfacial resistance before, e.g. '150 Ohm' or '150 ± 3 Ohm'."),
    rss: str = typer.Option(None, "--rss", help="Li|Li only: interfacial resistance after polarisation (± allowed)."),
    pair: Path = typer.Option(None, "--pair", help="A second record of the same cell (after a CV): both are analysed "
                                                   "and the change stated (Fig. 2c,d)."),
    manifest: Path = MANIFEST_OPTION,
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """DC polarisation of a cell: σe = (L/A)·If/V, te = If/It, ti = 1 − te, and the relaxation time(s) τ."""
    with user_errors():
        files = [file] + ([pair] if pair is not None else [])
        out = out_dir(out, files + ([manifest] if manifest is not None else []))
        from .. import units
        from ..errors import UnitError
        from ..io import read
        from ..recipes import get
        from ..recipes.routing import cell_for

        v, v_se = _parse_pm(voltage, "potential", "V", "--voltage") if voltage is not None else (None, None)
        win = units.parse(window, "time", default_unit="min") if window is not None else None
        if win is not None and not win > 0:
            raise UnitError(f"--window {window!r}: must be positive")
        if electrodes is not None and electrodes.strip().lower() in ("li|steel", "li|ss", "steel|li"):
            electrodes = "Li|steel"
        if initial not in ("first", "peak", "fit"):
            raise UnitError(f"--initial {initial!r}: expected first, peak or fit")
        if n_exp not in ("auto", "1", "2"):
            raise UnitError(f"--n-exp {n_exp!r}: expected auto, 1 or 2")
        base = cli_cell(Path(file).stem, thickness=thickness, diameter=diameter, area=area, electrodes=electrodes)
        cell, _ = cell_for(Path(file).resolve(), load_manifest_option(manifest), base)
        r0_ohm, r0_se = _parse_pm(r0, "resistance", "Ohm", "--r0") if r0 is not None else (None, None)
        rss_ohm, rss_se = _parse_pm(rss, "resistance", "Ohm", "--rss") if rss is not None else (None, None)
        if (r0_ohm is None) != (rss_ohm is None):
            raise UnitError("Bruce–Vincent needs both --r0 and --rss")
        if r0_ohm is not None and cell.kind != "symmetric":
            raise UnitError("--r0/--rss (Bruce–Vincent) apply to Li|SSE|Li cells: add --electrodes li")
        opts = dict(voltage_V=v, voltage_se_V=v_se, window_s=win, initial=initial,
                    n_exp=n_exp if n_exp == "auto" else int(n_exp), r0_ohm=r0_ohm, rss_ohm=rss_ohm,
                    r0_se_ohm=r0_se, rss_se_ohm=rss_se)
        ms = [read(p) for p in files]
        res = get("dcpol.pair" if pair is not None else "dcpol").run(ms, cell, **opts)
        written = write_outputs([res], out)

        def show_fn(r):
            show_values(r, f"DC polarisation — {r.subject}")
            for t in r.tables:
                show_table(t)

        emit([res], json_out=json_out, single=True, written=written, show_fn=show_fn)


def _parse_pm(text: str, kind: str, default_unit: str, option: str):
    """``'150 Ohm'`` → (value, None); ``'150 ± 3 Ohm'`` / ``'150+-3 Ohm'`` / ``'150 Ohm ± 3 Ohm'`` → (value, se),
    both in SI.  A bare number takes the unit of the other part, else ``default_unit``."""
    import re

    from .. import units
    from ..errors import UnitError

    parts = re.split(r"\s*(?:±|\+/-|\+-)\s*", str(text).strip())
    try:
        if len(parts) == 1:
            return units.parse(parts[0], kind, default_unit=default_unit), None
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise UnitError("expected 'VALUE UNIT' or 'VALUE ± ERROR UNIT'")
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
    except UnitError as exc:
        raise UnitError(f"{option} {text!r}: {exc}") from None
    if not e >= 0:
        raise UnitError(f"{option} {text!r}: the standard error must be ≥ 0")
    return v, e


def register(app: typer.Typer) -> None:
    app.command("dcpol")(dcpol)
