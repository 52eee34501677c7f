"""Circuit parser and element impedances against closed forms, impedance.py and finite differences."""
import numpy as np
import pytest

from sselab.eis import Circuit, CircuitError

F = np.logspace(-3, 7, 61)
W = 2 * np.pi * F


def test_param_names_follow_contract():
    c = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)-CPE3")
    assert c.param_names == ["R0", "R1", "CPE1_Q", "CPE1_alpha", "R2", "CPE2_Q", "CPE2_alpha", "CPE3_Q",
                             "CPE3_alpha"]
    assert Circuit("L0-R0-p(R1-Wo1,C1)-Ws2-W3-G4").param_names == [
        "L0", "R0", "R1", "Wo1_R", "Wo1_tau", "C1", "Ws2_R", "Ws2_tau", "W3", "G4_R", "G4_tau"]
    assert str(Circuit(" R0 - p( R1 , CPE1 ) ")) == "R0-p(R1,CPE1)"


@pytest.mark.parametrize("text, needle", [
    ("", "empty"), ("R0-", "ends where"), ("R0-p(R1,C1", "missing ')'"), ("R0-X1", "unknown element 'X1'"),
    ("R1-R1", "appears twice"), ("p(R1)", "two branches"), ("R0)", "unexpected ')'"), ("R0--R1", "unexpected '-'"),
])
def test_parser_errors_are_one_line(text, needle):
    with pytest.raises(CircuitError) as e:
        Circuit(text)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_closed_forms():
    R0, R1, Q, a, C, L = 5.0, 1e3, 2e-9, 0.8, 3e-6, 2e-7
    z = Circuit("L0-R0-p(R1,CPE1)-C2").impedance(F, {"L0": L, "R0": R0, "R1": R1, "CPE1_Q": Q, "CPE1_alpha": a,
                                                     "C2": C})
    zarc = R1 / (1 + R1 * Q * (1j * W) ** a)
    np.testing.assert_allclose(z, 1j * W * L + R0 + zarc + 1 / (1j * W * C), rtol=1e-12)
    # finite Warburgs: short -> R at low f, open -> capacitor-like (Z'' ~ -1/(ω C_eff)); both -> W at high f
    R, tau = 50.0, 10.0
    zs = Circuit("Ws1").impedance(F, [R, tau])
    zo = Circuit("Wo1").impedance(F, [R, tau])
    assert abs(zs[0] - R * (1 - 1j * W[0] * tau / 3)) / R < 1e-3  # series expansion of tanh(x)/x
    np.testing.assert_allclose(zo[:3].imag, -R / (W[:3] * tau), rtol=1e-2)
    np.testing.assert_allclose(zo[:3].real, R / 3, rtol=1e-2)
    hi = F > 1e3
    sigma = R / np.sqrt(2 * tau)  # semi-infinite limit sigma(1-j)/sqrt(w)
    np.testing.assert_allclose(zs[hi], Circuit("W1").impedance(F[hi], [sigma]), rtol=1e-9)
    np.testing.assert_allclose(zo[hi], zs[hi], rtol=1e-9)
    zg = Circuit("G1").impedance(F, [R, tau])
    np.testing.assert_allclose(zg, R / np.sqrt(1 + 1j * W * tau), rtol=1e-12)
    assert np.all(np.isfinite(Circuit("Wo1").impedance(np.array([1e12]), [R, 1e6])))


@pytest.mark.parametrize("text, values", [
    ("L0-R0-p(R1,CPE1)-p(R2,C2)-CPE3", [1e-7, 10, 1e3, 1e-9, 0.85, 500, 1e-6, 1e-5, 0.9]),
    ("R0-p(R1-Wo1,CPE1)", [10, 200, 300, 5.0, 1e-6, 0.9]),
    ("R0-p(R1-Ws1,C1)-W1", [10, 200, 300, 0.5, 1e-6, 40]),
    ("R0-G1-p(R1,CPE1)", [10, 40, 1e-3, 100, 1e-6, 0.8]),
])
def test_against_impedance_py(text, values):
    import impedance.models.circuits as cc  # the test extra
    import warnings

    ref = cc.CustomCircuit(text, initial_guess=list(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z_ref = ref.predict(F)
    np.testing.assert_allclose(Circuit(text).impedance(F, values), z_ref, rtol=1e-10)


@pytest.mark.parametrize("text, values", [
    ("L0-R0-p(R1,CPE1)-p(R2,C2)-CPE3", [1e-7, 10, 1e3, 1e-9, 0.85, 500, 1e-6, 1e-5, 0.9]),
    ("R0-p(R1-Wo1,CPE1)-Ws2-G3-W4", [10, 200, 300, 5.0, 1e-6, 0.9, 30, 0.1, 20, 1e-3, 15]),
])
def test_analytic_jacobian(text, values):
    c = Circuit(text)
    p = np.array(values, float)
    z, J = c.impedance_and_jacobian(W, p[None])
    for k in range(p.size):
        h = p[k] * 1e-4
        hi, lo = p.copy(), p.copy()
        hi[k] += h
        lo[k] -= h
        num = (c.impedance(F, hi) - c.impedance(F, lo)) / (2 * h)
        np.testing.assert_allclose(J[0, :, k], num, rtol=1e-6, atol=1e-12 * np.abs(z).max() / h)


def test_batch_and_errors():
    c = Circuit("R0-p(R1,C1)")
    P = np.array([[1, 10, 1e-6], [2, 20, 1e-6]])
    z = c.impedance(F, P)
    assert z.shape == (2, F.size)
    np.testing.assert_allclose(z[1], c.impedance(F, P[1]))
    with pytest.raises(CircuitError, match="missing parameter"):
        c.impedance(F, {"R0": 1})
    with pytest.raises(CircuitError, match="takes 3 parameters"):
        c.impedance(F, [1, 2])
    assert c.rc_pairs() == [("R1", "C1")]
