"""The element registry: every element's impedance against impedance.py and closed-form limits, its analytic
Jacobian (and the time-constant / Brug gradients) against finite differences, its initial-guess rule, and the
one-file extension path (a new element registered in a test is parsed, simulated and fitted)."""
import math
import warnings

import numpy as np
import pytest

from sselab.eis import Circuit, CircuitError, fit
from sselab.eis.elements import ELEMENTS, ElementType, Param, check_registry, register, unregister

F = np.logspace(-3, 7, 71)
W = 2 * np.pi * F
LW = np.log(W)

#: element kind -> parameter sets to test (SI)
VALUES = {
    "R": [[120.0]], "C": [[3e-9]], "L": [[2e-7]], "CPE": [[2e-6, 0.82], [1e-10, 0.55]], "W": [[40.0]],
    "Ws": [[50.0, 10.0], [300.0, 1e-4]], "Wo": [[50.0, 10.0], [300.0, 1e-4]], "G": [[40.0, 1e-3]],
    "TLMQ": [[200.0, 1e-5, 0.9], [5e3, 3e-8, 0.7], [80.0, 2e-4, 1.0]],
}


def kinds():
    return sorted({et.kind for et in ELEMENTS.values()})


def test_every_registered_element_is_tested_and_consistent():
    check_registry()
    assert set(kinds()) == set(VALUES), "add test values for a new element here"


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_analytic_jacobian_matches_finite_differences(kind):
    et = ELEMENTS[kind]
    for vals in VALUES[kind]:
        p = [np.array([[v]]) for v in vals]
        z, d = et.impedance(p, W, LW)
        z = np.broadcast_to(z, (1, W.size))
        for k, v in enumerate(vals):
            h = abs(v) * 1e-6
            hi = [x.copy() for x in p]
            lo = [x.copy() for x in p]
            hi[k] += h
            lo[k] -= h
            num = (et.impedance(hi, W, LW)[0] - et.impedance(lo, W, LW)[0]) / (2 * h)
            ana = np.broadcast_to(d[k], (1, W.size))
            # central differences: truncation ~h², round-off ~ε|Z|/h (large where |Z| ≫ |dZ/dp|·p, e.g. the TLM's
            # low-frequency spike, whose R-derivative is 1/3 under |Z| ~ 1e8)
            tol = 1e-5 * np.abs(ana) + 1e-9 * np.abs(ana).max() + 1e-13 * np.abs(z) / h
            err = np.abs(ana - num)
            assert np.all(err <= tol), (kind, k, vals, float((err / tol).max()))


IMPEDANCE_PY = [("R1", [120.0]), ("C1", [3e-9]), ("L1", [2e-7]), ("CPE1", [2e-6, 0.82]), ("W1", [40.0]),
                ("Ws1", [50.0, 10.0]), ("Wo1", [50.0, 10.0]), ("G1", [40.0, 1e-3]),
                ("TLMQ1", [200.0, 1e-5, 0.9]), ("TLMQ1", [5e3, 3e-8, 0.7]),
                ("R0-p(R1,CPE1)-TLMQ2", [10.0, 1e3, 1e-9, 0.9, 200.0, 1e-5, 0.85])]


