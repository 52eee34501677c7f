"""Robustness sweep: every real impedance spectrum under ../shared/data/instruments that ``sselab.io.read`` reads as
technique EIS is fitted with two generic circuits.  Each spectrum must give either a fit with finite numbers (no NaN
anywhere) or a one-line :class:`SselabError` — never another exception.

Counts at the time of writing (55 EIS files, 297 spectra; every one fitted with both circuits, no errors) are the
floor asserted below, so a reader regression that silently drops files shows up here."""
import warnings

import numpy as np
import pytest

from sselab.eis import fit_batch
from sselab.errors import SselabError
from sselab.io import read

from conftest import shared_path

CIRCUITS = ("R0-p(R1,CPE1)-CPE2", "L0-R0-p(R1,CPE1)-CPE2")
MIN_FILES, MIN_SPECTRA = 50, 250


@pytest.fixture(scope="module")
def eis_files():
    root = shared_path("data", "instruments")
    out = []
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = read(p)
        except SselabError:
            continue  # not a format sselab reads (or not data at all)
        if m.technique != "EIS":
            continue
        spectra = []
        for f, z in m.spectra():
            keep = f > 0
            spectra.append((f[keep], z[keep]))
        out.append((p, spectra))
    return out


def test_sweep_finds_the_real_spectra(eis_files):
    n_spec = sum(len(s) for _, s in eis_files)
    print(f"\nEIS sweep: {len(eis_files)} files, {n_spec} spectra")
    assert len(eis_files) >= MIN_FILES and n_spec >= MIN_SPECTRA


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_every_real_spectrum_fits_or_fails_cleanly(eis_files, circuit):
    n_ok, errors = 0, []
    for path, spectra in eis_files:
        labels = [f"{path.name}#{k + 1}" for k in range(len(spectra))]
        try:
            results = fit_batch(spectra, circuit, warm_start=False, labels=labels)
        except SselabError as e:
            msg = str(e)
            assert msg and "\n" not in msg, (path, msg)
            errors.append(f"{path.name}: {msg}")
            continue
        assert len(results) == len(spectra)
        for lab, r in zip(labels, results):
            values = np.array(list(r.params.values()))
            assert np.all(np.isfinite(values)), (lab, r.params)
            assert np.isfinite(r.chi2) and np.isfinite(r.chi2_reduced), lab
            assert np.all(np.isfinite(r.Z_fit)), lab
            assert not np.any(np.isnan(list(r.stderr.values()))), (lab, r.stderr)  # inf = undetermined, flagged
            assert not np.any(np.isnan(r.correlation)), lab
            for k, v in r.params.items():
                if k.endswith("_alpha"):
                    assert 0 <= v <= 1, (lab, k, v)
                else:
                    assert v > 0, (lab, k, v)
            n_ok += 1
    print(f"\n{circuit}: {n_ok} spectra fitted, {len(errors)} files with a one-line error")
    for e in errors:
        print("  ", e)
    assert n_ok >= MIN_SPECTRA
