"""Quantities as researchers type them: ``"1.2 mm"``, ``"0.7854 cm2"``, ``"30 C"``, ``"20 uA/cm2"``.

Everything inside sselab is SI; field units appear only at the edges.  This module converts both ways:

>>> parse("1.2 mm", "length")
0.0012
>>> parse("30 C", "temperature")          # bare C means degrees Celsius where a temperature is expected
303.15
>>> round(convert(0.1, "S/m", "mS/cm"), 12)
1.0

Units are products of powers of symbols with SI prefixes, e.g. ``mA/cm2``, ``mA cm-2``, ``mAh/g``,
``Ohm cm2``, ``S cm^-1``, ``uA*cm^-2``, ``Wh/kg``, ``g/cm3``, ``mV/s``.  ``C`` means coulomb except where a
temperature is expected (then it is °C).  Temperature accepts K, °C / degC / C.  A plain number is accepted only
when the caller supplies ``default_unit``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import UnitError

# base dimensions: m, kg, s, A, K, mol
_Dim = tuple[int, int, int, int, int, int]

_ZERO: _Dim = (0, 0, 0, 0, 0, 0)

_PREFIXES = {
    "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1,
    "k": 1e3, "M": 1e6, "G": 1e9,
}

# symbol -> (factor to SI, dimension); prefixes allowed on all of these
_UNITS: dict[str, tuple[float, _Dim]] = {
    "m": (1.0, (1, 0, 0, 0, 0, 0)),
    "g": (1e-3, (0, 1, 0, 0, 0, 0)),
    "s": (1.0, (0, 0, 1, 0, 0, 0)),
    "A": (1.0, (0, 0, 0, 1, 0, 0)),
    "K": (1.0, (0, 0, 0, 0, 1, 0)),
    "mol": (1.0, (0, 0, 0, 0, 0, 1)),
    "V": (1.0, (2, 1, -3, -1, 0, 0)),
    "W": (1.0, (2, 1, -3, 0, 0, 0)),
    "J": (1.0, (2, 1, -2, 0, 0, 0)),
    "Wh": (3600.0, (2, 1, -2, 0, 0, 0)),
    "eV": (1.602176634e-19, (2, 1, -2, 0, 0, 0)),
    "Ohm": (1.0, (2, 1, -3, -2, 0, 0)),
    "S": (1.0, (-2, -1, 3, 2, 0, 0)),
    "F": (1.0, (-2, -1, 4, 2, 0, 0)),
    "H": (1.0, (2, 1, -2, -2, 0, 0)),
    "C": (1.0, (0, 0, 1, 1, 0, 0)),
    "Ah": (3600.0, (0, 0, 1, 1, 0, 0)),
    "Hz": (1.0, (0, 0, -1, 0, 0, 0)),
    "L": (1e-3, (3, 0, 0, 0, 0, 0)),
    "Pa": (1.0, (-1, 1, -2, 0, 0, 0)),
    "bar": (1e5, (-1, 1, -2, 0, 0, 0)),
}
# symbols that do not take prefixes
_PLAIN: dict[str, tuple[float, _Dim]] = {
    "min": (60.0, (0, 0, 1, 0, 0, 0)),
    "h": (3600.0, (0, 0, 1, 0, 0, 0)),
    "hr": (3600.0, (0, 0, 1, 0, 0, 0)),
    "day": (86400.0, (0, 0, 1, 0, 0, 0)),
    "d": (86400.0, (0, 0, 1, 0, 0, 0)),
    "%": (1e-2, _ZERO),
    "ppm": (1e-6, _ZERO),
    "Å": (1e-10, (1, 0, 0, 0, 0, 0)),
    "A°": (1e-10, (1, 0, 0, 0, 0, 0)),
    "angstrom": (1e-10, (1, 0, 0, 0, 0, 0)),
}
_ALIASES = {
    "ohm": "Ohm", "ohms": "Ohm", "Ohms": "Ohm", "Ω": "Ohm", "Ω": "Ohm",
    "sec": "s", "secs": "s", "hours": "h", "hour": "h", "mins": "min", "days": "day",
    "um": "um", "micron": "um", "microns": "um",
}

#: named dimensions used for validation and error messages
DIMENSIONS: dict[str, _Dim] = {
    "dimensionless": _ZERO,
    "length": (1, 0, 0, 0, 0, 0),
    "area": (2, 0, 0, 0, 0, 0),
    "volume": (3, 0, 0, 0, 0, 0),
    "mass": (0, 1, 0, 0, 0, 0),
    "time": (0, 0, 1, 0, 0, 0),
    "current": (0, 0, 0, 1, 0, 0),
    "temperature": (0, 0, 0, 0, 1, 0),
    "amount": (0, 0, 0, 0, 0, 1),
    "potential": (2, 1, -3, -1, 0, 0),
    "resistance": (2, 1, -3, -2, 0, 0),
    "conductance": (-2, -1, 3, 2, 0, 0),
    "conductivity": (-3, -1, 3, 2, 0, 0),
    "area_specific_resistance": (4, 1, -3, -2, 0, 0),
    "capacitance": (-2, -1, 4, 2, 0, 0),
    "charge": (0, 0, 1, 1, 0, 0),
    "areal_charge": (-2, 0, 1, 1, 0, 0),
    "specific_charge": (0, -1, 1, 1, 0, 0),
    "current_density": (-2, 0, 0, 1, 0, 0),
    "specific_current": (0, -1, 0, 1, 0, 0),
    "energy": (2, 1, -2, 0, 0, 0),
    "power": (2, 1, -3, 0, 0, 0),
    "specific_energy": (2, 0, -2, 0, 0, 0),
    "energy_density": (-1, 1, -2, 0, 0, 0),
    "frequency": (0, 0, -1, 0, 0, 0),
    "scan_rate": (2, 1, -4, -1, 0, 0),
    "density": (-3, 1, 0, 0, 0, 0),
    "molar_mass": (0, 1, 0, 0, 0, -1),
    "pressure": (-1, 1, -2, 0, 0, 0),
}
_DIM_NAMES = {v: k for k, v in DIMENSIONS.items()}

# dimensions whose values must be > 0 (a negative thickness is nonsense)
POSITIVE = {"length", "area", "volume", "mass", "density", "molar_mass", "frequency", "time"}

_NUM = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"
_QTY = re.compile(rf"^\s*({_NUM})\s*(.*?)\s*$")
_TOKEN = re.compile(r"([^\s*/^\d.+-][^\s*/^\d+-]*?)\s*(?:\^?\s*([-+]?\d+))?(?=$|[\s*/])")


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: ``value`` in SI base units and its dimension vector."""

    value: float
    dim: _Dim
    text: str = ""

    @property
    def dimension(self) -> str:
        return _DIM_NAMES.get(self.dim, str(self.dim))

    def to(self, unit: str) -> float:
        factor, dim, offset = _unit(unit)
        if dim != self.dim:
            raise UnitError(f"cannot express {self.text or self.value!r} ({self.dimension}) in {unit}")
        return (self.value - offset) / factor


