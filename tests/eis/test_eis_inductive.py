"""Inductive artefacts of Li|SSE|Li spectra (lithium-imide paper, Figs 3b/c: 10 MHz – 1 mHz, cable inductance at high
frequency and a low-frequency inductive loop).

Truth: forward simulations.  The loop is an R–L branch parallel to the interface arc, ``p(R2,CPE2,R4-L4)``: at the
arc's frequencies the branch is open (ωL4 ≫ R4), at DC it short-circuits part of R2, so Z″ > 0 below ~0.1 Hz and
the spectrum ends left of the arc's closing point — the usual shape of such loops.  Values follow the paper: pellet
1.2 mm × 0.7854 cm², σ ≈ 0.059 mS/cm (R ≈ 2.6 kΩ), interface before stabilisation ≈ 3300 Ω cm² (R ≈ 8.4 kΩ)."""
import numpy as np
import pytest

from sselab.eis import Circuit, fit, fit_batch, lin_kk
from sselab.eis.artefacts import LF_LOOP, circuit_has_loop_element, hf_inductive_points, lf_inductive_loop
from sselab.errors import SselabError

F = np.logspace(7, -3, 71)  # 10 MHz – 1 mHz, 7 points per decade
GEN = "L0-R0-p(R1,CPE1)-p(R2,CPE2,R4-L4)"
TRUTH = {"L0": 5e-6, "R0": 50.0, "R1": 2600.0, "CPE1_Q": 8e-10, "CPE1_alpha": 0.9, "R2": 8400.0,
         "CPE2_Q": 1.7e-8, "CPE2_alpha": 0.85, "R4": 3000.0, "L4": 3e4}
FIT = "L0-R0-p(R1,CPE1)-p(R2,CPE2)"


def spectrum(noise=0.002, seed=3, truth=TRUTH, circuit=GEN, f=F):
    rng = np.random.default_rng(seed)
    z = Circuit(circuit).impedance(f, truth)
    return f, z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))


def test_simulated_spectrum_has_both_artefacts():
    f, z = spectrum(noise=0)
    assert z.imag[0] > 0  # cable inductance at 10 MHz
    assert np.all(z.imag[f < 0.05] > 0)  # the loop
    assert np.any(z.imag < 0)


def test_detection_masks():
    f, z = spectrum()
    loop = lf_inductive_loop(f, z)
    hf = hf_inductive_points(f, z)
    assert loop.any() and hf.any() and not (loop & hf).any()
    assert f[loop].max() < 20.0 and f[loop].min() == f.min()
    assert f[hf].min() > 1e6
    # no false alarm without the loop, for a closed arc with noise around Z'' = 0, a blocking spike,
    # a pure resistor with noise, and a purely inductive spectrum
    cases = [("L0-R0-p(R1,CPE1)-p(R2,CPE2)", {k: v for k, v in TRUTH.items() if k not in ("R4", "L4")}),
             ("R0-p(R1,CPE1)-CPE2", {"R0": 10, "R1": 1e4, "CPE1_Q": 1e-10, "CPE1_alpha": 0.9, "CPE2_Q": 1e-6,
                                     "CPE2_alpha": 0.85}),
             ("R0", {"R0": 50.0}),
             ("R0-L0", {"R0": 0.5, "L0": 1e-6})]
    for circ, p in cases:
        for seed in range(5):
            ff, zz = spectrum(noise=0.003, seed=seed, truth=p, circuit=circ)
            assert not lf_inductive_loop(ff, zz).any(), (circ, seed)


def test_circuit_has_loop_element():
    assert circuit_has_loop_element("L0-R0-p(R1,CPE1)-p(R3,L3)")
    assert circuit_has_loop_element("R0-p(R1,CPE1,R2-L2)")
    assert not circuit_has_loop_element("L0-R0-p(R1,CPE1)-p(R2,CPE2)")
    assert not circuit_has_loop_element("R0-L0")


def test_fit_auto_excludes_loop_and_recovers_arcs():
    f, z = spectrum()
    res = fit(f, z, FIT)
    assert res.success and res.has_lf_loop and res.lf_loop_excluded
    assert res.flags[LF_LOOP] == "excluded"
    assert any(w.startswith(LF_LOOP) for w in res.warnings)
    n_loop = int(lf_inductive_loop(f, z).sum())
    assert res.freq_Hz.size == f.size - n_loop and res.lf_loop_freq_Hz.size == n_loop
    assert res.freq_Hz.min() > res.lf_loop_freq_Hz.max()
    for k in ("R0", "R1", "R2", "CPE1_alpha", "CPE2_alpha"):
        assert res.params[k] == pytest.approx(TRUTH[k], rel=0.05, abs=15.0), k
    assert res.params["L0"] == pytest.approx(TRUTH["L0"], rel=0.1)
    assert res.to_dict()["lf_loop"]["excluded"] is True


