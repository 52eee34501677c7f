"""``sselab info FILE... [--json]`` — what sselab sees in instrument files: format, technique, rows, time span, columns,
warnings.  Good files are reported first; each unreadable file then gets one error line and the exit status is 2."""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from ._common import JSON_OPTION, err_console, fmt, print_json, show, table


def register(app: typer.Typer) -> None:
    @app.command("info")
    def info(
        files: List[Path] = typer.Argument(..., help="Instrument files (.mpr, .mpt, .z, .DTA, .idf, .par, .csv, .txt ...)."),
        json_out: bool = JSON_OPTION,
        format: str = typer.Option(None, "--format", help="Force a reader (biologic-mpt, biologic-mpr, zview-z, "
                                                          "gamry-dta, ivium-idf, versastudio-par, text)."),
    ):
        """Show format, technique, rows, time span, columns and warnings of instrument files."""
        from ..errors import SselabError
        from ..io import read

        good: list[dict] = []
        bad: list[dict] = []
        for f in files:
            try:
                m = read(f, format=format)
            except SselabError as exc:
                bad.append({"file": str(f), "error": " ".join(str(exc).split())})
                continue
            except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
                bad.append({"file": str(f), "error": f"{f}: {exc.strerror or type(exc).__name__}"})
                continue
            s = m.summary()
            s["temperature_source"] = m.extra.get("temperature_source")
            s["technique_raw"] = m.extra.get("technique_raw")
            if m.is_eis:
                fq = m.data["freq_Hz"].to_numpy(float)
                s["freq_range_Hz"] = [float(fq.min()), float(fq.max())] if len(fq) else None
                s["spectra"] = len(m.spectra())
            good.append(s)
        if json_out:
            print_json({"files": good, "errors": bad})
        else:
            if good:
                rows = []
                for s in good:
                    span = s["time_span_s"]
                    extra = ""
                    if s.get("freq_range_Hz"):
                        lo, hi = s["freq_range_Hz"]
                        extra = f"{fmt(lo, 3)}–{fmt(hi, 3)} Hz, {s['spectra']} spectra"
                    tk = s["temperature_K"]
                    rows.append([
                        Path(s["file"]).name, s["format"],
                        s["technique"] + (f" ({s['technique_raw']})" if s.get("technique_raw") and s["technique_raw"] != s["technique"] else ""),
                        str(s["rows"]), "—" if span is None else f"{fmt(span, 4)} s", extra,
                        "—" if tk is None else f"{tk - 273.15:.1f} °C ({s.get('temperature_source')})",
                    ])
                show(table("instrument files", ["file", "format", "technique", "rows", "time span", "impedance", "T"], rows))
                for s in good:
                    cols = ", ".join(s["columns"][:14]) + (" …" if len(s["columns"]) > 14 else "")
                    show(f"[bold]{Path(s['file']).name}[/]: {cols}")
                    for w in s["warnings"]:
                        show(f"  [yellow]warning:[/] {w}")
        for b in bad:
            err_console.print(f"[bold red]error:[/] {b['error']}", highlight=False, soft_wrap=True)
        if bad:
            raise typer.Exit(2)
