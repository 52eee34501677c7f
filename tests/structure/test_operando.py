"""Series with absolute times, alignment with electrochemistry, and the operando recipe on a simulated demo folder."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from sselab.io.base import Measurement
from sselab.io.structure_series import Series, read_operando_manifest, read_series, read_series_spec, time_from_name
from sselab.structure.operando import align, ec_trace, growth_statement, lattice_statement



def test_datalab_operando_log_gives_mid_acquisition_times():
    root = shared_path("data", "structure", "xrd", "datalab-org+datalab-app-plugin-insitu", "example_data", "xrd",
                       "coincell8_LDE2_reduced", "coincell8_LDE2")
    s = read_series(root / "xrd_data", log=root / "Log" / "log_operando_coincell8_LDE2_reduced.csv")
    assert len(s) == 5 and s.y.shape == (5, 16553)
    # first scan 19:05:59.614–19:06:56.167 → middle 19:06:27.8905
    assert s.t0 == datetime(2025, 7, 2, 19, 6, 27, 890500)
    # 1355647: 19:15:03.582–19:15:59.280 → middle 19:15:31.431 → 543.5405 s after the first
    assert s.time_s[1] == pytest.approx(543.5405, abs=1e-3)
    assert s.time_source.startswith("log")


def test_xrdml_series_times_from_the_files():
    folder = shared_path("data", "structure", "xrd", "datalab-org+datalab", "pydatalab", "example_data", "XRD")
    s = read_series(sorted(folder.glob("Scan_C*.xrdml")))
    assert [n for n in s.names][:2] == ["Scan_C1.xrdml", "Scan_C2.xrdml"]
    assert s.t0 == datetime(2020, 11, 6, 18, 9, 37)
    assert s.time_s[-1] == pytest.approx((datetime(2020, 11, 6, 20, 24, 25) - s.t0).total_seconds(), abs=1)


def test_time_from_name():
    assert time_from_name("cell3_20250702_190559_scan.xye") == datetime(2025, 7, 2, 19, 5, 59)
    assert time_from_name("scan_0001.xye") is None


def test_alignment_interpolates_the_cell_state():
    t = np.arange(0, 3600.0, 10.0)
    ec = Measurement(pd.DataFrame({"time_s": t, "potential_V": 0.001 * t, "current_A": np.full(len(t), 2e-3)}),
                     start_time=datetime(2025, 1, 1, 12, 0, 0), technique="CP")
    s = Series("XRD", np.arange(5.0), np.ones((3, 5)), np.array([0.0, 600.0, 1200.0]), datetime(2025, 1, 1, 12, 10, 0))
    al = align(s, ec_trace(ec))
    assert al.member_time_s == pytest.approx([600, 1200, 1800])
    assert al.potential_V == pytest.approx([0.6, 1.2, 1.8])
    assert al.charge_C == pytest.approx([1.2, 2.4, 3.6])              # 2 mA × t
    # a clock offset moves the electrochemistry: +60 s on its clock → the members see 60 s earlier states
    al2 = align(s, ec_trace(ec, offset_s=60.0))
    assert al2.potential_V == pytest.approx([0.54, 1.14, 1.74])


def test_statements():
    st = lattice_statement([0, 3600, 7200], [10.0900, 10.0901, 10.0900], [2e-5, 2e-5, 2e-5])
    assert st.evidence["bound_angstrom"] == pytest.approx(1e-4 + 4e-5)
    assert "changed by < " in st.text
    g = growth_statement([0, 3600, 7200], [1.0, 0.8, 1.3], [0.01, 0.01, 0.01], what="Li-metal signal")
    assert g.evidence["change_percent"] == pytest.approx(30.0) and "minimum at 1 h" in g.text


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from sselab.simulate.structure import write_structure_demo

    root = tmp_path_factory.mktemp("structure-demo") / "demo"
    return write_structure_demo(root, small=True, rng=2)


def test_operando_xrd_recovers_the_simulated_lattice(demo):
    from sselab import recipes
    from sselab.io import read

    man = read_operando_manifest(demo["paths"]["manifest"])
    ec = read(man.electrochem)
    s = read_series_spec(man.xrd)
    r = recipes.get("operando").run([ec], series=s)
    a = np.asarray(r.details["xrd"]["a"])
    truth = np.asarray(demo["xrd"]["a_angstrom"])
    assert np.max(np.abs(a - truth)) < 2e-4
    # the bound covers the true span (0.0005 Å simulated drift)
    assert r.get("lattice_change_bound_angstrom") >= np.ptp(truth)
    assert any(f.code == "lattice_stable" for f in r.flags)
    assert r.get("superstructure_first") is True
    assert {"Li3N", "Li"} <= set(r.details["xrd"]["first"].get("phases").split(","))


def test_operando_nmr_integrals_and_growth(demo):
    from sselab import recipes
    from sselab.io import read

    man = read_operando_manifest(demo["paths"]["manifest"])
    s = read_series_spec(man.nmr)
    assert s.time_source.startswith("manifest") and s.time_s[1] == pytest.approx(60.0)
    r = recipes.get("operando").run([read(man.electrochem)], series=s)
    ri = r.details["nmr"]["integrals"]
    truth = demo["nmr"]["integrals"]
    assert np.max(np.abs(ri.values["Li metal"] / np.asarray(truth["Li metal"]) - 1)) < 0.01
    assert np.max(np.abs(ri.values["SSE"] / np.asarray(truth["Li2NH"]) - 1)) < 0.01
    true_growth = (truth["Li metal"][-1] / truth["Li metal"][0] - 1) * 100
    assert r.get("integral_li_metal_change_percent") == pytest.approx(true_growth, abs=1.0)
    figs = recipes.get("operando").plot(r)
    assert {f.name for f in figs} == {"operando_nmr_contour", "operando_nmr_integrals"}
    assert figs[0].paper_figure == "Fig. 4b"
