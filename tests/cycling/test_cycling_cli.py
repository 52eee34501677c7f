"""`sselab cycle`: canonical CSV records from the forward models, tables, --json, --out, exit codes."""
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from ladder_model import UA_CM2, make_ladder  # noqa: E402

from sselab.cli import app  # noqa: E402
from sselab.simulate import full_cell, write_csv  # noqa: E402

runner = CliRunner()


def val(res, key):
    return next(v for v in res["values"] if v["key"] == key)["value"]


def table(res, name):
    return next(t for t in res["tables"] if t["name"] == name)


@pytest.fixture(scope="module")
def ladder_csv(tmp_path_factory):
    lad = make_ladder(((5 * UA_CM2, 10), (10 * UA_CM2, 10)), hard_at=15, seed=11)
    p = tmp_path_factory.mktemp("cyc") / "ladder.csv"
    pd.DataFrame({"time_s": lad.time_s, "potential_V": lad.potential_V, "current_A": lad.current_A}).to_csv(
        p, index=False)
    return p


@pytest.fixture(scope="module")
def full_csv(tmp_path_factory):
    sim = full_cell(n_cycles=6, rng=12)
    return write_csv(tmp_path_factory.mktemp("fc") / "tis2.csv", sim.data)


def test_symmetric_json(ladder_csv):
    r = runner.invoke(app, ["cycle", str(ladder_csv), "--diameter", "10mm", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["recipe"] == "cycling.symmetric" and val(res, "n_cycles") == 20
    assert val(res, "short_cycle") == 15 and val(res, "short_kind") == "hard"
    assert val(res, "ccd_A_per_m2") == pytest.approx(5 * UA_CM2, rel=1e-4)
    assert "figures" not in res and len(table(res, "steps")["rows"]) == 2


def test_symmetric_table_and_outputs(ladder_csv, tmp_path):
    r = runner.invoke(app, ["cycle", str(ladder_csv), "--area", "0.7854cm2", "--symmetric", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "hard" in r.stdout and "CCD" in r.stdout and "µm" in r.stdout
    names = {p.name for p in tmp_path.iterdir()}
    for stem in ("ladder", "resistance", "profiles"):
        assert f"{stem}-ladder.png" in names and f"{stem}-ladder.svg" in names
    hc = pd.read_csv(tmp_path / "ladder_half_cycles.csv")
    assert len(hc) == 40 and hc["cycle"].max() == 20


def test_full_cell_json_and_outputs(full_csv, tmp_path):
    r = runner.invoke(app, ["cycle", str(full_csv), "--active-mass", "3.39mg", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert val(res, "n_cycles") == 6 and val(res, "first_direction") == "discharge"
    assert val(res, "first_discharge_C_per_kg") / 3600 == pytest.approx(126.0, rel=2e-3)
    assert (tmp_path / "fullcell-tis2.png").exists() and (tmp_path / "tis2_cycles.csv").exists()
    r = runner.invoke(app, ["cycle", str(full_csv), "--active-mass", "3.39mg", "--diameter", "10mm"])
    assert r.exit_code == 0 and "126" in r.stdout


@pytest.mark.parametrize("args,msg", [
    ([], "--area or --diameter"),
    (["--diameter", "10mm", "--symmetric", "--active-mass", "3mg"], "exclude each other"),
    (["--diameter", "ten mm"], "ten mm"),
    (["--active-mass", "3 cm"], "mass"),
])
def test_user_errors_exit_2(ladder_csv, args, msg):
    r = runner.invoke(app, ["cycle", str(ladder_csv), *args])
    assert r.exit_code == 2
    assert msg in r.output


def test_missing_file_exit_2(tmp_path):
    r = runner.invoke(app, ["cycle", str(tmp_path / "nope.csv"), "--diameter", "10mm"])
    assert r.exit_code == 2
