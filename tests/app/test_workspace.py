"""The app's model without a browser: files with several spectra, uploads, what the fitting page's fields become
as recipe options, and the exports."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sselab.app.export import export_json, export_script
from sselab.app.ui import page_options
from sselab.app.workspace import Workspace, recipe_options
from sselab.errors import SselabError
from sselab.recipes import get
from sselab.simulate.models import ArrheniusLaw, eis_blocking

LAW = ArrheniusLaw(1e-2, 0.45)
CIRCUIT = "R0-p(R1,CPE1)-CPE2"


@pytest.fixture
def folder(tmp_path):
    a = eis_blocking(303.15, bulk=LAW, rng=np.random.default_rng(1)).data
    b = eis_blocking(323.15, bulk=LAW, rng=np.random.default_rng(2)).data.assign(cycle=2)
    pd.concat([a, b]).drop(columns=["temperature_K"]).to_csv(tmp_path / "two_spectra.csv", index=False)
    eis_blocking(303.15, bulk=LAW, rng=np.random.default_rng(3)).write(tmp_path / "one_30C.mpt")
    return tmp_path


def test_a_file_with_several_spectra_is_fitted_per_spectrum_and_its_settings_are_not_kept(folder):
    ws = Workspace(folder)
    assert ws.n_spectra("two_spectra.csv") == 2
    assert "series" in ws.keeps_settings("two_spectra.csv")
    res = ws.run_file("two_spectra.csv", {"circuit": CIRCUIT, "mask": {"2": [0, 1]}}, spectrum=2)
    direct = get("eis.blocking").run([ws.item("two_spectra.csv").measurement], None, spectrum=2, circuit=CIRCUIT,
                                     mask={"2": [0, 1]})
    assert res.get("chi2_reduced") == direct.get("chi2_reduced") and res.subject.endswith("#2")
    assert ws.save("two_spectra.csv", {"circuit": CIRCUIT}) is None
    assert not (folder / "cells.sselab.yaml").exists()


def test_uploads_are_read_into_a_temporary_folder_and_garbage_is_one_line(folder):
    ws = Workspace(folder)
    bad = ws.add_upload("../../evil name.mpt", b"\x00\xff" * 50)
    assert bad.rel == "uploaded/evil name.mpt" and not bad.ok and "\n" not in bad.error
    assert bad.path.parent.parent == ws.upload_dir and ws.upload_dir.name.startswith("sselab-app-")
    good = ws.add_upload("copy.mpt", (folder / "one_30C.mpt").read_bytes())
    assert good.ok and ws.run_file(good.rel).get("R_electrolyte_ohm") > 0
    assert "not kept" in ws.keeps_settings(good.rel) and ws.save(good.rel, {"circuit": CIRCUIT}) is None
    rows = {r.rel: r for r in ws.rows()}
    assert rows["uploaded/evil name.mpt"].status == "error"
    tmp = ws.upload_dir
    ws.close()
    assert not tmp.exists() and sorted(p.name for p in folder.iterdir()) == ["one_30C.mpt", "two_spectra.csv"]


def test_the_fitting_page_fields_become_recipe_options(folder):
    ws = Workspace(folder)
    ids = [{"type": "p-value", "name": n} for n in ("R0", "R1", "CPE1_Q", "CPE1_alpha", "CPE2_Q", "CPE2_alpha")]
    opts = page_options(ws, "one_30C.mpt", " R0-p(R1,CPE1)-CPE2 ", ["1.5", "1000", "", "0.9", "1e-6", "0.8"], ids,
                        [[], [], [], [], [], ["y"]], ["", "0", "", "", "", ""], ["", "1e5", "", "", "", ""],
                        "10", "", "proportional", [3, 1], None)
    assert opts == {"circuit": CIRCUIT, "fixed": {"CPE2_alpha": 0.8},
                    "initial": {"R0": 1.5, "R1": 1000.0, "CPE1_alpha": 0.9, "CPE2_Q": 1e-6},
                    "bounds": {"R1": [0.0, 1e5]}, "fmin_Hz": 10.0, "weighting": "proportional", "mask": [1, 3]}
    # a parameter the new circuit does not have is dropped (the table was of the previous circuit)
    o2 = page_options(ws, "one_30C.mpt", "R0-p(R1,C1)", ["1", "2"], ids[:2] + [{"name": "R9"}][:0],
                      [[], []], ["", ""], ["", ""], "", "", "modulus", [], 2)
    assert o2 == {"circuit": "R0-p(R1,C1)", "initial": {"R0": 1.0, "R1": 2.0}}
    with pytest.raises(SselabError, match="value of R1: '1k' is not a number"):
        page_options(ws, "one_30C.mpt", CIRCUIT, ["1", "1k"], ids[:2], [[], []], ["", ""], ["", ""], "", "",
                     "modulus", [], None)
    with pytest.raises(SselabError, match="R1 is fixed but has no value"):
        page_options(ws, "one_30C.mpt", CIRCUIT, ["1", ""], ids[:2], [[], ["y"]], ["", ""], ["", ""], "", "",
                     "modulus", [], None)
    assert page_options(ws, "one_30C.mpt", CIRCUIT, [], [], [], [], [], "", "", "modulus", [0], 2) == \
        {"circuit": CIRCUIT, "mask": {"2": [0]}}


def test_recipe_settings_offered_are_the_recipes_own_defaults():
    opts = recipe_options("cv")
    from sselab.recipes.voltammetry import STRIP_PLATE_WINDOW_V, THRESHOLD_A_PER_M2

    assert opts["window_V"] == STRIP_PLATE_WINDOW_V and opts["threshold_A_per_m2"] == THRESHOLD_A_PER_M2
    assert "temperature_K" not in recipe_options("eis.blocking")


def test_exports_reproduce_the_fit(folder, tmp_path):
    ws = Workspace(folder)
    opts = {"circuit": CIRCUIT, "mask": [0, 1], "bounds": {"R0": [0, None]}}
    res = ws.run_file("one_30C.mpt", opts)
    doc = json.loads(export_json("one_30C.mpt", "eis.blocking", opts, res))
    assert doc["options"] == {"circuit": CIRCUIT, "mask": [0, 1], "bounds": {"R0": [0, None]}}
    assert {v["key"]: v["value"] for v in doc["result"]["values"]}["R_electrolyte_ohm"] == \
        res["R_electrolyte_ohm"].value
    script = tmp_path / "fit.py"
    script.write_text(export_script(folder / "one_30C.mpt", "eis.blocking", opts))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert res["R_electrolyte_ohm"].text() in out.stdout and "points-masked" not in out.stdout
    assert "2 points left out of the fit by the user" in out.stdout
