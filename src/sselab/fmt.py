"""Number formatting shared by every front-end (CLI tables, HTML report, app) and by recipe results.

* :func:`fmt_num` — significant digits, ``—`` for missing or non-finite values.
* :func:`fmt_pm` — ``value ± error`` with the error rounded to one or two significant digits (Particle Data
  Group rule: two when its leading three digits are 100–354, one for 355–949, 950–999 rounded up to 1000 with
  two) and the value rounded to the same decimal place: ``0.053969 ± 5.9e-05`` → ``0.05397 ± 0.00006``.
  Very small or large values share one power of ten: ``(4.283 ± 0.006)×10⁻⁹``.
* :func:`fmt_range` — a confidence interval at the precision :func:`fmt_pm` gives for a standard error.
* :func:`round_text` — every decimal number inside a ready-made text (e.g. a scorecard value from
  :mod:`sselab.materials`) cut to ``digits`` significant figures: ``'-0.500476–4.87961 V'`` → ``'-0.500–4.88 V'``.
"""
from __future__ import annotations

import math
import re

__all__ = ["fmt_num", "fmt_pm", "fmt_range", "round_error", "round_text", "fmt_sig", "finite"]

_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def finite(v) -> float | None:
    """``float(v)`` when a finite number, else None (None, text, bools, NaN and ±inf are not numbers to print)."""
    if v is None or isinstance(v, (str, bool)):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def fmt_num(v, digits: int = 4) -> str:
    """``v`` with ``digits`` significant digits; strings pass through, bools as yes/no, ``—`` when missing."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def round_error(e: float) -> tuple[float, int]:
    """``(rounded error, decimals)``: ``e`` to 1 or 2 significant digits (PDG rule) and the decimal place of its
    last digit (negative for tens, hundreds …)."""
    p = math.floor(math.log10(e))
    lead = int(e / 10 ** p * 100 + 1e-9)          # leading three digits, 100–999
    if lead >= 950:                                 # 0.0096 → 0.010 (two digits)
        p, nd = p + 1, 2
    else:
        nd = 2 if lead < 355 else 1
    dec = nd - 1 - p
    return round(e, dec), dec


def _fixed(x: float, dec: int) -> str:
    if dec >= 0:
        s = f"{x:.{dec}f}"
    else:
        s = f"{round(x, dec):.0f}"
    return "0" if s.strip("-0.") == "" and s.startswith("-") else s


def fmt_pm(v, e, digits: int = 4) -> str:
    """``value ± error`` rounded to the error (see module docstring); without a usable error, :func:`fmt_num`."""
    if isinstance(v, str):
        return v
    x = finite(v)
    if x is None:
        return fmt_num(v, digits)
    err = finite(e)
    if err is None or err <= 0:
        return fmt_num(x, digits)
    big = max(abs(x), err)
    p = math.floor(math.log10(big))
    if p < -3 or p >= 6:                            # one power of ten for both
        scale = 10.0 ** p
        er, dec = round_error(err / scale)
        return f"({_fixed(x / scale, dec)} ± {_fixed(er, dec)})×10{str(p).translate(_SUP)}"
    er, dec = round_error(err)
    return f"{_fixed(x, dec)} ± {_fixed(er, dec)}"


def fmt_range(lo, hi, err=None, digits: int = 3) -> str:
    """``lo – hi``, at the decimal place :func:`fmt_pm` would use for ``err`` (else ``digits`` significant)."""
    a, b = finite(lo), finite(hi)
    if a is None or b is None:
        return "—"
    e = finite(err)
    if e is not None and e > 0:
        big = max(abs(a), abs(b), e)
        p = math.floor(math.log10(big))
        if -3 <= p < 6:
            _, dec = round_error(e)
            return f"{_fixed(a, dec)} – {_fixed(b, dec)}"
    return f"{fmt_num(a, digits)} – {fmt_num(b, digits)}"


# a decimal number standing on its own: not part of a word or formula (Li2NH, Li7La3Zr2O12) or a dotted version
_NUMBER = re.compile(r"(?<![\w.\-])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def fmt_sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant figures, trailing zeros kept (``0.500167`` → ``'0.500'``); fixed notation
    for 1e-4 ≤ |x| < 1e6 (``1126.85`` → ``'1130'``), else ``'3.98e-05'``."""
    if x == 0 or not math.isfinite(x):
        return fmt_num(x, digits)
    p = math.floor(math.log10(abs(x)))
    if -4 <= p < 6:
        dec = digits - 1 - p
        y = round(x, dec)
        if y != 0 and math.floor(math.log10(abs(y))) > p:   # 9.996 → 10.0: one decimal fewer
            dec -= 1
        return f"{y:.{max(dec, 0)}f}"
    return f"{x:.{digits - 1}e}"


def _significant_digits(token: str) -> int:
    mant = re.split(r"[eE]", token.lstrip("-"))[0]
    return len(mant.replace(".", "").lstrip("0")) or 1


def round_text(text: str, digits: int = 3) -> str:
    """Every decimal number in ``text`` that carries more than ``digits`` significant figures, rounded to
    ``digits`` (:func:`fmt_sig`); integers (cycle numbers, temperatures like ``600 °C``) and numbers inside words
    (formulas) are left alone."""
    if not isinstance(text, str) or not text:
        return text

    def sub(m: re.Match) -> str:
        tok = m.group(0)
        if ("." not in tok and "e" not in tok.lower()) or _significant_digits(tok) <= digits:
            return tok
        return fmt_sig(float(tok), digits)

    return _NUMBER.sub(sub, text)
