"""The lithium-imide paper's stated values (lowen2025.yaml) against the paper's own text, and the Li2NH density
against its crystal structure."""
from __future__ import annotations

import doctest
import math
import re

import pytest

from conftest import shared_path
from sselab.materials import density
from sselab.materials.paper import PaperValuesError, load_paper

P = load_paper("lowen2025")

#: what issue 14 asks the report's paper_comparison to hold (at least)
REQUIRED = {"sigma30_cold_pressed", "sigma30_milled", "sigma30_hot_pressed", "ea_cold_pressed", "ea_milled",
            "ea_hot_pressed", "asr_li_as_built", "asr_li_heat_treated", "sigma_e_au", "t_ion_au", "sigma_e_pre_cv",
            "sigma_e_post_cv", "tau_pre_cv", "tau_post_cv", "cv_imbalance", "upper_stability_limit",
            "sp_total_hours", "sp_no_hard_short_current_density", "post_cycling_drop_factor",
            "tis2_first_discharge", "tis2_cycles", "lfp_cycles"}


def _plain(text: str) -> str:
    """The paper's extracted text without LaTeX markup, for substring checks."""
    t = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    t = t.replace("$", "").replace("^{-1}", "−1").replace("^{-2}", "−2").replace("^2", "2").replace("\\", "")
    return re.sub(r"\s+", " ", t)


def test_doctests():
    import sselab.materials.paper as mod

    res = doctest.testmod(mod)
    assert res.attempted > 0 and res.failed == 0


def test_every_required_quantity_is_there_with_a_sentence():
    assert REQUIRED <= set(P.ids())
    assert len(P) >= 60 and len(P.results()) >= 30
    for r in P:
        assert r.sentence and r.where and r.quantity
        assert r.kind in ("result", "condition")


def test_values_and_sentences_come_from_the_paper():
    text = _plain(shared_path("papers", "lithium-imide-solid-electrolyte.txt").read_text(encoding="utf-8"))
    for r in P:
        vals = r.value if r.is_range else (r.value,)
        for v in vals:
            printed = {f"{x:g}" for x in (v, v / 1e3, v / 1e6, v * 1e3)} | {f"{v:.2f}", f"{v:.1f}", f"{v:.3f}"}
            if r.id.endswith("_c_rate_hours"):
                printed = {f"C/{v:g}"}
            assert any(p in text for p in printed), (r.id, v)
        # the sentence's numbers all occur in the paper (the wording is transcribed, LaTeX written out)
        for num in re.findall(r"\d+\.\d+|\d{2,}", r.sentence):
            assert num in text, (r.id, num)


def test_si_conversion_and_relations():
    assert P["sigma30_cold_pressed"].value_si == pytest.approx(0.0054)            # 0.054 mS/cm in S/m
    assert P["asr_li_as_built"].value_si == pytest.approx(0.3308)                 # Ω cm² → Ω m²
    assert P["sigma_e_post_cv"].value_si == pytest.approx(5.4e-6)
    assert P["ea_cold_pressed"].value_si == 0.50 and P["ea_cold_pressed"].uncertainty_si == 0.02   # eV kept
    assert P["sigma_e_au"].temperature_K == pytest.approx(313.15)
    assert P["sp_total_hours"].relation == ">" and P["sp_total_hours"].value_si == 750 * 3600
    assert P["tis2_first_discharge"].value_si == pytest.approx(126 * 3600)        # mAh/g → C/kg
    assert P["post_cycling_resistivity"].value_si == pytest.approx(0.61)          # Ω cm → Ω m
    assert P["cv_range"].value_si == (-0.5, 5.0) and P["cv_range"].agrees(0.0) is None
    assert P["sp_low_steps"].value_si == pytest.approx((0.05, 0.1, 0.2, 0.4, 0.6, 0.8))   # µA/cm² → A/m²


