"""Every CLI command, given a missing file, a garbage file or a bad quantity, exits with status 2 and prints exactly
one line, starting with ``error:``, and no traceback."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sselab.cli import app

runner = CliRunner()

GARBAGE = bytes(range(256)) * 8 + b"\x00\x01 not an instrument file \xff\xfe" * 20


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_errors")
    out = {"dir": d, "missing": d / "does_not_exist_30C.mpt", "garbage": d / "garbage_30C.mpt"}
    out["garbage"].write_bytes(GARBAGE)
    # EIS: R0 + (R1 || CPE) + blocking CPE, a file the readers take for sure
    f = np.logspace(6, -1, 50)
    w = 2 * np.pi * f
    z = 100 + 1.0 / (1 / 1000 + 1e-9 * (1j * w) ** 0.9) + 1 / (1e-6 * (1j * w) ** 0.85)
    eis = d / "pellet_30C.csv"
    pd.DataFrame({"freq_Hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag}).to_csv(eis, index=False)
    out["eis"] = eis
    # CA hold at 0.5 V
    t = np.arange(0, 3600, 1.0)
    ca = d / "hold.csv"
    pd.DataFrame({"time_s": t, "potential_V": 0.5, "current_A": 1e-8 + 1e-6 * np.exp(-t / 5)}).to_csv(ca, index=False)
    out["ca"] = ca
    # CV: triangle −0.5 … 0.5 V, 3 cycles
    t = np.arange(0, 3 * 200, 0.5)
    e = 0.5 - np.abs(((t / 100) % 2) - 1)
    cv = d / "cv.csv"
    pd.DataFrame({"time_s": t, "potential_V": e, "current_A": 1e-5 * e}).to_csv(cv, index=False)
    out["cv"] = cv
    # galvanostatic ±0.1 mA, 1 h half cycles
    t = np.arange(0, 6 * 3600, 10.0)
    i = np.where((t // 3600) % 2 == 0, 1e-4, -1e-4)
    gc = d / "gcpl.csv"
    pd.DataFrame({"time_s": t, "potential_V": 0.01 * np.sign(i), "current_A": i}).to_csv(gc, index=False)
    out["gc"] = gc
    # stack YAML / manifest / materials data that are not what they claim to be
    out["garbage_yaml"] = d / "garbage.yaml"
    out["garbage_yaml"].write_text("{this: [is, not: valid yaml\n\t- at all: ::\n")
    out["bad_manifest_dir"] = bd = d / "report_in"
    bd.mkdir()
    (bd / "pellet_30C.csv").write_bytes(eis.read_bytes())
    (bd / "cells.yaml").write_text("cells:\n  - name: p1\n    files: ['*.csv']\n    thickness: -1mm\n    diameter: 10mm\n")
    out["garbage_dir"] = gd = d / "report_garbage"
    gd.mkdir()
    (gd / "cells.yaml").write_bytes(GARBAGE)
    return out


GEOM = ["--diameter", "10mm"]

# (id, argv builder) — each must fail with exit 2 and one 'error:' line
CASES = {
    # (a) a missing file
    "info-missing": lambda F: ["info", F["missing"]],
    "info-markup-in-name": lambda F: ["info", F["dir"] / "odd[/x]" / "a[b].mpt"],
    "eis-kk-markup-in-name": lambda F: ["eis", "kk", F["dir"] / "odd[/x]" / "a[b].mpt"],
    "eis-fit-missing": lambda F: ["eis", "fit", F["missing"], "--thickness", "1mm", *GEOM],
    "eis-kk-missing": lambda F: ["eis", "kk", F["missing"]],
    "arrhenius-missing": lambda F: ["arrhenius", F["missing"], "--thickness", "1mm", *GEOM],
    "dcpol-missing": lambda F: ["dcpol", F["missing"], "--voltage", "0.5V", "--thickness", "1mm", *GEOM],
    "cv-missing": lambda F: ["cv", F["missing"]],
    "cycle-missing": lambda F: ["cycle", F["missing"], *GEOM],
    "materials-show-missing": lambda F: ["materials", "show", "LLZO", "--data", F["missing"]],
    "design-missing": lambda F: ["design", F["dir"] / "no_stack.yaml"],
    "report-missing": lambda F: ["report", F["dir"] / "no_such_folder", "--out", F["dir"] / "r_missing",
                                 "--no-figures"],
    # (b) a garbage file
    "info-garbage": lambda F: ["info", F["garbage"]],
    "eis-fit-garbage": lambda F: ["eis", "fit", F["garbage"], "--thickness", "1mm", *GEOM],
    "eis-kk-garbage": lambda F: ["eis", "kk", F["garbage"]],
    "arrhenius-garbage": lambda F: ["arrhenius", F["garbage"], "--thickness", "1mm", *GEOM],
    "dcpol-garbage": lambda F: ["dcpol", F["garbage"], "--voltage", "0.5V", "--thickness", "1mm", *GEOM],
    "cv-garbage": lambda F: ["cv", F["garbage"]],
    "cycle-garbage": lambda F: ["cycle", F["garbage"], *GEOM],
    "materials-show-garbage": lambda F: ["materials", "show", "LLZO", "--data", F["garbage_yaml"]],
    "design-garbage": lambda F: ["design", F["garbage_yaml"]],
    "report-garbage": lambda F: ["report", F["garbage_dir"], "--out", F["dir"] / "r_garbage", "--no-figures"],
    # (c) a bad quantity
    "info-bad-format": lambda F: ["info", F["eis"], "--format", "no-such-format"],
    "eis-fit-unitless": lambda F: ["eis", "fit", F["eis"], "--thickness", "1.2", *GEOM],
    "eis-fit-negative": lambda F: ["eis", "fit", F["eis"], "--thickness", "-1mm", *GEOM],
    "eis-fit-fmin": lambda F: ["eis", "fit", F["eis"], "--thickness", "1mm", *GEOM, "--fmin", "abc"],
    "eis-kk-threshold": lambda F: ["eis", "kk", F["eis"], "--threshold", "-1%"],
    "arrhenius-unitless": lambda F: ["arrhenius", F["eis"], "--thickness", "1.2", *GEOM],
    "arrhenius-negative": lambda F: ["arrhenius", F["eis"], "--thickness", "-1mm", *GEOM],
    "dcpol-unitless": lambda F: ["dcpol", F["ca"], "--voltage", "0.5V", "--thickness", "1.2", *GEOM],
    "dcpol-negative": lambda F: ["dcpol", F["ca"], "--voltage", "0.5V", "--thickness", "-1mm", *GEOM],
    "dcpol-voltage": lambda F: ["dcpol", F["ca"], "--voltage", "0.5mm", "--thickness", "1mm", *GEOM],
    "cv-mass": lambda F: ["cv", F["cv"], "--pellet-mass", "-150mg", "--formula", "Li2NH", *GEOM],
    "cv-diameter": lambda F: ["cv", F["cv"], "--diameter", "1.2"],
    "cycle-area": lambda F: ["cycle", F["gc"], "--area", "-1cm2"],
    "cycle-diameter": lambda F: ["cycle", F["gc"], "--diameter", "1.2"],
    "materials-show-at": lambda F: ["materials", "show", "LLZO", "--at", "-5K"],
    "materials-show-at-unit": lambda F: ["materials", "show", "LLZO", "--at", "1.2mm"],
    "design-set": lambda F: ["design", "--preset", "fig17", "--set", "sse_thickness=-1mm"],
    "design-budget": lambda F: ["design", "--preset", "fig17", "--sigma", "1mS/cm", "--budget", "-100mV"],
    "design-sigma": lambda F: ["design", "--preset", "fig17", "--sigma", "-1mS/cm"],
    "design-sweep": lambda F: ["design", "--preset", "fig17", "--sweep", "sse_thickness=5um:abc:40"],
    "design-target": lambda F: ["design", "--preset", "fig17", "--target", "350 Wh/s", "--solve", "sse_thickness"],
    "eis-fit-temperature": lambda F: ["eis", "fit", F["eis"], "--thickness", "1mm", *GEOM, "--temperature", "-400C"],
    "eis-fit-fix": lambda F: ["eis", "fit", F["eis"], "--thickness", "1mm", *GEOM, "--fix", "R0=abc"],
    "eis-fit-circuit": lambda F: ["eis", "fit", F["eis"], "--thickness", "1mm", *GEOM, "--circuit", "R0-Q9(("],
    "eis-fit-weighting": lambda F: ["eis", "fit", F["eis"], "--thickness", "1mm", *GEOM, "--weighting", "foo"],
    "eis-kk-threshold-unit": lambda F: ["eis", "kk", F["eis"], "--threshold", "1mm"],
    "eis-kk-c": lambda F: ["eis", "kk", F["eis"], "--c", "-3"],
    "arrhenius-garbage-manifest": lambda F: ["arrhenius", "--manifest", F["garbage_dir"] / "cells.yaml"],
    "arrhenius-missing-manifest": lambda F: ["arrhenius", "--manifest", F["dir"] / "nope.yaml"],
    "arrhenius-convention": lambda F: ["arrhenius", F["eis"], "--thickness", "1mm", *GEOM, "--convention", "foo"],
    "dcpol-window": lambda F: ["dcpol", F["ca"], "--voltage", "0.5V", "--thickness", "1mm", *GEOM, "--window", "-5min"],
    "dcpol-electrodes": lambda F: ["dcpol", F["ca"], "--voltage", "0.5V", "--thickness", "1mm", *GEOM,
                                   "--electrodes", "foo"],
    "cv-window": lambda F: ["cv", F["cv"], "--window", "0.5,abc"],
    "cv-threshold": lambda F: ["cv", F["cv"], *GEOM, "--threshold", "-10uA/cm2"],
    "cycle-mass": lambda F: ["cycle", F["gc"], *GEOM, "--active-mass", "-3mg"],
    "cycle-threshold": lambda F: ["cycle", F["gc"], *GEOM, "--active-mass", "3mg", "--threshold", "7"],
    "materials-show-unknown": lambda F: ["materials", "show", "Unobtainium-9000"],
    "report-missing-manifest": lambda F: ["report", F["bad_manifest_dir"], "--manifest", F["dir"] / "nope.yaml",
                                          "--out", F["dir"] / "r_nm", "--no-figures"],
    "report-bad-manifest": lambda F: ["report", F["bad_manifest_dir"], "--out", F["dir"] / "r_bad", "--no-figures"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_line_error_exit_2(case, files):
    args = [str(a) for a in CASES[case](files)]
    r = runner.invoke(app, args)
    out, err = r.stdout, r.stderr
    text = out + err
    assert r.exception is None or isinstance(r.exception, SystemExit), (
        f"{case}: {type(r.exception).__name__}: {r.exception}\n{text}")
    assert r.exit_code == 2, f"{case}: exit {r.exit_code}\n{text}"
    assert "Traceback" not in text, text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{case}: expected one line, got {len(lines)}:\n{text}"
    assert lines[0].startswith("error:"), f"{case}: {lines[0]!r}"
