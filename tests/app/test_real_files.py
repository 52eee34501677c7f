"""The app on real instrument files nobody here wrote (../shared/data): every file listed with its status, a hand
fit with a user circuit and a point mask against impedance.py's fit of the same points, and the page in a browser.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from sselab.app import AppServer
from sselab.app.workspace import Workspace
from sselab.eis import Circuit

from conftest import shared_path

RANDLES = "R0-p(R1,C1)-p(R2-Wo1,C2)"      # impedance.py's tutorial circuit for exampleData.csv


@pytest.fixture(scope="module")
def real_folder(tmp_path_factory):
    """A copy (the app may write its settings file next to the files; ../shared stays read-only)."""
    src = shared_path("data", "instruments", "ECSHackWeek+impedance.py", "data")
    dst = tmp_path_factory.mktemp("real") / "impedance-py-data"
    shutil.copytree(src, dst)
    return dst


def test_every_real_file_is_listed_with_a_status_and_one_line_errors(real_folder):
    ws = Workspace(real_folder)
    rows = {r.rel: r for r in ws.rows()}
    assert set(rows) == {p.name for p in real_folder.iterdir() if p.is_file()}
    assert all(r.status in ("ok", "error", "no recipe") for r in rows.values())
    assert all("\n" not in r.message for r in rows.values())
    assert rows["exampleDataZPlot.z"].status == "ok" and rows["exampleDataZPlot.z"].technique == "EIS"


def test_a_masked_hand_fit_matches_or_beats_impedance_py_on_the_same_points(real_folder):
    from impedance import preprocessing
    from impedance.models.circuits import CustomCircuit

    path = real_folder / "exampleData.csv"
    f_all, Z_all = preprocessing.readCSV(str(path))
    f, Z = preprocessing.ignoreBelowX(f_all, Z_all)        # impedance.py's tutorial drops Z'' > 0
    ref = CustomCircuit(RANDLES, initial_guess=[.01, .01, 100, .01, .05, 100, 1])
    ref.fit(f, Z)
    ws = Workspace(real_folder)
    fs, zs = ws.item("exampleData.csv").measurement.spectra()[0]
    mask = [int(i) for i in np.flatnonzero(zs.imag > 0)]    # what a lasso over the inductive tail masks
    opts = {"circuit": RANDLES, "mask": mask, "weighting": "unit"}
    res = ws.run_file("exampleData.csv", opts)
    assert np.allclose(np.sort(res.figures["freq_Hz"]), np.sort(f))            # the same points fitted
    p = {row[0]: row[1] for row in res.table("parameters").rows}
    c = Circuit(RANDLES)
    same = dict(zip(c.param_names, ref.parameters_))
    assert np.allclose(c.impedance(f, same), ref.predict(f), rtol=1e-12)      # the same model
    ssr_ref = float(np.sum(np.abs(Z - ref.predict(f)) ** 2))
    ssr = float(np.sum(np.abs(Z - c.impedance(f, p)) ** 2))
    assert ssr <= ssr_ref * (1 + 1e-6)                     # at least as good a least-squares fit
    for name in ("R0", "R1", "R2"):                          # the well-determined resistances agree
        assert p[name] == pytest.approx(same[name], rel=0.03)
    assert ws.save("exampleData.csv", opts) == real_folder / "cells.sselab.yaml"
    again = Workspace(real_folder).run_file("exampleData.csv")       # kept: the next session gives the same
    assert again.get("chi2_reduced") == res.get("chi2_reduced")


def test_the_real_folder_in_the_browser(real_folder, browser):
    with AppServer(real_folder, port=0) as srv:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(srv.url)
        page.wait_for_selector("#files-table tr[data-rel='exampleDataGamry.DTA']")
        page.click("#files-table tr[data-rel='exampleDataGamry.DTA'] a")
        page.wait_for_selector("#chi2")
        page.wait_for_selector("#eis-nyquist .scatterlayer .trace path.point")
        assert page.locator("#eis-nyquist .scatterlayer .trace").first.locator("path.point").count() == \
            len(Workspace(real_folder).item("exampleDataGamry.DTA").measurement.spectra()[0][0])
        page.close()
    assert errors == []
