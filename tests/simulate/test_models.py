"""Forward models against closed forms and an independent implementation (impedance.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sselab.errors import SselabError
from sselab.simulate import (BLOCKING, SYMMETRIC, ArrheniusLaw, closed_form, cyclic_voltammetry, dc_polarization,
                             eis_blocking, eis_symmetric, full_cell, impedance, pellet_area, stripping_plating,
                             symmetric_circuit)
from sselab.units import K_B_EV

P = {"R0": 2.0, "R1": 1200.0, "CPE1_Q": 2e-11, "CPE1_alpha": 0.95, "R2": 800.0, "CPE2_Q": 2e-9,
     "CPE2_alpha": 0.85, "CPE3_Q": 1.5e-6, "CPE3_alpha": 0.82, "R3": 120.0}


def test_closed_form_matches_impedance_py():
    from impedance.models import circuits        # impedance.py: in the [test] extra
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


def _trapz(y, dt):
    return dt * (y.sum() - 0.5 * (y[0] + y[-1])) if y.size > 1 else 0.0


def test_cv_charges_per_cycle_by_integration():
    """Faradaic charges per cycle = trapezoid integrals of the noiseless current (background switched off)."""
    dE = 2e-3
    sim = cyclic_voltammetry(n_cycles=10, noise_A=0, capacitance_F=0, sigma_e_S_per_m=0.0, dE_V=dE, rng=0)
    d, tr = sim.data, sim.truth
    dt = dE / 1e-3
    for k in (1, 5, 10):
        i = d.loc[d["cycle"] == k, "current_A"].to_numpy()
        assert -_trapz(np.minimum(i, 0), dt) == pytest.approx(tr["plated_charge_C"][k - 1], rel=1e-12)
        assert _trapz(np.maximum(i, 0), dt) == pytest.approx(tr["stripped_charge_C"][k - 1], rel=1e-12)
    q = np.array(tr["plated_charge_C"])
    np.testing.assert_allclose(q, 3e-3 + 5e-4 * np.minimum(np.arange(10), 6) + 1.6e-3 * np.clip(np.arange(10) - 6, 0,
                                                                                                 None), rtol=1e-12)
    assert np.diff(q)[:6].max() < np.diff(q)[7:].min()  # two regimes
    np.testing.assert_allclose(np.array(tr["stripped_charge_C"]) / q, 0.95, rtol=1e-12)
    assert tr["excess_plated_C"] == pytest.approx(0.05 * q.sum(), rel=1e-12)


def test_cv_currents_within_the_ohmic_limit():
    """|I| ≤ |E|·σA/L for the Faradaic current at every potential (independent closed form of the pellet)."""
    sigma, L, d = 9.63e-3, 1.25e-3, 10e-3
    sim = cyclic_voltammetry(noise_A=0, capacitance_F=0, sigma_e_S_per_m=0.0, rng=0)
    e, i = sim.data["control_V"].to_numpy(), sim.data["current_A"].to_numpy()
    g = sigma * math.pi * (d / 2) ** 2 / L                       # pellet conductance, S
    assert np.all(np.abs(i) <= g * np.abs(e) * (1 + 1e-9) + 1e-15)
    assert sim.truth["ohmic_limit_A"] == pytest.approx(0.5 * g, rel=1e-12)
    assert sim.truth["max_abs_current_A"] < 0.3 * sim.truth["ohmic_limit_A"]
    # plating resistance per cycle never beats the pellet; stripping ends before the +0.5 V window edge
    assert min(sim.truth["R_plate_ohm"]) > 1 / g
    assert max(sim.truth["strip_end_V"]) < 0.5
    # no decomposition: above 0.5 V only background (double layer + electronic leak), far below 10 µA/cm²
    full = cyclic_voltammetry(rng=1)
    e2, i2 = full.data["control_V"].to_numpy(), full.data["current_A"].to_numpy()
    hi = e2 > 0.5
    assert np.abs(i2[hi]).max() / pellet_area(10e-3) < 0.1 * 0.1        # < 1 µA/cm² (threshold 10 µA/cm²)


def test_cv_beyond_the_ohmic_limit_is_refused():
    # 0.5 C in one cycle through a 1.65 kΩ pellet: the charge needs R ≈ 480 Ω < R_pellet
    with pytest.raises(SselabError, match="ohmic limit"):
        cyclic_voltammetry(n_cycles=2, q_plate_first_C=0.5, rng=0)


def test_cv_stripping_closed_form():
    """∫ (E/R)(1 − E²/E_end²)² dE / v = E_end²/(6 R v): the shape carries exactly the strippable charge."""
    R, v, q0 = 1650.0, 1e-3, 0.01
    e_end = math.sqrt(6 * R * v * q0)
    e = np.linspace(0, e_end, 200001)
    i = e / R * (1 - (e / e_end) ** 2) ** 2
    assert _trapz(i, (e[1] - e[0]) / v) == pytest.approx(q0, rel=1e-8)
    assert e[np.argmax(i)] == pytest.approx(e_end / math.sqrt(5), rel=1e-4)


def test_cv_electronic_leak_interpolates_geometrically():
    sim = cyclic_voltammetry(n_cycles=5, sigma_e_S_per_m=(4.5e-8, 5.4e-6), rng=0)
    g = np.array(sim.truth["electronic_conductance_S"])
    k = pellet_area(10e-3) / 1.25e-3
    assert g[0] == pytest.approx(4.5e-8 * k) and g[-1] == pytest.approx(5.4e-6 * k)
    np.testing.assert_allclose(np.diff(np.log(g)), np.log(120) / 4)


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
    import sselab.cycling as cyc
    sim = stripping_plating(cycles_per_step=6, short_cycle=20, short_kind=kind, rng=3)
    res = cyc.analyze_symmetric(sim.data, area_m2=pellet_area(10e-3))
    assert res.shorts and res.shorts[0].kind == kind and res.shorts[0].cycle == 20


def test_dc_polarization_from_initial_current():
    """Paper's pre-CV numbers: σe 0.45 nS/cm, I0 74 nA, L 1.25 mm → t_i = 1 − σe·A·V/(L·I0) = 0.981."""
    sim = dc_polarization(sigma_e_S_per_m=4.5e-8, t_ion=None, I_0_A=74e-9, tau_s=4.48, thickness_m=1.25e-3,
                          noise_rel=0, noise_abs_A=0, rng=0)
    i = sim.data["current_A"].to_numpy()
    i_e = 4.5e-8 * pellet_area(10e-3) * 0.5 / 1.25e-3
    assert i[0] == pytest.approx(74e-9, rel=1e-12) and i[-1] == pytest.approx(i_e, rel=1e-9)
    assert sim.truth["t_ion"] == pytest.approx(1 - i_e / 74e-9, rel=1e-12)
    assert round(sim.truth["t_ion"], 3) == 0.981
    assert sim.truth["sigma_e_eqn3_S_per_m"] == pytest.approx(4.5e-8, rel=1e-9)
    with pytest.raises(SselabError, match="either t_ion or I_0_A"):
        dc_polarization(t_ion=0.99, I_0_A=1e-6)
    with pytest.raises(SselabError, match="must exceed"):
        dc_polarization(t_ion=None, I_0_A=1e-12)


