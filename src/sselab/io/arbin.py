"""Arbin ``.res`` result files (MS Access / Jet 4 databases) through Debian's ``mdbtools`` (``mdb-export``).

No maintained pure-Python Access reader handles these files reliably, and the open battery tools (navani, cellpy)
also call ``mdb-export`` on Linux/macOS; sselab starts it as a subprocess with a timeout and turns its failures
into one-line errors.  Install it with ``apt-get install mdbtools`` (``brew install mdbtools`` on macOS).

Tables used: ``Global_Table`` (one row per test = channel: name, channel index, start, schedule, software),
``Channel_Normal_Table`` (the records), ``Auxiliary_Table`` (thermocouples, aux voltages).  A file holding several
tests gives one :class:`Measurement` per test (:func:`channels`, ``read(path, channel=…)``, ``read_all``).

Mapping to the cycler contract (:mod:`sselab.io._cycler`): ``time_s`` = *Test_Time*, ``step_time_s``,
``potential_V`` = *Voltage*, ``current_A`` = *Current* (Arbin records charge current positive), ``step`` =
*Step_Index*, ``cycle`` = *Cycle_Index*, ``charge_capacity_C``/``discharge_capacity_C`` and the energies = Arbin's
per-cycle counters in SI, ``charge_C`` = their signed running total since the start, ``unix_time_s`` from
*DateTime* (the tester PC's wall clock), ``temperature_K`` from the first auxiliary thermocouple.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingDependencyError, ReaderError
from ._cycler import check_plausible, counter_increments, pick_channel
from .base import Measurement

#: OLE automation dates (Access ``DateTime``) count days from this instant
_OLE_EPOCH = datetime(1899, 12, 30)
_OLE_UNIX_DAYS = 25569.0
#: aux ``Data_Type`` codes (Arbin): name, unit conversion to SI (added), SI unit suffix
_AUX_TYPES = {0: ("voltage", 0.0, "V"), 1: ("temperature", 273.15, "K"), 2: ("pressure", 0.0, ""), 3: ("pH", 0.0, ""),
              4: ("flow_rate", 0.0, ""), 5: ("concentration", 0.0, "")}


def _timeout(path: Path) -> float:
    """Seconds allowed for one ``mdb-export`` (generous: ~5 MB/s worst case, at least a minute)."""
    return 60.0 + path.stat().st_size / 5e6


def _mdb(path: Path, *args: str, what: str) -> bytes:
    exe = shutil.which(args[0])
    if exe is None:
        raise MissingDependencyError(
            f"{path}: reading Arbin .res files needs mdbtools ({args[0]}): apt-get install mdbtools "
            "(brew install mdbtools on macOS)")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}  # a decimal point, whatever the user's locale
    try:
        res = subprocess.run([exe, *args[1:]], capture_output=True, timeout=_timeout(path), env=env, check=False)
    except subprocess.TimeoutExpired:
        raise ReaderError(path, f"mdbtools did not finish {what} within {_timeout(path):.0f} s (damaged file?)") from None
    except OSError as exc:
        raise ReaderError(path, f"cannot run {args[0]}: {exc.strerror or exc}") from None
    err = " ".join(res.stderr.decode("utf-8", "replace").split())
    if res.returncode != 0:
        raise ReaderError(path, f"not a readable Arbin .res / Access database ({args[0]}: "
                                f"{err[:160] or f'exit status {res.returncode}'})")
    if err:
        # mdbtools reports unreadable pages on stderr and still exits 0 with whatever it could read
        raise ReaderError(path, f"damaged Access database: {args[0]} reports {err[:160]}")
    return res.stdout


def _check_pages(path: Path) -> None:
    """A Jet/ACE database is a whole number of pages (2 KiB for Jet 3, 4 KiB after): anything else was cut."""
    with open(path, "rb") as fh:
        head = fh.read(0x20)
    if len(head) < 0x15:
        raise ReaderError(path, "truncated Access database (shorter than its header)")
    page = 2048 if head[0x14] == 0 else 4096
    size = path.stat().st_size
    if size % page:
        raise ReaderError(path, f"truncated Access database: {size} bytes is not a whole number of "
                                f"{page}-byte pages (copied while the test was running?)")


def tables(path) -> list[str]:
    path = Path(path)
    out = _mdb(path, "mdb-tables", "-1", str(path), what="listing the tables")
    return [t.strip() for t in out.decode("utf-8", "replace").splitlines() if t.strip()]


def _export(path: Path, table: str) -> pd.DataFrame:
    raw = _mdb(path, "mdb-export", "-D", "%Y-%m-%d %H:%M:%S", str(path), table, what=f"exporting {table}")
    if not raw.strip():
        return pd.DataFrame()
    try:
        return pd.read_csv(io.BytesIO(raw), low_memory=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ReaderError(path, f"{table}: mdb-export gave an unreadable table ({' '.join(str(exc).split())[:120]})") \
            from None


# a one-entry cache so that read_all on a many-channel file exports the (large) record table once
_CACHE: dict = {}


def _key(path: Path):
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _load(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    key = _key(path)
    if _CACHE.get("key") == key:
        return _CACHE["value"]
    _check_pages(path)
    names = tables(path)
    if "Channel_Normal_Table" not in names or "Global_Table" not in names:
        shown = ", ".join(names[:6]) + (" …" if len(names) > 6 else "")
        raise ReaderError(path, f"an MS Access database but not an Arbin .res (no Channel_Normal_Table; tables: "
                                f"{shown or 'none'})")
    glob = _export(path, "Global_Table")
    recs = _export(path, "Channel_Normal_Table")
    aux = _export(path, "Auxiliary_Table") if "Auxiliary_Table" in names else pd.DataFrame()
    value = (glob, recs, aux)
    _CACHE.clear()
    _CACHE.update(key=key, value=value)
    return value


def _names(glob: pd.DataFrame, path=None) -> list[str]:
    if glob.empty or "Test_ID" not in glob:
        return []
    if glob["Test_ID"].isna().any() or ("Channel_Index" in glob and glob["Channel_Index"].isna().any()):
        raise ReaderError(path, "damaged Global_Table (a test without Test_ID / Channel_Index)")
    if "Channel_Index" in glob:
        names = [f"channel {int(c)}" for c in glob["Channel_Index"]]
    else:
        names = [f"test {int(t)}" for t in glob["Test_ID"]]
    if len(set(names)) < len(names):
        names = [f"{n} (test {int(t)})" for n, t in zip(names, glob["Test_ID"])]
    return names


def channels(path) -> list[str]:
    """Names of the tests (channels) an Arbin ``.res`` holds: ``'channel 12'`` …"""
    path = Path(path)
    glob, _, _ = _load(path)
    names = _names(glob, path)
    if not names:
        raise EmptyFileError(path, "the Global_Table lists no test")
    return names


def _ole_to_datetime(x) -> datetime | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(v) or v <= 0:
        return None
    return _OLE_EPOCH + timedelta(days=v)


def read_res(path, channel=None, **_) -> Measurement:
    """Read one test (channel) of an Arbin ``.res`` file; ``channel`` = name from :func:`channels` or index."""
    path = Path(path)
    glob, recs, aux = _load(path)
    names = _names(glob, path)
    if not names:
        raise EmptyFileError(path, "the Global_Table lists no test")
    k = pick_channel(path, names, channel)
    g = glob.iloc[k]
    test_id = g["Test_ID"]
    warn: list[str] = []
    need = ["Test_ID", "Data_Point", "Test_Time", "Current", "Voltage"]
    missing = [c for c in need if c not in recs.columns]
    if recs.empty and not missing:
        missing = []
    if missing and not recs.empty:
        raise ReaderError(path, f"Channel_Normal_Table lacks {', '.join(missing)}")
    r = recs.loc[recs["Test_ID"] == test_id] if "Test_ID" in recs else recs.iloc[:0]
    extra: dict = {"channel": names[k], "arbin_test_id": int(test_id), "reader": "mdbtools"}
    for col, key in (("Test_Name", "test_name"), ("Channel_Index", "channel_index"), ("Schedule_File_Name", "schedule"),
                     ("Creator", "creator"), ("Comments", "comments"), ("Serial_Number", "serial_number"),
                     ("MASS", "arbin_mass_as_written"), ("Item_ID", "item_id")):
        if col in g and pd.notna(g[col]) and str(g[col]).strip():
            extra[key] = g[col].item() if hasattr(g[col], "item") else g[col]
    if r.empty:
        warn.append("the test holds no data records (not started, or the records were never written): empty table")
        extra["empty_table"] = True
        data = pd.DataFrame({c: pd.Series(dtype=float) for c in ("time_s", "potential_V", "current_A", "charge_C")})
    else:
        r = r.sort_values("Data_Point", kind="stable").reset_index(drop=True)
        dup = int(r["Data_Point"].duplicated().sum())
        if dup:
            warn.append(f"{dup} duplicated Data_Point record(s) dropped")
            r = r.loc[~r["Data_Point"].duplicated()].reset_index(drop=True)
        data = _records(r)
        if not aux.empty and {"Test_ID", "Data_Point", "Auxiliary_Index", "Data_Type", "X"} <= set(aux.columns):
            data = _join_aux(data, r, aux.loc[aux["Test_ID"] == test_id], warn)
        data = check_plausible(path, data, warn)
        back = int(np.sum(np.diff(data["time_s"].to_numpy(float)) < 0))
        if back:
            warn.append(f"Test_Time goes backwards at {back} place(s)")
    start = _ole_to_datetime(g.get("Start_DateTime"))
    software = g.get("Software_Version") if "Software_Version" in g else None
    software = str(software) if software is not None and pd.notna(software) else None
    return Measurement(data=data, source=path, format="arbin-res", technique="CYCLING", instrument="Arbin",
                       software_version=software, start_time=start, warnings=warn, extra=extra)


def _records(r: pd.DataFrame) -> pd.DataFrame:
    f = lambda c: pd.to_numeric(r[c], errors="coerce").to_numpy(float)  # noqa: E731
    out: dict[str, np.ndarray] = {
        "time_s": f("Test_Time"),
        "potential_V": f("Voltage"),
        "current_A": f("Current"),
    }
    if {"Charge_Capacity", "Discharge_Capacity"} <= set(r.columns):
        qc, qd = f("Charge_Capacity") * 3600.0, f("Discharge_Capacity") * 3600.0
        out["charge_C"] = np.cumsum(counter_increments(qc) - counter_increments(qd))
        out["charge_capacity_C"] = qc
        out["discharge_capacity_C"] = qd
    for col, canon in (("Step_Index", "step"), ("Cycle_Index", "cycle"), ("Data_Point", "record")):
        if col in r:
            c = pd.to_numeric(r[col], errors="coerce")
            out[canon] = c.round().astype("Int64").to_numpy() if c.isna().any() else c.round().astype(np.int64).to_numpy()
    if "Step_Time" in r:
        out["step_time_s"] = f("Step_Time")
    for col, canon in (("Charge_Energy", "charge_energy_J"), ("Discharge_Energy", "discharge_energy_J")):
        if col in r:
            out[canon] = f(col) * 3600.0
    if "DateTime" in r:
        out["unix_time_s"] = (f("DateTime") - _OLE_UNIX_DAYS) * 86400.0
    for col, canon in (("Internal_Resistance", "internal_resistance_ohm"), ("dV/dt", "dV_dt_V_per_s"),
                       ("AC_Impedance", "ac_impedance_ohm"), ("ACI_Phase_Angle", "aci_phase_angle_deg"),
                       ("Is_FC_Data", "is_fc_data")):
        if col in r:
            out[canon] = f(col)
    skip = {"Test_ID", "Test_Time", "Voltage", "Current", "Charge_Capacity", "Discharge_Capacity", "Step_Index",
            "Cycle_Index", "Data_Point", "Step_Time", "Charge_Energy", "Discharge_Energy", "DateTime",
            "Internal_Resistance", "dV/dt", "AC_Impedance", "ACI_Phase_Angle", "Is_FC_Data"}
    for col in r.columns:
        if col not in skip:
            out[col] = r[col].to_numpy()
    return pd.DataFrame(out)


def _join_aux(data: pd.DataFrame, r: pd.DataFrame, aux: pd.DataFrame, warn: list[str]) -> pd.DataFrame:
    """Auxiliary channels as columns (SI), matched on Data_Point; the first thermocouple is ``temperature_K``."""
    if aux.empty:
        return data
    aux = aux.drop_duplicates(["Data_Point", "Auxiliary_Index", "Data_Type"], keep="last")
    wide = aux.pivot(index="Data_Point", columns=["Data_Type", "Auxiliary_Index"], values="X")
    dp = r["Data_Point"].to_numpy()
    first_temp = True
    for dtype, idx in sorted(wide.columns):
        name, offset, unit = _AUX_TYPES.get(int(dtype), (f"type{int(dtype)}", 0.0, ""))
        col = f"aux{int(idx) + 1}_{name}" + (f"_{unit}" if unit else "")
        if name == "temperature" and first_temp:
            col = "temperature_K"
            first_temp = False
        vals = wide[(dtype, idx)].reindex(dp).to_numpy(float) + offset
        data[col] = vals
        gaps = int(np.isnan(vals).sum())
        if gaps and gaps < len(vals):
            warn.append(f"{col}: {gaps} record(s) without an auxiliary reading (NaN)")
    return data
