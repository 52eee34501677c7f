"""FitResult as something to read and keep: report with units and ±, JSON round trip, model-choice evidence checked
against hand computations and simulated truth, honest status, profile-likelihood intervals, input messages."""
import json
import math
import warnings

import numpy as np
import pytest

from sselab.eis import Circuit, FitResult, compare_fits, fit, fit_batch, profile
from sselab.eis.result import _runs_z, format_value
from sselab.errors import FitError

F_HP = np.logspace(np.log10(13e6), np.log10(5), 65)
ONE = "R0-p(R1,CPE1)-CPE2"
TWO = "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"
T1 = dict(R0=20, R1=5e4, CPE1_Q=3e-11, CPE1_alpha=0.9, CPE2_Q=1e-6, CPE2_alpha=0.85)
T2 = dict(R0=50, R1=4e4, CPE1_Q=2e-10, CPE1_alpha=0.85, R2=5e4, CPE2_Q=1e-8, CPE2_alpha=0.8, CPE3_Q=4e-7,
          CPE3_alpha=0.88)


def noisy(circuit, f, params, level=0.01, seed=0):
    rng = np.random.default_rng(seed)
    z = Circuit(circuit).impedance(f, params)
    return z + level * np.abs(z) * (rng.normal(size=z.shape) + 1j * rng.normal(size=z.shape))


@pytest.fixture(scope="module")
def res1():
    return fit(F_HP, noisy(ONE, F_HP, T1, 0.01, 1), ONE, label="pellet 25 °C")


def test_report_reads_like_lmfit_with_units(res1):
    text = str(res1)
    assert text == res1.report()
    for needle in ("[[Fit]] R0-p(R1,CPE1)-CPE2 — pellet 25 °C", "[[Parameters]]", "AIC", "BIC", "χ²_red", " Ω ",
                   "F s^(α−1)", "±", "residual runs", "[[Arcs]]", "R1‖CPE1 apex"):
        assert needle in text, needle
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("R1 "))
    v, e = res1.params["R1"], res1.stderr["R1"]
    assert format_value(v, e, "Ohm") in line
    # value printed to the precision of its error
    assert format_value(50021.37, 123.0, "Ohm") == "50021 ± 123 Ω (0.25 %)"
    assert format_value(0.8512, 0.0031) == "0.8512 ± 0.0031 (0.36 %)"
    assert format_value(3.0123e-11, 4.5e-13, "F s^(alpha-1)") == "3.012e-11 ± 4.5e-13 F s^(α−1) (1.5 %)"
    assert format_value(2.5, math.inf, "Ohm").endswith("± ∞ (undetermined)")


def test_json_round_trip_is_exact_and_strict(res1):
    text = res1.to_json()
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    for key in ("freq_Hz", "z_real_ohm", "z_imag_ohm", "z_fit_real_ohm", "sigma_real_ohm", "param_units",
                "evidence", "schema"):
        assert key in doc, key
    assert doc["param_units"]["R1"] == "Ohm" and doc["evidence"]["n_points"] == F_HP.size
    back = FitResult.from_json(text)
    for name in ("circuit", "param_names", "params", "stderr", "chi2", "chi2_reduced", "weighting", "success",
                 "n_iter", "warnings", "flags", "fixed", "message", "label", "status", "params_at_bounds",
                 "outside_window", "n_dropped", "lf_loop_excluded"):
        assert getattr(back, name) == getattr(res1, name), name
    for name in ("freq_Hz", "Z", "Z_fit", "residuals", "covariance", "correlation", "sigma"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res1, name), err_msg=name)
    assert back.bounds == res1.bounds
    assert back.aic == res1.aic and back.runs_z_imag == res1.runs_z_imag
    assert back.report() == res1.report()
    assert back.resistance("R0+R1") == res1.resistance("R0+R1")
    # a kept result can still be profiled (data, weights and bounds travel with it)
    a, b = back.profile("R1"), res1.profile("R1")
    assert (a.lower, a.upper) == pytest.approx((b.lower, b.upper), rel=1e-9)
    with pytest.raises(FitError, match="schema"):
        FitResult.from_json('{"circuit": "R0"}')
    with pytest.raises(FitError, match="not JSON"):
        FitResult.from_json("{")


def test_json_keeps_undetermined_errors_as_null_and_back_to_inf():
    z = noisy("R0-p(R1,CPE1)-CPE2", F_HP, dict(T1, R1=150, CPE1_Q=5e-11, R0=30), 0.01, 2)
    r = fit(F_HP, z, "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3")  # far too many arcs: something is undetermined
    back = FitResult.from_json(r.to_json())
    assert {k for k, v in r.stderr.items() if math.isinf(v)} == {k for k, v in back.stderr.items() if math.isinf(v)}


