"""Neware ``.nda`` (every version fastnda knows: 8 … 29, BTS 9 ``130``) and ``.ndax`` files through ``fastnda``.

fastnda (BSD-3-Clause, optional extra ``sselab[neware]``) decodes the binary; sselab maps its columns to the cycler
contract of :mod:`sselab.io._cycler` and checks what came out:

* ``time_s`` = Neware's *Total Time*; ``potential_V``; ``current_A`` (Neware records charge current positive);
* ``step`` = *Step Index* (program step), ``step_count`` = *Step Count* (steps executed so far), ``cycle`` =
  *Cycle Index* exactly as BTSDA shows it (fastnda's ``cycle_mode='raw'``), ``step_type`` = Neware's step name
  (``CC_Chg``, ``CC_DChg``, ``Rest``, ``CCCV_Chg`` …);
* ``step_charge_C``/``step_energy_J`` = Neware's per-step *Capacity*/*Energy* counters, signed like the current;
  ``charge_C`` = their running total since the start of the record;
* ``step_time_s`` (*Time*), ``unix_time_s`` (*Date* as seconds since 1970; Neware stores either UTC or the test
  PC's wall clock, so ``start_time`` may be off by whole hours from what BTSDA displays);
* ``temperature_K`` from the first auxiliary thermocouple, further aux channels as ``aux<N>_temperature_K`` /
  ``aux<N>_voltage_V``.

A ``.zip`` holding exactly one ``.nda``/``.ndax`` is read as that file.  Damaged files give one-line errors; a
file whose metadata (``TestInfo.xml``) is damaged but whose records are intact is read with a warning (the
auxiliary channels cannot be assigned without it).  A file with no data records is an empty table with a
warning.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ReaderError
from ._common import optional_import, read_head
from ._cycler import check_plausible, check_zip_size, cumulative_from_counter, pick_channel
from .base import Measurement

#: largest uncompressed member we unpack from a zip (a ``.nda.zip``) — a guard against zip bombs
MAX_UNZIPPED_BYTES = 4 << 30


def _fastnda(path=None):
    return optional_import("fastnda", None, path, "reading Neware .nda/.ndax files needs the optional reader fastnda: "
                                                  "pip install 'sselab[neware]'")


# -- detection ---------------------------------------------------------------------------------------------------

def looks_like_nda(head: bytes) -> bool:
    return head.startswith(b"NEWARE")


def zip_kind(path: Path) -> str | None:
    """``'ndax'``, ``'nda-zip'`` (a zip holding one .nda/.ndax), ``'xlsx'``, ``'ods'`` or None for another zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return None
    low = [n.lower() for n in names]
    if "data.ndc" in low or ("testinfo.xml" in low and "step.xml" in low) or ("versioninfo.xml" in low and any(
            n.endswith(".ndc") for n in low)):
        return "ndax"
    if "[content_types].xml" in low and any(n.startswith("xl/") for n in low):
        return "xlsx"
    if "mimetype" in low and any(n == "content.xml" for n in low):
        return "ods"
    files = [n for n in names if not n.endswith("/")]
    if len(files) == 1 and files[0].lower().endswith((".nda", ".ndax")):
        return "nda-zip"
    return None


# -- reading -----------------------------------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record):  # one line per message, never a traceback
        try:
            msg = " ".join(str(record.getMessage()).split())
        except Exception:  # noqa: BLE001 - a broken log call must not break the read
            msg = str(record.msg)
        self.messages.append((record.levelno, msg[:200]))


@contextmanager
def _captured_logs():
    """fastnda reports through ``logging`` (with tracebacks on stderr when nothing is configured): collect it."""
    logger = logging.getLogger("fastnda")
    handler = _Collect()
    old = (logger.propagate, logger.level)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate, _ = old
        logger.setLevel(old[1])


