"""Conventions every CLI command follows: readable table by default, one JSON document with ``--json``,
figures where ``--out`` says, and user errors as one line with exit status 2."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterable, Sequence

import typer
from rich.console import Console
from rich.table import Table

from ..errors import SselabError
from ..results import jsonable

console = Console()
err_console = Console(stderr=True)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout instead of tables.")
OUT_OPTION = typer.Option(None, "--out", help="Directory for figures and CSV/JSON outputs.")


def out_dir(out, inputs=()):
    """The ``--out`` folder checked for safety before any work (None when not given): it must be new, empty or
    written by sselab, and may not contain or lie inside the inputs (:mod:`sselab.outputs`)."""
    from ..outputs import prepare_output_dir

    return prepare_output_dir(out, inputs, kind="figures")




def fail(message: str, code: int = 2):
    """Print a one-line user error and exit (status 2)."""
    from rich.markup import escape

    # escape: a file name or message may contain '[...]' that rich would take for markup (or choke on)
    err_console.print(f"[bold red]error:[/] {escape(' '.join(str(message).split()))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors():
    """Turn :class:`SselabError` (and bad-value errors from parsing) into a one-line message and exit 2."""
    try:
        yield
    except SselabError as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"{exc.filename}: no such file")
    except IsADirectoryError as exc:
        fail(f"{exc.filename}: is a directory")
    except OSError as exc:   # the operating system refused (permissions, disk full, read-only file system …)
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")


def print_json(obj: Any) -> None:
    """Print exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def fmt(value, digits: int = 4) -> str:
    """Format a number for tables: significant digits, '—' for missing."""
    if value is None:
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:
        return "—"
    if v == 0:
        return "0"
    return f"{v:.{digits}g}"




def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table; strings (title, headers, cells) are printed literally (markup escaped: file names may hold
    '[bold]'); pass a ``rich.text.Text`` cell for styled text."""
    from rich.markup import escape
    from rich.text import Text

    def cell(x):
        if isinstance(x, Text):
            return x
        return escape(x) if isinstance(x, str) else fmt(x)

    t = Table(title=escape(title) if isinstance(title, str) else title, title_justify="left", header_style="bold")
    for c in columns:
        t.add_column(escape(c) if isinstance(c, str) else c)
    for r in rows:
        t.add_row(*[cell(x) for x in r])
    return t


def show(*renderables) -> None:
    for r in renderables:
        console.print(r)


def progress(iterable, total: int | None = None, description: str = "working", disable: bool | None = None):
    """A rich progress bar over ``iterable`` on stderr (silent when stderr is not a terminal unless forced)."""
    from rich.progress import track

    if disable is None:
        disable = not err_console.is_terminal
    if disable:
        yield from iterable
        return
    yield from track(iterable, total=total, description=description, console=err_console, transient=True)





# ---------------------------------------------------------------------------------------------------------------
# recipe results: the one way every analysis command prints and writes what a recipe returned
# ---------------------------------------------------------------------------------------------------------------

MANIFEST_OPTION = typer.Option(None, "--manifest", "-m",
                               help="cells.yaml: each file's cell (geometry, electrodes, temperature) as the report "
                                    "uses it; command-line geometry fills what the manifest lacks.")


def load_manifest_option(path):
    """The manifest given with ``--manifest`` (None without one)."""
    if path is None:
        return None
    from ..cell import load_manifest

    return load_manifest(path)


def cli_cell(name: str, **quantities):
    """A CellSpec from command-line quantities (``thickness="1.2mm"``, ``electrodes="Li|Li"`` …); options left at
    None are not set.  A bad quantity or an unknown electrode is a one-line error naming the option."""
    from ..cell import CellSpec, parse_electrodes
    from ..errors import UnitError

    given = {k: v for k, v in quantities.items() if v is not None}
    for opt, v in given.items():
        try:
            if opt == "electrodes":
                parse_electrodes(v)
            elif opt != "formula":
                CellSpec.from_strings(name, **{opt: v})
        except UnitError as exc:
            raise UnitError(f"--{opt.replace('_', '-')} {v!r}: {exc}") from None
    return CellSpec.from_strings(name, **given)


def print_notes(warnings=(), written=()) -> None:
    """Closing lines on stderr: warnings (one line each), then the files written (printed literally)."""
    from rich.markup import escape

    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(str(w))}", highlight=False, soft_wrap=True)
    for p in written:
        err_console.print(f"wrote {p}", highlight=False, markup=False)


def _flag_line(flag) -> str:
    from rich.markup import escape

    style = {"error": "[bold red]error:[/]", "warning": "[yellow]warning:[/]", "info": "[cyan]note:[/]"}
    return f"{style[flag.severity]} {escape(str(flag))}"


def show_flags(result, info: bool = True) -> None:
    """A result's flags on stderr, errors and warnings first (they change how the numbers must be read)."""
    order = {"error": 0, "warning": 1, "info": 2}
    for f in sorted(result.flags, key=lambda f: order[f.severity]):
        if f.severity != "info" or info:
            err_console.print(_flag_line(f), highlight=False, soft_wrap=True)


