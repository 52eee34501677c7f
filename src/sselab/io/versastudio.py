"""Princeton Applied Research VersaStudio ``.par`` files (XML-like sections; data in ``<SegmentN>`` blocks)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, ReaderError
from ._common import imag_sign_looks_flipped, read_text, row_warning
from .base import Measurement, ReadWarning

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


_NUMERIC_ROW = re.compile(r"[\d.eE+\-, \t]+")
_OPEN = re.compile(r"<Segment(\d{1,9})>")


def _segments(text: str):
    """``[(number, block, first line of the block)]`` and the (number, line) of an unclosed segment, if any.

    One linear scan (a regex with a back-reference over the whole text is quadratic on damaged files)."""
    out = []
    pos = 0
    line = 1
    while True:
        m = _OPEN.search(text, pos)
        if m is None:
            return out, None
        line += text.count("\n", pos, m.end())
        close = f"</Segment{m.group(1)}>"
        end = text.find(close, m.end())
        if end < 0:
            return out, (m.group(1), line)
        out.append((m.group(1), text[m.end():end], line))
        line += text.count("\n", m.end(), end + len(close))
        pos = end + len(close)


def _action_names(lines: list[str]) -> list[str]:
    names, inside = [], False
    for ln in lines:
        s = ln.strip()
        if re.fullmatch(r"<Action\d+>", s):
            inside = True
        elif inside and s.startswith("Name="):
            names.append(s[5:])
            inside = False
        elif s.startswith("</Action"):
            inside = False
    return names


def _software(lines: list[str]) -> str | None:
    try:
        k = next(i for i, ln in enumerate(lines) if ln.strip() == "<Application>")
    except StopIteration:
        return None
    for i in range(k + 1, min(len(lines) - 1, k + 200)):
        if lines[i].startswith("Name=") and lines[i + 1].startswith("Version="):
            return f"{lines[i][5:].strip()} {lines[i + 1][8:].strip()}"
    return None


def read_par(path, **_) -> Measurement:
    path = Path(path)
    text = read_text(path)
    lines_all = text.split("\n")
    warn: list = []
    names = [n for n in _action_names(lines_all) if n.strip() and n.strip() != "Common"]
    software = _software(lines_all)
    segs, unclosed = _segments(text)
    if not segs:
        if unclosed is not None:
            raise ReaderError(path, f"VersaStudio segment {unclosed[0]} not closed (truncated file)", line=unclosed[1])
        raise EmptyFileError(path, "no <Segment> data block")
    if unclosed is not None:
        warn.append(ReadWarning(f"segment {unclosed[0]} is not closed (truncated file?): its rows are not read",
                                line=unclosed[1]))
    frames = []
    row_lines: list[int] = []
    for num, block, first in segs:
        lines = block.split("\n")
        try:
            d = next(ln for ln in lines if ln.startswith("Definition="))
        except StopIteration:
            continue
        cols = [c.strip() for c in d.split("=", 1)[1].split(",")]
        rows = []
        bad = []
        data_lines = [(first + k, ln) for k, ln in enumerate(lines) if ln.strip() and "=" not in ln]
        if data_lines:
            widths = [ln.count(",") + 1 for _n, ln in data_lines if _NUMERIC_ROW.fullmatch(ln.strip())]
            width = max(set(widths), key=widths.count) if widths else len(cols)
            if width < len(cols):  # the Definition line ends with extra items (e.g. a trailing ", 0")
                cols = cols[:width]
        seg_lines = []
        for ln_no, ln in data_lines:
            toks = ln.split(",")
            if len(toks) != len(cols):
                bad.append(ln_no)
                continue
            try:
                rows.append([float(t) for t in toks])
                seg_lines.append(ln_no)
            except ValueError:
                bad.append(ln_no)
        if bad:
            warn.append(row_warning(f"segment {num}: {len(bad)} malformed row(s) skipped", bad))
        if rows:
            df = pd.DataFrame(np.array(rows), columns=cols)
            df["step"] = int(num)
            frames.append(df)
            row_lines += seg_lines
    if not frames:
        raise EmptyFileError(path, "segments hold no data rows")
    raw = pd.concat(frames, ignore_index=True)
    out = {canon: raw[src].to_numpy(float) for src, canon in _COLS.items() if src in raw.columns}
    out["step"] = raw["step"].to_numpy(np.int64)
    data = pd.concat([pd.DataFrame(out), raw[[c for c in raw.columns if c not in _COLS and c != "step"]]], axis=1)
    lines_arr = np.asarray(row_lines, dtype=np.int64)
    technique = _technique(names[0]) if names else ("EIS" if "freq_Hz" in data and (data["freq_Hz"] > 0).any() else "unknown")
    if technique == "EIS" and "z_imag_ohm" in data:
        if imag_sign_looks_flipped(data["z_imag_ohm"].to_numpy(), data["freq_Hz"].to_numpy()):
            data["z_imag_ohm"] = -data["z_imag_ohm"]
            warn.append("Z Imag was mostly positive (stored as -Z''): negated to the mathematical sign")
    return Measurement(data=data, source=path, format="versastudio-par", technique=technique,
                       instrument="Princeton Applied Research", software_version=software, warnings=warn,
                       extra={"technique_raw": names[0] if names else None, "_row_lines": lines_arr})
