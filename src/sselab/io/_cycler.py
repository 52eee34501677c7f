"""Helpers shared by the battery-cycler readers (Neware, Arbin, Maccor, spreadsheet exports).

The cycler contract (see docs/CONVENTIONS.md, "Battery cyclers"):

* ``time_s`` — test time since the start of the record; ``potential_V``; ``current_A`` signed, **positive =
  charge** (oxidation of the working electrode, the cathode of a full cell);
* ``charge_C`` — signed charge passed since the start of the record, rebuilt from the instrument's own capacity
  counters (not integrated by sselab); the counters themselves stay beside it in SI (``step_charge_C`` for
  Neware, ``charge_capacity_C``/``discharge_capacity_C`` per cycle for Arbin, ...);
* ``step`` — the program step number (Neware "Step Index", Arbin "Step_Index", Maccor "Step"); ``cycle`` — the
  instrument's cycle number as its own software shows it; ``step_type`` — the instrument's name for the step;
* ``temperature_K`` where a thermocouple was logged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ReaderError

#: largest |potential| (V) and |current| (A) a cycler channel can report; beyond is a damaged record
MAX_ABS_V = 1000.0
MAX_ABS_A = 10000.0


def cumulative_from_counter(group: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Running total of a counter that restarts at every new ``group`` (step or cycle).

    Each group's counter continues from the last value of the group before it, so a per-step (Neware) or
    per-cycle (Arbin) capacity becomes the charge passed since the start of the record.
    """
    counter = np.asarray(counter, dtype=float)
    n = len(counter)
    if n == 0:
        return counter.copy()
    g = np.asarray(group)
    starts = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
    ends = np.append(starts[1:] - 1, n - 1)
    last = np.nan_to_num(counter[ends])
    offset = np.concatenate(([0.0], np.cumsum(last)[:-1]))
    return counter + np.repeat(offset, np.diff(np.append(starts, n)))


def counter_increments(q: np.ndarray) -> np.ndarray:
    """Per-row increments of a capacity counter that restarts (at a new cycle or step) — a drop means a restart
    from 0; the first row's increment is 0 (the charge since the first record starts there)."""
    qq = np.nan_to_num(np.asarray(q, dtype=float))
    d = np.diff(qq, prepend=qq[:1])
    reset = d < 0
    d[reset] = qq[reset]
    return d


def check_plausible(path, data: pd.DataFrame, warn: list[str], *, what: str = "data records") -> pd.DataFrame:
    """Drop rows whose potential/current are not finite or beyond any cycler's range; fail when many are.

    A damaged binary decodes to values like 3e38 V or NaN.  Up to 1 % of such rows (at least one) are dropped
    with a warning naming them; more means the records themselves are damaged: a one-line error.
    """
    if len(data) == 0:
        return data
    v = data["potential_V"].to_numpy(float)
    i = data["current_A"].to_numpy(float)
    bad = ~(np.isfinite(v) & np.isfinite(i) & (np.abs(v) <= MAX_ABS_V) & (np.abs(i) <= MAX_ABS_A))
    if "time_s" in data.columns:
        bad |= ~np.isfinite(data["time_s"].to_numpy(float))
    nbad = int(bad.sum())
    if nbad == 0:
        return data
    if nbad > max(1, len(data) // 100):
        with np.errstate(invalid="ignore"):
            vmax = float(np.nanmax(np.abs(np.where(np.isfinite(v), v, np.nan)))) if np.isfinite(v).any() else np.nan
        raise ReaderError(path, f"{what} are damaged: {nbad} of {len(data)} rows hold impossible values "
                                f"(|V| up to {vmax:.3g} V, non-finite or beyond ±{MAX_ABS_V:g} V / ±{MAX_ABS_A:g} A)")
    rows = np.flatnonzero(bad)
    shown = ", ".join(str(r + 1) for r in rows[:5]) + (" …" if nbad > 5 else "")
    warn.append(f"{nbad} row(s) with impossible potential/current/time dropped (record(s) {shown}): damaged?")
    return data.loc[~bad].reset_index(drop=True)


#: largest total uncompressed size of a zip container (.ndax, .xlsx) we open — a guard against zip bombs
MAX_UNZIPPED_BYTES = 2 << 30


def check_zip_size(path, limit: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse (one line) a zip container whose members would unpack to more than ``limit`` bytes."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ReaderError(path, f"damaged zip container ({' '.join(str(exc).split())[:120]})") from None
    if total > limit:
        raise ReaderError(path, f"the archive would unpack to {total / 2**30:.1f} GiB (limit {limit / 2**30:.0f} GiB): "
                                "refused (a zip bomb or not a cycler file)")


def pick_channel(path, names: list[str], channel) -> int:
    """Index of ``channel`` (a name or a 0-based index) among ``names``; one-line errors otherwise.

    ``channel=None`` picks the only channel; with several it is an error naming them (use ``read_all``).
    """
    if channel is None:
        if len(names) == 1:
            return 0
        shown = ", ".join(repr(n) for n in names[:8]) + (" …" if len(names) > 8 else "")
        raise ReaderError(path, f"holds {len(names)} channels ({shown}): pick one with "
                                f"sselab.io.read(path, channel=NAME) or read them all with sselab.io.read_all(path)")
    if isinstance(channel, (int, np.integer)) and not isinstance(channel, bool):
        if -len(names) <= int(channel) < len(names):
            return int(channel) % len(names)
        raise ReaderError(path, f"channel index {channel} out of range: the file holds {len(names)} channel(s)")
    key = str(channel)
    if key in names:
        return names.index(key)
    low = [n.lower() for n in names]
    if key.lower() in low:
        return low.index(key.lower())
    raise ReaderError(path, f"no channel {key!r}: the file holds {', '.join(repr(n) for n in names)}")


def sniff(path, head: bytes) -> str | None:
    """Format name of a battery-cycler file from its first bytes (None: not one of ours).

    Called by :func:`sselab.io.detect.detect` before the generic text sniffers.  A zip that cannot be opened
    raises a one-line :class:`~sselab.errors.UnknownFormatError`.
    """
    from pathlib import Path

    from ..errors import UnknownFormatError

    path = Path(path)
    if head.startswith(b"NEWARE"):
        return "neware-nda"
    if head.startswith(b"\x00\x01\x00\x00Standard Jet DB") or head.startswith(b"\x00\x01\x00\x00Standard ACE DB"):
        return "arbin-res"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        from .neware import zip_kind

        kind = zip_kind(path)
        if kind is None:
            import zipfile

            try:
                with zipfile.ZipFile(path) as zf:
                    names = zf.namelist()
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise UnknownFormatError(path, f"damaged zip archive (Neware .ndax / Excel .xlsx?): "
                                               f"{' '.join(str(exc).split())[:120]}") from None
            return None       # a readable zip of another kind (Bruker .brml, Rigaku .rasx …): not ours
        return {"ndax": "neware-ndax", "nda-zip": "neware-nda", "xlsx": "spreadsheet", "ods": "spreadsheet"}[kind]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and path.suffix.lower() in (".xls", ".xlsx", ".xlsm", ".xlsb"):
        return "spreadsheet"
    from . import maccor

    if maccor.looks_like(head):
        return "maccor-txt"
    return None