@contextmanager
def _as_neware_file(path: Path):
    """A path fastnda can open (it dispatches on the suffix): the file itself, or a temporary copy / unzip."""
    head = read_head(path, 8)
    suffix = path.suffix.lower()
    if head.startswith(b"NEWARE"):
        want = ".nda"
    elif head.startswith(b"PK"):
        kind = zip_kind(path)
        if kind == "nda-zip":
            with zipfile.ZipFile(path) as zf:
                info = next(i for i in zf.infolist() if not i.filename.endswith("/"))
                if info.file_size > MAX_UNZIPPED_BYTES:
                    raise ReaderError(path, f"the zipped {info.filename} would unpack to {info.file_size} bytes "
                                            f"(limit {MAX_UNZIPPED_BYTES}): refused")
                inner = Path(info.filename).name
                tmp = tempfile.mkdtemp(prefix="sselab-neware-")
                try:
                    target = Path(tmp) / ("data" + Path(inner).suffix.lower())
                    try:
                        with zf.open(info) as src, open(target, "wb") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
                    except Exception as exc:  # noqa: BLE001 - zlib/CRC/version errors of a damaged zip: one line
                        raise ReaderError(path, f"damaged zip archive: cannot unpack {inner} "
                                                f"({type(exc).__name__}: {' '.join(str(exc).split())[:100]})") from None
                    yield target, inner
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
                return
        if kind != "ndax":
            raise ReaderError(path, "not a Neware .ndax archive (no data.ndc inside)")
        check_zip_size(path)
        want = ".ndax"
    else:
        raise ReaderError(path, "not a Neware file (no NEWARE header, not a zip archive)")
    if suffix == want:
        yield path, None
        return
    tmp = tempfile.mkdtemp(prefix="sselab-neware-")
    try:
        target = Path(tmp) / ("data" + want)
        try:
            target.symlink_to(path.resolve())
        except OSError:
            shutil.copyfile(path, target)
        yield target, None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _explain(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())[:160]
    if isinstance(exc, zipfile.BadZipFile):
        return f"damaged .ndax archive ({msg})"
    if isinstance(exc, KeyError) and "data.ndc" in msg:
        return "damaged .ndax archive: it holds no data.ndc (the records)"
    if isinstance(exc, NotImplementedError):
        return f"unsupported or damaged Neware file ({msg})"
    if isinstance(exc, EOFError):
        return f"damaged or truncated Neware file ({msg})"
    return f"cannot decode the Neware file ({type(exc).__name__}: {msg})"


def _col(df, name):
    return df.get_column(name).to_numpy() if name in df.columns else None


def _metadata(fastnda, path: Path, warn: list[str]) -> dict:
    try:
        meta = fastnda.read_metadata(path)
    except Exception as exc:  # noqa: BLE001 - metadata is optional: a damaged block is a warning, the records stand
        warn.append(f"metadata unreadable ({type(exc).__name__}: {' '.join(str(exc).split())[:100]}); "
                    "the records were read")
        return {}
    return meta if isinstance(meta, dict) else {}


def _find(meta, *keys):
    """First value of any of ``keys`` (case-insensitive) in a nested metadata dict."""
    want = {k.lower() for k in keys}
    stack = [meta]
    while stack:
        d = stack.pop(0)
        if not isinstance(d, dict):
            continue
        for k, v in d.items():
            if str(k).lower() in want and v not in (None, "", {}):
                return v
        stack.extend(v for v in d.values() if isinstance(v, dict))
    return None