def test_fit_keep_loop_is_sane_and_flagged():
    f, z = spectrum()
    res = fit(f, z, FIT, lf_loop="keep")
    assert res.has_lf_loop and not res.lf_loop_excluded and res.flags[LF_LOOP] == "kept"
    assert res.freq_Hz.size == f.size
    assert all(np.isfinite(v) and v > 0 for v in res.params.values())
    # the circuit cannot make the loop: the fit is worse than with the loop excluded, but the bulk is still right
    assert res.chi2_reduced > fit(f, z, FIT).chi2_reduced
    assert res.params["R1"] == pytest.approx(TRUTH["R1"], rel=0.1)


def test_generic_circuit_with_loop_does_not_crash():
    f, z = spectrum()
    for circ in ("L0-R0-p(R1,CPE1)-CPE2", "R0-p(R1,CPE1)-CPE2", "L0-R0-p(R1,CPE1)"):
        for opt in ("auto", "keep", "exclude"):
            res = fit(f, z, circ, lf_loop=opt)
            assert np.isfinite(res.chi2) and all(np.isfinite(list(res.params.values())))
            assert LF_LOOP in res.flags


def test_circuit_with_loop_element_keeps_and_fits_the_loop():
    # series R-L parallel branch: p(R3,L3) (HF: +R3, DC: 0) — the fitting circuit can model the loop
    gen = "L0-R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,L3)"
    truth = {k: v for k, v in TRUTH.items() if k not in ("R4", "L4")} | {"R3": 2000.0, "L3": 3e4}
    f, z = spectrum(truth=truth, circuit=gen)
    res = fit(f, z, gen)
    assert res.has_lf_loop and not res.lf_loop_excluded
    for k in ("R0", "R1", "R2", "R3", "L3"):
        assert res.params[k] == pytest.approx(truth[k], rel=0.05, abs=15.0), k


def test_batch_with_loop_in_some_spectra():
    f, z_loop = spectrum()
    _, z_plain = spectrum(truth={k: v for k, v in TRUTH.items() if k not in ("R4", "L4")},
                          circuit="L0-R0-p(R1,CPE1)-p(R2,CPE2)", seed=4)
    res = fit_batch([(f, z_loop), (f, z_plain), (f, z_loop)], FIT)
    assert [r.has_lf_loop for r in res] == [True, False, True]
    for r in res:
        assert r.params["R2"] == pytest.approx(TRUTH["R2"], rel=0.05)


def test_bad_option():
    f, z = spectrum()
    with pytest.raises(SselabError, match="lf_loop"):
        fit(f, z, FIT, lf_loop="drop")
    with pytest.raises(SselabError, match="lf_loop"):
        lin_kk(f, z, lf_loop="drop")


def test_lin_kk_keeps_a_consistent_loop_and_passes():
    # the simulated loop comes from a linear, stationary circuit: it is KK-consistent
    f, z = spectrum()
    kk = lin_kk(f, z)
    assert kk.has_lf_loop and not kk.lf_loop_excluded
    assert any(w.startswith(LF_LOOP) for w in kk.warnings)
    assert kk.L_H is not None and kk.L_H == pytest.approx(TRUTH["L0"], rel=0.3)
    assert kk.freq_Hz.size == f.size
    assert kk.passed and np.isfinite(kk.rms_residual)
    assert kk.to_dict()["lf_loop_freq_Hz"]


def test_lin_kk_exclude_option():
    f, z = spectrum()
    kk = lin_kk(f, z, lf_loop="exclude")
    n_loop = int(lf_inductive_loop(f, z).sum())
    assert kk.lf_loop_excluded and kk.freq_Hz.size == f.size - n_loop
    assert kk.passed


def test_lin_kk_flags_a_drifting_loop():
    # a "loop" that is not a linear response: low-frequency points drifting upward in Z'' over time; the Lin-KK
    # residuals must show it (not pass silently) and nothing may raise
    f, z = spectrum(noise=0.001, truth={k: v for k, v in TRUTH.items() if k not in ("R4", "L4")},
                    circuit="L0-R0-p(R1,CPE1)-p(R2,CPE2)")
    low = f < 0.1
    z = z.copy()
    z[low] = z[low].real * (1 - 0.3 * np.linspace(0, 1, low.sum())) + 1j * 0.05 * np.abs(z[low]) * np.linspace(
        0.5, 1, low.sum())
    kk = lin_kk(f, z)
    assert kk.has_lf_loop
    assert not kk.passed
    assert np.isfinite(kk.rms_residual) and kk.max_abs_residual > 0.02


def test_nyquist_shows_excluded_loop_points():
    import matplotlib.pyplot as plt

    from sselab.eis import plot

    f, z = spectrum()
    res = fit(f, z, FIT)
    fig = plot.nyquist(res)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert "excluded (inductive loop)" in lines
    assert len(lines["excluded (inductive loop)"].get_xdata()) == res.lf_loop_freq_Hz.size
    plt.close(fig)
