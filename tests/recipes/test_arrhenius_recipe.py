"""Arrhenius recipe guardrails (issue 13): < 3 temperatures or Ea ≤ 0 → reported but not ranked, with a warning;
< 2 usable points → no Ea, the reason first; points whose resistance leaves out the intercept an above-band arc
merged into are excluded (a warning each) unless ``keep``.  Truth: σT-Arrhenius simulations with known Ea."""
from __future__ import annotations

import pytest

from sselab import recipes
from sselab.cell import CellSpec
from sselab.io import read
from sselab.simulate import ArrheniusLaw, eis_blocking


def _series(tmp_path, temps_C, Ea=0.44, s30=0.10, L=0.95e-3, tag="hp", R0=0.02):
    law = ArrheniusLaw(s30, Ea)
    out = []
    for tc in temps_C:
        sim = eis_blocking(tc + 273.15, thickness_m=L, bulk=law.scaled(1.5), gb=law.scaled(3.0), R0=R0, rng=tc)
        p = tmp_path / f"{tag}_{tc}C.z"
        sim.write(p)
        out.append(read(p))
    return out


CELL = CellSpec.from_strings("HP", thickness="0.95 mm", diameter="10 mm", material="hot pressed")
RUN = recipes.get("eis.arrhenius").run


@pytest.fixture(scope="module")
def hot(tmp_path_factory):
    return _series(tmp_path_factory.mktemp("hot"), (30, 50, 70, 90, 110))


def test_hot_pressed_series_recovers_the_papers_activation_energy(hot):
    res = RUN(hot, CELL)
    assert res.ok and res.get("rankable") is True
    assert res.get("Ea_eV") == pytest.approx(0.44, abs=0.01)
    assert res.get("sigma_30C_S_per_m") == pytest.approx(0.10, rel=0.03)
    assert res.get("n_points") == 5 and res.get("n_excluded") == 0
    lo, hi = res["Ea_eV"].ci95
    assert lo < res.get("Ea_eV") < hi


def test_forcing_the_arc_alone_excludes_the_points_where_it_left_the_band(hot):
    res = RUN(hot, CELL, circuit="R0-p(R1,CPE1)-CPE2", resistance="R1")
    pts = res.table("points").to_frame()
    n_ex = res.get("n_excluded")
    assert n_ex >= 1 and len(res.flagged("point-excluded")) == n_ex      # a warning per affected point
    assert (~pts["used"]).sum() == n_ex and all(pts.loc[~pts["used"], "note"].str.startswith("excluded"))
    assert set(f.where for f in res.flagged("point-excluded")) == set(pts.loc[~pts["used"], "spectrum"])
    kept = RUN(hot, CELL, circuit="R0-p(R1,CPE1)-CPE2", resistance="R1", keep=True)
    assert kept.get("n_excluded") == 0 and len(kept.flagged("unreliable-point-kept")) == n_ex


def test_all_points_excluded_refuses_with_the_reason_first(tmp_path):
    res = RUN(_series(tmp_path, (70, 90, 110)), CELL, circuit="R0-p(R1,CPE1)-CPE2", resistance="R1")
    assert not res.ok and res.flags[0].code == "no-ea"
    assert "unreliable" in res.flags[0].message or "above the measured band" in res.flags[0].message
    assert str(res).splitlines()[1].strip().startswith("error: Ea not computed")
    assert len(res.flagged("point-excluded")) == 3
    assert "Ea_eV" not in res and res.get("rankable") is False


def test_two_temperatures_are_reported_but_not_ranked(tmp_path):
    res = RUN(_series(tmp_path, (30, 60)), CELL)
    assert "Ea_eV" in res and res.get("rankable") is False
    assert res.flags[0].code == "too-few-temperatures" and res.flags[0].severity == "warning"


def test_one_temperature_is_no_ea(tmp_path):
    res = RUN(_series(tmp_path, (30,)), CELL)
    assert res.flags[0].code == "no-ea" and "at least 2 distinct temperatures" in res.flags[0].message


def test_non_positive_activation_energy_is_not_ranked(tmp_path):
    """σ falling with temperature (a negative Ea, e.g. a decomposing pellet): reported, not ranked."""
    res = RUN(_series(tmp_path, (30, 50, 70), Ea=-0.2), CELL)
    assert res.get("Ea_eV") < 0 and res.get("rankable") is False
    assert res.flags[0].code == "non-positive-ea"


def test_unranked_material_is_not_placed_in_the_knowledge_base(tmp_path):
    """The report's knowledge-base section says why instead of ranking a two-temperature Ea."""
    from sselab.report import build_report

    d = tmp_path / "data"
    d.mkdir()
    _series(d, (30, 60), tag="p")
    (d / "cells.yaml").write_text("cells:\n  - name: P\n    material: two-point SSE\n    thickness: 0.95 mm\n"
                                  "    diameter: 10 mm\n    electrodes: Au|Au\n    files: [p_30C.z, p_60C.z]\n",
                                  encoding="utf-8")
    rep = build_report(d, tmp_path / "out", figures=False)
    sec = next(s for s in rep.sections if s.kind == "materials")
    assert any("not ranked" in n for n in sec.notes)
    assert not [n for n in sec.numbers if n.quantity == "kb_rank"]
    assert not [s for s in rep.sections if s.kind == "design"]       # nor projected to cell level
