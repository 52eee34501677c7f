"""Review Fig. 17 (section 5): the stated critical values for 350 Wh/kg under the reading documented in
src/sselab/design/FIG17.md — each SSE layer (Li3InCl6 and β-Li3N) t thick, Al 10 µm / Cu 10 µm single-sided, Li foil
N/P 0.8, N/P curves at 20 µm, the garbled "critical N/P of 10" clause read at 8 mAh/cm².  Every stated value must
come out within 10 %."""
import numpy as np
import pytest

from sselab.design import compare_readings, evaluate, fig17_stack, reproduce_fig17, solve_for
from sselab.design.fig17_search import CHOSEN, clause_errors, search_readings

TOL = 0.10          # the tolerance for every stated critical value


@pytest.fixture(scope="module")
def repro():
    return reproduce_fig17("Li3InCl6", with_curves=False)


def crit(param, q=4.0, t_um=20.0, np_ratio=0.8, foils="standard"):
    return solve_for(fig17_stack("Li3InCl6", q, t_um * 1e-6, np_ratio, foils), param, "350 Wh/kg").value_display


def test_critical_areal_capacity_standard_foils():
    # "Regarding 350 W h kg-1 as the critical energy density, the all-solid-state lithium metal batteries require
    #  a critical areal capacity of 4 mA h cm-2"
    assert crit("areal_capacity", t_um=20) == pytest.approx(4.0, rel=TOL)


def test_critical_sse_thickness_standard_foils():
    # "and a critical thickness of 100 µm for SSEs layers with an areal capacity of 10 mA h cm-2"
    assert crit("sse_thickness", q=10) == pytest.approx(100.0, rel=TOL)
    # "and 20 µm for SSEs layers with an areal capacity of 4 mA h cm-2"
    assert crit("sse_thickness", q=4) == pytest.approx(20.0, rel=TOL)


def test_critical_np_ratio():
    # "Regarding the N/P ration, the critical value is 10 for an areal capacity of 4 mA h cm-2 and 1.2 for an areal
    #  capacity of 4 mA h cm-2" (sic).  Read on the 20 µm N/P curves: 1.2 at 4 mAh/cm² (as printed), 10 at [8].
    assert crit("np_ratio", q=4) == pytest.approx(1.2, rel=TOL)
    assert crit("np_ratio", q=8) == pytest.approx(10.0, rel=TOL)


def test_np_clause_window_arithmetic():
    # Independent arithmetic (mg, cm², mAh).  350 Wh/kg at 3.75 V ⇒ 10.714 mg per mAh; composite 1/(0.2·0.9) =
    # 5.556 mg/mAh; Li 1/3.5 mg/mAh per unit N/P.  The 1.2-at-4 clause (±10 %) fixes the panel's Q-independent
    # mass X (SSE layers + foils) ...
    per, cath, li = 3.75 / 350 * 1000, 1 / (0.2 * 0.9), 1 / 3.5
    x_lo, x_hi = (4 * (per - cath - li * n) for n in (1.32, 1.08))
    assert (x_lo, x_hi) == (pytest.approx(19.12, abs=0.01), pytest.approx(19.40, abs=0.01))
    # ... which the reading's panel meets: 20 µm of Li3InCl6 + 20 µm of Li3N + 10 µm Al + 10 µm Cu
    x = 20e-4 * (2.59 + 1.27) * 1e3 + 10e-4 * (2.7 + 8.9) * 1e3
    assert x_lo <= x <= x_hi
    # N/P 10 (±10 %) on a panel with X in that window reaches 350 Wh/kg only between 7.39 and 9.62 mAh/cm²
    q_lo, q_hi = x_lo / (per - cath - li * 9), x_hi / (per - cath - li * 11)
    assert q_lo == pytest.approx(7.39, abs=0.01) and q_hi == pytest.approx(9.62, abs=0.01)
    # with the reading's X = 19.32 mg/cm²: 7.47–9.58 mAh/cm² (N/P exactly 10 at 8.39)
    q_lo, q_hi = x / (per - cath - li * 9), x / (per - cath - li * 11)
    assert q_lo == pytest.approx(7.47, abs=0.01) and q_hi == pytest.approx(9.58, abs=0.01) and q_lo < 8 < q_hi
    # so neither 7 nor 10 mAh/cm² (the text's other capacities) can carry the "10"; 4 (as printed) is far off
    for q in (4, 7, 10):
        assert abs(3.5 * (per - cath - x / q) / 10 - 1) > TOL


