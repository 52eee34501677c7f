"""The user overrides the app sends to the impedance recipes — point masks, starting values, bounds — and the
warm-started series: numbers against simulations with known inputs, every refusal as one line."""
from __future__ import annotations

import numpy as np
import pytest

from sselab.cell import CellSpec
from sselab.io.base import Measurement
from sselab.recipes import RecipeError, get
from sselab.recipes.eis import check_overrides, mask_points
from sselab.recipes.warm import fit_series_warm, order_from, seed_from
from sselab.simulate.models import ArrheniusLaw, eis_blocking

CIRCUIT = "R0-p(R1,CPE1)-CPE2"
LAW = ArrheniusLaw(1e-2, 0.45)              # 0.1 mS/cm at 30 °C, Ea 0.45 eV; bulk only (one arc)
CELL = CellSpec.from_strings("pellet", thickness="1 mm", diameter="10 mm", electrodes="Au|Au")


def _spectrum(T_K=303.15, seed=1, noise=0.002):
    sim = eis_blocking(T_K, bulk=LAW, rng=np.random.default_rng(seed), noise=noise)
    m = Measurement(sim.data.copy(), source=None, format="csv", technique="EIS", temperature_K=T_K)
    return m, sim.truth


def _with_outliers(m, idx, factor=1.6):
    d = m.data.copy()
    for i in idx:
        d.loc[d.index[i], "z_real_ohm"] *= factor
        d.loc[d.index[i], "z_imag_ohm"] *= 0.3
    return Measurement(d, format="csv", technique="EIS", temperature_K=m.temperature_K)


