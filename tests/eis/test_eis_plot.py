"""Figures: Nyquist with equal axes and −Z″ up, Bode, residuals; each returns a Figure."""
import matplotlib
import numpy as np

from sselab.eis import Circuit, fit, lin_kk, plot

matplotlib.use("Agg")
F = np.logspace(6, 0, 40)
Z = Circuit("R0-p(R1,CPE1)-CPE2").impedance(F, [20, 1e4, 1e-9, 0.9, 1e-6, 0.85])


def test_nyquist_equal_axes_minus_zimag_up_with_fit():
    res = fit(F, Z, "R0-p(R1,CPE1)-CPE2")
    fig = plot.nyquist(res, title="t")
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0
    data = ax.lines[0].get_ydata()
    assert np.all(data > 0)  # −Z'' of a capacitive spectrum plotted upwards
    assert len(ax.lines) >= 3  # data, fit, decade markers
    assert any("10^" in t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(fig)


def test_bode_residuals_overview_and_raw_data():
    res = fit(F, Z, "R0-p(R1,CPE1)-CPE2")
    for fig in (plot.bode(res), plot.residuals(res), plot.fit_overview(res), plot.nyquist((F, Z)),
                plot.residuals(lin_kk(F, Z))):
        assert isinstance(fig, matplotlib.figure.Figure)
        matplotlib.pyplot.close(fig)
    fig = plot.bode(res)
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
    matplotlib.pyplot.close(fig)


def test_profile_figure_shows_threshold_and_interval():
    rng = np.random.default_rng(1)
    z = Z * (1 + 0.01 * rng.normal(size=F.size))
    pr = fit(F, z, "R0-p(R1,CPE1)-CPE2").profile("R1")
    fig = plot.profile(pr)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Δχ² (noise units)" and "R1 (Ω)" == ax.get_xlabel()
    ys = [ln.get_ydata() for ln in ax.lines]
    assert any(np.allclose(y, pr.threshold) for y in ys)  # the threshold line
    xs = [ln.get_xdata() for ln in ax.lines]
    assert any(np.allclose(x, pr.lower) for x in xs) and any(np.allclose(x, pr.upper) for x in xs)
    matplotlib.pyplot.close(fig)
