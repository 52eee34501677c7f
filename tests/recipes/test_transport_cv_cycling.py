"""DC polarisation, CV and cycling recipes: the decisions made once (window, applied potential, onset rule,
reduction limit, early shorts) against simulations with known answers."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sselab import recipes
from sselab.cell import CellSpec
from sselab.io import read
from sselab.recipes.transport import PAPER_WINDOW_S, choose_window
from sselab.simulate import dc_polarization

sys.path.insert(0, str(Path(__file__).parents[1] / "cycling"))
from ladder_model import UA_CM2, make_ladder  # noqa: E402

BLOCK = CellSpec.from_strings("Au", thickness="1 mm", diameter="10 mm", electrodes="Au|Au")


def test_window_rule_in_one_place():
    assert choose_window(np.arange(0, 5 * 3600 + 1, 10.0)) == (PAPER_WINDOW_S, None)      # 5 h: the paper's 30 min
    w, why = choose_window(np.arange(0, 3600 + 1, 1.0))                                   # 1 h: 10 % of it
    assert w == pytest.approx(360.0) and "10 %" in why
    assert choose_window(np.arange(0, 3600.0), 600.0) == (600.0, None)                    # given: used as is


@pytest.mark.parametrize("hours", [5.0, 1.5])
def test_dcpol_recovers_sigma_e_tau_and_t_ion(tmp_path, hours):
    sim = dc_polarization(duration_s=hours * 3600, rng=2)
    p = tmp_path / "dc.mpt"
    sim.write(p)
    res = recipes.get("dcpol").run([read(p)], BLOCK)
    assert res.get("sigma_e_S_per_m") == pytest.approx(1.2e-7, rel=0.03)
    assert res.get("tau_s") == pytest.approx(4.5, rel=0.03)
    assert res.get("t_ion") == pytest.approx(0.998, abs=5e-4)
    assert res.options["voltage_source"] == "file" and not res.flagged("not-steady-state")
    assert bool(res.flagged("window-shortened")) == (hours < 2)


def test_dcpol_without_a_potential_column_needs_the_voltage(tmp_path):
    t = np.arange(0, 7200.0, 1.0)
    p = tmp_path / "i_only.csv"
    pd.DataFrame({"time_s": t, "current_A": 1e-9 + 1e-7 * np.exp(-t / 5)}).to_csv(p, index=False)
    m = read(p)
    with pytest.raises(Exception, match="give the applied voltage"):
        recipes.get("dcpol").run([m], BLOCK)
    res = recipes.get("dcpol").run([m], BLOCK, voltage_V=0.5)
    assert res.options["voltage_source"] == "given"
    # σe = (L/A)·If/V with If = 1 nA
    assert res.get("sigma_e_S_per_m") == pytest.approx(1e-3 / (np.pi * 0.005 ** 2) * 1e-9 / 0.5, rel=1e-3)


def test_cv_demo_like_record_imbalance_window_and_unscored_reduction_limit(tmp_path):
    """A record with a decomposition current switched on (the simulator's default is now the paper's: none up to
    5 V): the onset is where i0·exp((E − 4.7 V)/0.08 V) crosses 10 µA/cm² (7.85 µA): 4.7 + 0.08·ln 7.85 = 4.865 V."""
    from sselab.simulate import cyclic_voltammetry

    cv = cyclic_voltammetry(n_cycles=8, dE_V=0.02, rng=4, decomposition_onset_V=4.7)
    p = tmp_path / "cv.mpt"
    cv.write(p, area_m2=np.pi * 0.005 ** 2)
    cell = CellSpec.from_strings("CV", diameter="10 mm", electrodes="Li|steel")
    res = recipes.get("cv").run([read(p)], cell)
    assert res.get("n_cycles") == 8
    assert res.get("q_plate_first_C") == pytest.approx(cv.truth["plated_charge_C"][0], rel=0.05)
    assert res.get("q_plate_last_C") == pytest.approx(cv.truth["plated_charge_C"][-1], rel=0.05)
    assert res.get("ox_onset_V") == pytest.approx(4.7 + 0.08 * np.log(7.854), abs=0.03)
    assert res.flagged("reduction-limit-not-measured") and "window_lower_V" not in res
    q = cv.truth["plated_charge_C"]
    imb = 100 * (sum(q) - sum(cv.truth["stripped_charge_C"])) / sum(q)
    assert res.get("imbalance_pct_of_plated") == pytest.approx(imb, rel=0.05)


def test_cv_without_decomposition_reports_the_scan_limit_as_a_bound(tmp_path):
    """The paper's CV (no decomposition up to 5 V): no onset, the upper limit ≥ the 5 V vertex."""
    from sselab.simulate import cyclic_voltammetry

    cv = cyclic_voltammetry(n_cycles=4, dE_V=0.02, rng=5)
    p = tmp_path / "cv.mpt"
    cv.write(p, area_m2=np.pi * 0.005 ** 2)
    res = recipes.get("cv").run([read(p)], CellSpec.from_strings("CV", diameter="10 mm", electrodes="Li|steel"))
    assert "ox_onset_V" not in res and res.flagged("no-oxidative-onset")
    assert res["window_upper_V"].bound == ">=" and res.get("window_upper_V") == pytest.approx(5.0, abs=1e-3)


