"""Measured σ → separator ASR, IR drop, highest C-rate and the thickness for a 15-minute (4C) charge."""
import math

import numpy as np
import pytest

from sselab.design.rate import conductivity_at, rate_capability, separator_asr_ohm_m2
from sselab.design.stack import MAH_PER_CM2
from sselab.errors import AnalysisError
from sselab.units import K_B_EV


def test_closed_form_single_layer():
    # σ = 1 mS/cm = 0.1 S/m, t = 30 µm → ASR = 30e-6/0.1 = 3e-4 Ω m² = 3 Ω cm²
    # Q = 4 mAh/cm² = 144 000 C/m²; at 4C j = 4·144000/3600 = 160 A/m² (16 mA/cm²) → ΔV = 160·3e-4 = 48 mV
    # budget 100 mV → C_max = 3600·0.1/(144000·3e-4) = 8.333; t for 4C = 3600·0.1·0.1/(4·144000) = 62.5 µm
    r = rate_capability(30e-6, 0.1, 298.15, 4 * MAH_PER_CM2, c_rate=4.0, voltage_budget_V=0.1)
    assert r.asr_ohm_m2 == pytest.approx(3e-4)
    assert r.asr_ohm_cm2 == pytest.approx(3.0)
    assert r.current_density_A_per_m2 == pytest.approx(160.0)
    assert r.ir_drop_V == pytest.approx(0.048)
    assert r.max_c_rate == pytest.approx(8.3333333, rel=1e-7)
    assert r.min_charge_time_s == pytest.approx(3600 / 8.3333333, rel=1e-7)
    assert r.max_thickness_for_target_m == pytest.approx(62.5e-6)
    assert r.meets_target


def test_strings_with_units_and_two_layers():
    # Li3InCl6 1 mS/cm, 20 µm + β-Li3N 0.5 mS/cm, 20 µm: ASR = 2 + 4 = 6 Ω cm²
    r = rate_capability(["20 um", "20 um"], ["1 mS/cm", "0.5 mS/cm"], "25 C", "4 mAh/cm2", 1.0, "50 mV")
    assert r.asr_ohm_cm2 == pytest.approx(6.0)
    assert r.ir_drop_V == pytest.approx(0.004 * 1e4 * 6e-4)     # 4 mA/cm² = 40 A/m² × 6e-4 Ω m² = 24 mV
    assert r.max_c_rate == pytest.approx(0.05 / 0.024)
    # proportional scaling: total thickness allowed for 4C = 40 µm × C_max/4
    assert r.max_thickness_for_target_m == pytest.approx(40e-6 * (0.05 / 0.024) / 4)
    assert not r.meets_target


def test_arrhenius_forms():
    s_ref, T_ref, Ea = 0.1, 298.15, 0.35
    assert conductivity_at((s_ref, T_ref, Ea), T_ref) == pytest.approx(s_ref)
    T = 333.15
    expect = s_ref * math.exp(-Ea / K_B_EV * (1 / T - 1 / T_ref))
    assert conductivity_at((s_ref, T_ref, Ea), T) == pytest.approx(expect, rel=1e-12)
    assert conductivity_at((s_ref, T_ref, Ea, "sigmaT"), T) == pytest.approx(expect * T_ref / T, rel=1e-12)
    assert conductivity_at(("1 mS/cm", "25 C", Ea), "60 C") == pytest.approx(expect, rel=1e-9)
    assert conductivity_at(lambda T: 2e-3 * T, 300.0) == pytest.approx(0.6)
    assert conductivity_at("0.3 mS/cm", 300.0) == pytest.approx(0.03)


def test_accepts_an_arrhenius_fit_object():
    from sselab.transport import arrhenius as arr

    T = np.array([280.0, 300.0, 320.0, 340.0])
    sig = arr.arrhenius_sigma(T, 0.3, 1e4, "sigmaT")
    fit = arr.fit_arrhenius(T, sig, convention="sigmaT")
    assert conductivity_at(fit, 310.0) == pytest.approx(float(arr.arrhenius_sigma(310.0, 0.3, 1e4, "sigmaT")),
                                                        rel=1e-6)


def test_heating_raises_max_c_rate():
    lo = rate_capability(30e-6, (0.05, 298.15, 0.3), 298.15).max_c_rate
    hi = rate_capability(30e-6, (0.05, 298.15, 0.3), 333.15).max_c_rate
    assert hi / lo == pytest.approx(math.exp(0.3 / K_B_EV * (1 / 298.15 - 1 / 333.15)), rel=1e-12)


@pytest.mark.parametrize("kw", [
    dict(thickness_m=30e-6, sigma=-1.0),
    dict(thickness_m=30e-6, sigma=0.1, voltage_budget_V=0.0),
    dict(thickness_m=[30e-6, 10e-6], sigma=[0.1]),
    dict(thickness_m=0.0, sigma=0.1),
    dict(thickness_m=30e-6, sigma=(0.1, 300.0)),
])
def test_bad_inputs(kw):
    with pytest.raises(AnalysisError):
        rate_capability(**kw)


def test_asr_helper():
    assert separator_asr_ohm_m2([10e-6, 20e-6], [0.1, 0.2]) == pytest.approx(2e-4)


def test_stack_rate_capability_uses_separators_and_capacity():
    from sselab.design import fig17_stack, stack_rate_capability

    # Fig. 17 cell: 20 µm Li3InCl6 + 20 µm β-Li3N, 4 mAh/cm²; σ 1 and 0.1 mS/cm → ASR = 2 + 20 = 22 Ω cm²
    r = stack_rate_capability(fig17_stack(), [0.1, 0.01], 298.15, c_rate=1.0, voltage_budget_V=0.1)
    assert r.asr_ohm_cm2 == pytest.approx(22.0)
    assert r.ir_drop_V == pytest.approx(0.004 * 22)                 # 4 mA/cm² × 22 Ω cm² = 88 mV
    assert r.max_c_rate == pytest.approx(0.1 / 0.088)
    with pytest.raises(AnalysisError):
        stack_rate_capability(fig17_stack(), [0.1, 0.1, 0.1])
    assert rate_capability(np.array([10e-6, 10e-6]), np.array([0.1, 0.05])).asr_ohm_cm2 == pytest.approx(3.0)
