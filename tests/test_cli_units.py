"""CLI edges: units in headers, and file names / warnings printed literally (rich markup escaped)."""
import json

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from sselab.cli import app
from sselab.commands import _common
from sselab.eis import Circuit

runner = CliRunner()


def _all_output(r) -> str:
    out = r.stdout
    try:
        out += r.stderr
    except (ValueError, AttributeError):  # stderr mixed into stdout
        pass
    return out


@pytest.fixture
def wide(monkeypatch):
    """Wide consoles so headers and paths are not wrapped."""
    monkeypatch.setattr(_common.console, "_width", 400)
    monkeypatch.setattr(_common.err_console, "_width", 400)


def test_table_prints_strings_literally_and_keeps_text_styles():
    t = _common.table("[red]title[/] of [bold]x.mpt", ["[bold]col", "n"],
                      [["[bold]x.mpt", 1.5], [Text("pass", style="green"), None]])
    con = Console(record=True, width=200, color_system="truecolor")
    con.print(t)
    plain = con.export_text(clear=False)
    assert "[red]title[/] of" in plain.split("┏")[0] and "[bold]x.mpt" in plain.split("┏")[0]   # title (wrapped)
    assert "[bold]col" in plain and "[bold]x.mpt" in plain and "1.5" in plain and "—" in plain
    # a Text cell keeps its style (green), it is not escaped into literal markup
    assert "pass" in plain and "[green]" not in plain
    styled = con.export_text(styles=True)
    assert "\x1b[32mpass" in styled


def _write_spectrum(path):
    f = np.logspace(np.log10(13e6), np.log10(5), 50)
    z = Circuit("R0-p(R1,CPE1)-CPE2").impedance(f, [20, 8e4, 3e-11, 0.9, 1e-6, 0.85])
    np.savetxt(path, np.column_stack([f, z.real, z.imag]), delimiter=",",
               header="freq_Hz,z_real_ohm,z_imag_ohm", comments="")
    return path


