import json

import pytest
from typer.testing import CliRunner

from sselab.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["materials", *args])


def test_list_json_min_sigma():
    r = run("list", "--min-sigma", "0.1mS/cm", "--at", "25C", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["n"] == 11 and d["entries"][0]["id"] == "h-doped-alpha-li3n"
    assert d["entries"][0]["rank"] == 1


def test_list_family_table():
    r = run("list", "--family", "lipon,imide")
    assert r.exit_code == 0 and "LiBPON" in r.stdout and "Li2NH" in r.stdout and "Li3N" not in r.stdout.replace(
        "Li3N–", "")


def test_show_and_errors():
    r = run("show", "vacancy-rich b-Li3N", "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["id"] == "vacancy-rich-beta-li3n" and d["sigma_S_per_m"] == pytest.approx(0.214)
    r = run("show", "Li2NH", "--json")                 # three preparations
    assert len(json.loads(r.stdout)["matches"]) == 3
    r = run("show", "Li7N3I")
    assert r.exit_code == 2 and "close matches" in r.output
    r = run("list", "--min-sigma", "fast")
    assert r.exit_code == 2


def test_reagents_score_density_compare(tmp_path):
    r = run("reagents", "Li2NH", "--from", "LiNH2", "--from", "Li3N", "--weights", "iupac2007", "--json")
    d = json.loads(r.stdout)
    assert [round(m * 1e3, 4) for m in d["masses_kg"]] == [0.3973, 0.6027]
    r = run("score", "li2nh-hot-pressed", "--json")
    assert json.loads(r.stdout)["counts"] == {"pass": 6, "fail": 2, "unknown": 6}
    meas = tmp_path / "m.yaml"
    meas.write_text("name: batch\nsigma_S_per_cm: 2.0e-3\nsigma_T: 25 C\n")
    assert json.loads(run("score", "--measured", str(meas), "--json").stdout)["name"] == "batch"
    r = run("density", "LGPS", "--json")
    assert json.loads(r.stdout)["theoretical_density_kg_per_m3"] == pytest.approx(2040)
    r = run("density", "NaCl", "--Z", "4", "--a", "5.6402 Å", "--mass", "0.5 g", "--diameter", "10 mm",
            "--thickness", "3 mm", "--json")
    d = json.loads(r.stdout)
    assert d["theoretical_density_kg_per_m3"] == pytest.approx(2165, abs=2)
    pts = tmp_path / "pts.csv"
    pts.write_text("T_C,sigma_S_per_cm\n25,1.0e-4\n50,3.0e-4\n75,7.5e-4\n")
    r = run("compare", "--points", str(pts), "--name", "mine", "--out", str(tmp_path / "fig"), "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["name"] == "mine" and 0.3 < d["Ea_eV"] < 0.45
    assert (tmp_path / "fig" / "materials_comparison.png").exists()
