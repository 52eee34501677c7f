"""Recipe ``nmr.series``: a ⁷Li (or any) NMR spectrum or series → phased, baseline-corrected spectra, region
integrals over time, the electrolyte line's shift and width, and statements (Fig. 4b, ESI Fig. 17).

Decisions made here (recorded in ``result.options``):

* spectra Fourier-transformed by sselab (``spectrum_source == "fid"``) are phased automatically (zero order, on
  the summed spectrum, the same phase for every row); TopSpin-processed spectra are used as processed;
* baseline: ``"edges"`` (default) — a straight line through the outer 5 % of the spectrum at each end, which
  removes offsets and tilts but keeps the real Lorentzian tails of broad static lines (a polynomial through the
  points outside the regions, ``baseline_order=N``, eats those tails: −3 to −9 % on simulated ⁷Li series);
* regions default to Li metal 200–320 ppm and the electrolyte (SSE) −60–60 ppm (static ⁷Li in situ cells);
* the electrolyte line is tracked with one pseudo-Voigt + linear background per row inside ``track_region``.
"""
from __future__ import annotations

import numpy as np

from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register


def process_series(s, *, regions, autophase: bool = True, baseline_order="edges", margin_ppm: float = 10.0,
                   reference=None):
    """Phase, reference and baseline-correct a Series of spectra; returns ``(ppm, Y, info)``."""
    from ..structure.nmr import apply_phase, autophase as _auto, baseline, reference as _ref

    ppm = np.asarray(s.x, float)
    info: dict = {"phc0_deg": 0.0, "phc1_deg": 0.0, "reference_shift_ppm": 0.0}
    src = s.extra.get("spectrum_source", [])
    Y = np.asarray(s.y, float)
    if autophase and s.y_imag is not None and "fid" in src:
        Z = Y + 1j * np.asarray(s.y_imag, float)
        p0, p1 = _auto(Z)
        Y = apply_phase(Z, p0, p1).real
        info.update(phc0_deg=p0, phc1_deg=p1, phased="automatic (zero order)")
    else:
        info["phased"] = "as in the file" if "processed" in src else "not phased (no imaginary part)"
    if reference is not None:
        expected, window = reference
        ppm, sh = _ref(ppm, Y, expected, window)
        info["reference_shift_ppm"] = sh
    if baseline_order == "edges":
        # a straight line through the mean of the outer 5 % at each end: removes an offset/tilt, keeps the
        # (real) Lorentzian tails of broad static lines that a polynomial through "signal-free" points would eat
        o = np.argsort(ppm)
        k = max(3, len(ppm) // 20)
        lo_i, hi_i = o[:k], o[-k:]
        x1, x2 = ppm[lo_i].mean(), ppm[hi_i].mean()
        y1, y2 = Y[:, lo_i].mean(axis=1), Y[:, hi_i].mean(axis=1)
        Y = Y - (y1[:, None] + (y2 - y1)[:, None] * (ppm[None, :] - x1) / (x2 - x1))
    elif baseline_order is not None and int(baseline_order) >= 0:
        sig = [(lo - margin_ppm, hi + margin_ppm) for lo, hi in regions.values()]
        B = baseline(ppm, Y, signal_regions=sig, order=int(baseline_order))
        Y = Y - B
    return ppm, Y, info


def _parse_regions(regions):
    from ..structure.nmr import DEFAULT_REGIONS_PPM

    if regions is None:
        return dict(DEFAULT_REGIONS_PPM)
    if isinstance(regions, dict):
        return {str(k): (float(min(v)), float(max(v))) for k, v in regions.items()}
    out = {}
    for part in str(regions).split(","):
        if not part.strip():
            continue
        if "=" not in part or ":" not in part:
            raise RecipeError(f"region {part!r}: write NAME=LO:HI (ppm), e.g. 'Li metal=200:320'")
        name, rng = part.split("=", 1)
        lo, hi = rng.split(":", 1)
        try:
            out[name.strip()] = (min(float(lo), float(hi)), max(float(lo), float(hi)))
        except ValueError:
            raise RecipeError(f"region {part!r}: LO and HI must be numbers (ppm)") from None
    return out


def analyse(s, *, regions=None, autophase: bool = True, baseline_order="edges", track_region=None, reference=None):
    """The recipe's work on a Series (shared with ``operando``): values, flags, tables, figures."""
    from ..structure.nmr import region_integrals, track_peaks
    from ..structure.operando import growth_statement

    regions = _parse_regions(regions)
    ppm, Y, info = process_series(s, regions=regions, autophase=autophase, baseline_order=baseline_order,
                                  reference=reference)
    ri = region_integrals(ppm, Y, regions)
    t = np.asarray(s.time_s, float)
    values, flags, rows = [], [], []
    statements = []
    for name in regions:
        v, e = ri.values[name], ri.errors[name]
        key = _key(name)
        values.append(Value(f"integral_{key}_first", float(v[0]), "", float(e[0]), f"{name} integral (first)"))
        if len(v) > 1:
            values.append(Value(f"integral_{key}_last", float(v[-1]), "", float(e[-1]), f"{name} integral (last)"))
            if v[0] != 0:
                st = growth_statement(t, v, e, what=f"{name} signal")
                statements.append(st)
                values.append(Value(f"integral_{key}_change_percent", st.evidence["change_percent"], "%",
                                    st.evidence["change_err_percent"], f"{name} integral change, first → last",
                                    note=st.text))
    tr = track_region or regions.get("SSE") or next(iter(regions.values()))
    fit = None
    try:
        narrow = (max(tr[0], -30.0), min(tr[1], 30.0)) if track_region is None and "SSE" in regions else tr
        fit = track_peaks(ppm, Y, narrow)
        values.append(Value("sse_shift_first_ppm", float(fit.center[0]), "ppm", float(fit.center_err[0]),
                            "electrolyte line shift (first)"))
        if len(t) > 1:
            values.append(Value("sse_shift_last_ppm", float(fit.center[-1]), "ppm", float(fit.center_err[-1]),
                                "electrolyte line shift (last)"))
            values.append(Value("sse_width_first_ppm", float(fit.fwhm[0]), "ppm", float(fit.fwhm_err[0]),
                                "electrolyte line FWHM (first)"))
    except Exception as exc:          # a region without a line: report, do not hide   # noqa: BLE001
        flags.append(Flag("no_line_tracked", f"electrolyte line not tracked in {tr} ppm: {' '.join(str(exc).split())[:120]}",
                          "warning"))
    for k in range(len(t)):
        row = [float(t[k]) / 3600.0]
        for name in regions:
            row += [float(ri.values[name][k]), float(ri.errors[name][k])]
        if fit is not None:
            row += [float(fit.center[k]), float(fit.center_err[k]), float(fit.fwhm[k])]
        rows.append(tuple(row))
    cols = ["time_h"] + [c for n in regions for c in (f"integral_{_key(n)}", f"integral_{_key(n)}_err")]
    if fit is not None:
        cols += ["sse_shift_ppm", "sse_shift_err_ppm", "sse_fwhm_ppm"]
    tables = [RecipeTable("per_spectrum", tuple(cols), tuple(rows), "Per spectrum: integrals and the electrolyte line")]
    if "row times estimated" in " ".join(s.warnings):
        flags.append(Flag("times_estimated", "spectrum times estimated from NS·(D1+AQ): give exact times in a manifest",
                          "warning"))
    step = max(1, len(ppm) // 1500)
    figures = {"ppm": ppm[::step], "Y": Y[:, ::step], "time_s": t, "regions": regions,
               "integrals": {n: ri.values[n] for n in regions}, "integral_errors": {n: ri.errors[n] for n in regions},
               "statements": [st.text for st in statements]}
    if fit is not None:
        figures["sse_shift_ppm"] = fit.center
    opts = {"regions": regions, "autophase": autophase, "baseline_order": baseline_order, "track_region": tr,
            "reference": reference, **{k: v for k, v in info.items() if k != "phased"}, "phasing": info.get("phased")}
    return values, flags, tables, figures, opts, {"integrals": ri, "track": fit, "statements": statements,
                                                   "ppm": ppm, "Y": Y}


def _key(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _series(measurements, series):
    from ..io.structure_series import series_from_measurements

    if series is not None:
        return series
    ms = list(measurements) if isinstance(measurements, (list, tuple)) else [measurements]
    if not ms:
        raise RecipeError("no spectra")
    if any(m.technique != "NMR" for m in ms):
        raise RecipeError("nmr.series needs NMR spectra")
    return series_from_measurements(ms, allow_index_time=True)


def plot(result: RecipeResult) -> list[FigureOut]:
    """Fig. 4b-style contour (δ vs time) and ESI Fig. 17-style integrals vs time."""
    from ..plotting import new_figure

    f = result.figures
    out = []
    ppm, Y, t = np.asarray(f["ppm"]), np.asarray(f["Y"]), np.asarray(f["time_s"]) / 3600.0
    if len(t) > 1:
        fig, ax = new_figure(5.0, 3.6)
        _contour(ax, ppm, t, Y)
        ax.set_xlabel("δ(⁷Li) (ppm)")
        ax.set_ylabel("time (h)")
        ax.invert_xaxis()
        out.append(FigureOut("nmr_contour", "NMR spectra vs time", fig, "Spectra (phased, baseline-corrected) vs time.",
                             "Fig. 4b"))
        fig, axes = new_figure(3.5, 1.4 + 1.2 * len(f["integrals"]))
        fig.clf()
        names = list(f["integrals"])
        for k, n in enumerate(names):
            ax = fig.add_subplot(len(names), 1, k + 1)
            v = np.asarray(f["integrals"][n])
            e = np.asarray(f["integral_errors"][n])
            ax.errorbar(t, v / v[0] if v[0] else v, yerr=e / abs(v[0]) if v[0] else e, fmt="o-", ms=2, lw=0.8)
            ax.set_ylabel(f"{n}\n(rel. to t₀)")
            if k == len(names) - 1:
                ax.set_xlabel("time (h)")
        out.append(FigureOut("nmr_integrals", "Region integrals vs time", fig,
                             "Integrals of each region relative to the first spectrum.", "ESI Fig. 17"))
    else:
        fig, ax = new_figure(3.5, 2.6)
        ax.plot(ppm, Y[0], lw=0.8)
        ax.invert_xaxis()
        ax.set_xlabel("δ (ppm)")
        ax.set_ylabel("intensity")
        out.append(FigureOut("nmr_spectrum", "NMR spectrum", fig, "Phased, baseline-corrected spectrum."))
    return out


def _contour(ax, x, t, Y, log: bool = False):
    Z = np.asarray(Y, float)
    if log:
        Z = np.log10(np.maximum(Z - np.nanmin(Z) + 1.0, 1.0))
    o = np.argsort(x)
    if len(t) > 1:
        ax.pcolormesh(np.asarray(x)[o], t, Z[:, o], shading="nearest", cmap="viridis",
                      vmin=np.nanpercentile(Z, 1), vmax=np.nanpercentile(Z, 99.7))
    else:
        ax.plot(np.asarray(x)[o], Z[0, o])


@register("nmr.series", techniques=("NMR",), plot=plot,
          summary="NMR spectra/series: phasing, baselines, region integrals over time, line tracking")
def run(measurements, cell=None, *, series=None, regions=None, autophase: bool = True, baseline_order="edges",
        track_region=None, reference=None) -> RecipeResult:
    """NMR spectrum or series → region integrals (Li metal, SSE, user regions) over time and the line's shift."""
    s = _series(measurements, series)
    if s.kind != "NMR":
        raise RecipeError("nmr.series needs NMR spectra")
    values, flags, tables, figures, opts, details = analyse(s, regions=regions, autophase=autophase,
                                                            baseline_order=baseline_order, track_region=track_region,
                                                            reference=reference)
    for w in s.warnings[:5]:
        if "row times estimated" not in w and "phase correction" not in w:
            flags.append(Flag("reader_warning", w[:200], "info"))
    values.insert(0, Value("n_spectra", len(s), "", None, "spectra"))
    return RecipeResult("nmr.series", s.names[0] if len(s) == 1 else f"{len(s)} spectra ({s.names[0]} …)",
                        tuple(dict.fromkeys(s.sources)), opts, tuple(values), tuple(flags), tuple(tables), figures,
                        details)
