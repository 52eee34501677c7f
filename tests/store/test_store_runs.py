"""Incremental runs, failures, output safety, and a run killed (SIGKILL) mid-way that resumes without redoing the
units it had finished — with the test router (tests/store/store_router.py), independent of the real recipes."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import store_router
from store_helpers import HERE, cli, table_rows
from sselab import store
from sselab.batch import batch
from sselab.errors import MissingDependencyError, SselabError
from sselab.outputs import OutputError

PART = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{16}$")
N_FILES = 8


def run(data, st, **kw):
    kw.setdefault("jobs", 1)
    return batch(data, st, router=store_router, **kw)


def test_values_recover_the_simulated_law(series, tmp_path):
    r = run(series, tmp_path / "st", jobs=2)              # the test router on the process pool's workers
    assert r.backend == "process pool" and r.workers == 2
    assert len(r.analysed) == N_FILES + 1 and not r.failed
    with store.open(tmp_path / "st") as st:
        (ea, s30), = st.rows("SELECT Ea_eV, sigma_30C_S_per_m FROM arrhenius")[1]
        assert ea == pytest.approx(store_router.EA_EV, abs=0.005)
        assert s30 == pytest.approx(store_router.SIGMA30_S_PER_M, rel=0.02)
        # one row per spectrum and parameter: R0, R1, CPE1_Q, CPE1_alpha, CPE2_Q, CPE2_alpha
        assert st.sql("SELECT count(*) AS n FROM fits")["n"][0] == N_FILES * 6
        assert sorted(st.sql("SELECT DISTINCT param FROM fits")["param"]) == [
            "CPE1_Q", "CPE1_alpha", "CPE2_Q", "CPE2_alpha", "R0", "R1"]


def test_changed_file_reruns_only_its_unit_and_the_dependent_one(series, tmp_path):
    st = tmp_path / "st"
    run(series, st)
    before = table_rows(st)
    # the 50 °C file re-measured (new noise)
    store_router.write_series(series, temps_C=(50,), seed=99)
    r = run(series, st)
    assert sorted(r.analysed) == ["arrhenius:test pellet", "file:pellet_50C.mpt"]
    assert len(r.skipped) == N_FILES - 1
    after = table_rows(st)
    assert after["fits"][1] != before["fits"][1] and len(after["fits"][1]) == len(before["fits"][1])
    assert len(after["units"][1]) == N_FILES + 1       # replaced, not duplicated
    # unchanged units kept their rows exactly
    unchanged = [row for row in before["fits"][1] if row[0] != "file:pellet_50C.mpt"]
    assert set(unchanged) <= set(after["fits"][1])


def test_removed_file_removes_its_unit(series, tmp_path):
    st = tmp_path / "st"
    run(series, st)
    (series / "pellet_100C.mpt").unlink()
    r = run(series, st)
    assert r.removed == ["file:pellet_100C.mpt"] and r.analysed == ["arrhenius:test pellet"]
    with store.open(st) as s:
        assert s.sql("SELECT count(*) AS n FROM units")["n"][0] == N_FILES
        assert s.sql("SELECT count(*) AS n FROM files WHERE path = 'pellet_100C.mpt'")["n"][0] == 0
        assert s.sql("SELECT n FROM (SELECT count(*) AS n FROM arrhenius_points)")["n"][0] == N_FILES - 1


def test_unreadable_file_fails_its_unit_in_one_line_and_is_retried_on_request(series, tmp_path):
    st = tmp_path / "st"
    (series / "pellet_110C.mpt").write_bytes(b"EC-Lab ASCII FILE\r\nNb header lines : 3\r\n\r\ngarbage\r\n")
    r = run(series, st)
    assert [u for u, _ in r.failed] == ["file:pellet_110C.mpt"]
    err = r.failed[0][1]
    assert "pellet_110C.mpt" in err and "\n" not in err
    with store.open(st) as s:
        f = s.sql("SELECT status, error FROM files WHERE path = 'pellet_110C.mpt'")
        assert f["status"][0] == "error" and f["error"][0] == err
        u = s.sql("SELECT status, error FROM units WHERE unit_id = 'file:pellet_110C.mpt'")
        assert u["status"][0] == "error" and u["error"][0] == err
    assert run(series, st).analysed == []                      # unchanged: not retried by default
    assert run(series, st, retry_failed=True).analysed == ["file:pellet_110C.mpt"]


def test_a_failing_recipe_is_one_line_with_the_traceback_kept(series, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise ZeroDivisionError("deliberately broken")

    monkeypatch.setattr(store_router, "run", lambda job, m, up: boom() if job.kind == "file" else [])
    r = run(series, tmp_path / "st")
    assert len(r.failed) == N_FILES and r.failed[0][1] == "ZeroDivisionError: deliberately broken"
    with store.open(tmp_path / "st") as s:
        tb = s.sql("SELECT traceback FROM units WHERE status = 'error' LIMIT 1")["traceback"][0]
        assert "Traceback" in tb and "ZeroDivisionError" in tb


def test_compaction_keeps_the_store_small(series, tmp_path, monkeypatch):
    from sselab.store import layout

    monkeypatch.setattr(layout, "MAX_SEGMENTS", 3)
    st = tmp_path / "st"
    run(series, st)
    for seed in range(5):
        store_router.write_series(series, temps_C=(30,), seed=200 + seed)
        run(series, st)
    doc = json.loads((st / "store.json").read_text())
    assert len(doc["segments"]) <= 3 and not [p for p in (st / "parts").iterdir()]
    assert table_rows(st)["units"][1].__len__() == N_FILES + 1
    n_files = sum(1 for _ in (st / "data").rglob("*.parquet"))
    assert n_files == sum(len(s["tables"]) for s in doc["segments"].values())     # nothing orphaned


# ---------------------------------------------------------------------------------------------------------------
# killed runs
# ---------------------------------------------------------------------------------------------------------------

def _finished_parts(st: Path) -> dict[str, str]:
    """unit id → part folder, for the finished units present on disk."""
    out = {}
    parts = st / "parts"
    for d in parts.iterdir() if parts.is_dir() else ():
        if PART.match(d.name) and (d / "unit.json").is_file():
            out[json.loads((d / "unit.json").read_text())["unit_id"]] = d.name
    return out


@pytest.mark.parametrize("commit_every_s", [3600.0, 0.0], ids=["uncommitted", "committed"])
def test_sigkill_mid_run_resumes_without_redoing_finished_units(series, tmp_path, commit_every_s):
    clean = tmp_path / "clean"
    run(series, clean)
    st = tmp_path / "st"
    script = (f"import sys; sys.path.insert(0, {str(HERE)!r})\n"
              f"from sselab.batch import batch\n"
              f"batch({str(series)!r}, {str(st)!r}, router='store_router', jobs=1, "
              f"commit_every_s={commit_every_s})\n")
    env = {**os.environ, "SSELAB_TEST_UNIT_SLEEP": "0.5"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    finished: dict = {}
    while time.monotonic() < deadline and proc.poll() is None:
        finished = _finished_parts(st)
        if len(finished) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    finished = _finished_parts(st)           # parts stay in parts/ until the end-of-run compaction
    assert 3 <= len(finished) < N_FILES + 1

    # the killed store is readable: exactly its last committed state, no half-written table
    with store.open(st) as s:
        committed = set(s.state.units)
        assert s.sql("SELECT count(*) AS n FROM units")["n"][0] == len(committed)
        n_fitted = s.sql("SELECT count(DISTINCT unit_id) AS n FROM fits")["n"][0]
        assert n_fitted == len(committed - {"arrhenius:test pellet"})
    if commit_every_s:
        assert not committed        # nothing committed after the first (empty) commit
    else:
        assert committed and committed <= set(finished)

    analysed = []
    r = run(series, st, on_unit=lambda out: analysed.append(out.unit_id))
    assert not set(analysed) & set(finished), "a unit finished before the kill was analysed again"
    assert set(r.adopted) | set(r.skipped) == set(finished)
    assert len(r.analysed) + len(r.adopted) + len(r.skipped) == N_FILES + 1
    assert table_rows(st) == table_rows(clean)
    assert not [p for p in (st / "parts").iterdir()] and not list(st.rglob(".tmp-*"))


def test_interrupted_commit_leaves_the_previous_state(series, tmp_path, monkeypatch):
    """A crash while store.json is replaced (simulated): readers still see the last commit; the next run finishes."""
    from sselab.store import layout

    st = tmp_path / "st"
    clean = tmp_path / "clean"
    run(series, clean)
    store_router.write_series(series, temps_C=(40,), seed=5)
    run(series, st, commit_every_s=3600)
    before = table_rows(st)
    store_router.write_series(series, temps_C=(30, 40), seed=7)      # back to the clean run's files
    real = layout._atomic_json
    calls = []

    def crash(path, doc):
        calls.append(path)
        if len(calls) == 2:                # the commit after the analysis (the first wrote the hash cache)
            tmp = path.with_name(".store.json.crash1234.part")
            tmp.write_text(json.dumps(doc)[: 200])        # a half-written temporary file …
            raise OSError(28, "No space left on device")   # … and the disk is full
        return real(path, doc)

    monkeypatch.setattr(layout, "_atomic_json", crash)
    with pytest.raises(OSError):
        run(series, st)
    monkeypatch.setattr(layout, "_atomic_json", real)
    assert table_rows(st) == before                  # the previous commit, intact
    r = run(series, st)
    # the 30 °C file was rewritten with the same content: skipped; the 40 °C unit finished before the crash
    assert sorted(r.adopted) == ["arrhenius:test pellet", "file:pellet_40C.mpt"] and r.analysed == []
    assert table_rows(st, mtime=False) == table_rows(clean, mtime=False)
    assert not list(st.glob(".store.json.*"))       # the half-written temporary manifest was cleaned up


# ---------------------------------------------------------------------------------------------------------------
# where a store may be written
# ---------------------------------------------------------------------------------------------------------------

def test_refuses_foreign_and_unsafe_locations(series, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not written by sselab"):
        run(series, foreign)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    with pytest.raises(OutputError, match="inside the input folder"):
        run(series, series / "st")
    rep = tmp_path / "report"
    rep.mkdir()
    (rep / ".sselab-output.json").write_text(json.dumps({"tool": "sselab", "kind": "report", "files": []}))
    with pytest.raises(OutputError, match="report folder, not a results store"):
        run(series, rep)
    st = tmp_path / "st"
    run(series, st)
    other = tmp_path / "other"
    store_router.write_series(other, temps_C=(30, 40))
    with pytest.raises(SselabError, match="holds the results of"):
        run(other, st)


def test_second_writer_is_refused(series, tmp_path):
    from sselab.outputs import output_lock

    st = tmp_path / "st"
    run(series, st)
    with output_lock(st):
        with pytest.raises(OutputError, match="another sselab run"):
            run(series, st)


def test_cli_batch_errors_are_one_line(series, tmp_path):
    res = cli("batch", tmp_path / "nope", "--store", tmp_path / "st", ok=False)
    assert res.exit_code == 2 and res.output.strip().startswith("error:") and len(res.output.strip().splitlines()) == 1
    res = cli("batch", series, "--store", tmp_path / "st", "--scheduler", "tcp://127.0.0.1:1", ok=False)
    assert res.exit_code == 2 and "no Dask scheduler answers" in res.output
    assert not (tmp_path / "st").exists()        # checked before anything was created


def test_missing_extras_name_the_pip_command(series, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'sselab\[dask\]'"):
        run(series, tmp_path / "st", scheduler="tcp://127.0.0.1:8786")
    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'sselab\[store\]'"):
        store.open(tmp_path)


def test_an_open_reader_survives_a_writer_replacing_segments(series, tmp_path):
    st = tmp_path / "st"
    run(series, st)
    with store.open(st) as reader:
        n0 = reader.sql("SELECT count(*) AS n FROM fits")["n"][0]
        old = reader.sql("SELECT value FROM fits WHERE file = 'pellet_60C.mpt' AND param = 'R1'")["value"][0]
        store_router.write_series(series, temps_C=(60,), seed=123)
        run(series, st)                    # compaction: the segments the reader's views point at are deleted
        new = reader.sql("SELECT value FROM fits WHERE file = 'pellet_60C.mpt' AND param = 'R1'")["value"][0]
        assert reader.sql("SELECT count(*) AS n FROM fits")["n"][0] == n0
    assert new != old
    with store.open(st) as fresh:
        assert fresh.sql("SELECT value FROM fits WHERE file = 'pellet_60C.mpt' AND param = 'R1'")["value"][0] == new
