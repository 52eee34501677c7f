"""Write simulated (or any canonical SI) data as genuine-looking instrument files.

* :func:`write_mpt` — BioLogic EC-Lab ASCII export (``.mpt``): ``EC-Lab ASCII FILE``, ``Nb header lines : N``,
  technique title, instrument/settings block, one tab-separated column-header line, EC-Lab column names and units
  (``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``, ``time/s``, ``Ewe/V``, ``<I>/mA`` or ``I/mA``, ``cycle number``,
  ``Ns`` ...), EC-Lab number formatting (``1.0512296E+001``), CRLF line ends, latin-1 encoding.
* :func:`write_zview` — Scribner ZPlot/ZView ``.z`` file (``ZPLOT2 ASCII`` ... ``End Comments``, Z'' with its
  mathematical sign).
* :func:`write_csv` — plain CSV with sselab's canonical SI column names.

Input DataFrames use the canonical SI columns of :mod:`sselab.io.base` (``time_s``, ``potential_V``,
``current_A``, ``cycle``, ``step``, ``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm``, ``charge_C`` ...); the writers
convert to the file's units (mA, mA.h, Ohm with EC-Lab's ``-Im(Z)`` sign ...).
"""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SselabError

__all__ = ["write_mpt", "write_zview", "write_csv", "MPT_TECHNIQUES"]

#: canonical technique -> EC-Lab title line
MPT_TECHNIQUES = {
    "EIS": "Potentio Electrochemical Impedance Spectroscopy",
    "PEIS": "Potentio Electrochemical Impedance Spectroscopy",
    "GEIS": "Galvano Electrochemical Impedance Spectroscopy",
    "CA": "Chronoamperometry / Chronocoulometry",
    "CP": "Chronopotentiometry",
    "CV": "Cyclic Voltammetry",
    "LSV": "Linear Sweep Voltammetry",
    "GCPL": "Galvanostatic Cycling with Potential Limitation",
    "OCV": "Open Circuit Voltage",
}

_DEVICES = {"VMP3": "VMP3 (SN 0967)", "SP-300": "SP-300 (SN 1854)", "SP-240": "SP-240 (SN 0200)"}


# ---------------------------------------------------------------------------------------------------------------
# number formatting
# ---------------------------------------------------------------------------------------------------------------

_TWO_DIGIT_EXP = re.compile(r"(E[+-])(\d\d)(?=[\t\r]|$)")


class _Col:
    """A column to write: finite float values and the %-format of one cell (formatted row by row, in C)."""

    __slots__ = ("values", "fmt")

    def __init__(self, values, fmt: str):
        a = np.asarray(values, dtype=float)
        self.values = np.where(np.isfinite(a), a, 0.0)
        self.fmt = fmt


def _fmt(values, digits: int = 7) -> _Col:
    """Scientific format ``1.0512296E+01``; :func:`_three_digit_exponents` turns the joined text into EC-Lab's
    ``1.0512296E+001`` in one pass."""
    return _Col(values, f"%.{digits}E")


_THREE_DIGIT_EXP = re.compile(r"E[+-]\d{3}")


def _three_digit_exponents(text: str) -> str:
    """EC-Lab writes three-digit exponents: ``E+01`` → ``E+001`` (``E+100`` stays)."""
    if _THREE_DIGIT_EXP.search(text) is None:          # the usual case: two plain replaces, no per-match work
        return text.replace("E+", "E+0").replace("E-", "E-0")
    return _TWO_DIGIT_EXP.sub(r"\g<1>0\g<2>", text)


def _fmt_int(values) -> _Col:
    a = np.asarray(values, dtype=float)
    return _Col(np.rint(np.where(np.isfinite(a), a, 0.0)), "%d")


def _format_rows(cols: list[_Col]) -> str:
    """Tab-separated rows joined by CRLF: one C-level %-format per row (per-element formatting costs seconds on a
    55 000-row ladder)."""
    if not cols or not len(cols[0].values):
        return ""
    row_fmt = "\t".join(c.fmt for c in cols)
    data = np.column_stack([c.values for c in cols]).tolist()
    return "\r\n".join([row_fmt % tuple(r) for r in data])


