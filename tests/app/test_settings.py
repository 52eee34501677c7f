"""Per-file settings: kept in the sselab-owned file beside the manifest, merged by the manifest loader and routing,
used by the report — and the user's own files never touched."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import yaml

from sselab.app.settings import SettingsFile
from sselab.app.workspace import Workspace
from sselab.cell import load_manifest, load_settings, settings_path
from sselab.errors import ManifestError
from sselab.io import read
from sselab.outputs import OutputError
from sselab.recipes import get, routing
from sselab.simulate.models import ArrheniusLaw, eis_blocking

CIRCUIT = "R0-p(R1,CPE1)-CPE2"
MANIFEST = """# my cells — a comment the app must keep
cells:
  - name: P1            # pellet one
    thickness: 1 mm
    diameter: 10 mm
    electrodes: Au|Au
    files:
      - {path: p1_30C.mpt, temperature: 30 C}
      - {path: p1_60C.mpt, temperature: 60 C, options: {fmin_Hz: 100.0}}
      - {path: p1_90C.mpt, temperature: 90 C}
"""


@pytest.fixture
def folder(tmp_path):
    law = ArrheniusLaw(1e-2, 0.45)
    for k, T in enumerate((30, 60, 90)):
        eis_blocking(T + 273.15, bulk=law, rng=np.random.default_rng(k)).write(tmp_path / f"p1_{T}C.mpt")
    (tmp_path / "cells.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def _run_report_like(folder, rel):
    """The job the report runs for ``rel`` (routing.load → plan → run), its result."""
    man = load_manifest(folder / "cells.yaml", check_files=False)
    items = routing.load(folder, man)
    jobs, _ = routing.plan(items, man)
    job = next(j for j in jobs if j.recipe == "eis.blocking" and j.items[0].rel == rel)
    jr = routing.run(job)
    assert jr.error is None, jr.error
    return jr.result, items


def test_settings_file_is_merged_by_the_loader_and_routing_and_the_manifest_is_untouched(folder):
    before = (folder / "cells.yaml").read_bytes()
    opts = {"circuit": CIRCUIT, "mask": [0, 1, 2], "initial": {"R1": 1000.0}, "bounds": {"R0": [0, 50]}}
    path = SettingsFile(folder / "cells.yaml").set(folder / "p1_30C.mpt", opts)
    assert path == folder / "cells.sselab.yaml" == settings_path(folder / "cells.yaml")
    assert (folder / "cells.yaml").read_bytes() == before            # the user's manifest: byte for byte
    doc = yaml.safe_load(path.read_text())
    assert doc == {"sselab_settings": 1, "files": {"p1_30C.mpt": opts}}
    assert path.read_text().startswith("# Written by sselab")
    man = load_manifest(folder / "cells.yaml")
    assert man.options_for(folder / "p1_30C.mpt") == opts and man.settings_source == path
    res, items = _run_report_like(folder, "p1_30C.mpt")
    direct = get("eis.blocking").run([read(folder / "p1_30C.mpt")], man.cell("P1"), temperature_K=303.15, **opts)
    assert res["R_electrolyte_ohm"].value == direct["R_electrolyte_ohm"].value
    assert res.get("chi2_reduced") == direct.get("chi2_reduced")
    assert res.options["mask"] == [0, 1, 2] and res.options["circuit"] == CIRCUIT
    assert res.flagged("points-masked")


def test_inline_manifest_options_and_the_settings_file_override(folder):
    man = load_manifest(folder / "cells.yaml")
    assert man.options_for(folder / "p1_60C.mpt") == {"fmin_Hz": 100.0}
    res, _ = _run_report_like(folder, "p1_60C.mpt")
    assert res.options["fmin_Hz"] == 100.0 and min(res.figures["freq_Hz"]) >= 100.0
    sf = SettingsFile(folder / "cells.yaml")
    sf.set(folder / "p1_60C.mpt", {"circuit": CIRCUIT})             # the app's choice replaces the entry's
    assert load_manifest(folder / "cells.yaml").options_for(folder / "p1_60C.mpt") == {"circuit": CIRCUIT}
    sf.set(folder / "p1_60C.mpt", None)                               # forgetting it: back to the manifest's
    assert load_manifest(folder / "cells.yaml").options_for(folder / "p1_60C.mpt") == {"fmin_Hz": 100.0}


def test_arrhenius_job_gets_every_files_options(folder):
    SettingsFile(folder / "cells.yaml").set(folder / "p1_90C.mpt", {"circuit": CIRCUIT, "mask": [0]})
    man = load_manifest(folder / "cells.yaml")
    jobs, _ = routing.plan(routing.load(folder, man), man)
    job = next(j for j in jobs if j.recipe == "eis.arrhenius")
    by_file = dict(zip(job.files, job.options["file_options"]))
    assert by_file == {"p1_30C.mpt": None, "p1_60C.mpt": {"fmin_Hz": 100.0},
                       "p1_90C.mpt": {"circuit": CIRCUIT, "mask": [0]}}
    res = routing.run(job).result
    assert res["Ea_eV"].value == pytest.approx(0.45, abs=0.02)


def test_folder_without_manifest_keeps_settings_too(tmp_path):
    eis_blocking(303.15, bulk=ArrheniusLaw(1e-2, 0.45), rng=np.random.default_rng(7)).write(tmp_path / "a.mpt")
    ws = Workspace(tmp_path)
    assert ws.manifest_path is None
    path = ws.save("a.mpt", {"circuit": CIRCUIT, "mask": [3]})
    assert path == tmp_path / "cells.sselab.yaml"
    assert load_settings(path) == {(tmp_path / "a.mpt").resolve(): {"circuit": CIRCUIT, "mask": [3]}}
    items = routing.load(tmp_path)
    assert items[0].options == {"circuit": CIRCUIT, "mask": [3]}
    jobs, _ = routing.plan(items)
    res = routing.run(jobs[0]).result
    assert res.options["mask"] == [3] and res.options["circuit"] == CIRCUIT
    ws2 = Workspace(tmp_path)                                    # a new session: the same answer
    assert ws2.run_file("a.mpt").get("chi2_reduced") == res.get("chi2_reduced")


def test_a_file_sselab_did_not_write_is_never_overwritten(folder):
    mine = "# my own notes, not sselab's\nfiles: {}\n"
    (folder / "cells.sselab.yaml").write_text(mine)
    with pytest.raises(OutputError, match="not written by sselab") as e:
        SettingsFile(folder / "cells.yaml").set(folder / "p1_30C.mpt", {"circuit": CIRCUIT})
    assert "\n" not in str(e.value)
    assert (folder / "cells.sselab.yaml").read_text() == mine
    with pytest.raises(ManifestError, match="not an sselab settings file"):
        load_manifest(folder / "cells.yaml")


def test_unused_options_are_said_not_dropped(folder):
    SettingsFile(folder / "cells.yaml").set(folder / "p1_30C.mpt", {"circuit": CIRCUIT, "window_s": 60})
    man = load_manifest(folder / "cells.yaml")
    items = routing.load(folder, man)
    routing.plan(items, man)
    it = next(i for i in items if i.rel == "p1_30C.mpt")
    assert any("window_s" in w and "not used" in w for w in it.warnings)


def test_concurrent_saves_lose_nothing_and_leave_no_temporary_files(folder):
    sf = SettingsFile(folder / "cells.yaml")
    names = [f"f{i}.mpt" for i in range(12)]
    threads = [threading.Thread(target=sf.set, args=(folder / n, {"circuit": CIRCUIT, "mask": [i]}))
               for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    doc = yaml.safe_load((folder / "cells.sselab.yaml").read_text())
    assert sorted(doc["files"]) == sorted(names)
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_the_report_uses_the_kept_settings(folder, tmp_path_factory):
    from sselab.report.build import build_report

    opts = {"circuit": CIRCUIT, "mask": [0, 1], "fixed": {"CPE2_alpha": 0.82}}
    Workspace(folder).save("p1_30C.mpt", opts)
    out = tmp_path_factory.mktemp("rep") / "report"
    build_report(folder, out, figures=False)
    doc = json.loads((out / "results.json").read_text())
    hit = [r for s in doc["sections"] for r in s["results"]
           if s["recipe"] == "eis.blocking" and r["inputs"][0].endswith("p1_30C.mpt")]
    assert len(hit) == 1 and hit[0]["options"]["mask"] == [0, 1]
    val = {v["key"]: v["value"] for v in hit[0]["values"]}
    app_res = Workspace(folder).run_file("p1_30C.mpt")
    assert val["R_electrolyte_ohm"] == app_res["R_electrolyte_ohm"].value
    assert val["chi2_reduced"] == app_res.get("chi2_reduced")


def test_the_app_says_an_unused_option_once_and_forgets_it_when_replaced(folder):
    ws = Workspace(folder)
    ws.save("p1_30C.mpt", {"circuit": CIRCUIT, "window_s": 60})
    ws.save("p1_90C.mpt", {"circuit": CIRCUIT})            # plans again: the warning is not repeated
    row = {r.rel: r for r in ws.rows()}["p1_30C.mpt"]
    assert row.message.count("window_s") == 1 and "not used" in row.message
    ws.save("p1_30C.mpt", {"circuit": CIRCUIT})
    assert {r.rel: r for r in ws.rows()}["p1_30C.mpt"].message == ""
