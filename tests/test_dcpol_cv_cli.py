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


def val(res, key):
    """A value of a recipe result's JSON (SI, the unit in the key); KeyError when absent."""
    for v in res["values"]:
        if v["key"] == key:
            return v
    raise KeyError(key)


def table(res, name):
    t = next(t for t in res["tables"] if t["name"] == name)
    return {c: [r[i] for r in t["rows"]] for i, c in enumerate(t["columns"])}


def flags(res, code=None):
    return [f for f in res["flags"] if code is None or f["code"] == code]


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
    res = json.loads(r.stdout)
    assert val(res, "sigma_e_S_per_m")["value"] == pytest.approx(1.2e-7, rel=0.01)      # 1.2 nS/cm
    assert val(res, "i_final_A")["value"] == pytest.approx(i_f, rel=0.01)
    assert val(res, "t_ion")["value"] == pytest.approx(1 - i_f / (i_f + 0.5e-6), abs=1e-4)
    assert val(res, "n_exp")["value"] == 1
    tau = val(res, "tau_s")
    assert abs(tau["value"] - 4.48) < 4 * tau["stderr"]
    assert val(res, "window_s")["value"] == 1800.0
    assert res["options"]["voltage_source"] == "file" and not flags(res, "voltage-mismatch")


def test_dcpol_table_window_and_figures(ca_csv, tmp_path):
    path, _ = ca_csv
    r = _run("dcpol", path, "--voltage", "0.5", "--thickness", "1.2mm", "--area", "0.7854cm2", "--window", "10min",
             "--initial", "fit", "--n-exp", "2", "--out", tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "σe" in r.stdout and "nS/cm" in r.stdout and "τ1" in r.stdout
    assert (tmp_path / "dcpol-hold.png").exists() and (tmp_path / "dcpol-hold.svg").exists()


def test_dcpol_voltage_from_the_file_and_steady_state(ca_csv, tmp_path):
    """The file's potential is used; a --voltage more than 5 % off is a warning.  A record cut before the
    transient has died (τ comparable to the window) is flagged and its σe is an upper bound."""
    path, i_f = ca_csv
    r = _run("dcpol", path, "--voltage", "0.6V", "--thickness", "1.2mm", "--diameter", "10mm", "--json")
    res = json.loads(r.stdout)
    (w,) = flags(res, "voltage-mismatch")
    assert "0.6 V" in w["message"] and "0.5 V" in w["message"] and "file's value is used" in w["message"]
    assert val(res, "voltage_V")["value"] == pytest.approx(0.5)
    assert val(res, "sigma_e_S_per_m")["value"] == pytest.approx(1.2e-7, rel=0.01)      # with 0.5 V, not 0.6 V
    assert "warning:" in r.stderr and "differs from the applied potential" in r.stderr
    # a slow relaxation (τ = 600 s) held 1 h and averaged over the last 10 min is not at steady state
    t = np.arange(0, 3600, 1.0)
    i = 1e-9 + 1e-7 * np.exp(-t / 600.0)
    p = tmp_path / "slow.csv"
    pd.DataFrame({"time_s": t, "potential_V": 0.5, "current_A": i}).to_csv(p, index=False)
    res = json.loads(_run("dcpol", p, "--thickness", "1.2mm", "--diameter", "10mm", "--json").stdout)
    (w,) = flags(res, "not-steady-state")
    assert res["flags"][0]["code"] == "not-steady-state"        # first: it changes how σe must be read
    assert val(res, "sigma_e_S_per_m")["bound"] == "<=" and val(res, "t_ion")["bound"] == ">="
    assert val(res, "window_s")["value"] == pytest.approx(360.0, rel=1e-3)   # 10 % of a 1-h record
    assert flags(res, "window-shortened")


def test_dcpol_pair_states_the_change(tmp_path):
    """Before/after a CV (paper Fig. 2c,d: 0.45 → 54 nS/cm, τ 4.48 → 2.28 s): both analysed, the change stated."""
    from sselab.simulate import dc_polarization

    pre = dc_polarization(sigma_e_S_per_m=0.45e-7, tau_s=4.48, duration_s=3 * 3600, rng=1)
    post = dc_polarization(sigma_e_S_per_m=54e-7, tau_s=2.28, duration_s=3 * 3600, rng=2)
    a = pre.write(tmp_path / "cell_pre-CV.mpt")
    b = post.write(tmp_path / "cell_post-CV.mpt")
    L, d = pre.truth.get("thickness_m", 1e-3), pre.truth.get("diameter_m", 10e-3)
    r = _run("dcpol", b, "--pair", a, "--thickness", f"{L * 1e3}mm", "--diameter", f"{d * 1e3}mm", "--json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["recipe"] == "dcpol.pair"
    assert val(res, "sigma_e_pre_S_per_m")["value"] == pytest.approx(0.45e-7, rel=0.03)
    assert val(res, "sigma_e_post_S_per_m")["value"] == pytest.approx(54e-7, rel=0.03)
    assert val(res, "sigma_e_ratio_post_to_pre")["value"] == pytest.approx(120, rel=0.05)
    assert val(res, "tau_pre_s")["value"] == pytest.approx(4.48, rel=0.03)
    assert val(res, "tau_post_s")["value"] == pytest.approx(2.28, rel=0.03)
    (change,) = flags(res, "change")
    assert "rose" in change["message"] and "fell from 4.48 to 2.28 s" in change["message"]
    assert "file names" in flags(res, "pair-order")[0]["message"]


@pytest.mark.parametrize("args,needle", [
    (["--voltage", "0.5 mm"], "potential"),
    (["--voltage", "0.5V", "--electrodes", "copper"], "electrodes"),
    (["--voltage", "0.5V", "--r0", "100 Ohm", "--rss", "120 Ohm"], "--electrodes li"),
    (["--voltage", "0.5V", "--window", "10h"], "longer than the record"),
    (["--electrodes", "Li|TiS2"], "not a full cell"),
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
    res = json.loads(r.stdout)
    assert val(res, "n_cycles")["value"] == 8
    cyc = table(res, "cycles")
    np.testing.assert_allclose(cyc["q_plate_C"], qp, rtol=1e-3)
    np.testing.assert_allclose(cyc["q_strip_C"], qs, rtol=1e-3)
    n_li = 0.150 / 28.895 * 2
    assert val(res, "imbalance_pct_of_pellet_Li")["value"] == pytest.approx(100 * 8 * 2e-4 / 96485.33212 / n_li,
                                                                            rel=2e-3)
    assert val(res, "ox_onset_V")["value"] == pytest.approx(4.5 + 0.1 * math.log(0.1), abs=0.01)
    assert val(res, "red_onset_V")["value"] == pytest.approx(0.8 + 0.05 * math.sqrt(2 * math.log(10)), abs=0.01)
    assert val(res, "strip_break_cycle")["value"] == pytest.approx(7, abs=0.1)


def test_cv_threshold_window_and_figures(cv_csv, tmp_path):
    path, *_ = cv_csv
    r = _run("cv", path, "--area", "0.7854cm2", "--threshold", "100uA/cm2", "--window", "-0.5,0.5", "--out", tmp_path,
             "--reference", "Li/Li+")
    assert r.exit_code == 0, r.stderr
    assert "oxidative onset" in r.stdout and "stability window" in r.stdout
    for name in ("cv-li-steel", "cv-charge-li-steel"):
        assert (tmp_path / f"{name}.png").exists() and (tmp_path / f"{name}.svg").exists()
    t = pd.read_csv(tmp_path / "li_steel_cycles.csv")
    assert list(t["cycle"]) == list(range(1, 9))
    np.testing.assert_allclose(t["q_plate_C"] - t["q_strip_C"], 2e-4, rtol=1e-2)
    r = _run("cv", path, "--area", "0.7854cm2", "--threshold", "100", "--json")   # bare number: µA/cm²
    assert json.loads(r.stdout)["options"]["threshold_A_per_m2"] == pytest.approx(1.0)


def test_cv_onset_at_the_window_edge_is_not_an_onset_and_a_negative_scan_limit_is_not_scored(tmp_path):
    """A stripping current still above the threshold where the onset search begins (0.5 V) is not a decomposition
    onset; a scan below 0 V vs Li leaves the reductive limit unmeasured (Li plating there)."""
    t = np.arange(0, 4 * 5.5 / 1e-3, 0.5)                          # −0.5 … 5 V at 1 mV/s, two cycles
    period = 2 * 5.5
    ph = (t * 1e-3) % period
    e = np.where(ph < 5.5, -0.5 + ph, 5.0 - (ph - 5.5))
    area = 0.785398e-4
    # Li stripping/plating around 0 V with a tail above 0.5 V (decaying by 0.62 V), no decomposition at all
    j = 2.0 * np.tanh(e / 0.05) * np.exp(-np.clip(e - 0.45, 0, None) / 0.05)     # A/m², > 0.1 A/m² up to 0.6 V
    p = tmp_path / "edge.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": j * area}).to_csv(p, index=False)
    res = json.loads(_run("cv", p, "--diameter", "10mm", "--json").stdout)
    with pytest.raises(KeyError):
        val(res, "ox_onset_V")
    assert val(res, "window_upper_V")["bound"] == ">=" and val(res, "window_upper_V")["value"] == pytest.approx(5.0,
                                                                                                          abs=0.01)
    assert flags(res, "onset-at-window-edge")
    assert flags(res, "reduction-limit-not-measured")
    with pytest.raises(KeyError):
        val(res, "window_lower_V")


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
    res = json.loads(r.stdout)
    # 12 h hold at 0.3 V (control/V = 0.300006), 60 s sampling: spike 18.6 µA on the first sample, ≈3.5 nA at the end
    i0, i_f = val(res, "i_initial_A")["value"], val(res, "i_final_A")["value"]
    assert i0 == pytest.approx(1.8604e-5, rel=1e-4)
    assert 2e-9 < i_f < 5e-9
    assert val(res, "t_ion")["value"] == pytest.approx(1 - i_f / i0)
    assert val(res, "voltage_V")["value"] == pytest.approx(0.3, rel=0.05) and not flags(res, "voltage-mismatch")


def test_dcpol_real_gamry_chronoa_short_record():
    p = shared_path("data", "instruments", "bcliang+gamry-parser", "tests", "chronoa_data.dta")
    r = _run("dcpol", p, "--voltage", "0.5V", "--window", "0.3s", "--json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)
    with pytest.raises(KeyError):
        val(res, "sigma_e_S_per_m")                             # no geometry given
    assert flags(res, "no-geometry")
    # row 0 is the pre-step rest (Vf = −0.54 mV, Sig = 0): It is row 1, Im = 1.40441E-008 A at T = 30 s
    assert val(res, "i_initial_A")["value"] == pytest.approx(1.40441e-8, rel=1e-6)
    assert val(res, "t_step_s")["value"] == pytest.approx(30.0)
    assert any("before the step" in f["message"] for f in res["flags"])


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
    res = json.loads(r.stdout)
    assert val(res, "n_cycles")["value"] >= 1 and val(res, "scan_min_V")["value"] < val(res, "scan_max_V")["value"]
    if figures:
        assert (tmp_path / f"cv-{p.stem.lower()}.png").exists()


def test_cv_real_eclab_mpt_and_mpr_agree():
    """The same run saved as .mpt and .mpr gives the same analysis (2 cycles, 1.5–5.5 V at 0.1 mV/s)."""
    docs = []
    for name in ("cv.mpt", "cv.mpr"):
        r = _run("cv", shared_path(*ECLAB, name), "--area", "1cm2", "--window", "none", "--json")
        assert r.exit_code == 0, r.stderr
        docs.append(json.loads(r.stdout))
    a, b = docs
    assert val(a, "n_cycles")["value"] == val(b, "n_cycles")["value"] == 2
    assert val(a, "scan_rate_V_per_s")["value"] == pytest.approx(1e-4, rel=0.01)
    for key in ("window_upper_V", "scan_min_V", "scan_max_V"):
        assert val(a, key)["value"] == pytest.approx(val(b, key)["value"], abs=1e-6), key
    assert [f["code"] for f in a["flags"]] == [f["code"] for f in b["flags"]]


# -- units and presentation -----------------------------------------------------------------------------------

def test_cv_table_and_json_unit_keys(cv_csv):
    path, qp, qs = cv_csv
    r = runner.invoke(app, ["cv", str(path), "--diameter", "10mm"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.stderr
    assert "q_plate_C" in r.stdout and "Σ plating charge" in r.stdout and " C" in r.stdout
    assert f"{qs[0]:.4g}" in r.stdout                                   # cycle 1 stripping charge, C
    res = json.loads(_run("cv", path, "--diameter", "10mm", "--json").stdout)
    for v in res["values"]:                                              # every key carries its unit
        assert v["unit"] in ("", "V", "V/s", "C", "mol", "%"), v
        if v["unit"] in ("V", "C", "mol"):
            assert v["key"].endswith("_" + v["unit"]) or f"_{v['unit']}_" in v["key"], v["key"]
    assert res["options"]["area_m2"] == pytest.approx(A_M2)


def test_cv_without_window_data_prints_no_charge_table(tmp_path):
    t = np.arange(0, 8000.0, 2.0)
    e = 3.0 + 1.5 * np.abs(((t / 2000.0) % 2) - 1)                       # 3 … 4.5 V triangle
    p = tmp_path / "high.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": 1e-9 * (e - 3)}).to_csv(p, index=False)
    figs = tmp_path / "figs"                     # (the input's own folder is refused as --out)
    r = _run("cv", p, "--area", "1cm2", "--out", figs)
    assert r.exit_code == 0, r.stderr
    assert "Σ plating charge" not in r.stdout and "no current inside the stripping/plating window" in r.stderr
    assert not (figs / "cv-charge-high.png").exists() and (figs / "cv-high.png").exists()


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
    res = json.loads(r.stdout)
    tp = val(res, "t_plus")
    want = iss * (dv - i0 * r0) / (i0 * (dv - iss * rs))
    assert tp["value"] == pytest.approx(want, rel=0.01)
    assert res["options"]["r0_ohm"] == 100.0 and res["options"]["rss_ohm"] == 120.0
    assert tp["stderr"] == pytest.approx(want * math.hypot(i0 * 2 / (dv - i0 * r0), iss * 2.4 / (dv - iss * rs)),
                                         rel=0.02)
    r = _run(*args)
    assert r.exit_code == 0, r.stderr
    for needle in ("t+ (Bruce–Vincent)", "±"):
        assert needle in r.stdout, needle
    assert " µA" in r.stdout                                             # currents in µA, not A
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
