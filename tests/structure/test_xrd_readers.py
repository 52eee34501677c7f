"""Powder-pattern readers on the real files in ../shared/data/structure (and the sweep: every file opens or fails
with one line)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from sselab.errors import SselabError
from sselab.io import read
from conftest import shared_path

XRD = ("data", "structure", "xrd")


def p(*parts):
    return shared_path(*XRD, *parts)


def test_every_structure_file_opens_or_fails_with_one_line():
    root = shared_path("data", "structure")
    seen = {"ok": 0, "fail": 0}
    for f in sorted(root.rglob("*")):
        if not f.is_file() or f.name == "INDEX.md":
            continue
        try:
            m = read(f)
            assert len(m) > 0
            seen["ok"] += 1
        except SselabError as exc:
            assert "\n" not in str(exc) and str(exc)
            seen["fail"] += 1
    # NMR experiment folders are datasets: each opens
    for d in sorted(root.rglob("*")):
        if d.is_dir() and ((d / "acqus").is_file() or (d / "procpar").is_file()):
            assert len(read(d)) > 0
            seen["ok"] += 1
    assert seen["ok"] >= 60


def test_bt86_raw_and_uxd_are_the_same_scan():
    raw, uxd = read(p("wojdyr+xylib", "samples", "BT86.raw")), read(p("wojdyr+xylib", "samples", "BT86_.UXD"))
    assert raw.format == "xrd-bruker-raw" and uxd.format == "xrd-uxd"
    assert len(raw) == len(uxd) == 2374
    np.testing.assert_array_equal(raw.data["intensity"].to_numpy(), uxd.data["intensity"].to_numpy())
    # the UXD prints 2θ with 2–3 decimals
    np.testing.assert_allclose(raw.data["two_theta_deg"], uxd.data["two_theta_deg"], atol=6e-3)
    assert raw.data["two_theta_deg"].iloc[0] == pytest.approx(3.0)
    assert raw.extra["wavelength_m"] == pytest.approx(1.5406e-10) == uxd.extra["wavelength_m"]
    assert raw.extra["anode"] == uxd.extra["anode"] == "Cu"


def test_xrdml_series_metadata():
    m = read(p("datalab-org+datalab", "pydatalab", "example_data", "XRD", "Scan_C1.xrdml"))
    assert m.format == "xrd-xrdml" and len(m) == 7181
    assert m.extra["wavelength_m"] == pytest.approx(1.540598e-10)
    assert m.extra["ka2_ratio"] == 0.5 and m.extra["wavelength2_m"] == pytest.approx(1.544426e-10)
    assert m.start_time.replace(tzinfo=None) == datetime(2020, 11, 6, 18, 9, 37)
    x = m.data["two_theta_deg"].to_numpy()
    assert x[0] == pytest.approx(5.00475563) and x[-1] == pytest.approx(124.99166689)


def test_raw4_brml_rasx_gsas():
    t = read(p("datalab-org+datalab", "pydatalab", "example_data", "XRD", "TiO2.raw"))
    assert t.format == "xrd-bruker-raw" and t.extra["raw_version"].startswith("4")
    assert t.extra["anode"] == "Cu" and t.extra["wavelength_m"] == pytest.approx(1.5406e-10, rel=1e-4)
    b = read(p("datalab-org+datalab", "pydatalab", "example_data", "XRD", "TiOF.brml"))
    assert len(b) == 2469 and b.data["two_theta_deg"].iloc[0] == pytest.approx(9.998839261)
    assert b.data["intensity"].iloc[0] == 4471 and b.extra["wavelength_m"] == pytest.approx(1.5406e-10)
    r = read(p("datalab-org+datalab", "pydatalab", "example_data", "XRD",
               "JO_KL_16_ZF_3_60deg_0.02step_12degpermin_001.rasx"))
    assert r.data["two_theta_deg"].iloc[0] == pytest.approx(3.0) and r.data["intensity"].iloc[0] == 2589
    assert r.extra["wavelength_m"] == pytest.approx(1.540593e-10)
    g = read(p("AdvancedPhotonSource+GSAS-II", "tests", "testinp", "PBSO4.XRA"))
    x = g.data["two_theta_deg"].to_numpy()
    assert len(g) == 6001 and x[0] == pytest.approx(10.0) and x[1] - x[0] == pytest.approx(0.025)
    assert g.data["intensity"].iloc[0] == 179


def test_text_headers_give_the_wavelength():
    c = read(p("Dioptas+Dioptas", "dioptas", "tests", "data", "CeO2_Pilatus1M.xy"))
    assert c.extra["wavelength_m"] == pytest.approx(4.066e-11)
    bm = read(p("datalab-org+datalab", "pydatalab", "example_data", "XRD", "example_bmb.xye"))
    assert bm.extra["wavelength_m"] == pytest.approx(0.414581e-10) and "intensity_err" in bm.data
    ocx = read(p("datalab-org+datalab", "pydatalab", "example_data", "XRD", "example_ocx.xy"))
    assert len(ocx) == 1876 and any("theta" in w for w in ocx.warnings)


def test_rigaku_excerpt_fails_with_the_count():
    with pytest.raises(SselabError, match=r"COUNT says 4657 points"):
        read(p("R-Lum+rxylib", "tests", "testdata", "ExampleRigaku.dat"))


def test_not_patterns_fail_with_what_they_are():
    with pytest.raises(SselabError, match="TIFF image"):
        read(p("Dioptas+Dioptas", "dioptas", "tests", "data", "CeO2_Pilatus1M.tif"))
    with pytest.raises(SselabError, match="PONI"):
        read(p("Dioptas+Dioptas", "dioptas", "tests", "data", "CeO2_Pilatus1M.poni"))
    with pytest.raises(SselabError, match="CIF"):
        read(p("wojdyr+xylib", "samples", "1517474.cif"))


def test_truncated_raw_fails_with_one_line(tmp_path):
    data = p("wojdyr+xylib", "samples", "BT86.raw").read_bytes()
    f = tmp_path / "cut.raw"
    f.write_bytes(data[:5000])
    with pytest.raises(SselabError, match="truncated"):
        read(f)
