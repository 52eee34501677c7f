"""Impedance recipes against simulations with known inputs: the number of arcs chosen from the data, the evidence
carried, intercept-aware resistances, and the guardrails of issue 13 (bulk/grain-boundary labels only with a
geometry; a resistance that leaves out the intercept an above-band arc merged into is flagged first)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sselab import recipes
from sselab.cell import CellSpec
from sselab.eis import Circuit
from sselab.io import read
from sselab.recipes.evidence import fit_evidence, runs_z
from sselab.simulate import ArrheniusLaw, eis_blocking, eis_symmetric

D = 10e-3
A = math.pi * (D / 2) ** 2


def _cell(L_mm, electrodes="Au|Au", **kw):
    return CellSpec.from_strings("P", thickness=f"{L_mm} mm", diameter="10 mm", electrodes=electrodes, **kw)


def _codes(res):
    return [f.code for f in res.flags]


def _write(sim, path):
    sim.write(path)
    return read(path)


@pytest.fixture(scope="module")
def cold_two_arcs(tmp_path_factory):
    """A cold-pressed-like pellet at 30 °C: bulk (σ 0.081 mS/cm) and grain boundary (0.162 mS/cm) both in the band,
    total 0.054 mS/cm (Li2NH paper, Fig. 1f)."""
    law = ArrheniusLaw(0.0054, 0.50)
    sim = eis_blocking(303.15, thickness_m=1.1e-3, diameter_m=D, bulk=law.scaled(1.5), gb=law.scaled(3.0), R0=0.02,
                       rng=3)
    return _write(sim, tmp_path_factory.mktemp("eis") / "cold_30C.mpt"), sim.truth


def test_two_resolved_arcs_are_chosen_and_labelled_with_geometry(cold_two_arcs):
    m, truth = cold_two_arcs
    res = recipes.get("eis.blocking").run([m], _cell(1.1))
    assert res.get("n_electrolyte_arcs") == 2
    G = 1.1e-3 / A
    assert res.get("sigma_S_per_m") == pytest.approx(0.0054, rel=0.01)                 # total, σ = L/(A·R)
    assert res.get("sigma_bulk_S_per_m") == pytest.approx(0.0081, rel=0.05)
    assert res.get("sigma_gb_S_per_m") == pytest.approx(0.0162, rel=0.08)
    assert res.get("R_electrolyte_ohm") == pytest.approx(G / 0.0054, rel=0.01)
    arcs = res.table("arcs").to_frame()
    assert list(arcs["assignment"]) == ["bulk", "grain boundary"]
    models = res.table("models").to_frame()
    chosen = models[models["chosen"]]
    assert len(chosen) == 1 and chosen["delta_bic"].iloc[0] == 0          # the lowest BIC, and it is admissible
    assert chosen["admissible"].iloc[0] == "admissible" and len(models) == 3   # 0, 1 and 2 electrolyte arcs
    # every spectrum carries its evidence: χ²red, BIC of every candidate, residual runs test
    assert res.get("chi2_reduced") < 1e-3 and np.isfinite(models["bic"].astype(float)).all()


def test_no_geometry_no_bulk_or_grain_boundary_labels(cold_two_arcs):
    m, _ = cold_two_arcs
    res = recipes.get("eis.blocking").run([m])                 # no cell: resistances only
    assert "sigma_S_per_m" not in res and "sigma_bulk_S_per_m" not in res and "sigma_gb_S_per_m" not in res
    assert set(res.table("arcs").to_frame()["assignment"]) == {"—"}
    assert "no-geometry" in _codes(res)


def test_same_spectrum_alone_or_in_a_batch_gives_identical_results(tmp_path):
    law = ArrheniusLaw(0.0054, 0.50)
    ms = [_write(eis_blocking(T, thickness_m=1.1e-3, bulk=law.scaled(1.5), gb=law.scaled(3.0), rng=int(T)),
                 tmp_path / f"p_{int(T - 273.15)}C.mpt") for T in (303.15, 343.15, 383.15)]
    cell = _cell(1.1)
    batch = recipes.eis.per_spectrum(ms, cell)
    alone = [recipes.get("eis.blocking").run([m], cell) for m in ms]
    assert [b.to_json() for b in batch] == [a.to_json() for a in alone]


@pytest.fixture(scope="module")
def lili(tmp_path_factory):
    """Li|Li2NH|Li at 30 °C before and after the heat treatment: 3308 and 47 Ω cm² per interface (Fig. 1g)."""
    law = ArrheniusLaw(0.0059, 0.50)
    d = tmp_path_factory.mktemp("lili")
    out = {}
    for key, asr in (("pristine", 3308.0), ("heat-treated", 47.0)):
        sim = eis_symmetric(303.15, thickness_m=1.1e-3, diameter_m=D, bulk=law.scaled(1.5), gb=law.scaled(3.0),
                            asr_interface_ohm_m2=asr * 1e-4, rng=11)
        out[key] = (_write(sim, d / f"lili_{key}_30C.mpt"), asr)
    return out


@pytest.mark.parametrize("key", ["pristine", "heat-treated"])
def test_li_li_interface_asr_per_interface(lili, key):
    m, asr = lili[key]
    res = recipes.get("eis.symmetric").run([m], _cell(1.1, "Li|Li"))
    assert res.get("asr_interface_ohm_m2") * 1e4 == pytest.approx(asr, rel=0.10)
    assert res.get("sigma_S_per_m") == pytest.approx(0.0059, rel=0.03)
    arcs = {r[0]: r[-1] for r in res.table("arcs").rows}
    assert arcs[res["R_interface_ohm"].label.split("(")[1].rstrip(")")] == "electrode"


def test_a_forced_two_arc_circuit_on_the_heat_treated_cell_is_flagged(lili):
    """The old default for Li cells (two arcs, the last one the interface) gave ~550 Ω cm² for 47: the interface
    arc then has a bulk-like capacitance, which the result says before the number."""
    m, asr = lili["heat-treated"]
    res = recipes.get("eis.symmetric").run([m], _cell(1.1, "Li|Li"), circuit="R0-p(R1,CPE1)-p(R2,CPE2)")
    (imp,) = res.flagged("implausible-model")
    assert "bulk capacitance, not an interface" in imp.message and imp.severity == "warning"
    assert res.flagged("residual-structure")                  # the residuals say a feature is missing
    assert res.get("asr_interface_ohm_m2") * 1e4 > 5 * asr     # the number those warnings qualify
    models = recipes.get("eis.symmetric").run([m], _cell(1.1, "Li|Li")).table("models").to_frame()
    one_arc = models[models["model"] == "1 electrolyte arc + 1 interface arc"]
    assert one_arc["admissible"].iloc[0] != "admissible"          # the data-driven choice rejected that model


@pytest.fixture(scope="module")
def hot(tmp_path_factory):
    """A hot-pressed-like pellet at 110 °C: the whole electrolyte arc lies above the 13 MHz band."""
    law = ArrheniusLaw(0.10, 0.44)
    sim = eis_blocking(383.15, thickness_m=0.95e-3, diameter_m=D, bulk=law.scaled(1.5), gb=law.scaled(3.0), R0=0.02,
                       rng=5)
    return _write(sim, tmp_path_factory.mktemp("hot") / "hot_110C.z")


def test_hot_pellet_intercept_aware_by_default(hot):
    res = recipes.get("eis.blocking").run([hot], _cell(0.95))
    sigma_true = ArrheniusLaw(0.10, 0.44).sigma(383.15)
    assert res.get("sigma_S_per_m") == pytest.approx(sigma_true, rel=0.02)
    assert "R0" in res["R_electrolyte_ohm"].label
    assert "resistance-misses-intercept" not in _codes(res)


def test_forcing_the_arc_alone_on_a_hot_pellet_is_flagged_before_the_number(hot):
    res = recipes.get("eis.blocking").run([hot], _cell(0.95), circuit="R0-p(R1,CPE1)-CPE2", resistance="R1")
    assert "resistance-misses-intercept" in _codes(res)
    text = str(res).splitlines()
    warn = next(i for i, ln in enumerate(text) if "merged into the series intercept" in ln)
    number = next(i for i, ln in enumerate(text) if ln.strip().startswith("R electrolyte"))
    assert warn < number                                     # the caveat comes before the number
    assert res.details.unreliable


def test_arcs_inside_the_band_leave_the_leads_out(tmp_path):
    """All electrolyte arcs in the band: R electrolyte = the arcs; the series R0 (10 Ω of leads) is left out."""
    f = np.logspace(np.log10(13e6), np.log10(5), 60)
    c = Circuit("R0-p(R1,CPE1)-CPE2")
    z = c.impedance(f, dict(R0=10.0, R1=5e4, CPE1_Q=3e-11, CPE1_alpha=0.92, CPE2_Q=1e-6, CPE2_alpha=0.85))
    p = tmp_path / "leads.csv"
    np.savetxt(p, np.column_stack([f, z.real, z.imag]), delimiter=",", header="freq_Hz,z_real_ohm,z_imag_ohm",
               comments="")
    res = recipes.get("eis.blocking").run([read(p)], _cell(1.0))
    assert res.get("R_electrolyte_ohm") == pytest.approx(5e4, rel=1e-3)
    assert "series-resistance-apart" in _codes(res)


def test_bulk_arc_above_the_band_keeps_the_intercept_in_the_electrolyte(tmp_path):
    """Li|Li after cycling (imide paper Fig. 3f, 2 days): a conductive pellet whose bulk arc (apex ~40 MHz) lies
    above the 10 MHz band, a grain-boundary arc (C·L/A ~ 1e-10 F/cm) and the interface arc inside it.  The
    intercept R0 then holds the bulk resistance: electrolyte = R0 + R_gb, not R_gb alone (4.5× too high a σ)."""
    L, R_b, R_gb, R_int = 1.1e-3, 300.0, 84.0, 67.0
    f = np.logspace(7, -1, 70)
    c = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)")
    # the bulk arc (apex far above 10 MHz) is a plain resistance in the band: R0 = 2 Ω leads + R_b; grain boundary
    # C = 5e-10 F (C·L/A = 7e-11 F/cm, apex 3.8 MHz); interface C ~ 1e-6 F (apex ~2 kHz)
    pars = dict(R0=2.0 + R_b, R1=R_gb, CPE1_Q=5e-10, CPE1_alpha=1.0, R2=R_int, CPE2_Q=1e-6, CPE2_alpha=0.9)
    z = c.impedance(f, pars)
    p = tmp_path / "lili_2d_40C.csv"
    np.savetxt(p, np.column_stack([f, z.real, z.imag]), delimiter=",", header="freq_Hz,z_real_ohm,z_imag_ohm",
               comments="")
    res = recipes.get("eis.symmetric").run([read(p)], _cell(1.1, "Li|Li"))
    assert res.get("R_electrolyte_ohm") == pytest.approx(2.0 + R_b + R_gb, rel=0.03)
    assert res.get("sigma_S_per_m") == pytest.approx(L / ((2.0 + R_b + R_gb) * A), rel=0.03)
    assert res.get("asr_interface_ohm_m2") == pytest.approx(R_int * A / 2, rel=0.10)
    assert "bulk-in-intercept" in _codes(res) and "series-resistance-apart" not in _codes(res)


def test_evidence_helper_closed_forms():
    # alternating signs: the most runs possible (z > 0); two blocks: the fewest (z ≪ 0)
    assert runs_z([1, -1] * 10) > 3
    assert runs_z([1] * 10 + [-1] * 10) < -3
    assert runs_z([1, 1, 1]) is None and runs_z([1] * 8) is None
    # Wald–Wolfowitz by hand for n+ = n- = 5 with 2 runs: μ = 6, σ² = 2·25·(50−10)/(100·9) = 20/9
    assert runs_z([1] * 5 + [-1] * 5) == pytest.approx((2 - 6) / math.sqrt(20 / 9))
    from sselab.eis import fit

    f = np.logspace(6, 0, 40)
    z = Circuit("R0-p(R1,C1)").impedance(f, [10.0, 1e3, 1e-8])
    rng = np.random.default_rng(0)
    z = z * (1 + 0.002 * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size)))
    fr = fit(f, z, "R0-p(R1,C1)")
    ev = fit_evidence(fr)
    n, k = 2 * f.size, 3
    assert ev.bic == pytest.approx(n * math.log(fr.chi2 / n) + k * math.log(n))
    assert ev.aic == pytest.approx(n * math.log(fr.chi2 / n) + 2 * k)
    assert ev.residual_pattern == "random" and ev.arcs[0].in_band and ev.arcs[0].assignment is None
    assert ev.arcs[0].apex_Hz == pytest.approx(1 / (2 * math.pi * 1e3 * 1e-8), rel=0.01)


def test_result_json_round_trip_keeps_units_in_keys(cold_two_arcs):
    m, _ = cold_two_arcs
    res = recipes.get("eis.blocking").run([m], _cell(1.1))
    back = recipes.RecipeResult.from_json(res.to_json())
    assert back.values == res.values and back.flags == res.flags
    for v in json.loads(res.to_json())["values"]:
        if v["unit"] and isinstance(v["value"], float):
            assert v["key"].endswith(("_ohm", "_S_per_m", "_K", "_ohm_m2")), v["key"]