def test_cv_scan_that_stays_above_zero_reports_its_lower_limit_as_a_bound(tmp_path):
    t = np.arange(0, 2 * 2 * 3.0 / 1e-3, 1.0)
    ph = (t * 1e-3) % 6.0
    e = np.where(ph < 3.0, 1.0 + ph, 4.0 - (ph - 3.0))              # 1 … 4 V, two cycles, no Faradaic current
    p = tmp_path / "inert.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": 1e-9 * (e - 2.5)}).to_csv(p, index=False)
    res = recipes.get("cv").run([read(p)], CellSpec.from_strings("x", diameter="10 mm", electrodes="Li|steel"))
    assert res["window_lower_V"].bound == "<=" and res.get("window_lower_V") == pytest.approx(1.0, abs=0.01)
    assert res["window_upper_V"].bound == ">=" and res.get("window_upper_V") == pytest.approx(4.0, abs=0.01)
    assert not res.flagged("reduction-limit-not-measured")


def _ladder_measurement(tmp_path, **kw):
    lad = make_ladder(((5 * UA_CM2, 10), (10 * UA_CM2, 10)), seed=11, **kw)
    p = tmp_path / "ladder.csv"
    pd.DataFrame({"time_s": lad.time_s, "potential_V": lad.potential_V, "current_A": lad.current_A}).to_csv(
        p, index=False)
    return read(p)


LILI = CellSpec.from_strings("LiLi", diameter="10 mm", electrodes="Li|Li")


def test_a_cell_that_collapses_in_its_first_half_cycle_is_a_short(tmp_path):
    """The ladder's reference window needs two half cycles of history, so the primitive alone misses a short that
    happens inside the first one; the recipe reports it (hard, cycle 1, no CCD)."""
    from sselab.cycling import analyze_symmetric

    m = _ladder_measurement(tmp_path, hard_at=1, hard_frac=0.5)
    prim = analyze_symmetric(m, area_m2=LILI.area_m2)     # the primitive dates the hard short a cycle late
    assert prim.hard_short is None or prim.hard_short.cycle > 1
    res = recipes.get("cycling.symmetric").run([m], LILI)
    assert res.get("short_cycle") == 1 and res.get("short_kind") == "hard"
    assert res.flagged("short-in-first-half-cycles") and res.flagged("no-ccd") and "ccd_A_per_m2" not in res


def test_a_healthy_ladder_has_a_lower_bound_ccd(tmp_path):
    res = recipes.get("cycling.symmetric").run([_ladder_measurement(tmp_path)], LILI)
    assert res.get("short_kind") == "none" and res["ccd_A_per_m2"].bound == ">="
    assert res.get("ccd_A_per_m2") == pytest.approx(10 * UA_CM2, rel=1e-3)
    assert res["ccd_A_per_m2"].text() == "≥ 10 µA/cm²"


def test_a_late_hard_short_is_the_primitives(tmp_path):
    res = recipes.get("cycling.symmetric").run([_ladder_measurement(tmp_path, hard_at=15)], LILI)
    assert res.get("short_cycle") == 15 and not res.flagged("short-in-first-half-cycles")
    assert res.get("ccd_A_per_m2") == pytest.approx(5 * UA_CM2, rel=1e-3)


def test_full_cell_capacity_and_ce(tmp_path):
    from sselab.simulate import full_cell, write_csv

    sim = full_cell(n_cycles=6, rng=12)
    p = write_csv(tmp_path / "tis2.csv", sim.data)
    cell = CellSpec.from_strings("FC", electrodes="Li|TiS2", active_mass="3.39 mg")
    res = recipes.get("cycling.full").run([read(p)], cell)
    assert res.get("first_discharge_C_per_kg") / 3600 == pytest.approx(126.0, rel=2e-3)
    assert res["first_discharge_C_per_kg"].text() == f"{res.get('first_discharge_C_per_kg') / 3600:.4g} mAh/g"
    with pytest.raises(Exception, match="active mass"):
        recipes.get("cycling.full").run([read(p)], CellSpec.from_strings("FC", electrodes="Li|TiS2"))
