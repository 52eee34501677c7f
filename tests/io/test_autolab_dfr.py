"""Autolab .dfr reader: the real file against the .mpt export of the same spectrum; truncation and garbage."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path

from sselab.errors import EmptyFileError, ReaderError
from sselab.io import detect, read


def test_real_dfr_matches_the_mpt_export_of_the_same_spectrum():
    d = shared_path("data", "instruments", "vyrjana+pyimpspec", "tests")
    m = read(d / "data.dfr")
    assert detect(d / "data.dfr") == "autolab-dfr"
    assert m.technique == "EIS" and len(m) == 29 and not m.warnings
    f, z = m.impedance()
    fr, zr = read(d / "data.mpt").impedance()
    np.testing.assert_allclose(f, fr, rtol=1e-6)
    np.testing.assert_allclose(z, zr, rtol=1e-6)  # stored −Z'' negated: capacitive Z'' < 0
    assert np.all(z.imag < 0)


def _dfr(f, z, n=None):
    lines = ["VERSION8.0", f" {len(f) if n is None else n}", " 1"]
    for fi, zi in zip(f, z):
        lines += [f" {fi:.15g}", f" {zi.real:.15g}", f" {-zi.imag:.15g}"] + [" 0.0"] * 6
    lines += [" 1.0", " 1.0", " 1.0", "13.07.2022 22:32:00", "12.11.2018 22:33:00"] + [" 2.0"] * 5
    return "\r\n".join(lines) + "\r\n"


def test_written_dfr_truncated_and_empty(tmp_path):
    f = np.logspace(5, 0, 11)
    z = 50 + 100 / (1 + 2j * np.pi * f * 100 * 1e-7)
    p = tmp_path / "a.dfr"
    p.write_text(_dfr(f, z))
    np.testing.assert_allclose(read(p).impedance()[1], z, rtol=1e-12)
    text = _dfr(f, z)
    q = tmp_path / "cut.dfr"
    q.write_text(text[: len(text) // 2])
    m = read(q)
    assert 0 < len(m) < 11 and any("truncated" in w for w in m.warnings)
    e = tmp_path / "none.dfr"
    e.write_text("VERSION8.0\n 5\n 1\n")
    with pytest.raises(EmptyFileError):
        read(e)
    g = tmp_path / "garbage.dfr"
    g.write_text("VERSION8.0\n 2\n 1\n" + "abc\n" * 30)
    with pytest.raises(ReaderError) as exc:
        read(g)
    assert str(g) in str(exc.value) and "\n" not in str(exc.value)
