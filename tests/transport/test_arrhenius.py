"""Arrhenius maths against closed forms, another tool's answer (scipy) and forward simulations of the Li2NH paper's
Fig. 1f preparations (Ea = 0.50, 0.52, 0.44 eV; σ(30 °C) = 0.054, 0.34, 1.0 mS/cm)."""
import json
import math

import numpy as np
import pytest
from scipy import optimize, stats

from sselab.errors import AnalysisError
from sselab.results import jsonable
from sselab.transport.arrhenius import (
    ArrheniusFit, arrhenius_sigma, convention_offset_eV, fit_arrhenius, fit_two_regime, invert_prefactor,
    plot_arrhenius, prefactor_from_hopping,
)
from sselab.units import E_CHARGE, K_B, K_B_EV

# Li2NH, Fig. 1f: (label, Ea / eV, σ(30 °C) / (S/m))   [1 mS/cm = 0.1 S/m]
PAPER = [("cold pressed", 0.50, 0.0054), ("ball-milled + cold pressed", 0.52, 0.034), ("hot pressed", 0.44, 0.10)]
T_GRID = np.arange(30.0, 111.0, 10.0) + 273.15      # 30 … 110 °C as in Methods
T30 = 303.15


def prefactor_for(Ea, s30, convention):
    """Prefactor giving σ(30 °C) = s30 for the chosen convention."""
    A = s30 * math.exp(Ea / (K_B_EV * T30))
    return A * T30 if convention == "sigmaT" else A


@pytest.mark.parametrize("label,Ea,s30", PAPER)
@pytest.mark.parametrize("convention", ["sigmaT", "sigma"])
def test_noiseless_paper_preparations_round_trip(label, Ea, s30, convention):
    A = prefactor_for(Ea, s30, convention)
    sig = arrhenius_sigma(T_GRID, Ea, A, convention)
    fit = fit_arrhenius(T_GRID, sig, convention=convention)
    assert isinstance(fit, ArrheniusFit)
    assert fit.Ea_eV == pytest.approx(Ea, abs=1e-12)
    assert fit.prefactor == pytest.approx(A, rel=1e-10)
    assert fit.sigma_30C == pytest.approx(s30, rel=1e-10)
    assert fit.sigma_at(T30)[0] == pytest.approx(s30, rel=1e-10)
    # σ(25 °C) from the closed form of each convention
    s25 = A * math.exp(-Ea / (K_B_EV * 298.15)) / (298.15 if convention == "sigmaT" else 1.0)
    assert fit.sigma_25C == pytest.approx(s25, rel=1e-10)
    assert fit.Ea_err_eV == pytest.approx(0.0, abs=1e-9)
    assert fit.prefactor_unit == ("S K/m" if convention == "sigmaT" else "S/m")
    assert fit.sigma_25C_extrapolated and not fit.warnings


@pytest.mark.parametrize("label,Ea,s30", PAPER)
def test_conventions_differ_by_exact_offset(label, Ea, s30):
    """Same noiseless σT-law data fitted both ways: Ea(σT) − Ea(σ) = k_B cov(x, ln x)/var(x), x = 1/T."""
    sig = arrhenius_sigma(T_GRID, Ea, prefactor_for(Ea, s30, "sigmaT"), "sigmaT")
    a = fit_arrhenius(T_GRID, sig, convention="sigmaT")
    b = fit_arrhenius(T_GRID, sig, convention="sigma")
    x = 1 / T_GRID
    exact = K_B_EV * np.cov(x, np.log(x))[0, 1] / np.var(x, ddof=1)
    assert a.Ea_eV - b.Ea_eV == pytest.approx(exact, rel=1e-9)
    assert convention_offset_eV(T_GRID) == pytest.approx(exact, rel=1e-12)
    # ≈ k_B × harmonic-mean temperature (≈ 0.029 eV here): same to better than 0.5 %
    Th = T_GRID.size / np.sum(1 / T_GRID)
    assert exact == pytest.approx(K_B_EV * Th, rel=5e-3)
    # both lines still pass near the data: the σ law predicts the same σ(30 °C) within 1 %
    assert b.sigma_30C == pytest.approx(a.sigma_30C, rel=1e-2)


def test_convention_offset_holds_for_weighted_fits():
    T = np.array([290.0, 310, 335, 360, 400, 450])
    sig = arrhenius_sigma(T, 0.4, 1e6)
    err = sig * np.array([0.01, 0.02, 0.05, 0.01, 0.1, 0.03])
    a = fit_arrhenius(T, sig, err, convention="sigmaT")
    b = fit_arrhenius(T, sig, err, convention="sigma")
    assert a.Ea_eV - b.Ea_eV == pytest.approx(convention_offset_eV(T, (sig / err) ** 2), rel=1e-9)


