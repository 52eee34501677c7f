"""Format detection (by content first, the extension only as a hint) and the one ``read`` entry point."""
from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Callable

from ..errors import EmptyFileError, ReaderError, SselabError, UnknownFormatError
from ._common import _LIMIT, check_regular, finish, read_head
from .base import CANONICAL_COLUMNS, KEY_COLUMNS_EIS, KEY_COLUMNS_TIME, Measurement, ReadWarning
from .temperature import temperature_from_name

#: format name -> (module, function); modules are imported lazily
READERS: dict[str, tuple[str, str]] = {
    "biologic-mpt": ("biologic_mpt", "read_mpt"),
    "biologic-mpr": ("biologic_mpr", "read_mpr"),
    "zview-z": ("zview", "read_z"),
    "gamry-dta": ("gamry", "read_dta"),
    "ivium-idf": ("ivium", "read_idf"),
    "versastudio-par": ("versastudio", "read_par"),
    "text": ("text", "read_text_table"),
    "cycler-csv": ("labelled", "read_labelled"),
    "palmsens-pssession": ("palmsens", "read_pssession"),
    "autolab-dfr": ("autolab_dfr", "read_dfr"),
    # battery cyclers (sselab.io._cycler.sniff detects them)
    "neware-nda": ("neware", "read_neware"),
    "neware-ndax": ("neware", "read_neware"),
    "arbin-res": ("arbin", "read_res"),
    "spreadsheet": ("spreadsheet", "read_spreadsheet"),
    "maccor-txt": ("maccor", "read_maccor"),
    # structure: powder XRD (sselab.io.xrd) and NMR (sselab.io.nmr; nmrglue extra)
    "xrd-xy": ("xrd", "read_xy"),
    "xrd-xrdml": ("xrd", "read_xrdml"),
    "xrd-brml": ("xrd", "read_brml"),
    "xrd-rasx": ("xrd", "read_rasx"),
    "xrd-bruker-raw": ("xrd", "read_bruker_raw"),
    "xrd-uxd": ("xrd", "read_uxd"),
    "xrd-rigaku-dat": ("xrd", "read_rigaku_dat"),
    "xrd-gsas": ("xrd", "read_gsas"),
    "bruker-nmr": ("nmr", "read_bruker"),
    "varian-nmr": ("nmr", "read_varian"),
    "jcamp-dx": ("nmr", "read_jcamp"),
}

#: formats whose files may hold several channels / cells / sheets: format -> (module, function listing their names)
CHANNELS: dict[str, tuple[str, str]] = {
    "arbin-res": ("arbin", "channels"),
    "spreadsheet": ("spreadsheet", "channels"),
}

#: formats we recognise but cannot read (name, reason)
_UNSUPPORTED_MAGIC = [
    (b"PK\x03\x04", "a zip archive of no known kind (not a Neware .ndax, a spreadsheet, a Bruker .brml or a "
                    "Rigaku .rasx)"),
    (b"\xff\xfe{", "a UTF-16 JSON document (PalmSens .pssession?) — export it as CSV"),
    (b"EC-LAB SETTING FILE", "an EC-Lab settings file (.mps): it holds no data, read the .mpr/.mpt"),
    (b"BT-LAB SETTING FILE", "a BT-Lab settings file (.mps): it holds no data, read the .mpr/.mpt"),
    (b"EC-LAB LOG FILE", "an EC-Lab log file (.mpl): it holds no data, read the .mpr/.mpt"),
    (b"BT-LAB LOG FILE", "a BT-Lab log file (.mpl): it holds no data, read the .mpr/.mpt"),
]