def _symbol(sym: str) -> tuple[float, _Dim]:
    sym = _ALIASES.get(sym, sym)
    if sym in _PLAIN:
        return _PLAIN[sym]
    if sym in _UNITS:
        return _UNITS[sym]
    if len(sym) > 1 and sym[0] in _PREFIXES:
        base = _ALIASES.get(sym[1:], sym[1:])
        if base in _UNITS:
            f, d = _UNITS[base]
            return _PREFIXES[sym[0]] * f, d
        if sym[0] == "u" and base in ("m",):  # 'um' written as alias above, kept for clarity
            return 1e-6, _UNITS["m"][1]
    raise UnitError(f"unknown unit {sym!r}")


def _mul(a: _Dim, b: _Dim, k: int = 1) -> _Dim:
    return tuple(x + k * y for x, y in zip(a, b))  # type: ignore[return-value]


_TEMP_UNITS = {"°C": 273.15, "degC": 273.15, "ºC": 273.15, "℃": 273.15, "celsius": 273.15, "K": 0.0, "kelvin": 0.0}


_SUPERSCRIPTS = str.maketrans({"²": "2", "³": "3", "¹": "1", "⁻": "-", "⁺": "+"})


def _unit(unit: str, expect: str | None = None) -> tuple[float, _Dim, float]:
    """Return (factor, dimension, offset) so that SI = value*factor + offset."""
    u = unit.strip()
    if u in _TEMP_UNITS or (u == "C" and expect == "temperature"):
        off = _TEMP_UNITS.get(u, 273.15)
        return 1.0, DIMENSIONS["temperature"], off
    if u == "":
        return 1.0, _ZERO, 0.0
    factor, dim = 1.0, _ZERO
    # superscripts as printed in tables and papers: "µA/cm²", "mAh g⁻¹", "g/cm³"
    u = u.translate(_SUPERSCRIPTS)
    # split numerator / denominators:  "mA/cm2", "mA cm-2", "Ohm*cm^2", "mAh g-1"
    parts = u.replace("·", "*").split("/")
    for i, part in enumerate(parts):
        sign = 1 if i == 0 else -1
        part = part.strip()
        if not part:
            raise UnitError(f"malformed unit {unit!r}")
        pos = 0
        part = re.sub(r"\s*\^\s*", "^", part)
        for tok in re.split(r"[\s*]+", part):
            if not tok:
                continue
            m = re.fullmatch(r"(.+?)\^?([-+]?\d+)?", tok)
            if m is None:
                raise UnitError(f"malformed unit {unit!r}")
            sym, exp = m.group(1), int(m.group(2) or 1)
            f, d = _symbol(sym)
            # denominator applies to the first token after '/' only when written as a/b c; treat all as divided
            e = exp * sign
            factor *= f ** e
            dim = _mul(dim, d, e)
            pos += 1
    return factor, dim, 0.0


