"""Maccor text exports (BEEP's raw .0NN files, cellpy's MaccorExport tables, PyProBE's csv, the FRA impedance file).

Independent checks: the test time against the records' own wall clock (DPt Time), the charge rebuilt from Maccor's
Amp-hr counter against the integral of the current, and the sign of the current against the State column."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path

from sselab.io import detect, read

BEEP = ("data", "instruments", "TRI-AMDD+beep", "beep", "tests", "test_files")
CELLPY = ("data", "instruments", "jepegit+cellpy")


def _trapz_charge(t, i):
    return np.concatenate(([0.0], np.cumsum(0.5 * (i[1:] + i[:-1]) * np.diff(t))))


def _check_counter_against_integral(m, rel):
    """Over every step logged densely (≥ 50 records), the charge rebuilt from Maccor's Amp-hr counter equals the
    trapezoidal integral of the current within the integration's own error (sparse steps — a 3-record CV tail —
    cannot be integrated that well and are not checked)."""
    d = m.data
    t, i, q = d["time_s"].to_numpy(), d["current_A"].to_numpy(), d["charge_C"].to_numpy()
    run = np.concatenate(([0], np.cumsum((np.diff(d["step"].to_numpy()) != 0)
                                         | (np.diff(d["cycle"].to_numpy()) != 0))))
    checked = 0
    for r in np.unique(run):
        k = np.flatnonzero(run == r)
        if len(k) < 50 or np.max(np.abs(i[k])) == 0:
            continue
        dq = q[k[-1]] - q[k[0]]
        integral = _trapz_charge(t[k], i[k])[-1]
        # plus one logging interval's charge: the current may jump right after a record (a 30-s log of a pulse)
        one = np.max(np.abs(i[k][1:]) * np.diff(t[k]))
        assert abs(dq - integral) <= rel * abs(integral) + one, (r, dq, integral)
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("name", ["PreDiag_000229_000229_truncated.034", "PredictionDiagnostics_000109_tztest.010",
                                  "PredictionDiagnostics_000151_test.052"])
def test_beep_raw_files(name):
    m = read(shared_path(*BEEP, name))
    assert detect(shared_path(*BEEP, name)) == "maccor-txt"
    d = m.data
    assert m.technique == "CYCLING" and m.instrument == "Maccor"
    st = d["step_type"].to_numpy().astype(str)
    i = d["current_A"].to_numpy()
    assert np.all(i[st == "D"] < 0) and np.all(i[st == "C"] > 0)
    # DPt Time is the wall clock of each record: its differences equal the test time's (1 s resolution; the
    # ``paused``/``tztest`` files are BEEP's examples of pauses and DST changes, so compare piecewise)
    dt_clock = np.diff(d["unix_time_s"].to_numpy())
    dt_test = np.diff(d["time_s"].to_numpy())
    ok = np.abs(dt_clock - dt_test) <= 1.0
    assert ok.mean() > 0.99
    _check_counter_against_integral(m, rel=0.01)


def test_maccor_export_in_minutes_with_unsigned_current():
    """cellpy's maccor_002: MaccorExport writes TestTime in minutes and |I| with the mode in 'Md'."""
    m = read(shared_path(*CELLPY, "testdata", "data", "maccor_002.txt"))
    d = m.data
    u = d["unix_time_s"].to_numpy()
    # (the tester's clock and the PC's drift apart by ~1e-5 over the 2.6-day record)
    np.testing.assert_allclose(d["time_s"] - d["time_s"].iloc[0], u - u[0], rtol=2e-5, atol=1.0)
    st = d["step_type"].to_numpy().astype(str)
    assert np.all(d["current_A"].to_numpy()[st == "D"] < 0) and np.all(d["current_A"].to_numpy()[st == "C"] > 0)
    assert m.extra["current_sign"] == "state"
    assert str(m.start_time) == "2021-05-11 15:40:24"
    _check_counter_against_integral(m, rel=0.01)


def test_maccor_export_with_decimal_commas():
    m = read(shared_path(*CELLPY, "examples", "data", "maccor_two.txt"))
    d = m.data
    assert any(w.what == "decimal comma detected and converted" for w in m.warnings)
    np.testing.assert_allclose(d["potential_V"].iloc[:3], [0.1377, 0.1385, 0.1394])
    u = d["unix_time_s"].to_numpy()
    np.testing.assert_allclose(d["time_s"], u - u[0], rtol=0, atol=1.0)   # minutes, settled by the clock


def test_maccor_milli_unit_export():
    m = read(shared_path(*CELLPY, "examples", "data", "maccor_three.txt"))
    d = m.data
    assert any("read as mV" in w for w in m.warnings)
    v = d["potential_V"].to_numpy()
    assert 1.2 < v.min() and v.max() < 4.0
    assert np.max(np.abs(d["current_A"])) < 1.0  # mAmps -> A
    _check_counter_against_integral(m, rel=0.01)


def test_pyprobe_maccor_csv():
    m = read(shared_path("data", "instruments", "ImperialCollegeLondon+PyProBE", "tests", "sample_data", "maccor",
                         "sample_data_maccor.csv"))
    d = m.data
    assert m.format == "maccor-txt" and len(d) == 15
    np.testing.assert_allclose(d["time_s"].iloc[[0, 11, 14]], [0.0, 10.06, 13.06])
    np.testing.assert_allclose(d["temperature_K"], 22.2591 + 273.15)
    np.testing.assert_allclose(d["charge_C"].iloc[-1], 0.024 * 3600)
    assert any("no State column" in w for w in m.warnings)


def test_maccor_fra_impedance_file():
    p = shared_path(*BEEP, "maccor_test_file_4267-66-6519.EDA0001.041")
    m = read(p)
    assert m.technique == "EIS" and m.is_eis and len(m) == 60
    f, z = m.impedance()
    assert f.max() == pytest.approx(999999.0) and f.min() == pytest.approx(1.25892)
    low = f < 100
    assert np.all(z.imag[low] < 0)  # capacitive: mathematical sign kept
    assert np.all(z.real > 0)
    assert str(m.start_time) == "2016-11-02 15:58:00"
