"""Segmentation from the current signal: counts, durations, charges and robustness against a forward model."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ladder_model import UA_CM2, make_ladder  # noqa: E402

from sselab.cycling import decimate_minmax, li_thickness_m, segment  # noqa: E402
from sselab.errors import AnalysisError  # noqa: E402


@pytest.fixture(scope="module")
def ladder():
    return make_ladder(steps=((5 * UA_CM2, 6), (20 * UA_CM2, 6)), dt=5.0)


def test_li_thickness_closed_form():
    # 1 mAh/cm² = 36 000 C/m²  →  q/F · M/ρ = 4.85 µm (issue text)
    assert li_thickness_m(36000.0) * 1e6 == pytest.approx(4.85, abs=0.005)
    assert li_thickness_m(36000.0) == pytest.approx(36000 / 96485.33212 * 6.941e-3 / 534.0, rel=1e-12)


def test_counts_durations_and_charge(ladder):
    s = segment(ladder.time_s, ladder.potential_V, ladder.current_A)
    assert s.n_segments == 4 * ladder.n_cycles                       # +, rest, −, rest per cycle
    assert list(s.kind[:4]) == [1, 0, -1, 0]
    on = s.kind != 0
    # interior segments exactly; the first one loses half a sampling interval at the record edge (midpoint rule)
    np.testing.assert_allclose(s.duration_s[on][1:], 900.0, rtol=1e-9)
    assert s.duration_s[0] == pytest.approx(900.0 - 2.5)
    np.testing.assert_allclose(s.duration_s[~on][:-1], 10.0, rtol=1e-9)
    j = np.abs(s.current_A[on]) / ladder.area_m2
    expect_j = np.repeat([0.05, 0.2], 12)
    np.testing.assert_allclose(j, expect_j, rtol=1e-4)
    # areal charge of a half cycle = j · 900 s
    np.testing.assert_allclose(np.abs(s.charge_C[on][1:]) / ladder.area_m2, expect_j[1:] * 900.0, rtol=1e-4)
    assert s.warnings == ()


def test_split_steps_and_measurement_input(ladder):
    import pandas as pd

    df = pd.DataFrame({"time_s": ladder.time_s, "potential_V": ladder.potential_V, "current_A": ladder.current_A})
    a = segment(df)
    b = segment((ladder.time_s, ladder.potential_V, ladder.current_A))
    np.testing.assert_array_equal(a.start, b.start)


def test_robust_to_glitches_nan_and_time_restarts(ladder):
    t, v, i = ladder.time_s.copy(), ladder.potential_V.copy(), ladder.current_A.copy()
    base = segment(t, v, i)
    rest_rows = np.flatnonzero(np.abs(i) < 1e-8)
    i[rest_rows[3]] = 5e-6                # a one-sample spike during a rest
    mid = base.start[2] + 40
    i[mid] = 0.0                          # a one-sample dropout inside a half cycle
    v[mid + 5] = np.nan                   # a broken row
    t2 = t.copy()
    t2[1000:] -= t2[1000] - 3.0           # the clock restarted (a new technique) — counters not used
    s = segment(t2, v, i)
    assert s.n_segments == base.n_segments
    assert any("non-finite" in w for w in s.warnings)
    assert any("backwards" in w for w in s.warnings)
    on = base.kind != 0
    np.testing.assert_array_equal(s.kind, base.kind)
    np.testing.assert_allclose(np.abs(s.charge_C[on]), np.abs(base.charge_C[on]), rtol=1e-2)


def test_current_steps_without_rest_are_split():
    t = np.arange(0, 300.0)
    i = np.where(t < 100, 1e-3, np.where(t < 200, 2e-3, 5e-3))
    v = 0.1 + 10 * i
    s = segment(t, v, i)
    assert s.n_segments == 3
    np.testing.assert_allclose(s.current_A, [1e-3, 2e-3, 5e-3])
    s1 = segment(t, v, i, split_steps=False)
    assert s1.n_segments == 1


def test_noisy_current_and_noisy_long_rest():
    rng = np.random.default_rng(3)
    t = np.arange(0, 20000.0)
    on = (t % 4000) < 1000
    i = np.where(on, -8.5e-5 + 5e-6 * rng.standard_normal(t.size), 2e-10 * rng.standard_normal(t.size))
    v = np.where(on, -0.3, 0.0) + 1e-4 * rng.standard_normal(t.size)
    s = segment(t, v, i)
    assert (s.kind != 0).sum() == 5 and (s.kind == 0).sum() == 5


def test_errors():
    with pytest.raises(AnalysisError):
        segment(np.arange(5.0), np.zeros(5), np.zeros(5))
    with pytest.raises(AnalysisError):
        segment(np.arange(2.0), np.zeros(2), np.ones(2))
    with pytest.raises(AnalysisError):
        segment({"time_s": [0, 1, 2], "potential_V": [0, 0, 0]})


def test_decimate_minmax_bounds_points_and_keeps_extremes():
    x = np.linspace(0, 1, 1_000_003)
    y = np.sin(50 * x)
    y[123456] = 7.0
    xs, ys = decimate_minmax(x, y, 1000)
    assert len(xs) <= 2000
    assert ys.max() == 7.0 and ys.min() == pytest.approx(-1.0, abs=1e-6)
