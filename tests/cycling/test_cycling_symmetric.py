"""Li|SSE|Li ladders: shorts at the injected cycle, no false alarms, drift slopes and totals vs known inputs.

Two independent forward models: the public ``sselab.simulate.stripping_plating`` (EC-Lab-like rows, resistance
falling with charge passed, rest recovery, hard/soft shorts) and a private model (``ladder_model.py``) with
exponential drift, nucleation spikes, a long rest with recovery and sudden soft-short drops that recover.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ladder_model import MA_CM2, UA_CM2, make_ladder  # noqa: E402

from sselab.cycling import analyze_symmetric, li_thickness_m  # noqa: E402
from sselab.errors import AnalysisError  # noqa: E402
from sselab.simulate import stripping_plating  # noqa: E402


def _run(sim):
    return analyze_symmetric(sim.data, area_m2=sim.meta["area_m2"])


# ---- public simulator ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_public():
    return stripping_plating(rng=1)


def test_public_clean_no_false_alarm(clean_public):
    r = _run(clean_public)
    assert r.shorts == ()
    assert r.n_cycles == clean_public.truth["n_cycles"] == 90
    np.testing.assert_allclose([s.current_density_A_per_m2 for s in r.steps], [0.05, 0.1, 0.2, 0.4, 0.6, 0.8],
                               rtol=1e-4)
    assert all(s.n_cycles == 15 and s.sustained for s in r.steps)
    assert r.ccd_is_lower_bound and r.ccd_A_per_m2 == pytest.approx(0.8, rel=1e-4)
    # the resistance falls within each step (activation), and the fitted slope is negative beyond its error
    for s in r.steps:
        assert s.r_slope_ohm_m2_per_cycle < 0
        assert abs(s.r_slope_ohm_m2_per_cycle) > 2 * s.r_slope_err_ohm_m2_per_cycle
    # per-cycle resistance tracks the simulator's truth (cell R in Ω → Ω m²; shape factor ≤ 1 + growth)
    truth = np.asarray(clean_public.truth["resistance_by_cycle_ohm"]) * clean_public.meta["area_m2"]
    per_cycle = np.array([np.median(r.resistance_ohm_m2[r.cycle == c]) for c in range(1, 91)])
    ratio = per_cycle / truth
    assert 1.0 < np.median(ratio) < 1.25
    # totals: hours and cumulative charge from the ladder definition
    q = sum(2 * 15 * j * 900.0 for j in (0.05, 0.1, 0.2, 0.4, 0.6, 0.8))
    assert r.cumulative_charge_C_per_m2 == pytest.approx(q, rel=2e-3)
    assert r.li_thickness_equivalent_m == pytest.approx(li_thickness_m(q), rel=2e-3)
    assert r.total_hours == pytest.approx((90 * 2 * 910 + 12 * 3600) / 3600, rel=2e-3)
    json.dumps(r.to_dict(), allow_nan=False)


@pytest.mark.parametrize("short_cycle", [20, 40, 80])
def test_public_hard_short_detected_at_the_right_cycle(short_cycle):
    sim = stripping_plating(short_cycle=short_cycle, rng=2)
    r = _run(sim)
    hs = r.hard_short
    assert hs is not None and hs.cycle == short_cycle
    assert [s for s in r.shorts if s.kind == "soft"] == []
    step = (short_cycle - 1) // 15
    assert hs.step == step
    assert r.ccd_A_per_m2 == (pytest.approx(sim.truth["current_densities_A_per_m2"][step - 1], rel=1e-4)
                              if step else None)
    assert not r.ccd_is_lower_bound
    assert any("collapsed" in x for x in hs.reasons) and any("independent of direction" in x for x in hs.reasons)
    assert "hard" in r.ccd_criterion and "soft" in r.ccd_criterion


def test_public_soft_short_is_soft_not_hard():
    sim = stripping_plating(short_cycle=40, short_kind="soft", rng=3)
    r = _run(sim)
    assert r.hard_short is None
    assert r.soft_shorts and r.soft_shorts[0].cycle == 40
    assert r.ccd_A_per_m2 == pytest.approx(0.1, rel=1e-4)          # step 3 (0.2 A/m²) holds cycle 40
    assert r.ccd_hard_A_per_m2 == pytest.approx(0.8, rel=1e-4)


# ---- private model -------------------------------------------------------------------------------------------

STEPS = ((5 * UA_CM2, 20), (10 * UA_CM2, 20), (20 * UA_CM2, 20), (40 * UA_CM2, 20))


def _arrays(lad):
    return (lad.time_s, lad.potential_V, lad.current_A)


def test_private_clean_with_drift_spikes_and_rest_recovery_has_no_alarm():
    lad = make_ladder(STEPS, long_rest_after=30, recovery=1.4, spike_V=0.004, noise_V=2e-4, seed=5)
    r = analyze_symmetric(_arrays(lad), area_m2=lad.area_m2)
    assert r.shorts == ()
    assert r.n_cycles == 80 and len(r.steps) == 4
    # drift: R ∝ exp(−t/300 h) ⇒ relative slope −1/300 per hour in the steps without the long rest
    for s in (r.steps[0], r.steps[2], r.steps[3]):
        assert s.r_slope_ohm_m2_per_h / s.resistance_median_ohm_m2 == pytest.approx(-1 / 300, rel=0.1)


def test_private_hard_short_onset_cycle_and_time():
    lad = make_ladder(STEPS, hard_at=57, long_rest_after=30, seed=6)
    r = analyze_symmetric(_arrays(lad), area_m2=lad.area_m2)
    hs = r.hard_short
    assert hs.cycle == 57 and hs.step == 2
    t_true = lad.time_s[np.flatnonzero(lad.cycle == 57)[0]]
    assert hs.time_s == pytest.approx(t_true, abs=15.0)
    assert r.ccd_A_per_m2 == pytest.approx(10 * UA_CM2, rel=1e-4)
    assert [s.sustained for s in r.steps] == [True, True, False, False]


def test_private_hard_short_starting_inside_a_half_cycle():
    lad = make_ladder(STEPS, hard_at=44, hard_frac=0.5, seed=10)
    r = analyze_symmetric(_arrays(lad), area_m2=lad.area_m2)
    hs = r.hard_short
    assert hs.cycle == 44 and r.soft_shorts == ()
    t_true = lad.time_s[np.flatnonzero(lad.cycle == 44)[0]] + 450.0
    assert hs.time_s == pytest.approx(t_true, abs=15.0)
    assert any("sudden unrecovered drop" in x for x in hs.reasons)


def test_private_sudden_soft_drops_that_recover():
    lad = make_ladder(STEPS, soft_at=(12, 45), seed=7)
    r = analyze_symmetric(_arrays(lad), area_m2=lad.area_m2)
    assert r.hard_short is None
    assert [s.cycle for s in r.soft_shorts] == [12, 45]
    for s in r.soft_shorts:
        assert any("sudden drop" in x for x in s.reasons)
        assert any("recovers" in x for x in s.reasons)
        # the event time is the drop itself, 40 % into the first half cycle of the cycle
        t0 = lad.time_s[np.flatnonzero(lad.cycle == s.cycle)[0]]
        assert s.time_s == pytest.approx(t0 + 0.4 * 900, abs=15)
    assert r.ccd_A_per_m2 is None                                 # short in the first step
    assert r.ccd_hard_A_per_m2 == pytest.approx(40 * UA_CM2, rel=1e-4)


def test_flattened_whole_cycle_soft_short_recovers():
    lad = make_ladder(STEPS, seed=8)
    v = lad.potential_V.copy()
    m = np.isin(lad.cycle, [33, 34]) & (np.abs(lad.current_A) > 0)
    v[m] = np.sign(lad.current_A[m]) * 0.35 * np.median(np.abs(v[m]))      # flat, lower, then back
    r = analyze_symmetric((lad.time_s, v, lad.current_A), area_m2=lad.area_m2)
    assert r.hard_short is None
    assert [s.cycle for s in r.soft_shorts] == [33]
    assert any("flattened" in x for x in r.soft_shorts[0].reasons)


def test_wide_ladder_to_high_current_no_false_alarm():
    steps = [(j * UA_CM2, 8) for j in (5, 10, 20, 40, 60, 80)] + [(j * MA_CM2, 5) for j in (0.1, 0.5, 1, 5, 10)]
    lad = make_ladder(steps, dt=10.0, seed=9)
    r = analyze_symmetric(_arrays(lad), area_m2=lad.area_m2)
    assert r.shorts == () and len(r.steps) == 11
    assert r.ccd_A_per_m2 == pytest.approx(10 * MA_CM2, rel=1e-4) and r.ccd_is_lower_bound


def test_errors():
    t = np.arange(100.0)
    with pytest.raises(AnalysisError):
        analyze_symmetric((t, np.zeros(100), np.full(100, 1e-3)), area_m2=1e-4)       # one half cycle
    with pytest.raises(AnalysisError):
        analyze_symmetric((t, np.zeros(100), np.full(100, 1e-3)), area_m2=0)
