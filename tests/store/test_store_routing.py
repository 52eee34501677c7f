"""`sselab batch` with the recipes' routing on a small simulated folder (two preparations × four temperatures, figure
tags for an overlay and a materials comparison): units are routing jobs, dependent jobs get the results
routing.run_all passes, a changed file re-runs exactly the jobs that read it and those that use their results,
failures are one line; the Arrhenius fits recover the simulated activation energies."""
from __future__ import annotations

import pytest

from store_helpers import PELLET_TEMPS_C, PELLETS, write_pellets
from sselab import store
from sselab.batch import batch


@pytest.fixture
def pellets(tmp_path):
    return write_pellets(tmp_path / "data")


@pytest.fixture(scope="module")
def pellet_store(tmp_path_factory):
    """The pellets folder and a store made from it on the process pool."""
    root = tmp_path_factory.mktemp("pellets")
    data = write_pellets(root / "data")
    st = root / "st"
    run = batch(data, st, jobs=2)
    return data, st, run


def _results(st) -> dict:
    with store.open(st) as s:
        return {(r.recipe, r.subject): r.to_dict() for r in s.results()}


def test_units_are_the_routing_jobs(pellet_store):
    from sselab.cell import load_manifest
    from sselab.recipes import routing

    data, st, r = pellet_store
    man = load_manifest(data / "cells.yaml", check_files=False)
    jobs, notes = routing.plan(routing.load(data, man), man)
    assert not notes and not r.failed
    n_files = len(PELLETS) * len(PELLET_TEMPS_C)
    # a file unit per file; per file eis.blocking and eis.drt, per material eis.arrhenius, the 1e overlay, the 1f
    # comparison
    assert r.units == n_files + len(jobs) == n_files + 2 * n_files + len(PELLETS) + 2
    with store.open(st) as s:
        got = sorted((r.recipe, sorted(r.inputs)) for r in s.results())
    assert got == sorted((j.recipe, sorted(str(it.path) for it in j.items)) for j in jobs)
    with store.open(st) as s:
        deps = dict(s.rows("SELECT unit_id, after FROM units WHERE len(after) > 0")[1])
        fits = s.sql("SELECT subject, Ea_eV FROM arrhenius ORDER BY subject")
        ov = s.results(recipe="eis.overlay")[0]
        one = {r.subject: r for r in s.results(recipe="eis.blocking")}
    # the overlay gets the two 30 °C per-file fits, the comparison the two Arrhenius fits (routing.uses_of) …
    assert sorted(deps["eis.overlay:Fig. 1e"]) == ["eis.blocking:A_30C.mpt", "eis.blocking:B_30C.mpt"]
    assert sorted(deps["eis.arrhenius.compare:Fig. 1f"]) == ["eis.arrhenius:SSE A", "eis.arrhenius:SSE B"]
    # … and shows their numbers
    assert {ov["sigma_1_S_per_m"].value, ov["sigma_2_S_per_m"].value} == {
        one["A_30C.mpt"]["sigma_S_per_m"].value, one["B_30C.mpt"]["sigma_S_per_m"].value}
    for subject, ea in zip(fits["subject"], fits["Ea_eV"]):
        assert ea == pytest.approx(PELLETS[subject.split()[-1]][1], abs=0.005)     # simulated Ea


def test_changed_file_reruns_the_jobs_that_read_it_and_their_consumers(pellets, tmp_path):
    from store_helpers import write_pellets as rewrite

    st = tmp_path / "st"
    batch(pellets, st, jobs=2)
    before = _results(st)
    again = tmp_path / "again"
    rewrite(again, seed=99)                             # the same files measured again (other noise) …
    (pellets / "eis" / "A_30C.mpt").write_bytes((again / "eis" / "A_30C.mpt").read_bytes())    # … one replaced
    r = batch(pellets, st, jobs=1)
    assert sorted(r.analysed) == ["eis.arrhenius.compare:Fig. 1f", "eis.arrhenius:SSE A", "eis.blocking:A_30C.mpt",
                                  "eis.drt:A_30C.mpt", "eis.overlay:Fig. 1e", "file:eis/A_30C.mpt"]
    after = _results(st)
    assert after[("eis.blocking", "B_30C.mpt")] == before[("eis.blocking", "B_30C.mpt")]
    assert after[("eis.arrhenius", "SSE B")] == before[("eis.arrhenius", "SSE B")]
    assert after[("eis.arrhenius", "SSE A")] != before[("eis.arrhenius", "SSE A")]
    assert batch(pellets, st, jobs=1).analysed == []


