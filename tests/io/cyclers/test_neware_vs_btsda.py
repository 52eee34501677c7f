"""Neware .nda/.ndax against Neware's own software: every file in ../shared/data/cyclers/g-kimbell+fastnda has a
``.parquet`` converted from a BTSDA CSV export (the vendor's exporter, not fastnda), compared here column by column
within the export's rounding.  Skipped cleanly without ../shared."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, shared_path

import fastnda  # noqa: F401 — the test extra (pip install -e '.[test]')
import pyarrow  # noqa: F401 — the test extra (pip install -e '.[test]')

from sselab.io import read  # noqa: E402

FOLDER = ("data", "cyclers", "g-kimbell+fastnda", "tests", "test_data")


def _pairs():
    d = SHARED.joinpath(*FOLDER)
    if not d.exists():
        return [pytest.param(None, id="no-shared")]
    out = []
    for ref in sorted(d.glob("*.parquet")):
        for ext in (".ndax", ".nda.zip", ".nda"):
            f = ref.with_name(ref.stem + ext)
            if f.exists():
                out.append(pytest.param(f.name, id=f.name))
                break
    return out


PAIRS = _pairs()


def test_all_seventeen_references_are_used():
    shared_path(*FOLDER)
    assert len(PAIRS) == 17


def _load(name):
    f = shared_path(*FOLDER, name)
    ref = pd.read_parquet(f.with_name(name.split(".")[0] + ".parquet"))
    return read(f), ref


def _step_type(ref: pd.Series) -> np.ndarray:
    # BTSDA writes "CC Chg", "CC DChg"/"CC Dchg", "Pulse Step"; the reader keeps Neware's CC_Chg / CC_DChg / Pulse
    s = ref.astype(str).str.replace(" ", "_").str.replace("Dchg", "DChg").str.replace("Pulse_Step", "Pulse")
    return s.to_numpy()


@pytest.mark.parametrize("name", PAIRS)
def test_every_column_matches_the_vendor_export(name):
    m, ref = _load(name)
    d = m.data
    assert m.format in ("neware-nda", "neware-ndax") and m.technique == "CYCLING"
    assert len(d) == len(ref)
    if len(ref) == 0:  # empty.ndax: an empty table with a warning, not an error
        assert m.extra.get("empty_table") and any("no data records" in w for w in m.warnings)
        return
    for c in ("time_s", "potential_V", "current_A", "charge_C", "step", "cycle", "step_type", "step_count"):
        assert c in d.columns, c
    # voltage: BTSDA exports 0.1 mV
    np.testing.assert_allclose(d["potential_V"], ref["Voltage(mV)"] * 1e-3, rtol=0, atol=6e-5)
    # current: exported in µA with 1e-4 relative resolution of the range; 0.05 mA + 1e-6 relative
    i_ref = ref["Current(uA)"].to_numpy(float) * 1e-6
    assert np.all(np.abs(d["current_A"] - i_ref) <= 5e-5 + 1e-6 * np.abs(i_ref))
    # sign convention: charge steps carry positive current, discharge steps negative
    st = _step_type(ref["Step Type"])
    chg = np.char.find(st.astype(str), "_Chg") >= 0
    dchg = np.char.find(st.astype(str), "_DChg") >= 0
    cur = d["current_A"].to_numpy()
    assert np.all(cur[chg] >= -1e-6) and np.all(cur[dchg] <= 1e-6)
    # times: BTSDA's Total Time loses digits as the test runs (1 ms below 30 min, 0.1 s to ~11 d, then 1 s)
    t_ref = ref["Total Time"].to_numpy(float)
    tol = np.where(t_ref < 1800, 1.1e-3, np.where(t_ref < 1e6, 0.101, 1.01))
    assert np.all(np.abs(d["time_s"] - t_ref) <= tol)
    s_ref = ref["Time"].to_numpy(float)
    assert np.all(np.abs(d["step_time_s"] - s_ref) <= np.where(s_ref < 1800, 1.1e-3, 0.101))
    # bookkeeping: exact
    np.testing.assert_array_equal(d["step"], ref["Step Index"])
    np.testing.assert_array_equal(d["step_count"], ref["Step Count"])
    np.testing.assert_array_equal(d["cycle"], ref["Cycle Index"])
    np.testing.assert_array_equal(d["step_type"].to_numpy().astype(str), st)
    # per-step capacity and energy counters (exported in mAs / mWs; some files keep 1 mAs)
    q_ref = np.abs(ref["Capacity(mAs)"].to_numpy(float)) * 1e-3
    assert np.all(np.abs(np.abs(d["step_charge_C"]) - q_ref) <= 2.2e-3 + 1e-6 * q_ref)
    e_ref = np.abs(ref["Energy(mWs)"].to_numpy(float)) * 1e-3
    assert np.all(np.abs(np.abs(d["step_energy_J"]) - e_ref) <= 1.1e-3 + 1e-5 * e_ref)  # BTSDA keeps ~6 digits
    # wall clock: differences exact to the export's 1 ms; the absolute start only up to the time zone of the PC
    # that exported (Neware stores UTC or local time depending on the version)
    u = d["unix_time_s"].to_numpy(float)
    ur = ref["Date"].to_numpy().astype("datetime64[us]").astype("int64") / 1e6
    np.testing.assert_allclose(u - u[0], ur - ur[0], rtol=0, atol=1.01e-3)
    off = (pd.Timestamp(m.start_time) - pd.Timestamp(ref["Date"].iloc[0])).total_seconds()
    assert abs(off) <= 14 * 3600 and min(off % 3600, 3600 - off % 3600) < 2e-3, off


@pytest.mark.parametrize("name", PAIRS)
def test_charge_is_the_running_total_of_the_vendor_counters(name):
    """charge_C at the end of every step = signed sum of BTSDA's step-final capacities up to that step."""
    m, ref = _load(name)
    if len(ref) == 0:
        return
    d = m.data
    steps = ref.groupby("Step Count", sort=False)
    final = steps["Capacity(mAs)"].apply(lambda s: abs(s.iloc[-1])).to_numpy() * 1e-3
    sign = np.sign(steps["Current(uA)"].mean().to_numpy())
    expected = np.cumsum(final * sign)
    last_rows = ref.reset_index(drop=True).groupby("Step Count", sort=False).tail(1).index.to_numpy()
    got = d["charge_C"].to_numpy()[last_rows]
    tol = 2.2e-3 * np.arange(1, len(expected) + 1) + 1e-6 * np.abs(expected)
    assert np.all(np.abs(got - expected) <= tol)


