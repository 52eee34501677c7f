"""Princeton Applied Research VersaStudio ``.par`` files (XML-like sections; data in ``<SegmentN>`` blocks)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError
from ._common import imag_sign_looks_flipped, read_text, reader_error
from .base import Measurement

_COLS = {
    "Elapsed Time(s)": "time_s", "E(V)": "potential_V", "I(A)": "current_A", "Frequency(Hz)": "freq_Hz",
    "Z Real": "z_real_ohm", "Z Imag": "z_imag_ohm",
}


def looks_like(head: bytes) -> bool:
    h = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return h.startswith(b"<Application>") and (b"VersaStudio" in h or b"<Action" in h or b"Segment" in h)


def _technique(name: str) -> str:
    n = name.lower()
    if "eis" in n or "impedance" in n:
        return "EIS"
    for key, tech in (("cyclic", "CV"), ("linear sweep", "LSV"), ("chronoamp", "CA"), ("potentiostatic", "CA"),
                      ("chronopot", "CP"), ("galvanostatic", "CP"), ("open circuit", "OCV")):
        if key in n:
            return tech
    return "unknown"


def read_par(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    warn: list[str] = []
    names = re.findall(r"<Action\d+>.*?\nName=([^\n]*)", text, re.S)
    names = [n for n in names if n.strip() and n.strip() != "Common"]
    software = None
    m = re.search(r"<Application>.*?Name=([^\n]*)\nVersion=([^\n]*)", text, re.S)
    if m:
        software = f"{m.group(1).strip()} {m.group(2).strip()}"
    segs = re.findall(r"<Segment(\d+)>\s*\n(.*?)</Segment\1>", text, re.S)
    if not segs:
        if "<Segment" in text:
            raise reader_error(path, "VersaStudio segment not closed (truncated file)")
        raise EmptyFileError(path, "no <Segment> data block")
    frames = []
    for num, block in segs:
        lines = block.split("\n")
        try:
            d = next(ln for ln in lines if ln.startswith("Definition="))
        except StopIteration:
            continue
        cols = [c.strip() for c in d.split("=", 1)[1].split(",")]
        rows = []
        bad = 0
        data_lines = [ln for ln in lines if ln.strip() and "=" not in ln]
        if data_lines:
            width = len(data_lines[0].split(","))
            if width < len(cols):  # the Definition line ends with extra items (e.g. a trailing ", 0")
                cols = cols[:width]
        for ln in data_lines:
            toks = ln.split(",")
            if len(toks) != len(cols):
                bad += 1
                continue
            try:
                rows.append([float(t) for t in toks])
            except ValueError:
                bad += 1
        if bad:
            warn.append(f"segment {num}: {bad} malformed row(s) skipped")
        if rows:
            df = pd.DataFrame(np.array(rows), columns=cols)
            df["step"] = int(num)
            frames.append(df)
    if not frames:
        raise EmptyFileError(path, "segments hold no data rows")
    raw = pd.concat(frames, ignore_index=True)
    out = {canon: raw[src].to_numpy(float) for src, canon in _COLS.items() if src in raw.columns}
    out["step"] = raw["step"].to_numpy(np.int64)
    data = pd.concat([pd.DataFrame(out), raw[[c for c in raw.columns if c not in _COLS and c != "step"]]], axis=1)
    technique = _technique(names[0]) if names else ("EIS" if "freq_Hz" in data and (data["freq_Hz"] > 0).any() else "unknown")
    if technique == "EIS" and "z_imag_ohm" in data:
        keep = data["freq_Hz"].to_numpy(float) > 0
        if not keep.all():
            warn.append(f"{int((~keep).sum())} non-impedance row(s) (frequency 0) dropped")
            data = data.loc[keep].reset_index(drop=True)
        if imag_sign_looks_flipped(data["z_imag_ohm"].to_numpy(), data["freq_Hz"].to_numpy()):
            data["z_imag_ohm"] = -data["z_imag_ohm"]
            warn.append("Z Imag was mostly positive (stored as -Z''): negated to the mathematical sign")
    return Measurement(data=data, source=path, format="versastudio-par", technique=technique,
                       instrument="Princeton Applied Research", software_version=software, warnings=warn,
                       extra={"technique_raw": names[0] if names else None})
