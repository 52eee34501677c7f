"""Recipe ``eis.drt`` and CLI ``sselab eis drt``: the contract, real files, and every EIS file in ../shared/data.

Truth for the real pellet: the source project's published fit of EISFitpython ``Example2b.txt`` (LAGP,
R1 = 4.471e4 Ω with n1 = 0.850, R2 = 4.712e4 Ω with n2 = 0.819 — data/INDEX.md); the DRT finds the two arcs and
its refined peaks match it."""
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import readable_files, shared_path
from sselab import recipes
from sselab.cell import CellSpec
from sselab.cli import app
from sselab.errors import SselabError
from sselab.io import read
from sselab.io.base import Measurement

F = np.logspace(6, -2, 61)


def _measurement(Z, f=F, name="synthetic.csv", T=None):
    from pathlib import Path

    df = pd.DataFrame({"freq_Hz": f, "z_real_ohm": Z.real, "z_imag_ohm": Z.imag})
    return Measurement(df, source=Path(name), technique="EIS", temperature_K=T)


def _zarc(R, tau, phi, f=F):
    return R / (1 + (2j * np.pi * f * tau) ** phi)


def test_registered_and_contract():
    spec = recipes.get("eis.drt")
    assert "eis.drt" in recipes.names() and spec.plot is not None and spec.techniques == ("EIS",)
    Z = 10 + _zarc(1e5, 5e-7, 0.95) + _zarc(3e5, 3e-4, 0.85)
    cell = CellSpec.from_strings(thickness="1mm", diameter="10mm")
    res = spec.run([_measurement(Z, T=303.15)], cell, band=False)
    assert res.recipe == "eis.drt" and res.ok
    assert res["n_peaks"].value == 2
    assert res["R_1_ohm"].value == pytest.approx(1e5, rel=0.01) and res["R_2_ohm"].value == pytest.approx(3e5, rel=0.01)
    assert res["tau_1_s"].value == pytest.approx(5e-7, rel=0.01)
    # C·L/A with L/A = 1.27 cm⁻¹: 5 pF → 6.4e-12 F/cm: bulk; 1 nF → 1.3e-9 F/cm: grain boundary
    assert "bulk" in res["R_1_ohm"].label and "grain boundary" in res["R_2_ohm"].label
    assert res["C_1_F"].display_unit == "pF" and res["C_1_F"].value == pytest.approx(5e-12, rel=0.02)
    assert res.options["lam"] == "auto" and res.options["band"] is False and "tail" in res.options
    peaks = res.table("peaks")
    assert peaks.columns[:6] == ("label", "T_K", "time_s", "peak", "track", "tau_s") and len(peaks.rows) == 2
    back = recipes.RecipeResult.from_json(res.to_json(figures=True))
    assert back.values == res.values and back.tables == res.tables
    figs = spec.plot(back)                                 # figures are drawn from the JSON round trip too
    assert [f.name for f in figs] == ["drt_synthetic_csv"]


def test_series_values_tables_and_figures():
    from sselab.simulate import ArrheniusLaw, eis_blocking

    rng = np.random.default_rng(3)
    ms = []
    for T in (263.15, 273.15, 283.15, 293.15, 303.15):
        s = eis_blocking(T, bulk=ArrheniusLaw(0.01, 0.45), gb=ArrheniusLaw(0.003, 0.6), noise=0.005, rng=rng)
        f, z = s.impedance()
        ms.append(_measurement(z, f, name=f"t{T:.0f}.csv", T=T))
    cell = CellSpec.from_strings(thickness="1mm", diameter="10mm")
    res = recipes.get("eis.drt").run(ms, cell, band=False)
    assert res["n_spectra"].value == 5 and res["n_tracks"].value == 2
    assert res["Ea_bulk_eV"].value == pytest.approx(0.45, abs=0.01)
    assert res["Ea_grain_boundary_eV"].value == pytest.approx(0.60, abs=0.01)
    assert res["Ea_bulk_eV"].stderr < 0.01
    assert len(res.table("tracks").rows) == 2
    # per-spectrum flags that repeat are collapsed into one line per code
    assert len(res.flagged("lf-tail-modelled")) == 1 and "5 of 5" in res.flagged("lf-tail-modelled")[0].where
    names = [f.name for f in recipes.get("eis.drt").plot(res)]
    assert names[-2:] == ["drt_map", "drt_arrhenius"] and len(names) == 7


def test_per_file_results_of_a_cell_draw_one_overlay():
    """The report's section for the per-file DRTs of one cell: one overlay coloured by temperature (not a figure per
    spectrum); each curve is its spectrum's γ normalised to 1, its peaks where the spectrum's refined peaks are."""
    import matplotlib.pyplot as plt

    spec = recipes.get("eis.drt")
    cell = CellSpec.from_strings(thickness="1mm", diameter="10mm")
    results = [spec.run([_measurement(10 + _zarc(1e5, tau, 0.9), T=T)], cell, band=False)
               for T, tau in ((303.15, 1e-4), (323.15, 3e-5), (343.15, 1e-5))]
    (fo,) = spec.plot_many(results)
    assert fo.name == "drt_overlay"
    ax, cbar = fo.figure.axes
    assert cbar.get_ylabel() == "T (°C)"
    curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
    assert len(curves) == 3 and all(np.nanmax(ln.get_ydata()) == pytest.approx(1.0) for ln in curves)
    for ln, tau in zip(curves, (1e-4, 3e-5, 1e-5)):       # coldest first: the peak at each spectrum's τ
        x, y = np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata())
        assert x[np.argmax(y)] == pytest.approx(tau, rel=0.25)
    plt.close(fo.figure)
    assert [f.name for f in spec.plot_many(results[:1])] == [f.name for f in spec.plot(results[0])]


