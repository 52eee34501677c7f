"""Lin-KK: compliant spectra pass, drifting ones fail, artefacts are handled without exceptions."""
import numpy as np
import pytest

from sselab.eis import Circuit, lin_kk
from sselab.errors import AnalysisError

F = np.logspace(6, -1, 50)
Z = Circuit("R0-p(R1,CPE1)-p(R2,C2)").impedance(F, [10, 1000, 1e-6, 0.85, 500, 1e-3])


def test_compliant_spectrum_passes_with_mu_criterion():
    r = lin_kk(F, Z)
    assert r.passed and r.rms_residual < 1e-3
    assert r.mu <= 0.85 and r.M > 2
    # μ was still above c with one element fewer (the criterion picked the first M with μ ≤ c)
    r_prev = lin_kk(F, Z, max_M=r.M - 1)
    assert r_prev.mu > 0.85 and r_prev.warnings
    assert r.residuals.shape == F.shape
    np.testing.assert_allclose(r.Z_fit, Z, rtol=5e-3)


def test_noise_level_shows_in_residuals():
    rng = np.random.default_rng(0)
    zn = Z + 0.005 * np.abs(Z) * (rng.normal(size=F.size) + 1j * rng.normal(size=F.size))
    r = lin_kk(F, zn)
    assert r.passed and 0.002 < r.rms_residual < 0.008


def test_drifting_spectrum_fails():
    drift = Z * (1 + 0.3 * np.linspace(0, 1, F.size))  # the cell changed during the sweep
    r = lin_kk(F, drift)
    assert not r.passed and r.rms_residual > 0.01


def test_inductive_artefacts_handled():
    zl = Z + 1j * 2 * np.pi * F * 1e-6  # lead inductance: Z'' > 0 at the top
    r = lin_kk(F, zl)
    assert r.passed and r.L_H == pytest.approx(1e-6, rel=0.05)
    assert any("inductance" in w for w in r.warnings)
    # low-frequency inductive loop: no exception, a warning, finite numbers
    zi = Circuit("R0-p(R1,CPE1)-p(R2,L2)").impedance(F, [10, 1000, 1e-6, 0.85, 50, 5])
    r = lin_kk(F, zi)
    assert np.isfinite(r.rms_residual) and any("inductive loop" in w for w in r.warnings)


def test_blocking_spike_gets_a_series_capacitance():
    zb = Circuit("R0-p(R1,CPE1)-C2").impedance(F, [10, 1000, 1e-6, 0.85, 1e-4])
    rng = np.random.default_rng(1)
    zb = zb + 0.002 * np.abs(zb) * (rng.normal(size=F.size) + 1j * rng.normal(size=F.size))
    r = lin_kk(F, zb)
    assert r.C_F == pytest.approx(1e-4, rel=0.05) and r.passed


def test_bad_input():
    with pytest.raises(AnalysisError, match="complex"):
        lin_kk(F, np.abs(Z))
    with pytest.raises(AnalysisError, match="usable points"):
        lin_kk(F[:3], Z[:3])
