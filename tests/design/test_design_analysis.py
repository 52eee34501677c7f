"""Sweeps, contour maps and the critical-value solver: closed forms and round trips."""
import numpy as np
import pytest

from sselab.design import (
    Anode, Cathode, CellStack, Collector, Separator, contour, evaluate, parse_range, parse_target, parse_value,
    set_param, solve_for, sweep,
)
from sselab.design.stack import MAH_PER_CM2, MAH_PER_G
from sselab.errors import AnalysisError, UnitError


def stack(q=4.0, t=20e-6):
    return CellStack(Cathode(q * MAH_PER_CM2, 200 * MAH_PER_G, 3.75, 0.9),
                     (Separator("Li3InCl6", t, 2590.0), Separator("Li3N", t, 1270.0)), Anode.li_metal(1.0),
                     Collector("Al", 10e-6, 2700.0), Collector("Cu", 10e-6, 8900.0))


def test_critical_thickness_closed_form():
    # linear in t: E·(m0 + t·Σρ) = Q·V  →  t* = (Q·V/E − m0)/Σρ  (all in SI)
    s = stack()
    Q, V, E = 4 * MAH_PER_CM2, 3.75, 350.0 * 3600
    m0 = Q / (200 * MAH_PER_G) / 0.9 + Q / (3500 * MAH_PER_G) + 10e-6 * 2700 + 10e-6 * 8900
    t_star = (Q * V / E - m0) / (2590.0 + 1270.0)
    cv = solve_for(s, "sse_thickness", "350 Wh/kg")
    assert cv.value == pytest.approx(t_star, rel=1e-9)
    assert cv.value_display == pytest.approx(t_star * 1e6, rel=1e-9)
    assert cv.direction == "max"


def test_critical_areal_capacity_closed_form():
    # E = Q·V/(a·Q + b)  →  Q* = E·b/(V − E·a)
    s = stack()
    a = 1 / (200 * MAH_PER_G) / 0.9 + 1 / (3500 * MAH_PER_G)
    b = 20e-6 * (2590 + 1270) + 10e-6 * (2700 + 8900)
    E, V = 350 * 3600, 3.75
    cv = solve_for(s, "capacity", 350)
    assert cv.value == pytest.approx(E * b / (V - E * a), rel=1e-9)
    assert cv.direction == "min"


@pytest.mark.parametrize("name,value", [
    ("sse_thickness", 37e-6), ("separator2_thickness", 5e-6), ("areal_capacity", 6.5 * MAH_PER_CM2),
    ("np_ratio", 3.3), ("al_thickness", 14e-6), ("cu_thickness", 6e-6), ("foil_scale", 0.6),
    ("active_fraction", 0.75), ("voltage", 3.9),
])
def test_solver_round_trip(name, value):
    s = stack()
    target = evaluate(set_param(s, name, value)).specific_energy_Wh_per_kg
    cv = solve_for(s, name, f"{target} Wh/kg")
    assert cv.value == pytest.approx(value, rel=1e-8)
    assert cv.achieved == pytest.approx(target, rel=1e-10)


def test_volumetric_target_round_trip():
    s = stack()
    wh_l = evaluate(set_param(s, "sse_thickness", 42e-6)).energy_density_Wh_per_L
    assert solve_for(s, "sse_thickness", f"{wh_l} Wh/L").value == pytest.approx(42e-6, rel=1e-8)


def test_unreachable_target_is_a_clear_error():
    with pytest.raises(AnalysisError, match=r"500 Wh/kg is unreachable by varying sse_thickness .*Wh/kg"):
        solve_for(stack(), "sse_thickness", "500 Wh/kg")
    with pytest.raises(AnalysisError, match="unreachable"):
        solve_for(stack(q=1.0), "areal_capacity", "350 Wh/kg", bracket=(0.5 * MAH_PER_CM2, 2 * MAH_PER_CM2))
    with pytest.raises(UnitError):
        parse_target("350 mAh/g")
    with pytest.raises(AnalysisError, match="unknown parameter"):
        solve_for(stack(), "colour", 350)


