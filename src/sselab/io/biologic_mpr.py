"""BioLogic EC-Lab / BT-Lab ``.mpr`` binaries through ``datalab-org-galvani`` (GPL, optional extra ``sselab[biologic]``).

galvani decodes the data module; sselab maps its columns to canonical SI ones and takes the technique from the first
byte of the settings module (IDs established on real files of known technique), falling back to the column set with
a warning.
"""
from __future__ import annotations

import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..errors import EmptyFileError
from ._common import _open_regular, max_file_bytes, optional_import, reader_error
from .base import Measurement
from .biologic_common import (MPR_TECHNIQUE_IDS, canonical_frame, canonical_technique, clean_names, sources_for,
                              technique_from_columns)


def _galvani(path=None):
    return optional_import("galvani", "BioLogic", path,
                           "reading BioLogic .mpr files needs the optional GPL reader: install 'sselab[biologic]' "
                           "(pip install 'sselab[biologic]', which brings datalab-org-galvani)")


_CHUNK_BYTES = 8 * 2 ** 20  # records are decoded this many bytes at a time
_DATA = b"VMP data  "


@dataclass
class _Layout:
    """Where the records of a .mpr's data module are, and the file without them (for galvani's metadata parse)."""

    start: int  # file offset of the first record
    n: int
    dtype: np.dtype
    flags: dict
    small: bytes


def _layout(fh, size: int, BioLogic) -> _Layout | None:
    """The data module's record layout from its header (galvani's public module reader and column map), or None
    when the file needs galvani's whole-file decoder (columns galvani must guess, a layout that does not add up,
    damage) — which then reads it or raises its error."""
    fh.seek(0)
    if fh.read(len(BioLogic.MPR_MAGIC)) != BioLogic.MPR_MAGIC:
        return None
    try:
        mods = list(BioLogic.read_VMP_modules(fh, read_module_data=False))
    except (ValueError, OSError, EOFError, struct.error):
        return None
    data = [m for m in mods if bytes(m["shortname"]) == _DATA]
    if len(data) != 1:
        return None
    m = data[0]
    off, length, version = int(m["offset"]), int(m["length"]), int(m["version"])
    if off + length > size or length < 8:
        return None
    fh.seek(off)
    head = fh.read(min(length, 1100))
    n, ncol = int.from_bytes(head[:4], "little"), head[4]
    if version in (2, 3):
        ids, skip = np.frombuffer(head, "<u2", count=ncol, offset=5), (405 if version == 2 else 406)
    elif version == 0 and len(head) > 6 and head[5]:
        ids, skip = np.frombuffer(head, "u1", count=ncol, offset=5), 100
    elif version == 0:
        ids, skip = np.frombuffer(head, "<u2", count=ncol, offset=6), 1007
    else:
        return None
    if len(head) < skip:
        return None
    types, flags = BioLogic.VMPdata_dtype_from_colIDs(ids)
    if any(str(name).startswith("unknown") for name, _t in types):
        return None
    dtype = np.dtype(types)
    if length - skip != n * dtype.itemsize:
        return None
    hdr_len = 6 + (BioLogic.VMPmodule_hdr_v2.itemsize if "max length" in m else BioLogic.VMPmodule_hdr_v1.itemsize)
    len_at = 6 + (39 if "max length" in m else 35)
    fh.seek(0)
    before = fh.read(off - hdr_len)
    module_hdr = bytearray(fh.read(hdr_len))
    module_hdr[len_at:len_at + 4] = skip.to_bytes(4, "little")
    fh.seek(off + length)
    after = fh.read(size - off - length)
    small = before + bytes(module_hdr) + (0).to_bytes(4, "little") + head[4:skip] + after
    return _Layout(off + skip, n, dtype, flags, small)


