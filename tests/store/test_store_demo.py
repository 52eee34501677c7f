"""`sselab batch` on the demo folder, then `sselab query`: one file gives one answer — every result in the store is
identical (not approximately: the same JSON) to the HTML report's on the same folder, because both run the recipes'
routing (sselab.recipes.routing); the Arrhenius fits also recover the values the demo was simulated with; a second
run analyses nothing."""
from __future__ import annotations

import hashlib
import json

import pytest

from store_helpers import cli

MATERIALS = ("Li2NH cold pressed", "Li2NH hot pressed", "Li2NH milled + cold pressed")


def q(store, sql):
    return json.loads(cli("query", store, sql, "--json").stdout)


@pytest.fixture(scope="module")
def report(demo, tmp_path_factory):
    """The HTML report's results.json for the same folder (numbers only, no figures drawn)."""
    from sselab.report.build import build_report

    out = tmp_path_factory.mktemp("rep") / "report"
    build_report(demo.data, out, figures=False)
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _report_results(report) -> dict:
    out = {}
    for s in report["sections"]:
        for r in s["results"]:
            key = (r["recipe"], r["subject"], tuple(r["inputs"]))
            assert out.get(key, r) == r
            out[key] = r
    return out


def _store_results(store) -> dict:
    out = {}
    for row in q(store, "SELECT json FROM results"):
        r = json.loads(row["json"])
        key = (r["recipe"], r["subject"], tuple(r["inputs"]))
        assert key not in out, key
        out[key] = r
    return out


def test_first_run_one_unit_per_file_and_per_routing_job(demo, report):
    first = demo.first
    jobs = len(_report_results(report)) + len(report["analysis_errors"])
    assert first["units"] == len(report["files"]) + jobs and first["analysed"] == first["units"]
    assert not first["failed"] and not report["analysis_errors"]
    assert first["workers"] == 2 and first["backend"] == "process pool"
    assert first["tables"]["files"] == len(report["files"]) and first["tables"]["results"] == jobs


def test_every_result_is_the_reports(demo, report):
    """The acceptance of "one file, one answer": the same recipes on the same files with the same cells and options
    give byte-identical results (values, errors, flags, tables, options) — also those that use other results (the
    overlays get the per-file fits, the materials comparison the Arrhenius fits, read back from the store)."""
    rep, sto = _report_results(report), _store_results(demo.store)
    assert set(sto) == set(rep)
    recipes = {k[0] for k in rep}
    assert {"eis.blocking", "eis.symmetric", "eis.arrhenius", "eis.arrhenius.compare", "eis.overlay", "eis.series",
            "eis.drt", "dcpol", "dcpol.pair", "cv", "cycling.symmetric", "cycling.full", "xrd.pattern",
            "operando"} <= recipes
    for key in rep:
        a, b = rep[key], sto[key]
        for part in ("values", "flags", "tables", "options", "sselab_version"):
            assert a[part] == b[part], (key, part)
    # and the same rows in the values table
    rows = q(demo.store, "SELECT r.recipe, r.subject, r.inputs, v.key, v.value, v.stderr FROM \"values\" v "
                         "JOIN results r USING (unit_id, result)")
    vals = {(r["recipe"], r["subject"], tuple(r["inputs"]), r["key"]): r for r in rows}
    assert len(vals) == len(rows)
    n = 0
    for (recipe, subject, inputs), r in rep.items():
        for v in r["values"]:
            s = vals[(recipe, subject, inputs, v["key"])]
            if isinstance(v["value"], (int, float)) and not isinstance(v["value"], bool):
                assert s["value"] == v["value"] and s["stderr"] == v["stderr"], (recipe, subject, v["key"])
            n += 1
    assert n == len(vals) > 400


def test_count_of_fits_is_the_reports(demo, report):
    """`fits`: one row per fitted circuit parameter of every single-spectrum impedance result."""
    n = sum(len(t["rows"]) for r in _report_results(report).values() if r["recipe"] in ("eis.blocking", "eis.symmetric")
            for t in r["tables"] if t["name"] == "parameters")
    assert q(demo.store, "SELECT count(*) AS n FROM fits") == [{"n": n}]
    # 22 single spectra, each with its chosen circuit's parameters (R0, R1, CPE1_Q, CPE1_alpha, …)
    assert q(demo.store, "SELECT count(DISTINCT unit_id) AS n FROM fits") == [{"n": 22}] and n > 22 * 5


