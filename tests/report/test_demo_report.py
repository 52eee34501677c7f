"""`sselab demo --small` end to end: the report recovers the values the data were simulated with."""
from __future__ import annotations

import json

import pytest


def _rows(doc):
    return {(r["subject"], r["quantity"]): r for r in doc["truth_comparison"]}


def test_outputs_written(small_demo):
    ds, doc, out = small_demo
    assert (out / "report.html").stat().st_size > 10_000
    assert doc["files"] and all(f["status"] == "ok" for f in doc["files"])
    assert (out / "summary.csv").read_text().startswith("section,subject,quantity")
    for s in doc["sections"]:
        for paths in s["figures"]:
            assert {p.rsplit(".", 1)[1] for p in paths} == {"png", "svg"}
            for p in paths:
                assert (out / p).stat().st_size > 1000
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".") and p.name != ".sselab-output.json"]  # no temp dirs left
    assert ds.summary["agree"] == ds.summary["compared"] > 20


def test_arrhenius_recovers_ea_and_sigma30(small_demo):
    ds, doc, _ = small_demo
    rows = _rows(doc)
    for mat, ea, s30 in [("Li2NH cold pressed", 0.50, 0.054), ("Li2NH milled + cold pressed", 0.52, 0.34),
                         ("Li2NH hot pressed", 0.44, 1.0)]:
        assert rows[(mat, "Ea_eV")]["recovered"] == pytest.approx(ea, abs=0.01)
        assert rows[(mat, "sigma_30C_mS_per_cm")]["recovered"] == pytest.approx(s30, rel=0.03)


def test_dcpol_recovers_tau_sigma_e(small_demo):
    rows = _rows(small_demo[1])
    assert rows[("CP-Au-dcpol", "tau_s")]["recovered"] == pytest.approx(4.5, rel=0.03)
    assert rows[("CP-Au-dcpol", "sigma_e_nS_per_cm")]["recovered"] == pytest.approx(1.2, rel=0.03)
    assert rows[("CP-Au-dcpol", "t_ion")]["recovered"] == pytest.approx(0.998, abs=5e-4)


def test_cycling_recovers_capacity_and_short(small_demo):
    """Full cells recover their capacities; the short is found in the showcase cell (simulated with one), and the
    paper's ladder (Li-Li-SP, no short simulated: > 750 h in the paper) has none, its CCD a lower bound."""
    ds, doc, _ = small_demo
    rows = _rows(doc)
    truth = json.loads(ds.truth.read_text())["cells"]
    assert rows[("Li-TiS2", "first_discharge_mAh_per_g")]["recovered"] == pytest.approx(126.0, rel=0.01)
    assert rows[("Li-TiS2", "last_discharge_mAh_per_g")]["recovered"] == pytest.approx(
        truth["Li-TiS2"]["last_discharge_mAh_per_g"], rel=0.01)
    show = "showcase-short-Li-Li"
    assert rows[(show, "short_cycle")]["recovered"] == truth[show]["short_cycle"]
    assert rows[(show, "short_kind")]["recovered"] == "hard"
    assert rows[("Li-Li-SP", "short_kind")]["recovered"] == "none"
    sp = next(r for s in doc["sections"] if s["recipe"] == "cycling.symmetric" and s["subject"] == "Li-Li-SP"
              for r in s["results"])
    ccd = next(v for v in sp["values"] if v["key"] == "ccd_A_per_m2")
    assert ccd["bound"] == ">=" and ccd["value"] == pytest.approx(100.0, rel=1e-3)  # ≥ 10 mA/cm², the last step
    assert not [f for f in sp["flags"] if f["code"] in ("short-in-first-half-cycles",)]


def test_cv_recovers_imbalance_and_regimes(small_demo):
    """The imbalance is 5.2 % of the *plated* Li as simulated; on the paper's stated basis (the pellet's Li) the same
    charge is ≈ 0.0011 % — the earlier demo inflated the currents to reach 5.2 % of the pellet's Li, which a pellet
    of ≈ 0.1 mS/cm cannot carry (truth.json, cv_imbalance_basis)."""
    ds, doc, _ = small_demo
    rows = _rows(doc)
    basis = json.loads(ds.truth.read_text())["details"]["Li-steel-CV"]["cv_imbalance_basis"]
    assert rows[("Li-steel-CV", "imbalance_pct_of_plated")]["recovered"] == pytest.approx(5.2, rel=0.1)
    assert rows[("Li-steel-CV", "imbalance_pct_of_pellet_Li")]["recovered"] == pytest.approx(
        basis["pct_of_pellet_Li"], rel=0.1)
    assert basis["needed_over_ohmic_max"] > 10           # 5.2 % of the pellet's Li is out of physical reach
    assert rows[("Li-steel-CV", "break_cycle")]["recovered"] == pytest.approx(7, abs=1)
    assert rows[("Li-steel-CV", "n_cycles")]["recovered"] == 16
    cv = next(r for s in doc["sections"] if s["recipe"] == "cv" for r in s["results"])
    up = next(v for v in cv["values"] if v["key"] == "window_upper_V")
    assert up["bound"] == ">=" and up["value"] == pytest.approx(5.0, abs=0.01)    # no oxidative onset up to 5 V
    assert "ox_onset_V" not in {v["key"] for v in cv["values"]}


def test_every_truth_value_agrees(small_demo):
    doc = small_demo[1]
    bad = [r for r in doc["truth_comparison"] if r["recovered"] is not None and not r["agrees"]]
    assert not bad, bad


def test_symmetric_eis_recovers_interface_asr(small_demo):
    """Fig. 1g: 3308 → 47 Ω cm² per interface.  σ of the heat-treated cell comes out ≈ 3 % below the simulated
    0.059 mS/cm: the spectrum's inductive loop (R4 = 3 % of R_DC, p(R4, L4)) is a series resistance above 0.01 Hz
    that no loop-free fit can tell from the electrolyte's (truth.json, tolerances)."""
    rows = _rows(small_demo[1])
    assert rows[("Li-Li-as-built", "asr_interface_ohm_cm2")]["recovered"] == pytest.approx(3308, rel=0.03)
    assert rows[("Li-Li-heat-treated", "asr_interface_ohm_cm2")]["recovered"] == pytest.approx(47, rel=0.05)
    assert rows[("Li-Li-heat-treated", "sigma_30C_mS_per_cm")]["recovered"] == pytest.approx(0.059, rel=0.05)
