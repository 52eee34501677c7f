"""`sselab batch` on the demo folder, then `sselab query`: the store holds the numbers the analysis API (the HTML
report's analysis, sselab.eis.fit_batch, sselab.transport.arrhenius.fit_arrhenius) gives on the same files, and the
values the data were simulated with; a second run analyses nothing."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from store_helpers import cli

MATERIALS = {"Li2NH cold pressed": "CP-Au", "Li2NH milled + cold pressed": "MCP-Au", "Li2NH hot pressed": "HP-Au"}


def q(store, sql):
    return json.loads(cli("query", store, sql, "--json").stdout)


@pytest.fixture(scope="module")
def report(demo, tmp_path_factory):
    """The HTML report's analysis of the same folder (numbers only)."""
    from sselab.report.build import build_report

    return build_report(demo.data, tmp_path_factory.mktemp("rep") / "report", figures=False).to_dict()


def test_first_run_analyses_every_unit(demo):
    first = demo.first
    assert first["units"] == 12 and first["analysed"] == 12 and not first["failed"]
    assert first["workers"] == 2 and first["backend"] == "process pool"
    assert first["tables"]["files"] == 21 and first["tables"]["units"] == 12


def test_count_of_fits_is_the_reports(demo, report):
    """One row per spectrum and circuit parameter: the report fitted the same spectra with the same circuits."""
    n = sum(len(sp["fit"]["param_names"]) for s in report["sections"] if s["kind"] == "eis"
            for sp in s["result"]["spectra"])
    assert q(demo.store, "SELECT count(*) AS n FROM fits") == [{"n": n}]
    assert n == 116     # 17 spectra: 15 blocking (two resolved two-arc fits of 9, 13 one-arc of 6) + 2 Li|Li of 10


def test_arrhenius_query_matches_the_report_and_the_truth(demo, report):
    rows = q(demo.store, "SELECT subject, Ea_eV, Ea_eV_stderr, sigma_30C_S_per_m, n_points FROM arrhenius "
                         "ORDER BY subject")
    assert [r["subject"] for r in rows] == sorted(MATERIALS)
    nums = {(n["subject"], n["quantity"]): n for n in report["summary"]}
    for r in rows:
        mat = r["subject"]
        assert r["Ea_eV"] == pytest.approx(nums[(mat, "Ea_eV")]["value"], rel=1e-12)
        assert r["Ea_eV_stderr"] == pytest.approx(nums[(mat, "Ea_eV")]["stderr"], rel=1e-9)
        # the report shows mS/cm, the store keeps S/m
        assert r["sigma_30C_S_per_m"] * 10 == pytest.approx(nums[(mat, "sigma_30C_mS_per_cm")]["value"], rel=1e-12)
        assert r["n_points"] == 5
        # and the values the demo was simulated with (Lowen et al. 2025, Fig. 1f)
        truth = demo.truth["materials"][mat]
        assert r["Ea_eV"] == pytest.approx(truth["Ea_eV"], abs=0.01)
        assert r["sigma_30C_S_per_m"] * 10 == pytest.approx(truth["sigma_30C_mS_per_cm"], rel=0.03)


def test_other_numbers_match_the_report(demo, report):
    """Every number of the report's eis, dcpol, cv and cycling sections is in the values table (SI there)."""
    from sselab import units

    nums = {(n["subject"], n["quantity"]): n for n in report["summary"] if n["section"] in
            ("eis", "dcpol", "cv", "cycling")}
    vals = {(r["subject"], r["key"]): r for r in q(demo.store, "SELECT subject, key, value, value_text, unit, stderr "
                                                                "FROM \"values\"")}
    rename = {"sigma_30C_mS_per_cm": ("sigma_30C_S_per_m", "mS/cm"), "asr_interface_ohm_cm2":
              ("asr_interface_ohm_m2", "ohm cm2"), "sigma_e_nS_per_cm": ("sigma_e_S_per_m", "nS/cm"),
              "short_current_density_uA_per_cm2": ("short_current_density_A_per_m2", "uA/cm2"),
              "ccd_uA_per_cm2": ("ccd_A_per_m2", "uA/cm2"),
              "first_discharge_mAh_per_g": ("first_discharge_C_per_kg", "mAh/g"),
              "last_discharge_mAh_per_g": ("last_discharge_C_per_kg", "mAh/g")}
    checked = 0
    for (subject, quantity), n in nums.items():
        key, shown = rename.get(quantity, (quantity, None))
        v = vals[(subject, key)]
        if isinstance(n["value"], str):
            assert (v["value_text"] or "") == n["value"], (subject, quantity)
        else:
            got = v["value"] if shown is None else float(units.convert(v["value"], v["unit"], shown))
            assert got == pytest.approx(n["value"], rel=1e-9), (subject, quantity)
        checked += 1
    assert checked == len(nums) >= 25


