"""`sselab dcpol` and `sselab cv`: JSON output against simulated files with known answers, figures, one-line
errors, and the real CA / CV / LSV files under ../shared."""
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import shared_path
from sselab.cli import app

runner = CliRunner()
A_M2 = math.pi * (5e-3) ** 2          # 10 mm diameter
L_M = 1.2e-3


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def ca_csv(tmp_path_factory):
    """5 h hold at 0.5 V: plateau from σe = 1.2 nS/cm (L = 1.2 mm, d = 10 mm), 0.5 µA spike, τ = 4.48 s."""
    rng = np.random.default_rng(0)
    i_f = 1.2e-7 * 0.5 * A_M2 / L_M
    t = np.concatenate([np.arange(0, 60, 0.1), np.arange(60, 5 * 3600 + 1, 5.0)])
    i = i_f + 0.5e-6 * np.exp(-t / 4.48) + rng.normal(0, 0.05e-9, t.size)
    p = tmp_path_factory.mktemp("dcpol") / "hold.csv"
    pd.DataFrame({"time_s": t, "potential_V": 0.5, "current_A": i}).to_csv(p, index=False)
    return p, i_f


@pytest.fixture(scope="module")
def cv_csv(tmp_path_factory):
    from test_voltammetry import _paper_like_cv

    excess = 2e-4
    t, e, i, qp, qs = _paper_like_cv(noise_V=0.002, plate_excess=excess, decomposition="both", n_cycles=8)
    p = tmp_path_factory.mktemp("cv") / "li_steel.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": i}).to_csv(p, index=False)
    return p, qp, qs


