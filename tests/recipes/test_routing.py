"""Routing and the generic report renderer: a folder's files go to the recipes by technique and cell kind; a
recipe registered by anyone appears in the report just by being registered; a failing analysis is that file's
one-line error, not a silent skip; a broken recipe module fails loudly."""
from __future__ import annotations

import pytest

from conftest import write_blocking_spectra
from sselab import recipes
from sselab.recipes import FigureOut, Flag, RecipeResult, Value, base, routing
from sselab.simulate import ArrheniusLaw, dc_polarization, eis_blocking


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "data"
    write_blocking_spectra(d, (30, 50, 70))
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


def test_files_tagged_with_one_panel_form_a_figure_job(tmp_path):
    """Three preparations' 30 °C spectra tagged ``1e`` → one ``eis.overlay`` job (its own panel, which the per-file
    jobs then no longer claim) with the per-file results passed in; the overlay's numbers are the per-file ones."""
    from sselab.cell import load_manifest

    d = tmp_path / "fig"
    names = []
    for k, s30 in enumerate((0.01, 0.03, 0.1)):
        law = ArrheniusLaw(s30, 0.45)
        eis_blocking(303.15, bulk=law.scaled(1.5), gb=law.scaled(3.0), rng=k).write(d / f"c{k}_30C.mpt")
        names.append(f"c{k}")
    cells = "".join(f"  - name: {n}\n    material: prep {n}\n    thickness: 1 mm\n    diameter: 10 mm\n"
                    f"    electrodes: Au|Au\n    files: [{{path: {n}_30C.mpt, temperature: 30 C, figures: [1e]}}]\n"
                    for n in names)
    (d / "cells.yaml").write_text("cells:\n" + cells, encoding="utf-8")
    man = load_manifest(d / "cells.yaml")
    items = routing.load(d, man)
    jobs, notes = routing.plan(items, man)
    fig = [j for j in jobs if j.recipe == "eis.overlay"]
    assert len(fig) == 1 and fig[0].figures == ("1e",) and len(fig[0].items) == 3
    assert fig[0].options["paper_figure"] == "1e" and [c.name for c in fig[0].options["cells"]] == names
    assert all(j.figures == () for j in jobs if j.recipe == "eis.blocking")
    res = {jr.job.recipe + ":" + jr.job.subject: jr.result for jr in routing.run_all(jobs)}
    ov = res["eis.overlay:Fig. 1e"]
    for k, n in enumerate(names, 1):
        single = res[f"eis.blocking:{n}_30C.mpt"]
        assert ov.get(f"sigma_{k}_S_per_m") == single.get("sigma_S_per_m")
    assert ov.get("sigma_ratio_max_to_min") == pytest.approx(10.0, rel=0.05)     # simulated 0.1 / 0.01


def test_an_operando_manifest_is_one_item_per_series(tmp_path):
    from sselab.simulate.structure import write_structure_demo

    d = tmp_path / "op"
    write_structure_demo(d, small=True, rng=3)
    items = routing.load(d)
    series = [it for it in items if it.series is not None]
    assert sorted(it.technique for it in series) == ["NMR-series", "XRD-series"]
    assert not [it for it in items if it.error], [it.error for it in items if it.error]
    assert not [it for it in items if "xrd/scan_" in it.rel or "/nmr/" in it.rel]    # not read one by one
    jobs, notes = routing.plan(items)
    assert sorted(j.recipe for j in jobs if j.items[0].series is not None) == ["nmr.lines", "operando", "operando"]
    assert not notes
