"""``read(path, columns=[...])``: only the requested canonical columns, the same numbers as a full read, the same
row checks (issue 17: read less, keep every guard)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path

from sselab.errors import ReaderError
from sselab.io import read

TVI = ["time_s", "potential_V", "current_A"]


def _eclab(*parts):
    return shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", *parts)


@pytest.mark.parametrize("name,cols", [
    ("ca.mpt", TVI), ("ca.mpr", TVI), ("peis.mpt", ["freq_Hz", "z_real_ohm", "z_imag_ohm"]),
    ("peis.mpr", ["z_imag_ohm", "freq_Hz"]), ("gcpl.mpr", ["current_A", "cycle"]), ("cv.mpt", ["cycle", "potential_V"]),
])
def test_columns_give_the_full_read_restricted(name, cols):
    p = _eclab(name)
    full = read(p)
    m = read(p, columns=cols)
    assert list(m.data.columns) == [c for c in cols if c in full.data.columns]  # the order asked for
    assert len(m) == len(full) and m.technique == full.technique
    for c in m.data.columns:
        np.testing.assert_array_equal(m.data[c].to_numpy(dtype=float, na_value=np.nan),
                                      full.data[c].to_numpy(dtype=float, na_value=np.nan))
    assert m.extra["columns_requested"] == cols


def test_columns_absent_from_the_file_are_absent_and_unknown_names_refused():
    p = _eclab("ca.mpt")
    m = read(p, columns=["potential_V", "freq_Hz"])
    assert list(m.data.columns) == ["potential_V"] and not m.has("freq_Hz")
    with pytest.raises(ReaderError, match="unknown canonical name"):
        read(p, columns=["Ewe/V"])


def test_mpr_keeps_float32_where_ec_lab_stored_float32():
    """EC-Lab stores Ewe and I as float32 and time as float64: the table keeps those (no invented digits, half the
    memory); the values equal galvani's to the last bit."""
    import galvani.BioLogic as galvani  # the test extra
    p = _eclab("ca.mpr")
    m = read(p, columns=TVI)
    with open(p, "rb") as fh:
        g = galvani.MPRfile(fh).data
    assert m.data["potential_V"].dtype == np.float32 and g["Ewe/V"].dtype == np.float32
    assert m.data["time_s"].dtype == np.float64
    np.testing.assert_array_equal(m.data["potential_V"].to_numpy(), g["Ewe/V"])
    np.testing.assert_array_equal(m.data["current_A"].to_numpy(), (g["I/mA"] * np.float32(1e-3)).astype(np.float32))


def test_row_checks_still_work_when_reading_few_columns(tmp_path):
    src = _eclab("ca.mpt")
    full = read(src)
    lines = src.read_bytes().split(b"\n")
    nb = int(lines[1].split(b":")[1])
    k = nb + 20
    f = lines[k].split(b"\t")
    del f[3]  # a field missing in the middle: the columns after it would shift
    lines[k] = b"\t".join(f)
    f = lines[k + 5].split(b"\t")
    f.insert(2, b"7.0")  # an extra field in the middle
    lines[k + 5] = b"\t".join(f)
    p = tmp_path / "two_bad.mpt"
    p.write_bytes(b"\n".join(lines))
    m = read(p, columns=TVI)
    assert len(m) == len(full) - 2
    keep = np.setdiff1d(np.arange(len(full)), [20, 25])
    for c in TVI:
        np.testing.assert_array_equal(m.data[c].to_numpy(), full.data[c].to_numpy()[keep])
    lines_warned = {w.line for w in m.warnings}
    assert {k + 1, k + 6} <= lines_warned


def test_mpr_chunked_records_equal_galvanis_whole_file_decode(monkeypatch):
    """The chunked record decoder (tiny chunks here, so every chunk boundary is crossed) and galvani's whole-file
    decoder (the path for files whose columns galvani must guess) give the same table."""
    from sselab.io import biologic_mpr

    for name in ("ca.issue_134.mpr", "gcpl.mpr", "peis.mpr", "mb.issue_95.mpr"):
        p = _eclab(name)
        ref = read(p)
        monkeypatch.setattr(biologic_mpr, "_CHUNK_BYTES", 1000)
        small = read(p)
        monkeypatch.setattr(biologic_mpr, "_layout", lambda *a, **k: None)
        whole = read(p)
        monkeypatch.undo()
        for m in (small, whole):
            assert list(m.data.columns) == list(ref.data.columns) and m.technique == ref.technique
            for c in ref.data.columns:
                np.testing.assert_array_equal(m.data[c].to_numpy(), ref.data[c].to_numpy(), err_msg=f"{name} {c}")
            assert m.start_time == ref.start_time and m.extra.get("loop_index") == ref.extra.get("loop_index")
