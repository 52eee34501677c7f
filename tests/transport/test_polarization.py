"""DC polarisation: eqs 3–5 against the paper's reported pairs, τ recovery from simulated transients,
Bruce–Vincent in closed form."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from sselab import units
from sselab.errors import AnalysisError, FitError
from sselab.io import Measurement
from sselab.transport.polarization import (
    DEFAULT_WINDOW_S, analyze_polarization, bruce_vincent, electronic_conductivity, final_current, find_step,
    fit_transient, initial_current, plot_polarization, transference_numbers,
)

# Paper geometry: 10 mm pellets (A = 0.7854 cm², Methods) and 1.2 mm thickness (the cold-pressed pellet of the
# Li|Li2NH|LiFePO4 cells).  The thickness of the DC-polarisation pellets is not stated; 1.2 mm is our assumption.
L_M = 1.2e-3
A_M2 = 0.7854e-4
NS_PER_CM = 1e-9 * 100  # 1 nS/cm in S/m


def _time_grid(hours=5.0, fast_dt=0.1, fast_until=60.0, slow_dt=5.0):
    """EC-Lab-like sampling: dense right after the step, sparse afterwards."""
    return np.concatenate([np.arange(0, fast_until, fast_dt), np.arange(fast_until, hours * 3600 + 1e-9, slow_dt)])


def _if_from_sigma(sigma_S_per_m, v=0.5):
    return sigma_S_per_m * v * A_M2 / L_M


# -- eqs 3–5 in closed form -----------------------------------------------------------------------------------

def test_eq3_round_trip_against_paper_value():
    i_f = _if_from_sigma(1.2 * NS_PER_CM)            # Au|Li2NH|Au, 0.5 V, σe = 1.2 nS/cm
    assert i_f == pytest.approx(3.927e-9, rel=1e-3)   # ≈ 3.9 nA plateau
    sigma = electronic_conductivity(i_f, 0.5, L_M, A_M2)
    assert units.to_unit(sigma, "nS/cm") == pytest.approx(1.2, rel=1e-12)
    # σ scales as L/A and 1/V
    assert electronic_conductivity(i_f, 0.75, L_M, A_M2) == pytest.approx(sigma / 1.5)
    assert electronic_conductivity(-i_f, -0.5, 2 * L_M, A_M2) == pytest.approx(2 * sigma)


@pytest.mark.parametrize("sigma_nS_cm,i_t,ti_paper,tol", [
    (0.45, 74e-9, 0.981, 0.002),    # Li|Li2NH|steel pre-CV: spike 74 nA
    (54.0, 1.06e-3, 0.999, 0.001),  # post-CV: spike 1.06 mA
])
def test_eq4_5_reproduce_paper_ti_from_sigma_and_spike(sigma_nS_cm, i_t, ti_paper, tol):
    i_f = _if_from_sigma(sigma_nS_cm * NS_PER_CM)
    te, ti = transference_numbers(i_f, i_t)
    assert te + ti == pytest.approx(1.0, abs=1e-15)
    assert ti == pytest.approx(ti_paper, abs=tol)


def test_transference_identity_and_errors():
    te, ti = transference_numbers(-2e-9, -1e-6)
    assert te == pytest.approx(2e-3) and ti == pytest.approx(0.998)
    with pytest.raises(AnalysisError):
        transference_numbers(1e-9, 0.0)
    with pytest.raises(AnalysisError):
        electronic_conductivity(1e-9, 0.0, L_M, A_M2)
    with pytest.raises(AnalysisError):
        electronic_conductivity(1e-9, 0.5, -1.0, A_M2)


def test_final_current_window_mean_closed_form():
    t = np.arange(0, 7200.0 + 1e-9, 1.0)
    i = 1e-9 + 1e-13 * t                      # linear drift: mean over [T−w, T] = a + b(T − w/2)
    mean, se, n = final_current(t, i, 1800.0)
    assert n == 1801
    assert mean == pytest.approx(1e-9 + 1e-13 * (7200 - 900), rel=1e-12)
    mean10, _, n10 = final_current(t, i, 600.0)
    assert mean10 == pytest.approx(1e-9 + 1e-13 * (7200 - 300), rel=1e-12)
    with pytest.raises(AnalysisError, match="longer than the record"):
        final_current(t, i, 1e5)
    assert DEFAULT_WINDOW_S == 1800.0


# -- simulated transients -------------------------------------------------------------------------------------

@pytest.mark.parametrize("tau,amp,plateau,noise", [
    (4.48, 72.5e-9, 1.5e-9, 0.3e-9),    # pre-CV-like: 74 nA spike, nA plateau
    (2.28, 1.06e-3, 1.8e-7, 2e-6),      # post-CV-like: mA spike
])
def test_single_exponential_tau_recovered(tau, amp, plateau, noise):
    rng = np.random.default_rng(42)
    t = _time_grid()
    i = plateau + amp * np.exp(-t / tau) + rng.normal(0, noise, t.size)
    fit = fit_transient(t, i)
    assert fit.n_exp == 1
    assert fit.bic_by_model[1] < fit.bic_by_model.get(2, math.inf)
    (tau_hat,), (se,) = fit.tau_s, fit.tau_se_s
    assert 0 < se < 0.05 * tau
    assert abs(tau_hat - tau) < 4 * se
    assert fit.i_step_A == pytest.approx(plateau + amp, rel=0.02)
    assert fit.offset_A == pytest.approx(plateau, abs=4 * fit.offset_se_A + 1e-15)
    assert 0 < fit.i_step_se_A and abs(fit.i_step_A - (plateau + amp)) < 4 * fit.i_step_se_A


def test_two_exponentials_recovered_and_chosen_by_bic():
    rng = np.random.default_rng(7)
    t = _time_grid(hours=2.0, slow_dt=2.0)
    taus = (3.0, 60.0)
    i = 1e-9 + 50e-9 * np.exp(-t / taus[0]) + 20e-9 * np.exp(-t / taus[1]) + rng.normal(0, 0.2e-9, t.size)
    fit = fit_transient(t, i)
    assert fit.n_exp == 2
    assert fit.bic_by_model[2] < fit.bic_by_model[1] - 10
    for got, se, want in zip(fit.tau_s, fit.tau_se_s, taus):
        assert abs(got - want) < 4 * se, (got, se, want)
    assert fit.amplitudes_A == pytest.approx((50e-9, 20e-9), rel=0.05)
    # forcing one exponential still works and is worse
    one = fit_transient(t, i, n_exp=1)
    assert one.n_exp == 1 and one.rss_A2 > fit.rss_A2


def test_fit_rejects_too_few_points():
    with pytest.raises(FitError):
        fit_transient([0, 1, 2, 3, 4], [5, 4, 3, 2, 1], t_step_s=0.0)


# -- full analysis --------------------------------------------------------------------------------------------

def _paper_like_measurement(with_rest=True):
    rng = np.random.default_rng(3)
    i_f = _if_from_sigma(1.2 * NS_PER_CM)
    t = _time_grid()
    i = i_f + 0.5e-6 * np.exp(-t / 4.48) + rng.normal(0, 0.05e-9, t.size)
    e = np.full_like(t, 0.5) + rng.normal(0, 1e-4, t.size)
    if with_rest:  # 60 s at open circuit before the step
        tr = np.arange(-60.0, 0.0, 1.0)
        t = np.concatenate([tr, t + 0.05])
        i = np.concatenate([rng.normal(0, 0.05e-9, tr.size), i])
        e = np.concatenate([np.full(tr.size, 0.0), e])
    df = pd.DataFrame({"time_s": t, "current_A": i, "potential_V": e})
    return Measurement(df, technique="CA"), i_f


def test_analyze_measurement_paper_like_blocking_cell():
    m, i_f = _paper_like_measurement()
    r = analyze_polarization(m, voltage_V=0.5, thickness_m=L_M, area_m2=A_M2)
    assert r.t_step_s == pytest.approx(0.05)                       # first sample after the rest
    assert r.i_initial_A == pytest.approx(i_f + 0.5e-6, rel=1e-3)  # measured spike
    assert r.i_final_A == pytest.approx(i_f, rel=0.01)
    assert units.to_unit(r.sigma_e_S_per_m, "nS/cm") == pytest.approx(1.2, rel=0.01)
    assert r.sigma_e_S_per_cm == pytest.approx(r.sigma_e_S_per_m / 100)
    # noise-only standard error: σ_noise/√n over the 361 samples of the last 30 min (5 s sampling)
    assert r.i_final_se_A == pytest.approx(0.05e-9 / math.sqrt(361), rel=0.15)
    assert r.sigma_e_se_S_per_m == pytest.approx(r.sigma_e_S_per_m * r.i_final_se_A / r.i_final_A)
    assert r.t_i == pytest.approx(1 - i_f / (i_f + 0.5e-6), abs=1e-4)
    assert r.fit is not None and abs(r.fit.tau_s[0] - 4.48) < 4 * r.fit.tau_se_s[0]
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["sigma_e_S_per_cm"] == pytest.approx(r.sigma_e_S_per_cm)
    # voltage defaults to the measured potential in the window
    r2 = analyze_polarization(m, thickness_m=L_M, area_m2=A_M2)
    assert r2.voltage_V == pytest.approx(0.5, abs=1e-4)
    assert any("applied voltage" in w for w in r2.warnings)


def test_initial_current_methods():
    m, i_f = _paper_like_measurement(with_rest=False)
    t, i = m.column("time_s"), m.column("current_A")
    assert find_step(t, i) == 0
    first = initial_current(t, i, "first")
    peak = initial_current(t, i, "peak")
    assert first == peak == i[0]
    r = analyze_polarization(m, voltage_V=0.5, initial="fit")
    assert r.initial_method == "fit"
    assert r.i_initial_A == pytest.approx(i_f + 0.5e-6, rel=0.01)
    with pytest.raises(AnalysisError):
        initial_current(t, i, "bogus")


def test_window_is_configurable():
    m, _ = _paper_like_measurement(with_rest=False)
    r10 = analyze_polarization(m, voltage_V=0.5, window_s=600, fit=False)
    assert r10.window_s == 600 and r10.fit is None


def test_bruce_vincent_closed_form():
    # Evans–Vincent–Bruce example-style numbers: ΔV = 10 mV, I0 = 20 µA, Is = 12 µA, R0 = 150 Ω, Rs = 170 Ω
    bv = bruce_vincent(0.010, 20e-6, 12e-6, 150.0, 170.0)
    assert bv.t_plus == pytest.approx(12e-6 * (0.010 - 20e-6 * 150) / (20e-6 * (0.010 - 12e-6 * 170)))
    assert bruce_vincent(0.01, 2e-6, 1e-6, 0.0, 0.0).t_plus == pytest.approx(0.5)  # no interface: Is/I0
    with pytest.raises(AnalysisError):
        bruce_vincent(0.01, 1e-3, 1e-4, 100.0, 100.0)  # I0R0 > ΔV


def test_bruce_vincent_uncertainty_hand_worked_example():
    """ΔV = 10 mV (exact), I0 = 20.0 ± 0.2 µA, Is = 12.0 ± 0.12 µA, R0 = 150 ± 3 Ω, Rs = 170 ± 3.4 Ω.

    By hand: a = ΔV − I0R0 = 7 mV, b = ΔV − IsRs = 7.96 mV, t+ = (12/20)(7/7.96) = 0.527638.
    Relative contributions se·|∂ln t/∂x|:  Is: 0.12e-6·(1/12e-6 + 170/7.96e-3) = 0.0125628;
    I0: 0.2e-6·(1/20e-6 + 150/7e-3) = 0.0142857;  R0: 3·20e-6/7e-3 = 0.0085714;  Rs: 3.4·12e-6/7.96e-3 = 0.0051256.
    Quadrature sum 0.021486 → se(t+) = 0.527638 × 0.021486 = 0.011337."""
    bv = bruce_vincent(0.010, 20e-6, 12e-6, 150.0, 170.0, i0_se_A=0.2e-6, iss_se_A=0.12e-6, r0_se_ohm=3.0,
                       rss_se_ohm=3.4)
    assert bv.t_plus == pytest.approx(0.527638, abs=1e-6)
    assert bv.t_plus_se == pytest.approx(0.011337, abs=2e-6)
    c = bv.se_contributions
    assert c["iss_A"] == pytest.approx(0.527638 * 0.0125628, rel=1e-4)
    assert c["i0_A"] == pytest.approx(0.527638 * 0.0142857, rel=1e-4)
    assert c["r0_ohm"] == pytest.approx(0.527638 * 0.0085714, rel=1e-4)
    assert c["rss_ohm"] == pytest.approx(0.527638 * 0.0051256, rel=1e-4)
    assert "delta_V" not in c
    json.dumps(bv.to_dict(), allow_nan=False)
    # Monte Carlo with the same inputs agrees with the linear propagation (2 % inputs: nearly linear)
    rng = np.random.default_rng(0)
    n = 200_000
    i0, iss = rng.normal(20e-6, 0.2e-6, n), rng.normal(12e-6, 0.12e-6, n)
    r0, rs = rng.normal(150, 3, n), rng.normal(170, 3.4, n)
    mc = iss * (0.010 - i0 * r0) / (i0 * (0.010 - iss * rs))
    assert np.std(mc) == pytest.approx(bv.t_plus_se, rel=0.02)
    # no interfaces: t+ = Is/I0 and se/t+ = √((se_Is/Is)² + (se_I0/I0)²) = √(0.01² + 0.02²)
    bv0 = bruce_vincent(0.01, 2e-6, 1e-6, 0.0, 0.0, i0_se_A=0.04e-6, iss_se_A=0.01e-6)
    assert bv0.t_plus == pytest.approx(0.5) and bv0.t_plus_se == pytest.approx(0.5 * math.sqrt(5e-4), rel=1e-12)
    # ΔV alone: ∂ln t/∂ΔV = 1/a − 1/b = 1/7e-3 − 1/7.96e-3 = 17.2290 /V
    bvv = bruce_vincent(0.010, 20e-6, 12e-6, 150.0, 170.0, delta_se_V=1e-4)
    assert bvv.t_plus_se == pytest.approx(0.527638 * 17.2290 * 1e-4, rel=1e-4)
    assert bruce_vincent(0.010, 20e-6, 12e-6, 150.0, 170.0).t_plus_se is None
    with pytest.raises(AnalysisError):
        bruce_vincent(0.010, 20e-6, 12e-6, 150.0, 170.0, r0_se_ohm=-1.0)


def test_bruce_vincent_via_analysis_li_cell():
    rng = np.random.default_rng(11)
    t = _time_grid(hours=2.0)
    dv, r0, rs = 0.010, 100.0, 120.0
    i0, iss = 40e-6, 25e-6
    i = iss + (i0 - iss) * np.exp(-t / 300.0) + rng.normal(0, 1e-9, t.size)
    r = analyze_polarization(time_s=t, current_A=i, voltage_V=dv, electrodes="li", r0_ohm=r0, rss_ohm=rs,
                             r0_se_ohm=2.0, rss_se_ohm=2.4)
    want = iss * (dv - i0 * r0) / (i0 * (dv - iss * rs))
    bv = r.bruce_vincent
    assert bv.t_plus == pytest.approx(want, rel=0.01)
    # current noise (1 nA) is negligible next to the 2 % resistances: se ≈ the R0/Rs terms alone
    a, b = dv - i0 * r0, dv - iss * rs
    want_se = want * math.hypot(i0 * 2.0 / a, iss * 2.4 / b)
    assert bv.t_plus_se == pytest.approx(want_se, rel=0.02)
    assert bv.i0_se_A == pytest.approx(1e-9, rel=0.1)           # single-sample noise for initial="first"
    assert abs(bv.t_plus - want) < 3 * bv.t_plus_se
    assert r.t_e_se == pytest.approx(r.t_e * math.hypot(r.i_final_se_A / r.i_final_A, 1e-9 / i[0]), rel=0.1)


def test_plot_has_two_axes(tmp_path):
    from sselab.plotting import save_figure

    m, _ = _paper_like_measurement()
    r = analyze_polarization(m, voltage_V=0.5, thickness_m=L_M, area_m2=A_M2)
    fig = plot_polarization(r)
    assert len(fig.axes) == 2 and fig.axes[1].get_xscale() == "symlog" and fig.axes[1].get_yscale() == "log"
    paths = save_figure(fig, tmp_path, "dcpol")
    assert all(p.exists() for p in paths)


def test_errors_are_one_line():
    with pytest.raises(AnalysisError) as exc:
        analyze_polarization(time_s=[0, 1], current_A=[1, 2], voltage_V=0.5)
    assert "\n" not in str(exc.value)


# -- real files -----------------------------------------------------------------------------------------------

def test_real_eclab_ca_mpt_and_mpr_agree():
    """EC-Lab CA, 12 h at 0.3 V (Mo|LiBNH|Mo, 60 s sampling): the same run saved as .mpt and .mpr."""
    from conftest import shared_path
    from sselab.io import read

    res = []
    for name in ("ca.mpt", "ca.mpr"):
        m = read(shared_path("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab", name))
        r = analyze_polarization(m, voltage_V=0.3, thickness_m=1e-3, area_m2=1.131e-4)
        json.dumps(r.to_dict(), allow_nan=False)
        res.append(r)
    a, b = res
    assert a.i_initial_A == pytest.approx(1.8604061e-5, rel=1e-6)   # first row, I/mA = 1.8604061E-002
    assert a.i_final_A == pytest.approx(b.i_final_A, rel=1e-6)
    assert a.sigma_e_S_per_m == pytest.approx(b.sigma_e_S_per_m, rel=1e-6)
    assert a.fit is not None and all(tau > 0 and math.isfinite(se) for tau, se in zip(a.fit.tau_s, a.fit.tau_se_s))
    assert any("poorly resolved" in w for w in a.warnings)     # 60 s sampling cannot resolve τ ≈ 9 s
    # the window mean equals a direct mean over the last 1800 s of the file
    t, i = a.time_s, a.current_A
    assert a.i_final_A == pytest.approx(i[t >= t[-1] - 1800].mean(), rel=1e-12)