def test_dcpol_json(ca_csv):
    path, i_f = ca_csv
    r = _run("dcpol", path, "--voltage", "0.5V", "--thickness", "1.2mm", "--diameter", "10mm", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    res = doc["result"]
    assert res["sigma_e_S_per_cm"] == pytest.approx(1.2e-9, rel=0.01)
    assert res["i_final_A"] == pytest.approx(i_f, rel=0.01)
    assert res["t_i"] == pytest.approx(1 - i_f / (i_f + 0.5e-6), abs=1e-4)
    assert res["fit"]["n_exp"] == 1
    assert abs(res["fit"]["tau_s"][0] - 4.48) < 4 * res["fit"]["tau_se_s"][0]
    assert res["window_s"] == 1800.0


def test_dcpol_table_window_and_figures(ca_csv, tmp_path):
    path, _ = ca_csv
    r = _run("dcpol", path, "--voltage", "0.5", "--thickness", "1.2mm", "--area", "0.7854cm2", "--window", "10min",
             "--initial", "fit", "--out", tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "σe" in r.stdout and "nS/cm" in r.stdout and "τ1" in r.stdout
    assert (tmp_path / "dcpol_hold.png").exists() and (tmp_path / "dcpol_hold.svg").exists()


@pytest.mark.parametrize("args,needle", [
    (["--voltage", "0.5 mm"], "potential"),
    (["--voltage", "0.5V", "--electrodes", "copper"], "electrodes"),
    (["--voltage", "0.5V", "--r0", "100 Ohm", "--rss", "120 Ohm"], "--electrodes li"),
    (["--voltage", "0.5V", "--window", "10h"], "longer than the record"),
])
def test_dcpol_user_errors_are_one_line(ca_csv, args, needle):
    path, _ = ca_csv
    r = _run("dcpol", path, *args)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert needle in r.stderr and r.stderr.strip().count("\n") == 0


def test_dcpol_missing_file():
    r = _run("dcpol", "/nonexistent/hold.mpt", "--voltage", "0.5V")
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_cv_json(cv_csv):
    path, qp, qs = cv_csv
    r = _run("cv", path, "--pellet-mass", "150mg", "--formula", "Li2NH", "--diameter", "10mm", "--json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["result"]
    assert res["n_cycles"] == 8
    np.testing.assert_allclose(res["q_plate_C"], qp, rtol=1e-3)
    np.testing.assert_allclose(res["q_strip_C"], qs, rtol=1e-3)
    n_li = 0.150 / 28.895 * 2
    assert res["imbalance_pct_of_pellet_Li"] == pytest.approx(100 * 8 * 2e-4 / 96485.33212 / n_li, rel=2e-3)
    assert res["ox_onset_V"] == pytest.approx(4.5 + 0.1 * math.log(0.1), abs=0.01)
    assert res["red_onset_V"] == pytest.approx(0.8 + 0.05 * math.sqrt(2 * math.log(10)), abs=0.01)
    assert res["strip_regimes"]["break_cycle"] == pytest.approx(7, abs=0.1)


def test_cv_threshold_window_and_figures(cv_csv, tmp_path):
    path, *_ = cv_csv
    r = _run("cv", path, "--area", "0.7854cm2", "--threshold", "100uA/cm2", "--window", "-0.5,0.5", "--out", tmp_path,
             "--reference", "Li/Li+")
    assert r.exit_code == 0, r.stderr
    assert "oxidative onset" in r.stdout and "Summary" in r.stdout
    for name in ("cv_li_steel", "cv_charge_li_steel"):
        assert (tmp_path / f"{name}.png").exists() and (tmp_path / f"{name}.svg").exists()
    table = pd.read_csv(tmp_path / "cv_charges_li_steel.csv")
    assert list(table["cycle"]) == list(range(1, 9))
    np.testing.assert_allclose(table["q_plate_C"] - table["q_strip_C"], 2e-4, rtol=1e-2)
    r = _run("cv", path, "--area", "0.7854cm2", "--threshold", "100", "--json")   # bare number: µA/cm²
    assert json.loads(r.stdout)["result"]["threshold_A_per_m2"] == pytest.approx(1.0)


@pytest.mark.parametrize("args,needle", [
    (["--window", "0.5"], "--window"),
    (["--window", "0.5,-0.5"], "upper bound"),
    (["--threshold", "10 mV"], "current density"),
    (["--pellet-mass", "150mg", "--formula", "Xx2NH"], "Xx"),
])
def test_cv_user_errors_are_one_line(cv_csv, args, needle):
    path, *_ = cv_csv
    r = _run("cv", path, *args)
    assert r.exit_code == 2, r.stdout
    assert needle in r.stderr and r.stderr.strip().count("\n") == 0


# -- real instrument files ------------------------------------------------------------------------------------

ECLAB = ("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab")


@pytest.mark.parametrize("name", ["ca.mpt", "ca.mpr"])
def test_dcpol_real_eclab_ca(name):
    p = shared_path(*ECLAB, name)
    r = _run("dcpol", p, "--voltage", "0.3V", "--thickness", "1mm", "--diameter", "12mm", "--json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["result"]
    # 12 h hold at 0.3 V (control/V = 0.300006), 60 s sampling: spike 18.6 µA on the first sample, ≈3.5 nA at the end
    assert res["i_initial_A"] == pytest.approx(1.8604e-5, rel=1e-4)
    assert 2e-9 < res["i_final_A"] < 5e-9
    assert res["t_i"] == pytest.approx(1 - res["i_final_A"] / res["i_initial_A"])


def test_dcpol_real_gamry_chronoa_short_record():
    p = shared_path("data", "instruments", "bcliang+gamry-parser", "tests", "chronoa_data.dta")
    r = _run("dcpol", p, "--voltage", "0.5V", "--window", "0.3s", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["technique"] == "CA"
    assert doc["result"]["sigma_e_S_per_cm"] is None          # no geometry given
    # row 0 is the pre-step rest (Vf = −0.54 mV, Sig = 0): It is row 1, Im = 1.40441E-008 A at T = 30 s
    assert doc["result"]["i_initial_A"] == pytest.approx(1.40441e-8, rel=1e-6)
    assert doc["result"]["t_step_s"] == pytest.approx(30.0)
    assert any("before the step" in w for w in doc["result"]["warnings"])


@pytest.mark.parametrize("parts", [
    ECLAB + ("cv.mpt",), ECLAB + ("cv.mpr",), ECLAB + ("cv.issue_149.mpt",), ECLAB + ("lsv.mpt",),
    ECLAB + ("lsv.mpr",), ECLAB + ("lsv.issue_195.mpr",),
    ("data", "instruments", "ixdat+ixdat", "test_data", "biologic", "Pt_poly_cv_CUT.mpt"),
    ("data", "instruments", "bcliang+gamry-parser", "tests", "cv_data.dta"),
])
def test_cv_real_files_run(parts, tmp_path):
    p = shared_path(*parts)
    figures = parts[-1] == "cv.mpt"          # figures for one file only (saving dominates the run time)
    r = _run("cv", p, "--area", "1cm2", "--json", *(["--out", tmp_path] if figures else []))
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["result"]
    assert res["n_cycles"] >= 1 and res["scan_range_V"][0] < res["scan_range_V"][1]
    if figures:
        assert (tmp_path / f"cv_{p.stem}.png").exists()


def test_cv_real_eclab_mpt_and_mpr_agree():
    """The same run saved as .mpt and .mpr gives the same analysis (2 cycles, 1.5–5.5 V at 0.1 mV/s)."""
    docs = []
    for name in ("cv.mpt", "cv.mpr"):
        r = _run("cv", shared_path(*ECLAB, name), "--area", "1cm2", "--window", "none", "--json")
        assert r.exit_code == 0, r.stderr
        docs.append(json.loads(r.stdout)["result"])
    a, b = docs
    assert a["n_cycles"] == b["n_cycles"] == 2 and a["instrument_cycles"] == 2
    assert a["scan_rate_V_per_s"] == pytest.approx(1e-4, rel=0.01)
    assert a["ox_onset_V"] == pytest.approx(b["ox_onset_V"], abs=1e-6)
    assert a["stability_window_V"] == pytest.approx(b["stability_window_V"], abs=1e-6)


# -- units and presentation -----------------------------------------------------------------------------------

def test_cv_table_in_areal_units_and_json_unit_keys(cv_csv):
    path, qp, qs = cv_csv
    r = _run("cv", path, "--diameter", "10mm")
    assert r.exit_code == 0, r.stderr
    # paper-like charges are 1–7 mC on 0.785 cm²: the table shows mC/cm² and mC
    assert "mC/cm²" in r.stdout and "plate mC" in r.stdout and "open lower edge" in r.stdout
    assert f"{qs[0] * 1e3 / (A_M2 * 1e4):.4g}" in r.stdout            # cycle 1 stripping, mC/cm²
    r = _run("cv", path, "--diameter", "10mm", "--json")
    res = json.loads(r.stdout)["result"]
    np.testing.assert_allclose(res["q_strip_C_per_m2"], np.asarray(res["q_strip_C"]) / A_M2)
    assert res["imbalance_C_per_m2"] == pytest.approx(res["imbalance_C"] / A_M2)
    assert set(res["plate_regimes"]) >= {"break_cycle", "slope_1_C_per_cycle", "slope_2_se_C_per_cycle"}
    r = _run("cv", path, "--json")                                      # no area: areal keys are null
    assert json.loads(r.stdout)["result"]["q_strip_C_per_m2"] is None


def test_cv_without_window_data_prints_no_charge_table(tmp_path):
    t = np.arange(0, 8000.0, 2.0)
    e = 3.0 + 1.5 * np.abs(((t / 2000.0) % 2) - 1)                       # 3 … 4.5 V triangle
    p = tmp_path / "high.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": 1e-9 * (e - 3)}).to_csv(p, index=False)
    figs = tmp_path / "figs"                     # (the input's own folder is refused as --out)
    r = _run("cv", p, "--area", "1cm2", "--out", figs)
    assert r.exit_code == 0, r.stderr
    assert "Stripping/plating charge" not in r.stdout and "no stripping/plating charge" in r.stderr
    assert not (figs / "cv_charge_high.png").exists() and (figs / "cv_high.png").exists()


def test_dcpol_table_units_and_bruce_vincent_with_errors(tmp_path):
    rng = np.random.default_rng(11)
    t = np.concatenate([np.arange(0, 60, 0.1), np.arange(60, 7200 + 1, 2.0)])
    dv, r0, rs, i0, iss = 0.010, 100.0, 120.0, 40e-6, 25e-6
    i = iss + (i0 - iss) * np.exp(-t / 300.0) + rng.normal(0, 1e-9, t.size)
    p = tmp_path / "lili.csv"
    pd.DataFrame({"time_s": t, "potential_V": dv, "current_A": i}).to_csv(p, index=False)
    args = ("dcpol", p, "--voltage", "10 mV", "--diameter", "10mm", "--electrodes", "li", "--r0", "100 ± 2 Ohm",
            "--rss", "120+-2.4")
    r = _run(*args, "--json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["result"]
    bv = res["bruce_vincent"]
    want = iss * (dv - i0 * r0) / (i0 * (dv - iss * rs))
    assert bv["t_plus"] == pytest.approx(want, rel=0.01)
    assert bv["r0_se_ohm"] == 2.0 and bv["rss_se_ohm"] == 2.4
    assert bv["t_plus_se"] == pytest.approx(want * math.hypot(i0 * 2 / (dv - i0 * r0), iss * 2.4 / (dv - iss * rs)),
                                            rel=0.02)
    assert res["j_final_A_per_m2"] == pytest.approx(res["i_final_A"] / A_M2)
    r = _run(*args)
    assert r.exit_code == 0, r.stderr
    for needle in ("µA/cm²", "t+ (Bruce–Vincent)", "±", "se(t+) from"):
        assert needle in r.stdout, needle
    assert " µA " in r.stdout or "µA  (" in r.stdout                    # currents in µA, not A
    bad = _run("dcpol", p, "--voltage", "10 mV", "--electrodes", "li", "--r0", "100 ± -2 Ohm", "--rss", "120")
    assert bad.exit_code == 2 and "--r0" in bad.stderr


@pytest.mark.parametrize("text,kind,default,want", [
    ("150 Ohm", "resistance", "Ohm", (150.0, None)),
    ("150 ± 3 Ohm", "resistance", "Ohm", (150.0, 3.0)),
    ("150+-3", "resistance", "Ohm", (150.0, 3.0)),
    ("1.5 kOhm +/- 30 Ohm", "resistance", "Ohm", (1500.0, 30.0)),
    ("10 ± 0.1 mV", "potential", "V", (0.010, 1e-4)),
])
def test_plus_minus_parsing(text, kind, default, want):
    from sselab.commands.dcpol import _parse_pm

    v, e = _parse_pm(text, kind, default, "--x")
    assert v == pytest.approx(want[0])
    assert e == (None if want[1] is None else pytest.approx(want[1]))
