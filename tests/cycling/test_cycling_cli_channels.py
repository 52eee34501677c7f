"""`sselab cycle`: ``--channel`` on multi-channel files, the instrument's counters through the CLI, and the
column-limited read giving the same answer as the API on the whole file (issues 17, 19)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io" / "cyclers"))
from test_spreadsheet import write_xlsx  # noqa: E402  (a minimal .xlsx writer, no spreadsheet library)

from conftest import shared_path  # noqa: E402
from sselab import recipes  # noqa: E402
from sselab.cell import CellSpec  # noqa: E402
from sselab.cli import app  # noqa: E402
from sselab.io import read  # noqa: E402
from sselab.recipes.cycling import COLUMNS, columns  # noqa: E402

runner = CliRunner()
HEADER = ["Test_Time(s)", "Step_Index", "Cycle_Index", "Voltage(V)", "Current(A)", "Charge_Capacity(Ah)",
          "Discharge_Capacity(Ah)"]
LOG_S = 300.0      # the cycler logs every 5 min, on its own clock: the half cycles end between two rows


def _channel_rows(current_A, charge_s, discharge_s, n_cycles, rest_s=600.0):
    """Arbin-style rows of a charge-first full cell: CC charge ``charge_s[k]``, rest, CC discharge ``discharge_s[k]``,
    rest, logged every LOG_S seconds.  The counters hold the exact charge passed up to each row's time (reset at
    every new cycle) — what the instrument counts between its log rows."""
    events, t = [], 0.0
    for k in range(n_cycles):
        for dur, sign in ((charge_s[k], 1), (rest_s, 0), (discharge_s[k], -1), (rest_s, 0)):
            events.append((t, t + dur, sign, k + 1))
            t += dur
    rows = []
    for tt in np.arange(0.0, t, LOG_S):
        k = next(i for i, e in enumerate(events) if e[0] <= tt < e[1])
        a, b, sign, cyc = events[k]
        done = [e for e in events[:k + 1] if e[3] == cyc]
        qc = sum(min(tt, e[1]) - e[0] for e in done if e[2] > 0) * current_A / 3600
        qd = sum(min(tt, e[1]) - e[0] for e in done if e[2] < 0) * current_A / 3600
        v = 3.4 + 0.3 * sign
        rows.append([tt, 1 + (k % 4), cyc, v, sign * current_A, qc, qd])
    return rows


@pytest.fixture(scope="module")
def two_channels(tmp_path_factory):
    """Channel_1: 1 mA, 10 170 s charges, discharges 10 000, 9 900, 9 800 s; Channel_2: 2 mA, 7 130 s charges,
    7 000 s discharges (none a multiple of the 300 s log interval)."""
    p = tmp_path_factory.mktemp("xlsx") / "cells.xlsx"
    write_xlsx(p, {
        "Channel_1_1": [HEADER] + _channel_rows(1e-3, [10170.0] * 3, [10000.0, 9900.0, 9800.0], 3),
        "Channel_2_1": [HEADER] + _channel_rows(2e-3, [7130.0] * 3, [7000.0] * 3, 3),
    })
    return p


def _doc(args):
    r = runner.invoke(app, ["cycle", *map(str, args)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _val(doc, key):
    return next(v for v in doc["values"] if v["key"] == key)["value"]


def _cycles(doc, col):
    t = next(t for t in doc["tables"] if t["name"] == "cycles")
    i = t["columns"].index(col)
    return np.array([row[i] for row in t["rows"]], float)


def test_a_file_with_several_channels_needs_channel(two_channels):
    r = runner.invoke(app, ["cycle", str(two_channels), "--active-mass", "1mg"])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert "2 channels" in out and "'Channel_1', 'Channel_2'" in out and "--channel" in out
    assert "Traceback" not in r.output
    for bad in ("Channel_3", "2", "x1"):
        r = runner.invoke(app, ["cycle", str(two_channels), "--active-mass", "1mg", "--channel", bad])
        assert r.exit_code == 2 and "Channel_1" in r.output, bad


@pytest.mark.parametrize("pick", ["Channel_2", "channel_2", "1", "-1"])
def test_channel_by_name_or_index_uses_the_instruments_counters(two_channels, pick):
    doc = _doc([two_channels, "--active-mass", "1mg", "--channel", pick, "--json"])
    assert doc["subject"] == "cells [Channel_2]"
    assert _val(doc, "charge_source") == "instrument counters" and _val(doc, "n_cycles") == 3
    # closed form: 2 mA × 7130 s and 2 mA × 7000 s on 1 mg
    np.testing.assert_allclose(_cycles(doc, "charge_C_per_kg"), 2e-3 * 7130 / 1e-6, rtol=1e-9)
    np.testing.assert_allclose(_cycles(doc, "discharge_C_per_kg"), 2e-3 * 7000 / 1e-6, rtol=1e-9)


def test_first_channel_and_the_bias_of_integrating_a_5_minute_log(two_channels):
    doc = _doc([two_channels, "--active-mass", "1mg", "--channel", "0", "--json"])
    assert doc["subject"] == "cells [Channel_1]"
    ce = _cycles(doc, "coulombic_efficiency")
    np.testing.assert_allclose(ce, np.array([10000.0, 9900.0, 9800.0]) / 10170.0, rtol=1e-9)
    # the same record integrated row by row: the half cycles end between log rows, so the charges are off by
    # up to one log interval's charge (300 s of ~10 000 s: several %) and the CE with them
    m = read(two_channels, channel="Channel_1")
    cell = CellSpec.from_strings("c1", electrodes="Li|LiFePO4", active_mass="1 mg")
    integ = recipes.get("cycling.full").run([m], cell, charge="integrated")
    assert integ.get("charge_source") == "integrated current"
    err = np.abs(np.asarray(integ.details.coulombic_efficiency) - ce)
    assert err.max() > 0.005


def test_single_channel_files_accept_their_own_channel(tmp_path):
    p = tmp_path / "one.xlsx"
    write_xlsx(p, {"Channel_1_1": [HEADER] + _channel_rows(1e-3, [10170.0] * 2, [10000.0] * 2, 2)})
    a = _doc([p, "--active-mass", "1mg", "--json"])
    b = _doc([p, "--active-mass", "1mg", "--json", "--channel", "0"])
    assert a["subject"] == b["subject"] == "one" and a["values"] == b["values"]
    r = runner.invoke(app, ["cycle", str(p), "--active-mass", "1mg", "--channel", "3"])
    assert r.exit_code == 2 and "1 channel" in r.output


def test_the_recipe_declares_its_columns():
    assert columns("biologic-mpr") == COLUMNS == ("time_s", "potential_V", "current_A", "freq_Hz")
    for fmt in ("neware-ndax", "neware-nda", "arbin-res", "maccor-txt", "spreadsheet"):
        assert columns(fmt) == COLUMNS + ("charge_C",)


JDB = ("data", "instruments", "be-smith+navani", "Example_data", "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr")
ARBIN = ("data", "instruments", "be-smith+navani", "Example_data", "arbin_example.res")


@pytest.mark.parametrize("parts, args", [(JDB, ["--active-mass", "1mg"]), (JDB, ["--diameter", "10mm"]),
                                         (ARBIN, ["--active-mass", "1mg"])])
def test_cli_reading_few_columns_gives_the_api_answer_on_the_whole_file(parts, args):
    """The CLI reads only the recipe's columns (float32 kept as EC-Lab stored it); the API on every column of the
    same file gives identical values."""
    p = shared_path(*parts)
    doc = _doc([p, *args, "--json"])
    full = "--active-mass" in args
    cell = CellSpec.from_strings(p.stem, electrodes="Li|TiS2" if full else "Li|Li",
                                 **({"active_mass": "1mg"} if full else {"diameter": "10mm"}))
    res = recipes.get("cycling.full" if full else "cycling.symmetric").run([read(p)], cell)
    api = json.loads(res.to_json())
    assert [(v["key"], v["value"]) for v in doc["values"]] == [(v["key"], v["value"]) for v in api["values"]]
    assert doc["tables"] == api["tables"]