def _atomic_write_bytes(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _col(df: pd.DataFrame, name: str, default=0.0) -> np.ndarray:
    if name in df.columns:
        return df[name].to_numpy(dtype=float)
    return np.full(len(df), float(default))


def _require(df: pd.DataFrame, cols, technique: str, path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SselabError(f"{path}: cannot write {technique} .mpt without column(s) {', '.join(missing)}")


def _cumulative_charge(t: np.ndarray, i: np.ndarray) -> np.ndarray:
    """∫ I dt (trapezoid), starting at 0, in coulomb."""
    if len(t) < 2:
        return np.zeros_like(t)
    inc = 0.5 * (i[1:] + i[:-1]) * np.diff(t)
    return np.concatenate([[0.0], np.cumsum(inc)])


def _half_cycles(i: np.ndarray) -> np.ndarray:
    """Half-cycle counter: increments each time the sign of the (non-zero) current changes."""
    sign = np.sign(i)
    out = np.zeros(len(i), dtype=np.int64)
    last, k = 0.0, 0
    for n, s in enumerate(sign):
        if s != 0:
            if last != 0 and s != last:
                k += 1
            last = s
        out[n] = k
    return out


# ---------------------------------------------------------------------------------------------------------------
# .mpt
# ---------------------------------------------------------------------------------------------------------------

def _settings_block(technique: str, df: pd.DataFrame, settings: dict | None) -> list[str]:
    """Technique parameter lines (``key`` padded to 20, value padded to 20) as EC-Lab writes them."""
    tech = technique.upper()
    s: dict[str, str]
    if tech in ("EIS", "PEIS", "GEIS"):
        f = _col(df, "freq_Hz", 1.0)
        fi, ff = (float(np.max(f)), float(np.min(f))) if len(f) else (1e6, 1.0)
        s = {
            "Mode": "Single sine", "E (V)": "0.0000", "vs.": "Eoc", "tE (h:m:s)": "0:00:0.0000",
            "record": "0", "dI": "0.000", "unit dI": "mA", "dt (s)": "0.000",
            "fi": f"{fi / 1e3:.3f}", "unit fi": "kHz", "ff": f"{ff:.3f}", "unit ff": "Hz",
            "Nd": "10", "Points": "per decade", "spacing": "Logarithmic", "Va (mV)": "100.0", "pw": "0.10",
            "Na": "2", "corr": "0", "E range min (V)": "-10.000", "E range max (V)": "10.000",
            "I Range": "Auto", "Bandwidth": "8", "nc cycles": "0", "goto Ns'": "0", "nr cycles": "0",
            "inc. cycle": "0",
        }
    elif tech == "CA":
        e = _col(df, "potential_V", 0.0)
        ei = float(np.median(e)) if len(e) else 0.0
        dur = float(np.ptp(_col(df, "time_s"))) if len(df) else 0.0
        h, rem = divmod(dur, 3600)
        m, sec = divmod(rem, 60)
        s = {
            "Ei (V)": f"{ei:.3f}", "vs.": "Ref", "ti (h:m:s)": f"{int(h)}:{int(m):02d}:{sec:.4f}",
            "Imax": "pass", "unit Imax": "mA", "Imin": "pass", "unit Imin": "mA", "dQM": "0.000",
            "unit dQM": "mA.h", "record": "I", "dI": "0.001", "unit dI": "mA", "dQ": "0.000", "unit dQ": "mA.h",
            "dt (s)": "1.0000", "dta (s)": "0.1000", "E range min (V)": "-10.000", "E range max (V)": "10.000",
            "I Range": "Auto", "I Range min": "Unset", "I Range max": "Unset", "I Range init": "Unset",
            "Bandwidth": "4", "goto Ns'": "0", "nc cycles": "0",
        }
    elif tech in ("CV", "LSV"):
        e = _col(df, "potential_V", 0.0)
        lo, hi = (float(np.min(e)), float(np.max(e))) if len(e) else (0.0, 1.0)
        s = {
            "Ei (V)": f"{e[0] if len(e) else 0:.3f}", "vs.": "Ref", "dE/dt": "1.000", "dE/dt unit": "mV/s",
            "E1 (V)": f"{lo:.3f}", "vs. ": "Ref", "Step percent": "50", "N": "10",
            "E range min (V)": f"{min(lo, -1.0) - 0.5:.3f}", "E range max (V)": f"{max(hi, 5.0) + 0.5:.3f}",
            "I Range": "Auto", "I Range min": "Unset", "I Range max": "Unset", "I Range init": "Unset",
            "Bandwidth": "5", "E2 (V)": f"{hi:.3f}", "vs.  ": "Ref",
            "nc cycles": str(max(int(np.nanmax(_col(df, "cycle", 1))) - 1, 0)) if len(df) else "0",
            "Reverse Scan": "0", "Ef (V)": "0.000", "vs.   ": "Eoc",
        }
    elif tech in ("GCPL", "CP"):
        i = _col(df, "current_A", 0.0)
        imax = float(np.max(np.abs(i))) if len(i) else 0.0
        e = _col(df, "potential_V", 0.0)
        lo, hi = (float(np.min(e)), float(np.max(e))) if len(e) else (0.0, 1.0)
        s = {
            "Set I/C": "I", "Is": f"{imax * 1e3:.3f}", "unit Is": "mA", "vs.": "<None>", "N": "1.00",
            "I sign": "> 0", "t1 (h:m:s)": "0:15:0.0000", "I Range": "Auto", "Bandwidth": "8",
            "dE1 (mV)": "0.00", "dt1 (s)": "10.0000", "EM (V)": f"{hi:.3f}", "tM (h:m:s)": "0:00:0.0000",
            "Im": "0.000", "unit Im": "mA", "dI/dt": "0.000", "dunit dI/dt": "mA/s",
            "E range min (V)": f"{lo - 0.5:.3f}", "E range max (V)": f"{hi + 0.5:.3f}", "dq": "0.000",
            "unit dq": "mA.h", "dtq (s)": "0.0000", "dQM": "0.000", "unit dQM": "mA.h", "dxM": "0.000",
            "delta SoC (%)": "pass", "tR (h:m:s)": "0:00:10.0000", "dER/dt (mV/h)": "0.0", "dER (mV)": "0.00",
            "dtR (s)": "1.0000", "EL (V)": "pass", "goto Ns'": "0",
            "nc cycles": str(max(int(np.nanmax(_col(df, "cycle", 0))), 0)) if len(df) else "0",
        }
    else:  # OCV
        dur = float(np.ptp(_col(df, "time_s"))) if len(df) else 0.0
        s = {"tR (h:m:s)": f"{int(dur // 3600)}:{int(dur % 3600 // 60):02d}:{dur % 60:.4f}",
             "dER/dt (mV/h)": "0.0", "record": "0", "dER (mV)": "0.00", "dtR (s)": "1.0000",
             "E range min (V)": "-10.000", "E range max (V)": "10.000"}
    if settings:
        s.update({str(k): str(v) for k, v in settings.items()})
    # keys made unique above with trailing spaces print identically once padded
    return [f"{k.strip():<20}{v:<20}" for k, v in s.items()]


def _mpt_columns(technique: str, df: pd.DataFrame, path) -> dict[str, _Col]:
    """EC-Lab column name -> column (values and cell format), for one technique."""
    tech = technique.upper()
    n = len(df)
    t = _col(df, "time_s", 0.0)
    cols: dict[str, np.ndarray] = {}
    zeros = np.zeros(n)
    if tech in ("EIS", "PEIS", "GEIS"):
        _require(df, ("freq_Hz", "z_real_ohm", "z_imag_ohm"), tech, path)
        f = df["freq_Hz"].to_numpy(float)
        zr = df["z_real_ohm"].to_numpy(float)
        zi = df["z_imag_ohm"].to_numpy(float)
        mod = np.hypot(zr, zi)
        phase = np.degrees(np.arctan2(zi, zr))
        w = 2 * np.pi * f
        with np.errstate(divide="ignore", invalid="ignore"):
            cs = np.where(zi != 0, -1.0 / (w * zi), 0.0)          # series capacitance, F
            y = 1.0 / (zr + 1j * zi)
            cp = np.where(w > 0, y.imag / w, 0.0)                  # parallel capacitance, F
        ewe = _col(df, "potential_V", 0.0)
        i_a = _col(df, "current_A", 0.0)
        va = 0.1 / 2 ** 0.5
        cyc = _col(df, "cycle", 1.0)
        cols = {
            "freq/Hz": _fmt(f), "Re(Z)/Ohm": _fmt(zr), "-Im(Z)/Ohm": _fmt(-zi), "|Z|/Ohm": _fmt(mod),
            "Phase(Z)/deg": _fmt(phase), "time/s": _fmt(t, 15), "<Ewe>/V": _fmt(ewe), "<I>/mA": _fmt(i_a * 1e3),
            "Cs/µF": _fmt(cs * 1e6), "Cp/µF": _fmt(cp * 1e6), "cycle number": _fmt(cyc, 15),
            "I Range": _fmt_int(np.full(n, 41)), "|Ewe|/V": _fmt(np.full(n, va)), "|I|/A": _fmt(va / mod),
            "(Q-Qo)/mA.h": _fmt(zeros, 15), "Re(Y)/Ohm-1": _fmt(y.real), "Im(Y)/Ohm-1": _fmt(y.imag),
            "|Y|/Ohm-1": _fmt(np.abs(y)), "Phase(Y)/deg": _fmt(-phase), "dq/mA.h": _fmt(zeros, 15),
        }
        return cols

    _require(df, ("time_s", "potential_V", "current_A"), tech, path)
    e = df["potential_V"].to_numpy(float)
    i = df["current_A"].to_numpy(float)
    q = _col(df, "charge_C", np.nan) if "charge_C" in df.columns else _cumulative_charge(t, i)
    dq = np.concatenate([[0.0], np.diff(q)])
    step = _col(df, "step", 0.0)
    cyc = _col(df, "cycle", 0.0)
    oxred = (i > 0).astype(int)
    ns_changes = np.concatenate([[0], (np.diff(step) != 0).astype(int)])
    ctrl_changes = np.concatenate([[1], (np.diff(np.sign(i)) != 0).astype(int)])
    power = e * i

    if tech == "CA":
        half = _half_cycles(i)
        qhc = _charge_in_segments(q, half)
        cols = {
            "mode": _fmt_int(np.full(n, 2)), "ox/red": _fmt_int(oxred), "error": _fmt_int(zeros),
            "control changes": _fmt_int(ctrl_changes), "Ns changes": _fmt_int(ns_changes),
            "counter inc.": _fmt_int(zeros), "Ns": _fmt_int(step), "time/s": _fmt(t, 15),
            "control/V": _fmt(_col(df, "control_V", np.nan) if "control_V" in df.columns else e),
            "Ewe/V": _fmt(e), "I/mA": _fmt(i * 1e3), "dQ/C": _fmt(dq), "(Q-Qo)/C": _fmt(q),
            "I Range": _fmt_int(np.full(n, 23)), "Q charge/discharge/mA.h": _fmt(qhc / 3.6, 15),
            "half cycle": _fmt_int(half), "cycle number": _fmt(cyc, 15), "P/W": _fmt(power),
        }
    elif tech in ("CV", "LSV"):
        ctrl = _col(df, "control_V", np.nan) if "control_V" in df.columns else e
        cols = {
            "mode": _fmt_int(np.full(n, 2)), "ox/red": _fmt_int(oxred), "error": _fmt_int(zeros),
            "control changes": _fmt_int(zeros), "counter inc.": _fmt_int(zeros), "time/s": _fmt(t, 15),
            "control/V": _fmt(ctrl), "Ewe/V": _fmt(e), "<I>/mA": _fmt(i * 1e3, 15),
            "cycle number": _fmt(cyc if "cycle" in df.columns else np.ones(n), 15), "(Q-Qo)/C": _fmt(q),
            "P/W": _fmt(power),
        }
        if tech == "LSV":
            cols.pop("cycle number")
    elif tech in ("GCPL", "CP"):
        half = _half_cycles(i)
        qhc = _charge_in_segments(q, half)
        mode = np.where(i == 0, 3, 1)
        qd = np.where(i < 0, -qhc, 0.0)
        qc = np.where(i > 0, qhc, 0.0)
        cols = {
            "mode": _fmt_int(mode), "ox/red": _fmt_int(oxred), "error": _fmt_int(zeros),
            "control changes": _fmt_int(ctrl_changes), "Ns changes": _fmt_int(ns_changes),
            "counter inc.": _fmt_int(zeros), "Ns": _fmt_int(step), "time/s": _fmt(t, 15),
            "dq/mA.h": _fmt(dq / 3.6, 15), "(Q-Qo)/mA.h": _fmt(q / 3.6, 15), "control/V/mA": _fmt(i * 1e3),
            "Ewe/V": _fmt(e), "I Range": _fmt_int(np.full(n, 39)), "Q charge/discharge/mA.h": _fmt(qhc / 3.6, 15),
            "half cycle": _fmt_int(half), "P/W": _fmt(power), "<I>/mA": _fmt(i * 1e3, 15),
            "Q discharge/mA.h": _fmt(qd / 3.6, 15), "Q charge/mA.h": _fmt(qc / 3.6, 15),
            "Capacity/mA.h": _fmt(np.abs(qhc) / 3.6, 15), "cycle number": _fmt(cyc, 15),
        }
        if tech == "CP":
            cols.pop("Q discharge/mA.h")
            cols.pop("Q charge/mA.h")
    elif tech == "OCV":
        cols = {"mode": _fmt_int(np.full(n, 3)), "error": _fmt_int(zeros), "time/s": _fmt(t, 15),
                "Ewe/V": _fmt(e)}
    else:
        raise SselabError(f"{path}: cannot write technique {technique!r} as .mpt "
                          f"(known: {', '.join(sorted(MPT_TECHNIQUES))})")
    return cols


def _charge_in_segments(q: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Charge counted from the start of each segment (half cycle)."""
    out = np.empty_like(q)
    starts = np.concatenate([[0], np.where(np.diff(seg) != 0)[0] + 1, [len(q)]])
    for a, b in zip(starts[:-1], starts[1:]):
        out[a:b] = q[a:b] - q[a]
    return out


def write_mpt(path, df: pd.DataFrame, technique: str, *, start: datetime | None = None,
              comments: str | list[str] | None = None, settings: dict | None = None, device: str = "VMP3",
              channel: int = 1, area_m2: float | None = None, active_mass_kg: float | None = None,
              temperature_K: float | None = None, decimal: str = ".") -> Path:
    """Write ``df`` (canonical SI columns) as a BioLogic EC-Lab ``.mpt`` text export.

    ``technique`` is a canonical name (``EIS``/``PEIS``, ``GEIS``, ``CA``, ``CP``, ``CV``, ``LSV``, ``GCPL``,
    ``OCV``).  Currents are written in mA, charges in mA.h (or C where EC-Lab uses C), impedance as ``Re(Z)/Ohm``
    and ``-Im(Z)/Ohm`` (EC-Lab's sign convention).  ``temperature_K`` is written as a ``Comments`` line
    (``Comments : 30.0°C``) as users commonly do.  ``decimal=","`` mimics a European-locale export.  The file is
    CRLF-terminated latin-1, written atomically.  Returns the path.
    """
    path = Path(path)
    tech = technique.upper()
    if tech not in MPT_TECHNIQUES:
        raise SselabError(f"{path}: cannot write technique {technique!r} as .mpt "
                          f"(known: {', '.join(sorted(MPT_TECHNIQUES))})")
    cols = _mpt_columns(tech, df, path)
    start = start or datetime(2024, 3, 4, 10, 15, 0)
    comment_lines = [comments] if isinstance(comments, str) else list(comments or [])
    if temperature_K is not None:
        comment_lines.insert(0, f"{temperature_K - 273.15:.1f}°C")
    if not comment_lines:
        comment_lines = [""]

    pre = [
        "EC-Lab ASCII FILE",
        None,  # Nb header lines
        "",
        MPT_TECHNIQUES[tech],
        "",
        f"Run on channel : {channel} (SN 36642)",
        "User : ",
        "CE vs. WE compliance from -10 V to 10 V",
        "Electrode connection : standard",
        "Potential control : Ewe",
        "Ewe ctrl range : min = -10.00 V, max = 10.00 V",
        "Safety Limits :",
        "\tDo not start on E overload",
        f"Acquisition started on : {start:%m/%d/%Y %H:%M:%S}.000",
        "Loaded Setting File : NONE",
        "Saved on :",
        f"\tFile : {path.stem}.mpr",
        "\tDirectory : C:\\Users\\lab\\Documents\\EC-Lab\\Data\\sselab\\",
        "\tHost : 192.168.0.10",
        f"Device : {_DEVICES.get(device, device)}",
        "Address : 192.168.0.11",
        "EC-Lab for windows v11.43 (software)",
        "Internet server v11.40 (firmware)",
        "Command interpretor v11.40 (firmware)",
        "Electrode material : ",
        "Initial state : ",
        "Electrolyte : ",
        *[f"Comments : {c}" for c in comment_lines],
    ]
    if active_mass_kg is not None:
        pre += [
            f"Mass of active material : {active_mass_kg * 1e6:.3f} mg",
            " at x = 0.000",
            "Molecular weight of active material (at x = 0) : 0.001 g/mol",
            "Atomic weight of intercalated ion : 0.001 g/mol",
            "Acquisition started at : xo = 0.000",
            "Number of e- transfered per intercalated ion : 1",
        ]
    pre += [
        f"Electrode surface area : {(area_m2 * 1e4) if area_m2 else 0.001:.3f} cm²",
        f"Characteristic mass : {(active_mass_kg * 1e6) if active_mass_kg else 0.001:.3f} mg",
        "Volume (V) : 0.000 cm³",
        "Cycle Definition : Charge/Discharge alternance",
    ]
    pre += _settings_block(tech, df, settings)
    pre.append("")
    names = list(cols)
    header_line = "\t".join(names) + "\t"
    n_header = len(pre) + 1
    pre[1] = f"Nb header lines : {n_header}".ljust(46)

    body_text = _three_digit_exponents(_format_rows([cols[k] for k in names]))
    if decimal != ".":
        body_text = body_text.replace(".", decimal)
    text = "\r\n".join(pre + [header_line]) + "\r\n" + (body_text + "\r\n" if len(df) else "")
    return _atomic_write_bytes(path, text.encode("latin-1", errors="replace"))


# ---------------------------------------------------------------------------------------------------------------
# ZView .z
# ---------------------------------------------------------------------------------------------------------------

def write_zview(path, f, Z, *, amplitude_V: float = 0.1, time_s=None, start: datetime | None = None,
                temperature_K: float | None = None, comment: str | None = None) -> Path:
    """Write a Scribner ZPlot/ZView ``.z`` file (``Freq(Hz)  Ampl  Bias  Time(Sec)  Z'(a)  Z''(b)  GD  Err  Range``).

    ``Z`` is complex with its mathematical sign (capacitive ``Z.imag < 0``), which is also how ZView stores Z''.
    """
    path = Path(path)
    f = np.asarray(f, dtype=float)
    Z = np.asarray(Z, dtype=complex)
    if f.shape != Z.shape:
        raise SselabError(f"{path}: frequency and impedance arrays differ in length ({f.size} vs {Z.size})")
    start = start or datetime(2024, 3, 4, 10, 15, 0)
    t = np.asarray(time_s, dtype=float) if time_s is not None else np.cumsum(np.maximum(1.0 / f, 0.05) * 3 + 0.5)
    comments = []
    if temperature_K is not None:
        comments.append(f"T = {temperature_K - 273.15:.1f} C")
    if comment:
        comments.append(comment)
    head = [
        "ZPLOT2 ASCII",
        "  Measured Data, ZPlot:       3.5f",
        "  Experiment Type:            Sweep Frequency, Control Voltage",
        f"  Date:                       {start:%m-%d-%Y}",
        f"  Time:                       {start:%H:%M:%S}",
        "  Open Circuit Potential (V): 0.0012",
        f"  Begin User Comments:        {len(comments)}",
        *[f"    {c}" for c in comments],
        f"  End User Comments:          {len(comments)}",
        "  Begin Experiment:           0",
        "    Potential-DC:             0",
        "    Potential-DC Type:        1",
        f"    Potential-AC:             {amplitude_V * 1e3:g}",
        "  End Experiment:             0",
        f"  Data Points:                {f.size}",
        "  Freq(Hz)\tAmpl\tBias\tTime(Sec)\tZ'(a)\tZ''(b)\tGD\tErr\tRange",
        "End Comments",
    ]
    n = f.size
    cols = [
        pd.Series(np.char.mod("%.6E", f)),
        pd.Series(np.char.mod("%.4E", np.full(n, amplitude_V))),
        pd.Series(np.char.mod("%.4E", np.zeros(n))),
        pd.Series(np.char.mod("%.6E", t[:n])),
        pd.Series(np.char.mod("%.6E", Z.real)),
        pd.Series(np.char.mod("%.6E", Z.imag)),
        pd.Series(np.char.mod("%.4E", np.zeros(n))),
        pd.Series(["0"] * n),
        pd.Series(["3"] * n),
    ]
    rows = pd.concat(cols, axis=1).astype(str).agg("\t".join, axis=1).tolist() if n else []
    text = "\r\n".join(head + rows) + "\r\n"
    return _atomic_write_bytes(path, text.encode("latin-1", errors="replace"))


# ---------------------------------------------------------------------------------------------------------------
# canonical CSV
# ---------------------------------------------------------------------------------------------------------------

def write_csv(path, df: pd.DataFrame, columns=None) -> Path:
    """Write ``df`` with sselab's canonical SI column names (``time_s``, ``potential_V`` ...) as a plain CSV."""
    from ..io.base import CANONICAL_COLUMNS

    path = Path(path)
    if columns is None:
        columns = [c for c in CANONICAL_COLUMNS if c in df.columns]
    if not columns:
        raise SselabError(f"{path}: no canonical columns to write (have: {', '.join(map(str, df.columns))})")
    text = df[list(columns)].to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return _atomic_write_bytes(path, text.encode("utf-8"))
