"""``sselab info FILE|DIR... [--json]`` — what sselab sees in instrument files: format, technique, rows, time span,
frequency range, temperature, start time, software, columns, warnings.  Good files are reported first; each
unreadable file then gets one error line and the exit status is 2.  A directory stands for every file below it
(files listed twice, e.g. by a shell ``**/*`` glob that also names their folders, are read once)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import List

import typer

from ._common import JSON_OPTION, console, err_console, print_json, progress, show

_SI_PREFIX = [(1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")]


# (seconds per unit, unit, format, the displayed value at which the next unit takes over)
_SPAN_UNITS = ((1e-3, "ms", ".3g", 1000.0), (1.0, "s", ".1f", 60.0), (60.0, "min", ".1f", 60.0),
               (3600.0, "h", ".1f", 48.0), (86400.0, "d", ".1f", math.inf))


def human_span(seconds: float | None) -> str:
    """A duration the way people say it: ``'168 ms'``, ``'16.1 s'``, ``'3.2 min'``, ``'29.6 h'``, ``'16.0 d'``.

    The unit is chosen on the *displayed* value, so rounding never lands on the next unit's boundary:
    3599 s is ``'1.0 h'`` (not ``'60.0 min'``), 59.96 s ``'1.0 min'``, 0.99996 s ``'1.0 s'``."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    s = abs(float(seconds))
    if s == 0:
        return "0 s"
    for scale, unit, fmt, limit in _SPAN_UNITS:
        text = format(s / scale, fmt)
        if float(text) < limit:
            return f"{text} {unit}"
    return f"{s / 86400:.1f} d"  # not reached: days have no limit


def human_freq(hz: float) -> str:
    """A frequency with an SI prefix and three significant figures: ``'16.9 mHz'``, ``'1 kHz'``, ``'200 kHz'``."""
    if hz is None or not math.isfinite(hz):
        return "—"
    if hz == 0:
        return "0 Hz"
    for factor, prefix in _SI_PREFIX:
        if abs(hz) >= factor * 0.9995:
            return f"{hz / factor:.3g} {prefix}Hz"
    return f"{hz:.3g} Hz"


def _expand(paths: list[Path]) -> list[Path]:
    """Files of ``paths`` in order; a directory contributes the files below it; nothing is listed twice."""
    out: list[Path] = []
    seen: set = set()

    def add(p: Path):
        try:
            key = p.resolve()
        except OSError:
            key = p
        if key not in seen:
            seen.add(key)
            out.append(p)

    for p in paths:
        if p.is_dir():
            for q in sorted(p.rglob("*")):
                if q.is_file() and not any(part.startswith(".") for part in q.relative_to(p).parts):
                    add(q)
        else:
            add(p)
    return out


def _short(text: str | None, n: int) -> str:
    if not text:
        return "—"
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def register(app: typer.Typer) -> None:
    @app.command("info")
    def info(
        files: List[Path] = typer.Argument(..., help="Instrument files (.mpr, .mpt, .z, .DTA, .idf, .par, .csv, .txt, .nda, .ndax, .res, .xlsx ...) "
                                                     "or folders (every file below them)."),
        json_out: bool = JSON_OPTION,
        format: str = typer.Option(None, "--format", help="Force a reader (biologic-mpt, biologic-mpr, zview-z, "
                                                          "gamry-dta, ivium-idf, versastudio-par, text, cycler-csv, palmsens-pssession, "
                                                          "autolab-dfr, neware-nda, neware-ndax, arbin-res, "
                                                          "spreadsheet, maccor-txt)."),
    ):
        """Show format, technique, rows, time span, frequency range, temperature, start, software, columns and
        warnings of instrument files."""
        from rich.markup import escape

        from ..errors import SselabError
        from ..io import read_all

        good: list[dict] = []
        bad: list[dict] = []
        paths = _expand(list(files))
        if format is not None:
            from ..io.detect import _reader

            try:
                _reader(format)
            except SselabError as exc:
                err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
                raise typer.Exit(2) from None
        for f in progress(paths, total=len(paths), description="reading"):
            try:
                # a file holding several channels / cells / sheets (Arbin .res, xlsx) gives one row per channel
                ms = read_all(f, format=format)
            except SselabError as exc:
                bad.append({"file": str(f), "error": " ".join(str(exc).split())})
                continue
            except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
                bad.append({"file": str(f), "error": f"{f}: {exc.strerror or type(exc).__name__}"})
                continue
            for m in ms:
                s = m.summary()
                s["channel"] = m.extra.get("channel") if len(ms) > 1 else None
                s["temperature_source"] = m.extra.get("temperature_source")
                s["technique_raw"] = m.extra.get("technique_raw")
                s["freq_range_Hz"] = None
                if m.is_eis:
                    fq = m.data["freq_Hz"].to_numpy(float)
                    fq = fq[fq > 0] if len(fq) else fq
                    s["freq_range_Hz"] = [float(fq.min()), float(fq.max())] if len(fq) else None
                    s["spectra"] = len(m.spectra())
                good.append(s)
        if json_out:
            print_json({"files": good, "errors": bad})
        elif good:
            _show_good(good, console.width)
        for b in bad:
            err_console.print(f"[bold red]error:[/] {escape(b['error'])}", highlight=False, soft_wrap=True)
        if bad:
            raise typer.Exit(2)


