"""σ, ASR, Brug capacitance, apex frequency and assignment, checked by hand."""
import math

import numpy as np
import pytest

from sselab.cell import CellSpec
from sselab.eis import Circuit, fit
from sselab.eis.derive import apex_frequency, arcs, asr, assign, brug_capacitance, conductivity
from sselab.errors import AnalysisError

CELL = CellSpec.from_strings(thickness="1.2 mm", diameter="10 mm", electrodes="Li|Li")


def test_conductivity_by_hand():
    # A = π (0.5 cm)² = 0.7854 cm²; σ = 0.12 cm / (0.7854 cm² × 1000 Ω) = 1.528e-4 S/cm = 1.528e-2 S/m
    s, e = conductivity(1000.0, 10.0, CELL)
    assert s == pytest.approx(0.12 / (0.785398 * 1000) * 100, rel=1e-5)
    assert s / 100 == pytest.approx(1.5279e-4, rel=1e-4)
    assert e == pytest.approx(s * 0.01)
    assert conductivity(1000.0, 0, 1.2e-3 / 0.785398e-4)[0] == pytest.approx(s, rel=1e-6)


def test_asr_by_hand_and_paper_value():
    a, e = asr(100.0, 2.0, CELL)  # 100 Ω × 0.7854 cm² / 2 = 39.27 Ω cm²
    assert a * 1e4 == pytest.approx(39.27, rel=1e-4) and e * 1e4 == pytest.approx(0.7854, rel=1e-4)
    assert asr(100.0, 2.0, CELL, symmetric=False)[0] == pytest.approx(2 * a)
    # lithium-imide paper: ~3308 Ω cm² before heat treatment <=> R = 3308 × 2 / 0.7854 = 8424 Ω
    assert asr(8424.0, 0, CELL)[0] * 1e4 == pytest.approx(3308, rel=1e-3)


def test_bad_values():
    with pytest.raises(AnalysisError):
        conductivity(-1, 0, CELL)
    with pytest.raises(AnalysisError):
        conductivity(float("nan"), 0, CELL)
    from sselab.errors import UnitError

    with pytest.raises(UnitError):
        conductivity(1, 0, CellSpec.from_strings(diameter="10 mm"))


def test_brug_and_apex():
    R, Q, a = 4.471e4, 1.727e-10, 0.85
    C, _ = brug_capacitance(R, Q, a)
    assert C == pytest.approx(R ** ((1 - a) / a) * Q ** (1 / a), rel=1e-12)
    assert brug_capacitance(1e3, 2e-9, 1.0)[0] == pytest.approx(2e-9)  # ideal capacitor
    fa, _ = apex_frequency(R, Q, a)
    # the apex of a ZARC is where -Z'' is largest
    f = np.logspace(3, 8, 20001)
    z = Circuit("p(R1,CPE1)").impedance(f, [R, Q, a])
    assert f[np.argmax(-z.imag)] == pytest.approx(fa, rel=2e-3)
    assert fa == pytest.approx(1 / (2 * np.pi * R * C), rel=1e-12)  # Brug C reproduces the apex


def test_error_propagation_matches_finite_differences():
    R, Q, a = 1e4, 1e-9, 0.8
    cov = np.diag([100.0 ** 2, 1e-11 ** 2, 0.01 ** 2])
    C, Ce = brug_capacitance(R, Q, a, cov)
    g = []
    for k, x in enumerate((R, Q, a)):
        h = x * 1e-6
        p = [R, Q, a]
        p[k] = x + h
        g.append((brug_capacitance(*p)[0] - C) / h)
    assert Ce == pytest.approx(math.sqrt(sum((gi * math.sqrt(cov[i, i])) ** 2 for i, gi in enumerate(g))), rel=1e-4)


def test_assignment_classes():
    g = CELL.geometric_factor_m  # 15.28 1/m = 0.1528 1/cm
    assert assign(2e-11, CELL)[0] == "bulk"
    assert assign(2e-9, CELL)[0] == "grain boundary"
    assert assign(2e-7, CELL)[0] == "surface layer"
    assert assign(5e-6, CELL)[0] == "electrode"
    assert assign(2e-11, CELL)[1] == pytest.approx(2e-11 * g / 100)
    assert assign(2e-12)[0] == "bulk"


def test_arcs_from_fit():
    circ = "R0-p(R1,CPE1)-p(R2,CPE2)"
    f = np.logspace(7, -1, 80)
    z = Circuit(circ).impedance(f, [20, 3e4, 2e-11, 0.9, 800, 1e-5, 0.85])
    res = fit(f, z, circ)
    info = arcs(res, CELL)
    assert [i.resistor for i in info] == ["R1", "R2"]
    assert info[0].assignment == "bulk" and info[1].assignment == "electrode"
    assert info[0].C_eff_F == pytest.approx(brug_capacitance(3e4, 2e-11, 0.9)[0], rel=1e-4)
    assert all(i.in_window for i in info) and info[0].to_dict()["resistor"] == "R1"
