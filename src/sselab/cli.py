"""The ``sselab`` command.  Sub-commands live in :mod:`sselab.commands`, one module per group."""
from __future__ import annotations

import importlib

import typer

from . import __version__
from .commands import COMMAND_MODULES

app = typer.Typer(
    name="sselab",
    help="Solid-state electrolyte analysis: from raw instrument files to the numbers a paper reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool):
    if value:
        typer.echo(f"sselab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """sselab — solid-state electrolyte analysis."""


for _name in COMMAND_MODULES:
    _mod = importlib.import_module(f".commands.{_name}", __package__)
    _register = getattr(_mod, "register", None)
    if _register is not None:
        _register(app)


def main():  # entry point
    app()


if __name__ == "__main__":
    main()
