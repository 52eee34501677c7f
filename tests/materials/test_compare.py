import numpy as np
import pytest

from sselab.errors import AnalysisError
from sselab.materials import compare, plot_comparison
from sselab.units import K_B_EV


def _points(Ea, s25, T):
    return s25 * (298.15 / T) * np.exp(-Ea / K_B_EV * (1 / T - 1 / 298.15))


def test_compare_from_points_recovers_inputs():
    T = np.array([298.15, 313.15, 333.15, 353.15, 373.15])
    comp = compare(user_points=(T, _points(0.35, 0.15, T)), name="forward model")   # 1.5 mS/cm, 0.35 eV
    assert comp.Ea_eV == pytest.approx(0.35, rel=1e-9)
    assert comp.sigma_25C_S_per_m == pytest.approx(0.15, rel=1e-9)
    # 1.5 mS/cm at 25 °C sits between vacancy-rich β-Li3N (2.14) and the α-Li3N sinter (1.41 at 25 °C)
    assert comp.user_rank == 3 and comp.n_ranked == 49
    names = [r["name"] for r in comp.neighbours(1)]
    assert names == ["Vacancy-rich β-Li3N", "forward model", "α-Li3N sinter"]
    np.testing.assert_allclose(comp.user_T_K, T)


def test_compare_from_Ea_and_sigma25_and_other_temperature():
    comp = compare(Ea_eV=0.44, sigma_25C="0.7666 mS/cm")
    row = next(r for r in comp.rows if r["id"] == "li2nh-hot-pressed")
    assert row["sigma_S_per_m"] == pytest.approx(0.07666, rel=1e-3)
    hot = compare(Ea_eV=0.6, sigma_25C=1e-3, T_K=423.15)      # 1e-5 S/cm at 25 °C
    cold = compare(Ea_eV=0.6, sigma_25C=1e-3, T_K=298.15)
    assert hot.user_rank < cold.user_rank                       # a high-Ea conductor ranks better when hot
    assert comp.rows[0]["sigma_S_per_m"] >= comp.rows[-1]["sigma_S_per_m"]


def test_compare_family_filter_and_errors():
    comp = compare(Ea_eV=0.5, sigma_25C="1e-6 S/cm", families=["lipon"])
    assert comp.n_ranked == 8 and {r["family"] for r in comp.rows} == {"lipon", "user"}
    with pytest.raises(AnalysisError):
        compare(Ea_eV=0.5)
    with pytest.raises(AnalysisError):
        compare(Ea_eV=-0.1, sigma_25C=1e-3)


def test_plot_comparison():
    comp = compare(Ea_eV=0.44, sigma_25C="0.77 mS/cm", name="imide")
    fig = plot_comparison(comp, label_top=3)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("1000/T")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(l.startswith("imide (#") for l in labels) and "Li3N" in labels
    user_line = [l for l in ax.get_lines() if l.get_linewidth() > 2][0]
    x, y = user_line.get_data()
    y25 = np.interp(1000 / 298.15, x[::-1], y[::-1])
    assert 10 ** y25 == pytest.approx(7.7e-4, rel=2e-3)                 # log σ in S/cm
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_compare_accepts_transport_fit_and_rejects_bad_points():
    from sselab.transport.arrhenius import fit_arrhenius
    T = np.array([298.15, 323.15, 348.15, 373.15])
    s = _points(0.40, 0.02, T) * np.array([1.0, 1.02, 0.99, 1.01])
    own = compare(user_points=(T, s))
    other = compare(fit=fit_arrhenius(T, s, convention="sigmaT"))
    assert own.Ea_eV == pytest.approx(other.Ea_eV, rel=1e-9)
    assert own.Ea_err_eV == pytest.approx(other.Ea_err_eV, rel=1e-6)
    assert own.sigma_25C_S_per_m == pytest.approx(other.sigma_25C_S_per_m, rel=1e-9)
    assert compare(fit=fit_arrhenius(T, s, convention="sigma")).Ea_eV == pytest.approx(own.Ea_eV, rel=1e-9)
    with pytest.raises(AnalysisError):
        compare(user_points=([300, 300], [1e-3, 2e-3]))
    with pytest.raises(AnalysisError):
        compare(user_points=([300, 350], [1e-3, -1]))