def test_bad_input_is_a_one_line_recipe_error():
    spec = recipes.get("eis.drt")
    with pytest.raises(SselabError, match="unknown option"):
        spec.run([_measurement(_zarc(1, 1e-3, 0.9))], nonsense=1)
    with pytest.raises(SselabError, match="usable points"):
        spec.run([_measurement(_zarc(1, 1e-3, 0.9))], fmin_Hz=5e5)
    cv = Measurement(pd.DataFrame({"potential_V": [0, 1.0], "current_A": [0, 1e-3]}), technique="CV")
    with pytest.raises(SselabError, match="not an impedance file"):
        spec.run([cv])


def test_real_pellet_matches_the_published_fit():
    m = read(shared_path("data", "instruments", "Sheyigold+EISFitpython", "EIS_Data", "Example-2", "Example2b.txt"))
    res = recipes.get("eis.drt").run([m], band=False)
    p = res.details.results[0].peaks
    assert len(p) == 2
    assert p[0].R_ohm == pytest.approx(4.471e4, rel=0.02) and p[0].alpha == pytest.approx(0.850, abs=0.02)
    assert p[1].R_ohm == pytest.approx(4.712e4, rel=0.02) and p[1].alpha == pytest.approx(0.819, abs=0.02)
    assert res.flagged("lf-tail-modelled")               # the blocking electrode: a tail, not a third peak


# ---------------------------------------------------------------------------------------------------------------
# every EIS file under ../shared/data
def _eis_files():
    return [(p, m) for p, m in readable_files("data", "instruments") if m.is_eis]


def test_every_real_eis_file_runs_or_fails_in_one_line():
    spec = recipes.get("eis.drt")
    files = _eis_files()
    assert len(files) >= 60
    n_ok, errors = 0, []
    for p, m in files:
        try:
            res = spec.run([m], band=False)
        except SselabError as e:
            msg = str(e)
            assert msg and "\n" not in msg, (p, msg)
            errors.append(p.name)
            continue
        n_ok += 1
        for r in res.details.results:
            assert np.all(np.isfinite(r.gamma_ohm)) and np.all(r.gamma_ohm >= 0), p
            assert np.isfinite(r.R_pol_ohm) and np.isfinite(r.R_inf_ohm) and np.isfinite(r.lam), p
            for q in r.peaks:
                assert q.tau_s > 0 and q.R_ohm > 0 and np.isfinite(q.C_F), p
        json.loads(res.to_json())                         # strict JSON
    print(f"\nDRT sweep: {n_ok} files ran, {len(errors)} one-line errors: {errors}")
    assert n_ok >= 60 and set(errors) <= {"zir.mpr", "zir.mpt"}


# ---------------------------------------------------------------------------------------------------------------
# CLI
def _cli(*args):
    return CliRunner().invoke(app, list(map(str, args)))


def test_cli_json_and_figures(tmp_path):
    f = shared_path("data", "instruments", "Sheyigold+EISFitpython", "EIS_Data", "Example-2", "Example2b.txt")
    out = tmp_path / "drt"
    r = _cli("eis", "drt", f, "--thickness", "0.75mm", "--diameter", "13mm", "--json", "--out", out, "--no-band")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    s = doc["spectra"][0]
    assert s["label"] == "Example2b.txt" and len(s["peaks"]) == 2
    p = s["peaks"][0]
    assert {"tau_s", "R_ohm", "R_err_ohm", "C_F", "assignment", "alpha", "f_peak_Hz", "in_window"} <= set(p)
    assert p["R_ohm"] == pytest.approx(4.471e4, rel=0.02)
    assert doc["thickness_m"] == pytest.approx(7.5e-4)
    assert (out / "drt_example2b_txt.png").exists() and (out / "drt_peaks.csv").exists()
    assert any(x.endswith("drt_result.json") for x in doc["figures"])


def test_cli_series_table_and_a_multi_spectrum_file():
    f = shared_path("data", "instruments", "vyrjana+pyimpspec", "tests", "case-multiple-spectra.mpt")
    r = _cli("eis", "drt", f, "--no-band")
    assert r.exit_code == 0, r.output
    assert "DRT per spectrum" in r.stdout and "Processes through the series" in r.stdout
    doc = json.loads(_cli("eis", "drt", f, "--no-band", "--json").stdout)
    assert [s["label"] for s in doc["spectra"]] == [f"case-multiple-spectra.mpt#{k}" for k in (1, 2, 3)]
    assert doc["tracks"] and all(s["peaks"] for s in doc["spectra"])


@pytest.mark.parametrize("args,message", [
    (("--lambda", "abc"), "--lambda"),
    (("--lambda", "-1"), "--lambda"),
    (("--tail", "maybe"), "--tail"),
    (("--lambda-method", "aic"), "--lambda-method"),
])
def test_cli_bad_options_are_one_line(args, message):
    f = shared_path("data", "instruments", "ciuccislab+pyDRTtools", "EIS data", "text files", "zarc_data.txt")
    r = _cli("eis", "drt", f, *args)
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert err.startswith("error:") and message in err and "\n" not in err


def test_cli_non_eis_and_missing_file(tmp_path):
    f = shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", "ca.mpt")
    r = _cli("eis", "drt", f)
    assert r.exit_code == 2 and "not an impedance file" in r.stderr and "\n" not in r.stderr.strip()
    r = _cli("eis", "drt", tmp_path / "nope.mpt")
    assert r.exit_code == 2 and r.stderr.strip().startswith("error:")