def test_eis_fit_bracketed_file_and_out_dir_print_literally(tmp_path, wide):
    p = _write_spectrum(tmp_path / "[bold]pellet.csv")
    out = tmp_path / "[red]figs"
    r = runner.invoke(app, ["eis", "fit", str(p), "-c", "R0-p(R1,CPE1)-CPE2", "-L", "1.2mm", "-d", "10mm",
                            "-R", "R1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = _all_output(r)
    assert "[bold]pellet.csv" in text                      # table cell (was swallowed as markup)
    assert f"wrote {out}" in text                          # path with '[red]' printed as is
    # σ by hand, SI with the unit in the key: L/(R·A) with L = 1.2e-3 m, A = 0.785398e-4 m²
    s = json.loads(runner.invoke(app, ["eis", "fit", str(p), "-c", "R0-p(R1,CPE1)-CPE2", "-L", "1.2mm",
                                       "-d", "10mm", "-R", "R1", "--json"]).stdout)["results"][0]
    v = {x["key"]: x for x in s["values"]}
    assert v["sigma_S_per_m"]["unit"] == "S/m" and v["sigma_S_per_m"]["display_unit"] == "mS/cm"
    assert v["sigma_S_per_m"]["value"] == pytest.approx(1.2e-3 / (0.785398e-4 * v["R_electrolyte_ohm"]["value"]),
                                                        rel=1e-5)
    assert "mS/cm" in text                                  # the table prints the researcher's unit


def test_materials_score_status_is_styled_not_literal_markup(wide):
    r = runner.invoke(app, ["materials", "score", "li2nh-hot-pressed"])
    assert r.exit_code == 0, r.output
    assert "pass" in r.stdout and "fail" in r.stdout
    assert "[green]" not in r.stdout and "[red]" not in r.stdout and "[yellow]" not in r.stdout


def test_materials_list_reported_column_carries_its_unit(wide):
    r = runner.invoke(app, ["materials", "list", "--family", "imide"])
    assert r.exit_code == 0, r.output
    assert "reported S/cm" in r.stdout
    d = json.loads(runner.invoke(app, ["materials", "list", "--family", "imide", "--json"]).stdout)
    hp = next(e for e in d["entries"] if e["id"] == "li2nh-hot-pressed")
    assert hp["sigma_reported_S_per_cm"] == pytest.approx(1e-3)     # 1 mS/cm at 30 °C (Lowen et al.)
    assert "0.001 @ 30 °C" in r.stdout


def test_materials_compare_sigma_column_names_its_temperature(tmp_path, wide):
    out = tmp_path / "[red]cmp"
    r = runner.invoke(app, ["materials", "compare", "--Ea", "0.5", "--sigma25", "0.04 mS/cm", "--at", "60C",
                            "--top", "3", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "σ(60 °C) S/cm" in r.stdout
    # σ(60 °C) of the user's material from σT Arrhenius: σ25·(298.15/333.15)·exp(Ea/kB·(1/298.15 − 1/333.15))
    kB = 8.617333262e-5
    s60 = 4e-5 * 298.15 / 333.15 * np.exp(0.5 / kB * (1 / 298.15 - 1 / 333.15))
    assert f"{s60:.3g}" in r.stdout
    assert f"wrote {out}" in r.stdout


def test_design_pouch_headline_is_labelled_pouch_not_unit_cell(wide):
    """The pouch example's headline Wh/kg is the pouch value; the unit-cell value is printed beside it."""
    r = runner.invoke(app, ["design", "pouch_nmc811_li3n"])
    assert r.exit_code == 0, r.output
    d = json.loads(runner.invoke(app, ["design", "pouch_nmc811_li3n", "--json"]).stdout)["design"]
    # by hand: 20 layers × 100 cm² × 5 mAh/cm² × 3.75 V = 37.5 Wh; Wh/kg = 37.5 / pouch mass
    assert d["pouch_energy_Wh"] == pytest.approx(37.5, rel=1e-9)
    assert d["specific_energy_Wh_per_kg"] == pytest.approx(37.5 / d["pouch_mass_kg"], rel=1e-9)
    # unit cell: areal energy (J/m²) / 3600 / areal mass (kg/m²)
    unit = d["areal_energy_J_per_m2"] / 3600 / d["unit_mass_kg_per_m2"]
    assert d["unit_specific_energy_Wh_per_kg"] == pytest.approx(unit, rel=1e-9)
    head = r.stdout.split("┏")[0].replace("\n", " ")
    assert f"{d['specific_energy_Wh_per_kg']:.4g} Wh/kg" in head and "(pouch)" in head
    assert f"unit cell {unit:.4g} Wh/kg" in head
    assert "(unit cell; pouch values)" not in head


def _arrhenius_series(directory, Ea=0.44, s30=0.10, L_m=0.95e-3, D_m=10e-3):
    """σT-Arrhenius pellets (σ(30 °C) = 1 mS/cm, like hot-pressed Li2NH) as generic impedance CSV files."""
    kB = 8.617333262e-5
    G = L_m / (np.pi * (D_m / 2) ** 2)
    A = s30 * 303.15 * np.exp(Ea / (kB * 303.15))
    c = Circuit("R0-p(R1,CPE1)-CPE2")
    f = np.logspace(np.log10(5.0), np.log10(13e6), 50)
    rng = np.random.default_rng(1)
    paths = []
    for t in (30, 50, 70, 90, 110):
        T = t + 273.15
        R1 = G / (A / T * np.exp(-Ea / (kB * T)))
        z = c.impedance(f, dict(R0=2.0, R1=R1, CPE1_Q=3e-8, CPE1_alpha=0.9, CPE2_Q=5e-6, CPE2_alpha=0.85))
        z = z * (1 + rng.normal(0, 0.0005, f.size) + 1j * rng.normal(0, 0.0005, f.size))
        p = directory / f"hot_{t}C.csv"
        np.savetxt(p, np.column_stack([f, z.real, z.imag]), delimiter=",", header="freq_Hz,z_real_ohm,z_imag_ohm",
                   comments="")
        paths.append(p)
    return paths


def test_arrhenius_intervals_printed_to_the_values_decimals_and_contain_them(tmp_path, wide):
    import re

    files = [str(p) for p in _arrhenius_series(tmp_path)]
    args = ["arrhenius", *files, "-L", "0.95mm", "-d", "10mm"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    res = json.loads(runner.invoke(app, args + ["--json"]).stdout)["results"][0]
    v = {x["key"]: x for x in res["values"]}
    assert v["sigma_30C_S_per_m"]["value"] == pytest.approx(0.10, rel=0.05)
    # 'value ± error unit  95 % [lo, hi]' for Ea, σ(25 °C), σ(30 °C); σ printed in mS/cm = S/m × 10
    cells = re.findall(r"(\d+\.\d+) ± \d+\.\d+ (eV|mS/cm)\s+95 % \[(\d+\.\d+), (\d+\.\d+)\]", r.stdout)
    assert len(cells) == 3, r.stdout
    for (val, unit, lo, hi), key in zip(cells, ("Ea_eV", "sigma_25C_S_per_m", "sigma_30C_S_per_m")):
        d = len(val.split(".")[1])
        assert len(lo.split(".")[1]) == d and len(hi.split(".")[1]) == d
        assert float(lo) <= float(val) <= float(hi) and float(lo) < float(hi)
        k = 1.0 if unit == "eV" else 10.0
        assert float(val) == pytest.approx(v[key]["value"] * k, abs=10 ** -d)
        lo_si, hi_si = v[key]["ci95"]
        assert float(lo) == pytest.approx(lo_si * k, abs=10 ** -d) and float(hi) == pytest.approx(hi_si * k,
                                                                                                 abs=10 ** -d)


def test_cv_json_per_cycle_onsets_carry_volts_in_their_keys(tmp_path):
    import pandas as pd
    from test_voltammetry import _paper_like_cv

    t, e, i, _, _ = _paper_like_cv(noise_V=0.002, plate_excess=2e-4, decomposition="both", n_cycles=4)
    p = tmp_path / "li_steel.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": i}).to_csv(p, index=False)
    r = runner.invoke(app, ["cv", str(p), "--diameter", "10mm", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    cyc = next(t for t in res["tables"] if t["name"] == "cycles")
    ox = [row[cyc["columns"].index("ox_onset_V")] for row in cyc["rows"]]
    n = next(v["value"] for v in res["values"] if v["key"] == "n_cycles")
    onset = next(v["value"] for v in res["values"] if v["key"] == "ox_onset_V")
    assert len(ox) == n and [x for x in ox if x is not None]
    assert min(x for x in ox if x is not None) <= onset + 1e-9 and all(3.0 < x < 6.0 for x in ox if x)  # volts


def test_units_with_superscripts_as_printed_in_tables_are_accepted(tmp_path):
    """'0.7854 cm²' (as the tables print it) means the same as '0.7854cm2'; 'µA/cm²', 'mAh g⁻¹' likewise."""
    from sselab import units

    assert units.parse("10 µA/cm²", "current_density") == pytest.approx(0.1)          # A/m²
    assert units.parse_quantity("1 mAh g⁻¹").value == pytest.approx(3600.0)           # C/kg
    assert units.parse_quantity("3308 Ω cm²").value == pytest.approx(0.3308)          # Ω m²
    p = _write_spectrum(tmp_path / "pellet.csv")
    sig = []
    for a in ("0.7854cm2", "0.7854 cm²"):
        r = runner.invoke(app, ["eis", "fit", str(p), "-c", "R0-p(R1,CPE1)-CPE2", "-L", "1.2mm", "-A", a,
                                "-R", "R1", "--json"])
        assert r.exit_code == 0, r.output
        s = json.loads(r.stdout)["results"][0]
        assert s["options"]["area_m2"] == pytest.approx(0.7854e-4)
        sig.append(next(v["value"] for v in s["values"] if v["key"] == "sigma_S_per_m"))
    assert sig[0] == pytest.approx(sig[1], rel=1e-12)
