"""Quantity parsing: SI values checked against hand conversions."""
import math

import numpy as np
import pytest

from sselab import units
from sselab.errors import SselabError, UnitError


@pytest.mark.parametrize("text,dim,si", [
    ("1.2 mm", "length", 1.2e-3),
    ("1200 um", "length", 1.2e-3),
    ("1200 µm", "length", 1.2e-3),
    ("10 mm", "length", 0.01),
    ("0.12 cm", "length", 1.2e-3),
    ("0.7854 cm2", "area", 0.7854e-4),
    ("0.7854 cm^2", "area", 0.7854e-4),
    ("30 C", "temperature", 303.15),
    ("30 °C", "temperature", 303.15),
    ("30degC", "temperature", 303.15),
    ("303.15 K", "temperature", 303.15),
    ("20 uA/cm2", "current_density", 20e-6 / 1e-4),
    ("20 uA cm-2", "current_density", 0.2),
    ("5 mA/g", "specific_current", 5e-3 / 1e-3),
    ("0.5 V", "potential", 0.5),
    ("750 mV", "potential", 0.75),
    ("1 mS/cm", "conductivity", 0.1),
    ("1 mS cm-1", "conductivity", 0.1),
    ("100 Ohm cm2", "area_specific_resistance", 100 * 1e-4),
    ("100 Ω cm2", "area_specific_resistance", 100 * 1e-4),
    ("126 mAh/g", "specific_charge", 126 * 3.6 / 1e-3),
    ("4 mAh/cm2", "areal_charge", 4 * 3.6 / 1e-4),
    ("350 Wh/kg", "specific_energy", 350 * 3600),
    ("1 mV/s", "scan_rate", 1e-3),
    ("1.27 g/cm3", "density", 1270.0),
    ("30 min", "time", 1800.0),
    ("5 h", "time", 18000.0),
    ("3 mg", "mass", 3e-6),
    ("13 MHz", "frequency", 13e6),
    ("0.44 eV", "energy", 0.44 * 1.602176634e-19),
    ("1,2 mm", "length", 1.2e-3),   # decimal comma as typed on a German keyboard
])
def test_parse_to_si(text, dim, si):
    assert units.parse(text, dim) == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize("text,dim,fragment", [
    ("-1.2 mm", "length", "positive"),
    ("0 mm", "length", "positive"),
    ("1.2", "length", "needs a unit"),
    ("1.2 V", "length", "expected a length"),
    ("30 C", "potential", "expected a potential"),
    ("1.2 furlongs", "length", "unknown unit"),
    ("mm", "length", "cannot read"),
    ("-300 C", "temperature", "absolute zero"),
])
def test_rejects_nonsense_with_one_line(text, dim, fragment):
    with pytest.raises(UnitError) as exc:
        units.parse(text, dim)
    msg = str(exc.value)
    assert fragment in msg and "\n" not in msg
    assert isinstance(exc.value, SselabError)


def test_default_unit_for_plain_numbers():
    assert units.parse(1.2, "length", default_unit="mm") == pytest.approx(1.2e-3)
    assert units.parse("25", "temperature", default_unit="C") == pytest.approx(298.15)


def test_conversions_round_trip():
    assert units.to_unit(0.1, "mS/cm") == pytest.approx(1.0)
    assert units.to_unit(1e-4, "Ohm cm2") == pytest.approx(1.0)
    assert units.convert(25, "degC", "K") == pytest.approx(298.15)
    assert units.convert(298.15, "K", "°C") == pytest.approx(25.0)
    arr = np.array([1.0, 2.0])
    assert np.allclose(units.convert(arr, "mA", "A"), [1e-3, 2e-3])
    assert units.from_unit(1.0, "mAh") == pytest.approx(3.6)
    with pytest.raises(UnitError):
        units.convert(1, "mA", "V")


def test_quantity_object_and_constants():
    q = units.parse_quantity("4.85 um")
    assert q.dimension == "length"
    assert q.to("nm") == pytest.approx(4850)
    # 1 mAh/cm2 of Li plated is ~4.85 um: F, M(Li)=6.941 g/mol, rho=0.534 g/cm3
    thickness_cm = (3.6 / units.FARADAY) * 6.941 / 0.534
    assert thickness_cm * 1e4 == pytest.approx(4.85, abs=0.01)
    assert units.K_B_EV * units.E_CHARGE == pytest.approx(units.K_B, rel=1e-9)
    assert math.isclose(units.N_A * units.E_CHARGE, units.FARADAY, rel_tol=1e-9)


@pytest.mark.parametrize("text, si", [("1 \u03a9", 1.0), ("1 \u2126", 1.0), ("2 k\u03a9", 2e3), ("2 k\u2126", 2e3),
                                      ("1 M\u2126", 1e6), ("3 \u2126 cm2", 3e-4), ("3 \u03a9 cm2", 3e-4)])
def test_both_omega_code_points_are_ohm(text, si):
    # U+03A9 (Greek capital omega) and U+2126 (ohm sign) look identical; both must parse (the alias table once held
    # U+03A9 twice and never U+2126)
    assert units.parse(text) == pytest.approx(si)
