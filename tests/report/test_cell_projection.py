"""Cell-level projection: separator ASR, C-rate, 4C thickness and Fig. 17 energy density against closed forms."""
from __future__ import annotations

import math

import pytest

from sselab import design
from sselab.report.cell_projection import (
    AREAL_CAPACITY_MAH_CM2, THICKNESSES_M, VOLTAGE_BUDGET_V, plot_cell_projection, project_material,
)


class _Fit:
    """σ(T) constant in T (S/m) with a ±1 % 95 % band: enough to drive project_material."""

    t_quantile = 2.0

    def __init__(self, sigma):
        self.sigma = sigma

    def sigma_at(self, T_K, level=0.95):
        return self.sigma, self.sigma * math.exp(-0.02), self.sigma * math.exp(0.02)


Q = AREAL_CAPACITY_MAH_CM2 * 3.6 / 1e-4       # C/m²


def _fig17_wh_per_kg(t_m, rho):
    """Fig. 17 cell by hand: Al foil, NMC811 at 200 mAh/g and 90 wt %, separator, Li at 3500 mAh/g and the reading's
    N/P, Cu foil (foil thicknesses and N/P of the documented reading: Al 10 µm, Cu 10 µm, N/P 0.8 at the time of
    writing)."""
    from sselab.design.fig17 import FOILS, NP_DEFAULT

    al, cu = FOILS["standard"]
    m = (2700 * al + Q / (200 * 3.6e3) / 0.9 + rho * t_m + NP_DEFAULT * Q / (3500 * 3.6e3) + 8900 * cu)
    return Q * 3.75 / m / 3600


def test_projection_matches_closed_forms():
    sigma = 0.05                                 # S/m = 0.5 mS/cm
    rho = 1500.0
    p = project_material(design, "X", _Fit(sigma), rho, "given")
    for t, asr, c in zip(THICKNESSES_M, p.asr_ohm_cm2, p.max_c_rate):
        assert asr == pytest.approx(t / sigma * 1e4, rel=1e-12)
        assert c == pytest.approx(3600 * VOLTAGE_BUDGET_V / (Q * t / sigma), rel=1e-12)
    t4 = 3600 * sigma * VOLTAGE_BUDGET_V / (4 * Q)
    assert p.t_4C_m == pytest.approx(t4, rel=1e-12)               # 31.25 µm
    assert p.wh_per_kg_at_t_4C == pytest.approx(_fig17_wh_per_kg(t4, rho), rel=1e-9)
    for t, w in zip(THICKNESSES_M, p.wh_per_kg_at):
        assert w == pytest.approx(_fig17_wh_per_kg(t, rho), rel=1e-9)
    assert _fig17_wh_per_kg(p.t_350_m, rho) == pytest.approx(350, rel=1e-6)
    assert p.sigma_rel_se == pytest.approx(0.01)
    assert p.se(p.t_4C_m) == pytest.approx(0.01 * t4)
    # Wh/L: charged-state thickness with the plated Li (4.85 µm per mAh/cm²) — check against the model's own layers
    d = p.design_at_t_4C
    assert p.wh_per_L_at_t_4C == pytest.approx(Q * 3.75 / d.unit_thickness_m / 3.6e6, rel=1e-9)
    assert d.thickness_m["plated Li (charged state)"] == pytest.approx(4 * 4.85e-6, rel=0.01)


def test_unreachable_target_is_a_note_not_an_error(monkeypatch):
    import sselab.report.cell_projection as cp

    monkeypatch.setattr(cp, "TARGET_WH_PER_KG", 1000.0)          # above the cell's 430 Wh/kg at zero thickness
    p = project_material(design, "X", _Fit(0.05), 1500.0, "given")
    assert p.t_350_m is None and "unreachable" in p.t_350_note


def test_figure_two_panels():
    import matplotlib.pyplot as plt

    p = project_material(design, "X", _Fit(0.05), 1500.0)
    fig = plot_cell_projection([p], None)
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    plt.close(fig)


def test_projection_section_and_a_broken_design_module_fails_loudly(tmp_path, monkeypatch):
    """The projection takes the pellet density from the manifest; a design module that cannot be imported is a
    failure of the report (never a silently "skipped" section)."""
    import sys

    from conftest import write_blocking_spectra
    from sselab.report import build_report

    d = tmp_path / "data"
    write_blocking_spectra(d, (30, 45, 60))   # three temperatures: an Ea from two is not used for ranking or projection
    (d / "cells.yaml").write_text(
        "cells:\n  - name: P\n    material: test SSE\n    thickness: 1 mm\n    diameter: 10 mm\n"
        "    electrodes: Au|Au\n    pellet_mass: 150 mg\n    files: [p_30C.mpt, p_45C.mpt, p_60C.mpt]\n",
        encoding="utf-8")
    rep = build_report(d, tmp_path / "with", figures=False)
    sec = next(s for s in rep.sections if s.kind == "design")
    assert sec.status == "ok" and any("pellet density of P" in n for n in sec.notes)
    rho = 150e-6 / (1e-3 * 3.141592653589793 * 0.005 ** 2)
    assert sec.data["materials"]["test SSE"]["density_kg_per_m3"] == pytest.approx(rho)
    monkeypatch.setitem(sys.modules, "sselab.design", None)          # import now fails
    with pytest.raises(ImportError):
        build_report(d, tmp_path / "without", figures=False)
    assert not (tmp_path / "without" / "report.html").exists()
