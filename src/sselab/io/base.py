"""The one data structure every reader returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

#: canonical SI column names; readers produce these (others may follow, prefixed ``raw:``-free original names)
CANONICAL_COLUMNS = (
    "time_s", "potential_V", "current_A", "cycle", "step", "freq_Hz", "z_real_ohm", "z_imag_ohm",
    "temperature_K", "charge_C", "control_V", "control_A", "ewe_ece_V",
    # structure data (sselab.io.xrd, sselab.io.nmr): 2θ in degrees and δ in ppm are the names that carry the unit
    "two_theta_deg", "q_per_m", "intensity", "intensity_err", "shift_ppm", "intensity_imag", "row",
)

#: canonical technique names
TECHNIQUES = ("EIS", "CA", "CP", "CV", "LSV", "GCPL", "OCV", "MB", "ZIR", "WAIT", "CYCLING", "XRD", "NMR", "unknown")

#: columns that are finite on every row of a Measurement (rows where they are not are dropped, with a warning):
#: the impedance triple of an EIS measurement, the time of every other one
KEY_COLUMNS_EIS = ("freq_Hz", "z_real_ohm", "z_imag_ohm")
KEY_COLUMNS_TIME = ("time_s",)


class ReadWarning(str):
    """One thing a reader had to guess, skip or repair: a ``str`` ``"FILE:LINE: what"`` that also carries its parts.

    ``file`` is the path as given to :func:`sselab.io.read`, ``line`` the 1-based line of the file the warning is
    about (the first one when it concerns several; ``None`` for binary files or whole-file remarks) and ``what`` the
    message.  Being a ``str``, it prints, joins and serialises to JSON like any message; ``to_dict()`` gives the
    parts.  Readers may append plain strings or ``ReadWarning(what, line=...)``; :func:`sselab.io.read` stamps the
    file on every one.
    """

    def __new__(cls, what, file=None, line: int | None = None):
        what = " ".join(str(what).split())
        file = str(file) if file is not None else None
        line = int(line) if line is not None else None
        if file is not None and line is not None:
            text = f"{file}:{line}: {what}"
        elif file is not None:
            text = f"{file}: {what}"
        elif line is not None:
            text = f"line {line}: {what}"
        else:
            text = what
        self = super().__new__(cls, text)
        self.file, self.line, self.what = file, line, what
        return self

    def __reduce__(self):
        return (ReadWarning, (self.what, self.file, self.line))

    def with_file(self, file) -> "ReadWarning":
        return ReadWarning(self.what, file, self.line)

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "what": self.what}

    @classmethod
    def of(cls, item, file=None) -> "ReadWarning":
        """A ReadWarning from a reader's note (a plain string or a ReadWarning), with ``file`` stamped on it."""
        if isinstance(item, ReadWarning):
            return item if item.file is not None or file is None else item.with_file(file)
        return cls(item, file)


@dataclass
class Measurement:
    """A tidy table of one instrument file plus its metadata.

    ``data`` has canonical SI columns (:data:`CANONICAL_COLUMNS`, whichever the file holds).  Impedance keeps its
    mathematical sign: a capacitive arc has ``z_imag_ohm < 0``.  ``warnings`` lists anything the reader had to
    guess, skip or repair (:class:`ReadWarning` items, ``"FILE:LINE: what"``); it is empty for a clean file.

    Non-finite values (the contract every reader meets through :func:`sselab.io.read`):

    * no ``±inf`` anywhere in ``data`` — an ``inf`` token or a number beyond float range becomes NaN, with a warning;
    * the key columns are finite on every row: ``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm`` of an EIS measurement,
      ``time_s`` of every other one; rows where they are not are dropped, with a warning giving count and lines;
    * any other canonical column may hold NaN, meaning "no value recorded on that row", and whenever it does a
      warning names the column, the count and the first lines; a canonical column with no value at all is removed.
      Analyses that need such a column must mask with ``np.isfinite``; the user has been told.
    * ``cycle`` and ``step`` are int64, or pandas' nullable ``Int64`` when some rows have no value.
    """

    data: pd.DataFrame
    source: Path | None = None
    format: str = "unknown"
    technique: str = "unknown"
    instrument: str | None = None
    software_version: str | None = None
    start_time: datetime | None = None
    temperature_K: float | None = None
    warnings: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    # -- conveniences ------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    @property
    def is_eis(self) -> bool:
        return {"freq_Hz", "z_real_ohm", "z_imag_ohm"} <= set(self.data.columns)

    @property
    def name(self) -> str:
        return self.source.name if self.source is not None else "<memory>"

    def has(self, *columns: str) -> bool:
        return set(columns) <= set(self.data.columns)

    def column(self, name: str) -> np.ndarray:
        from ..errors import MissingColumnsError

        if name not in self.data.columns:
            raise MissingColumnsError(self.source, f"no {name!r} column (has: {', '.join(map(str, self.data.columns))})")
        return self.data[name].to_numpy(dtype=float)

    def impedance(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(freq_Hz, Z)`` with complex Z (mathematical sign) for an EIS measurement."""
        f = self.column("freq_Hz")
        z = self.column("z_real_ohm") + 1j * self.column("z_imag_ohm")
        return f, z

    def spectra(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Split an EIS table into individual spectra (by ``cycle`` when present, else by frequency restarts)."""
        f, z = self.impedance()
        if "cycle" in self.data.columns and self.data["cycle"].nunique() > 1:
            c = self.data["cycle"].to_numpy()
            return [(f[c == k], z[c == k]) for k in pd.unique(c)]
        # a new sweep starts where frequency jumps back in the sweep direction
        if len(f) < 3:
            return [(f, z)]
        d = np.sign(np.nanmedian(np.diff(f)))
        breaks = np.where(np.sign(np.diff(f)) == -d)[0] + 1 if d != 0 else np.array([], int)
        # only treat as restarts where the jump spans more than half the log-range
        lf = np.log10(np.abs(f) + 1e-300)
        span = np.nanmax(lf) - np.nanmin(lf)
        breaks = [b for b in breaks if abs(lf[b] - lf[b - 1]) > 0.5 * span]
        edges = [0, *breaks, len(f)]
        return [(f[a:b], z[a:b]) for a, b in zip(edges[:-1], edges[1:]) if b > a]

    def summary(self) -> dict:
        """A JSON-ready description (used by ``sselab info``)."""
        d = self.data
        span = None
        if "time_s" in d.columns and len(d):
            t = d["time_s"].to_numpy(dtype=float)
            if np.isfinite(t).any():
                span = float(np.nanmax(t) - np.nanmin(t))
        return {
            "file": str(self.source) if self.source else None,
            "format": self.format,
            "technique": self.technique,
            "instrument": self.instrument,
            "software_version": self.software_version,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "temperature_K": self.temperature_K,
            "rows": int(len(d)),
            "time_span_s": span,
            "columns": [str(c) for c in d.columns],
            "warnings": list(self.warnings),
        }
