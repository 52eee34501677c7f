"""sselab — solid-state electrolyte analysis, from raw instrument files to paper numbers."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import SselabError  # noqa: E402

__all__ = ["SselabError", "__version__", "read"]


def read(path, **kwargs):
    """Read any supported instrument file into a :class:`sselab.io.Measurement`."""
    from .io import read as _read

    return _read(path, **kwargs)
