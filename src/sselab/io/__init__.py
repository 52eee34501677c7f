"""Readers: one module per file format, each returning a :class:`Measurement`.

``read(path)`` detects the format by content (and extension as a hint) and dispatches.
"""
from __future__ import annotations

from .base import CANONICAL_COLUMNS, TECHNIQUES, Measurement
from .temperature import temperature_from_name

__all__ = ["Measurement", "CANONICAL_COLUMNS", "TECHNIQUES", "read", "read_all", "channels", "detect",
           "temperature_from_name"]


def read(path, format: str | None = None, **kwargs) -> Measurement:
    """Read an instrument file (format detected from its content unless ``format`` is given).

    ``columns=[...]`` (canonical names) reads only those columns; ``max_bytes=N`` changes the size limit.  See
    :func:`sselab.io.detect.read`."""
    from .detect import read as _read

    return _read(path, format=format, **kwargs)


def detect(path) -> str:
    """Name of the file's format (``'biologic-mpt'``, ``'zview-z'`` ...)."""
    from .detect import detect as _detect

    return _detect(path)


def read_all(path, format: str | None = None, **kwargs) -> list[Measurement]:
    """Every channel / cell / sheet of a file as its own Measurement (``extra['channel']`` names it)."""
    from .detect import read_all as _read_all

    return _read_all(path, format=format, **kwargs)


def channels(path, format: str | None = None) -> list[str]:
    """Names of the channels a file holds (``read(path, channel=name)`` reads one)."""
    from .detect import channels as _channels

    return _channels(path, format=format)
