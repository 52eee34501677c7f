"""NMR readers against TopSpin's own processing, region integrals against simulated truth, CSA fits."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from conftest import shared_path
from sselab.io import read
from sselab.io.nmr import fid_to_spectrum


NMR = ("data", "structure", "nmr")


@pytest.mark.parametrize("ds", ["71", "1"])
def test_fid_transform_matches_topspin_1r(ds):
    """Our FT of the FID (digital filter removed, TopSpin's PHC0/PHC1/LB) reproduces TopSpin's processed 1r: same
    ppm axis (to 1e-3 ppm) and the same spectrum (correlation > 0.99)."""
    import nmrglue as ng

    d = shared_path(*NMR, "datalab-org+datalab", "pydatalab", "example_data", "NMR", ds)
    m = read(d)
    assert m.extra["spectrum_source"] == "processed"
    x, y = m.data["shift_ppm"].to_numpy(), m.data["intensity"].to_numpy()
    procs = ng.bruker.read_procs_file(str(d / "pdata" / "1"))["procs"]
    ppm, spec = fid_to_spectrum(m.extra["fid"], m.extra["fid_dwell_s"], m.extra["sfo1_Hz"], m.extra["sf_Hz"],
                                size=int(procs["SI"]), phc0_deg=procs["PHC0"], phc1_deg=procs["PHC1"],
                                lb_Hz=procs["LB"] if procs["WDW"] == 1 else 0.0)
    np.testing.assert_allclose(ppm, x, atol=1e-3)
    assert np.corrcoef(spec[0].real, y)[0, 1] > 0.99


def test_fid_transform_puts_a_line_at_its_frequency():
    """Closed form: a line exactly on a bin of the zero-filled FT appears at that bin, and the axis there reads the
    line's shift (to 1e-9 ppm) — for lines above and below the carrier."""
    sf, sfo1, sw, n, size = 116.6e6, 116.6e6 + 350.0, 50_000.0, 1024, 4096
    t = np.arange(n) / sw
    for k in (-700, -3, 5, 1200):                   # offsets from the carrier in bins of sw/size
        off = k * sw / size
        fid = np.exp(2j * np.pi * off * t - np.pi * 30.0 * t)
        ppm, spec = fid_to_spectrum(fid, 1 / sw, sfo1, sf, size=size)
        truth = (sfo1 + off - sf) / sf * 1e6
        assert ppm[np.argmax(spec[0].real)] == pytest.approx(truth, abs=1e-9)


def test_bruker_7li_metadata():
    m = read(shared_path(*NMR, "datalab-org+datalab", "pydatalab", "example_data", "NMR", "71"))
    assert m.technique == "NMR" and m.extra["nucleus"] == "7Li"
    assert m.extra["bf1_Hz"] == pytest.approx(77.778117e6)
    assert m.extra["ns"] == 2048


def test_pseudo2d_and_varian_array_rows_and_times():
    ir = read(shared_path(*NMR, "cheminfo+bruker-data-test", "data", "zipped", "cyclosporin", "inversionRecovery2D", "1"))
    assert ir.data["row"].nunique() == 10
    assert ir.extra["row_variable"][:3] == [10.0, 5.0, 4.0]            # the vdlist
    v = read(shared_path(*NMR, "NMRPy+nmrpy", "nmrpy", "tests", "test_data", "test1.fid"))
    assert v.extra["fid"].shape[0] == 24 and v.data["row"].nunique() == 24
    assert v.start_time == datetime(2015, 12, 6, 14, 15, 9)
    # nt·(d1 + at) per increment: the 24 increments end within a minute of procpar's time_complete (15:11:02)
    per = np.diff(v.extra["row_time_s"]).mean()
    end = 24 * per
    assert abs(end - (datetime(2015, 12, 6, 15, 11, 2) - v.start_time).total_seconds()) < 60


def test_jcamp_axis():
    m = read(shared_path(*NMR, "datalab-org+datalab", "pydatalab", "example_data", "NMR", "1h.dx"))
    x = m.data["shift_ppm"].to_numpy()
    assert x[0] == pytest.approx(13.99587, abs=1e-4)        # ##$OFFSET of the file
    assert m.extra["sf_Hz"] == pytest.approx(400.4224e6)


def test_region_integrals_within_one_percent_of_truth(tmp_path):
    from sselab.io.structure_series import read_series
    from sselab.recipes import nmr as rn
    from sselab.simulate.structure import nmr_series, write_bruker_series
    from sselab.structure.nmr import region_integrals

    s = nmr_series(10, rng=4)
    write_bruker_series(tmp_path / "1", s)
    se = read_series(tmp_path / "1", allow_index_time=True)
    regs = {"Li metal": (200.0, 320.0), "SSE": (-60.0, 60.0)}
    ppm, Y, info = rn.process_series(se, regions=regs)
    assert abs(info["phc0_deg"]) < 1.0                      # simulated FIDs are in phase
    ri = region_integrals(ppm, Y, regs)
    for k, (lo, hi) in regs.items():
        truth = s.region_truth(lo, hi)
        assert np.max(np.abs(ri.values[k] / truth - 1)) < 0.01, k


def test_autophase_recovers_a_phase_error():
    from sselab.structure.nmr import apply_phase, autophase

    x = np.linspace(-500, 500, 16384)
    z = 1 / (1 + 1j * (x - 3) / 0.5) + 0.3 / (1 + 1j * (x + 20) / 1.0)     # absorptive + dispersive parts
    p0, _ = autophase(apply_phase(z, -37.0))       # multiplied by exp(+37° i): undone by phc0 = +37°
    assert p0 == pytest.approx(37.0, abs=1.0)


def test_line_fit_areas():
    from sselab.structure.nmr import fit_lines
    from sselab.structure.peaks import gaussian, lorentzian

    x = np.linspace(-40, 40, 1600)
    y = 2.0 * lorentzian(x, 3.3, 1.0) + 5.0 * gaussian(x, 3.4, 8.0)
    y = y + np.random.default_rng(1).normal(0, 1e-3, len(x))
    f = fit_lines(x, y, [{"shape": "lorentz", "center": 3.0, "fwhm": 2.0}, {"shape": "gauss", "center": 3.0, "fwhm": 6.0}])
    a, b = f.components
    assert a["area"] == pytest.approx(2.0, abs=5 * a["area_err"] + 1e-3) and b["area"] == pytest.approx(5.0, abs=5 * b["area_err"] + 1e-3)
    assert a["center_ppm"] == pytest.approx(3.3, abs=0.01) and b["fwhm_ppm"] == pytest.approx(8.0, abs=0.05)


def test_csa_two_component_fit_within_errors():
    """Fig. 4c: a quasi-axial (broad) and a rhombic (narrow) static CSA component, simulated by direct powder
    averaging (independent of mrsimulator), fitted with mrsimulator: every parameter within 4σ of the truth."""
    import mrsimulator  # noqa: F401 — the test extra (pip install -e '.[test]')
    from sselab.simulate.structure import csa_powder_spectrum
    from sselab.structure.nmr import csa_spectrum_mrsimulator, fit_csa

    ppm = np.linspace(-40, 40, 800)
    sf = 116.64e6
    # the two calculators agree on one component
    a = csa_powder_spectrum(ppm, 3.3, 12.0, 0.0, broadening_ppm=1.0)
    b = csa_spectrum_mrsimulator(ppm, [{"iso": 3.3, "aniso": 12.0, "eta": 0.0, "area": 1.0, "broadening": 1.0}], sf_Hz=sf)
    assert np.corrcoef(a, b)[0, 1] > 0.9999
    truth = [{"iso": 3.40, "aniso": -18.0, "eta": 0.0, "area": 0.6, "broadening": 1.5, "kind": "quasi-axial"},
             {"iso": 3.30, "aniso": 6.0, "eta": 0.55, "area": 0.4, "broadening": 0.6, "kind": "rhombic"}]
    y = sum(csa_powder_spectrum(ppm, c["iso"], c["aniso"], c["eta"], amplitude=c["area"], broadening_ppm=c["broadening"])
            for c in truth)
    y = y + np.random.default_rng(0).normal(0, 0.002 * y.max(), len(ppm))
    start = [{"iso": 3.0, "aniso": -15.0, "area": 0.5, "broadening": 1.0, "kind": "quasi-axial"},
             {"iso": 3.0, "aniso": 5.0, "eta": 0.4, "area": 0.5, "broadening": 1.0, "kind": "rhombic"}]
    f = fit_csa(ppm, y, start, sf_Hz=sf)
    for c, t in zip(f.components, truth):
        for k in ("iso", "aniso", "area", "broadening") + (("eta",) if t["kind"] == "rhombic" else ()):
            assert abs(c[k] - t[k]) < 4 * c[f"{k}_err"] + 1e-6, (t["kind"], k, c[k], c[f"{k}_err"], t[k])
