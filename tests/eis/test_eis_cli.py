"""`sselab eis fit` / `sselab eis kk` through typer's CliRunner on generic CSV files."""
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sselab.cli import app
from sselab.eis import Circuit

runner = CliRunner()
F = np.logspace(np.log10(13e6), np.log10(5), 60)


def write_csv(path, circuit, params, f=F, seed=0, noise=0.003):
    rng = np.random.default_rng(seed)
    z = Circuit(circuit).impedance(f, params)
    z = z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    np.savetxt(path, np.column_stack([f, z.real, z.imag]), delimiter=",",
               header="freq_Hz,z_real_ohm,z_imag_ohm", comments="")
    return path


def run(*args):
    return runner.invoke(app, ["eis", *[str(a) for a in args]])


def val(res, key):
    """A value of a recipe result's JSON (SI, the unit in the key)."""
    return next(v for v in res["values"] if v["key"] == key)


def params(res):
    t = next(t for t in res["tables"] if t["name"] == "parameters")
    return {r[0]: r[1] for r in t["rows"]}


def test_fit_blocking_json_sigma_by_hand(tmp_path):
    p = write_csv(tmp_path / "pellet.csv", "R0-p(R1,CPE1)-CPE2", [20, 8e4, 3e-11, 0.9, 1e-6, 0.85])
    r = run("fit", p, "--circuit", "R0-p(R1,CPE1)-CPE2", "--thickness", "1.2mm", "--diameter", "10mm",
            "--resistance", "R1", "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["results"][0]
    R = val(s, "R_electrolyte_ohm")["value"]
    assert R == pytest.approx(8e4, rel=0.02)
    # σ = L / (A R) with A = 0.7854 cm², L = 0.12 cm — in S/m (the unit is in the key): 0.0012 m / (7.854e-5 m² R)
    assert val(s, "sigma_S_per_m")["value"] == pytest.approx(1.2e-3 / (0.785398e-4 * R), rel=1e-5)
    assert not any(v["key"].startswith("asr") for v in s["values"])
    assert params(s)["R1"] == R
    arcs = next(t for t in s["tables"] if t["name"] == "arcs")
    assert arcs["rows"][0][arcs["columns"].index("assignment")] == "bulk"


def test_fit_li_symmetric_asr_and_table(tmp_path):
    # the electrolyte arc (R1 = 400 Ω) has its apex near 2 MHz, above the 1 MHz band: it merges into the intercept,
    # so the electrolyte resistance is R0 + R1 = 430 Ω and the interface R2 = 4000 Ω (ASR = R·A/2 per interface)
    f = np.logspace(6, -1, 60)
    p = write_csv(tmp_path / "lili.csv", "R0-p(R1,CPE1)-p(R2,CPE2)", [30, 400, 1e-9, 0.9, 4000, 2e-6, 0.85], f=f)
    for extra in ([], ["--circuit", "R0-p(R1,CPE1)-p(R2,CPE2)"]):
        r = run("fit", p, "--electrodes", "li", "--thickness", "1.2mm", "--diameter", "10mm", "--json", *extra)
        assert r.exit_code == 0, r.output
        s = json.loads(r.stdout)["results"][0]
        assert s["recipe"] == "eis.symmetric"
        R_int = val(s, "R_interface_ohm")["value"]
        assert R_int == pytest.approx(4000, rel=0.03)
        assert val(s, "R_electrolyte_ohm")["value"] == pytest.approx(430, rel=0.05)
        assert val(s, "asr_interface_ohm_m2")["value"] == pytest.approx(R_int * 0.785398e-4 / 2, rel=1e-5)
        if extra:       # the circuit as given: roles by position (the last arc is the interface)
            assert val(s, "R_electrolyte_ohm")["label"] == "R electrolyte (R0+R1)"
            assert val(s, "R_interface_ohm")["label"] == "R interface (R2)"
    r = run("fit", p, "--electrodes", "li", "--thickness", "1.2mm", "--diameter", "10mm")
    assert r.exit_code == 0 and "ASR" in r.stdout and "R2" in r.stdout


def test_fit_series_out_dir_and_fix(tmp_path):
    files = [write_csv(tmp_path / f"T{k}.csv", "R0-p(R1,CPE1)-CPE2", [20, R, 3e-11, 0.9, 1e-6, 0.85], seed=k)
             for k, R in enumerate((3e5, 1e5, 3e4))]
    r = run("fit", *files, "--circuit", "R0-p(R1,CPE1)-CPE2", "--fix", "CPE2_alpha=0.85", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["results"]
    assert [params(s)["CPE2_alpha"] for s in d] == [0.85] * 3
    assert [params(s)["R1"] for s in d] == pytest.approx([3e5, 1e5, 3e4], rel=0.03)
    out = tmp_path / "figs"
    r = run("fit", files[0], "--out", out)
    assert r.exit_code == 0, r.output
    assert (out / "eis_fits.csv").exists() and (out / "eis_T0.csv.png").exists()
    assert (out / "eis_T0.csv_nyquist.svg").exists()


def test_fit_frequency_window(tmp_path):
    p = write_csv(tmp_path / "w.csv", "R0-p(R1,CPE1)-CPE2", [20, 8e4, 3e-11, 0.9, 1e-6, 0.85])
    r = run("fit", p, "--fmin", "100Hz", "--fmax", "1MHz", "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["results"][0]
    assert val(s, "R_electrolyte_ohm")["value"] == pytest.approx(8e4 + 20, rel=0.05)
    assert s["options"]["fmin_Hz"] == 100 and s["options"]["fmax_Hz"] == 1e6


@pytest.mark.parametrize("args, needle", [
    (["--circuit", "R0-p(R1,Q1)"], "unknown element 'Q1'"),
    (["--circuit", "R0-p(R1,CPE1)-CPE2", "--resistance", "R5"], "no parameter R5"),
    (["--resistance", "R5"], "needs a circuit"),
    (["--electrodes", "copper"], "--electrodes"),
    (["--fix", "R1"], "NAME=VALUE"),
    (["--weighting", "log"], "unknown weighting"),
])
def test_fit_user_errors_one_line_exit_2(tmp_path, args, needle):
    p = write_csv(tmp_path / "e.csv", "R0-p(R1,CPE1)-CPE2", [20, 8e4, 3e-11, 0.9, 1e-6, 0.85])
    r = run("fit", p, *args)
    assert r.exit_code == 2 and needle in r.output


def test_missing_file_exit_2(tmp_path):
    r = run("fit", tmp_path / "nope.csv")
    assert r.exit_code == 2 and "no such file" in r.output


def test_kk_pass_and_fail(tmp_path):
    p = write_csv(tmp_path / "ok.csv", "R0-p(R1,CPE1)-CPE2", [20, 8e4, 3e-11, 0.9, 1e-6, 0.85], noise=0.002)
    r = run("kk", p, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["spectra"][0]["result"]["passed"] is True and d["figures"] == []
    # a drifting measurement fails
    z = Circuit("R0-p(R1,CPE1)-CPE2").impedance(F, [20, 8e4, 3e-11, 0.9, 1e-6, 0.85]) * np.linspace(1, 1.4, F.size)
    bad = tmp_path / "drift.csv"
    np.savetxt(bad, np.column_stack([F, z.real, z.imag]), delimiter=",", header="freq_Hz,z_real_ohm,z_imag_ohm",
               comments="")
    r = run("kk", bad)
    assert r.exit_code == 0 and "FAIL" in r.stdout
