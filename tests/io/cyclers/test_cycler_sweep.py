"""Every battery-cycler file under ../shared/data opens (each channel a Measurement with SI columns) or fails with
ONE line naming it; damaged Neware files fail with one line; ``sselab info`` shows channels and empty files."""
from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pytest
from conftest import SHARED, shared_path

from sselab.errors import ReaderError, SselabError
from sselab.io import read, read_all

import fastnda  # noqa: F401 — the test extra (pip install -e '.[test]')
import python_calamine  # noqa: F401 — the test extra (pip install -e '.[test]')

_CYCLER_FORMATS = re.compile(r"Neware|Arbin|Maccor|Excel|Battery Data Format|PEC csv|BaSyTec", re.I)
# files that are not data tables: the reader must say so in one line
_NOT_DATA = {"2017-05-09_test-TC-contact_CH33_Metadata.csv", "FastCharge_000025_CH8_Metadata.csv"}


def _cycler_files():
    if not SHARED.exists():
        return []
    data = SHARED / "data"
    out = []
    index = data / "INDEX.md"
    for line in index.read_text(encoding="utf-8").splitlines():
        p = [x.strip() for x in line.split("|")]
        if len(p) > 4 and p[1].startswith("instruments/") and _CYCLER_FORMATS.search(p[3]):
            out.append(data / p[1])
    for f in sorted((data / "cyclers").rglob("*")):
        if f.is_file() and f.suffix.lower() in (".nda", ".ndax", ".zip", ".csv", ".res", ".xlsx"):
            out.append(f)
    out += sorted(data.joinpath("structure").rglob("*.ndax"))
    return sorted(set(out))


FILES = _cycler_files()


def test_the_sweep_covers_the_cycler_data():
    shared_path("data", "cyclers")
    assert len(FILES) >= 55
    kinds = {f.suffix.lower() for f in FILES}
    assert {".nda", ".ndax", ".res", ".xlsx", ".zip", ".csv", ".txt"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_cycler_file_opens_or_fails_with_one_line(path):
    try:
        ms = read_all(path)
    except SselabError as exc:
        msg = str(exc)
        assert "\n" not in msg and str(path) in msg
        assert path.name in _NOT_DATA, msg
        return
    assert path.name not in _NOT_DATA
    assert ms
    for m in ms:
        d = m.data
        if len(d) == 0:
            assert m.extra.get("empty_table") and m.warnings
            continue
        if m.technique == "EIS":
            assert m.is_eis
            continue
        for c in ("time_s", "potential_V", "current_A"):
            assert d[c].dtype.kind == "f" and np.isfinite(d[c]).all(), c
        assert np.nanmax(np.abs(d["potential_V"])) < 100
        m.summary()


def _ndax(tmp_path, name, edit):
    src = shared_path("data", "cyclers", "g-kimbell+fastnda", "tests", "test_data", "nw4-120-1-6-53.ndax")
    out = tmp_path / name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            raw = zin.open(info).read() if info.filename == "data.ndc" else zin.read(info.filename) \
                if info.filename != "Step.xml" else b"<Step/>"   # (Step.xml of this file has a bad CRC)
            raw = edit(info.filename, raw)
            if raw is not None:
                zout.writestr(info.filename, raw)
    return out


def test_damaged_neware_files_fail_with_one_line(tmp_path):
    rng = np.random.default_rng(19)
    garbled = _ndax(tmp_path, "garbled.ndax", lambda n, b: b[:200] + rng.bytes(len(b) - 200) if n == "data.ndc" else b)
    no_records = _ndax(tmp_path, "norecords.ndax", lambda n, b: None if n == "data.ndc" else b)
    src = shared_path("data", "cyclers", "g-kimbell+fastnda", "tests", "test_data", "nw4-120-1-6-53.ndax")
    cut = tmp_path / "cut.ndax"
    cut.write_bytes(src.read_bytes()[:50000])
    junk = tmp_path / "junk.nda"
    junk.write_bytes(b"NEWARE" + rng.bytes(20000))
    for p, words in ((garbled, "damaged"), (no_records, "data.ndc"), (cut, "zip"), (junk, "Neware")):
        with pytest.raises(ReaderError) as exc:
            read(p)
        msg = str(exc.value)
        assert str(p) in msg and "\n" not in msg and words in msg, msg


def test_a_zip_that_is_not_a_cycler_file(tmp_path):
    p = tmp_path / "photos.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.jpg", b"\xff\xd8")
        z.writestr("b.jpg", b"\xff\xd8")
    with pytest.raises(SselabError, match="zip archive of no known kind"):
        read(p)


def test_missing_fastnda_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "fastnda":
            raise ImportError("no fastnda")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    from sselab.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"sselab\[neware\]"):
        read(shared_path("data", "instruments", "be-smith+navani", "Example_data", "test.ndax"))


def test_info_shows_cycler_files_channels_and_empty_ones(tmp_path):
    from typer.testing import CliRunner

    from sselab.cli import app

    from test_spreadsheet import ARBIN_HEADER, _arbin_rows, write_xlsx

    two = write_xlsx(tmp_path / "two.xlsx", {"Channel_1_1": [ARBIN_HEADER] + _arbin_rows(0.0, 5, 1e-3),
                                              "Channel_2_1": [ARBIN_HEADER] + _arbin_rows(0.0, 7, -1e-3)})
    empty = shared_path("data", "cyclers", "g-kimbell+fastnda", "tests", "test_data", "empty.ndax")
    res = shared_path("data", "instruments", "be-smith+navani", "Example_data", "arbin_example.res")
    r = CliRunner().invoke(app, ["info", "--json", str(two), str(empty), str(res)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    rows = {(f["file"].split("/")[-1], f.get("channel")): f for f in doc["files"]}
    assert rows[("two.xlsx", "Channel_1")]["rows"] == 5 and rows[("two.xlsx", "Channel_2")]["rows"] == 7
    assert rows[("empty.ndax", None)]["rows"] == 0 and rows[("empty.ndax", None)]["warnings"]
    assert rows[("arbin_example.res", None)]["format"] == "arbin-res"
    r = CliRunner().invoke(app, ["info", str(two)], env={"COLUMNS": "200"})
    assert "two.xlsx [Channel_1]" in r.stdout and "two.xlsx [Channel_2]" in r.stdout


def test_zip_bombs_are_refused_before_unpacking(tmp_path, monkeypatch):
    from sselab.io import _cycler

    src = shared_path("data", "cyclers", "g-kimbell+fastnda", "tests", "test_data", "nw4-120-1-6-53.ndax")
    # the real limit is 2 GiB; this 0.2 MB file unpacks to ~1 MB
    monkeypatch.setattr(_cycler.check_zip_size, "__defaults__", (100_000,))
    with pytest.raises(ReaderError, match="refused"):
        read(src)
