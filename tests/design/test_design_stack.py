"""Layer-stack model against hand-computed masses, thicknesses and energy densities."""
import numpy as np
import pytest

from sselab.design import Anode, Cathode, CellStack, Collector, Pouch, Separator, evaluate, sweep
from sselab.design.stack import MAH_PER_CM2, MAH_PER_G
from sselab.errors import AnalysisError


def simple(np_ratio=2.0, shared=False, pouch=None, anode=None, density=3000.0):
    # Q = 2 mAh/cm², 150 mAh/g, 80 wt % active, 4.0 V; 50 µm SSE at 2.0 g/cm³; Li N/P 2; Al 12 µm, Cu 8 µm
    return CellStack(
        Cathode(2 * MAH_PER_CM2, 150 * MAH_PER_G, 4.0, 0.8, composite_density_kg_per_m3=density),
        (Separator("X", 50e-6, 2000.0),),
        anode or Anode.li_metal(np_ratio),
        Collector("Al", 12e-6, 2700.0, shared), Collector("Cu", 8e-6, 8900.0, shared), pouch, "simple")


# hand-computed (mg/cm²): cathode 2/150/0.8 g = 16.6667 mg; SSE 50e-4 cm · 2.0 = 10 mg; Li 2·2/3500 g = 1.142857 mg;
# Al 12e-4 cm · 2.7 = 3.24 mg; Cu 8e-4 cm · 8.9 = 7.12 mg; total 38.169524 mg/cm²; energy 2 mAh · 4 V = 8 mWh/cm²
HAND_MG_CM2 = {"cathode": 16.666667, "sep": 10.0, "li": 1.1428571, "al": 3.24, "cu": 7.12}
HAND_TOTAL = 38.169524
HAND_WH_KG = 8.0 / HAND_TOTAL * 1000  # mWh/mg → Wh/kg: 209.589


def test_hand_computed_masses():
    d = evaluate(simple())
    m = {k: v * 100 for k, v in d.mass_kg_per_m2.items()}  # kg/m² → mg/cm²
    assert m["cathode composite: NMC811"] == pytest.approx(HAND_MG_CM2["cathode"], rel=1e-6)
    assert m["separator: X"] == pytest.approx(HAND_MG_CM2["sep"], rel=1e-9)
    assert m["anode: li"] == pytest.approx(HAND_MG_CM2["li"], rel=1e-6)
    assert m["positive collector: Al"] == pytest.approx(3.24, rel=1e-9)
    assert m["negative collector: Cu"] == pytest.approx(7.12, rel=1e-9)
    assert d.unit_mass_kg_per_m2 * 100 == pytest.approx(HAND_TOTAL, rel=1e-6)
    assert d.specific_energy_Wh_per_kg == pytest.approx(209.5895, rel=1e-5)
    assert d.specific_energy_Wh_per_kg == pytest.approx(HAND_WH_KG, rel=1e-6)
    assert sum(d.mass_fraction.values()) == pytest.approx(1.0)


def test_hand_computed_thickness_and_volumetric():
    d = evaluate(simple())
    # cathode 16.6667 mg/cm² / 3.0 g/cm³ = 55.556 µm; Li 1.142857 mg / 0.534 = 21.40 µm;
    # plated Li in the charged state: 2 mAh = 7.2 C → 7.2/96485.33 mol · 6.94 g/mol / 0.534 g/cm³ = 9.6977 µm
    t = {k: v * 1e6 for k, v in d.thickness_m.items()}
    assert t["cathode composite: NMC811"] == pytest.approx(55.5556, rel=1e-5)
    assert t["anode: li"] == pytest.approx(21.4019, rel=1e-4)
    assert t["plated Li (charged state)"] == pytest.approx(9.6977, rel=1e-4)
    total_um = 12 + 55.5556 + 50 + 21.4019 + 9.6977 + 8
    assert d.unit_thickness_m * 1e6 == pytest.approx(total_um, rel=1e-5)
    # 8 mWh/cm² over total_um µm: Wh/L = 8e-3 Wh / (total_um·1e-4 cm³ · 1e-3 L/cm³)
    assert d.energy_density_Wh_per_L == pytest.approx(8e-3 / (total_um * 1e-7), rel=1e-5)


def test_composite_density_from_constituents_and_porosity():
    c = Cathode(4 * MAH_PER_CM2, active_fraction=0.9, active_density_kg_per_m3=4750.0,
                catholyte_density_kg_per_m3=2590.0, porosity=0.2)
    # 1/(0.9/4.75 + 0.1/2.59) g/cm³ = 4.3847 g/cm³, × 0.8
    assert c.density_kg_per_m3 == pytest.approx(0.8 / (0.9 / 4750 + 0.1 / 2590), rel=1e-12)
    assert c.density_kg_per_m3 == pytest.approx(3507.8, rel=1e-4)