def test_agreement_rules():
    assert P["sp_total_hours"].agrees(760 * 3600) and not P["sp_total_hours"].agrees(740 * 3600)
    assert P["upper_stability_limit"].agrees(5.0) and not P["upper_stability_limit"].agrees(4.86)
    assert P["ea_hot_pressed"].agrees(0.455) and not P["ea_hot_pressed"].agrees(0.47)      # ±0.02 eV
    assert P["t_ion_post_cv"].agrees(0.99984) and not P["t_ion_post_cv"].agrees(0.997)      # ±0.001
    assert P["sigma30_hot_pressed"].agrees(0.104) and not P["sigma30_hot_pressed"].agrees(0.11)   # 5 %
    assert P["asr_li_as_built"].agrees(3308e-4 * 1.1) and not P["asr_li_as_built"].agrees(3308e-4 * 1.2)  # "~": 15 %
    assert P["cv_imbalance"].agrees(0.0011 / 100) is False
    assert P["tau_pre_cv"].agrees(4.58) and not P["tau_pre_cv"].agrees(4.8)       # max(5 %, 2σ) = 0.224 s
    assert P["cv_break_cycle"].agrees(8) and not P["cv_break_cycle"].agrees(9)
    row = P.comparison_row("sigma30_cold_pressed", 0.00551)
    assert row["sselab_value"] == pytest.approx(0.0551) and row["unit"] == "mS/cm" and row["agrees"] is True
    assert set(row) >= {"quantity", "paper_value", "sselab_value", "unit", "agrees"}
    assert "moles of Li" in P["cv_imbalance"].basis and "/ 2" in P["asr_li_heat_treated"].basis
    assert P.comparison_row("cv_imbalance", 1.1e-5)["basis"] == P["cv_imbalance"].basis
    assert P["ea_cold_pressed"].paper_text() == "0.5 ± 0.02 eV"
    assert P["sp_total_hours"].paper_text() == "> 750 h"


def test_bad_files_fail_with_one_line(tmp_path):
    head = "schema_version: 1\nkey: x\nvalues:\n"
    row = "- {id: a, quantity: q, value: 1, unit: %s, sentence: s%s}\n"
    cases = {
        "unit": (head + row % ("furlong", ""), "furlong"),
        "relation": (head + row % ("V", ", relation: '≈'"), "relation"),
        "field": (head + row % ("V", ", colour: red"), "unknown field"),
        "dup": (head + row % ("V", "") + row % ("V", ""), "duplicate id 'a'"),
        "schema": ("values: []\n", "schema_version 1"),
        "value": (head + "- {id: a, quantity: q, value: lots, sentence: s}\n", "number"),
    }
    for name, (text, msg) in cases.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(PaperValuesError, match=msg) as exc:
            load_paper(p)
        assert "\n" not in str(exc.value) and str(p) in str(exc.value)
    with pytest.raises(PaperValuesError, match="no stated value 'nope'"):
        P["nope"]
    with pytest.raises(PaperValuesError, match="unknown paper"):
        load_paper("smith2020")


def test_li2nh_density_from_the_antifluorite_cell():
    """ρ = Z·M/(N_A·a³): Fm-3m a = 5.07 Å, Z = 4, or the doubled Fd-3m cell (a = 10.14 Å, Z = 32) — same value."""
    M = 2 * 6.94 + 14.007 + 1.008                     # g/mol
    na = 6.02214076e23
    rho_fm3m = 4 * M / (na * (5.07e-8) ** 3) * 1000   # kg/m³
    rho_fd3m = 32 * M / (na * (10.14e-8) ** 3) * 1000
    assert rho_fm3m == pytest.approx(rho_fd3m, rel=1e-12)
    assert density("Li2NH") == pytest.approx(rho_fm3m, rel=5e-4)           # the table's 1.473 g/cm³
    assert density("lithium imide") == density("Li2NH hot pressed") == density("Li2NH")
    from sselab.design import density_source

    rho, src = density_source("Li2NH")                  # what `sselab design` and the cell projection use
    assert rho == pytest.approx(1473.0) and src == "knowledge base"
    # the paper's cold-pressed pellet at 76.5 % relative density: 10 mm × 1.2 mm ≈ 0.106 g
    assert math.pi * 0.005 ** 2 * 1.2e-3 * rho * 0.765 * 1e3 == pytest.approx(0.106, abs=0.001)