def test_unweighted_errors_match_scipy_linregress():
    rng = np.random.default_rng(7)
    Ea, s30 = 0.44, 0.1
    sig = arrhenius_sigma(T_GRID, Ea, prefactor_for(Ea, s30, "sigmaT")) * np.exp(rng.normal(0, 0.04, T_GRID.size))
    fit = fit_arrhenius(T_GRID, sig)
    lr = stats.linregress(1 / T_GRID, np.log(sig * T_GRID))
    assert fit.Ea_eV == pytest.approx(-lr.slope * K_B_EV, rel=1e-10)
    assert fit.Ea_err_eV == pytest.approx(lr.stderr * K_B_EV, rel=1e-8)
    assert fit.ln_prefactor == pytest.approx(lr.intercept, rel=1e-10)
    assert fit.ln_prefactor_err == pytest.approx(lr.intercept_stderr, rel=1e-8)
    t = stats.t.ppf(0.975, T_GRID.size - 2)
    assert fit.Ea_ci95_eV == pytest.approx((fit.Ea_eV - t * fit.Ea_err_eV, fit.Ea_eV + t * fit.Ea_err_eV))
    # covariance: cov(intercept, slope) = −x̄ s_b² for OLS
    x = 1 / T_GRID
    assert fit.covariance[0, 1] == pytest.approx(-(x.mean()) * lr.stderr ** 2 * K_B_EV * -1, rel=1e-6)


def test_confidence_band_is_the_ols_closed_form():
    rng = np.random.default_rng(3)
    sig = arrhenius_sigma(T_GRID, 0.5, prefactor_for(0.5, 0.0054, "sigmaT")) * np.exp(rng.normal(0, 0.05, 9))
    fit = fit_arrhenius(T_GRID, sig)
    x, y = 1 / T_GRID, np.log(sig * T_GRID)
    lr = stats.linregress(x, y)
    n = x.size
    s = math.sqrt(np.sum((y - lr.intercept - lr.slope * x) ** 2) / (n - 2))
    t = stats.t.ppf(0.975, n - 2)
    for T0 in (298.15, 303.15, 350.0, 500.0):
        x0 = 1 / T0
        half = t * s * math.sqrt(1 / n + (x0 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2))
        yhat = lr.intercept + lr.slope * x0
        v, lo, hi = fit.sigma_at(T0)
        assert v == pytest.approx(math.exp(yhat) / T0, rel=1e-9)
        assert lo == pytest.approx(math.exp(yhat - half) / T0, rel=1e-8)
        assert hi == pytest.approx(math.exp(yhat + half) / T0, rel=1e-8)
    lo25, hi25 = fit.sigma_25C_ci95_S_per_m
    assert lo25 < fit.sigma_25C < hi25
    # vectorised and figure-ready arrays agree with the scalar call
    v, lo, hi = fit.sigma_at(fit.T_line_K)
    np.testing.assert_allclose(v, fit.sigma_line_S_per_m)
    np.testing.assert_allclose(lo, fit.sigma_line_lo_S_per_m)
    assert fit.T_line_K.min() == pytest.approx(298.15) and fit.T_line_K.max() == pytest.approx(T_GRID.max())


def test_weighted_fit_matches_scipy_curve_fit():
    rng = np.random.default_rng(11)
    rel = np.linspace(0.01, 0.08, T_GRID.size)
    sig = arrhenius_sigma(T_GRID, 0.52, prefactor_for(0.52, 0.034, "sigmaT")) * np.exp(rng.normal(0, rel))
    err = rel * sig
    fit = fit_arrhenius(T_GRID, sig, err)

    def model(x, lnA, Ea):
        return lnA - Ea * x / K_B_EV

    for absolute in (False, True):
        p, cov = optimize.curve_fit(model, 1 / T_GRID, np.log(sig * T_GRID), p0=[20, 0.5], sigma=rel,
                                    absolute_sigma=absolute)
        f = fit_arrhenius(T_GRID, sig, err, absolute_sigma=absolute)
        assert f.Ea_eV == pytest.approx(p[1], rel=1e-7)
        assert f.Ea_err_eV == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-5)
        np.testing.assert_allclose(f.covariance, cov, rtol=1e-5)
    assert fit.weighted and not fit.absolute_sigma
    assert fit.reduced_chi2 == pytest.approx(fit.chi2 / (T_GRID.size - 2))


