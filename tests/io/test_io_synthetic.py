"""Readers on files written in tmp_path: errors, truncation, line ends, decimal commas, sign conventions, names."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from conftest import shared_path

from sselab.errors import EmptyFileError, MissingColumnsError, MissingDependencyError, ReaderError, UnknownFormatError
from sselab.io import detect, read, temperature_from_name

# a minimal but complete EC-Lab PEIS export (3 points; two "I/mA"-type columns like real EIS files)
_MPT_COLS = ["freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "time/s", "<Ewe>/V", "<I>/mA", "I/mA", "cycle number"]
_MPT_ROWS = [
    [1.0e5, 100.0, 5.0, 10.0, 0.5, 0.01, 0.011, 1],
    [1.0e3, 150.0, 40.0, 11.0, 0.5, 0.02, 0.021, 1],
    [1.0e1, 300.0, 20.0, 12.5, 0.5, 0.03, 0.031, 1],
]


def _mpt_text(decimal=".", eol="\r\n", header=True, rows=_MPT_ROWS, cols=_MPT_COLS):
    lines = []
    if header:
        lines += ["EC-Lab ASCII FILE", "Nb header lines : 6", "", "Potentio Electrochemical Impedance Spectroscopy",
                  "EC-Lab for windows v11.50 (software)"]
    lines.append("\t".join(cols) + "\t")
    for r in rows:
        toks = [f"{v:.7E}" if not isinstance(v, int) else str(v) for v in r]
        if decimal == ",":
            toks = [t.replace(".", ",") for t in toks]
        lines.append("\t".join(toks))
    return eol.join(lines) + eol


def _write(tmp_path, name, text, encoding="latin-1"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def _one_line(exc, path):
    msg = str(exc)
    assert "\n" not in msg and path.name in msg
    return msg


@pytest.mark.parametrize("decimal", [".", ","])
@pytest.mark.parametrize("eol", ["\r\n", "\n"])
def test_mpt_line_ends_and_decimal_separators_give_the_same_numbers(tmp_path, decimal, eol):
    p = _write(tmp_path, "x.mpt", _mpt_text(decimal=decimal, eol=eol))
    m = read(p)
    assert m.format == "biologic-mpt" and m.technique == "EIS" and m.extra["decimal"] == decimal
    f, z = m.impedance()
    np.testing.assert_allclose(f, [1e5, 1e3, 1e1])
    np.testing.assert_allclose(z.real, [100, 150, 300])
    np.testing.assert_allclose(z.imag, [-5, -40, -20])  # BioLogic's -Im(Z) negated
    # "I/mA" preferred over "<I>/mA", mA -> A; the other current column stays under its original name
    np.testing.assert_allclose(m.column("current_A"), [1.1e-5, 2.1e-5, 3.1e-5])
    assert "<I>/mA" in m.data.columns
    assert list(m.data["cycle"]) == [1, 1, 1]


def test_mpt_duplicate_column_names_are_kept_apart(tmp_path):
    cols = ["time/s", "Ewe/V", "I/mA", "I/mA"]
    p = _write(tmp_path, "dup.mpt", _mpt_text(header=False, cols=cols, rows=[[0.0, 1.0, 2.0, 3.0], [1.0, 1.1, 2.1, 3.1]]))
    m = read(p)
    np.testing.assert_allclose(m.column("current_A"), [2e-3, 2.1e-3])
    assert "I/mA#2" in m.data.columns
    assert any("inferred" in w for w in m.warnings)


def test_mpt_truncated_mid_line_returns_rows_read_and_warns(tmp_path):
    full = _mpt_text(eol="\n")
    cut = full[: full.rstrip("\n").rfind("\t") - 3]  # inside the last row's last-but-one field
    p = _write(tmp_path, "cut.mpt", cut)
    m = read(p)
    assert len(m) == 2
    assert any("truncated" in w for w in m.warnings)
    # the complete last line of an intact file without final line break is kept
    p2 = _write(tmp_path, "nofinal.mpt", full.rstrip("\n"))
    assert len(read(p2)) == 3


def test_mpt_truncated_inside_header(tmp_path):
    p = _write(tmp_path, "hdr.mpt", "EC-Lab ASCII FILE\nNb header lines : 60\n\nModulo Bat\n")
    with pytest.raises(EmptyFileError) as exc:
        read(p)
    assert "truncated" in _one_line(exc.value, p)


def test_empty_garbage_and_unknown_files(tmp_path):
    empty = _write(tmp_path, "empty.mpt", b"")
    with pytest.raises(EmptyFileError) as exc:
        read(empty)
    _one_line(exc.value, empty)
    garbage = _write(tmp_path, "garbage.mpr", bytes(range(256)) * 20)
    with pytest.raises(UnknownFormatError) as exc:
        read(garbage)
    _one_line(exc.value, garbage)
    prose = _write(tmp_path, "notes.txt", "This is a lab notebook entry.\nNothing numeric here.\n")
    with pytest.raises(UnknownFormatError) as exc:
        detect(prose)
    _one_line(exc.value, prose)
    zipped = _write(tmp_path, "cell.ndax", b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnknownFormatError, match="zip"):
        read(zipped)
    with pytest.raises(ReaderError):
        read(tmp_path / "missing.mpt")


def test_bad_mpr_is_a_reader_error(tmp_path):
    import galvani  # noqa: F401 — the test extra (pip install -e '.[test]')
    p = _write(tmp_path, "bad.mpr", b"BIO-LOGIC MODULAR FILE\x1a" + b" " * 40 + b"MODULE" + b"\x00" * 20)
    with pytest.raises(ReaderError) as exc:
        read(p)
    _one_line(exc.value, p)


def test_mpr_without_galvani_asks_for_the_extra(tmp_path, monkeypatch):
    src = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", "peis.mpr")
    monkeypatch.setitem(sys.modules, "galvani", None)
    with pytest.raises(MissingDependencyError, match=r"sselab\[biologic\]") as exc:
        read(src)
    _one_line(exc.value, src)


def test_three_column_text_sign_detection(tmp_path):
    f = np.logspace(5, -1, 30)
    w = 2 * np.pi * f
    z = 100 + 1e4 / (1 + 1j * w * 1e4 * 1e-8)  # R0 + (R || C): capacitive, Z'' < 0
    # stored as -Z'' (positive) without a header -> negated with a warning
    p = _write(tmp_path, "neg.txt", "\n".join(f"{a:.6e}\t{b:.6e}\t{c:.6e}" for a, b, c in zip(f, z.real, -z.imag)))
    m = read(p)
    np.testing.assert_allclose(m.column("z_imag_ohm"), z.imag, rtol=1e-5)
    assert any("negated" in w for w in m.warnings)
    # mathematical sign without header: kept
    p = _write(tmp_path, "math.csv", "\n".join(f"{a:.6e},{b:.6e},{c:.6e}" for a, b, c in zip(f, z.real, z.imag)))
    np.testing.assert_allclose(read(p).column("z_imag_ohm"), z.imag, rtol=1e-5)
    # explicit "-Z''" header: negated, no guess
    p = _write(tmp_path, "hdr.csv", "Freq (Hz);Z' (kOhm);-Z'' (kOhm)\n" +
               "\n".join(f"{a:.6e};{b / 1e3:.6e};{-c / 1e3:.6e}" for a, b, c in zip(f, z.real, z.imag)))
    m = read(p)
    np.testing.assert_allclose(m.column("z_real_ohm"), z.real, rtol=1e-5)
    np.testing.assert_allclose(m.column("z_imag_ohm"), z.imag, rtol=1e-5)
    assert not any("negated" in w for w in m.warnings)


def test_modulus_phase_table_and_decimal_comma_text(tmp_path):
    f = np.logspace(4, 0, 9)
    z = 50 + 2e3 / (1 + 1j * 2 * np.pi * f * 2e3 * 1e-7)
    rows = [f"{a:.6e}\t{abs(b):.6e}\t{np.degrees(np.angle(b)):.6f}".replace(".", ",") for a, b in zip(f, z)]
    p = _write(tmp_path, "modphase.txt", "HP4192A export\nFrequency [Hz]\t|Z| [Ohm]\tTheta [deg]\n" + "\n".join(rows))
    m = read(p)
    f2, z2 = m.impedance()
    np.testing.assert_allclose(f2, f, rtol=1e-6)
    np.testing.assert_allclose(z2, z, rtol=1e-5)
    assert any("decimal comma" in w for w in m.warnings)


def test_text_without_recognisable_columns(tmp_path):
    p = _write(tmp_path, "two.csv", "1,2\n3,4\n5,6\n7,8\n")
    with pytest.raises(MissingColumnsError) as exc:
        read(p)
    _one_line(exc.value, p)


def test_novocontrol_style_with_title_line(tmp_path):
    body = "\n".join(f" {f:.7e}\t {r:.7e}\t{-i:.7e}" for f, r, i in [(1e6, 3.8e3, 6.3e3), (1e5, 2e4, 3e4), (1e4, 9e4, 2e4)])
    p = _write(tmp_path, "vt.txt", "LLZO pellet_80degC, 26.02.2025, 15:11\n     Freq.[Hz]\t      Zs'[ohm]\t     Zs''[ohm]\n" + body)
    m = read(p)
    assert m.technique == "EIS" and m.extra["flavour"] == "novocontrol-txt"
    assert m.temperature_K == pytest.approx(353.15)
    np.testing.assert_allclose(m.column("z_imag_ohm"), [-6.3e3, -3e4, -2e4])


@pytest.mark.parametrize("name, kelvin", [
    ("pellet_30C.mpr", 303.15), ("LLZO_303K.z", 303.0), ("x_30degC.txt", 303.15), ("s04147-120deg", 393.15),
    ("run 25.5C.csv", 298.65), ("LPSCl_m20C_eis.mpt", 253.15), ("cell_25p0C.mpr", 298.15),
    ("gcpl_1C_rate.mpr", None), ("gcpl_0.5C.mpr", None), ("MB_C01.mpr", None), ("30C_and_60C.mpr", None),
    ("pellet.mpr", None), ("jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr", None),
])
def test_temperature_from_name(name, kelvin):
    t = temperature_from_name(name)
    if kelvin is None:
        assert t is None
    else:
        assert t == pytest.approx(kelvin)


def test_read_fills_temperature_from_the_file_name(tmp_path):
    src = shared_path("data", "instruments", "vyrjana+pyimpspec", "tests", "data.z")
    p = _write(tmp_path, "LLZO_pellet_303K.z", src.read_bytes())
    m = read(p)
    assert m.temperature_K == pytest.approx(303.0) and m.extra["temperature_source"] == "name"
    assert read(src).temperature_K is None


def test_format_is_sniffed_from_content_not_extension(tmp_path):
    src = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", "peis.mpt")
    p = _write(tmp_path, "renamed.csv", src.read_bytes())
    assert detect(p) == "biologic-mpt"
    g = shared_path("data", "instruments", "bcliang+gamry-parser", "tests", "eispot_data.dta")
    assert detect(_write(tmp_path, "gamry.txt", g.read_bytes())) == "gamry-dta"


def test_cli_info_reports_good_files_then_fails_on_bad(tmp_path):
    from typer.testing import CliRunner

    from sselab.cli import app

    good = _write(tmp_path, "good_30C.mpt", _mpt_text())
    bad = _write(tmp_path, "bad.mpt", b"")
    runner = CliRunner()
    res = runner.invoke(app, ["info", str(good)])
    assert res.exit_code == 0, res.output
    assert "good_30C.mpt" in res.output and "EIS" in res.output
    res = runner.invoke(app, ["info", "--json", str(good), str(bad)])
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert doc["files"][0]["technique"] == "EIS" and doc["files"][0]["rows"] == 3
    assert doc["files"][0]["temperature_K"] == pytest.approx(303.15)
    assert doc["files"][0]["temperature_source"] == "name"
    assert doc["errors"][0]["file"].endswith("bad.mpt") and "empty" in doc["errors"][0]["error"]
    res = runner.invoke(app, ["info", str(good), str(bad)])
    assert res.exit_code == 2
    assert "good_30C.mpt" in res.output
    err_lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(err_lines) == 1 and "bad.mpt" in err_lines[0]


@pytest.mark.parametrize("rel", [
    "Sheyigold+EISFitpython/EIS_Data/Example-2/Example2a.txt",
    "ECSHackWeek+impedance.py/data/exampleDataZPlot.z",
    "ECSHackWeek+impedance.py/data/exampleDataGamry.DTA",
    "dgbowl+yadg/tests/test_x_eclab/mb.issue_95.de.mpt",
])
def test_files_cut_inside_a_number_never_give_wrong_numbers(tmp_path, rel):
    src = shared_path("data", "instruments", *rel.split("/"))
    full = read(src)
    raw = src.read_bytes().rstrip(b"\r\n")
    cols = [c for c in ("time_s", "potential_V", "current_A", "freq_Hz", "z_real_ohm", "z_imag_ohm") if c in full.data]
    # cut 3 characters into the last number of the file, then inside the last-but-one line
    last_nl = raw.rfind(b"\n")
    for cut in (len(raw) - 3, last_nl - 4):
        p = _write(tmp_path, src.name, raw[:cut])
        m = read(p)
        assert len(m) < len(full)
        assert any(k in w for w in m.warnings for k in ("truncated", "cannot be checked", "malformed", "non-numeric")), m.warnings
        for c in cols:
            np.testing.assert_array_equal(m.data[c].to_numpy(float), full.data[c].to_numpy(float)[: len(m)])