def test_arrhenius_query_is_the_reports_and_recovers_the_simulation(demo, report):
    rows = q(demo.store, "SELECT subject, Ea_eV, Ea_eV_stderr, sigma_30C_S_per_m, n_points FROM arrhenius "
                         "ORDER BY subject")
    assert [r["subject"] for r in rows] == list(MATERIALS)
    rep = {k[1]: r for k, r in _report_results(report).items() if k[0] == "eis.arrhenius"}
    for r in rows:
        vals = {v["key"]: v for v in rep[r["subject"]]["values"]}
        assert r["Ea_eV"] == vals["Ea_eV"]["value"] and r["Ea_eV_stderr"] == vals["Ea_eV"]["stderr"]
        assert r["sigma_30C_S_per_m"] == vals["sigma_30C_S_per_m"]["value"]
        assert r["n_points"] == 5
        # the values the demo was simulated with (Lowen et al. 2025, Fig. 1f)
        truth = demo.truth["materials"][r["subject"]]
        assert r["Ea_eV"] == pytest.approx(truth["Ea_eV"], abs=0.01)
        assert r["sigma_30C_S_per_m"] * 10 == pytest.approx(truth["sigma_30C_mS_per_cm"], rel=0.03)
    pts = q(demo.store, "SELECT count(*) AS n FROM arrhenius_points WHERE subject = 'Li2NH hot pressed'")
    assert pts == [{"n": 5}]


def test_files_table_is_the_reports_file_list(demo, report):
    rows = q(demo.store, "SELECT path, sha256, size_bytes, format, technique, cell, temperature_K, status, error, "
                         "warnings FROM files ORDER BY path")
    rep = {f["file"]: f for f in report["files"]}
    assert [r["path"] for r in rows] == sorted(rep)
    for r in rows:
        f = rep[r["path"]]
        for col, key in (("format", "format"), ("technique", "technique"), ("cell", "cell"),
                         ("temperature_K", "temperature_K"), ("status", "status"), ("error", "error"),
                         ("warnings", "warnings")):
            assert r[col] == f[key], (r["path"], col)
        p = demo.data / r["path"]
        if p.is_file():
            assert r["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest() and r["size_bytes"] == p.stat().st_size
        else:                                   # an operando series (…/operando.yaml#xrd) or an instrument folder
            assert r["sha256"] and len(r["sha256"]) == 64
    by = {r["path"]: r for r in rows}
    assert by["eis/MCP_Au-Li2NH-Au_70C.mpt"]["temperature_K"] == pytest.approx(343.15)
    assert by["eis/MCP_Au-Li2NH-Au_70C.mpt"]["cell"] == "MCP-Au"


def test_results_read_back_as_recipe_results(demo):
    from sselab import store

    with store.open(demo.store) as st:
        res = st.results(recipe="eis.arrhenius")
        assert sorted(r.subject for r in res) == list(MATERIALS)
        vals = st.sql("SELECT subject, value FROM \"values\" WHERE recipe = 'eis.arrhenius' AND key = 'Ea_eV'")
        for r in res:
            assert r["Ea_eV"].value == vals.set_index("subject").loc[r.subject, "value"]
            assert r.figures and r.table("points").rows
        assert len(st.results()) == demo.first["tables"]["results"]


def test_second_run_analyses_nothing(demo):
    before = demo.store.joinpath("store.json").read_text()
    again = json.loads(cli("batch", demo.data, "--store", demo.store, "--json").stdout)
    assert again["analysed"] == 0 and again["skipped"] == demo.first["units"] and again["adopted"] == 0
    assert again["tables"] == demo.first["tables"]
    assert json.loads(demo.store.joinpath("store.json").read_text())["units"] == json.loads(before)["units"]


def test_query_errors_are_one_line(demo, tmp_path):
    res = cli("query", demo.store, "SELEC count(*) FROM fits", ok=False)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: query:") and "syntax error" in lines[0]
    res = cli("query", demo.store, "SELECT nope FROM fits", ok=False)
    assert res.exit_code == 2 and "nope" in res.output and len(res.output.strip().splitlines()) == 1
    res = cli("query", tmp_path, "SELECT 1", ok=False)
    assert res.exit_code == 2 and "not an sselab results store" in res.output


def test_query_lists_tables_and_prints_csv(demo):
    res = cli("query", demo.store)
    assert "fits" in res.stdout and "arrhenius" in res.stdout
    csv = cli("query", demo.store, "SELECT subject, n_points FROM arrhenius ORDER BY subject", "--csv").stdout
    assert csv.splitlines()[0] == "subject,n_points" and len(csv.splitlines()) == 4
