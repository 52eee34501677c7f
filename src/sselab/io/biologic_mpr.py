"""BioLogic EC-Lab / BT-Lab ``.mpr`` binaries through ``datalab-org-galvani`` (GPL, optional extra ``sselab[biologic]``).

galvani decodes the data module; sselab maps its columns to canonical SI ones and takes the technique from the first
byte of the settings module (IDs established on real files of known technique), falling back to the column set with
a warning.
"""
from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingDependencyError
from ._common import reader_error
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


def read_mpr(path, **_) -> Measurement:
    path = Path(path)
    BioLogic = _galvani(path)
    if path.stat().st_size == 0:
        raise EmptyFileError(path, "file is empty")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with open(path, "rb") as fh:  # galvani reads every module eagerly; our handle closes even on errors
                mpr = BioLogic.MPRfile(fh)
    except (ValueError, IOError, OSError, AssertionError, RuntimeError, KeyError, TypeError, NotImplementedError) as exc:
        msg = " ".join(str(exc).split())[:160]
        raise reader_error(path, f"cannot decode the .mpr file ({type(exc).__name__}: {msg})") from None
    warn: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if "unknown" in text.lower() or "column" in text.lower():
            warn.append(f"galvani: {text[:160]}")
    arr = mpr.data
    cols: dict[str, np.ndarray] = {}
    for name in arr.dtype.names:
        if name == "flags":
            for flag in getattr(mpr, "flags_dict", {}):
                cols[flag] = mpr.get_flag(flag)
            continue
        cols[name] = np.asarray(arr[name])
    raw = pd.DataFrame(cols)
    raw.columns = clean_names(list(raw.columns))
    if len(raw) == 0:
        raise EmptyFileError(path, "the .mpr data module holds no points")
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
        short = technique_from_columns(list(raw.columns))
        inferred = True
        warn.append(f"technique inferred from the column set ({short})")
    data, notes = canonical_frame(raw)
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
