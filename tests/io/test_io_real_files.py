"""Readers against the real instrument files in ../shared/data/instruments (skipped cleanly without ../shared)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import INSTRUMENTS, SHARED, shared_path

from sselab.errors import EmptyFileError, ReaderError
from sselab.io import detect, read

# INDEX "format" column -> our format name (formats this issue covers)
_FORMATS = {
    "BioLogic EC-Lab .mpt": "biologic-mpt",
    "BioLogic text export": "biologic-mpt",
    "BioLogic EC-Lab .mpr": "biologic-mpr",
    "ZPlot/ZView .z": "zview-z",
    "Gamry .DTA": "gamry-dta",
    "Ivium .idf": "ivium-idf",
    "VersaStudio .par": "versastudio-par",
    "csv/txt": "text",
    "Autolab txt": "zview-z",  # the ECSHackWeek Autolab export is a ZView "Z60W Data File"
    "CH Instruments txt": "text",
    "Parstat txt": "text",
    "PowerSuite txt": "text",
    "EIS text": "text",
    "3-column text": "text",
    "Interface .i2b": "text",
    "Gamry? .P00": "text",
    "PalmSens .pssession": "palmsens-pssession",
    "Eco Chemie/Autolab .dfr": "autolab-dfr",
}
# INDEX technique -> canonical technique
_TECH = {
    "PEIS": "EIS", "GEIS": "EIS", "EIS": "EIS", "EISPOT": "EIS", "CVA": "CV", "CV": "CV", "CA": "CA", "CP": "CP",
    "coC": "CP", "coV": "CA", "MP": "CA", "LSV": "LSV", "GCPL": "GCPL", "OCV": "OCV", "MB": "MB", "ZIR": "ZIR",
    "WAIT": "WAIT", "BCD": "CYCLING", "CHRONOA": "CA", "CORPOT": "OCV", "SQUARE_WAVE": "unknown", "VFP600": "unknown",
}
# real files that hold no data points at all (header only): the reader must say so, naming the technique
_EMPTY = {
    "dgbowl+yadg/tests/test_x_eclab/wait.mpr", "dgbowl+yadg/tests/test_x_eclab/wait.mpt",
    "dgbowl+yadg/tests/test_x_eclab/wait.old.mpt",
    "ixdat+ixdat-large-test-files/biologic_multiple_techniques_dataset/multiple_techniques_dataset_01_07_ZIR_C01.mpt",
    "bcliang+gamry-parser/tests/cv_data_incompleteheader.dta",
}


def _index_rows():
    index = SHARED / "data" / "INDEX.md"
    if not index.exists():
        return []
    rows = []
    for line in index.read_text(encoding="utf-8").splitlines():
        p = [x.strip() for x in line.split("|")]
        if len(p) < 6 or not p[1].startswith("instruments/"):
            continue
        rel, fmt_text, tech = p[1][len("instruments/"):], p[3], p[4]
        fmt = next((v for k, v in _FORMATS.items() if fmt_text.startswith(k)), None)
        if fmt == "biologic-mpr" or fmt_text.startswith("BioLogic .mpr / .mps"):
            fmt = "biologic-mpr" if rel.endswith(".mpr") else None
        if fmt is None:
            continue
        if not tech and fmt in ("text", "zview-z"):
            tech = "EIS"
        rows.append(pytest.param(rel, fmt, tech, id=rel.split("/")[-1]))
    return rows


INDEX_ROWS = _index_rows()


@pytest.mark.parametrize("rel, fmt, tech", INDEX_ROWS)
def test_every_indexed_file_opens_with_the_right_technique(rel, fmt, tech):
    path = shared_path("data", "instruments", *rel.split("/"))
    assert detect(path) == fmt
    if rel in _EMPTY:
        with pytest.raises(EmptyFileError) as exc:
            read(path)
        msg = str(exc.value)
        assert path.name in msg and "\n" not in msg
        return
    m = read(path)
    assert len(m) > 0
    assert m.format == fmt
    if tech:
        assert m.technique == _TECH.get(tech, tech), m.extra.get("technique_raw")
    if m.technique == "EIS":
        f, z = m.impedance()
        assert np.all(np.isfinite(f) & (f > 0))  # DC rows between spectra live in extra["dc_rows"]
        if fmt not in ("biologic-mpt", "biologic-mpr"):
            # where the reader decides the sign convention, capacitive data must come out with Z'' < 0
            zi = z.imag[np.isfinite(z.imag) & (z.imag != 0)]
            assert np.mean(zi < 0) > 0.5
    for c in ("time_s", "potential_V", "current_A"):
        if c in m.data:
            assert m.data[c].dtype.kind == "f"


def _pairs():
    if not INSTRUMENTS.exists():
        return []
    out = []
    for mpr in sorted(INSTRUMENTS.rglob("*.mpr")):
        mpt = mpr.with_suffix(".mpt")
        if mpt.exists():
            out.append(pytest.param(str(mpr.relative_to(INSTRUMENTS))[:-4], id=mpr.stem))
    return out


@pytest.mark.parametrize("stem", _pairs())
def test_mpr_and_mpt_of_the_same_run_give_the_same_numbers(stem):
    import galvani  # noqa: F401 — the test extra (pip install -e '.[test]')
    mpr = shared_path("data", "instruments", *(stem + ".mpr").split("/"))
    mpt = mpr.with_suffix(".mpt")
    try:
        a = read(mpr)
    except EmptyFileError:
        with pytest.raises(EmptyFileError):
            read(mpt)
        return
    b = read(mpt)
    assert a.technique == b.technique
    assert len(a) == len(b)
    compared = 0
    for c in ("time_s", "potential_V", "current_A", "freq_Hz", "z_real_ohm", "z_imag_ohm", "cycle", "step"):
        if c in a.data and c in b.data:
            # .mpr stores float32 for most quantities; the .mpt prints 8 significant digits
            np.testing.assert_allclose(a.data[c].to_numpy(float), b.data[c].to_numpy(float), rtol=2e-6, atol=1e-12,
                                       err_msg=f"{stem}: {c}")
            compared += 1
    assert {"time_s"} <= set(a.data) and compared >= 2
    if b.is_eis:
        assert a.is_eis


def test_decimal_comma_file_gives_sane_volts():
    d = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab")
    de = read(d / "mb.issue_95.de.mpt")
    en = read(d / "mb.issue_95.mpt")
    assert de.extra["decimal"] == "," and en.extra["decimal"] == "."
    v = de.column("potential_V")
    # a Li cell around 2.3 V — not 2 327 854 V (the yadg failure mode)
    assert 2.0 < v.min() and v.max() < 3.0
    np.testing.assert_allclose(v, en.column("potential_V"))
    np.testing.assert_allclose(de.column("current_A"), en.column("current_A"))
    np.testing.assert_allclose(de.column("time_s"), en.column("time_s"))
    assert any("decimal comma" in w for w in de.warnings)


def test_lf_only_and_crlf_files():
    d = shared_path("data", "instruments")
    lf = read(d / "dgbowl+yadg/tests/test_x_eclab/peis.mpt")
    crlf = read(d / "kbknudsen+PyEIS/Tutorials/data/ex1.mpt")
    assert lf.extra["line_ending"] == "LF" and crlf.extra["line_ending"] == "CRLF"
    for m in (lf, crlf):
        assert m.technique == "EIS" and m.software_version.startswith("EC-Lab")
        f, z = m.impedance()
        assert f.max() > 1e4 and np.all(z.real > 0)


def test_eis_duplicate_current_columns_and_units():
    d = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab")
    m = read(d / "peis.mpt")
    # first data row: freq 1.9999814E+005 Hz, Re(Z) 10.512296, -Im(Z) 0.73047662, <I>/mA -1.0988599E+002
    row = m.data.iloc[0]
    assert row["freq_Hz"] == pytest.approx(1.9999814e5)
    assert row["z_real_ohm"] == pytest.approx(10.512296)
    assert row["z_imag_ohm"] == pytest.approx(-0.73047662)
    assert row["current_A"] == pytest.approx(-0.10988599)
    assert row["charge_C"] == pytest.approx(-1.767531756553054e-2 * 3.6)


def test_gamry_aborted_decimal_comma_and_multiple_curves():
    g = shared_path("data", "instruments", "bcliang+gamry-parser", "tests")
    dot, comma = read(g / "chronoa_data.dta"), read(g / "chronoa_de_data.dta")
    assert dot.technique == comma.technique == "CA"
    # the two test files differ in their first point only (-5.4e-4 vs -5.0e-4 V)
    np.testing.assert_allclose(dot.column("potential_V")[1:], comma.column("potential_V")[1:])
    np.testing.assert_allclose(dot.column("current_A")[1:], comma.column("current_A")[1:])
    assert any("announced" in w for w in dot.warnings)  # 10 of 5258 points: aborted run, rows kept
    cv = read(g / "cv_data.dta")
    assert sorted(set(cv.data["cycle"])) == [1, 2, 3, 4, 5]
    ab = read(shared_path("data", "instruments", "ECSHackWeek+impedance.py", "data", "exampleDataGamryABORT.DTA"))
    assert ab.technique == "EIS" and len(ab) > 10 and any("abort" in w for w in ab.warnings)


def test_novocontrol_title_temperature_and_values():
    d = shared_path("data", "instruments", "Sheyigold+EISFitpython", "EIS_Data", "Example-2")
    c = read(d / "Example2c.txt")  # title "s04147-120deg"
    assert c.temperature_K == pytest.approx(393.15) and c.extra["temperature_source"] == "file"
    b = read(d / "Example2b.txt")
    f, z = b.impedance()
    assert len(f) == 50 and f[0] == pytest.approx(1e6) and np.all(z.imag < 0)


def test_labelled_cycler_tables():
    d = shared_path("data", "instruments")
    bdf = read(d / "jepegit+cellpy/testdata/data/batmo_bdf.csv")  # "Test Time / h", "Current / A", "Voltage / V"
    assert bdf.format == "cycler-csv" and bdf.technique == "CYCLING"
    assert bdf.column("time_s")[0] == pytest.approx(0.138888888888889 * 3600)
    assert bdf.column("potential_V")[0] == pytest.approx(3.31121478737747)
    assert bdf.column("current_A")[0] == pytest.approx(0.00605515800906498)
    assert set(np.unique(bdf.data["cycle"])) >= {1}
    arbin = read(d / "ImperialCollegeLondon+PyProBE/tests/sample_data/arbin/sample_data_arbin.csv")
    assert arbin.column("time_s")[0] == pytest.approx(30.0005) and arbin.column("potential_V")[0] == pytest.approx(3.534595)
    # an export that stores |I| is flagged, never silently trusted
    assert any("never negative" in w for w in arbin.warnings)