def detect(path) -> str:
    """Name of the file's format, sniffed from its first few KB (extension only breaks ties).

    Non-regular files (FIFOs, sockets, devices) and files above the size limit are refused without being opened."""
    path = Path(path)
    from . import nmr as _nmr, structure_sniff

    if path.is_dir():                               # NMR datasets are folders (Bruker, Varian .fid)
        fmt = _nmr.sniff(path)
        if fmt:
            return fmt
    size = check_regular(path)                      # (a folder that is no dataset: "is a directory")
    if path.name in _nmr._BRUKER_FILES:             # a file inside a Bruker dataset (fid, ser, acqus …)
        fmt = _nmr.sniff(path)
        if fmt:
            return fmt
    head = read_head(path, 16384)
    if not head.strip():
        if size > len(head):
            raise UnknownFormatError(path, f"the first {len(head) // 1024} KB hold only white space: not an instrument "
                                           "file sselab knows")
        raise EmptyFileError(path, "file is empty")
    if head.startswith(b"BIO-LOGIC MODULAR FILE"):
        return "biologic-mpr"
    from . import palmsens

    if palmsens.looks_like(head):
        return "palmsens-pssession"
    from ._cycler import sniff as _sniff_cycler

    cycler = _sniff_cycler(path, head)
    if cycler is not None:
        return cycler
    fmt = structure_sniff.sniff(path, head)          # XRD patterns, NMR (JCAMP-DX), and what is not data
    if fmt:
        return fmt
    for magic, what in _UNSUPPORTED_MAGIC:
        if head.lstrip(b"\xef\xbb\xbf")[: len(magic)].upper() == magic.upper():
            raise UnknownFormatError(path, f"unsupported format: {what}")
    from . import biologic_mpt, gamry, ivium, labelled, text, versastudio, zview

    if biologic_mpt.looks_like(head):
        return "biologic-mpt"
    if gamry.looks_like(head):
        return "gamry-dta"
    if zview.looks_like(head):
        return "zview-z"
    if ivium.looks_like(head):
        return "ivium-idf"
    if versastudio.looks_like(head):
        return "versastudio-par"
    from . import autolab_dfr

    if autolab_dfr.looks_like(head):
        return "autolab-dfr"
    if b"\x00" in head[:4096]:
        raise UnknownFormatError(path, "unrecognised binary file")
    if text.looks_like(head):
        return "text"
    if labelled.looks_like(head if len(head) < 16384 else read_head(path, 262144)):
        return "cycler-csv"
    ext = path.suffix.lower()
    hint = {".mpt": "BioLogic .mpt", ".mpr": "BioLogic .mpr", ".z": "ZView .z", ".dta": "Gamry .DTA",
            ".idf": "Ivium .idf"}.get(ext)
    more = f" (extension says {hint}, content does not)" if hint else ""
    raise UnknownFormatError(path, f"unrecognised file format{more}: no numeric data table found")


def _reader(fmt: str) -> Callable[..., Measurement]:
    import importlib

    try:
        mod, fn = READERS[fmt]
    except KeyError:
        raise UnknownFormatError(None, f"unknown format {fmt!r} (known: {', '.join(READERS)})") from None
    return getattr(importlib.import_module(f".{mod}", __package__), fn)


#: exception types a reader may raise on a damaged file (anything else is a bug and propagates)
_PARSE_ERRORS = (UnicodeError, ValueError, LookupError, OSError, EOFError, AssertionError, RuntimeError, TypeError,
                 OverflowError, ZeroDivisionError, ArithmeticError, struct.error, MemoryError)


def _wanted(path, columns) -> tuple[list[str], list[str]] | None:
    """(requested canonical columns, what the reader is asked for: those + the key columns), or None."""
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    req = list(dict.fromkeys(str(c) for c in columns))
    unknown = [c for c in req if c not in CANONICAL_COLUMNS]
    if unknown or not req:
        raise ReaderError(path, f"columns: unknown canonical name(s) {', '.join(map(repr, unknown)) or '(none given)'} "
                                f"(known: {', '.join(CANONICAL_COLUMNS)})")
    return req, list(dict.fromkeys(req + list(KEY_COLUMNS_EIS) + list(KEY_COLUMNS_TIME)))


