"""BioLogic (EC-Lab / BT-Lab) knowledge shared by the ``.mpt`` and ``.mpr`` readers: techniques and columns."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._common import to_int_column, unit_factor

#: technique line of an .mpt header -> EC-Lab short name
TECHNIQUE_LINES = {
    "potentio electrochemical impedance spectroscopy": "PEIS",
    "galvano electrochemical impedance spectroscopy": "GEIS",
    "staircase potentio electrochemical impedance spectroscopy": "SPEIS",
    "staircase galvano electrochemical impedance spectroscopy": "SGEIS",
    "chronoamperometry / chronocoulometry": "CA",
    "chronoamperometry": "CA",
    "chronopotentiometry": "CP",
    "cyclic voltammetry": "CV",
    "cyclic voltammetry advanced": "CVA",
    "linear sweep voltammetry": "LSV",
    "galvanostatic cycling with potential limitation": "GCPL",
    "potentiodynamic cycling with galvanostatic acceleration": "PCGA",
    "open circuit voltage": "OCV",
    "modulo bat": "MB",
    "ir compensation (peis)": "ZIR",
    "ir compensation (geis)": "ZIR",
    "wait": "WAIT",
    "battery capacity determination": "BCD",
    "constant current": "coC",
    "constant voltage": "coV",
    "constant power": "coP",
    "constant load": "coR",
    "modular potentio": "MP",
    "modular galvano": "MG",
    "linear polarization": "LP",
    "loop": "LOOP",
}

#: first byte of the .mpr settings module -> EC-Lab short name (established on the real files of known technique)
MPR_TECHNIQUE_IDS = {
    4: "GCPL", 6: "CV", 11: "OCV", 22: "MP", 24: "CA", 25: "CP", 28: "WAIT", 29: "PEIS", 30: "GEIS", 50: "ZIR",
    51: "CVA", 108: "LSV", 117: "coV", 118: "coC", 119: "GCPL", 127: "MB", 136: "BCD",
}

#: EC-Lab short name -> sselab canonical technique
CANONICAL = {
    "PEIS": "EIS", "GEIS": "EIS", "SPEIS": "EIS", "SGEIS": "EIS",
    "CA": "CA", "coV": "CA", "MP": "CA",
    "CP": "CP", "coC": "CP", "MG": "CP",
    "CV": "CV", "CVA": "CV",
    "LSV": "LSV", "LP": "LSV",
    "GCPL": "GCPL", "PCGA": "CYCLING", "BCD": "CYCLING",
    "OCV": "OCV", "MB": "MB", "ZIR": "ZIR", "WAIT": "WAIT",
}


def technique_from_line(line: str) -> str | None:
    return TECHNIQUE_LINES.get(line.strip().lower())


def technique_from_columns(columns) -> str:
    """Best guess of the technique from the column set (used when the file does not say)."""
    cols = set(columns)
    if "freq/Hz" in cols:
        return "PEIS" if "control/V" in cols or "<Ewe>/V" in cols else "GEIS"
    if "half cycle" in cols or "Q charge/discharge/mA.h" in cols:
        return "GCPL"
    if "control/V" in cols and ("cycle number" in cols):
        return "CV"
    if "control/mA" in cols:
        return "CP"
    if "control/V" in cols:
        return "CA"
    if "I/mA" not in cols and "<I>/mA" not in cols and ("Ewe/V" in cols or "Ecell/V" in cols):
        return "OCV"
    return "unknown"


# canonical column <- candidate source columns (first present wins)
_SOURCES = {
    "time_s": ["time/s"],
    "potential_V": ["Ewe/V", "Ecell/V", "<Ewe>/V", "<Ewe/V>", "<Ecell>/V"],
    "current_A": ["I/mA", "<I>/mA", "I/A", "<I>/A", "I/uA", "I/µA"],
    "freq_Hz": ["freq/Hz"],
    "z_real_ohm": ["Re(Z)/Ohm"],
    "charge_C": ["(Q-Qo)/C", "(Q-Qo)/mA.h"],
    "control_V": ["control/V"],
    "control_A": ["control/mA", "control/A", "control/uA", "control/µA"],
    "ewe_ece_V": ["Ewe-Ece/V", "<Ewe-Ece>/V"],
}

# localized / variant spellings -> EC-Lab English names
_ALIASES = {
    "temps/s": "time/s", "zeit/s": "time/s", "tiempo/s": "time/s",
    "numéro de cycle": "cycle number", "cycle numéro": "cycle number", "zyklusnummer": "cycle number",
    "fréq/Hz": "freq/Hz", "freq./Hz": "freq/Hz", "frequency/Hz": "freq/Hz",
    "Im(Z)/Ohm": "Im(Z)/Ohm",
}


def clean_names(names: list[str]) -> list[str]:
    """Strip, translate aliases, repair mangled µ / ° and make duplicates unique (``I/mA``, ``I/mA#2``)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for n in names:
        n = n.strip()
        n = _ALIASES.get(n, n)
        n = n.replace("Âµ", "µ").replace("Â°", "°")
        if n.startswith("Temperature/") or n.startswith("Temp/"):
            n = "Temperature/°C" if n.rstrip().endswith("C") and not n.rstrip().endswith("/C") else n
        # a lost micro sign (file passed through a wrong code page): EC-Lab only writes µ before F, A, V, s, C
        n = re.sub(r"(ï¿½|\ufffd|\?)(?=(F|A|V|s|C|A\.h|F-2)$)", "µ", n)
        k = seen.get(n, 0) + 1
        seen[n] = k
        out.append(n if k == 1 else f"{n}#{k}")
    return out


_IMAG = ("-Im(Z)/Ohm", "Im(Z)/Ohm")
_DQ = ("dq/mA.h", "dQ/mA.h", "dQ/C", "dq/C")


def _first_source(canon: str, cols) -> str | None:
    for src in _SOURCES.get(canon, ()):
        if src in cols and unit_factor(src.split("/", 1)[1].strip("<> ") if "/" in src else "") is not None:
            return src
    return None


def sources_for(want, cols) -> set[str]:
    """The file columns :func:`canonical_frame` needs to make the canonical columns ``want`` (for ``usecols``)."""
    cols = set(cols)
    need: set[str] = set()
    for canon in set(want) | ({"time_s"} if "current_A" in want else set()):
        src = _first_source(canon, cols)
        if src:
            need.add(src)
    if {"z_real_ohm", "z_imag_ohm"} & set(want):
        need |= {c for c in ("Re(Z)/Ohm", *_IMAG, "|Z|/Ohm", "Phase(Z)/deg", "freq/Hz") if c in cols}
    if "current_A" in want and _first_source("current_A", cols) is None:
        need |= {c for c in _DQ if c in cols}
    if "cycle" in want:
        need |= {c for c in ("cycle number", "half cycle") if c in cols}
    if "step" in want and "Ns" in cols:
        need.add("Ns")
    if "temperature_K" in want and "Temperature/°C" in cols:
        need.add("Temperature/°C")
    return need


def canonical_frame(raw, want=None, keep_float32: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Canonical SI columns first, then (when ``want`` is None) the remaining original columns unchanged.

    ``raw`` is a DataFrame or a mapping name -> array (the .mpr reader's columns, never copied into a frame);
    ``want`` restricts the result to those canonical columns; ``keep_float32`` keeps columns the instrument stored
    as float32 in float32 (no invented precision, half the memory).  Returns (frame, notes)."""
    notes: list[str] = []
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()
    is_frame = isinstance(raw, pd.DataFrame)
    cols = list(raw.columns) if is_frame else list(raw)
    want_set = None if want is None else set(want)

    def wanted(*names) -> bool:
        return want_set is None or bool(want_set & set(names))

    def get(src: str) -> np.ndarray:
        v = raw[src].to_numpy() if is_frame else np.asarray(raw[src])
        if v.dtype == np.float32 and keep_float32:
            return v
        return v.astype(np.float64, copy=False) if v.dtype != np.float64 else v

    def series(src: str) -> pd.Series:
        return raw[src] if is_frame else pd.Series(np.asarray(raw[src]), name=src)

    for canon, sources in _SOURCES.items():
        if not wanted(canon) and not (canon == "time_s" and wanted("current_A")):
            continue
        for src in sources:
            if src in cols:
                unit = src.split("/", 1)[1].strip("<> ") if "/" in src else ""
                f = unit_factor(unit)
                if f is None:
                    notes.append(f"unknown unit in column {src!r}: not converted")
                    continue
                v = get(src)
                out[canon] = v * f if f != 1.0 else v
                used.add(src)
                break
    if wanted("z_real_ohm", "z_imag_ohm"):
        # imaginary part: EC-Lab stores -Im(Z)
        if "-Im(Z)/Ohm" in cols:
            out["z_imag_ohm"] = -get("-Im(Z)/Ohm")
            used.add("-Im(Z)/Ohm")
        elif "Im(Z)/Ohm" in cols:
            out["z_imag_ohm"] = get("Im(Z)/Ohm")
            used.add("Im(Z)/Ohm")
        if "z_imag_ohm" in out and "z_real_ohm" not in out:
            del out["z_imag_ohm"]
        # .mpr files of MB/GCPL-type techniques store |Z| and phase only
        if "z_real_ohm" not in out and "|Z|/Ohm" in cols and "Phase(Z)/deg" in cols and "freq/Hz" in cols:
            zm = get("|Z|/Ohm")
            ph = np.deg2rad(get("Phase(Z)/deg"))
            out["z_real_ohm"] = zm * np.cos(ph)
            out["z_imag_ohm"] = zm * np.sin(ph)
            notes.append("Z', Z'' computed from |Z| and Phase(Z)")
    # GCPL-type .mpr files store no current, only the charge increment dq per point
    if wanted("current_A") and "current_A" not in out and "time_s" in out:
        dq_col = next((c for c in _DQ if c in cols), None)
        if dq_col is not None:
            fac = 3.6 if dq_col.endswith("mA.h") else 1.0
            dq = get(dq_col).astype(np.float64) * fac
            t = out["time_s"]
            dt = np.diff(t, prepend=np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                cur = np.where(dt > 0, dq / dt, np.nan)
            cur[0] = 0.0 if dq[0] == 0 else np.nan
            out["current_A"] = cur
            notes.append(f"current_A derived from {dq_col} and the time steps (the file stores no current)")
    if want_set is not None and "time_s" in out and "time_s" not in want_set:
        del out["time_s"]
    if wanted("cycle"):
        if "cycle number" in cols:
            out["cycle"] = to_int_column(series("cycle number"), notes, "cycle number").array
            used.add("cycle number")
        elif "half cycle" in cols:
            # EC-Lab's exported "cycle number" is half cycle // 2 (checked on every real .mpt holding both)
            out["cycle"] = (to_int_column(series("half cycle"), notes, "half cycle") // 2).array
            notes.append("cycle derived from the half-cycle counter (half cycle // 2), as EC-Lab does on export")
    else:
        used.update(c for c in ("cycle number",) if c in cols)
    if wanted("step") and "Ns" in cols:
        out["step"] = to_int_column(series("Ns"), notes, "Ns").array
        used.add("Ns")
    if wanted("temperature_K") and "Temperature/°C" in cols:
        out["temperature_K"] = get("Temperature/°C") + 273.15
        used.add("Temperature/°C")
    index = raw.index if is_frame else None
    # copy=False: one block per column, no consolidation (copying a 2.7 M-row table into 2-D blocks cost a second)
    frame = pd.DataFrame(out, index=index, copy=False)
    if want_set is None:
        rest = [c for c in cols if c not in used and not str(c).startswith("_pad")]
        if rest:
            extra = raw[rest] if is_frame else pd.DataFrame({c: np.asarray(raw[c]) for c in rest}, index=index,
                                                            copy=False)
            frame = pd.concat([frame, extra], axis=1)
    if is_frame:
        frame = frame.reset_index(drop=True)
    return frame, notes


def canonical_technique(short: str | None) -> str:
    if short is None:
        return "unknown"
    return CANONICAL.get(short, "unknown")
