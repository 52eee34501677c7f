"""DRT of a temperature series: peaks tracked across temperature, Ea per process.

Truth: a blocking-cell series simulated by sselab.simulate.eis_blocking (bulk and grain-boundary arcs with known
Arrhenius laws, blocking-electrode CPE, 0.5 % noise, 13 MHz–5 Hz) — the Ea that produced the spectra."""
import numpy as np
import pytest

from sselab.cell import CellSpec
from sselab.eis.drt import drt_series
from sselab.simulate import ArrheniusLaw, eis_blocking

EA_BULK, EA_GB = 0.45, 0.60


@pytest.fixture(scope="module")
def series():
    T = np.arange(273.15 - 20, 273.15 + 41, 10.0)
    rng = np.random.default_rng(11)
    sims = [eis_blocking(t, bulk=ArrheniusLaw(0.01, EA_BULK), gb=ArrheniusLaw(0.003, EA_GB), noise=0.005, rng=rng)
            for t in T]
    cell = CellSpec.from_strings(thickness="1mm", diameter="10mm")
    # shuffled input: tracking walks the temperatures in order whatever the input order
    order = np.array([3, 0, 6, 1, 5, 2, 4])
    ser = drt_series([sims[i].impedance() for i in order], T_K=T[order], cell=cell, band=False,
                     labels=[f"{T[i] - 273.15:.0f} C" for i in order])
    return ser, [sims[i] for i in order]


def test_every_spectrum_shows_bulk_and_grain_boundary(series):
    ser, sims = series
    for r, s in zip(ser.results, sims):
        p = s.truth["params"]
        assert r.n_peaks == 2, r.label
        bulk, gb = r.peaks
        assert bulk.assignment == "bulk" and gb.assignment == "grain boundary"
        assert gb.R_ohm == pytest.approx(p["R2"], rel=0.03)
        if bulk.in_window:
            assert bulk.R_ohm == pytest.approx(p["R1"], rel=0.03)
        assert "lf-tail-modelled" in r.flags                  # the blocking electrodes are the tail, not peaks


def test_tracks_and_activation_energies(series):
    ser, _ = series
    assert ser.axis == "temperature"
    names = [t.name for t in ser.tracks]
    assert names == ["bulk", "grain boundary"]
    bulk, gb = ser.track("bulk"), ser.track("grain boundary")
    assert len(gb.index) == 7 and len(bulk.index) >= 6
    assert bulk.Ea_eV == pytest.approx(EA_BULK, abs=0.01)
    assert gb.Ea_eV == pytest.approx(EA_GB, abs=0.01)
    assert bulk.Ea_err_eV < 0.01 and gb.Ea_err_eV < 0.01
    # the capacitance carries the identity: bulk ~ geometric (ε0 εr A/L ≈ 2 pF), grain boundary ~ nF
    assert 1e-12 < bulk.C_median_F < 3e-11 and 1e-10 < gb.C_median_F < 1e-8
    assert np.all(np.diff(ser.T_K[ser.order]) > 0)


def test_map_and_plots(series):
    import matplotlib

    matplotlib.use("Agg")
    from sselab.eis.drt import plot

    ser, _ = series
    assert ser.gamma_map_ohm.shape == (7, ser.tau_s.size)
    assert np.all(ser.gamma_map_ohm >= 0)
    for fn in (plot.drt_map, plot.track_arrhenius, plot.track_evolution):
        fig = fn(ser)
        assert fig.axes
    d = ser.to_dict()
    assert [t["name"] for t in d["tracks"]] == ["bulk", "grain boundary"]
    assert d["tracks"][0]["Ea_eV"] == pytest.approx(EA_BULK, abs=0.01)


def test_time_series_without_temperatures_uses_time_then_index():
    f = np.logspace(5, -1, 49)
    spectra = [(f, 5 + R / (1 + (2j * np.pi * f * 1e-3) ** 0.9)) for R in (100.0, 120.0, 140.0, 160.0)]
    ser = drt_series(spectra, time_s=[30.0, 0.0, 10.0, 20.0], band=False)
    assert ser.axis == "time" and list(ser.order) == [1, 2, 3, 0]
    assert len(ser.tracks) == 1 and ser.tracks[0].arrhenius is None
    t = ser.tracks[0]
    assert list(t.index) == [1, 2, 3, 0]                     # walked in time order; arrays aligned with index
    assert t.R_ohm == pytest.approx(np.array([100.0, 120.0, 140.0, 160.0])[t.index], rel=1e-3)
    ser2 = drt_series(spectra, band=False)
    assert ser2.axis == "index" and list(ser2.order) == [0, 1, 2, 3]