def read(path, format: str | None = None, *, columns=None, max_bytes: int | None = None, **kwargs) -> Measurement:
    """Read an instrument file into a :class:`Measurement` (canonical SI columns + metadata).

    ``format`` forces a reader (see :data:`READERS`).  Errors are :class:`sselab.errors.ReaderError` subclasses with
    a one-line message naming the file.  Non-regular files (FIFOs, devices) and files above ``max_bytes`` (default
    :data:`sselab.io._common.DEFAULT_MAX_FILE_BYTES`, or ``SSELAB_MAX_FILE_BYTES``) are refused before any byte is
    read.  Every warning is a :class:`~sselab.io.base.ReadWarning` (``"FILE:LINE: what"``); library warnings
    (pandas, numpy) never reach stderr — they become such entries.  The table meets the non-finite contract of
    :class:`Measurement`.  When the file records no temperature, one written in the file name (``pellet_30C.mpr``)
    fills ``temperature_K`` and ``extra['temperature_source'] = 'name'``.

    ``columns`` (canonical names, e.g. ``["time_s", "potential_V", "current_A"]``) keeps only those columns; readers
    that can (BioLogic .mpt/.mpr, cycler CSV) then parse only what is needed — faster, and a fraction of the memory.
    The key columns are still read to apply the non-finite contract, then dropped unless requested.  Requested
    columns the file does not hold are simply absent (``meas.has(...)``).
    """
    path = Path(path)
    wanted = _wanted(path, columns)
    if wanted is not None:
        kwargs["columns"] = wanted[1]
    token = _LIMIT.set(int(max_bytes)) if max_bytes is not None else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if not path.is_dir():                   # (NMR datasets are folders)
                check_regular(path)
            fmt = format or detect(path)
            reader = _reader(fmt)
            try:
                meas = reader(path, **kwargs)
                if len(meas.data) == 0 and not meas.extra.get("empty_table"):
                    # (a reader sets extra["empty_table"] for a valid file that holds no records yet — e.g. a
                    # Neware test that had not logged a point: an empty table with a warning, not an error)
                    raise EmptyFileError(path, "no data rows")
                # library warnings (pandas ParserWarning, numpy RuntimeWarning on garbage) become warnings entries
                for w in caught:
                    if issubclass(w.category, (ResourceWarning, DeprecationWarning, PendingDeprecationWarning)):
                        continue
                    text = f"{w.category.__name__}: {' '.join(str(w.message).split())[:160]}"
                    if text not in meas.warnings:
                        meas.warnings.append(text)
                del caught[:]
                meas = finish(meas)
            except SselabError:
                raise
            except MemoryError:
                raise ReaderError(path, f"not enough memory to read it as {fmt}") from None
            except _PARSE_ERRORS as exc:
                msg = " ".join(str(exc).split())[:200] or type(exc).__name__
                raise ReaderError(path, f"cannot read as {fmt}: {msg}") from exc
            for w in caught:  # anything finish() triggered
                if not issubclass(w.category, (ResourceWarning, DeprecationWarning, PendingDeprecationWarning)):
                    meas.warnings.append(f"{w.category.__name__}: {' '.join(str(w.message).split())[:160]}")
    finally:
        if token is not None:
            _LIMIT.reset(token)
    if meas.temperature_K is None:
        t = temperature_from_name(path.name)
        if t is not None:
            meas.temperature_K = t
            meas.extra["temperature_source"] = "name"
    meas.source = path
    meas.warnings = [ReadWarning.of(w, path) for w in meas.warnings]
    if wanted is not None:
        keep = [c for c in wanted[0] if c in meas.data.columns]
        if list(meas.data.columns) != keep:
            meas.data = meas.data[keep]
        meas.extra["columns_requested"] = wanted[0]
    return meas


def channels(path, format: str | None = None) -> list[str]:
    """Names of the channels / cells / sheets a file holds (one name for single-channel formats)."""
    import importlib

    path = Path(path)
    fmt = format or detect(path)
    if fmt not in CHANNELS:
        _reader(fmt)
        return [path.stem]
    mod, fn = CHANNELS[fmt]
    return list(getattr(importlib.import_module(f".{mod}", __package__), fn)(path))


def read_all(path, format: str | None = None, **kwargs) -> list[Measurement]:
    """Every channel / cell / sheet of a file, one :class:`Measurement` each (``extra['channel']`` names it).

    For single-channel formats this is ``[read(path)]``.  ``read(path)`` on a file holding several channels is a
    one-line error naming them; ``read(path, channel=NAME)`` (or a 0-based index) picks one.
    """
    path = Path(path)
    fmt = format or detect(path)
    if fmt not in CHANNELS:
        return [read(path, format=fmt, **kwargs)]
    return [read(path, format=fmt, channel=name, **kwargs) for name in channels(path, fmt)]
