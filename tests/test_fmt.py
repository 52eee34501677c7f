"""Report number formatting: value ± error rounded to the error (Particle Data Group rule)."""
from __future__ import annotations

import pytest

from sselab.fmt import fmt_num, fmt_pm, fmt_range, round_error


@pytest.mark.parametrize("v, e, text", [
    (0.053969, 5.9e-05, "0.05397 ± 0.00006"),      # leading digits 590 → one significant digit
    (2594.0, 2.8, "2594.0 ± 2.8"),                  # 280 → two
    (44.68, 2.2, "44.7 ± 2.2"),
    (1.00098, 0.00088, "1.0010 ± 0.0009"),
    (0.49990, 0.00022, "0.49990 ± 0.00022"),
    (0.5, 0.0096, "0.500 ± 0.010"),                 # 960 → rounded up to 1000, two digits
    (1514, 120, "1510 ± 120"),                      # error in the tens: value rounded to tens
    (-32.33, 0.67, "-32.3 ± 0.7"),
    (4.283e-9, 5.8e-12, "(4.283 ± 0.006)×10⁻⁹"),    # tiny: one power of ten
    (3.3e7, 2e5, "(3.300 ± 0.020)×10⁷"),
])
def test_fmt_pm_rounds_value_to_error(v, e, text):
    assert fmt_pm(v, e) == text


def test_fmt_pm_without_error_and_odd_input():
    assert fmt_pm(0.123456, None) == "0.1235"
    assert fmt_pm(0.123456, float("nan")) == "0.1235"
    assert fmt_pm(1.0, 0) == "1"
    assert fmt_pm(None, 1) == "—"
    assert fmt_pm(float("inf"), 1) == "—"
    assert fmt_pm("hard", 1) == "hard"


def test_round_error_and_range():
    assert round_error(0.000354) == (0.00035, 5)
    assert round_error(0.000355) == (0.0004, 4)
    assert fmt_range(0.05380, 0.05414, 5.9e-5) == "0.05380 – 0.05414"
    assert fmt_range(None, 1) == "—"


def test_fmt_num():
    assert fmt_num(True) == "yes" and fmt_num(0) == "0" and fmt_num(float("nan")) == "—"
    assert fmt_num(1234.5678) == "1235" and fmt_num("x") == "x" and fmt_num(None) == "—"
