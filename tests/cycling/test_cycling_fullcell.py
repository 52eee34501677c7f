"""Full cells: capacities, CE, energy, retention and end of life on a hand-built record and the public simulator."""
import json

import numpy as np
import pytest

from sselab.cycling import analyze_full_cell
from sselab.errors import AnalysisError
from sselab.simulate import full_cell

MAH_G = 3600.0   # C/kg per mAh/g


def _hand_record():
    """Li|SSE|TiS2-like: ±15 µA, 3 mg, rows at each step's start and end (EC-Lab style), 10 min rests.

    discharge 10 h, charge 9.5 h, discharge 9 h, charge 8.5 h, discharge 7.5 h (record ends).
    With 15 µA and 3 mg: 1 h ≙ 15e-6·3600/3e-6 C/kg = 18 000 C/kg = 5 mAh/g.
    """
    t, v, i = [], [], []
    now = 0.0
    for hours, sign in ((10, -1), (9.5, 1), (9, -1), (8.5, 1), (7.5, -1)):
        dur = hours * 3600
        tt = now + np.linspace(0, dur, 4)
        vv = np.linspace(2.4, 1.8, 4) if sign < 0 else np.linspace(1.9, 2.5, 4)
        t += list(tt)
        v += list(vv)
        i += [sign * 15e-6] * 4
        now += dur
        t += [now, now + 600]
        v += [vv[-1], vv[-1]]
        i += [0.0, 0.0]
        now += 600
    return np.array(t), np.array(v), np.array(i)


def test_hand_built_record_hand_checked():
    r = analyze_full_cell(_hand_record(), active_mass_kg=3e-6, area_m2=1e-4)
    assert r.first_direction == "discharge" and r.n_cycles == 3
    np.testing.assert_allclose(r.discharge_capacity_C_per_kg / MAH_G, [50, 45, 37.5], rtol=1e-9)
    np.testing.assert_allclose(r.charge_capacity_C_per_kg[:2] / MAH_G, [47.5, 42.5], rtol=1e-9)
    assert np.isnan(r.charge_capacity_C_per_kg[2]) and list(r.complete) == [True, True, False]
    np.testing.assert_allclose(r.coulombic_efficiency[:2], [47.5 / 50, 42.5 / 45], rtol=1e-9)
    np.testing.assert_allclose(r.retention, [1.0, 0.9, 0.75], rtol=1e-9)
    assert r.end_of_life_cycle == 3
    # 0.54 C over 1 cm² = 0.15 mAh/cm² = 5400 C/m²
    assert r.discharge_capacity_C_per_m2[0] == pytest.approx(5400.0)
    # linear profiles: mean voltages 2.1 V (discharge) and 2.2 V (charge); energy = V̄·Q
    np.testing.assert_allclose(r.discharge_mean_voltage_V, 2.1, rtol=1e-9)
    np.testing.assert_allclose(r.charge_mean_voltage_V[:2], 2.2, rtol=1e-9)
    assert r.discharge_energy_J[0] == pytest.approx(2.1 * 0.54)
    assert r.specific_current_A_per_kg == pytest.approx(5.0)
    assert any("second half" in w for w in r.warnings)
    json.dumps(r.to_dict(), allow_nan=False)


def test_threshold_changes_end_of_life_and_charge_first_cell():
    t, v, i = _hand_record()
    r = analyze_full_cell((t, v, -i), active_mass_kg=3e-6, threshold=0.7)   # starts with a charge now
    assert r.first_direction == "charge"
    np.testing.assert_allclose(r.coulombic_efficiency[:2], [47.5 / 50, 42.5 / 45], rtol=1e-9)
    assert r.end_of_life_cycle is None and any("never fell" in w for w in r.warnings)


@pytest.mark.parametrize("n_cycles,fade", [(42, 0.015), (18, 0.03)])
def test_public_simulator_capacities_ce_and_eol(n_cycles, fade):
    sim = full_cell(n_cycles=n_cycles, fade_per_cycle=fade, rng=4)
    r = analyze_full_cell(sim.data, active_mass_kg=sim.meta["active_mass_kg"])
    assert r.n_cycles == n_cycles and r.complete.all()
    assert r.first_discharge_C_per_kg / MAH_G == pytest.approx(126.0, rel=2e-3)        # paper: 126 mAh/g
    np.testing.assert_allclose(r.discharge_capacity_C_per_kg / MAH_G, sim.truth["discharge_capacity_mAh_per_g"],
                               rtol=5e-3)
    np.testing.assert_allclose(r.coulombic_efficiency, sim.truth["coulombic_efficiency"], rtol=5e-3)
    q = np.asarray(sim.truth["discharge_capacity_mAh_per_g"])
    eol = int(np.flatnonzero(q / q[0] < 0.8)[0] + 1) if (q / q[0] < 0.8).any() else None
    assert r.end_of_life_cycle == eol
    assert r.specific_current_A_per_kg == pytest.approx(5.0, rel=1e-3)                 # 5 mA/g


def test_errors():
    with pytest.raises(AnalysisError):
        analyze_full_cell(_hand_record(), active_mass_kg=0)
    with pytest.raises(AnalysisError):
        analyze_full_cell(_hand_record(), active_mass_kg=3e-6, threshold=1.5)