def test_information_criteria_match_their_formulas(res1):
    n, k = 2 * F_HP.size, 6
    assert res1.n_points == F_HP.size and res1.n_free == k
    assert res1.aic == pytest.approx(n * math.log(res1.chi2 / n) + 2 * k)
    assert res1.bic == pytest.approx(n * math.log(res1.chi2 / n) + k * math.log(n))
    assert res1.aicc == pytest.approx(res1.aic + 2 * k * (k + 1) / (n - k - 1))
    assert res1.chi2_reduced == pytest.approx(res1.chi2 / (n - k))
    ev = res1.evidence()
    assert ev["aic"] == pytest.approx(res1.aic) and ev["outside_window"] == [] and ev["params_at_bounds"] == {}
    r = fit(F_HP, noisy(ONE, F_HP, T1, 0.01, 1), ONE, fixed={"CPE2_alpha": 0.85})
    assert r.n_free == 5


def test_runs_statistic_closed_forms():
    n = 41
    alt = np.array([(-1) ** i for i in range(n)], float)
    assert _runs_z(alt) == pytest.approx(math.sqrt(n - 1))        # every sign changes: z = +√(n−1)
    assert _runs_z(np.ones(n)) == pytest.approx(-math.sqrt(n - 1))  # never: z = −√(n−1)
    z = [_runs_z(np.random.default_rng(s).normal(size=n)) for s in range(400)]
    assert abs(np.mean(z)) < 0.15 and 0.85 < np.std(z) < 1.15     # ≈ N(0, 1) for independent residuals


def test_evidence_chooses_the_number_of_arcs():
    """Two-arc data: the one-arc fit shows structured residuals and loses on AIC/BIC by far; one-arc data: the extra
    arc is not worth it (BIC prefers one arc) and the one-arc residuals are unstructured."""
    z2 = noisy(TWO, np.logspace(7, 0, 71), T2, 0.01, 3)
    f2 = np.logspace(7, 0, 71)
    a, b = fit(f2, z2, ONE), fit(f2, z2, TWO)
    assert b.aic < a.aic - 100 and b.bic < a.bic - 100
    assert min(a.runs_z_real, a.runs_z_imag) < -3 < min(b.runs_z_real, b.runs_z_imag)
    z1 = noisy(ONE, F_HP, T1, 0.01, 4)
    c, d = fit(F_HP, z1, ONE), fit(F_HP, z1, TWO)
    assert c.bic < d.bic
    assert min(c.runs_z_real, c.runs_z_imag) > -3
    # the same through compare_fits (ranked, differences, weights); mixing spectra is refused
    table = compare_fits([a, b])
    assert [t["circuit"] for t in table] == [b.circuit, a.circuit]
    assert table[0]["d_bic"] == 0 and table[1]["d_bic"] == pytest.approx(a.bic - b.bic)
    assert table[0]["weight"] == pytest.approx(1.0) and table[1]["runs_z"] < -3
    assert compare_fits([c, d])[0]["circuit"] == c.circuit
    with pytest.raises(FitError, match="not fitted to the same points"):
        compare_fits([a, c])


def test_parameters_at_bounds_and_arcs_outside_the_window():
    # a series resistance the data do not have: R0 runs off to 0
    z = noisy(ONE, F_HP, dict(T1, R0=1e-6), 0.005, 5)
    r = fit(F_HP, z, ONE)
    assert r.params_at_bounds.get("R0") == "lower" and any("R0 → 0" in w for w in r.warnings)
    # an ideal capacitor fitted with a CPE: α at its upper bound 1
    z = noisy("R0-p(R1,C1)-CPE2", F_HP, dict(R0=20, R1=5e4, C1=3e-11, CPE2_Q=1e-6, CPE2_alpha=0.85), 0.0005, 6)
    r = fit(F_HP, z, ONE)
    assert r.params_at_bounds.get("CPE1_alpha") == "upper" and r.params["CPE1_alpha"] > 0.999
    # user bound
    r = fit(F_HP, noisy(ONE, F_HP, T1, 0.01, 7), ONE, bounds={"CPE1_alpha": (0.5, 0.8)})
    assert r.params_at_bounds["CPE1_alpha"] == "upper" and r.bounds["CPE1_alpha"] == (0.5, 0.8)
    # arc above the band
    z = noisy(ONE, F_HP, dict(T1, R0=30, R1=150, CPE1_Q=5e-11), 0.01, 2)
    r = fit(F_HP, z, ONE)
    assert r.outside_window == ("R1",) and r.flags["R1"] == "outside-window"


