"""BioLogic EC-Lab / BT-Lab ``.mpr`` binaries through ``datalab-org-galvani`` (GPL, optional extra ``sselab[biologic]``).

galvani decodes the data module; sselab maps its columns to canonical SI ones and takes the technique from the first
byte of the settings module (IDs established on real files of known technique), falling back to the column set with
a warning.
"""
from __future__ import annotations

import struct
import warnings
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingDependencyError
from ._common import _open_regular, max_file_bytes, reader_error
from .base import Measurement
from .biologic_common import MPR_TECHNIQUE_IDS, canonical_frame, canonical_technique, clean_names, technique_from_columns


def _galvani(path=None):
    try:
        from galvani import BioLogic  # noqa: PLC0415
    except ImportError:
        where = f"{path}: " if path is not None else ""
        raise MissingDependencyError(
            f"{where}reading BioLogic .mpr files needs the optional GPL reader: install 'sselab[biologic]' "
            "(pip install 'sselab[biologic]', which brings datalab-org-galvani)") from None
    return BioLogic


def _load(path) -> bytes:
    """The whole file in one buffer (regular files only, within the size limit)."""
    fh, size = _open_regular(path)
    with fh:
        limit = max_file_bytes()
        if size > limit:
            raise reader_error(path, f"file is {size} bytes, above sselab's {limit}-byte limit for one file (raise it "
                                     "with SSELAB_MAX_FILE_BYTES or read(..., max_bytes=N))")
        data = fh.read(size + 1)  # exactly the file (+1 to see growth); read(n) allocates n bytes up front
        if len(data) > limit:
            raise reader_error(path, f"file grew above sselab's {limit}-byte limit while being read")
        return data


class _Views:
    """A read-only file over a buffer whose large reads are zero-copy memoryviews: galvani then builds its record
    array straight on our one copy of the file (module headers, small reads, stay ``bytes``)."""

    def __init__(self, buf: bytes):
        self._mv = memoryview(buf)
        self._pos = 0

    def read(self, n: int = -1):
        end = len(self._mv) if n is None or n < 0 else min(len(self._mv), self._pos + n)
        chunk = self._mv[self._pos:end]
        self._pos = end
        return chunk if len(chunk) > 4096 else chunk.tobytes()

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = pos if whence == 0 else (self._pos + pos if whence == 1 else len(self._mv) + pos)
        return self._pos


class _Columns(Mapping):
    """The .mpr data module's columns under their cleaned EC-Lab names, made on first access (a column nobody asks
    for is never copied out of the file's record array)."""

    def __init__(self, mpr):
        arr = mpr.data
        self._src: list[tuple[str, str]] = []  # (kind, original name)
        for name in arr.dtype.names:
            if name == "flags":
                self._src += [("flag", f) for f in getattr(mpr, "flags_dict", {})]
            else:
                self._src.append(("field", name))
        self._names = clean_names([n for _k, n in self._src])
        self._where = dict(zip(self._names, self._src))
        self._mpr = mpr
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            kind, name = self._where[key]
            self._cache[key] = (np.asarray(self._mpr.get_flag(name)) if kind == "flag"
                                else np.ascontiguousarray(self._mpr.data[name]))
        return self._cache[key]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def read_mpr(path, columns=None, **_) -> Measurement:
    """Read a BioLogic .mpr.  ``columns`` (canonical names) restricts the table to those: only their source columns
    are taken out of the file's records.  Columns EC-Lab stores as float32 stay float32."""
    path = Path(path)
    BioLogic = _galvani(path)
    buf = _load(path)
    if not buf:
        raise EmptyFileError(path, "file is empty")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mpr = BioLogic.MPRfile(_Views(buf))
    except (ValueError, IOError, OSError, AssertionError, RuntimeError, KeyError, TypeError, NotImplementedError,
            IndexError, struct.error, OverflowError) as exc:
        msg = " ".join(str(exc).split())[:160]
        raise reader_error(path, f"cannot decode the .mpr file ({type(exc).__name__}: {msg})") from None
    warn: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if "unknown" in text.lower() or "column" in text.lower():
            warn.append(f"galvani: {text[:160]}")
    if mpr.data is None or len(mpr.data) == 0:
        raise EmptyFileError(path, "the .mpr data module holds no points")
    raw = _Columns(mpr)
    # technique: settings module first byte
    short = None
    inferred = False
    settings = next((m for m in mpr.modules if bytes(m["shortname"]).startswith(b"VMP Set")), None)
    if settings is not None and len(settings["data"]):
        tid = settings["data"][0]
        short = MPR_TECHNIQUE_IDS.get(int(tid))
        if short is None:
            warn.append(f"unknown technique id {int(tid)} in the settings module")
    if short is None:
        short = technique_from_columns(list(raw))
        inferred = True
        warn.append(f"technique inferred from the column set ({short})")
    data, notes = canonical_frame(raw, want=columns, keep_float32=True)
    warn.extend(notes)
    start = None
    ts = getattr(mpr, "timestamp", None)
    if isinstance(ts, datetime):
        start = ts
    elif getattr(mpr, "startdate", None) is not None:
        start = datetime.combine(mpr.startdate, datetime.min.time())
    extra = {"technique_raw": short, "technique_inferred": inferred, "mpr_data_version": getattr(mpr, "version", None)}
    if getattr(mpr, "loop_index", None) is not None:
        extra["loop_index"] = [int(x) for x in mpr.loop_index]
    return Measurement(data=data, source=path, format="biologic-mpr", technique=canonical_technique(short),
                       instrument=None, software_version=None, start_time=start, warnings=warn, extra=extra)
