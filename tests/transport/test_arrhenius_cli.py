"""`sselab arrhenius` end to end: impedance files simulated from the Li2NH paper's preparations (Fig. 1f: Ea 0.50 and
0.44 eV, σ(30 °C) = 0.054 and 1.0 mS/cm; 10 mm × 1.2 mm pellets) through the readers, the batch EIS fit and the
Arrhenius fit, checked against the simulation's truth."""
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from sselab.cli import app
from sselab.eis import Circuit
from sselab.simulate import writers
from sselab.transport.arrhenius import convention_offset_eV
from sselab.units import K_B_EV

CIRCUIT = "R0-p(R1,CPE1)-CPE2"
L_M, D_M = 1.2e-3, 10e-3
G = L_M / (math.pi * (D_M / 2) ** 2)          # L/A in 1/m
TEMPS_C = (30, 50, 70, 90, 110)
# preparation: (Ea eV, σ(30 °C) S/m, CPE1_Q chosen so every arc apex sits inside 5 Hz – 13 MHz)
PREPS = {"cold": (0.50, 0.0054, 3e-9), "hot": (0.44, 0.10, 3e-8)}


def sigma_true(T, Ea, s30):
    """σT Arrhenius law through σ(30 °C) = s30 (S/m)."""
    A = s30 * 303.15 * math.exp(Ea / (K_B_EV * 303.15))
    return A / T * math.exp(-Ea / (K_B_EV * T))


def simulate(directory, prep, name_fmt="{prep}_{t}C.csv", temps=TEMPS_C, seed=0):
    Ea, s30, Q = PREPS[prep]
    c = Circuit(CIRCUIT)
    f = np.logspace(np.log10(5.0), np.log10(13e6), 50)   # HP 4192A range (Methods)
    rng = np.random.default_rng(seed)
    paths = []
    for t in temps:
        R1 = G / sigma_true(t + 273.15, Ea, s30)
        z = c.impedance(f, dict(R0=2.0, R1=R1, CPE1_Q=Q, CPE1_alpha=0.9, CPE2_Q=5e-6, CPE2_alpha=0.85))
        z = z * (1 + rng.normal(0, 0.003, f.size) + 1j * rng.normal(0, 0.003, f.size))
        p = directory / name_fmt.format(prep=prep, t=t)
        np.savetxt(p, np.column_stack([f, z.real, z.imag]), delimiter=",", header="freq_Hz,z_real_ohm,z_imag_ohm",
                   comments="")
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def cold_files(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("cold"), "cold")


runner = CliRunner()


def run(args):
    return runner.invoke(app, ["arrhenius", *map(str, args)])


def val(res, key):
    return next(v for v in res["values"] if v["key"] == key)


def points(res):
    t = next(t for t in res["tables"] if t["name"] == "points")
    return [dict(zip(t["columns"], r)) for r in t["rows"]]


def test_cli_recovers_paper_activation_energy(cold_files, tmp_path):
    out = tmp_path / "out"
    res = run([*cold_files, "--circuit", CIRCUIT, "--thickness", "1.2mm", "--diameter", "10mm", "--resistance", "R1",
               "--json", "--out", out])
    assert res.exit_code == 0, res.output
    (g,) = json.loads(res.stdout)["results"]               # exactly one JSON document
    assert g["options"]["convention"] == "sigmaT" and val(g, "n_points")["value"] == len(TEMPS_C)
    ea = val(g, "Ea_eV")
    assert abs(ea["value"] - 0.50) < max(3 * ea["stderr"], 2e-3)
    lo, hi = ea["ci95"]
    assert lo < ea["value"] < hi
    assert val(g, "sigma_30C_S_per_m")["value"] == pytest.approx(0.0054, rel=0.02)
    assert val(g, "sigma_25C_S_per_m")["value"] == pytest.approx(sigma_true(298.15, 0.50, 0.0054), rel=0.03)
    # temperatures came from the file names; points sorted by T; σ = (L/A)/R1 of the simulation
    pts = points(g)
    assert [p["T_K"] for p in pts] == pytest.approx([t + 273.15 for t in TEMPS_C])
    for p in pts:
        assert p["used"] and p["sigma_S_per_m"] == pytest.approx(sigma_true(p["T_K"], 0.50, 0.0054), rel=0.02)
        assert p["sigma_err_S_per_m"] > 0
    for name in ("arrhenius-sample.png", "arrhenius-sample.svg", "sample_points.csv", "arrhenius.csv"):
        assert (out / name).stat().st_size > 0
    csv = (out / "sample_points.csv").read_text().splitlines()
    assert csv[0].startswith("spectrum,T_K,R_ohm") and len(csv) == 1 + len(TEMPS_C)


def test_cli_sigma_convention_differs_by_the_exact_offset(cold_files):
    args = [*cold_files, "--thickness", "1.2mm", "--diameter", "10mm", "--json", "--unweighted"]
    a = json.loads(run(args).stdout)["results"][0]
    b = json.loads(run([*args, "--convention", "sigma"]).stdout)["results"][0]
    assert b["options"]["convention"] == "sigma" and val(b, "prefactor")["unit"] == "S/m"
    offset = convention_offset_eV([t + 273.15 for t in TEMPS_C])
    assert val(a, "Ea_eV")["value"] - val(b, "Ea_eV")["value"] == pytest.approx(offset, abs=2e-3)


