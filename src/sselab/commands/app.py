"""`sselab app` — the local web app (issue 18): look at every file of a folder, fit impedance spectra by hand, keep
the settings for `sselab report`."""
from __future__ import annotations

from pathlib import Path

import typer

from ._common import err_console, user_errors


def app_cmd(
    directory: Path = typer.Argument(Path("."), help="Folder with instrument files (and its cells.yaml), one file "
                                                     "in it, or a results store (sselab batch): the app opens "
                                                     "the folder the store was made from."),
    port: int = typer.Option(8050, "--port", "-p", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Address to listen on (default: this computer only). The app has no login."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser window."),
    manifest: Path = typer.Option(None, "--manifest", "-m",
                                  help="Cells YAML (default: cells.yaml or manifest.yaml inside the folder)."),
):
    """A local web app: the folder's files, raw data per technique, impedance fitting by hand (circuit editor,
    parameter table with fixed values and bounds, point masking, warm-started series, live Arrhenius), DC
    polarisation / CV / cycling results with their settings.  What you change is kept beside the manifest
    (cells.sselab.yaml) and used by `sselab report`.  Needs the app extra (pip install 'sselab\\[app]')."""
    with user_errors():
        from ..app import serve
        from ..errors import SselabError

        if not directory.exists():
            raise SselabError(f"{directory}: no such folder")
        directory, manifest = _from_store(directory, manifest)
        if not 0 <= port <= 65535:
            raise SselabError(f"--port {port}: use 0…65535")
        serve(directory, host=host, port=port, open_browser=not no_browser, manifest=manifest,
              echo=lambda s: err_console.print(s, highlight=False, markup=False))


def _from_store(directory: Path, manifest):
    """A results store stands for the folder (and manifest) it was made from: what the app keeps there
    (``cells.sselab.yaml``) is what the next ``sselab batch`` of that folder runs."""
    from ..errors import SselabError

    if not (directory.is_dir() and (directory / "store.json").is_file()):
        return directory, manifest
    from ..store.layout import read_state

    st = read_state(directory)
    if not st.source or not Path(st.source).exists():
        raise SselabError(f"{directory}: a results store made from {st.source or 'an unknown folder'}, which is not "
                          "here any more: give the data folder instead")
    if manifest is None and st.manifest and Path(st.manifest).is_file():
        manifest = Path(st.manifest)
    return Path(st.source), manifest


def register(app: typer.Typer) -> None:
    app.command("app")(app_cmd)