@pytest.mark.parametrize("label,Ea,s30", PAPER)
def test_noisy_paper_series_recovers_ea_within_uncertainty(label, Ea, s30):
    """9 temperatures, 3 % scatter in σ: Ea recovered within 3 standard errors, errors of the paper's size."""
    rng = np.random.default_rng(int(Ea * 1000))
    sig = arrhenius_sigma(T_GRID, Ea, prefactor_for(Ea, s30, "sigma"), "sigma") * np.exp(rng.normal(0, 0.03, 9))
    fit = fit_arrhenius(T_GRID, sig, 0.03 * sig, convention="sigma")
    assert abs(fit.Ea_eV - Ea) < 3 * fit.Ea_err_eV
    assert 0.001 < fit.Ea_err_eV < 0.03
    assert fit.sigma_30C == pytest.approx(s30, rel=0.05)


def test_ci95_coverage_monte_carlo():
    """The t-based 95 % interval of Ea covers the truth ≈ 95 % of the time (6 points, 5 % noise)."""
    rng = np.random.default_rng(2024)
    T = np.array([303.15, 318.15, 333.15, 348.15, 363.15, 383.15])
    truth = arrhenius_sigma(T, 0.44, prefactor_for(0.44, 0.1, "sigmaT"))
    hits = hits25 = 0
    trials = 600
    s25 = float(arrhenius_sigma(298.15, 0.44, prefactor_for(0.44, 0.1, "sigmaT")))
    for _ in range(trials):
        f = fit_arrhenius(T, truth * np.exp(rng.normal(0, 0.05, T.size)))
        lo, hi = f.Ea_ci95_eV
        hits += lo <= 0.44 <= hi
        a, b = f.sigma_25C_ci95_S_per_m
        hits25 += a <= s25 <= b
    assert 0.92 <= hits / trials <= 0.98
    assert 0.92 <= hits25 / trials <= 0.98


# -- two regimes ------------------------------------------------------------------------------------------------

def _two_regime_data(jump=True, noise=0.02, seed=5):
    """Li13N4Br-like (review): Ea 0.73 eV below a transition at ~230 °C, 0.47 eV above."""
    rng = np.random.default_rng(seed)
    T = np.arange(100.0, 351.0, 20.0) + 273.15
    Tb = 230 + 273.15
    A_hi = 1e6
    # low-T law meets the high-T one at Tb (continuous) or sits 3× lower (a jump)
    A_lo = A_hi * math.exp((0.73 - 0.47) / (K_B_EV * Tb)) / (3.0 if jump else 1.0)
    sig = np.where(T >= Tb, arrhenius_sigma(T, 0.47, A_hi), arrhenius_sigma(T, 0.73, A_lo))
    return T, sig * np.exp(rng.normal(0, noise, T.size)), Tb


def test_two_regime_discontinuous_finds_the_transition():
    T, sig, Tb = _two_regime_data(jump=True)
    r = fit_two_regime(T, sig)
    assert not r.continuous
    assert r.T_break_range_K == (pytest.approx(493.15), pytest.approx(513.15))
    assert r.T_break_range_K[0] <= r.T_break_K <= r.T_break_range_K[1]
    assert abs(r.low.Ea_eV - 0.73) < 3 * r.low.Ea_err_eV
    assert abs(r.high.Ea_eV - 0.47) < 3 * r.high.Ea_err_eV
    assert r.preferred == "two" and r.p_value < 1e-6 and r.bic_two < r.bic_one
    assert r.low.T_max_K < r.high.T_min_K
    v = r.sigma_at(np.array([400.0, 600.0]))[0]
    assert v[0] == pytest.approx(r.low.sigma_at(400.0)[0]) and v[1] == pytest.approx(r.high.sigma_at(600.0)[0])
    json.dumps(jsonable(r), allow_nan=False)


def test_two_regime_continuous_hinge_recovers_break_temperature():
    T, sig, Tb = _two_regime_data(jump=False, noise=0.01)
    r = fit_two_regime(T, sig, continuous=True)
    assert r.continuous and r.n_params_two == 4
    assert abs(r.T_break_K - Tb) < 3 * r.T_break_err_K
    assert r.T_break_err_K < 10
    assert abs(r.low.Ea_eV - 0.73) < 3 * r.low.Ea_err_eV
    assert abs(r.high.Ea_eV - 0.47) < 3 * r.high.Ea_err_eV
    # the two segments meet at the break
    assert r.low.sigma_at(r.T_break_K)[0] == pytest.approx(r.high.sigma_at(r.T_break_K)[0], rel=1e-9)
    assert r.preferred == "two"


