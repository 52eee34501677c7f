"""Real GCPL, CP and MB files: segmentation checked against the instrument's own counters and set currents.

The instrument's integrated charge (``charge_C`` from ``(Q-Qo)``, and EC-Lab's per-half-cycle
``Q charge/discharge``) and its set current (``control_A``) are independent of our segmentation, which uses the
measured current only.
"""
import numpy as np
import pytest

from conftest import shared_path
from sselab.cycling import analyze_full_cell, analyze_symmetric, segment
from sselab.io import read

ECLAB = ("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab")
JDB = ("data", "instruments", "be-smith+navani", "Example_data", "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr")


def _instrument_charge(m, s):
    q = m.column("charge_C")
    a = np.maximum(s.start - 1, 0)
    return q[s.stop - 1] - q[a]


def test_gcpl_mpr_half_cycle_charges_match_instrument():
    m = read(shared_path(*JDB))
    s = segment(m, split_steps=False)
    on = s.kind != 0
    assert on.sum() == 13                             # a partial first discharge + 6 charges + 6 discharges
    np.testing.assert_allclose(s.charge_C[on], _instrument_charge(m, s)[on], rtol=1e-5)
    qcd = m.data["Q charge/discharge/mA.h"].to_numpy() * 3.6
    np.testing.assert_allclose(np.abs(s.charge_C[on]), np.abs(qcd[s.stop[on] - 1]), rtol=1e-5)


def test_gcpl_mpr_as_full_cell():
    m = read(shared_path(*JDB))
    r = analyze_full_cell(m, active_mass_kg=1e-6)
    assert r.first_direction == "charge" and r.n_cycles == 6
    assert any("partial half cycle" in w for w in r.warnings)
    # ≈ 0.98 mAh charge and ≈ 0.87 mAh discharge per cycle between 2 and 3.8 V: CE 0.86–0.94, no fade
    assert np.all((r.coulombic_efficiency > 0.85) & (r.coulombic_efficiency < 0.95))
    np.testing.assert_allclose(r.retention, 1.0, atol=0.04)
    assert np.all((r.discharge_mean_voltage_V > 2.0) & (r.discharge_mean_voltage_V < 3.8))


@pytest.mark.parametrize("name", ["cp.mpt", "cp.mpr", "cp.issue_61.mpt", "gcpl.issue_175.mpr"])
def test_cp_and_gcpl_charge_and_set_current(name):
    m = read(shared_path(*ECLAB, name))
    s = segment(m)
    on = s.kind != 0
    assert on.any()
    np.testing.assert_allclose(s.charge_C[on], _instrument_charge(m, s)[on], rtol=2e-2)
    if m.has("control_A"):
        ctrl = m.column("control_A")
        for k in np.flatnonzero(on):
            set_i = np.median(ctrl[s.start[k]:s.stop[k]])
            assert s.current_A[k] == pytest.approx(set_i, rel=0.02)


def test_cp_ladder_without_rests_gives_ten_steps():
    s = segment(read(shared_path(*ECLAB, "cp.issue_61.mpt")))
    assert s.n_segments == 10 and (s.kind == 1).all()
    assert np.all(np.diff(s.current_A) > 0)


@pytest.mark.parametrize("name", ["mb.mpr", "mb.mpt", "mb.issue_95.mpt", "mb.issue_95.de.mpt", "mb.issue_218.mpr",
                                  "mb.issue_149.mpt"])
def test_modulo_bat_segments_follow_the_set_current(name):
    m = read(shared_path(*ECLAB, name))
    s = segment(m, split_steps=False)
    assert s.start[0] == 0 and s.stop[-1] == s.n_rows and np.all(s.start[1:] == s.stop[:-1])
    if m.has("control_A"):
        ctrl = m.column("control_A")
        on = s.kind != 0
        # every current-on segment runs in the direction the instrument was told to drive
        for k in np.flatnonzero(on):
            c = np.median(ctrl[s.start[k]:s.stop[k]])
            assert np.sign(c) == s.kind[k]


def test_mb_mpr_and_mpt_agree():
    a = segment(read(shared_path(*ECLAB, "mb.mpr")))
    b = segment(read(shared_path(*ECLAB, "mb.mpt")))
    assert any("impedance row" in w for w in b.warnings)          # PEIS rows inside the MB are rests here
    np.testing.assert_array_equal(a.kind, b.kind)
    np.testing.assert_allclose(a.charge_C, b.charge_C, rtol=1e-3, atol=1e-9)


def test_mb_issue_95_two_directions_as_symmetric_record():
    m = read(shared_path(*ECLAB, "mb.issue_95.mpt"))
    r = analyze_symmetric(m, area_m2=1e-4)
    assert r.n_half_cycles == 2 and r.shorts == ()
    np.testing.assert_allclose(np.abs(r.current_density_A_per_m2), [0.1 / 1e-4, 0.0649 / 1e-4], rtol=2e-2)