@pytest.mark.parametrize("name", PAIRS)
def test_auxiliary_temperature_matches(name):
    m, ref = _load(name)
    tcols = [c for c in ref.columns if c.startswith("T1")]
    if len(ref) == 0 or not tcols:
        # no thermocouple in the export: the reader invents none (the corrupt file lost its aux mapping too)
        assert "temperature_K" not in m.data.columns or not tcols
        return
    t_ref = ref[tcols[0]].to_numpy(float)
    if np.all(t_ref == 0):
        return
    np.testing.assert_allclose(m.data["temperature_K"] - 273.15, t_ref, rtol=0, atol=0.051)


def test_corrupted_metadata_keeps_the_records_and_says_so():
    """Unit27_Example_Corrupt.ndax has a damaged TestInfo.xml: the records equal the intact file's, the aux
    thermocouples cannot be assigned (BTSDA drops them too) and a warning says so."""
    bad = read(shared_path(*FOLDER, "Unit27_Example_Corrupt.ndax"))
    good = read(shared_path(*FOLDER, "Unit27_Example_Data_File.ndax"))
    assert any("TestInfo.xml" in w for w in bad.warnings)
    assert "temperature_K" not in bad.data.columns and "temperature_K" in good.data.columns
    for c in ("time_s", "potential_V", "current_A", "charge_C", "step", "cycle"):
        np.testing.assert_array_equal(bad.data[c], good.data[c])