def test_single_line_prefers_one_regime():
    rng = np.random.default_rng(9)
    T = np.arange(30.0, 111.0, 8.0) + 273.15
    sig = arrhenius_sigma(T, 0.5, 1e7) * np.exp(rng.normal(0, 0.03, T.size))
    for cont in (False, True):
        r = fit_two_regime(T, sig, continuous=cont)
        assert r.preferred == "one"
        assert r.one.Ea_eV == pytest.approx(fit_arrhenius(T, sig).Ea_eV)


def test_two_regime_needs_enough_points():
    with pytest.raises(AnalysisError, match="at least 6 points"):
        fit_two_regime(T_GRID[:5], arrhenius_sigma(T_GRID[:5], 0.5, 1e7))


# -- prefactor inversion ----------------------------------------------------------------------------------------

def test_prefactor_units_by_hand():
    # γ = 1, n = 1e28 m⁻³, a0 = 1 Å, ν0 = 1e13 Hz: σ0 = n e² a0² ν0 / k_B in S·K/m
    s0 = prefactor_from_hopping(n_per_m3=1e28, hop_distance_m=1e-10, attempt_frequency_Hz=1e13, geometric_factor=1)
    assert s0 == pytest.approx(1e28 * E_CHARGE ** 2 * 1e-20 * 1e13 / K_B, rel=1e-12)
    assert s0 == pytest.approx(1.8592e6, rel=1e-3)  # e²/k_B = 1.8592e-15 C² K/J
    # ΔS_m = k_B multiplies by e; a divalent ion by 4
    s1 = prefactor_from_hopping(n_per_m3=1e28, hop_distance_m=1e-10, attempt_frequency_Hz=1e13, geometric_factor=1,
                                migration_entropy_over_kB=1.0, charge_number=2)
    assert s1 == pytest.approx(4 * math.e * s0)


def test_invert_prefactor_round_trip_both_unknowns():
    kw = dict(hop_distance_m=2.5e-10, geometric_factor=1 / 6, migration_entropy_over_kB=1.5)
    s0 = prefactor_from_hopping(n_per_m3=3e27, attempt_frequency_Hz=5e12, **kw)
    a = invert_prefactor(s0, attempt_frequency_Hz=5e12, **kw)
    assert a.unknown == "n_per_m3" and a.value == pytest.approx(3e27, rel=1e-12) and a.value_err is None
    b = invert_prefactor(s0, n_per_m3=3e27, prefactor_rel_err=0.1, **kw)
    assert b.unknown == "attempt_frequency_Hz" and b.value == pytest.approx(5e12, rel=1e-12)
    assert b.value_err == pytest.approx(5e11, rel=1e-9)
    with pytest.raises(AnalysisError, match="exactly one"):
        invert_prefactor(s0, n_per_m3=1e27, attempt_frequency_Hz=1e13, hop_distance_m=1e-10)
    with pytest.raises(AnalysisError, match="exactly one"):
        invert_prefactor(s0, hop_distance_m=1e-10)


def test_invert_prefactor_from_a_fit():
    kw = dict(hop_distance_m=2.5e-10, attempt_frequency_Hz=1e13)
    s0 = prefactor_from_hopping(n_per_m3=2e26, **kw)
    T = T_GRID
    sig = arrhenius_sigma(T, 0.44, s0) * np.exp(np.random.default_rng(1).normal(0, 0.02, T.size))
    fit = fit_arrhenius(T, sig)
    inv = invert_prefactor(fit, **kw)
    assert abs(math.log(inv.value / 2e26)) < 3 * fit.ln_prefactor_err
    assert inv.value_err == pytest.approx(inv.value * fit.ln_prefactor_err)
    with pytest.raises(AnalysisError, match="sigmaT"):
        invert_prefactor(fit_arrhenius(T, sig, convention="sigma"), **kw)


# -- bad input ----------------------------------------------------------------------------------------------------

def _one_line(exc):
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


def test_fewer_than_two_temperatures():
    with pytest.raises(AnalysisError, match="at least 2 distinct temperatures") as e:
        fit_arrhenius([303.15], [0.1])
    _one_line(e)
    # two readings at one temperature are still one temperature
    with pytest.raises(AnalysisError, match="got 1"):
        fit_arrhenius([303.15, 303.16], [0.1, 0.1])
    with pytest.raises(AnalysisError, match="no .* points"):
        fit_arrhenius([], [])