def test_iteration_cap_is_not_a_success():
    z = noisy(TWO, np.logspace(7, 0, 71), T2, 0.01, 3)
    r = fit(np.logspace(7, 0, 71), z, TWO, max_iter=3, multistart=False)
    assert not r.success and r.status == "iteration-cap" and "iteration cap" in r.message
    assert any("iteration cap" in w for w in r.warnings)
    assert "False" in r.report().splitlines()[1]


def test_profile_of_a_well_determined_parameter_matches_the_jacobian_and_refits():
    z = noisy(ONE, F_HP, T1, 0.01, 1)
    r = fit(F_HP, z, ONE)
    pr = r.profile("R1", level=0.95)
    assert not pr.lower_open and not pr.upper_open
    half = 1.96 * r.stderr["R1"]
    assert pr.lower == pytest.approx(r.params["R1"] - half, rel=0.2 * half / r.params["R1"])
    assert pr.upper == pytest.approx(r.params["R1"] + half, rel=0.2 * half / r.params["R1"])
    # independent check through the public API: a multi-start fit with R1 pinned at each end rises by the χ²₁(95 %)
    # quantile in noise units
    for v in (pr.lower, pr.upper):
        rf = fit(F_HP, z, ONE, fixed={"R1": v})
        assert (rf.chi2 - r.chi2) / r.chi2_reduced == pytest.approx(3.84, abs=0.4)
    assert "95 % profile interval" in str(pr) and pr.unit == "Ohm"
    assert np.all(np.diff(pr.values) > 0) and pr.delta_chi2.min() == pytest.approx(0, abs=1e-6)


def test_profile_of_an_arc_outside_the_band_is_honest():
    """Bulk arc apex ≈ 50 MHz with data to 13 MHz (truth R0 = 30, R1 = 150 Ω): only R0 + R1 is well known.  The
    Jacobian interval is symmetric and runs below 0; the profile interval is asymmetric, positive, contains the
    truth and ends where R0 reaches 0 (R1 ≤ R0 + R1)."""
    z = noisy(ONE, F_HP, dict(T1, R0=30, R1=150, CPE1_Q=5e-11), 0.01, 2)
    r = fit(F_HP, z, ONE)
    assert r.outside_window == ("R1",)
    assert r.params["R1"] - 1.96 * r.stderr["R1"] < 0
    pr = profile(r, "R1")
    total, _ = r.resistance("R0+R1")
    assert 0 < pr.lower < 150 < pr.upper
    assert pr.upper == pytest.approx(total, rel=0.05)


def test_profile_of_a_parameter_the_data_do_not_need_is_open():
    z = noisy(ONE, F_HP, dict(T1, R0=1e-6), 0.005, 5)
    r = fit(F_HP, z, ONE)
    pr = r.profile("R0")
    assert pr.lower_open and pr.lower == 0.0 and not pr.upper_open
    assert "open (not constrained)" in str(pr)


def test_profile_errors():
    r = fit(F_HP, noisy(ONE, F_HP, T1, 0.01, 1), ONE, fixed={"R0": 20.0})
    with pytest.raises(FitError, match="was fixed"):
        r.profile("R0")
    with pytest.raises(FitError, match="no parameter 'R9'"):
        r.profile("R9")
    with pytest.raises(FitError, match="level"):
        r.profile("R1", level=1.5)


def test_input_messages_name_the_problem():
    z = Circuit(ONE).impedance(F_HP, T1)
    with pytest.raises(FitError, match="every frequency is negative"):
        fit(-F_HP, z, ONE, label="flipped.csv")
    f = F_HP.copy()
    f[:2] *= -1
    zz = z.copy()
    zz[5] = np.nan
    r = fit(f, zz, ONE)
    assert r.n_dropped == 3 and r.freq_Hz.size == F_HP.size - 3
    msg = next(w for w in r.warnings if "ignored" in w)
    assert "2 with negative frequency" in msg and "1 with non-finite impedance" in msg
    with pytest.raises(FitError, match=r"only 2 usable points .*1 with zero frequency"):
        fit([0.0, 1.0, 2.0], [1 - 1j, 1 - 1j, 2 - 1j], "R0-p(R1,C1)")
    with pytest.raises(FitError, match="2 labels for 1 spectra"):
        fit_batch([(F_HP, z)], ONE, labels=["a", "b"])


def test_no_numpy_warning_reaches_the_caller():
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(5):  # garbage spectra: random walks, huge dynamic range, a circuit far too rich
            z = (10 ** rng.uniform(-3, 9, F_HP.size)) * np.exp(1j * rng.uniform(-np.pi, np.pi, F_HP.size))
            try:
                r = fit(F_HP, z, "L0-R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-Wo1")
            except FitError:
                continue
            assert all(math.isfinite(v) for v in r.params.values())
            r.report()
            r.to_json()