def test_reproduction_table(repro):
    assert len(repro.rows) == 9
    for r in repro.rows:
        assert abs(r.rel_error) <= TOL, (r.label, r.reproduced, r.stated)
    assert repro.max_abs_rel_error == pytest.approx(0.0932, abs=0.0005)    # light foils, 40 µm at 4 mAh/cm²
    # every stated critical point lies within 5 % of 350 Wh/kg in the model
    assert all(abs(r.energy_at_stated_Wh_per_kg / 350 - 1) < 0.05 for r in repro.rows)
    reading = repro.to_dict()["reading"]
    assert reading["standard_foils_um"] == {"Al": 10.0, "Cu": 10.0}
    assert reading["np10_clause_areal_capacity_mAh_cm2"] == 8.0


@pytest.mark.parametrize("kw,closed", [
    ({}, {}),
    ({"np_ratio": 1.0}, {"np_ratio": 1.0}),
    ({"sse": "LGPS"}, {"sse": "LGPS"}),
    ({"al_thickness_m": 15e-6, "np_ratio": 0.65, "np_curve_thickness_m": 16e-6},
     {"al_m": 15e-6, "np_ratio": 0.65, "np10": (8.0, 16e-6, None), "np12": (4.0, 16e-6, None)}),
    ({"reading": "total", "np10_areal_capacity_mAh_cm2": 10.0}, {"layers": "total", "np10": (10.0, 20e-6, None)}),
])
def test_closed_form_search_model_matches_numerical_model(kw, closed):
    r = reproduce_fig17(with_curves=False, **kw)
    e = clause_errors(**{**CHOSEN, **closed})
    np.testing.assert_allclose([row.rel_error for row in r.rows], [float(v) for v in e.values()], atol=1e-6)


def test_systematic_search():
    rows = search_readings()
    assert len(rows) == 2 * 4 * 2 * 2 * 2 * (6 * 3 * 2) * (3 * 2)
    ok = [r for r in rows if r["max_abs_rel_error"] <= TOL]
    # only "each layer t" with the composite's SSE counted and single-sided foils ever gets all nine within 10 %
    assert ok and all(r["layers"] == "each" and r["composite_counts"] and not r["shared"] for r in ok)
    # the "1.2" clause always needs the 20 µm N/P panel
    assert all(r["np12_thickness_um"] == 20.0 for r in ok)

    def one_panel(r):
        return r["np10_thickness_um"] == r["np12_thickness_um"] and r["np10_panel"] == r["np12_panel"] == r["sse"]
    # one panel (one SSE, one thickness, one foil set): "10" at 10 mAh/cm² (previous reading) never within 12.5 %,
    # at 7 never within 10.7 %; only 8 or 9 mAh/cm² work
    best = {q: min(r["max_abs_rel_error"] for r in rows if one_panel(r) and r["np10_capacity_mAh_cm2"] == q)
            for q in (4.0, 5.0, 7.0, 8.0, 9.0, 10.0)}
    assert best[10.0] > 0.125 and best[7.0] > 0.107 and best[4.0] > 0.5
    assert best[8.0] <= TOL and best[9.0] <= TOL
    # the chosen reading is as good as the best Li3InCl6 reading of the whole grid
    lic = min(r["max_abs_rel_error"] for r in rows if r["sse"] == "Li3InCl6")
    assert max(abs(float(v)) for v in clause_errors().values()) == pytest.approx(lic, abs=1e-9)


def test_lessons_note_foils_cannot_meet_the_np_clause():
    # Al 15 / Cu 10 µm: over every other choice of the grid the worst error stays ≥ 19 %, always the "1.2" clause
    rows = search_readings({"al_um": [15.0], "cu_um": [10.0]})
    assert rows[0]["max_abs_rel_error"] > 0.19
    assert all(abs(r["rel_errors"]["np12"]) == pytest.approx(r["max_abs_rel_error"]) for r in rows[:20])
    # arithmetic: the 20 µm panel's fixed mass is 7.72 + 12.95 = 20.67 mg/cm² > 19.40 (the 1.2 window's top)
    x = 20e-4 * (2.59 + 1.27) * 1e3 + 1e-4 * (15 * 2.7 + 10 * 8.9) * 1e3
    assert x == pytest.approx(20.67, abs=0.01)
    assert 3.5 * (3.75 / 350 * 1000 - 1 / 0.18 - x / 4) < 0.0       # critical N/P at 4 mAh/cm² ≈ −0.03


