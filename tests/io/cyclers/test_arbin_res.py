"""Arbin .res (MS Access) through mdbtools: against the same run's csv export, the channel API, and failures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from sselab.errors import MissingDependencyError, ReaderError
from sselab.io import channels, detect, read, read_all
from sselab.io import arbin

RES = ("data", "instruments", "be-smith+navani", "Example_data", "arbin_example.res")


def test_res_equals_the_same_runs_csv_export():
    """datalab's arbin_example.bdf.csv is the csv export of navani's arbin_example.res (same run, 2150 records)."""
    m = read(shared_path(*RES))
    csv = pd.read_csv(shared_path("data", "instruments", "datalab-org+datalab", "pydatalab", "example_data", "echem",
                                  "arbin_example.bdf.csv"))
    d = m.data
    assert m.format == "arbin-res" and m.technique == "CYCLING" and m.instrument == "Arbin"
    assert len(d) == len(csv) == 2150
    pairs = {"time_s": ("Test_Time", 1.0), "step_time_s": ("Step_Time", 1.0), "potential_V": ("Voltage", 1.0),
             "current_A": ("Current", 1.0), "charge_capacity_C": ("Charge_Capacity", 3600.0),
             "discharge_capacity_C": ("Discharge_Capacity", 3600.0), "charge_energy_J": ("Charge_Energy", 3600.0),
             "discharge_energy_J": ("Discharge_Energy", 3600.0), "step": ("Step_Index", 1.0),
             "cycle": ("Cycle_Index", 1.0)}
    for ours, (theirs, f) in pairs.items():
        np.testing.assert_allclose(d[ours].to_numpy(float), csv[theirs].to_numpy(float) * f, rtol=1e-12, atol=0,
                                   err_msg=ours)
    # wall clock: Access dates are days since 1899-12-30
    np.testing.assert_allclose(d["unix_time_s"], (csv["DateTime"] - 25569.0) * 86400.0, rtol=0, atol=1e-3)
    assert str(m.start_time) == "2023-07-24 18:50:00"
    # charge_C: the signed running total of Arbin's per-cycle counters; at each cycle's end it equals the
    # cumulative (charge − discharge) of the export
    ends = csv.groupby("Cycle_Index").tail(1).index.to_numpy()
    net = (csv["Charge_Capacity"] - csv["Discharge_Capacity"]).to_numpy()[ends] * 3600.0
    np.testing.assert_allclose(d["charge_C"].to_numpy()[ends], np.cumsum(net), rtol=1e-9, atol=1e-9)
    # positive current = charge: Arbin's charge counter grows only while the current is positive
    grows = np.diff(d["charge_capacity_C"].to_numpy()) > 0
    assert np.all(d["current_A"].to_numpy()[1:][grows] > 0)


def test_res_with_an_auxiliary_thermocouple():
    m = read(shared_path("data", "instruments", "jepegit+cellpy", "testdata", "data", "aux_one_x_dx.res"))
    t = m.data["temperature_K"].to_numpy()
    assert np.all((t > 273.15 + 15) & (t < 273.15 + 35))  # a lab at ~24 °C
    assert m.temperature_K is not None and abs(m.temperature_K - (273.15 + 24.4)) < 1.0
    assert m.extra["channel"] == "channel 31" and m.software_version.startswith("7.00")


def test_channel_api_single_channel():
    p = shared_path(*RES)
    assert detect(p) == "arbin-res"
    assert channels(p) == ["channel 12"]
    assert len(read(p, channel="channel 12")) == len(read(p, channel=0)) == 2150
    assert [m.extra["channel"] for m in read_all(p)] == ["channel 12"]
    with pytest.raises(ReaderError, match="no channel 'channel 3'"):
        read(p, channel="channel 3")


def test_several_tests_in_one_file_are_several_measurements(monkeypatch, tmp_path):
    """A .res holding two tests (channels): read() names them, read(channel=…) and read_all() give each."""
    p = tmp_path / "two.res"
    p.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\x00" * 4096)
    glob = pd.DataFrame({"Test_ID": [1, 2], "Channel_Index": [4, 7], "Test_Name": ["a", "b"],
                         "Start_DateTime": [45000.5, 45001.25]})
    t = np.arange(6.0) * 10
    recs = pd.DataFrame({"Test_ID": [1] * 3 + [2] * 3, "Data_Point": [1, 2, 3] * 2, "Test_Time": t,
                         "Current": [0.001, 0.001, -0.001, 0.002, 0.002, 0.0], "Voltage": [3.0, 3.1, 3.0, 3.5, 3.6, 3.6],
                         "Charge_Capacity": [0.0, 1e-5, 1e-5, 0.0, 2e-5, 2e-5],
                         "Discharge_Capacity": [0.0, 0.0, 5e-6, 0.0, 0.0, 0.0],
                         "Cycle_Index": [1] * 6, "Step_Index": [1, 1, 2, 1, 1, 2]})
    monkeypatch.setattr(arbin, "_load", lambda path: (glob, recs, pd.DataFrame()))
    assert channels(p) == ["channel 4", "channel 7"]
    with pytest.raises(ReaderError) as exc:
        read(p)
    assert "2 channels" in str(exc.value) and "'channel 4', 'channel 7'" in str(exc.value)
    ms = read_all(p)
    assert [m.extra["channel"] for m in ms] == ["channel 4", "channel 7"]
    assert [len(m) for m in ms] == [3, 3]
    np.testing.assert_allclose(ms[1].data["potential_V"], [3.5, 3.6, 3.6])
    np.testing.assert_allclose(ms[0].data["charge_C"], [0.0, 0.036, 0.018])
    assert str(ms[1].start_time) == "2023-03-16 06:00:00"  # Excel/Access day 45000 = 2023-03-15
    assert len(read(p, channel="channel 7")) == 3 and read(p, channel=-1).extra["channel"] == "channel 7"


def test_missing_mdbtools_is_a_clear_dependency_error(monkeypatch):
    p = shared_path(*RES)
    arbin._CACHE.clear()
    monkeypatch.setattr(arbin.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="apt-get install mdbtools"):
        read(p)


def test_truncated_res_is_one_line(tmp_path):
    raw = shared_path(*RES).read_bytes()
    for cut in (len(raw) // 2, len(raw) - 2, 4096 * 3 + 17):
        q = tmp_path / f"cut{cut}.res"
        q.write_bytes(raw[:cut])
        with pytest.raises(ReaderError) as exc:
            read(q)
        msg = str(exc.value)
        assert str(q) in msg and "\n" not in msg and ("truncated" in msg or "damaged" in msg)


def test_access_database_that_is_not_arbin(monkeypatch, tmp_path):
    p = tmp_path / "other.mdb"
    p.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\x00" * 4076)
    monkeypatch.setattr(arbin, "tables", lambda path: ["Customers", "Orders"])
    with pytest.raises(ReaderError, match="not an Arbin .res"):
        read(p)
