"""`sselab design` through typer's CliRunner."""
import json

import pytest
from typer.testing import CliRunner

from sselab.cli import app

runner = CliRunner()

STACK = """
cathode: {areal_capacity: 4 mAh/cm2, active_fraction: 0.9, catholyte: Li3InCl6}
separators:
  - {material: Li3InCl6, thickness: 20 um}
  - {material: Li3N, thickness: 20 um}
anode: {type: li, np_ratio: 0.8}
collectors:
  positive: {material: Al, thickness: 10 um}
  negative: {material: Cu, thickness: 10 um}
"""


@pytest.fixture
def stack_file(tmp_path):
    p = tmp_path / "cell.yaml"
    p.write_text(STACK)
    return p


def run(*args):
    return runner.invoke(app, ["design", *map(str, args)])


def test_preset_fig17_json():
    r = run("--preset", "fig17", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    rows = d["fig17"]["rows"]
    assert len(rows) == 9
    assert all(abs(x["rel_error"]) <= 0.10 for x in rows)
    assert d["design"]["specific_energy_Wh_per_kg"] == pytest.approx(353.3, abs=0.1)


def test_table_output_sweep_and_solve(stack_file):
    r = run(stack_file, "--sweep", "sse_thickness=5um:200um:5", "--solve", "sse_thickness", "--target", "350Wh/kg")
    assert r.exit_code == 0, r.output
    assert "Wh/kg" in r.stdout and "critical values" in r.stdout
    assert "21.04" in r.stdout                # critical SSE thickness (µm), same as the Fig. 17 preset


def test_json_solve_round_trip_and_rate(stack_file):
    r = run(stack_file, "--solve", "areal_capacity", "--solve", "np_ratio", "--target", "350 Wh/kg",
            "--sigma", "1mS/cm", "--budget", "100mV", "--c-rate", "4", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    crit = {c["param"]: c for c in d["critical"]}
    assert crit["areal_capacity"]["value_display"] == pytest.approx(3.919, abs=0.001)
    assert d["rate"]["asr_ohm_cm2"] == pytest.approx(4.0)            # 2 × 20 µm at 1 mS/cm
    assert d["rate"]["ir_drop_V"] == pytest.approx(0.016 * 1e4 * 4e-4)   # 16 mA/cm² × 4 Ω cm² = 64 mV


def test_set_override_and_contour_out(stack_file, tmp_path):
    out = tmp_path / "out"
    r = run(stack_file, "--set", "sse_thickness=10um", "--contour", "sse_thickness=5:50:6,areal_capacity=1:10:5",
            "--sweep", "np_ratio=0:5:6", "--out", out, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert len(d["contour"]["z"]) == 5 and len(d["contour"]["z"][0]) == 6
    for name in ("design_breakdown.png", "contour_sse_thickness_areal_capacity.svg", "sweep_np_ratio.csv",
                 "design.json"):
        assert (out / name).exists(), name


def test_fig17_plot_has_three_panels():
    import matplotlib.pyplot as plt

    from sselab.design import reproduce_fig17
    from sselab.design.plots import plot_fig17

    fig = plot_fig17(reproduce_fig17("LGPS"))
    assert len(fig.axes) == 3
    assert len(fig.axes[0].lines) == 9          # 8 areal capacities + the 350 Wh/kg line
    plt.close(fig)


@pytest.mark.parametrize("args,match", [
    (["--solve", "sse_thickness", "--target", "500Wh/kg"], "500 Wh/kg is unreachable by varying sse_thickness"),
    (["--sweep", "thickness=1:2:3"], "unknown parameter 'thickness'"),
    (["--target", "350Wh/kg"], "--target needs --solve"),
    (["--set", "sse_thickness=4 mAh/cm2"], "is a areal_charge, expected a length"),
])
def test_user_errors_exit_2_one_line(stack_file, args, match):
    r = run(stack_file, *args)
    assert r.exit_code == 2
    assert match in r.output.replace("\n", " ")


def test_bad_file_and_missing_input(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(STACK.replace("areal_capacity", "areal_capacty"))
    r = run(bad)
    assert r.exit_code == 2 and "unknown key 'areal_capacty'" in r.output
    assert run(tmp_path / "missing.yaml").exit_code == 2
    assert run().exit_code == 2
    assert run("--preset", "fig99").exit_code == 2


def test_shipped_example_by_name():
    r = run("pouch_nmc811_li3n", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["design"]["pouch_mass_kg"] > 0
