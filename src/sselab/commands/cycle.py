"""`sselab cycle` — galvanostatic cycling: Li|SSE|Li stripping/plating ladders (shorts, CCD) or full cells.  The
analysis is the ``cycling.symmetric`` / ``cycling.full`` recipe's (:mod:`sselab.recipes.cycling`); the file is read
with only the columns the recipe declares (``recipes.cycling.columns``).  ``--channel`` picks one channel of a file
that holds several (Arbin ``.res`` with several tests, a workbook with several channel sheets)."""
from __future__ import annotations

from pathlib import Path

import typer

from ._common import (JSON_OPTION, MANIFEST_OPTION, OUT_OPTION, cli_cell, emit, load_manifest_option, out_dir,
                      show_table, show_values, user_errors, write_outputs)


def cycle(
    file: Path = typer.Argument(..., help="Galvanostatic record (any format sselab.io.read understands; "
                                          "CSV with time_s,potential_V,current_A works)."),
    area: str = typer.Option(None, "--area", "-A", help="Electrode area, e.g. '0.7854cm2'."),
    diameter: str = typer.Option(None, "--diameter", "-d", help="Electrode diameter instead of area, e.g. '10mm'."),
    symmetric: bool = typer.Option(False, "--symmetric", help="Li|SSE|Li stripping/plating (default without "
                                                              "--active-mass or a manifest)."),
    active_mass: str = typer.Option(None, "--active-mass", "-m", help="Full cell: cathode active mass, e.g. '3mg'."),
    threshold: float = typer.Option(0.8, "--threshold", help="Full cell: end-of-life retention (fraction)."),
    ccd_on: str = typer.Option("any", "--ccd-on", help="Short kinds that end the CCD ladder: any (hard or soft) "
                                                       "or hard."),
    channel: str = typer.Option(None, "--channel", "-c", help="Channel of a multi-channel file: its name or 0-based "
                                                             "index (`sselab info FILE` lists them)."),
    manifest: Path = typer.Option(None, "--manifest", help=MANIFEST_OPTION.help),
    json_out: bool = JSON_OPTION,
    out: Path = OUT_OPTION,
):
    """Segment a galvanostatic record into half cycles and analyse it as a symmetric ladder or a full cell."""
    with user_errors():
        out = out_dir(out, [file] + ([manifest] if manifest is not None else []))
        from ..errors import UnitError
        from ..io import read
        from ..io.detect import detect
        from ..recipes import get
        from ..recipes.cycling import columns
        from ..recipes.routing import cell_for

        if symmetric and active_mass is not None:
            raise UnitError("--symmetric and --active-mass exclude each other (symmetric cell or full cell?)")
        if ccd_on not in ("any", "hard"):
            raise UnitError(f"--ccd-on {ccd_on!r}: expected any or hard")
        full = active_mass is not None
        base = cli_cell(Path(file).stem, diameter=diameter, area=area, active_mass=active_mass,
                        electrodes="Li|TiS2" if full else "Li|Li")
        man = load_manifest_option(manifest)
        cell, _ = cell_for(Path(file).resolve(), man, base)
        if cell is not base and (symmetric or full):
            from dataclasses import replace

            cell = replace(cell, electrodes=base.electrodes, active_mass_kg=cell.active_mass_kg or base.active_mass_kg)
        kind = cell.kind
        if kind not in ("symmetric", "full"):
            raise UnitError(f"cell {cell.name!r} ({'|'.join(cell.electrodes)}): give --symmetric or --active-mass")
        if kind == "symmetric" and cell.area_m2 is None:
            raise UnitError("a symmetric cell needs --area or --diameter (current density)")
        fmt = detect(file)
        pick, several = _pick_channel(Path(file), fmt, channel)
        m = read(file, format=fmt, columns=list(columns(fmt)), **({"channel": pick} if several else {}))
        if several and cell is base:
            from dataclasses import replace

            cell = replace(cell, name=f"{cell.name} [{pick}]")
        if kind == "full":
            if not 0 < threshold < 1:
                raise UnitError(f"--threshold {threshold}: a retention fraction between 0 and 1")
            res = get("cycling.full").run([m], cell, threshold=threshold)
        else:
            res = get("cycling.symmetric").run([m], cell, ccd_on=ccd_on)
        written = write_outputs([res], out)

        def show_fn(r):
            for t in r.tables:
                if t.name == "steps":
                    show_table(t, ["step", "j_A_per_m2", "first_cycle", "last_cycle", "eta_median_V",
                                   "resistance_median_ohm_m2", "r_slope_ohm_m2_per_cycle", "sustained"])
                elif t.name == "shorts" and t.rows:
                    show_table(t)
                elif t.name == "cycles":
                    show_table(t)
            show_values(r, f"{'Full cell' if r.recipe == 'cycling.full' else 'Stripping / plating'} — {r.subject}")

        emit([res], json_out=json_out, single=True, written=written, show_fn=show_fn)


def _pick_channel(file: Path, fmt: str, channel: str | None) -> tuple[str | None, bool]:
    """(channel name to read, whether the file holds several) — one-line errors naming the file's channels."""
    from ..errors import UnitError
    from ..io import channels

    names = channels(file, fmt)
    shown = ", ".join(repr(n) for n in names[:12]) + (" …" if len(names) > 12 else "")
    if channel is None:
        if len(names) > 1:
            raise UnitError(f"{file.name} holds {len(names)} channels ({shown}): give --channel NAME or a 0-based "
                            f"INDEX")
        return None, False
    if channel in names:
        name = channel
    elif channel.lower() in [n.lower() for n in names]:
        name = names[[n.lower() for n in names].index(channel.lower())]
    else:
        try:
            k = int(channel)
        except ValueError:
            raise UnitError(f"--channel {channel!r}: {file.name} holds {shown}") from None
        if not -len(names) <= k < len(names):
            raise UnitError(f"--channel {k}: {file.name} holds {len(names)} channel(s) ({shown}), indices 0–"
                            f"{len(names) - 1}")
        name = names[k]
    return name, len(names) > 1


def register(app: typer.Typer) -> None:
    app.command("cycle")(cycle)
