"""Every damaged-file recipe of issue 12 (found by fuzzing the real files) gives a correct read, a warning naming
file and line, or a one-line error — never a silently wrong number, a traceback or a hang.

Each test re-creates its recipe on a real file of ../shared/data/instruments and compares against the intact read
of the same file (the independent truth here).  Hang guards (SIGALRM) are generous (the operations take
milliseconds; the old quadratic code took minutes on these inputs): they catch hangs, they do not time anything.
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from conftest import shared_path

from sselab.errors import EmptyFileError, ReaderError
from sselab.io import detect, read
from sselab.io.base import ReadWarning

CANON = ("time_s", "potential_V", "current_A", "freq_Hz", "z_real_ohm", "z_imag_ohm", "temperature_K", "charge_C")


def _inst(*parts):
    return shared_path("data", "instruments", *parts)


@contextmanager
def no_hang(seconds: int):
    """Fail instead of hanging (SIGALRM; a no-op where signals are unavailable)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def boom(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _del_line(raw: bytes, k: int) -> bytes:
    """``sed 'kd'``: delete line k (1-based)."""
    lines = raw.split(b"\n")
    del lines[k - 1]
    return b"\n".join(lines)


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _one_line(exc, path):
    msg = str(exc)
    assert "\n" not in msg and str(path) in msg, msg
    return msg


def _lines_of(m):
    return [w.line for w in m.warnings if isinstance(w, ReadWarning) and w.line is not None]


def _canon(m):
    return {c: m.data[c].to_numpy(float) for c in CANON if c in m.data.columns}


def _assert_rows_equal(m, ref, rows=None):
    """``m``'s canonical columns equal ``ref``'s (restricted to ``rows`` of ref)."""
    a, b = _canon(m), _canon(ref)
    assert set(a) == set(b), (set(a), set(b))
    for c in a:
        want = b[c] if rows is None else b[c][rows]
        np.testing.assert_array_equal(a[c], want, err_msg=c)


# -- Autolab .dfr -----------------------------------------------------------------------------------------------------
def test_dfr_deleted_line_is_an_error_naming_the_line_never_a_shift(tmp_path):
    src = _inst("vyrjana+pyimpspec", "tests", "data.dfr")
    raw = src.read_bytes()
    for k in (4, 5, 100, 150, 264, 265):  # first values, `sed '100d'`, the last value, the trailer's first number
        p = _write(tmp_path, f"d{k}.dfr", _del_line(raw, k))
        with pytest.raises(ReaderError) as exc:
            read(p)
        msg = _one_line(exc.value, p)
        assert "missing or extra" in msg and exc.value.line is not None


def test_dfr_point_count_smaller_than_the_data_reads_every_point_and_warns(tmp_path):
    src = _inst("vyrjana+pyimpspec", "tests", "data.dfr")
    ref = read(src)
    raw = src.read_bytes()
    assert b"\n 29\n" in raw
    m = read(_write(tmp_path, "short.dfr", raw.replace(b"\n 29\n", b"\n 20\n", 1)))
    _assert_rows_equal(m, ref)
    assert 2 in _lines_of(m) and any("announces 20 points but holds 29" in w for w in m.warnings)


# -- Ivium .idf -----------------------------------------------------------------------------------------------------
def test_idf_short_primary_data_count_reads_every_row_and_warns(tmp_path):
    src = _inst("vyrjana+pyimpspec", "tests", "data.idf")
    ref = read(src)
    raw = src.read_bytes()
    old = b"primary_data    \r\n3         \r\n29 "
    assert old in raw
    m = read(_write(tmp_path, "short.idf", raw.replace(old, b"primary_data    \r\n3         \r\n20 ", 1)))
    assert len(m) == len(ref) == 29
    for c in ("freq_Hz", "z_real_ohm", "z_imag_ohm"):
        np.testing.assert_array_equal(m.data[c], ref.data[c])
    assert any("announces 20 points but 29 rows follow" in w for w in m.warnings) and _lines_of(m)


# -- EC-Lab .mpt and BioLogic text exports cut inside the last number -------------------------------------------------
@pytest.mark.parametrize("rel", [
    ("dgbowl+yadg", "tests", "test_x_eclab", "peis.mpt"),   # `head -c -1`
    ("dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt"),     # last 8.2563184E-010 read as 0.83
    ("ImperialCollegeLondon+PyProBE", "tests", "sample_data", "biologic", "Sample_data_biologic_timestamped.txt"),
])
def test_mpt_cut_inside_the_last_number_drops_that_row_with_a_warning(tmp_path, rel):
    src = _inst(*rel)
    ref = read(src)
    raw = src.read_bytes().rstrip(b"\r\n")
    last_tok = raw.rsplit(b"\t", 1)[1]
    for cut in range(1, len(last_tok)):
        p = _write(tmp_path, f"cut{cut}_{src.name}", raw[:-cut])
        m = read(p)
        assert len(m) == len(ref) - 1, (cut, len(m))
        _assert_rows_equal(m, ref, slice(0, len(m)))
        assert any("truncated" in w for w in m.warnings) and _lines_of(m)


@pytest.mark.parametrize("fmt,values", [
    ("{:.7E}", [1.5e-9 * (k + 1) for k in range(60)]),                  # EC-Lab fixed E-notation
    ("{:.4f}", [19.3 + 0.0125 * k for k in range(60)]),                  # fixed decimals (19.3 °C -> 1.93 °C before)
    ("{:d}", list(range(95, 155))),                                       # a point counter crossing a power of ten
    ("{!r}", [float(np.float32(1.0 + 0.37 * k)) for k in range(60)]),     # free format (Python repr)
])
def test_every_number_shape_cut_inside_the_last_field_is_caught_or_flagged(tmp_path, fmt, values):
    """For each shape and each cut point inside the last field: the last row is dropped with a warning, or kept
    with the "cannot be checked" warning — never kept silently with a different value."""
    head = ("EC-Lab ASCII FILE\r\nNb header lines : 4\r\n\r\nmode\ttime/s\tEwe/V\tI/mA\tTemperature/°C\r\n")
    body = "".join(f"2\t{10.0 * k:.15E}\t{0.1 + 1e-4 * k:.7E}\t{1e-3:.7E}\t{fmt.format(v)}\r\n"
                   for k, v in enumerate(values))
    raw = (head + body).encode("latin-1").rstrip(b"\r\n")
    full = read(_write(tmp_path, "full.mpt", raw + b"\r\n"))
    last = fmt.format(values[-1]).encode()
    for cut in range(1, len(last)):
        m = read(_write(tmp_path, f"c{cut}.mpt", raw[:-cut]))
        t_full = full.data["temperature_K"].to_numpy()
        t = m.data["temperature_K"].to_numpy()
        np.testing.assert_array_equal(t[: len(full) - 1], t_full[: len(full) - 1])
        if len(m) == len(full):
            assert t[-1] == t_full[-1] or any("cannot be checked" in w for w in m.warnings), (fmt, cut, t[-1])
        else:
            assert len(m) == len(full) - 1 and any("truncated" in w for w in m.warnings)


def test_mpt_row_with_an_extra_field_is_reported_with_its_line(tmp_path):
    src = _inst("dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt")
    ref = read(src)
    lines = src.read_bytes().split(b"\n")
    nb = int(lines[1].split(b":")[1])
    k = nb + 10  # 0-based index of the 11th data line; file line k + 1
    lines[k] = lines[k].rstrip(b"\r") + b"\t1.0\t2.0\r"
    m = read(_write(tmp_path, "extra.mpt", b"\n".join(lines)))
    assert len(m) == len(ref) - 1
    _assert_rows_equal(m, ref, np.r_[0:10, 11:len(ref)])
    assert k + 1 in _lines_of(m) and any("more fields" in w for w in m.warnings)


# -- cycler CSV --------------------------------------------------------------------------------------------------------
def test_cycler_csv_row_with_a_missing_field_is_reported_never_shifted(tmp_path):
    src = _inst("ImperialCollegeLondon+PyProBE", "tests", "sample_data", "arbin", "sample_data_arbin.csv")
    ref = read(src)
    lines = src.read_bytes().split(b"\n")
    hdr = lines[0].split(b",")
    ci = next(k for k, h in enumerate(hdr) if h.startswith(b"Current"))
    row = lines[3].split(b",")
    assert float(row[ci + 1]) > 3 and float(row[ci]) == 0  # 3.53 V next to 0 A: shifting read 0 V / 3.53 A
    del row[ci]
    lines[3] = b",".join(row)
    m = read(_write(tmp_path, "miss.csv", b"\n".join(lines)))
    assert len(m) == len(ref) - 1
    _assert_rows_equal(m, ref, np.r_[0:2, 3:len(ref)])
    assert 4 in _lines_of(m) and any("number of fields differs" in w for w in m.warnings)
    # an extra field likewise
    lines = src.read_bytes().split(b"\n")
    row = lines[5].split(b",")
    row.insert(ci, b"9.9")
    lines[5] = b",".join(row)
    m = read(_write(tmp_path, "extra.csv", b"\n".join(lines)))
    _assert_rows_equal(m, ref, np.r_[0:4, 5:len(ref)])
    assert 6 in _lines_of(m)


# -- non-finite tokens -------------------------------------------------------------------------------------------------
def test_nan_inf_and_overflow_tokens_are_counted_with_lines_and_never_reach_the_table(tmp_path):
    src = _inst("dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt")
    ref = read(src)
    raw = src.read_bytes().split(b"\n")
    nb = int(raw[1].split(b":")[1])
    names = raw[nb - 1].split(b"\t")
    ti, ei = names.index(b"time/s"), names.index(b"Ewe/V")
    edits = {nb + 3: (ti, b"nan"), nb + 5: (ti, b"inf"), nb + 7: (ei, b"1e400"), nb + 9: (ei, b"-inf")}
    for k, (col, tok) in edits.items():
        f = raw[k].split(b"\t")
        f[col] = tok
        raw[k] = b"\t".join(f)
    m = read(_write(tmp_path, "nonfinite.mpt", b"\n".join(raw)))
    num = m.data.select_dtypes("number").to_numpy(float)
    assert not np.isinf(num).any()
    assert np.isfinite(m.data["time_s"]).all()
    assert len(m) == len(ref) - 2  # the rows whose time is nan / inf dropped
    ewe = m.data["potential_V"].to_numpy()
    assert np.isnan(ewe).sum() == 2  # the potential overflow / -inf became "no value"
    text = " | ".join(m.warnings)
    assert "time_s" in text and "potential_V" in text
    ws = [w for w in m.warnings if "potential_V" in w]
    assert ws and ws[0].line == nb + 8  # the first bad potential is on file line nb+8 (0-based nb+7)


def test_nonfinite_impedance_points_are_dropped_with_their_lines(tmp_path):
    text = "freq_Hz,z_real_ohm,z_imag_ohm\n" + "".join(
        f"{f:.6g},{100 + k},{-10 - k}\n" for k, f in enumerate(np.logspace(5, 0, 12)))
    lines = text.split("\n")
    lines[3] = "1000,nan,-5"
    lines[6] = "100,1e999,-5"
    p = _write(tmp_path, "eis.csv", "\n".join(lines).encode())
    m = read(p)
    assert len(m) == 10 and np.isfinite(m.data[["freq_Hz", "z_real_ohm", "z_imag_ohm"]].to_numpy()).all()
    w = next(w for w in m.warnings if "dropped" in w)
    assert w.line == 4 and "lines 4, 7" in w


# -- crashes and hangs -------------------------------------------------------------------------------------------------
def test_duplicated_canonical_column_in_a_csv_header_is_one_line(tmp_path):
    text = "freq_Hz,z_real_ohm,z_imag_ohm,freq_Hz\n" + "".join(
        f"{f:.6g},{100 + k},{-10 - k},{k}\n" for k, f in enumerate(np.logspace(5, 0, 12)))
    p = _write(tmp_path, "dup.csv", text.encode())
    with pytest.raises(ReaderError) as exc:
        read(p)
    assert "freq_Hz" in _one_line(exc.value, p)


def test_mpt_with_a_column_renamed_to_a_canonical_name_is_one_line(tmp_path):
    src = _inst("dgbowl+yadg", "tests", "test_x_eclab", "peis.mpt")
    raw = src.read_bytes()
    assert b"|Z|/Ohm" in raw
    p = _write(tmp_path, "renamed.mpt", raw.replace(b"|Z|/Ohm", b"freq_Hz", 1))
    with pytest.raises(ReaderError) as exc:
        read(p)
    assert "freq_Hz" in _one_line(exc.value, p)


@pytest.mark.parametrize("k,what", [(60, "column-name line is missing"), (61, "unit line is missing")])
def test_gamry_curve_without_its_name_or_unit_line_reads_every_row(tmp_path, k, what):
    src = _inst("bcliang+gamry-parser", "tests", "cv_data.dta")
    ref = read(src)
    raw = src.read_bytes()
    assert raw.split(b"\n")[58].startswith(b"CURVE4")
    m = read(_write(tmp_path, f"cv{k}.dta", _del_line(raw, k)))
    _assert_rows_equal(m, ref)
    np.testing.assert_array_equal(m.data["cycle"], ref.data["cycle"])
    assert any(what in w for w in m.warnings) and _lines_of(m)


def test_gamry_deleted_data_row_shows_as_a_gap_in_the_point_numbers(tmp_path):
    src = _inst("bcliang+gamry-parser", "tests", "cv_data.dta")
    m = read(_write(tmp_path, "gap.dta", _del_line(src.read_bytes(), 56)))
    w = next(w for w in m.warnings if "point numbers" in w)
    assert w.line == 56


@pytest.mark.parametrize("kind", ["mpt", "csv"])
def test_400_digit_integer_next_to_an_empty_cell(tmp_path, kind):
    if kind == "mpt":
        src = _inst("dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt")
        raw = src.read_bytes().split(b"\n")
        nb = int(raw[1].split(b":")[1])
        ci = raw[nb - 1].split(b"\t").index(b"cycle number")
        for k, tok in ((nb + 2, b"1" * 400), (nb + 3, b"")):
            f = raw[k].split(b"\t")
            f[ci] = tok
            raw[k] = b"\t".join(f)
        p = _write(tmp_path, "big.mpt", b"\n".join(raw))
    else:
        src = _inst("ImperialCollegeLondon+PyProBE", "tests", "sample_data", "arbin", "sample_data_arbin.csv")
        raw = src.read_bytes().split(b"\n")
        ci = raw[0].split(b",").index(b"Cycle Index")
        for k, tok in ((2, b"1" * 400), (3, b"")):
            f = raw[k].split(b",")
            f[ci] = tok
            raw[k] = b",".join(f)
        p = _write(tmp_path, "big.csv", b"\n".join(raw))
    ref = read(src)
    m = read(p)
    cyc = m.data["cycle"]
    assert str(cyc.dtype) == "Int64" and cyc.isna().sum() >= 1  # the 400-digit "cycle" is no value, not inf
    assert abs(cyc.dropna().astype(float)).max() < 2 ** 53
    assert any("cycle" in w for w in m.warnings)
    # the row with the empty cell is kept (no cycle) or dropped with a warning naming its line; no other change
    t, t_ref = m.data["time_s"].to_numpy(), ref.data["time_s"].to_numpy()
    if len(t) == len(t_ref):
        np.testing.assert_array_equal(t, t_ref)
    else:
        assert len(t) == len(t_ref) - 1 and np.isin(t, t_ref).all()
        assert any("malformed" in w for w in m.warnings)


def test_versastudio_repeated_tags_stay_linear(tmp_path):
    src = _inst("ECSHackWeek+impedance.py", "data", "exampleDataVersaStudio.par")
    ref = read(src)
    raw = src.read_bytes()
    head = raw.split(b"<Segment1>")[0]
    with no_hang(30):
        p = _write(tmp_path, "open.par", head + b"<Segment1>\n" * 40000)
        with pytest.raises(ReaderError) as exc:
            read(p)
        assert "not closed" in _one_line(exc.value, p)
        p = _write(tmp_path, "actions.par", head + b"<Action1>\n" * 40000)
        with pytest.raises(ReaderError):
            read(p)
        p = _write(tmp_path, "many.par", raw.replace(b"<Segment1>", b"<Segment1>\n" * 8000, 1))
        m = read(p)
    _assert_rows_equal(m, ref)
    assert any("malformed" in w for w in m.warnings)


def test_a_million_delimiters_on_the_first_line(tmp_path):
    csv = _inst("ImperialCollegeLondon+PyProBE", "tests", "sample_data", "arbin", "sample_data_arbin.csv").read_bytes()
    with no_hang(20):
        for name, data in {"commas.csv": b"," * 10 ** 6 + b"\n" + csv, "alone.csv": b"," * 10 ** 6 + b"\n",
                           "tabs.txt": b"\t" * 10 ** 6 + b"\n" + csv}.items():
            p = _write(tmp_path, name, data)
            with pytest.raises(ReaderError) as exc:
                read(p)
            _one_line(exc.value, p)
            for fmt in ("cycler-csv", "text"):  # forced readers face the long line themselves
                try:
                    m = read(p, format=fmt)
                except ReaderError as exc:
                    _one_line(exc, p)
                else:  # the Arbin table under the long line is found
                    assert fmt == "cycler-csv" and name != "alone.csv" and len(m) == 13


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_and_devices_are_refused_without_opening_them(tmp_path):
    fifo = tmp_path / "pipe.mpt"
    os.mkfifo(fifo)
    with no_hang(20):
        for fn in (read, detect):
            with pytest.raises(ReaderError) as exc:
                fn(fifo)
            assert "FIFO" in _one_line(exc.value, fifo)
        with pytest.raises(ReaderError):
            read(fifo, format="biologic-mpt")
        if os.path.exists("/dev/null"):
            with pytest.raises(ReaderError, match="device"):
                read("/dev/null")
    with pytest.raises(ReaderError, match="directory"):
        read(tmp_path)


def test_size_limit_is_a_clear_one_line_error(tmp_path, monkeypatch):
    src = _inst("dgbowl+yadg", "tests", "test_x_eclab", "peis.mpt")
    with pytest.raises(ReaderError) as exc:
        read(src, max_bytes=1000)
    assert "limit" in _one_line(exc.value, src) and "SSELAB_MAX_FILE_BYTES" in str(exc.value)
    monkeypatch.setenv("SSELAB_MAX_FILE_BYTES", "1000")
    with pytest.raises(ReaderError, match="limit"):
        read(src)
    assert len(read(src, max_bytes=10 ** 7)) > 0  # an explicit limit wins over the environment


def test_library_warnings_never_reach_the_terminal(tmp_path, capfd):
    src = _inst("dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt")
    lines = src.read_bytes().split(b"\n")
    lines[200] = lines[200].rstrip(b"\r") + b"\t1\t2\t3\r"  # pandas would warn "Skipping line ..."
    p = _write(tmp_path, "w.mpt", b"\n".join(lines))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping read() fails the test
        m = read(p)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert any(w.line == 201 for w in m.warnings)


def test_negative_frequencies_are_named_not_called_zero(tmp_path):
    text = "freq_Hz,z_real_ohm,z_imag_ohm\n" + "".join(
        f"{-f:.6g},{100 + k},{-10 - k}\n" for k, f in enumerate(np.logspace(5, 0, 12)))
    p = _write(tmp_path, "neg.csv", text.encode())
    with pytest.raises(EmptyFileError) as exc:
        read(p)
    assert "negative" in _one_line(exc.value, p) and "every frequency is 0" not in str(exc.value)


# -- the warning format ------------------------------------------------------------------------------------------------
def test_warnings_are_structured_file_line_what(tmp_path):
    src = _inst("vyrjana+pyimpspec", "tests", "data.dfr")
    p = _write(tmp_path, "short.dfr", src.read_bytes().replace(b"\n 29\n", b"\n 20\n", 1))
    m = read(p)
    w = m.warnings[0]
    assert isinstance(w, ReadWarning) and isinstance(w, str)
    assert (w.file, w.line) == (str(p), 2) and str(w) == f"{p}:2: {w.what}"
    assert w.to_dict() == {"file": str(p), "line": 2, "what": w.what}
    assert json.loads(json.dumps(m.summary()))["warnings"][0] == str(w)
    assert pickle.loads(pickle.dumps(w)).line == 2
    # a whole-file remark has no line
    ts = read(_inst("ImperialCollegeLondon+PyProBE", "tests", "sample_data", "biologic",
                    "Sample_data_biologic_timestamped.txt"))
    assert all(isinstance(x, ReadWarning) and x.file == str(ts.source) for x in ts.warnings)


def test_clean_files_stay_clean():
    """The guard rails do not cry wolf: clean real files of every text format read without warnings."""
    for rel in [("vyrjana+pyimpspec", "tests", "data.dfr"), ("vyrjana+pyimpspec", "tests", "data.idf"),
                ("dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt"), ("dgbowl+yadg", "tests", "test_x_eclab", "peis.mpt"),
                ("ECSHackWeek+impedance.py", "data", "exampleDataZPlot.z"),
                ("ECSHackWeek+impedance.py", "data", "exampleDataVersaStudio.par")]:
        m = read(_inst(*rel))
        assert not m.warnings, (rel, m.warnings)
