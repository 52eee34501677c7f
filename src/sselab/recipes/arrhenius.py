"""Arrhenius recipe: impedance spectra of one material at several temperatures → σ(T), Ea, σ(25 °C), σ(30 °C).

Every spectrum is analysed exactly as ``eis.blocking`` analyses it alone (same model choice, same intercept-aware
electrolyte resistance), so the σ(T) points are the per-file numbers of the report and of ``sselab eis fit``.

Guardrails:

* a point whose requested resistance leaves out the intercept an above-band arc merged into (``resistance="R1"``
  on a hot pellet) is excluded from the fit, with a warning naming it, unless ``keep=True``;
* fewer than two usable points: no Ea, and the first flag says why;
* fewer than three temperatures, or Ea ≤ 0: Ea is reported with a warning and ``rankable`` is false — the
  knowledge-base ranking and the scorecard do not use it.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import AnalysisError
from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register
from ._common import finite, has_geometry, measurements_list, reader_flags, source_path
from .eis import UNRELIABLE, analyse_spectra, split_spectra, spectrum_temperatures

__all__ = ["arrhenius", "plot_arrhenius_result", "MIN_TEMPERATURES"]

#: an activation energy from fewer temperatures is reported but not ranked
MIN_TEMPERATURES = 3
#: Ea is printed to 0.01 eV when its standard error is smaller (the σ / σT conventions differ by ≈ k_B·T)
EA_RESOLUTION_EV = 0.01
#: the per-file fit options ``file_options`` may hold (those of ``eis.blocking`` for one file)
FILE_OPTIONS = ("circuit", "resistance", "fixed", "initial", "bounds", "mask", "fmin_Hz", "fmax_Hz", "weighting",
                "lf_loop")


def _accepts(ms, cell) -> bool:
    """A temperature series: at least two distinct temperatures among the files (or the spectra of one file)."""
    temps = set()
    for m in ms:
        col = spectrum_temperatures(m)
        for T in (col or [m.temperature_K]):
            if T is not None:
                temps.add(round(T, 1))
    if cell is not None and cell.temperature_K is not None and not temps:
        temps.add(round(cell.temperature_K, 1))
    return len(temps) >= 2


def _sigma_se(fit, value, ci):
    """Standard error of σ(T) from the fit's 95 % band (symmetric in ln σ)."""
    if ci is None or value is None:
        return None
    q = fit.t_quantile or 1.96
    return finite(value * (math.log(ci[1]) - math.log(ci[0])) / (2 * q))


def plot_arrhenius_result(result: RecipeResult) -> list[FigureOut]:
    """log σ against 1000/T with the fit and its 95 % band (points left out of the fit drawn as crosses)."""
    from ..transport.arrhenius import plot_arrhenius

    det = result.details
    if det is None or det.get("fit") is None:
        raise RecipeError(f"{result.subject}: no Arrhenius fit to plot ({result.flags[0] if result.flags else ''})")
    shown = det["two_regime"] if (det.get("two_regime") is not None and det["two_regime"].preferred == "two") \
        else det["fit"]
    fig = plot_arrhenius(shown, labels=[result.subject], compare=det.get("compare_curves") or ())
    pts = result.table("points")
    cols = pts.columns
    out = [r for r in pts.rows if not r[cols.index("used")]]
    if out:
        ax = fig.axes[0]
        T = np.array([r[cols.index("T_K")] for r in out], float)
        s = np.array([r[cols.index("sigma_S_per_m")] for r in out], float)
        ax.plot(1000.0 / T, s * 1e-2, "x", color="0.4", ms=4, label="excluded")
    return [FigureOut("arrhenius-" + _slug(result.subject), f"Arrhenius plot — {result.subject}", fig,
                      "log σ against 1000/T with the fit and its 95 % band; star: σ(25 °C)", "Fig. 1f")]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


@register("eis.arrhenius", techniques=("EIS",), cell_kinds=("blocking", "li-blocking", "unknown"),
          scope="material", accepts=_accepts, plot=plot_arrhenius_result, title="Arrhenius",
          cli="sselab arrhenius")
