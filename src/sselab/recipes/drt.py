"""Recipe ``eis.drt``: the distribution of relaxation times of one impedance spectrum or of a series.

Decisions made here (recorded in ``result.options``): every option of :func:`sselab.eis.drt.drt` with its default
(λ by GCV on a grid 1e-7–1, Gaussian basis with FWHM = 2 grid spacings at 10 points per decade, τ grid one decade
beyond the measured window, modulus weighting, series L when Z″ > 0 at the highest frequencies, a detected
low-frequency tail modelled by a CPE, a low-frequency inductive loop left out, peaks refined against the impedance
with BIC model selection, a 100-replicate bootstrap band), the frequency window (``fmin_Hz``/``fmax_Hz``), the
temperature of a spectrum (from the file, else the cell's, else ``temperature_K``) and — for several spectra — the
series axis (temperature when every spectrum has one, else time, else input order), peak tracking and an
Arrhenius fit per tracked process.

Values: for one spectrum R∞, R_pol, λ and per peak τ, R (± its standard error), C = τ/R and α; for a series, Ea of
every tracked process seen at ≥ 3 temperatures and the median capacitance of each track.  Tables: ``spectra`` (one
row per spectrum), ``peaks`` (one row per peak and spectrum, with its track), ``tracks``.  Figures: γ(τ) with its
band, the spectrum with the DRT-reconstructed fit and the residuals (one figure per spectrum, up to
:data:`MAX_OVERVIEWS`), and for a series the DRT map and the Arrhenius plot (temperatures) or the evolution of R
and τ (time / index) of each process.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register

__all__ = ["run", "plot", "plot_many", "MAX_OVERVIEWS"]

#: per-spectrum overview figures drawn for at most this many spectra (a series beyond that: map + tracks only)
MAX_OVERVIEWS = 16

_SEVERITY = {"lf-loop-excluded": "warning", "lf-loop-kept": "warning", "lf-tail-modelled": "info",
             "lf-tail-excluded": "info", "hf-inductance": "info", "peak-outside-window": "warning",
             "edge-rise": "info", "poor-fit": "warning", "peak-refinement-rejected": "warning",
             "lambda-at-bound": "info", "peak-count-varies": "info", "peak-model-misfit": "warning",
             "points-dropped": "warning", "solver-fallback": "info"}
_GENERIC = {"lf-loop-excluded": "low-frequency inductive loop left out (γ ≥ 0 cannot represent it)",
            "lf-loop-kept": "low-frequency inductive loop kept: expect residuals there",
            "lf-tail-modelled": "low-frequency capacitive tail modelled by a CPE, not by DRT peaks",
            "lf-tail-excluded": "low-frequency capacitive tail left out",
            "hf-inductance": "Z'' > 0 at the highest frequencies: modelled by a series inductance",
            "peak-outside-window": "peak(s) with the apex outside the measured band: τ and R extrapolated",
            "edge-rise": "γ does not decay at the end of the τ grid: a process outside the measured window",
            "poor-fit": "the DRT does not reproduce the spectrum within its noise (check Lin-KK validity)",
            "peak-refinement-rejected": "peak refinement rejected: R and τ are areas and positions in the DRT",
            "lambda-at-bound": "λ at the end of its search range",
            "peak-model-misfit": "the Cole–Cole peaks leave more residual than the DRT: a process may be missing",
            "points-dropped": "points with a non-finite impedance or f ≤ 0 left out",
            "solver-fallback": "NNLS did not converge: solved by BVLS"}


def _options():
    from ..eis.drt import DEFAULTS

    o = dict(DEFAULTS)
    o.update(fmin_Hz=None, fmax_Hz=None, temperature_K=None)
    return o


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_").lower() or "x"


def _per_spectrum(m, n_spec, column):
    """Mean of ``column`` per spectrum when the file splits by cycle (as Measurement.spectra does), else None."""
    d = m.data
    if column not in d.columns:
        return [None] * n_spec
    v = d[column].to_numpy(float)
    if n_spec == 1:
        ok = np.isfinite(v)
        return [float(np.mean(v[ok]))] if ok.any() else [None]
    if "cycle" in d.columns and d["cycle"].nunique() == n_spec:
        import pandas as pd

        c = d["cycle"].to_numpy()
        out = []
        for k in pd.unique(c):
            x = v[c == k]
            x = x[np.isfinite(x)]
            out.append(float(np.mean(x)) if x.size else None)
        return out
    return [None] * n_spec


def _collect(measurements, cell, fmin, fmax, T_default):
    """[(label, file, f, Z, T_K, time_s)] of every spectrum, with reader warnings as flags."""
    from ..io.base import Measurement

    if isinstance(measurements, Measurement):
        measurements = [measurements]
    ms = list(measurements)
    if not ms:
        raise RecipeError("eis.drt: no measurements given")
    items, flags = [], []
    for m in ms:
        name = m.source.name if getattr(m, "source", None) is not None else "<memory>"
        if not m.is_eis:
            raise RecipeError(f"{name}: not an impedance file (technique {m.technique})")
        for w in m.warnings or ():
            flags.append(Flag("reader-warning", " ".join(str(w).split()), "warning", name))
        spectra = m.spectra()
        temps = _per_spectrum(m, len(spectra), "temperature_K")
        times = _per_spectrum(m, len(spectra), "time_s")
        for k, (f, z) in enumerate(spectra):
            keep = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0)
            if fmin is not None:
                keep &= f >= fmin
            if fmax is not None:
                keep &= f <= fmax
            label = name if len(spectra) == 1 else f"{name}#{k + 1}"
            if keep.sum() < 5:
                raise RecipeError(f"{label}: {int(keep.sum())} usable points in the frequency window (need ≥ 5)")
            T = temps[k]
            if T is None:
                T = m.temperature_K
            if T is None and cell is not None:
                T = getattr(cell, "temperature_K", None)
            if T is None:
                T = T_default
            items.append((label, str(m.source) if getattr(m, "source", None) is not None else name, f[keep], z[keep],
                          T, times[k]))
    return items, flags


def _cap_unit(C: float) -> str:
    for u, k in (("pF", 1e-12), ("nF", 1e-9), ("uF", 1e-6), ("mF", 1e-3)):
        if abs(C) < 1000 * k:
            return u
    return "F"


def plot(result: RecipeResult) -> list[FigureOut]:
    """γ(τ) with band + spectrum with the DRT fit + residuals per spectrum; for a series the DRT map and the
    Arrhenius plot (or the evolution of R and τ) of the tracked processes."""
    from ..eis.drt.plot import draw_arrhenius, draw_evolution, draw_map, draw_overview

    figs = []
    for d in result.figures.get("overviews", []):
        figs.append(FigureOut(f"drt_{_slug(d['label'])}", f"DRT — {d['label']}", draw_overview(d),
                              caption="γ(τ) (Ω per unit ln τ) with its 95 % bootstrap band, the refined peak shapes "
                                      "(dashed) and the measured window (grey); the spectrum with the DRT-"
                                      "reconstructed impedance; residuals (Z − Z_DRT)/|Z|."))
    s = result.figures.get("series")
    if s:
        figs.append(FigureOut("drt_map", "DRT map", draw_map(s),
                              caption="γ(τ) of every spectrum normalised to its maximum; markers: tracked peaks."))
        if any(t.get("fit") for t in s["tracks"]):
            figs.append(FigureOut("drt_arrhenius", "Arrhenius plot per DRT process", draw_arrhenius(s),
                                  caption="σ_k = (L/A)/R_k of each tracked process (1/R_k without geometry), "
                                          "fitted as ln(σT) against 1/T with the 95 % band."))
        else:
            figs.append(FigureOut("drt_tracks", "DRT processes through the series", draw_evolution(s),
                                  caption="R and τ of each tracked process along the series."))
    return figs


def plot_many(results: list[RecipeResult]) -> list[FigureOut]:
    """The per-file DRTs of one cell (the report's section): one overlay of every γ(τ), coloured by temperature,
    instead of a figure per spectrum (each spectrum's own overview: ``sselab eis drt FILE --out``)."""
    from ..eis.drt.plot import draw_overlay

    if len(results) == 1:
        return plot(results[0])
    curves = []
    for r in results:
        t = next((t for t in r.tables if t.name == "spectra"), None)
        T = t.rows[0][t.columns.index("T_K")] if t is not None and t.rows else None
        T = float(T) if T is not None and math.isfinite(T) else None
        for d in r.figures.get("overviews", [])[:1]:
            curves.append((d, T))
    if not curves:
        return []
    return [FigureOut("drt_overlay", "DRT of every spectrum", draw_overlay(curves),
                      caption="γ(τ) of each spectrum normalised to its maximum, coloured by temperature (or order); "
                              "markers: the refined peaks.  Each spectrum's γ with its band, fit and residuals: "
                              "sselab eis drt FILE --out DIR, and results.json.")]


@register("eis.drt", summary="Distribution of relaxation times: peaks (τ, R, C, assignment), DRT-seeded circuit, "
                             "series tracking and Arrhenius per process",
          techniques=("EIS",), cell_kinds=(), plot=plot, plot_many=plot_many)
def run(measurements, cell=None, *, progress=None, **options) -> RecipeResult:
    """The DRT of every spectrum of the measurement(s); for several spectra the peaks are tracked across them.
    ``progress(done, total)``: optional callback as spectra finish (not an analysis option)."""
    from ..eis.drt import drt_series
    from ..eis.drt.core import _options as check_options
    from ..errors import SselabError

    o = _options()
    bad = sorted(set(options) - set(o))
    if bad:
        raise RecipeError(f"eis.drt: unknown option(s) {', '.join(bad)} (known: {', '.join(sorted(o))})")
    o.update(options)
    drt_opts = {k: v for k, v in o.items() if k not in ("fmin_Hz", "fmax_Hz", "temperature_K")}
    try:
        check_options(drt_opts)
    except TypeError as e:  # pragma: no cover - guarded above
        raise RecipeError(str(e)) from None
    items, flags = _collect(measurements, cell, o["fmin_Hz"], o["fmax_Hz"], o["temperature_K"])
    has_geo = cell is not None and cell.thickness_m is not None and cell.area_m2 is not None
    labels = [it[0] for it in items]
    try:
        ser = drt_series([(it[2], it[3]) for it in items], T_K=[it[4] for it in items],
                         time_s=[it[5] for it in items], labels=labels, cell=cell if has_geo else None,
                         progress=progress, **drt_opts)
    except SselabError:
        raise
    S = len(items)
    values: list[Value] = []
    # --- flags ------------------------------------------------------------------------------------------------
    by_code: dict[str, list[tuple[str, str]]] = {}
    for r in ser.results:
        for code, msg in r.flags.items():
            by_code.setdefault(code, []).append((r.label, msg))
    for code, lst in by_code.items():
        sev = _SEVERITY.get(code, "warning")
        if len(lst) <= 3:
            flags += [Flag(code, " ".join(msg.split()), sev, where) for where, msg in lst]
        else:
            flags.append(Flag(code, _GENERIC.get(code, code), sev, f"{len(lst)} of {S} spectra"))
    for code, msg in ser.flags.items():
        flags.append(Flag(code, msg, _SEVERITY.get(code, "info")))
    if not has_geo and any(r.peaks for r in ser.results):
        flags.append(Flag("no-geometry", "no cell thickness/area: peaks assigned from the raw capacitance "
                                         "(L/A = 1 cm⁻¹ assumed)", "info"))
    # --- values -----------------------------------------------------------------------------------------------
    if S == 1:
        r = ser.results[0]
        where = r.label
        values += [Value("R_inf_ohm", r.R_inf_ohm, "ohm", label="R∞", where=where),
                   Value("R_pol_ohm", r.R_pol_ohm, "ohm", label="R_pol = ∫γ d ln τ", where=where),
                   Value("n_peaks", r.n_peaks, "", label="DRT peaks", where=where),
                   Value("lambda", r.lam, "", label=f"λ ({r.lam_method})", where=where)]
        if r.L_H > 0:
            values.append(Value("L_H", r.L_H, "H", label="series inductance", display_unit="uH", where=where))
        if r.tail_Q:
            values += [Value("tail_Q", r.tail_Q, "", label="tail CPE Q (F s^(α−1))", where=where),
                       Value("tail_alpha", r.tail_alpha, "", label="tail CPE α", where=where)]
        for k, p in enumerate(r.peaks, start=1):
            tag = f"peak {k}, {p.assignment}"
            values += [Value(f"tau_{k}_s", p.tau_s, "s", label=f"τ ({tag})", where=where,
                             ci95=p.tau_ci95_s),
                       Value(f"R_{k}_ohm", p.R_ohm, "ohm", p.R_err_ohm, label=f"R ({tag})", where=where),
                       Value(f"C_{k}_F", p.C_F, "F", p.C_F * p.R_err_ohm / p.R_ohm if p.R_err_ohm else None,
                             label=f"C = τ/R ({tag})", display_unit=_cap_unit(p.C_F), where=where),
                       Value(f"alpha_{k}", p.alpha, "", label=f"α ({tag})", where=where)]
    else:
        values.append(Value("n_spectra", S, "", label="spectra"))
        values.append(Value("n_tracks", len(ser.tracks), "", label="processes tracked"))
        for t in ser.tracks:
            key = _slug(t.name)
            values.append(Value(f"C_{key}_F", t.C_median_F, "F", label=f"C {t.name} (median)",
                                display_unit=_cap_unit(t.C_median_F), where=f"{len(t.index)} spectra"))
            if t.arrhenius is not None:
                a = t.arrhenius
                values.append(Value(f"Ea_{key}_eV", a.Ea_eV, "eV", a.Ea_err_eV, label=f"Ea {t.name}",
                                    ci95=a.Ea_ci95_eV, where=f"{a.n_points} temperatures",
                                    note=f"ln(σT) against 1/T{'; ' + t.note if t.note else ''}"))
    # --- tables -----------------------------------------------------------------------------------------------
    track_of = {}
    for t in ser.tracks:
        for s, tau in zip(t.index, t.tau_s):
            track_of[(int(s), float(tau))] = t.name
    spec_rows, peak_rows = [], []
    for i, (it, r) in enumerate(zip(items, ser.results)):
        spec_rows.append((r.label, it[1], it[4], it[5], r.R_inf_ohm, r.L_H, r.R_pol_ohm, r.tail_Q, r.tail_alpha,
                          r.lam, r.lam_method, r.n_peaks, r.rms_residual, ", ".join(r.flags)))
        for k, p in enumerate(r.peaks, start=1):
            peak_rows.append((r.label, it[4], it[5], k, track_of.get((i, float(p.tau_s))), p.tau_s, p.R_ohm,
                              p.R_err_ohm, p.C_F, p.alpha, p.f_peak_Hz, p.assignment, p.C_norm_F_per_cm,
                              p.in_window, p.refined, p.R_area_ohm))
    tables = [RecipeTable("spectra", ("label", "file", "T_K", "time_s", "R_inf_ohm", "L_H", "R_pol_ohm", "tail_Q",
                                      "tail_alpha", "lambda", "lambda_method", "n_peaks", "rms_residual", "flags"),
                          tuple(spec_rows), "DRT per spectrum"),
              RecipeTable("peaks", ("label", "T_K", "time_s", "peak", "track", "tau_s", "R_ohm", "R_err_ohm", "C_F",
                                    "alpha", "f_peak_Hz", "assignment", "C_norm_F_per_cm", "in_window", "refined",
                                    "R_area_ohm"),
                          tuple(peak_rows), "DRT peaks (processes), fastest first")]
    if S > 1:
        tables.append(RecipeTable("tracks", ("track", "assignment", "n_spectra", "tau_median_s", "C_median_F",
                                             "Ea_eV", "Ea_err_eV", "note"),
                                  tuple((t.name, t.assignment, len(t.index), float(np.median(t.tau_s)),
                                         t.C_median_F, t.Ea_eV, t.Ea_err_eV, t.note) for t in ser.tracks),
                                  "processes followed through the series"))
    # --- figures ----------------------------------------------------------------------------------------------
    from ..eis.drt.plot import overview_data, series_data

    figures = {"overviews": [overview_data(r) for r in ser.results[:MAX_OVERVIEWS]]}
    if S > 1:
        figures["series"] = series_data(ser)
    subject = cell.name if cell is not None and getattr(cell, "name", "cell") != "cell" else \
        (Path(items[0][1]).name if len({it[1] for it in items}) == 1 else f"{len({it[1] for it in items})} files")
    return RecipeResult(recipe="eis.drt", subject=subject, inputs=tuple(dict.fromkeys(it[1] for it in items)),
                        options={k: v for k, v in o.items()}, values=tuple(values), flags=tuple(flags),
                        tables=tuple(tables), figures=figures, details=ser)