def test_eis_symmetric_parts_and_limits():
    f = np.array([1e-7, 1.0, 1e12])
    assert symmetric_circuit(gb=False, interface=False) == "R0-p(R1,CPE1)"
    assert symmetric_circuit(lead_inductance=True, inductive_loop=True) == \
        "R0-L0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-p(R4,L4)"
    sim = eis_symmetric(303.15, sigma_bulk_S_per_m=0.0081, sigma_gb_S_per_m=0.0162, asr_interface_ohm_m2=0.3308,
                        thickness_m=1.2e-3, L_lead_H=1e-6, loop_fraction=0.03, loop_f_Hz=0.01, noise=0.0, f=f, rng=0)
    tr, p = sim.truth, sim.truth["params"]
    A = pellet_area(10e-3)
    assert p["R3"] == pytest.approx(2 * 0.3308 / A) and p["R1"] == pytest.approx(1.2e-3 / (0.0081 * A))
    z = sim.impedance()[1]
    # DC: the loop inductor shorts R4 → R0 + R1 + R2 + R3; very high f: R0 + jωL0 (+ R4 through its open inductor)
    assert z[0].real == pytest.approx(tr["R_dc_ohm"], rel=1e-6)
    assert z[2].imag == pytest.approx(2 * np.pi * 1e12 * 1e-6, rel=1e-3)
    assert p["L4"] == pytest.approx(p["R4"] / (2 * np.pi * 0.01)) and p["R4"] == pytest.approx(0.03 * tr["R_dc_ohm"])
    # the loop: Z'' > 0 (below the axis in −Z'') between the interface arc and DC
    f2 = np.logspace(-4, 0, 40)
    z2 = eis_symmetric(303.15, sigma_bulk_S_per_m=0.0081, asr_interface_ohm_m2=0.0047, loop_fraction=0.03,
                       noise=0.0, f=f2, rng=0).impedance()[1]
    assert (z2.imag > 0).sum() > 10 and z2.imag.max() > 0.01 * z2.real.max()
    # σ given directly (post-cycling state), no grain boundary, no interface: the circuit drops those arcs
    post = eis_symmetric(313.15, sigma_bulk_S_per_m=1 / 0.61, asr_interface_ohm_m2=0.0, thickness_m=1.2e-3,
                         noise=0.0, rng=0)
    assert post.truth["circuit"] == "R0-p(R1,CPE1)"
    assert post.truth["R_total_ohm"] == pytest.approx(0.61 * 1.2e-3 / A)        # 61 Ω cm → 9.32 Ω