def test_light_foil_clauses_floor():
    # The four light-foil values do not depend on the standard foils; with the stated 8/4 µm foils no Li foil gets
    # them closer than ±9.2 % (Li3InCl6) — the worst of the chosen reading (−9.3 %) is this floor.
    n = np.linspace(0.0, 3.0, 3001)
    e = clause_errors(np_ratio=n)
    worst = np.max([np.abs(e[k]) for k in e if "light" in k], axis=0)
    assert worst.min() == pytest.approx(0.0921, abs=0.0005)
    assert n[worst.argmin()] == pytest.approx(0.785, abs=0.01)


def test_chosen_reading_beats_rejected_alternatives():
    table = {r["reading"]: r for r in compare_readings()}
    chosen = next(v for k, v in table.items() if k.startswith("chosen"))
    assert chosen["max_abs_rel_error"] <= TOL
    mixed = "LGPS panels (N/P 2.4) for the seven thickness/capacity values, N/P sentence from the Li3InCl6 panel"
    # the only reading with a smaller worst error switches SSE within the paragraph (rejected, FIG17.md)
    assert table[mixed]["max_abs_rel_error"] == pytest.approx(0.0807, abs=0.0005)
    assert table[mixed]["settings"]["sse"] == "LGPS" and table[mixed]["settings"]["np12"][2] == "Li3InCl6"
    others = [v["max_abs_rel_error"] for k, v in table.items() if not k.startswith("chosen") and k != mixed]
    assert chosen["max_abs_rel_error"] <= min(others) + 1e-9
    assert table["same, '10' read at 10 mAh/cm² (previous reading)"]["max_abs_rel_error"] == pytest.approx(0.129,
                                                                                                         abs=0.001)
    assert table["catholyte layer only (no β-Li3N mass)"]["max_abs_rel_error"] > 0.5
    assert table["two layers summing to t"]["max_abs_rel_error"] > 0.5


def test_light_foils_and_thin_sse_raise_energy():
    # "Reducing thickness of current collectors (8 µm Al foils, and 4 µm Cu foils) helps achieve the energy density
    #  objectives with less limitations."
    std = evaluate(fig17_stack(foils="standard")).specific_energy_Wh_per_kg
    light = evaluate(fig17_stack(foils="light")).specific_energy_Wh_per_kg
    assert light > std
    t = np.linspace(1e-6, 200e-6, 50)
    e = evaluate(fig17_stack(sse_thickness_m=t)).specific_energy_Wh_per_kg
    assert np.all(np.diff(e) < 0)


def test_lab_cell_is_far_from_target():
    # "The current design of all-solid-state batteries with low areal capacities (1–2.5 mA h cm-2), thick SSE layers
    #  (1000 µm), Li–In alloy or thick Li metal anodes (N/P: 20–200) requires revolution"
    e = evaluate(fig17_stack(areal_capacity_mAh_cm2=2.5, sse_thickness_m=1000e-6, np_ratio=20))
    assert e.specific_energy_Wh_per_kg < 60


def test_curves_for_plot():
    r = reproduce_fig17("LGPS", with_curves=True)
    c = r.curves
    assert set(c["C_vs_thickness"]) == {1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0}
    assert c["C_vs_thickness"][4.0].shape == c["thickness_um"].shape
    # lighter LGPS gives more Wh/kg than Li3InCl6 at equal thickness
    lic = evaluate(fig17_stack("Li3InCl6", 4.0, 50e-6)).specific_energy_Wh_per_kg
    lgps = evaluate(fig17_stack("LGPS", 4.0, 50e-6)).specific_energy_Wh_per_kg
    assert lgps > lic


def test_densities_come_from_knowledge_base_or_table():
    from sselab.design import density_source

    for name, rho in [("Li3N", 1270.0), ("Li3InCl6", 2590.0), ("LGPS", 2040.0), ("Al", 2700.0), ("Cu", 8900.0)]:
        v, src = density_source(name)
        assert v == pytest.approx(rho)
        assert src in ("knowledge base", "built-in table")
    assert density_source("NMC811")[0] == pytest.approx(4750.0)