@pytest.mark.parametrize("text, values", IMPEDANCE_PY, ids=[f"{t}-{v[-1]}" for t, v in IMPEDANCE_PY])
def test_against_impedance_py(text, values):
    import impedance.models.circuits as cc  # the test extra
    ref = cc.CustomCircuit(text, initial_guess=list(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z_ref = ref.predict(F)
    np.testing.assert_allclose(Circuit(text).impedance(F, values), z_ref, rtol=1e-10)


def test_tlm_closed_form_limits_and_equivalences():
    R, Q, a = 200.0, 1e-5, 0.85
    c = Circuit("TLMQ1")
    z = c.impedance(F, [R, Q, a])
    zcpe = 1 / (Q * (1j * W) ** a)
    lo = F < 1e-2  # |x|² = R Q ω^α ≪ 1: the blocking spike shifted by R/3
    np.testing.assert_allclose(z[lo], R / 3 + zcpe[lo], rtol=2e-3)
    hi = F > 1e5  # |x| ≫ 1: a line at α·45°, √(R Z_s)
    np.testing.assert_allclose(z[hi], np.sqrt(R * zcpe[hi]), rtol=1e-9)
    # α = 1: identical to the open finite-length Warburg with τ = R·Q
    np.testing.assert_allclose(c.impedance(F, [R, Q, 1.0]), Circuit("Wo1").impedance(F, [R, R * Q]), rtol=1e-12)
    # alias TLM, parameter names and units from the registry
    t = Circuit("R0-TLM2")
    assert t.param_names == ["R0", "TLM2_R", "TLM2_Q", "TLM2_alpha"]
    assert t.param_units == {"R0": "Ohm", "TLM2_R": "Ohm", "TLM2_Q": "F s^(alpha-1)", "TLM2_alpha": ""}
    assert list(t.is_fraction) == [False, False, False, True]
    tc = c.time_constants()
    assert len(tc) == 1 and tc[0].name == "TLMQ1"
    assert tc[0].apex_Hz(np.array([R, Q, a])) == pytest.approx(1 / (2 * math.pi * (R * Q) ** (1 / a)))


@pytest.mark.parametrize("kind", ["C", "CPE"])
def test_arc_time_constant_and_brug_gradients(kind):
    et = ELEMENTS[kind]
    R = 2e4
    vals = [3e-9] if kind == "C" else [2e-10, 0.83]
    for fn in (et.rc_log_tau, et.rc_log_capacitance):
        v0, grad = fn(R, vals)
        x = [R, *vals]
        for k in range(len(x)):
            h = abs(x[k]) * 1e-7
            xp = list(x)
            xp[k] += h
            num = (fn(xp[0], xp[1:])[0] - v0) / h
            assert float(grad[k]) == pytest.approx(num, rel=1e-5, abs=1e-9)
    # closed forms: τ = (RQ)^(1/α); Brug C = (RQ)^(1/α)/R
    if kind == "CPE":
        q, a = vals
        assert math.exp(et.rc_log_tau(R, vals)[0]) == pytest.approx((R * q) ** (1 / a))
        assert math.exp(et.rc_log_capacitance(R, vals)[0]) == pytest.approx((R * q) ** (1 / a) / R)


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_initial_guess_rule_gives_unit_size_at_the_characteristic_frequency(kind):
    et = ELEMENTS[kind]
    wc = 2 * math.pi * 1e3
    vals = et.unit_values(wc, 0.85)
    z = et.impedance([np.array([[v]]) for v in vals], np.array([wc]), np.log([wc]))[0]
    assert 0.3 < abs(complex(np.ravel(z)[0])) < 3, (kind, z)
    if et.timescale:
        lt, _ = et.log_tau([np.float64(v) for v in vals])
        assert float(lt) == pytest.approx(-math.log(wc))
    if et.capacitive:  # R = 1 in parallel: the arc's apex at wc
        lt, _ = et.rc_log_tau(1.0, [np.float64(v) for v in vals])
        assert float(lt) == pytest.approx(-math.log(wc))


def test_fit_recovers_a_transmission_line_without_initial_guess():
    circ = "R0-TLMQ1"
    truth = dict(R0=15.0, TLMQ1_R=400.0, TLMQ1_Q=2e-5, TLMQ1_alpha=0.88)
    f = np.logspace(5, -2, 57)
    rng = np.random.default_rng(4)
    z = Circuit(circ).impedance(f, truth)
    z = z + 0.005 * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    r = fit(f, z, circ)
    assert r.success
    for k, v in truth.items():
        assert abs(r.params[k] / v - 1) < 0.05, (k, r.params[k], v)
        assert abs(r.params[k] - v) < 4 * r.stderr[k]


@pytest.fixture
def voigt_element():
    """A Voigt element K (R/(1 + jωτ), as impedance.py's K) added in one place — the registry — for this test."""
    def z_k(p, w, lw):
        r, tau = p
        d = 1.0 / (1.0 + 1j * w * tau)
        z = r * d
        return z, [d, -z * d * 1j * w]

    et = ElementType("K", (Param("R", "Ohm", description="resistance"),
                           Param("tau", "s", scale=0, description="time constant")), z_k,
                     lambda wc, a: (1.0, 1.0 / wc), "Voigt element R‖C written with τ", "R/(1+jωτ)",
                     timescale=True, log_tau=lambda p: (np.log(p[-1]), [0.0 * p[0], 1.0 / p[-1]]))
    register(et)
    yield et
    unregister("K")


def test_a_new_element_registered_in_one_place_is_parsed_simulated_and_fitted(voigt_element):
    check_registry([voigt_element])
    c = Circuit("R0-K1-K2")
    assert c.param_names == ["R0", "K1_R", "K1_tau", "K2_R", "K2_tau"]
    f = np.logspace(6, -2, 61)
    truth = [10.0, 300.0, 1e-4, 800.0, 0.5]
    z = c.impedance(f, truth)
    np.testing.assert_allclose(z, 10 + 300 / (1 + 2j * np.pi * f * 1e-4) + 800 / (1 + 2j * np.pi * f * 0.5))
    r = fit(f, z, c)
    got = sorted([(r.params["K1_tau"], r.params["K1_R"]), (r.params["K2_tau"], r.params["K2_R"])])
    np.testing.assert_allclose(got, [(1e-4, 300.0), (0.5, 800.0)], rtol=1e-4)
    # the simulator uses the same registry
    from sselab.simulate import impedance

    np.testing.assert_allclose(impedance("R0-K1-K2", f, dict(zip(c.param_names, truth))), z)


def test_unknown_element_and_registry_guards():
    with pytest.raises(CircuitError, match="unknown element 'X1'.*TLMQ"):
        Circuit("R0-X1")
    with pytest.raises(ValueError, match="already registered"):
        register(ELEMENTS["R"])
    with pytest.raises(ValueError, match="finite default bounds"):
        Param("a", "", "logit", (0.0, math.inf))
