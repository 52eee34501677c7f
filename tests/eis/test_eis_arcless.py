"""Circuits without any R‖C / R‖CPE arc (no component with a time scale): starting values come from the linear
amplitude fit alone.  Regression: ``fit(f, Z, "R0-CPE3")`` used to fail with "cannot reshape array of size 0".

Truth: forward simulation with known parameters (plus 0.3 % proportional noise where stated)."""
import numpy as np
import pytest

from sselab.eis import Circuit, fit, fit_batch, initial_guesses

F = np.logspace(6, -2, 57)

CASES = [
    ("R0-CPE3", {"R0": 120.0, "CPE3_Q": 2e-6, "CPE3_alpha": 0.82}),
    ("R0-C1", {"R0": 35.0, "C1": 4.7e-6}),
    ("R0-CPE1", {"R0": 850.0, "CPE1_Q": 3e-7, "CPE1_alpha": 0.9}),
    ("R0-W1", {"R0": 15.0, "W1": 240.0}),
    ("L0-R0-CPE1", {"L0": 1.5e-6, "R0": 22.0, "CPE1_Q": 5e-5, "CPE1_alpha": 0.75}),
    ("L0-R0-C1", {"L0": 8e-7, "R0": 4.0, "C1": 1e-3}),
    ("R0", {"R0": 47.0}),
    ("R0-L0", {"R0": 2.2, "L0": 3e-6}),
    ("C1", {"C1": 2e-9}),
    ("CPE1", {"CPE1_Q": 1e-5, "CPE1_alpha": 0.6}),
    ("R0-W1-CPE2", {"R0": 60.0, "W1": 500.0, "CPE2_Q": 1e-4, "CPE2_alpha": 0.9}),
]


def noisy(circuit, params, f=F, noise=0.003, seed=0):
    rng = np.random.default_rng(seed)
    z = Circuit(circuit).impedance(f, params)
    return z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))


@pytest.mark.parametrize("circuit,truth", CASES, ids=[c for c, _ in CASES])
def test_exact_data_recovers_parameters(circuit, truth):
    z = Circuit(circuit).impedance(F, truth)
    res = fit(F, z, circuit)
    assert res.success
    for k, v in truth.items():
        assert res.params[k] == pytest.approx(v, rel=1e-5), k
    assert res.chi2 < 1e-12


@pytest.mark.parametrize("circuit,truth", CASES, ids=[c for c, _ in CASES])
def test_noisy_data_recovers_parameters_within_errors(circuit, truth):
    res = fit(F, noisy(circuit, truth), circuit)
    assert res.success
    assert np.all(np.isfinite(list(res.params.values())))
    for k, v in truth.items():
        err = res.stderr[k]
        assert np.isfinite(err) and err > 0, k
        # within 5 standard errors and 3 % (0.3 % noise on 57 points)
        assert abs(res.params[k] - v) < 5 * err + 1e-12, (k, res.params[k], err)
        assert res.params[k] == pytest.approx(v, rel=0.03), k
    # reduced χ² is the noise level (modulus weighting, σ = 0.3 % of |Z| per part)
    assert res.chi2_reduced == pytest.approx(0.003 ** 2, rel=0.5)


def test_guess_of_linear_arcless_circuit_is_exact():
    # R0-C1, R0-W1: the amplitude fit is the whole problem, so the guess is the answer
    for circuit, truth in [("R0-C1", [35.0, 4.7e-6]), ("R0-W1", [15.0, 240.0]), ("R0", [47.0])]:
        g = initial_guesses(circuit, F, Circuit(circuit).impedance(F, truth))
        assert g.shape == (1, len(truth))
        np.testing.assert_allclose(g[0], truth, rtol=1e-6)


def test_batch_of_arcless_spectra_warm_started():
    truths = [{"R0": 100.0 * (1 + 0.1 * i), "CPE3_Q": 2e-6 / (1 + 0.2 * i), "CPE3_alpha": 0.8 + 0.01 * i}
              for i in range(5)]
    spectra = [(F, noisy("R0-CPE3", t, seed=i)) for i, t in enumerate(truths)]
    res = fit_batch(spectra, "R0-CPE3", warm_start=True)
    assert len(res) == 5
    for r, t in zip(res, truths):
        for k, v in t.items():
            assert r.params[k] == pytest.approx(v, rel=0.03), k


def test_arcless_with_fixed_and_initial():
    truth = {"R0": 120.0, "CPE3_Q": 2e-6, "CPE3_alpha": 0.82}
    z = Circuit("R0-CPE3").impedance(F, truth)
    res = fit(F, z, "R0-CPE3", fixed={"CPE3_alpha": 0.82}, initial={"R0": 1.0})
    assert res.params["R0"] == pytest.approx(120.0, rel=1e-6)
    assert res.params["CPE3_Q"] == pytest.approx(2e-6, rel=1e-6)
    assert res.fixed == ("CPE3_alpha",)