def test_cli_table_output(cold_files):
    res = run([*cold_files, "--thickness", "1.2mm", "--diameter", "10mm", "--two-regime"])
    assert res.exit_code == 0, res.output
    assert "Ea" in res.stdout and "0.5" in res.stdout and "cold_30C.csv" in res.stdout
    # five temperatures are too few for two regimes of three points: said on stderr, the rest still runs
    text = " ".join(res.output.split())
    assert "two-regime fit skipped" in text and "at least 6 points" in text


def test_cli_manifest_groups_preparations(tmp_path):
    cold = simulate(tmp_path, "cold", temps=(30, 60, 90, 110), seed=1)
    # hot-pressed files without temperatures in their names: the manifest gives them
    hot = simulate(tmp_path, "hot", name_fmt="{prep}_run{t}.csv", temps=(30, 60, 90, 110), seed=2)
    entries = "\n".join(f"          - {{path: {p.name}, temperature: {t} C}}" for p, t in zip(hot, (30, 60, 90, 110)))
    (tmp_path / "cells.yaml").write_text(f"""\
defaults:
  thickness: 1.2 mm
  diameter: 10 mm
  electrodes: Au|Au
cells:
  - name: CP-1
    material: Li2NH cold pressed
    files:
      - {{glob: "cold_*C.csv"}}
  - name: HP-1
    material: Li2NH hot pressed
    files:
{entries}
""")
    out = tmp_path / "out"
    res = run(["--manifest", tmp_path / "cells.yaml", "--json", "--out", out, "--compare"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    fits = {g["subject"]: g for g in doc["results"]}
    assert set(fits) == {"Li2NH cold pressed", "Li2NH hot pressed"}
    for name, (Ea, s30, _) in (("Li2NH cold pressed", PREPS["cold"]), ("Li2NH hot pressed", PREPS["hot"])):
        f = fits[name]
        ea = val(f, "Ea_eV")
        assert abs(ea["value"] - Ea) < max(3 * ea["stderr"], 3e-3), name
        assert val(f, "sigma_30C_S_per_m")["value"] == pytest.approx(s30, rel=0.03), name
        assert val(f, "kb_rank")["value"] >= 1                     # ranked against the knowledge base (--compare)
    assert (out / "arrhenius-li2nh-cold-pressed.png").exists()


def _err_line(res):
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    return lines[0]


def test_cli_single_temperature_is_a_one_line_error(cold_files):
    res = run([cold_files[0], "--thickness", "1.2mm", "--diameter", "10mm"])
    assert "at least 2 distinct temperatures" in _err_line(res)


def test_cli_missing_temperature_names_the_file(tmp_path):
    (p,) = simulate(tmp_path, "cold", name_fmt="{prep}_nameless.csv", temps=(30,))
    q = simulate(tmp_path, "cold", temps=(50,))[0]
    msg = _err_line(run([p, q, "--thickness", "1.2mm", "--diameter", "10mm"]))
    assert "cold_nameless.csv" in msg and "no temperature" in msg


def test_cli_bad_options(cold_files):
    assert "convention" in _err_line(run([*cold_files[:2], "--thickness", "1.2mm", "--diameter", "10mm",
                                          "--convention", "lnT"]))
    assert "R9" in _err_line(run([*cold_files[:2], "--thickness", "1.2mm", "--diameter", "10mm",
                                  "--circuit", CIRCUIT, "--resistance", "R9"]))
    assert "thickness" in _err_line(run([*cold_files[:2], "--diameter", "10mm"]))


def test_cli_zview_files_named_in_kelvin(tmp_path):
    """ZView ``.z`` files named ``hp_303K.z`` …: temperatures from the names, hot-pressed Ea = 0.44 eV back."""
    Ea, s30, Q = PREPS["hot"]
    c = Circuit(CIRCUIT)
    f = np.logspace(np.log10(5.0), np.log10(13e6), 50)
    rng = np.random.default_rng(4)
    paths = []
    for TK in (303, 323, 343, 363, 383):
        R1 = G / sigma_true(TK, Ea, s30)
        z = c.impedance(f, dict(R0=2.0, R1=R1, CPE1_Q=Q, CPE1_alpha=0.9, CPE2_Q=5e-6, CPE2_alpha=0.85))
        z = z * (1 + rng.normal(0, 0.003, f.size) + 1j * rng.normal(0, 0.003, f.size))
        paths.append(writers.write_zview(tmp_path / f"hp_{TK}K.z", f, z))
    res = run([*paths, "--thickness", "1.2mm", "--diameter", "10mm", "--json"])
    assert res.exit_code == 0, res.output
    g = json.loads(res.stdout)["results"][0]
    assert [p["T_K"] for p in points(g)] == pytest.approx([303, 323, 343, 363, 383])
    ea = val(g, "Ea_eV")
    assert abs(ea["value"] - Ea) < max(3 * ea["stderr"], 3e-3)
