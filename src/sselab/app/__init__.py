"""``sselab app``: a local web app to look at every measurement of a folder, fit impedance spectra by hand when the
automatic fit is not what you want, and keep the result.

Framework: Dash (Plotly's MIT-licensed Python framework) with Plotly figures.  Chosen over Panel because its
figures give click and lasso point selection out of the box (what masking needs), it is plain WSGI (Flask), so the
app runs in a thread and stops cleanly in tests, and its pages are ordinary HTML a Playwright test can drive.

Everything the app shows is computed by sselab's recipes (:mod:`sselab.recipes`) through
:class:`~sselab.app.workspace.Workspace`; what the user changes is kept in the settings file beside the manifest
(:mod:`sselab.app.settings`) and used by ``sselab report``.  Install with ``pip install 'sselab[app]'``.

API::

    from sselab.app import AppServer
    with AppServer("my-data", port=0) as srv:     # port 0: a free port
        print(srv.url)
"""
from __future__ import annotations

import threading
from pathlib import Path

from ..errors import MissingDependencyError, SselabError

__all__ = ["AppServer", "create", "serve", "require"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def require() -> None:
    """Raise :class:`MissingDependencyError` (with the pip command) when the app's extra is not installed."""
    try:
        import dash  # noqa: F401
        import plotly  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"the app needs Dash and Plotly ({exc.name} is missing): "
                                     "pip install 'sselab[app]'") from None


def create(path, manifest=None):
    """``(workspace, dash_app)`` for a folder (or one file in it)."""
    require()
    from .ui import create_app
    from .workspace import Workspace

    ws = Workspace(path, manifest)
    return ws, create_app(ws)


class AppServer:
    """The app served by a WSGI server in a background thread (``start``/``stop``, or ``with``)."""

    def __init__(self, path, *, host: str = "127.0.0.1", port: int = 8050, manifest=None):
        self.ws, self.dash = create(path, manifest)
        self.host = host
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request

        try:
            self._server = make_server(host, int(port), self.dash.server, threaded=True)
        except OSError as exc:
            self.ws.close()
            raise SselabError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port") \
                from None
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> "AppServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="sselab-app", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown() if self._thread is not None else None
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.ws.close()

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(path, *, host: str = "127.0.0.1", port: int = 8050, open_browser: bool = True, manifest=None,
          echo=print) -> None:
    """Run the app until interrupted (Ctrl-C)."""
    path = Path(path)
    srv = AppServer(path, host=host, port=port, manifest=manifest)
    if host not in LOOPBACK:
        echo(f"warning: listening on {host}: the app has no login — anyone who can reach this address can read "
             "the files of the folder and change its kept settings")
    echo(f"sselab app: {srv.url}  ({srv.ws.root}; Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        threading.Timer(0.8, lambda: webbrowser.open(srv.url)).start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv._server.server_close()
        srv.ws.close()