# table columns in the order they give way when the terminal is narrow (the first always shows);
# a column that does not fit moves to the file's detail line below the table
_COLUMNS = [("file", "left"), ("technique", "left"), ("rows", "right"), ("span", "right"), ("frequency", "left"),
            ("T", "left"), ("started", "left"), ("software", "left"), ("format", "left")]
_CAP = {"file": 44, "technique": 22, "software": 24}


def _cells(s: dict) -> dict[str, str]:
    tech = s["technique"]
    raw = s.get("technique_raw")
    if raw and raw != tech:
        tech += f" ({_short(raw, 16)})"
    freq = ""
    if s.get("freq_range_Hz"):
        lo, hi = s["freq_range_Hz"]
        n = s.get("spectra") or 1
        freq = (human_freq(lo) if lo == hi else f"{human_freq(lo)} – {human_freq(hi)}") + (f" ×{n}" if n > 1 else "")
    tk = s["temperature_K"]
    temp = "—" if tk is None else f"{tk - 273.15:.1f} °C" + (" (name)" if s.get("temperature_source") == "name" else "")
    started = (s["start_time"] or "—").replace("T", " ")[:16]
    if started.endswith(" 00:00"):  # only a date is recorded (e.g. .mpr without a LOG module)
        started = started[:10]
    span = s["time_span_s"]
    if span == 0 and s["rows"] > 1:  # a time column of zeros records no time
        span = None
    name = Path(s["file"]).name + (f" [{s['channel']}]" if s.get("channel") else "")
    return {"file": name, "format": s["format"], "technique": tech, "rows": f"{s['rows']:,}",
            "span": human_span(span), "frequency": freq, "T": temp, "started": started,
            "software": s.get("software_version") or "—"}


def _show_good(good: list[dict], width: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    cells = [_cells(s) for s in good]
    cap = dict(_CAP) if width >= 140 else {**_CAP, "file": 28, "technique": 14}
    chosen, used = [], 1
    for name, _ in _COLUMNS:
        w = min(max(len(name), *(len(c[name]) for c in cells)), cap.get(name, 10**6)) + 3
        if not chosen or used + w <= width:
            chosen.append(name)
            used += w
    t = Table(title=f"{len(good)} instrument file{'s' if len(good) != 1 else ''}", title_justify="left",
              header_style="bold")
    for name, justify in _COLUMNS:
        if name in chosen:
            t.add_column(name, justify=justify, overflow="fold" if name == "file" else "ellipsis",
                         max_width=cap.get(name), no_wrap=name not in ("file",))
    for c in cells:
        t.add_row(*[escape(c[name]) for name, _ in _COLUMNS if name in chosen])
    show(t)
    for s, c in zip(good, cells):
        label = {"rows": "{} rows", "span": "span {}", "T": "T {}", "started": "started {}"}
        bits = [label.get(name, "{}").format(c[name])
                for name, _ in _COLUMNS if name not in chosen and c[name] and c[name] != "—"]
        if s.get("instrument"):
            bits.append(s["instrument"])
        cols = ", ".join(s["columns"][:14]) + (" …" if len(s["columns"]) > 14 else "")
        head = escape(" · ".join(bits) + " · ") if bits else ""
        console.print(f"[bold]{escape(c['file'])}[/]: {head}[dim]{escape(cols)}[/]", soft_wrap=True, highlight=False)
        for w in s["warnings"]:
            console.print(f"  [yellow]warning:[/] {escape(w)}", soft_wrap=True, highlight=False)