def test_stripping_activation_closed_form():
    """n = 2: within a step of constant j, x = exp(−(j/j_ref)·j·t_on/q_act); R = R_min + (R0 − R_min)·x."""
    kw = dict(current_densities_A_per_m2=(0.4, 0.8), cycles_per_step=(3, 2), R_initial_ohm=1500.0, R_min_ohm=10.0,
              activation_C_per_m2=2000.0, activation_exponent=2.0, activation_ref_A_per_m2=0.4,
              recovery_tau_s=1e30, long_rest_after_step=None, points_per_half=(4, 6), noise_V=0.0, rng=0)
    tr = stripping_plating(**kw).truth
    x1 = math.exp(-(0.4 / 0.4) * 0.4 * 3 * 1800.0 / 2000.0)
    x2 = x1 * math.exp(-(0.8 / 0.4) * 0.8 * 2 * 1800.0 / 2000.0)
    assert tr["R_step_end_ohm"][0] == pytest.approx(10 + 1490 * x1, rel=1e-9)
    assert tr["R_final_ohm"] == pytest.approx(10 + 1490 * x2, rel=1e-9)
    assert tr["n_cycles"] == 5 and tr["step_first_cycle"] == [1, 4]
    # rows: per half cycle (points + 1) samples + 2 rest samples
    assert tr["n_rows"] == 3 * 2 * (5 + 2) + 2 * 2 * (7 + 2)
    assert tr["total_time_s"] == pytest.approx(5 * 2 * 910.0)


def test_full_cell_lfp_charge_first_and_capacities():
    q = [140.0, 138.0, 120.0]
    sim = full_cell(chemistry="LiFePO4", active_mass_kg=8.4e-6, n_cycles=3, discharge_capacities_mAh_per_g=q,
                    first_ce=0.9, ce=0.98, noise_V=0, rng=0)
    d, tr = sim.data, sim.truth
    assert d["current_A"].iloc[0] > 0                          # assembled discharged: charge first
    assert d["potential_V"].min() == pytest.approx(2.5) and d["potential_V"].max() == pytest.approx(4.0)
    m = 8.4e-6
    for k in range(3):
        for sign, key in ((1, "charge_capacity_mAh_per_g"), (-1, "discharge_capacity_mAh_per_g")):
            seg = d[(d["cycle"] == k) & (np.sign(d["current_A"]) == sign)]
            t = seg["time_s"].to_numpy()
            cap = abs(seg["current_A"].iloc[0]) * (t[-1] - t[0]) / 3.6 / (m * 1e3)    # I·t/m in mAh/g
            assert cap == pytest.approx(tr[key][k], rel=1e-9)
    np.testing.assert_allclose(np.array(tr["discharge_capacity_mAh_per_g"]) / tr["charge_capacity_mAh_per_g"],
                               [0.9, 0.98, 0.98])
    assert tr["c_rate_hours"] == pytest.approx(96485.33212 / 3.6 / 157.76 / 5.0)     # ≈ 34 h: the paper's C/35
    with pytest.raises(SselabError, match="chemistry"):
        full_cell(chemistry="NMC811")