def arrhenius(measurements, cell=None, *, cells=None, temperatures_K=None, circuit=None, resistance=None,
              weighting="modulus", keep=False, convention="sigmaT", weighted=True, two_regime=False,
              continuous=False, lf_loop="auto", fmin_Hz=None, fmax_Hz=None, compare=False, subject=None,
              file_options=None) -> RecipeResult:
    """Impedance spectra of one material at several temperatures → σ(T) points, Ea ± error, σ(25 °C), σ(30 °C).

    ``cells``: one CellSpec per measurement (several pellets of one material), else ``cell`` for all;
    ``temperatures_K``: one per measurement (None entries: from the file, else the cell).  Other options as
    ``eis.blocking``; ``keep``: fit points whose resistance is flagged unreliable; ``convention``: ``"sigmaT"``
    (ln σT vs 1/T, default) or ``"sigma"``; ``two_regime``: also fit two regimes with an automatic break.
    ``file_options``: one mapping (or None) per measurement of that file's own fit options — ``circuit``,
    ``resistance``, ``fixed``, ``initial``, ``bounds``, ``mask``, ``fmin_Hz``, ``fmax_Hz``, ``weighting``,
    ``lf_loop`` as ``eis.blocking`` takes them (the per-file settings of a manifest, kept by ``sselab app``); a
    file with options is analysed exactly as ``eis.blocking`` analyses it with them."""
    from ..transport.arrhenius import fit_arrhenius, fit_two_regime

    ms = measurements_list(measurements)
    if convention not in ("sigmaT", "sigma"):
        raise RecipeError(f"convention {convention!r}: use 'sigmaT' or 'sigma'")
    if continuous and not two_regime:
        raise RecipeError("continuous applies only with two_regime")
    cells = list(cells) if cells is not None else [cell] * len(ms)
    temps = list(temperatures_K) if temperatures_K is not None else [None] * len(ms)
    if len(cells) != len(ms) or len(temps) != len(ms):
        raise RecipeError(f"{len(ms)} files but {len(cells)} cells and {len(temps)} temperatures")
    fopts = list(file_options) if file_options is not None else [None] * len(ms)
    if len(fopts) != len(ms):
        raise RecipeError(f"{len(ms)} files but {len(fopts)} file_options")
    for i, o in enumerate(fopts):
        bad = sorted(set(o or {}) - set(FILE_OPTIONS))
        if bad:
            raise RecipeError(f"file_options[{i}]: {', '.join(bad)} not an impedance fit option "
                              f"(use {', '.join(FILE_OPTIONS)})")
    if subject is None:
        c0 = next((c for c in cells if c is not None), None)
        subject = (c0.material or c0.name) if c0 is not None else "sample"
    analyses = []
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(cells):
        groups.setdefault(id(c), []).append(i)
    for idx in groups.values():
        c = cells[idx[0]]
        if not has_geometry(c):
            name = c.name if c is not None else "cell"
            raise AnalysisError(f"{name}: the pellet thickness and diameter (or area) are needed for σ(T)")
        plain = [i for i in idx if not fopts[i]]
        if plain:
            sp = split_spectra([ms[i] for i in plain], c, temperature_K=[temps[i] for i in plain], fmin_Hz=fmin_Hz,
                               fmax_Hz=fmax_Hz)
            analyses += analyse_spectra(sp, c, kind="blocking", circuit=circuit, resistance=resistance,
                                        weighting=weighting, lf_loop=lf_loop)
        for i in (i for i in idx if fopts[i]):     # a file's own options (spectra are analysed independently)
            o = {"circuit": circuit, "resistance": resistance, "weighting": weighting, "lf_loop": lf_loop,
                 "fmin_Hz": fmin_Hz, "fmax_Hz": fmax_Hz, **fopts[i]}
            sp = split_spectra([ms[i]], c, temperature_K=[temps[i]], fmin_Hz=o.pop("fmin_Hz"),
                               fmax_Hz=o.pop("fmax_Hz"), mask=o.pop("mask", None))
            analyses += analyse_spectra(sp, c, kind="blocking", **o)
    for sa in analyses:
        if sa.spectrum.T_K is None:
            raise AnalysisError(f"{sa.spectrum.label}: no temperature (put it in the name, e.g. pellet_30C.csv, or "
                                "in the manifest)")
    analyses.sort(key=lambda sa: sa.spectrum.T_K)
    flags: list[Flag] = []
    rows = []
    used = []
    for sa in analyses:
        ok = not sa.unreliable or keep
        note = ""
        if sa.unreliable:
            why = "; ".join(f.message for f in sa.flags if f.code in UNRELIABLE)
            if keep:
                note = "kept although unreliable (keep)"
                flags.append(Flag("unreliable-point-kept", f"kept in the fit although unreliable: {why}", "warning",
                                  sa.spectrum.label))
            else:
                note = "excluded: resistance misses the intercept"
                flags.append(Flag("point-excluded", f"left out of the Ea fit (keep=True to use it): {why}",
                                  "warning", sa.spectrum.label))
        rows.append((sa.spectrum.label, float(sa.spectrum.T_K), sa.R_el[0], finite(sa.R_el[1]), sa.sigma[0],
                     sa.sigma[1], ok, note))
        if ok:
            used.append(sa)
    for sa in analyses:     # the spectra's own flags, minus routine ones
        flags += [f for f in sa.flags if f.code in ("no-plausible-model", "residual-structure", "fit-not-converged",
                                                    "arc-below-band", "poorly-determined", "implausible-model")]
    flags += reader_flags(ms)
    table = RecipeTable("points", ("spectrum", "T_K", "R_ohm", "R_err_ohm", "sigma_S_per_m", "sigma_err_S_per_m",
                                   "used", "note"), tuple(rows), "σ(T) points (intercept-aware electrolyte resistance)")
    opts = {"circuit": circuit, "resistance": resistance, "weighting": weighting, "keep": keep,
            "convention": convention, "weighted": weighted, "two_regime": two_regime, "continuous": continuous,
            "lf_loop": lf_loop, "fmin_Hz": fmin_Hz, "fmax_Hz": fmax_Hz, "compare": compare,
            "model_choice": "given" if circuit else "per spectrum: BIC among admissible candidates",
            "file_options": fopts if any(fopts) else None}
    inputs = tuple(source_path(m) for m in ms)
    n_T = len({round(sa.spectrum.T_K / 0.05) for sa in used})
    base_vals = [Value("n_points", len(used), "", label="points in the fit"),
                 Value("n_excluded", len(analyses) - len(used), "", label="points excluded")]
    if len(used) < 2 or n_T < 2:
        n_ex = len(analyses) - len(used)
        if n_ex:
            bad = [sa for sa in analyses if sa.unreliable]
            expr = bad[0].model.electrolyte
            lost = sorted({a.resistor for sa in bad for a in sa.evidence.arcs if a.side == "above"
                           and a.resistor in expr.split("+")})
            if lost:
                why = (f"the arc of {', '.join(lost)} lies above the measured band in {n_ex} of {len(analyses)} "
                       f"spectra, where it merged into the intercept R0, so {expr} is not the electrolyte resistance "
                       f"— use the default resistance (intercept-aware, e.g. R0+{expr}) or keep the points "
                       "(keep=True, --keep)")
            else:
                why = (f"the electrolyte resistance {expr} is unreliable in {n_ex} of {len(analyses)} spectra (see "
                       "the warnings: undetermined or implausible arcs) — use the model chosen from the data, or keep "
                       "the points (keep=True, --keep)")
        else:
            why = f"at least 2 distinct temperatures are needed, got {n_T}"
        flags.insert(0, Flag("no-ea", f"Ea not computed: {why}", "error"))
        return RecipeResult("eis.arrhenius", subject, inputs, opts,
                            tuple(base_vals + [Value("rankable", False, "", label="Ea usable for ranking")]),
                            tuple(flags), (table,), {"T_K": [r[1] for r in rows], "sigma_S_per_m": [r[4] for r in rows]},
                            details={"fit": None, "analyses": analyses})
    T = np.array([sa.spectrum.T_K for sa in used])
    s = np.array([sa.sigma[0] for sa in used])
    e = np.array([np.nan if sa.sigma[1] is None else sa.sigma[1] for sa in used])
    use_err = weighted and bool(np.all(np.isfinite(e) & (e > 0)))
    if weighted and not use_err:
        flags.append(Flag("unweighted", "some σ errors are unknown: the Arrhenius fit is unweighted", "info"))
    fit = fit_arrhenius(T, s, e if use_err else None, convention=convention)
    two = None
    if two_regime:
        try:
            two = fit_two_regime(T, s, e if use_err else None, convention=convention, continuous=continuous)
        except AnalysisError as exc:
            flags.append(Flag("two-regime-not-fitted", f"two-regime fit skipped: {exc}", "warning"))
    rankable = True
    if n_T < MIN_TEMPERATURES:
        rankable = False
        flags.insert(0, Flag("too-few-temperatures", f"only {n_T} temperatures: Ea is not ranked against other "
                             f"materials (needs ≥ {MIN_TEMPERATURES})", "warning"))
    if not fit.Ea_eV > 0:
        rankable = False
        flags.insert(0, Flag("non-positive-ea", f"Ea = {fit.Ea_eV:.3g} eV ≤ 0: σ does not rise with temperature; "
                             "not ranked", "warning"))
    flags += [Flag("arrhenius-note", w, "info") for w in fit.warnings]
    vals = [Value("Ea_eV", fit.Ea_eV, "eV", finite(fit.Ea_err_eV), "Ea", ci95=fit.Ea_ci95_eV, resolution=EA_RESOLUTION_EV),
            Value("sigma_25C_S_per_m", fit.sigma_25C_S_per_m, "S/m",
                  _sigma_se(fit, fit.sigma_25C_S_per_m, fit.sigma_25C_ci95_S_per_m), "σ(25 °C)", "mS/cm",
                  ci95=fit.sigma_25C_ci95_S_per_m, note="extrapolated" if fit.sigma_25C_extrapolated else None),
            Value("sigma_30C_S_per_m", fit.sigma_30C_S_per_m, "S/m",
                  _sigma_se(fit, fit.sigma_30C_S_per_m, fit.sigma_30C_ci95_S_per_m), "σ(30 °C)", "mS/cm",
                  ci95=fit.sigma_30C_ci95_S_per_m),
            Value("prefactor", fit.prefactor, fit.prefactor_unit.replace("·", " "), label=f"σ0 ({fit.prefactor_unit})"),
            Value("r_squared", fit.r_squared, "", label="R²"),
            *base_vals,
            Value("n_temperatures", n_T, "", label="temperatures"),
            Value("T_min_K", fit.T_min_K, "K", label="lowest T", display_unit="degC"),
            Value("T_max_K", fit.T_max_K, "K", label="highest T", display_unit="degC"),
            Value("rankable", rankable, "", label="Ea usable for ranking")]
    if two is not None:
        vals += [Value("Ea_low_eV", two.low.Ea_eV, "eV", finite(two.low.Ea_err_eV), "Ea, low-T regime",
                       resolution=EA_RESOLUTION_EV),
                 Value("Ea_high_eV", two.high.Ea_eV, "eV", finite(two.high.Ea_err_eV), "Ea, high-T regime",
                       resolution=EA_RESOLUTION_EV),
                 Value("T_break_K", two.T_break_K, "K", finite(two.T_break_err_K), "break", "degC"),
                 Value("two_regimes_preferred", two.preferred == "two", "", label="two regimes preferred (BIC)")]
    tables = [table]
    details = {"fit": fit, "two_regime": two, "analyses": analyses}
    if compare:
        from ..errors import SselabError
        from ..materials import compare as kb_compare

        try:
            comp = kb_compare(fit=fit, name=subject, T_range_K=(min(fit.T_min_K, 298.15), fit.T_max_K))
        except SselabError as exc:
            flags.append(Flag("no-comparison", f"knowledge-base comparison not possible: {exc}", "warning"))
        else:
            near = comp.neighbours(2)
            names = {r["name"] for r in near if not r.get("is_user")}
            details["compare_curves"] = [(c["name"], c["T_K"], c["sigma_S_per_m"]) for c in comp.curves
                                         if c["family"] != "user" and c["name"] in names]
            if rankable:
                vals.append(Value("kb_rank", comp.user_rank, "", label=f"rank among {comp.n_ranked} knowledge-base "
                                  f"materials at 25 °C"))
            tables.append(RecipeTable("neighbours", ("rank", "material", "family", "sigma_S_per_m", "Ea_eV"),
                                      tuple((d.get("rank"), d.get("name"), d.get("family"), d.get("sigma_S_per_m"),
                                             d.get("Ea_eV")) for d in near), "Nearest knowledge-base materials"))
    figs = {"T_K": [r[1] for r in rows], "sigma_S_per_m": [r[4] for r in rows],
            "sigma_err_S_per_m": [r[5] for r in rows], "used": [r[6] for r in rows],
            "T_line_K": fit.T_line_K, "sigma_line_S_per_m": fit.sigma_line_S_per_m,
            "sigma_line_lo_S_per_m": fit.sigma_line_lo_S_per_m, "sigma_line_hi_S_per_m": fit.sigma_line_hi_S_per_m}
    return RecipeResult("eis.arrhenius", subject, inputs, opts, tuple(vals), tuple(flags), tuple(tables), figs,
                        details=details)


arrhenius.file_option_names = FILE_OPTIONS      # what routing may pass per file (``file_options``)