def test_contour_is_vectorised_and_matches_points():
    s = stack()
    x = np.linspace(5e-6, 100e-6, 7)
    y = np.linspace(1, 10, 5) * MAH_PER_CM2
    c = contour(s, "sse_thickness", x, "areal_capacity", y)
    assert c.z.shape == (5, 7)
    i, j = 3, 4
    point = evaluate(set_param(set_param(s, "sse_thickness", x[j]), "areal_capacity", y[i]))
    assert c.z[i, j] == pytest.approx(point.specific_energy_Wh_per_kg, rel=1e-13)
    np.testing.assert_allclose(c.x, x * 1e6)
    np.testing.assert_allclose(c.y, np.linspace(1, 10, 5))


def test_parse_helpers_use_units():
    assert parse_value("sse_thickness", "30 um") == pytest.approx(30e-6)
    assert parse_value("sse_thickness", 30) == pytest.approx(30e-6)         # plain number: display unit µm
    assert parse_value("areal_capacity", "4 mAh/cm2") == pytest.approx(4 * MAH_PER_CM2)
    assert parse_value("np_ratio", "1.5") == 1.5
    assert parse_value("active_fraction", "90 %") == pytest.approx(0.9)
    name, v = parse_range("sse_thickness=5um:0.2mm:40")
    assert name == "sse_thickness" and v.size == 40 and v[-1] == pytest.approx(200e-6)
    assert parse_target("0.35 kWh/kg") == ("specific_energy_Wh_per_kg", pytest.approx(350.0))
    with pytest.raises(UnitError):
        parse_value("sse_thickness", "4 mAh/cm2")
    with pytest.raises(AnalysisError):
        parse_range("sse_thickness=5:200:x")


def test_sweep_result_shape_and_units():
    sw = sweep(stack(), "areal_capacity", np.array([1.0, 2.0, 4.0]) * MAH_PER_CM2)
    np.testing.assert_allclose(sw.values_display, [1, 2, 4])
    assert sw.unit == "mAh/cm2"
    d = sw.to_dict()
    assert len(d["specific_energy_Wh_per_kg"]) == 3


def test_500_wh_per_kg_targets_closed_form():
    from sselab.design import fig17_stack

    s = fig17_stack()   # Fig. 17 preset: 20 µm + 20 µm, Al 10 / Cu 10 µm, N/P 0.8
    a = 1 / (200 * MAH_PER_G) / 0.9 + 0.8 / (3500 * MAH_PER_G)
    b = 20e-6 * (2590 + 1270) + 10e-6 * (2700 + 8900)
    E, V = 500 * 3600, 3.75
    assert solve_for(s, "areal_capacity", "500 Wh/kg").value == pytest.approx(E * b / (V - E * a), rel=1e-9)
    # foils needed for 500 Wh/kg at 10 mAh/cm² and 10 µm layers: scale factor k with b(k) = 10e-6·Σρ + k·foils
    s10 = set_param(set_param(s, "areal_capacity", 10 * MAH_PER_CM2), "sse_thickness", 10e-6)
    Q = 10 * MAH_PER_CM2
    k = (Q * V / E - a * Q - 10e-6 * (2590 + 1270)) / (10e-6 * (2700 + 8900))
    assert solve_for(s10, "foil_scale", "500 Wh/kg").value == pytest.approx(k, rel=1e-9)


def test_density_lookup_falls_back_when_knowledge_base_is_missing(monkeypatch):
    import builtins

    from sselab.design import densities

    real_import = builtins.__import__

    def no_materials(name, *args, **kw):
        if "materials" in name:
            raise ImportError("simulated: sselab.materials not installed")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_materials)
    assert densities.density_source("Li3N") == (1270.0, "built-in table")
    assert densities.density_source("beta-Li3N")[0] == 1270.0
    with pytest.raises(densities.UnknownDensityError, match="no density known for material 'Xyz'"):
        densities.density("Xyz")


def test_integer_layer_count_is_rounded_to_meet_target():
    from sselab.design import Pouch

    s = stack()
    s = s.with_(pouch=Pouch(layers=1, area_m2=100e-4, laminate_thickness_m=113e-6, tab_mass_kg=3e-3))
    e = [evaluate(set_param(s, "layers", n)).specific_energy_Wh_per_kg for n in range(1, 60)]
    target = 0.5 * (e[20] + e[21])          # between 21 and 22 layers
    cv = solve_for(s, "layers", f"{target} Wh/kg")
    assert cv.value == 22.0 and cv.achieved >= target