def read_neware(path, channel=None, **_) -> Measurement:
    """Read a Neware ``.nda``/``.ndax`` (or a ``.zip`` holding one) into the cycler contract."""
    path = Path(path)
    fastnda = _fastnda(path)
    warn: list[str] = []
    with _as_neware_file(path) as (real, inner):
        kind = "ndax" if real.suffix == ".ndax" else "nda"
        with _captured_logs() as logs:
            import warnings as _w

            with _w.catch_warnings(record=True) as caught:
                _w.simplefilter("always")
                try:
                    df = fastnda.read(real, cycle_mode="raw", raw_categories=True)
                except Exception as exc:  # noqa: BLE001 - a decoder on damaged bytes raises anything (zlib/isal,
                    # struct, polars, numpy …): each becomes ONE line naming the file, never a silent skip
                    raise ReaderError(path, _explain(exc)) from None
            with _w.catch_warnings():
                # fastnda flags its metadata decoder as unverified for some versions: the metadata only names the
                # software and the test, so that warning is not passed on
                _w.simplefilter("ignore")
                meta = _metadata(fastnda, real, warn)
        for level, msg in logs:
            if level < logging.WARNING and "negative jumps" not in msg:
                continue
            if "TestInfo.xml" in msg or "aux channels" in msg.lower():
                text = "metadata (TestInfo.xml) damaged: auxiliary channels (temperature …) could not be assigned " \
                       "and were left out; the main records are intact"
            elif "negative jumps" in msg:
                text = "the wall clock (unix_time_s) jumps backwards somewhere (the tester PC's clock was reset?); " \
                       "time_s, the test time, is unaffected"
            elif "cycle" in msg.lower() and "raw" in msg.lower():
                text = "this file type stores no cycle counter: cycle numbers generated by fastnda ('auto' mode)"
            else:
                text = f"fastnda: {msg}"
            if text not in warn:
                warn.append(text)
        for w in caught:
            if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, ResourceWarning)):
                continue
            text = f"fastnda: {' '.join(str(w.message).split())[:160]}"
            if text not in warn:
                warn.append(text)
    if channel is not None:
        pick_channel(path, [Path(inner).stem if inner else path.stem], channel)
    n = df.height
    out: dict[str, np.ndarray] = {}
    t = _col(df, "total_time_s")
    out["time_s"] = np.asarray(t if t is not None else np.full(n, np.nan), dtype=float)
    out["potential_V"] = np.asarray(_col(df, "voltage_V"), dtype=float)
    out["current_A"] = np.asarray(_col(df, "current_mA"), dtype=float) * 1e-3
    cap = _col(df, "capacity_mAh")
    step_count = _col(df, "step_count")
    if cap is not None:
        q = np.asarray(cap, dtype=float) * 3.6
        out["charge_C"] = cumulative_from_counter(step_count if step_count is not None else np.zeros(n), q)
        out["step_charge_C"] = q
    for name, canon in (("step_index", "step"), ("cycle_count", "cycle"), ("step_count", "step_count")):
        v = _col(df, name)
        if v is not None:
            out[canon] = np.asarray(v, dtype=np.int64)
    if "step_type" in df.columns:
        # Neware's step-type codes -> names (fastnda's table), as a categorical: cheap for millions of rows
        from fastnda.dicts import STEP_TYPE_MAP

        codes = np.asarray(df.get_column("step_type").to_numpy(), dtype=np.int64)
        top = int(codes.max()) if len(codes) else 0
        names = [STEP_TYPE_MAP.get(k, f"type_{k}") for k in range(top + 1)]
        out["step_type"] = pd.Categorical.from_codes(codes, categories=names).remove_unused_categories()
    st = _col(df, "step_time_s")
    if st is not None:
        out["step_time_s"] = np.asarray(st, dtype=float)
    en = _col(df, "energy_mWh")
    if en is not None:
        out["step_energy_J"] = np.asarray(en, dtype=float) * 3.6
    ut = _col(df, "unix_time_s")
    if ut is not None:
        out["unix_time_s"] = np.asarray(ut, dtype=float)
    idx = _col(df, "index")
    if idx is not None:
        out["record"] = np.asarray(idx, dtype=np.int64)
    first_temp = True
    for c in df.columns:
        if not c.startswith("aux"):
            continue
        v = np.asarray(df.get_column(c).to_numpy(), dtype=float)
        if c.endswith("_degC"):
            name = c[: -len("_degC")] + "_K"
            if first_temp and "temperature" in c and "setpoint" not in c:
                name = "temperature_K"
                first_temp = False
            out[name] = v + 273.15
        else:
            out[c] = v
    data = pd.DataFrame(out)
    data = check_plausible(path, data, warn)
    extra: dict = {"channel": Path(inner).stem if inner else path.stem, "reader": f"fastnda {getattr(fastnda, '__version__', '?')}",
                   "neware_kind": kind}
    if inner:
        extra["zip_member"] = inner
    if n == 0:
        warn.append("the file holds no data records (a test that had not logged a point yet?): empty table")
        extra["empty_table"] = True
    start = None
    if ut is not None and n:
        u0 = float(ut[0])
        if np.isfinite(u0) and u0 > 0:
            start = datetime.fromtimestamp(u0, tz=timezone.utc).replace(tzinfo=None)
    software = _find(meta, "client_version", "bts_version", "server_version", "SortVersion", "CurrClientVer")
    version = meta.get("nda_version") if isinstance(meta, dict) else None
    if version is not None:
        extra["nda_version"] = version
    mass = _find(meta, "active_mass_mg")
    try:
        if mass is not None and float(mass) > 0:
            extra["active_mass_kg"] = float(mass) * 1e-6
    except (TypeError, ValueError):
        pass
    for key, name in (("remarks", "remarks"), ("Remark", "remarks"), ("barcode", "barcode"), ("device_ip", "device_ip"),
                      ("test_id", "test_id")):
        v = _find(meta, key)
        if isinstance(v, dict):
            v = v.get("Value")
        if v not in (None, "") and name not in extra:
            extra[name] = v
    if "time_s" in data and len(data):
        back = int(np.sum(np.diff(data["time_s"].to_numpy(float)) < 0))
        if back:
            warn.append(f"total time goes backwards at {back} place(s)")
    return Measurement(data=data, source=path, format="neware-" + kind, technique="CYCLING", instrument="Neware",
                       software_version=str(software) if software else None, start_time=start, warnings=warn,
                       extra=extra)