def test_fits_equal_a_direct_fit_batch(demo):
    """The one-arc fits stored for CP-Au are what sselab.eis.fit_batch gives on the same spectra."""
    from sselab.eis import fit_batch
    from sselab.io import read
    from sselab.report.sections import BLOCKING_BOUNDS, BLOCKING_CIRCUIT

    files = sorted((demo.data / "eis").glob("CP_*.mpt"), key=lambda p: int(p.stem.rsplit("_", 1)[1][:-1]))
    spectra = [read(p).spectra()[0] for p in files]
    direct = fit_batch(spectra, BLOCKING_CIRCUIT, bounds=BLOCKING_BOUNDS, labels=[p.name for p in files])
    rows = q(demo.store, "SELECT spectrum, param, value, circuit FROM fits WHERE subject = 'CP-Au' "
                         "ORDER BY spectrum, param")
    compared = 0
    for r in rows:
        if r["circuit"] != BLOCKING_CIRCUIT:
            continue            # a spectrum where the two-arc circuit fitted better (the report's choice)
        assert r["value"] == pytest.approx(direct[r["spectrum"]].params[r["param"]], rel=1e-9)
        compared += 1
    assert compared >= 3 * 6


def test_arrhenius_equals_fit_arrhenius_on_the_stored_points(demo):
    from sselab.transport.arrhenius import fit_arrhenius

    pts = q(demo.store, "SELECT T_K, sigma_S_per_m, sigma_stderr_S_per_m FROM arrhenius_points "
                        "WHERE subject = 'Li2NH hot pressed' ORDER BY T_K")
    fit = fit_arrhenius(np.array([p["T_K"] for p in pts]), np.array([p["sigma_S_per_m"] for p in pts]),
                        np.array([p["sigma_stderr_S_per_m"] for p in pts]), convention="sigmaT")
    (row,) = q(demo.store, "SELECT Ea_eV, sigma_25C_S_per_m FROM arrhenius WHERE subject = 'Li2NH hot pressed'")
    assert row["Ea_eV"] == pytest.approx(fit.Ea_eV, rel=1e-12)
    assert row["sigma_25C_S_per_m"] == pytest.approx(fit.sigma_25C_S_per_m, rel=1e-12)


def test_files_table(demo):
    rows = q(demo.store, "SELECT path, sha256, size_bytes, technique, status, cell, temperature_K FROM files "
                         "ORDER BY path")
    assert len(rows) == 21 and all(r["status"] == "ok" for r in rows)
    for r in rows:
        p = demo.data / r["path"]
        assert r["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest() and r["size_bytes"] == p.stat().st_size
    by = {r["path"]: r for r in rows}
    assert by["eis/MCP_Au-Li2NH-Au_70C.mpt"]["temperature_K"] == pytest.approx(343.15)
    assert by["eis/MCP_Au-Li2NH-Au_70C.mpt"]["cell"] == "MCP-Au"
    assert by["cv/Li-Li2NH-steel_CV_1mVs_40C.mpt"]["technique"] == "CV"


def test_results_read_back_as_recipe_results(demo):
    from sselab import store

    with store.open(demo.store) as st:
        res = st.results(recipe="transport.arrhenius")
        assert sorted(r.subject for r in res) == sorted(MATERIALS)
        vals = st.sql("SELECT subject, value FROM \"values\" WHERE key = 'Ea_eV'")
        for r in res:
            assert r["Ea_eV"].value == vals.set_index("subject").loc[r.subject, "value"]
            assert r.figures["T_line_K"] and r.table("arrhenius_points").rows
        assert len(st.results()) == 12


def test_second_run_analyses_nothing(demo):
    before = demo.store.joinpath("store.json").read_text()
    again = json.loads(cli("batch", demo.data, "--store", demo.store, "--json").stdout)
    assert again["analysed"] == 0 and again["skipped"] == 12 and again["adopted"] == 0
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
