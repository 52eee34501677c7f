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


def write_table(out, name: str, frame) -> str:
    """Write a pandas table as CSV into the ``--out`` folder atomically; return the path written."""
    return str(out.write_text(name, frame.to_csv(index=False)))


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


def fmt_pm(value, err, digits: int = 3) -> str:
    """``1.23(4)``-style or ``1.23 ± 0.04`` formatting of a value with its standard error."""
    if value is None:
        return "—"
    if err is None or err != err:
        return fmt(value, digits + 1)
    return f"{fmt(value, digits + 1)} ± {fmt(err, 2)}"


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


def print_notes(warnings=(), written=()) -> None:
    """The closing lines every command prints on stderr: its warnings, then the files it wrote (printed literally)."""
    from rich.markup import escape

    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(str(w))}", highlight=False)
    for p in written:
        err_console.print(f"wrote {p}", highlight=False, markup=False)