def _read_records(fh, lay: _Layout, fields: list[str], path) -> dict[str, np.ndarray]:
    """The ``fields`` of every record, decoded a chunk at a time (memory: the outputs plus one chunk, never the
    whole file)."""
    out = {f: np.empty(lay.n, dtype=lay.dtype[f]) for f in fields}
    size = lay.dtype.itemsize
    per = max(1, _CHUNK_BYTES // size)
    buf = bytearray(min(per, max(lay.n, 1)) * size)
    fh.seek(lay.start)
    done = 0
    while done < lay.n:
        k = min(per, lay.n - done)
        view = memoryview(buf)[: k * size]
        if fh.readinto(view) != k * size:
            raise reader_error(path, f"the .mpr data module ends before its {lay.n} points (file changed while read?)")
        rec = np.frombuffer(buf, dtype=lay.dtype, count=k)
        for f in fields:
            out[f][done:done + k] = rec[f]
        done += k
    return out


def _decode(BioLogic, source, path):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mpr = BioLogic.MPRfile(source)
    except (ValueError, IOError, OSError, AssertionError, RuntimeError, KeyError, TypeError, NotImplementedError,
            IndexError, struct.error, OverflowError) as exc:
        msg = " ".join(str(exc).split())[:160]
        raise reader_error(path, f"cannot decode the .mpr file ({type(exc).__name__}: {msg})") from None
    return mpr, caught


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


class _Subset(Mapping):
    """Only the decoded columns of a :class:`_Columns` (the others were never read)."""

    def __init__(self, cols: "_Columns", names: list[str]):
        self._cols, self._names, self.all_names = cols, names, list(cols)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._names:
            raise KeyError(key)
        return self._cols[key]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class _Columns(Mapping):
    """The data module's columns under their cleaned EC-Lab names (flags unpacked from the flags byte), made on
    first access from ``records`` (field name -> array, or galvani's record array)."""

    def __init__(self, records, dtype: np.dtype, flags: dict, BioLogic):
        self._src: list[tuple[str, str]] = []  # (kind, original name)
        for name in dtype.names:
            if name == "flags":
                self._src += [("flag", f) for f in flags]
            else:
                self._src.append(("field", name))
        self._names = clean_names([n for _k, n in self._src])
        self._where = dict(zip(self._names, self._src))
        self._records, self._flags, self._BioLogic = records, flags, BioLogic
        self._cache: dict[str, np.ndarray] = {}

    def fields_for(self, names) -> list[str]:
        """The record fields behind the cleaned column ``names``."""
        out = []
        for nm in names:
            kind, orig = self._where[nm]
            out.append("flags" if kind == "flag" else orig)
        return list(dict.fromkeys(out))

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            kind, name = self._where[key]
            if kind == "flag":
                holder = SimpleNamespace(flags_dict=self._flags, data={"flags": self._records["flags"]})
                self._cache[key] = np.asarray(self._BioLogic.MPRfile.get_flag(holder, name))
            else:
                self._cache[key] = np.ascontiguousarray(self._records[name])
        return self._cache[key]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def read_mpr(path, columns=None, **_) -> Measurement:
    """Read a BioLogic .mpr.  ``columns`` (canonical names) restricts the table to those: only their record fields
    are decoded.  Records are decoded a chunk at a time (memory: the table plus 8 MB, not the file); galvani reads
    the metadata, and decodes the whole file itself where its column guessing is needed.  Columns EC-Lab stores as
    float32 stay float32."""
    path = Path(path)
    BioLogic = _galvani(path)
    fh, size = _open_regular(path)
    with fh:
        limit = max_file_bytes()
        if size > limit:
            raise reader_error(path, f"file is {size} bytes, above sselab's {limit}-byte limit for one file (raise it "
                                     "with SSELAB_MAX_FILE_BYTES or read(..., max_bytes=N))")
        if size == 0:
            raise EmptyFileError(path, "file is empty")
        lay = _layout(fh, size, BioLogic)
        if lay is None:
            fh.seek(0)
            mpr, caught = _decode(BioLogic, _Views(fh.read(size + 1)), path)
            if mpr.data is None or len(mpr.data) == 0:
                raise EmptyFileError(path, "the .mpr data module holds no points")
            raw = _Columns(mpr.data, mpr.data.dtype, getattr(mpr, "flags_dict", {}), BioLogic)
        else:
            mpr, caught = _decode(BioLogic, _Views(lay.small), path)
            if lay.n == 0:
                raise EmptyFileError(path, "the .mpr data module holds no points")
            probe = _Columns({}, lay.dtype, lay.flags, BioLogic)
            wanted = list(probe) if columns is None else sorted(sources_for(columns, list(probe)))
            fields = probe.fields_for(wanted)
            raw = _Columns(_read_records(fh, lay, fields, path), lay.dtype, lay.flags, BioLogic)
            if columns is not None:
                raw = _Subset(raw, wanted)
    warn: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if "unknown" in text.lower() or "column" in text.lower():
            warn.append(f"galvani: {text[:160]}")
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
        short = technique_from_columns(list(raw.all_names) if isinstance(raw, _Subset) else list(raw))
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