def test_mask_leaves_the_outliers_out_and_recovers_the_simulated_resistance():
    m, truth = _spectrum()
    R_true = truth["R_total_ohm"]
    n = len(m.data)
    bad = [n // 3, n // 3 + 1, n // 3 + 2]                 # three corrupted points inside the arc
    mb = _with_outliers(m, bad)
    run = get("eis.blocking").run
    plain = run([mb], CELL, circuit=CIRCUIT)
    masked = run([mb], CELL, circuit=CIRCUIT, mask=bad)
    assert masked["R_electrolyte_ohm"].value == pytest.approx(R_true, rel=0.01)
    assert abs(plain["R_electrolyte_ohm"].value / R_true - 1) > 2 * abs(masked["R_electrolyte_ohm"].value / R_true - 1)
    assert masked.get("chi2_reduced") < plain.get("chi2_reduced") / 10
    # the masked fit is the fit of the spectrum without those points (the mask removes points, nothing else)
    gone = Measurement(mb.data.drop(mb.data.index[bad]).reset_index(drop=True), format="csv", technique="EIS",
                       temperature_K=m.temperature_K)
    assert run([gone], CELL, circuit=CIRCUIT)["R_electrolyte_ohm"].value == pytest.approx(
        masked["R_electrolyte_ohm"].value, rel=1e-9)
    f = mb.data["freq_Hz"].to_numpy()
    flag = masked.flagged("points-masked")[0]
    assert flag.severity == "info" and "3 points" in flag.message and f"{f[bad[0]]:.3g}" in flag.message
    assert masked.options["mask"] == bad and len(masked.figures["freq_Hz"]) == n - 3


def test_mask_with_the_automatic_model_choice_and_per_spectrum_mapping():
    m, truth = _spectrum(seed=2)
    r = get("eis.blocking").run([m], CELL, mask=[0, 1])
    assert len(r.figures["freq_Hz"]) == len(m.data) - 2
    assert r["R_electrolyte_ohm"].value == pytest.approx(truth["R_total_ohm"], rel=0.01)
    assert mask_points({"1": [0, 2]}, 1, 2, 5, "x#1").tolist() == [True, False, True, False, False]
    assert not mask_points({2: [0]}, 1, 2, 5, "x#1").any()


@pytest.mark.parametrize("mask, words", [([99], "does not exist"), ([1.5], "whole number"), ("3", "list"),
                                         ({"3": [1]}, "spectrum 3"), ({"a": [1]}, "spectrum number")])
def test_bad_masks_are_one_line_errors(mask, words):
    m, _ = _spectrum(seed=3)
    with pytest.raises(RecipeError) as e:
        get("eis.blocking").run([m], CELL, mask=mask)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_starting_values_far_off_still_reach_the_simulated_parameters():
    m, truth = _spectrum(seed=4)
    far = {"R0": 1e3, "R1": 50.0, "CPE1_Q": 1e-6, "CPE1_alpha": 0.5, "CPE2_Q": 1e-3, "CPE2_alpha": 0.5}
    r = get("eis.blocking").run([m], CELL, circuit=CIRCUIT, initial=far)
    assert r["R_electrolyte_ohm"].value == pytest.approx(truth["R_total_ohm"], rel=0.01)
    assert r.options["initial"] == far


def test_bounds_hold_a_parameter_and_are_recorded():
    m, truth = _spectrum(seed=5)
    R1 = truth["params"]["R1"]
    r = get("eis.blocking").run([m], CELL, circuit=CIRCUIT, bounds={"R1": [0, 0.8 * R1]})
    p = dict((row[0], row[1]) for row in r.table("parameters").rows)
    assert p["R1"] <= 0.8 * R1 * (1 + 1e-9)
    assert p["R1"] == pytest.approx(0.8 * R1, rel=0.02)          # pressed against the bound
    assert r.options["bounds"] == {"R1": [0, 0.8 * R1]}        # as given (a run can be repeated from it)
    free = get("eis.blocking").run([m], CELL, circuit=CIRCUIT, bounds={"R1": [0.5 * R1, 2 * R1]})
    assert dict((row[0], row[1]) for row in free.table("parameters").rows)["R1"] == pytest.approx(R1, rel=0.01)


@pytest.mark.parametrize("kw, words", [
    (dict(bounds={"R1": [-5, 100]}), "negative"),
    (dict(bounds={"R1": [100, 5]}), "below upper"),
    (dict(bounds={"CPE1_alpha": [0.5, 1.5]}), "above 1"),
    (dict(bounds={"R9": [0, 1]}), "no parameter 'R9'"),
    (dict(bounds={"R1": [0]}), "[lower, upper]"),
    (dict(initial={"R1": -3}), "must be positive"),
    (dict(initial={"R1": "abc"}), "not a number"),
    (dict(initial={"CPE1_alpha": 1.4}), "0…1"),
    (dict(initial={"R1": 10.0}, bounds={"R1": [100, 200]}), "outside its bounds"),
])
def test_bad_starting_values_and_bounds_are_one_line_errors(kw, words):
    m, _ = _spectrum(seed=6)
    with pytest.raises(RecipeError) as e:
        get("eis.blocking").run([m], CELL, circuit=CIRCUIT, **kw)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_overrides_need_a_circuit():
    with pytest.raises(RecipeError, match="need a circuit"):
        check_overrides(None, {"R1": 1.0})
    assert check_overrides(None, {}, None) == (None, None)


def test_arrhenius_file_options_give_the_per_file_answer_and_the_simulated_ea():
    ms, opts = [], []
    for k, T in enumerate((303.15, 323.15, 343.15, 363.15)):
        m, _ = _spectrum(T, seed=10 + k)
        ms.append(m)
        opts.append({"circuit": CIRCUIT, "mask": [0]} if k % 2 else None)
    res = get("eis.arrhenius").run(ms, CELL, file_options=opts)
    assert res["Ea_eV"].value == pytest.approx(LAW.Ea_eV, abs=0.01)
    assert res.options["file_options"] == opts
    rows = {r[1]: r for r in res.table("points").rows}
    for m, o in zip(ms, opts):          # every σ(T) point is the file's own eis.blocking number
        alone = get("eis.blocking").run([m], CELL, **(o or {}))
        assert rows[m.temperature_K][2] == pytest.approx(alone["R_electrolyte_ohm"].value, rel=1e-9)
    with pytest.raises(RecipeError, match="window_s"):
        get("eis.arrhenius").run(ms, CELL, file_options=[{"window_s": 3}, None, None, None])


def test_warm_started_series_records_its_seeds_and_reproduces_alone():
    temps = (363.15, 303.15, 343.15, 323.15)            # deliberately out of order
    ms = [_spectrum(T, seed=20 + k)[0] for k, T in enumerate(temps)]
    truths = [_spectrum(T, seed=20 + k)[1] for k, T in enumerate(temps)]
    up, down = order_from(3, list(temps))                  # seed at 50 °C
    assert up == [2, 0] and down == [1]
    runs = fit_series_warm(ms, [CELL] * 4, 3, {"circuit": CIRCUIT, "bounds": {"R0": [0, 10]}})
    assert [r.seeded_from for r in runs] == [2, 3, 3, None]
    for r, m, t in zip(runs, ms, truths):
        assert r.error is None
        assert r.result["R_electrolyte_ohm"].value == pytest.approx(t["R_total_ohm"], rel=0.01)
        assert r.options["bounds"] == {"R0": [0, 10]}
        if r.seeded_from is not None:
            seed = seed_from(runs[r.seeded_from].result, r.options)
            assert r.options["initial"] == seed and r.result.options["initial"] == seed
        again = get("eis.blocking").run([m], CELL, **r.options)      # the kept options alone: the same answer
        assert again["R_electrolyte_ohm"].value == pytest.approx(r.result["R_electrolyte_ohm"].value, rel=1e-9)
    with pytest.raises(RecipeError, match="circuit"):
        fit_series_warm(ms, [CELL] * 4, 0, {})
