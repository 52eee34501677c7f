"""`sselab xrd`, `sselab nmr`, `sselab operando`: JSON, figures, one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sselab.cli import app

runner = CliRunner()
LAM = 0.7093e-10


def _pattern(tmp_path, key, a, rng):
    from sselab.materials.structures import structure
    from sselab.simulate.structure import write_xye, xrd_pattern

    x = np.arange(4.0, 40.0, 0.01)
    y, _, e = xrd_pattern([structure(key).with_a(a)], x, LAM, fwhm_uvw=(0, 0, 0.0025), peak_counts=3e4, rng=rng)
    f = tmp_path / f"{key}.xye"
    write_xye(f, x, y, e)
    return f


def test_xrd_cli_superstructure_present_and_absent(tmp_path):
    fd = _pattern(tmp_path, "Li2NH-Fd-3m", 10.0935, 21)
    r = runner.invoke(app, ["xrd", str(fd), "--wavelength", "0.7093A", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["superstructure"] is True and d["lattice_a_angstrom"] == pytest.approx(10.0935, abs=2e-4)
    assert d["superstructure_evidence"]["significance_sigma"] > 20 and "Li2NH-Fd-3m" in d["phases"]
    fm = _pattern(tmp_path, "Li2NH-Fm-3m", 5.04675, 22)
    out = tmp_path / "figs"
    r = runner.invoke(app, ["xrd", str(fm), "--wavelength", "0.7093A", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["superstructure"] is False and d["lattice_a_angstrom"] == pytest.approx(5.04675, abs=2e-4)
    assert (out / "xrd_Li2NH-Fm-3m.png").is_file() and (out / "Li2NH-Fm-3m.json").is_file()


def test_nmr_and_operando_cli_make_the_fig4_plots(tmp_path):
    from sselab.simulate.structure import write_structure_demo

    demo = write_structure_demo(tmp_path / "demo", small=True, rng=3)
    out = tmp_path / "nmr-out"
    r = runner.invoke(app, ["nmr", str(demo["paths"]["nmr"]), "--period", "60s", "--start-time",
                            "2025-01-15T09:00:00", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert any("Li metal signal grew" in s for s in d["statements"])
    assert (out / "nmr_contour.png").is_file() and (out / "nmr_integrals.png").is_file()
    out2 = tmp_path / "op-out"
    r = runner.invoke(app, ["operando", "--manifest", str(demo["paths"]["manifest"]), "--out", str(out2)])
    assert r.exit_code == 0, r.output
    for name in ("operando_xrd_contour.png", "operando_nmr_contour.png", "operando_nmr_integrals.png",
                 "operando_xrd_tracking.png", "operando_xrd_per_pattern.csv"):
        assert (out2 / name).is_file(), name
    assert "lattice parameter changed by <" in r.output


@pytest.mark.parametrize("args, msg", [
    (["xrd", "no-such-file.xy"], "no such file"),
    (["xrd", "{pattern}", "--wavelength", "blue"], "wavelength"),
    (["xrd", "{pattern}", "--phases", "Unobtainium"], "no structure"),
    (["nmr", "{pattern}"], "not NMR"),
    (["operando", "--xrd", "{pattern}", "--ec-offset", "soon"], ""),
])
def test_bad_input_is_one_line_exit_2(tmp_path, args, msg):
    f = _pattern(tmp_path, "Li2NH-Fm-3m", 5.0456, 1)
    args = [a.replace("{pattern}", str(f)) for a in args]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    err = r.stderr if hasattr(r, "stderr") else r.output
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error:"), err
    assert msg in " ".join(lines)
