"""`sselab eis fit` on real files holding several spectra: every spectrum is fitted on its own (the same answer as
the report and the API give for that spectrum) and tabulated.  Truth: each spectrum fitted alone with
:func:`sselab.eis.fit`, and the files' own content (pyimpspec's case-multiple-spectra.mpt holds the same 29-point
sweep three times)."""
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import shared_path
from sselab.cli import app
from sselab.eis import fit
from sselab.io import read

runner = CliRunner()
CIRCUIT = "R0-p(R1,CPE1)-CPE2"


def run(*args):
    return runner.invoke(app, ["eis", *[str(a) for a in args]], env={"COLUMNS": "250"})


def params(res):
    t = next(t for t in res["tables"] if t["name"] == "parameters")
    return {r[0]: r[1] for r in t["rows"]}


def val(res, key):
    return next(v for v in res["values"] if v["key"] == key)["value"]


def test_case_multiple_spectra_every_spectrum_fitted_and_tabulated():
    path = shared_path("data", "instruments", "vyrjana+pyimpspec", "tests", "case-multiple-spectra.mpt")
    spectra = read(path).spectra()
    assert len(spectra) == 3
    r = run("fit", path, "--circuit", CIRCUIT, "--json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)["results"]
    assert [x["subject"] for x in recs] == [f"case-multiple-spectra.mpt#{k}" for k in (1, 2, 3)]
    single = fit(*spectra[0], CIRCUIT)
    for x, (f, z) in zip(recs, spectra):
        assert not [fl for fl in x["flags"] if fl["code"] == "fit-not-converged"]
        # the three sweeps are identical in the file, so are the fits, and they equal the lone fit
        for k, v in single.params.items():
            assert params(x)[k] == pytest.approx(v, rel=1e-3), k
    t = run("fit", path, "--circuit", CIRCUIT)
    assert t.exit_code == 0, t.output
    for k in (1, 2, 3):
        assert f"case-multiple-spectra.mpt#{k}" in t.stdout


def test_many_distinct_spectra_each_is_its_lone_fit():
    path = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", "geis.mpt")
    spectra = read(path).spectra()
    assert len(spectra) == 61
    r = run("fit", path, "--circuit", CIRCUIT, "--json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)["results"]
    assert len(recs) == 61 and len({x["subject"] for x in recs}) == 61
    assert not [fl for x in recs for fl in x["flags"] if fl["code"] == "fit-not-converged"]
    # the spectra differ, so do the fits
    assert len({round(params(x)["R1"], 6) for x in recs}) > 50
    # every spectrum is fitted on its own: the same χ² as the lone fit (so the report and the API agree)
    for k in (0, 17, 30, 45, 60):
        f, z = spectra[k]
        lone = fit(f[f > 0], z[f > 0], CIRCUIT)
        assert val(recs[k], "chi2_reduced") == pytest.approx(lone.chi2_reduced, rel=1e-9), k


def test_cli_lf_loop_option(tmp_path):
    from sselab.eis import Circuit

    f = np.logspace(7, -3, 71)
    truth = {"L0": 5e-6, "R0": 50.0, "R1": 2600.0, "CPE1_Q": 8e-10, "CPE1_alpha": 0.9, "R2": 8400.0,
             "CPE2_Q": 1.7e-8, "CPE2_alpha": 0.85, "R4": 3000.0, "L4": 3e4}
    z = Circuit("L0-R0-p(R1,CPE1)-p(R2,CPE2,R4-L4)").impedance(f, truth)
    p = tmp_path / "lili.csv"
    np.savetxt(p, np.column_stack([f, z.real, z.imag]), delimiter=",", header="freq_Hz,z_real_ohm,z_imag_ohm",
               comments="")
    for opt, state in (("auto", "excluded from the fit"), ("keep", "kept in the fit"),
                       ("exclude", "excluded from the fit")):
        r = run("fit", p, "--circuit", "L0-R0-p(R1,CPE1)-p(R2,CPE2)", "--electrodes", "li", "--lf-loop", opt,
                "--json")
        assert r.exit_code == 0, r.output
        res = json.loads(r.stdout)["results"][0]
        (loop,) = [f for f in res["flags"] if f["code"] == "lf-inductive-loop"]
        assert state in loop["message"] and res["options"]["lf_loop"] == opt
    r = run("fit", p, "--circuit", "L0-R0-p(R1,CPE1)-p(R2,CPE2)", "--electrodes", "li")
    assert r.exit_code == 0 and "low-frequency inductive loop" in r.output
    k = run("kk", p, "--json", "--lf-loop", "exclude")
    assert k.exit_code == 0, k.output
    assert json.loads(k.stdout)["spectra"][0]["result"]["lf_loop_excluded"] is True
    bad = run("fit", p, "--lf-loop", "drop")
    assert bad.exit_code == 2 and "--lf-loop" in bad.output
