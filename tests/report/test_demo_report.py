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
    ds, doc, _ = small_demo
    rows = _rows(doc)
    truth = json.loads(ds.truth.read_text())["cells"]
    assert rows[("Li-TiS2", "first_discharge_mAh_per_g")]["recovered"] == pytest.approx(126.0, rel=0.01)
    assert rows[("Li-TiS2", "last_discharge_mAh_per_g")]["recovered"] == pytest.approx(
        truth["Li-TiS2"]["last_discharge_mAh_per_g"], rel=0.01)
    assert rows[("Li-Li-ladder", "short_cycle")]["recovered"] == truth["Li-Li-ladder"]["short_cycle"]
    assert rows[("Li-Li-ladder", "short_kind")]["recovered"] == "hard"


def test_cv_recovers_imbalance_and_regimes(small_demo):
    rows = _rows(small_demo[1])
    assert rows[("Li-steel-CV", "imbalance_pct_of_pellet_Li")]["recovered"] == pytest.approx(5.2, rel=0.1)
    assert rows[("Li-steel-CV", "break_cycle")]["recovered"] == pytest.approx(7, abs=1)
    assert rows[("Li-steel-CV", "n_cycles")]["recovered"] == 16


def test_every_truth_value_agrees(small_demo):
    doc = small_demo[1]
    bad = [r for r in doc["truth_comparison"] if r["recovered"] is not None and not r["agrees"]]
    assert not bad, bad


def test_symmetric_eis_recovers_interface_asr(small_demo):
    rows = _rows(small_demo[1])
    assert rows[("Li-Li-EIS-pristine", "asr_interface_ohm_cm2")]["recovered"] == pytest.approx(3308, rel=0.03)
    assert rows[("Li-Li-EIS-heat-treated", "asr_interface_ohm_cm2")]["recovered"] == pytest.approx(47, rel=0.05)
    assert rows[("Li-Li-EIS-heat-treated", "sigma_30C_mS_per_cm")]["recovered"] == pytest.approx(0.059, rel=0.03)
