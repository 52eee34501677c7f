"""Neware files in ../shared/data/instruments against the expected tables of another reader (NewareNDA's own test
references, Feather files in ../shared/data/cyclers/d-cogswell+NewareNDA).  sselab decodes with fastnda, so this is
a second, independent decoder's answer on the same bytes.  Skipped cleanly without ../shared."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

import fastnda  # noqa: F401 — the test extra (pip install -e '.[test]')
import pyarrow  # noqa: F401 — the test extra (pip install -e '.[test]')

from sselab.io import read  # noqa: E402

PAIRS = {
    "123456789012_Unit27_Example_Data_File": "github/Issue94/123456789012_Unit27_Example_Data_File.ndax",
    "46_1_5_60_ZZZZZZZZTEST_20250924092922": "github/Issue27_2/46_1_5_60_ZZZZZZZZTEST_20250924092922.ndax",
    "ZZZZZZZZTEST": "github/Issue27_2/ZZZZZZZZTEST.ndax",
    "TESTCELL0001-Test_Data_Collection_Ndc17": "github/PR28/TESTCELL0001-Test_Data_Collection_Ndc17.ndax",
    "new_nda_file": "neware_reader/new_nda_file.nda",
    "TestFile": "github/Issue72/TestFile.nda",
    "2-1-6_61[07005012]": "mediafire/2-1-6_61[07005012].nda",
}


def _chg_mode_cycles(step_type: np.ndarray, step_count: np.ndarray) -> np.ndarray:
    """NewareNDA's default cycle numbering ('chg'): a new cycle at each charge step that follows a discharge."""
    first = np.concatenate(([True], step_count[1:] != step_count[:-1]))
    st = pd.Series(step_type).astype(str)
    chg = st.str.contains("_Chg").to_numpy()
    dchg = st.str.contains("_DChg").to_numpy()
    cyc = np.ones(len(st), dtype=np.int64)
    seen_dchg = False
    c = 1
    for k in range(len(st)):
        if first[k]:
            if chg[k] and seen_dchg:
                c += 1
                seen_dchg = False
            if dchg[k]:
                seen_dchg = True
        cyc[k] = c
    return cyc


@pytest.mark.parametrize("stem", list(PAIRS))
def test_matches_newarenda_reference(stem):
    ref = pd.read_feather(shared_path("data", "cyclers", "d-cogswell+NewareNDA", "tests", "reference", stem + ".ftr"))
    m = read(shared_path("data", "instruments", "d-cogswell+NewareNDA", "tests", "nda", *PAIRS[stem].split("/")))
    d = m.data
    assert len(d) == len(ref)
    # NewareNDA stores float32: compare to float32 resolution
    np.testing.assert_allclose(d["potential_V"], ref["Voltage"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d["current_A"], ref["Current(mA)"] * 1e-3, rtol=1e-6, atol=1e-9)
    q_ref = (ref["Charge_Capacity(mAh)"] - ref["Discharge_Capacity(mAh)"]).to_numpy(float) * 3.6
    np.testing.assert_allclose(np.abs(d["step_charge_C"]), np.abs(q_ref), rtol=2e-6, atol=1e-3)
    np.testing.assert_array_equal(d["step"], ref["Step_Index"])
    np.testing.assert_array_equal(d["step_count"], ref["Step"])
    np.testing.assert_array_equal(d["step_type"].astype(str), ref["Status"].astype(str))
    # NewareNDA's "Time" is the step time, except for BTS 9 files (.nda version 130) where it holds the test time
    t = d["time_s"] if m.extra.get("nda_version") == 130 else d["step_time_s"]
    np.testing.assert_allclose(t, ref["Time"], rtol=2e-7, atol=2e-6)
    # NewareNDA renumbers cycles by default ('chg' mode): the same rule applied to sselab's step types
    np.testing.assert_array_equal(_chg_mode_cycles(d["step_type"].to_numpy(), d["step_count"].to_numpy()),
                                  ref["Cycle"])
    ts = ref["Timestamp"].dt.tz_localize(None).to_numpy().astype("datetime64[us]").astype("int64") / 1e6 \
        if ref["Timestamp"].dt.tz is not None else ref["Timestamp"].to_numpy().astype("datetime64[us]").astype("int64") / 1e6
    u = d["unix_time_s"].to_numpy(float)
    np.testing.assert_allclose(u - u[0], ts - ts[0], rtol=0, atol=1.01e-3)
    for k in (1, 2):
        if f"T{k}" in ref.columns:
            col = "temperature_K" if k == 1 else "aux2_temperature_K"
            np.testing.assert_allclose(d[col] - 273.15, ref[f"T{k}"], rtol=0, atol=1e-4)
