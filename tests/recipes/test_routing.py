"""Routing and the generic report renderer: a folder's files go to the recipes by technique and cell kind; a
recipe registered by anyone appears in the report just by being registered; a failing analysis is that file's
one-line error, not a silent skip; a broken recipe module fails loudly."""
from __future__ import annotations

import pytest

from sselab import recipes
from sselab.recipes import FigureOut, Flag, RecipeResult, Value, base, routing
from sselab.simulate import ArrheniusLaw, dc_polarization, eis_blocking


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "data"
    law = ArrheniusLaw(0.01, 0.45)
    for tc in (30, 50, 70):
        eis_blocking(tc + 273.15, bulk=law.scaled(1.5), gb=law.scaled(3.0), rng=tc).write(d / f"p_{tc}C.mpt")
    dc_polarization(duration_s=3600, rng=1).write(d / "dc_40C.mpt")
    (d / "cells.yaml").write_text(
        "cells:\n  - name: P\n    material: test SSE\n    thickness: 1 mm\n    diameter: 10 mm\n"
        "    electrodes: Au|Au\n    files: [p_30C.mpt, p_50C.mpt, p_70C.mpt, dc_40C.mpt]\n", encoding="utf-8")
    return d


def _plan(folder):
    from sselab.cell import load_manifest

    man = load_manifest(folder / "cells.yaml")
    items = routing.load(folder, man)
    return items, man, *routing.plan(items, man)


def test_files_are_routed_by_technique_and_cell(folder):
    items, man, jobs, notes = _plan(folder)
    got = sorted((j.recipe, len(j.items)) for j in jobs)
    assert got == [("dcpol", 1), ("eis.arrhenius", 3), ("eis.blocking", 1), ("eis.blocking", 1), ("eis.blocking", 1),
                   ("eis.drt", 1), ("eis.drt", 1), ("eis.drt", 1)]     # (the DRT beside every circuit fit)
    arr = next(j for j in jobs if j.recipe == "eis.arrhenius")
    assert arr.subject == "test SSE" and [c.name for c in arr.options["cells"]] == ["P"] * 3
    assert not notes


def test_a_file_no_recipe_takes_gets_a_note(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    import numpy as np
    import pandas as pd

    t = np.arange(0, 7200.0, 10.0)
    pd.DataFrame({"time_s": t, "potential_V": 0.01 * np.sign(np.sin(t / 600)),
                  "current_A": 1e-4 * np.sign(np.sin(t / 600))}).to_csv(d / "gcpl.csv", index=False)
    (d / "cells.yaml").write_text("cells:\n  - name: B\n    electrodes: Au|Au\n    files: [gcpl.csv]\n")
    from sselab.cell import load_manifest

    man = load_manifest(d / "cells.yaml")
    items = routing.load(d, man)
    jobs, notes = routing.plan(items, man)
    assert not jobs and notes["gcpl.csv"] == "gcpl.csv: no recipe for unknown data of a blocking cell"


@pytest.fixture
def extra_recipes():
    """Two recipes registered from outside (as the DRT / XRD helpers do): one works, one fails on its file."""
    def plot(res):
        from sselab.plotting import new_figure

        fig, ax = new_figure()
        ax.plot([0, 1], [0, res.get("n_points_in_file")])
        return [FigureOut("probe-" + res.subject, "probe figure", fig)]

    @base.register("probe.count", techniques=("CA",), title="Probe recipe", plot=plot)
    def count(measurements, cell=None):
        m = measurements[0]
        return RecipeResult("probe.count", cell.name if cell else m.name,
                            values=(Value("n_points_in_file", len(m.data), "", label="points in the file"),),
                            flags=(Flag("probe-note", "a note from the probe", "info"),))

    @base.register("probe.broken", techniques=("CA",), title="Broken recipe")
    def broken(measurements, cell=None):
        return [][1]                            # a bug: IndexError

    yield
    for name in ("probe.count", "probe.broken"):
        base._REGISTRY.pop(name)


def test_a_registered_recipe_appears_in_the_report_and_a_failure_is_one_line(folder, tmp_path, extra_recipes):
    from sselab.report import build_report

    rep = build_report(folder, tmp_path / "out", figures=True)
    probe = next(s for s in rep.sections if s.recipe == "probe.count")
    assert probe.status == "ok" and probe.kind == "probe" and probe.figures
    assert "a note from the probe" in " ".join(probe.notes)
    assert any(n.quantity == "n_points_in_file" for n in probe.numbers)
    bad = next(s for s in rep.sections if s.recipe == "probe.broken")
    assert bad.status == "error" and len(bad.notes) == 1 and "IndexError" in bad.notes[0]
    assert "dc_40C.mpt" in bad.notes[0] and "\n" not in bad.notes[0]
    assert rep.analysis_errors and (tmp_path / "out" / "debug.log").read_text().count("IndexError") >= 1
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Probe recipe" in html and "analysis(es) failed" in html


def test_a_broken_recipe_module_fails_loudly(monkeypatch):
    monkeypatch.setattr(recipes, "_BUILTIN", recipes._BUILTIN + ("no_such_recipe_module",))
    with pytest.raises(ModuleNotFoundError):
        recipes.names()
