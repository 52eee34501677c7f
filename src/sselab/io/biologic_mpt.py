"""BioLogic EC-Lab / BT-Lab ``.mpt`` text exports — a fast pandas reader.

Copes with CRLF or LF line ends, latin-1 text, decimal comma or point (detected from the data, never assumed),
full, minimal (3-line) or absent headers, duplicated column names (EIS exports) and every technique.
"""
from __future__ import annotations

import io
import re
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, MissingColumnsError
from ._common import (UNCHECKED_LAST_ROW, has_decimal_comma, last_row_state, line_starts, nonblank_lines, read_bytes,
                      reader_error, row_warning)
from .base import Measurement, ReadWarning
from .biologic_common import (canonical_frame, canonical_technique, clean_names, sources_for, technique_from_columns,
                              technique_from_line)

MAGICS = (b"EC-Lab ASCII FILE", b"BT-Lab ASCII FILE")
_BOM = b"\xef\xbb\xbf"
_NB = re.compile(rb"Nb header lines\s*:\s*(\d+)")
_NONSPACE = re.compile(rb"\S")


def looks_like(head: bytes) -> bool:
    """EC-Lab header, or a headerless export whose first line is EC-Lab's tab-separated column names."""
    first = head.removeprefix(_BOM).split(b"\n", 1)[0].strip()
    if first.startswith(MAGICS):
        return True
    if b"\t" in first and (b"time/s" in first or b"freq/Hz" in first):
        return sum(tok.count(b"/") > 0 for tok in first.split(b"\t")) >= 2
    return False


def _parse_date(text: str) -> datetime | None:
    text = text.strip()
    for fmt in ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S.%f", "%d/%m/%Y %H:%M:%S",
                "%m.%d.%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S",
                "%m/%d/%y %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _tail_rows(body: bytes, n: int = 51) -> list[list[str]]:
    """The last ``n`` non-blank lines of the data block, split at tabs (trailing empty fields removed)."""
    lines = [ln for ln in body[-200000:].split(b"\n") if ln.strip(b" \r")]
    rows = []
    for ln in lines[-n:]:
        toks = ln.decode("latin-1").rstrip("\r").split("\t")
        while toks and not toks[-1].strip():
            toks.pop()
        rows.append(toks)
    return rows


def _tabs_per_line(body: bytes) -> np.ndarray:
    """Tab count of every line pandas turns into a row (blank lines left out), vectorised."""
    a = np.frombuffer(body, dtype=np.uint8)
    starts = line_starts(body)
    if starts[-1] == len(a):
        starts = starts[:-1]
    # int32 accumulator: numpy's reduceat is ~40x slower when it must cast uint8 to int64
    counts = np.add.reduceat((a == 9).view(np.uint8), starts, dtype=np.int32) if len(a) else np.zeros(0, np.int32)
    return counts[nonblank_lines(body)]