def test_shared_collectors_count_half():
    a, b = evaluate(simple()), evaluate(simple(shared=True))
    assert (a.unit_mass_kg_per_m2 - b.unit_mass_kg_per_m2) * 100 == pytest.approx((3.24 + 7.12) / 2)


def test_pouch_hand_computed():
    # 3 unit cells of 10 cm², both collectors shared: positive foils at positions 0 and 2 → 2, negative → 2.
    p = Pouch(layers=3, area_m2=10e-4, laminate_thickness_m=100e-6, laminate_density_kg_per_m3=1500.0,
              seal_fraction=0.2, tab_mass_kg=1e-3, extra_mass_kg=0.5e-3)
    d = evaluate(simple(shared=True, pouch=p))
    core_mg = 16.666667 + 10.0 + 1.1428571                    # per cm²
    foils_mg = 2 * 3.24 + 2 * 7.12                            # per cm² of electrode
    laminate_mg = 2 * 12.0 * 100e-4 * 1.5 * 1000              # 2 faces × 12 cm² × 100 µm × 1.5 g/cm³ = 360 mg
    total_g = (3 * 10 * core_mg + 10 * foils_mg + laminate_mg) / 1000 + 1.0 + 0.5
    assert d.pouch_mass_kg * 1000 == pytest.approx(total_g, rel=1e-6)
    assert d.pouch_energy_Wh == pytest.approx(3 * 10 * 8e-3, rel=1e-9)
    assert d.specific_energy_Wh_per_kg == pytest.approx(3 * 10 * 8e-3 / (total_g / 1000), rel=1e-6)
    assert d.pouch_mass_kg_breakdown["pouch laminate"] * 1e6 == pytest.approx(laminate_mg, rel=1e-9)
    # the pouch never beats its own unit cell
    assert d.specific_energy_Wh_per_kg < d.unit_specific_energy_Wh_per_kg


def test_unshared_pouch_equals_unit_cell_without_overhead():
    p = Pouch(layers=5, area_m2=1e-2, laminate_thickness_m=0.0, seal_fraction=0.0)
    d = evaluate(simple(pouch=p))
    assert d.specific_energy_Wh_per_kg == pytest.approx(d.unit_specific_energy_Wh_per_kg, rel=1e-12)


def test_anode_free_and_li_in():
    af = evaluate(simple(anode=Anode.anode_free()))
    assert af.mass_kg_per_m2["anode: anode-free"] == 0.0
    assert af.specific_energy_Wh_per_kg == pytest.approx(8.0 / (HAND_TOTAL - 1.1428571) * 1000, rel=1e-6)
    li_in = evaluate(simple(anode=Anode.li_in(1.0)))
    assert li_in.cell_voltage_V == pytest.approx(4.0 - 0.62)
    # In mass for 2 mAh/cm²: 2 / 233.4 g = 8.569 mg
    assert li_in.mass_kg_per_m2["anode: li-in"] * 100 == pytest.approx(2 / 233.4 * 1000, rel=1e-6)


@pytest.mark.parametrize("bad", [
    lambda: Separator("X", -1e-6, 2000.0),
    lambda: Cathode(-1.0),
    lambda: Cathode(1.0, active_fraction=1.5),
    lambda: Anode("sodium"),
    lambda: Collector("Al", 10e-6, 0.0),
    lambda: Pouch(layers=0),
])
def test_invalid_inputs_raise(bad):
    with pytest.raises(AnalysisError):
        bad()


def test_monotonic_in_sse_thickness_np_and_foils():
    s = simple()
    t = np.linspace(0, 500e-6, 101)
    e = sweep(s, "sse_thickness", t).specific_energy_Wh_per_kg
    assert np.all(np.diff(e) < 0)                      # thicker SSE never raises Wh/kg
    assert np.all(np.diff(sweep(s, "sse_thickness", t).energy_density_Wh_per_L) < 0)
    assert np.all(np.diff(sweep(s, "np_ratio", np.linspace(0, 20, 50)).specific_energy_Wh_per_kg) < 0)
    assert np.all(np.diff(sweep(s, "cu_thickness", np.linspace(0, 30e-6, 30)).specific_energy_Wh_per_kg) < 0)
    assert np.all(np.diff(sweep(s, "areal_capacity",
                                np.linspace(0.5, 20, 40) * MAH_PER_CM2).specific_energy_Wh_per_kg) > 0)


def test_vectorised_sweep_matches_scalar_loop():
    from sselab.design import set_param

    s = simple()
    t = np.linspace(1e-6, 300e-6, 7)
    vec = sweep(s, "sse_thickness", t).specific_energy_Wh_per_kg
    loop = [evaluate(set_param(s, "sse_thickness", x)).specific_energy_Wh_per_kg for x in t]
    np.testing.assert_allclose(vec, loop, rtol=1e-13)
