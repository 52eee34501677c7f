"""PalmSens .pssession reader: the real session against the same spectrum exported by other software, plus written
sessions (UTF-8, several measurements, no impedance, broken JSON)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import shared_path

from sselab.errors import ReaderError
from sselab.io import detect, read


def test_real_session_matches_the_mpt_export_of_the_same_spectrum():
    d = shared_path("data", "instruments", "vyrjana+pyimpspec", "tests")
    ps = read(d / "data.pssession")
    ref = read(d / "data.mpt")
    assert detect(d / "data.pssession") == "palmsens-pssession"
    assert ps.technique == "EIS" and len(ps) == 29 and not ps.warnings
    f, z = ps.impedance()
    fr, zr = ref.impedance()
    np.testing.assert_allclose(f, fr, rtol=1e-6)
    np.testing.assert_allclose(z.real, zr.real, rtol=1e-6)
    np.testing.assert_allclose(z.imag, zr.imag, rtol=1e-6)  # PalmSens stores −Z''; capacitive Z'' < 0 here
    assert np.all(z.imag < 0)
    assert ps.instrument == "PalmSens (SN PS4A22B003671)"
    assert ps.start_time.isoformat().startswith("2023-08-22T12:33:39")


def _array(kind, desc, values):
    return {"Type": "PalmSens.Data.DataArray", "ArrayType": kind, "Description": desc,
            "DataValues": [{"V": v} for v in values]}


def _session(*spectra, encoding="utf-16"):
    meas = []
    for f, z in spectra:
        meas.append({"Title": "t", "TimeStamp": 638283044195322907, "DeviceSerial": "X1",
                     "DataSet": {"Type": "PalmSens.Data.DataSetEIS", "Values": [
                         _array(5, "Frequency", list(f)), _array(7, "ZRe", list(z.real)),
                         _array(8, "ZIm", list(-z.imag))]}})
    doc = {"Type": "PalmSens.DataFiles.SessionFile", "CoreVersion": "5.9", "Measurements": meas}
    text = json.dumps(doc)
    return (text.encode("utf-16") + "\ufeff".encode("utf-16-le")) if encoding == "utf-16" else text.encode("utf-8")


def _rc(f, r=100.0, c=1e-6):
    return r / (1 + 2j * np.pi * f * r * c)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_written_sessions_several_spectra_become_cycles(tmp_path, encoding):
    f = np.logspace(5, 0, 20)
    p = tmp_path / "two.pssession"
    p.write_bytes(_session((f, _rc(f)), (f, _rc(f, r=200.0)), encoding=encoding))
    m = read(p)
    assert m.format == "palmsens-pssession"
    spectra = m.spectra()
    assert len(spectra) == 2
    np.testing.assert_allclose(spectra[1][1], _rc(f, r=200.0), rtol=1e-12)


def test_session_without_impedance_and_broken_json(tmp_path):
    p = tmp_path / "cv.pssession"
    doc = {"Type": "PalmSens.DataFiles.SessionFile", "Measurements": [
        {"DataSet": {"Values": [_array(0, "time", [0, 1]), _array(1, "potential", [0.1, 0.2])]}}]}
    p.write_bytes(json.dumps(doc).encode("utf-16"))
    with pytest.raises(ReaderError, match="without impedance data") as exc:
        read(p)
    assert str(p) in str(exc.value)
    q = tmp_path / "cut.pssession"
    q.write_bytes(_session((np.array([1.0, 2.0]), np.array([1 - 1j, 2 - 2j])))[:300])
    with pytest.raises(ReaderError) as exc:
        read(q)
    assert str(q) in str(exc.value) and "\n" not in str(exc.value)