def _parse_number(s: str) -> float:
    if "," in s and "." not in s:
        s = s.replace(",", ".")
    return float(s)


def parse_quantity(text, expect: str | None = None, default_unit: str | None = None) -> Quantity:
    """Parse ``text`` (``"1.2 mm"``) into a :class:`Quantity` in SI units.

    ``expect`` names a dimension from :data:`DIMENSIONS`; a mismatch raises :class:`UnitError` with a one-line
    message.  Numbers (int/float) and unit-less strings need ``default_unit``.
    """
    if isinstance(text, Quantity):
        q = text
    else:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            num, unit = float(text), None
            raw = repr(text)
        else:
            raw = str(text)
            m = _QTY.match(raw)
            if m is None:
                raise UnitError(f"cannot read {raw!r} as a quantity (expected e.g. '1.2 mm')")
            num, unit = _parse_number(m.group(1)), m.group(2) or None
        if unit is None:
            if default_unit is None:
                want = f" {expect}" if expect else ""
                raise UnitError(f"{raw!r} needs a unit (a{want} such as {_EXAMPLE.get(expect, '1.2 mm')!r})")
            unit = default_unit
        try:
            factor, dim, offset = _unit(unit, expect)
        except UnitError as exc:
            raise UnitError(f"{raw!r}: {exc}") from None
        if not math.isfinite(num):
            raise UnitError(f"{raw!r} is not a finite number")
        q = Quantity(num * factor + offset, dim, raw)
    if expect is not None:
        want = DIMENSIONS.get(expect)
        if want is None:
            raise ValueError(f"unknown dimension {expect!r}")
        if q.dim != want:
            raise UnitError(f"{q.text!r} is a {q.dimension}, expected a {expect.replace('_', ' ')}")
        if expect in POSITIVE and not q.value > 0:
            raise UnitError(f"{q.text!r}: a {expect} must be positive")
        if expect == "temperature" and q.value <= 0:
            raise UnitError(f"{q.text!r} is below absolute zero")
    return q


_EXAMPLE = {
    "length": "1.2 mm", "area": "0.7854 cm2", "mass": "50 mg", "temperature": "30 C", "potential": "0.5 V",
    "current_density": "20 uA/cm2", "specific_current": "5 mA/g", "time": "30 min", "current": "1 mA",
    "scan_rate": "1 mV/s", "conductivity": "1 mS/cm", "density": "1.2 g/cm3",
}


def parse(text, expect: str | None = None, default_unit: str | None = None) -> float:
    """Parse ``text`` and return its value in SI base units (temperature in K)."""
    return parse_quantity(text, expect, default_unit).value


def convert(value: float, from_unit: str, to_unit: str):
    """Convert a number (or numpy array) between two units of the same dimension.

    >>> convert(25, "degC", "K")
    298.15
    """
    f1, d1, o1 = _unit(from_unit, "temperature" if from_unit in ("C",) else None)
    f2, d2, o2 = _unit(to_unit, "temperature" if to_unit in ("C",) else None)
    if d1 != d2:
        raise UnitError(f"cannot convert {from_unit} to {to_unit}: different dimensions")
    return (value * f1 + o1 - o2) / f2


def to_unit(value_si, unit: str):
    """Express an SI value in ``unit`` (``to_unit(0.1, "mS/cm") == 1.0``)."""
    factor, _, offset = _unit(unit, "temperature" if unit == "C" else None)
    return (value_si - offset) / factor


def from_unit(value, unit: str):
    """Convert ``value`` given in ``unit`` into SI."""
    factor, _, offset = _unit(unit, "temperature" if unit == "C" else None)
    return value * factor + offset


# -- convenience helpers with the checks researchers expect --------------------------------------------------

def length(text, default_unit: str | None = None) -> float:
    return parse(text, "length", default_unit)


def area(text, default_unit: str | None = None) -> float:
    return parse(text, "area", default_unit)


def mass(text, default_unit: str | None = None) -> float:
    return parse(text, "mass", default_unit)


def temperature(text, default_unit: str | None = None) -> float:
    """Temperature in kelvin; ``"30 C"``, ``"30 °C"``, ``"303.15 K"``."""
    return parse(text, "temperature", default_unit)


def potential(text, default_unit: str | None = None) -> float:
    return parse(text, "potential", default_unit)


def celsius(kelvin):
    return kelvin - 273.15


def kelvin(celsius_value):
    return celsius_value + 273.15


#: Boltzmann constant in eV/K and J/K, Faraday constant, gas constant, Avogadro
K_B_EV = 8.617333262e-5
K_B = 1.380649e-23
FARADAY = 96485.33212
R_GAS = 8.314462618
N_A = 6.02214076e23
E_CHARGE = 1.602176634e-19
