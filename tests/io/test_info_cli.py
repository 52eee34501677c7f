"""`sselab info`: human units, folders, and every real instrument file (good ones tabled, the rest one error line each,
exit 2)."""
from __future__ import annotations

import json

import pytest
from conftest import shared_path
from typer.testing import CliRunner

from sselab.cli import app
from sselab.commands.info import human_freq, human_span

runner = CliRunner()


@pytest.mark.parametrize("seconds, text", [
    (None, "—"), (0, "0 s"), (0.1676, "168 ms"), (16.1003671, "16.1 s"), (59.9, "59.9 s"), (192, "3.2 min"),
    # 3599 s = 59.98 min: rounding to one decimal would print the next unit's boundary ("60.0 min"), so it is hours
    (3599, "1.0 h"), (106449.34, "29.6 h"), (1382398.65, "16.0 d"), (float("nan"), "—"),
    # the same at every boundary: 59.96 s, 0.99996 s, 47.99 h; just below them stays in the smaller unit
    (59.96, "1.0 min"), (0.99996, "1.0 s"), (47.99 * 3600, "2.0 d"), (59.94, "59.9 s"), (3590, "59.8 min"),
    (0.9994, "999 ms"), (7200, "2.0 h"),
])
def test_human_span(seconds, text):
    assert human_span(seconds) == text


@pytest.mark.parametrize("hz, text", [
    (0.0169, "16.9 mHz"), (1000, "1 kHz"), (2e5, "200 kHz"), (1e6, "1 MHz"), (1, "1 Hz"), (0.99995, "1 Hz"),
    (3.16e-3, "3.16 mHz"), (999, "999 Hz"), (1e-5, "10 µHz"), (0, "0 Hz"),
])
def test_human_freq(hz, text):
    assert human_freq(hz) == text


def test_real_files_table_then_one_error_line_each():
    root = shared_path("data", "instruments")
    r = runner.invoke(app, ["info", str(root)], env={"COLUMNS": "220"})
    assert r.exit_code == 2
    assert r.exception is None or isinstance(r.exception, SystemExit)
    out, err = r.stdout, r.stderr
    assert "Traceback" not in out + err
    assert "instrument files" in out.splitlines()[0]
    # the known runs with their spans, frequency ranges, EC-Lab versions and start times
    line = next(ln for ln in out.splitlines() if "│ peis.mpt " in ln)
    assert "16.1 s" in line and "1 Hz – 200 kHz" in line and "EC-Lab 11.33" in line and "2021-03-02 16:17" in line
    line = next(ln for ln in out.splitlines() if "│ cv.mpt " in ln)
    assert "29.6 h" in line and "5,103" in line
    line = next(ln for ln in out.splitlines() if "│ geis.mpt " in ln)
    assert "200 mHz – 1 MHz ×61" in line and "50.3 min" in line
    # unsupported / unreadable ones: after the table, one line each, every one naming its file
    errs = [ln for ln in err.splitlines() if ln.strip()]
    # (≥ 30 before the cycler readers of issue 19 made the Neware/Arbin/xlsx files readable)
    assert len(errs) >= 10
    assert all(ln.startswith("error: ") and str(root) in ln for ln in errs)
    assert any("data.pssession" in ln and "PalmSens" in ln for ln in errs) or any(
        "data.pssession" in ln for ln in out.splitlines())
    # no file read twice although the folder and its files are both given
    r2 = runner.invoke(app, ["info", "--json", str(root), str(root / "dgbowl+yadg" / "tests" / "test_x_eclab" / "cv.mpt")])
    doc = json.loads(r2.stdout)
    names = [f["file"] for f in doc["files"]]
    assert len(names) == len(set(names)) and len(names) >= 150
    assert len(doc["errors"]) == len(errs)


def test_gamry_temp_without_thermocouple_is_not_a_temperature():
    from sselab.io import read

    m = read(shared_path("data", "instruments", "bcliang+gamry-parser", "tests", "ocp_data.dta"))
    assert m.temperature_K is None and "temperature_K" not in m.data.columns
    assert any("below absolute zero" in w for w in m.warnings)


def test_narrow_terminal_moves_columns_to_the_detail_line(tmp_path):
    p = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", "peis.mpt")
    r = runner.invoke(app, ["info", str(p)], env={"COLUMNS": "60"})
    assert r.exit_code == 0
    detail = next(ln for ln in r.stdout.splitlines() if ln.startswith("peis.mpt:"))
    assert "EC-Lab 11.33" in detail and "started 2021-03-02 16:17" in detail