@pytest.mark.parametrize("bad", [0.0, -1e-3, float("nan"), float("inf")])
def test_non_positive_sigma(bad):
    with pytest.raises(AnalysisError, match="conductivity must be positive") as e:
        fit_arrhenius([303.15, 313.15, 323.15], [0.1, bad, 0.2])
    assert "313.15 K" in _one_line(e)


def test_bad_temperatures_and_shapes():
    with pytest.raises(AnalysisError, match="temperature must be positive"):
        fit_arrhenius([-5.0, 300.0], [0.1, 0.2])
    with pytest.raises(AnalysisError, match="2 temperatures but 3"):
        fit_arrhenius([300.0, 310.0], [0.1, 0.2, 0.3])
    with pytest.raises(AnalysisError, match="uncertainty must be positive"):
        fit_arrhenius([300.0, 310.0, 320.0], [0.1, 0.2, 0.3], [0.01, 0.0, 0.01])
    with pytest.raises(AnalysisError, match="convention"):
        fit_arrhenius([300.0, 310.0], [0.1, 0.2], convention="ln")


def test_duplicate_temperatures():
    T = [303.15, 313.15, 313.15, 323.15]
    # consistent repeats (heating and cooling) are kept as separate points
    f = fit_arrhenius(T, [0.10, 0.15, 0.152, 0.21])
    assert f.n_points == 4 and any("repeats" in w for w in f.warnings)
    with pytest.raises(AnalysisError, match="conflicting conductivities at 313.15 K") as e:
        fit_arrhenius(T, [0.10, 0.15, 0.30, 0.21])
    _one_line(e)
    # with errors, the judgement uses them: 0.15 vs 0.16 with 1 % errors is a conflict
    with pytest.raises(AnalysisError, match="conflicting"):
        fit_arrhenius(T, [0.10, 0.15, 0.16, 0.21], [0.001, 0.0015, 0.0016, 0.002])


def test_two_points_fit_exactly_with_no_uncertainty():
    f = fit_arrhenius([303.15, 353.15], arrhenius_sigma(np.array([303.15, 353.15]), 0.5, 1e7))
    assert f.Ea_eV == pytest.approx(0.5)
    assert f.Ea_err_eV is None and f.Ea_ci95_eV is None and f.sigma_25C_ci95_S_per_m is None
    assert any("no uncertainty" in w for w in f.warnings)
    d = json.loads(json.dumps(jsonable(f), allow_nan=False))
    assert d["Ea_err_eV"] is None


# -- output -----------------------------------------------------------------------------------------------------

def test_result_is_frozen_and_json_ready():
    f = fit_arrhenius(T_GRID, arrhenius_sigma(T_GRID, 0.44, 6e8))
    with pytest.raises(Exception):
        f.Ea_eV = 1.0
    d = json.loads(json.dumps(jsonable(f), allow_nan=False))
    assert d["Ea_eV"] == pytest.approx(0.44) and d["convention"] == "sigmaT"
    assert len(d["T_K"]) == T_GRID.size


def test_plot_arrhenius_all_preparations(tmp_path):
    from sselab.plotting import save_figure

    fits = []
    rng = np.random.default_rng(0)
    for _, Ea, s30 in PAPER:
        sig = arrhenius_sigma(T_GRID, Ea, prefactor_for(Ea, s30, "sigmaT")) * np.exp(rng.normal(0, 0.03, 9))
        fits.append(fit_arrhenius(T_GRID, sig, 0.03 * sig))
    fig = plot_arrhenius(fits, labels=[p[0] for p in PAPER],
                         compare=[("ref", T_GRID, arrhenius_sigma(T_GRID, 0.3, 1e5))])
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert "1000/T" in ax.get_xlabel()
    assert any("°C" in a.get_xlabel() for a in fig.axes[1:]) or any(
        "°C" in c.get_xlabel() for c in ax.child_axes)
    paths = save_figure(fig, tmp_path, "arrhenius")
    assert all(p.stat().st_size > 0 for p in paths)
    r = fit_two_regime(*_two_regime_data()[:2])
    save_figure(plot_arrhenius(r), tmp_path, "two")


def test_non_positive_activation_energy_is_flagged():
    T = np.array([300.0, 320, 340])
    f = fit_arrhenius(T, [0.3, 0.2, 0.1], convention="sigma")
    assert f.Ea_eV < 0 and any("not positive" in w for w in f.warnings)
    assert not fit_arrhenius([290.0, 300, 310], [0.1, 0.2, 0.3]).sigma_25C_extrapolated