_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def read_mpt(path, columns=None, **_) -> Measurement:
    """Read an EC-Lab/BT-Lab text export; ``columns`` (canonical names) parses only the file columns they need."""
    path = Path(path)
    raw = read_bytes(path)
    raw = raw.removeprefix(_BOM)  # a UTF-8 byte-order mark (an editor's save); EC-Lab writes latin-1 without one
    if _NONSPACE.search(raw) is None:
        raise EmptyFileError(path, "file is empty")
    warn: list[str] = []
    # -- header -----------------------------------------------------------------------------------------------
    head_end = raw.find(b"\n", 0)
    first = raw[: head_end if head_end >= 0 else len(raw)].strip()
    header_lines: list[str] = []
    if first.startswith(MAGICS):
        m = _NB.search(raw[:4096])
        if not m:
            raise reader_error(path, "EC-Lab header without 'Nb header lines' — not a complete .mpt file")
        nb = int(m.group(1))
        # split the first nb lines off
        pos = 0
        for _i in range(nb):
            nxt = raw.find(b"\n", pos)
            if nxt < 0:
                if _i == nb - 1 and pos < len(raw):  # column line is the last line of the file
                    nxt = len(raw)
                else:
                    raise EmptyFileError(path, f"truncated: header announces {nb} lines, file ends inside it")
            header_lines.append(raw[pos:nxt].decode("latin-1").rstrip("\r"))
            pos = nxt + 1
        colline = header_lines[-1]
        data_start = pos
    else:
        nb = 1
        colline = first.decode("latin-1")
        data_start = head_end + 1 if head_end >= 0 else len(raw)
        warn.append("no EC-Lab header (column line only): technique inferred from the columns")
    fields = colline.rstrip("\r\n").split("\t")
    while fields and not fields[-1].strip():
        fields.pop()
    if not fields:
        raise reader_error(path, "no column names on the column line of the .mpt header")
    names = clean_names(fields)
    body = raw[data_start:]
    if _NONSPACE.search(body) is None:
        tech = next((technique_from_line(x) for x in header_lines[2:8] if technique_from_line(x)), None)
        raise EmptyFileError(path, f"header only, no data rows{f' ({tech} file)' if tech else ''}")
    # -- decimal separator from the first data lines (never assumed) ------------------------------------------
    sample = body[:20000].decode("latin-1").split("\n")[:50]
    toks = [t for ln in sample for t in ln.rstrip("\r").split("\t")]
    decimal = "," if has_decimal_comma(toks) else "."
    if decimal == ",":
        warn.append("decimal comma detected and converted")
    first_data = sample[0].rstrip("\r").split("\t")
    n_fields = len(first_data)
    all_names = list(names)
    if n_fields > len(names):
        all_names += [f"_pad{i}" for i in range(n_fields - len(names))]
    first_line = nb + 1  # 1-based line of the file where the data block starts
    # -- truncated last line -------------------------------------------------------------------------------------
    ends_complete = raw.endswith(b"\n") or not body[body.rfind(b"\n") + 1:].strip(b" \r")
    state = "complete" if ends_complete else last_row_state(_tail_rows(body), False)
    # -- the fast part ---------------------------------------------------------------------------------------
    usecols = None
    if columns is not None:
        # only what the requested columns need, plus the last named column (a short row leaves it empty); rows
        # with an extra field are found by counting tabs (pandas does not check field counts under usecols)
        all_names = all_names[:n_fields]  # names past the data's width are never filled (pandas refuses them here)
        real = [n for n in all_names if not n.startswith("_pad")]
        need = (sources_for(columns, real) | ({"time/s"} & set(real)) | {real[-1]}) if real else set()
        usecols = sorted(all_names.index(n) for n in need) or None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = pd.read_csv(
                io.BytesIO(body), sep="\t", header=None, names=all_names, decimal=decimal, encoding="latin-1",
                engine="c", index_col=False, on_bad_lines="warn", skip_blank_lines=True, low_memory=False,
                usecols=usecols,
            )
    except pd.errors.EmptyDataError:
        raise EmptyFileError(path, "no data rows") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise reader_error(path, f"cannot parse the data block: {exc}") from None
    # rows with more fields than the header: pandas skips them; say where (never lose a row silently)
    skipped = [int(m.group(1)) - 1 for w in caught for m in _SKIPPED.finditer(str(w.message))]
    if skipped:
        warn.append(row_warning(f"{len(skipped)} row(s) with more fields than the {len(all_names)} columns skipped",
                                [first_line + k for k in skipped]))

    def row_lines() -> np.ndarray:
        """1-based file line of every row pandas returned (blank lines skipped, over-long rows left out)."""
        nb_lines = nonblank_lines(body)
        if skipped:
            nb_lines = np.setdiff1d(nb_lines, np.asarray(skipped), assume_unique=True)
        return nb_lines[: len(df_all)] + first_line

    df_all = df
    if usecols is not None and len(df):
        tabs_first = sample[0].count("\t")
        last_named = [c for c in df.columns if not str(c).startswith("_pad")][-1:]
        short = bool(last_named) and bool(df[last_named[0]].isna().any())  # a short row may hide a long one
        trailing_tab = sample[0].rstrip("\r").endswith("\t")
        ends = (body.count(b"\t\n") + body.count(b"\t\r\n") + (body.rstrip(b"\r\n").endswith(b"\t") and
                not body.endswith(b"\n"))) if trailing_tab else None
        if short or body.count(b"\t") != tabs_first * len(df) or (ends is not None and ends != len(df)):
            per_line = _tabs_per_line(body)
            long_rows = np.flatnonzero(per_line[: len(df)] > max(tabs_first, len(all_names) - 1))
            if len(long_rows):
                warn.append(row_warning(f"{len(long_rows)} row(s) with more fields than the {len(all_names)} "
                                        "columns skipped", row_lines()[long_rows]))
                df = df.drop(index=df.index[long_rows])
    pads = [c for c in df.columns if str(c).startswith("_pad")]
    if pads:
        extra_field = df[pads].notna().any(axis=1).to_numpy()
        if extra_field.any() and extra_field.mean() < 0.5:
            lines = row_lines()[extra_field]
            warn.append(row_warning(f"{int(extra_field.sum())} row(s) with a value beyond the last named column "
                                    "dropped", lines))
            df = df.loc[~extra_field]
        df = df[[c for c in df.columns if not str(c).startswith("_pad")]]
    if state != "complete" and len(df):
        last_line = first_line + body.count(b"\n")
        if state == "partial":
            df = df.iloc[:-1]
            warn.append(ReadWarning("file ends inside the last data line (truncated): that row dropped", line=last_line))
        else:
            warn.append(ReadWarning(UNCHECKED_LAST_ROW, line=last_line))
    # BT-Lab "timestamped" exports write absolute date-times in the time/s column
    abs_start = None
    if "time/s" in df.columns and not pd.api.types.is_numeric_dtype(df["time/s"]):
        ts = pd.to_datetime(df["time/s"], errors="coerce", format="mixed", dayfirst=False)
        if ts.notna().mean() > 0.9:
            abs_start = ts.dropna().iloc[0].to_pydatetime()
            df["time/s"] = (ts - ts.dropna().iloc[0]).dt.total_seconds()
            warn.append("absolute time stamps in time/s converted to seconds since the first point")
    # non-numeric cells -> NaN rows dropped (with a warning naming the lines), never misread
    bad = np.zeros(len(df), bool)
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            conv = pd.to_numeric(df[c].astype(str).str.replace(",", ".", regex=False) if decimal == "," else df[c],
                                 errors="coerce")
            newly = conv.isna() & df[c].notna()
            bad |= newly.to_numpy()
            df[c] = conv
    # rows shorter than the header (partial lines) leave NaN where every other row has a number
    if len(df) > 1:
        filled = df.columns[df.notna().any(axis=0).to_numpy()]
        bad |= df[filled].isna().any(axis=1).to_numpy()
    if bad.any():
        pos = df.index.to_numpy()[bad]
        warn.append(row_warning(f"{int(bad.sum())} malformed row(s) (missing or non-numeric fields) dropped",
                                row_lines()[pos]))
        df = df.loc[~bad]
    if len(df) == 0:
        raise EmptyFileError(path, "no readable data rows")
    kept = df.index.to_numpy()
    # -- header metadata ---------------------------------------------------------------------------------------
    short = None
    version = instrument = None
    start = None
    for ln in header_lines[2:8]:
        short = technique_from_line(ln)
        if short:
            break
    if header_lines and short is None:
        # a technique line we do not know: keep its text
        cand = header_lines[3].strip() if len(header_lines) > 4 else ""
        if cand:
            warn.append(f"unknown EC-Lab technique line {cand!r}")
    for ln in header_lines:
        s = ln.strip()
        mm = re.match(r"(EC-Lab|BT-Lab)(?: for windows)? v?([\d.]+\w*)\s*\(software\)", s, re.I)
        if mm:
            version = f"{mm.group(1)} {mm.group(2)}"
        elif s.startswith("Device :"):
            instrument = s.split(":", 1)[1].strip()
        elif s.startswith("Acquisition started on :") and start is None:
            start = _parse_date(s.split(":", 1)[1])
    if start is None and abs_start is not None:
        start = abs_start
    inferred = False
    if short is None:
        short = technique_from_columns(names)
        inferred = True
        if header_lines:
            warn.append("no technique line in the header: technique inferred from the columns")
    data, notes = canonical_frame(df, want=columns)
    warn.extend(notes)
    if not {"time_s"} & set(data.columns) and "freq_Hz" not in data.columns:
        raise MissingColumnsError(path, f"no time/s or freq/Hz column (columns: {', '.join(names[:8])}...)")
    # plausibility: misread decimals give absurd potentials
    if "potential_V" in data.columns and len(data):
        vmax = float(np.nanmax(np.abs(data["potential_V"].to_numpy(float)))) if data["potential_V"].notna().any() else 0
        if vmax > 1000:
            warn.append(f"implausible potentials (|E| up to {vmax:.3g} V) — check the decimal separator")
    meas = Measurement(
        data=data, source=path, format="biologic-mpt", technique=canonical_technique(short), instrument=instrument,
        software_version=version, start_time=start, warnings=warn,
        extra={"technique_raw": short, "technique_inferred": inferred, "decimal": decimal,
               "line_ending": "CRLF" if b"\r\n" in raw[:4096] else "LF", "header_lines": nb,
               "_row_lines": lambda: row_lines()[kept],
               "data_lines": (first_line, first_line + body.count(b"\n") - (1 if body.endswith(b"\n") else 0))},
    )
    return meas
