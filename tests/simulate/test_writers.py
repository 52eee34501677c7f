"""Writers produce files shaped like real EC-Lab / ZView exports, and give their inputs back."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from sselab.simulate import (ArrheniusLaw, cyclic_voltammetry, dc_polarization, eis_blocking, full_cell,
                             stripping_plating, write_csv, write_mpt, write_zview)


def _parse_mpt(path):
    raw = path.read_bytes()
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    n = int(lines[1].split(":")[1])
    header = lines[n - 1].rstrip("\t").split("\t")
    body = "\n".join(lines[n:])
    df = pd.read_csv(io.StringIO(body), sep="\t", header=None, names=header)
    return raw, lines, n, df


def _eis():
    return eis_blocking(303.15, bulk=ArrheniusLaw(0.0081, 0.50), gb=ArrheniusLaw(0.0162, 0.50), rng=3)


def test_mpt_eis_structure_and_values(tmp_path):
    sim = _eis()
    p = sim.write(tmp_path / "hp_30C.mpt")
    raw, lines, n, df = _parse_mpt(p)
    assert lines[0] == "EC-Lab ASCII FILE"
    assert lines[1].startswith("Nb header lines : ")
    assert lines[3] == "Potentio Electrochemical Impedance Spectroscopy"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert "µF".encode("latin-1") in raw  # latin-1 micro sign as EC-Lab writes it
    assert any(ln.startswith("Comments : 30.0") for ln in lines[:n])
    for col in ("freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "|Z|/Ohm", "Phase(Z)/deg", "time/s", "cycle number"):
        assert col in df.columns
    d = sim.data
    np.testing.assert_allclose(df["freq/Hz"], d["freq_Hz"], rtol=1e-7)
    np.testing.assert_allclose(df["Re(Z)/Ohm"], d["z_real_ohm"], rtol=1e-6)
    np.testing.assert_allclose(df["-Im(Z)/Ohm"], -d["z_imag_ohm"], rtol=1e-6)
    # three-digit exponent, as EC-Lab formats numbers
    assert lines[n].split("\t")[0].endswith("E+007")


@pytest.mark.parametrize("technique,sim_fn,current_col", [
    ("CA", lambda: dc_polarization(duration_s=600, rng=1), "I/mA"),
    ("CV", lambda: cyclic_voltammetry(n_cycles=2, dE_V=0.05, rng=1), "<I>/mA"),
    ("GCPL", lambda: stripping_plating(cycles_per_step=2, current_densities_A_per_m2=(0.1, 0.2),
                                       long_rest_after_step=None, rng=1), "<I>/mA"),
])
def test_mpt_dc_techniques_round_trip(tmp_path, technique, sim_fn, current_col):
    sim = sim_fn()
    assert sim.technique == technique
    p = sim.write(tmp_path / "x.mpt")
    _, lines, n, df = _parse_mpt(p)
    d = sim.data
    assert {"time/s", "Ewe/V", current_col} <= set(df.columns)
    np.testing.assert_allclose(df["time/s"], d["time_s"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(df["Ewe/V"], d["potential_V"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(df[current_col] * 1e-3, d["current_A"], rtol=1e-6, atol=1e-18)
    if technique == "GCPL":
        assert {"Ns", "cycle number", "half cycle", "(Q-Qo)/mA.h"} <= set(df.columns)
        np.testing.assert_array_equal(df["cycle number"], d["cycle"])


def test_mpt_decimal_comma(tmp_path):
    sim = dc_polarization(duration_s=300, rng=1)
    p = write_mpt(tmp_path / "c.mpt", sim.data, "CA", decimal=",")
    _, lines, n, _ = _parse_mpt(p)
    assert "," in lines[n] and "." not in lines[n]


def test_zview_round_trip(tmp_path):
    sim = _eis()
    f, z = sim.impedance()
    p = write_zview(tmp_path / "a.z", f, z, temperature_K=303.15)
    text = p.read_bytes().decode("latin-1")
    assert text.startswith("ZPLOT2 ASCII\r\n")
    head, body = text.split("End Comments\r\n")
    arr = np.loadtxt(io.StringIO(body), delimiter="\t")
    np.testing.assert_allclose(arr[:, 0], f, rtol=1e-6)
    np.testing.assert_allclose(arr[:, 4] + 1j * arr[:, 5], z, rtol=1e-5)
    assert (arr[:, 5] < 0).sum() > len(f) / 2  # mathematical sign kept


def test_csv_canonical(tmp_path):
    sim = full_cell(n_cycles=2, rng=0)
    p = write_csv(tmp_path / "fc.csv", sim.data)
    back = pd.read_csv(p)
    assert list(back.columns[:3]) == ["time_s", "potential_V", "current_A"]
    np.testing.assert_allclose(back["current_A"], sim.data["current_A"], rtol=1e-9)


def _io_read():
    from sselab.io import read       # a broken reader module must fail these tests, not skip them

    return read


@pytest.mark.parametrize("suffix", [".mpt", ".z", ".csv"])
def test_read_back_eis_with_sselab_io(tmp_path, suffix):
    read = _io_read()
    sim = _eis()
    p = sim.write(tmp_path / f"e{suffix}")
    m = read(p)
    assert m.technique == "EIS"
    f, z = m.impedance()
    f0, z0 = sim.impedance()
    np.testing.assert_allclose(f, f0, rtol=1e-6)
    np.testing.assert_allclose(z, z0, rtol=1e-5)


@pytest.mark.parametrize("kind", ["CA", "CV", "GCPL"])
def test_read_back_dc_with_sselab_io(tmp_path, kind):
    read = _io_read()
    sim = {"CA": lambda: dc_polarization(duration_s=600, rng=1),
           "CV": lambda: cyclic_voltammetry(n_cycles=2, dE_V=0.05, rng=1),
           "GCPL": lambda: full_cell(n_cycles=2, rng=1)}[kind]()
    m = read(sim.write(tmp_path / "x.mpt"))
    assert m.technique == kind
    np.testing.assert_allclose(m.column("time_s"), sim.data["time_s"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(m.column("potential_V"), sim.data["potential_V"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(m.column("current_A"), sim.data["current_A"], rtol=1e-6, atol=1e-15)


def test_read_back_csv_temperature_column(tmp_path):
    read = _io_read()
    sim = _eis()
    m = read(sim.write(tmp_path / "e.csv"))
    assert m.column("temperature_K")[0] == pytest.approx(303.15)


@pytest.mark.parametrize("technique", ["CA", "EIS"])
def test_read_back_decimal_comma(tmp_path, technique):
    read = _io_read()
    sim = dc_polarization(duration_s=600, rng=1) if technique == "CA" else _eis()
    m = read(write_mpt(tmp_path / "c.mpt", sim.data, technique, decimal=","))
    if technique == "CA":
        np.testing.assert_allclose(m.column("current_A"), sim.data["current_A"], rtol=1e-6, atol=1e-15)
    else:
        np.testing.assert_allclose(m.impedance()[1], sim.impedance()[1], rtol=1e-5)
