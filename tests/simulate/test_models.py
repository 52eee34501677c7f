"""Forward models against closed forms and an independent implementation (impedance.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sselab.simulate import (BLOCKING, SYMMETRIC, ArrheniusLaw, closed_form, cyclic_voltammetry, dc_polarization,
                             eis_blocking, full_cell, impedance, pellet_area, stripping_plating)
from sselab.units import K_B_EV

P = {"R0": 2.0, "R1": 1200.0, "CPE1_Q": 2e-11, "CPE1_alpha": 0.95, "R2": 800.0, "CPE2_Q": 2e-9,
     "CPE2_alpha": 0.85, "CPE3_Q": 1.5e-6, "CPE3_alpha": 0.82, "R3": 120.0}


def test_closed_form_matches_impedance_py():
    circuits = pytest.importorskip("impedance.models.circuits")
    f = np.logspace(7, 0, 50)
    ref = circuits.CustomCircuit(BLOCKING, initial_guess=[P["R0"], P["R1"], P["CPE1_Q"], P["CPE1_alpha"], P["R2"],
                                                          P["CPE2_Q"], P["CPE2_alpha"], P["CPE3_Q"],
                                                          P["CPE3_alpha"]]).predict(f)
    np.testing.assert_allclose(closed_form(BLOCKING, f, P), ref, rtol=1e-10)
    np.testing.assert_allclose(impedance(BLOCKING, f, P), ref, rtol=1e-9)


def test_closed_form_limits():
    f = np.array([1e-6, 1e12])
    z = closed_form("R0-p(R1,C1)", f, {"R0": 5.0, "R1": 100.0, "C1": 1e-9})
    np.testing.assert_allclose(z.real, [105.0, 5.0], rtol=1e-6)
    # symmetric cell closes on the real axis at R0+R1+R2+R3
    zs = closed_form(SYMMETRIC, np.array([1e-9]), P)
    assert zs[0].real == pytest.approx(P["R0"] + P["R1"] + P["R2"] + P["R3"], rel=1e-4)


def test_arrhenius_law_pins_reference_and_slope():
    law = ArrheniusLaw(0.1, 0.44)  # 1 mS/cm at 30 °C
    assert law.sigma(303.15) == pytest.approx(0.1)
    T = np.array([303.15, 383.15])
    s = law.sigma(T)
    slope = np.diff(np.log(s * T)) / np.diff(1 / T)
    assert -slope[0] * K_B_EV == pytest.approx(0.44)


def test_eis_blocking_resistance_from_geometry():
    law = ArrheniusLaw(0.0054, 0.50)
    sim = eis_blocking(303.15, bulk=law.scaled(1.5), gb=law.scaled(3.0), noise=0.0, thickness_m=1e-3)
    k = 1e-3 / pellet_area(10e-3)
    assert sim.truth["sigma_total_S_per_m"] == pytest.approx(0.0054, rel=1e-12)
    assert sim.truth["R_total_ohm"] == pytest.approx(k / 0.0054)
    f, z = sim.impedance()
    assert np.all(np.diff(f) < 0)  # swept high to low
    assert -z.imag[-1] > 5 * sim.truth["R_total_ohm"]  # blocking spike at low frequency


def test_eis_noise_is_seeded():
    law = ArrheniusLaw(0.0054, 0.50)
    a = eis_blocking(320, bulk=law, rng=7).impedance()[1]
    b = eis_blocking(320, bulk=law, rng=7).impedance()[1]
    c = eis_blocking(320, bulk=law, rng=8).impedance()[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dc_polarization_closed_form():
    sim = dc_polarization(noise_rel=0, noise_abs_A=0, rng=0)
    t, i = sim.data["time_s"].to_numpy(), sim.data["current_A"].to_numpy()
    A = pellet_area(10e-3)
    i_e = 1.2e-7 * A * 0.5 / 1e-3  # σe·A·V/L
    assert i[-1] == pytest.approx(i_e, rel=1e-9)
    assert 1 - i[-1] / i[0] == pytest.approx(0.998, rel=1e-9)
    k = np.searchsorted(t, 4.5)
    assert (i[k] - i_e) / (i[0] - i_e) == pytest.approx(math.exp(-1), rel=1e-6)


def test_cv_charges_per_cycle():
    sim = cyclic_voltammetry(n_cycles=10, noise_A=0, capacitance_F=0, leak_S=0, decomposition_onset_V=None,
                             dE_V=2e-3, rng=0)
    d = sim.data
    dt = 2e-3 / 1e-3
    for k in (1, 5, 10):
        i = d.loc[d["cycle"] == k, "current_A"].to_numpy()
        assert -i[i < 0].sum() * dt == pytest.approx(sim.truth["plated_charge_C"][k - 1], rel=1e-9)
        assert i[i > 0].sum() * dt == pytest.approx(sim.truth["stripped_charge_C"][k - 1], rel=1e-9)
    q = np.array(sim.truth["plated_charge_C"])
    assert np.diff(q)[:6].max() < np.diff(q)[7:].min()  # two regimes


def test_stripping_resistance_falls_recovers_and_shorts():
    sim = stripping_plating(cycles_per_step=8, short_cycle=40, short_kind="hard", rng=0)
    d, tr = sim.data, sim.truth
    r = np.array(tr["resistance_by_cycle_ohm"])
    assert r[7] < r[0]                      # falls while cycling
    assert r[24] > r[23]                    # recovers over the long rest after step 3
    v = d["potential_V"].abs().to_numpy()
    i = d["current_A"].abs().to_numpy()
    cyc = d["cycle"].to_numpy()
    on = i > 0
    r_before = np.median(v[on & (cyc == 38)] / i[on & (cyc == 38)])
    r_after = np.median(v[on & (cyc == 39)] / i[on & (cyc == 39)])
    assert r_after < 0.05 * r_before        # 0-based cycle 39 is the 40th cycle: shorted


def test_full_cell_capacities():
    sim = full_cell(n_cycles=4, noise_V=0, rng=0)
    d, tr = sim.data, sim.truth
    m = tr["active_mass_kg"]
    for k in range(4):
        seg = d[(d["cycle"] == k) & (d["current_A"] < 0)]
        t = seg["time_s"].to_numpy()
        q = abs(seg["current_A"].iloc[0]) * (t[-1] - t[0])  # the step records its first and last point
        assert q / 3.6 / (m * 1e3) == pytest.approx(tr["discharge_capacity_mAh_per_g"][k], rel=1e-6)
    assert tr["discharge_capacity_mAh_per_g"][0] == 126.0
    assert d["potential_V"].max() == pytest.approx(3.2) and d["potential_V"].min() == pytest.approx(1.5)


@pytest.mark.parametrize("kind", ["hard", "soft"])
def test_injected_short_is_found_by_cycling(kind):
    from sselab import cycling as cyc

    sim = stripping_plating(cycles_per_step=6, short_cycle=20, short_kind=kind, rng=3)
    res = cyc.analyze_symmetric(sim.data, area_m2=pellet_area(10e-3))
    assert res.shorts and res.shorts[0].kind == kind and res.shorts[0].cycle == 20