def test_unreadable_file_and_failing_recipe_are_one_line(pellets, tmp_path, monkeypatch):
    import sselab.eis.drt

    (pellets / "eis" / "A_110C.mpt").write_bytes(b"EC-Lab ASCII FILE\r\nNb header lines : 3\r\n\r\ngarbage\r\n")

    def broken(*a, **k):
        raise ZeroDivisionError("deliberately broken")

    monkeypatch.setattr(sselab.eis.drt, "drt_series", broken)     # jobs=1: the units run in this process
    st = tmp_path / "st"
    r = batch(pellets, st, jobs=1)
    failed = dict(r.failed)
    assert "A_110C.mpt" in failed.pop("file:eis/A_110C.mpt") and all("\n" not in e for e in failed.values())
    assert sorted(failed) == sorted(f"eis.drt:{n}_{t}C.mpt" for n in PELLETS for t in PELLET_TEMPS_C)
    assert set(failed.values()) == {f"{u.split(':')[1]}: ZeroDivisionError: deliberately broken" for u in failed}
    with store.open(st) as s:
        tb = s.sql("SELECT traceback FROM units WHERE unit_id = 'eis.drt:B_90C.mpt'")["traceback"][0]
        assert "Traceback" in tb and "ZeroDivisionError" in tb
        f = s.sql("SELECT status, error FROM files WHERE path = 'eis/A_110C.mpt'")
        assert f["status"][0] == "error" and "A_110C.mpt" in f["error"][0]
        assert s.sql("SELECT count(*) AS n FROM arrhenius")["n"][0] == 2       # the rest is complete


def test_moved_folder_keeps_its_keys(pellets, tmp_path):
    """Keys hold content hashes and paths relative to the folder: the same files elsewhere give the same keys."""
    from sselab.batch import _hash_inputs, _order, unit_keys
    from sselab.cell import load_manifest
    from sselab.store import jobs as router

    def keys(folder):
        units = _order(router.units_of_work(folder, load_manifest(folder / "cells.yaml", check_files=False)))
        hashes, _ = _hash_inputs((p for u in units for p in u.inputs), folder, {}, True)
        return unit_keys(units, hashes, folder, router="sselab.store.jobs", router_version=router.ROUTER_VERSION)

    before = keys(pellets)
    moved = tmp_path / "moved"
    pellets.rename(moved)
    assert keys(moved) == before and len(before) == 28


def test_rerun_reuses_the_plan_without_reading_the_files(pellets, tmp_path, monkeypatch):
    """An unchanged folder is not read again (the last plan is kept in the store with what decided it); a changed
    file, a new file or a changed manifest makes it plan again."""
    from sselab.recipes import routing

    st = tmp_path / "st"
    first = batch(pellets, st, jobs=1)
    calls = []
    real = routing.load
    monkeypatch.setattr(routing, "load", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = batch(pellets, st, jobs=1)
    assert calls == [] and again.analysed == [] and len(again.skipped) == first.units
    man = pellets / "cells.yaml"
    man.write_text(man.read_text().replace("thickness: 1.0 mm", "thickness: 1.1 mm", 1))   # pellet-A thicker
    r = batch(pellets, st, jobs=1)
    assert calls == [1]
    assert "eis.arrhenius:SSE A" in r.analysed and "eis.arrhenius:SSE B" not in r.analysed
    assert not any(u.startswith("file:") for u in r.analysed)       # the files did not change
