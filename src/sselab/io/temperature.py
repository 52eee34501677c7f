"""Temperatures written into file names (``pellet_30C.mpr``, ``run_303K.z``, ``x_30degC.txt``, ``s04147-120deg``)."""
from __future__ import annotations

import re
from pathlib import Path

# a number followed by a temperature unit, standing alone between separators (start/end, _ - space . , ( ) [ ])
_PATTERN = re.compile(
    r"(?:(?<=^)|(?<=[_\-\s.,()\[\]]))"
    r"(?P<sign>[-+m]?)(?P<num>\d+(?:[.p]\d+)?)\s*"
    r"(?P<unit>°C|ºC|degC|deg\.?C|deg|Celsius|C|c|K)"
    r"(?=$|[_\-\s.,()\[\]])"
)


def _candidates(text: str):
    for m in _PATTERN.finditer(text):
        num = float(m.group("num").replace("p", "."))
        unit = m.group("unit")
        sign = m.group("sign")
        if sign in ("-", "m") and unit != "K":
            # "-20C" after a separator is ambiguous (separator or minus); accept minus only for "m20C"-style names
            if sign == "m":
                num = -num
        if unit == "K":
            if 100.0 <= num <= 2500.0:
                yield num
            continue
        if unit in ("C", "c") and 0 <= num <= 5 and sign != "m":
            continue  # "1C", "2C", "0.5C" are C-rates far more often than temperatures
        if -150.0 <= num <= 1500.0:
            yield num + 273.15


def temperature_from_name(name) -> float | None:
    """Temperature in kelvin written in a file name (or title), or ``None`` when there is none or it is ambiguous.

    Recognises ``30C``, ``30degC``, ``30°C``, ``30deg`` (degrees Celsius), ``303K``, ``25p5C`` (25.5 °C) and
    ``m20C`` (−20 °C) as stand-alone tokens between ``_ - . space`` separators.  Small bare-``C`` values (≤ 5, e.g.
    ``1C``, ``0.5C``) are taken for C-rates and ignored.  Several different temperatures → ``None``.

    >>> temperature_from_name("pellet_30C.mpr")
    303.15
    >>> temperature_from_name("LLZO_303K.z")
    303.0
    """
    if name is None:
        return None
    text = Path(str(name)).name
    # strip the extension(s) but keep dots inside numbers
    text = re.sub(r"\.[A-Za-z][A-Za-z0-9]{0,5}$", "", text)
    values = sorted({round(v, 6) for v in _candidates(text)})
    if len(values) != 1:
        return None
    return float(values[0])