def value_rows(result, *, where: bool = True):
    """Rows ``(quantity, value)`` (or with ``where``) of a result's values, in the researcher's units."""
    rows = []
    for v in result.values:
        text = v.text()
        if v.ci95 is not None and v.stderr is not None:
            text += "  " + ci_text(v)
        row = [v.label or v.key, text]
        if where:
            row.append(v.where or "")
        rows.append(row)
    return rows


def ci_text(v) -> str:
    """A value's 95 % interval in its display unit, to the decimals of the printed value: ``[0.758, 0.774]``."""
    from .. import units

    lo, hi = v.ci95
    if v.display_unit and v.display_unit != v.unit:
        lo, hi = (float(units.convert(x, v.unit, v.display_unit)) for x in (lo, hi))
    shown = v.text(with_unit=False).split(" ± ")[0].lstrip("≥≤ ")
    d = len(shown.split(".")[1]) if "." in shown and "e" not in shown else None
    if d is None:
        return f"95 % [{fmt(lo, 4)}, {fmt(hi, 4)}]"
    return f"95 % [{lo:.{d}f}, {hi:.{d}f}]"


def show_values(result, title: str | None = None) -> None:
    has_where = any(v.where for v in result.values)
    show(table(title or f"{result.recipe} — {result.subject}", ["quantity", "value"] + (["at"] if has_where else []),
               value_rows(result, where=has_where)))


def show_table(t, columns=None, title: str | None = None, max_rows: int = 60) -> None:
    """A RecipeTable (selected ``columns``) as a rich table; long tables are cut with a note."""
    cols = list(columns or t.columns)
    idx = [t.columns.index(c) for c in cols]
    rows = [[_cell(r[i]) for i in idx] for r in t.rows[:max_rows]]
    show(table(title or t.title or t.name, cols, rows))
    if len(t.rows) > max_rows:
        err_console.print(f"({len(t.rows) - max_rows} more rows in --json / --out)", highlight=False)


def _cell(x):
    if isinstance(x, bool):
        return "yes" if x else "no"
    if x is None:
        return "—"
    if isinstance(x, (int, float)):
        return fmt(x)
    return str(x)


def check_result(result) -> None:
    """A refused analysis (an error flag) of a single result: its reason as the one-line error, exit 2."""
    errors = [f for f in result.flags if f.severity == "error"]
    if errors:
        fail(str(errors[0]))


def write_outputs(results, out, *, summary: str | None = None, plot_many=False) -> list[str]:
    """Figures (the recipe's own ``plot``) and every table as CSV into ``out``; ``summary``: also one CSV with a
    row per result and a column per value (SI, with stderr).  Returns the paths written."""
    if out is None:
        return []
    import csv
    import io

    from ..plotting import save_figure
    from ..recipes import get

    written = []
    for res in results:
        spec = get(res.recipe)
        if spec.plot is not None:
            for fo in spec.plot(res):
                written += [str(p) for p in save_figure(fo.figure, out, fo.name)]
        stem = _slug(res.subject)
        for t in res.tables:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(t.columns)
            w.writerows(t.rows)
            written.append(str(out.write_text(f"{stem}_{t.name}.csv", buf.getvalue())))
    if summary:
        keys = list(dict.fromkeys(v.key for r in results for v in r.values))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["subject", *[c for k in keys for c in (k, f"{k}_stderr")]])
        for r in results:
            row = [r.subject]
            for k in keys:
                v = r[k] if k in r else None
                row += [v.value if v else "", "" if v is None or v.stderr is None else v.stderr]
            w.writerow(row)
        written.append(str(out.write_text(summary, buf.getvalue())))
    return written


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_") or "result"


def emit(results, *, json_out: bool, single: bool, written=(), show_fn=None) -> None:
    """Print results: ``--json`` → one JSON document (the result's own dict when ``single``, else
    ``{"results": [...]}``) with warnings on stderr; else flags first, then ``show_fn(result)`` (default: the values
    table).  Then the files written."""
    if json_out:
        for r in results:
            show_flags(r, info=False)
        print_json(results[0].to_dict() if single else {"results": [r.to_dict() for r in results]})
    else:
        for r in results:
            show_flags(r)
            (show_fn or show_values)(r)
    for p in written:
        err_console.print(f"wrote {p}", highlight=False, markup=False)
