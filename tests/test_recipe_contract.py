"""The recipe contract (sselab.recipes.base): values with units, flags, JSON round trip, registry."""
from __future__ import annotations

import json

import pytest

from sselab.recipes import Flag, RecipeResult, RecipeTable, Value
from sselab.recipes.base import RecipeError, get


def _result():
    return RecipeResult(
        recipe="demo.example", subject="HP-1", inputs=("a.mpt",), options={"circuit": "R0-p(R1,CPE1)"},
        values=(Value("sigma_30C_S_per_m", 0.0766, "S/m", 0.0004, "σ(30 °C)", "mS/cm"),
                Value("T_K", 303.15, "K", 0.05, "T", "degC"),
                Value("ccd_A_per_m2", 100.0, "A/m2", None, "CCD", "mA/cm2", bound=">="),
                Value("n_cycles", 1250, "", label="cycles")),
        flags=(Flag("arc-outside-window", "R1 lies above the measured band", where="110 °C"),),
        tables=(RecipeTable("points", ("T_K", "R_ohm"), ((303.15, 100.0), (313.15, 80.0))),),
        figures={"x": [1.0, 2.0]})


def test_display_units_and_text():
    r = _result()
    v, e, u = r["sigma_30C_S_per_m"].shown()
    assert u == "mS/cm" and v == pytest.approx(0.766) and e == pytest.approx(0.004)
    assert r["sigma_30C_S_per_m"].text() == "0.766 ± 0.004 mS/cm"
    assert r["T_K"].text() == "30.00 ± 0.05 °C"        # affine unit: the error is not shifted
    assert r["ccd_A_per_m2"].text() == "≥ 10 mA/cm²"
    assert r["n_cycles"].text() == "1250"
    assert "σ(30 °C)" in str(r) and "R1 lies above" in str(r)


def test_json_round_trip():
    r = _result()
    d = json.loads(r.to_json())
    assert d["values"][0]["key"] == "sigma_30C_S_per_m" and d["values"][0]["unit"] == "S/m"
    back = RecipeResult.from_json(r.to_json())
    assert back.values == r.values and back.flags == r.flags and back.tables == r.tables
    assert back.options == r.options and back.inputs == r.inputs
    assert "figures" not in d and RecipeResult.from_json(r.to_json(figures=True)).figures == {"x": [1.0, 2.0]}


def test_contract_guards():
    with pytest.raises(ValueError, match="duplicated"):
        RecipeResult("x", "y", values=(Value("a_s", 1.0, "s"), Value("a_s", 2.0, "s")))
    with pytest.raises(ValueError):
        Flag("c", "two\nlines")
    with pytest.raises(ValueError):
        Flag("c", "m", severity="fatal")
    with pytest.raises(RecipeError, match="unknown recipe"):
        get("no.such.recipe")
    r = _result()
    assert r.ok and not r.with_flags(Flag("bad", "broken", "error")).ok
    with pytest.raises(KeyError):
        r["nope"]
