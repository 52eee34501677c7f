"""Recipe ``nmr.lines``: the electrolyte line of key spectra of an in situ NMR series fitted with two components —
a narrow and a broad line — and the broad component's shift from the first to the last spectrum (the imide paper's
Fig. 4c: a broad component moving 3.40 → 3.25 ppm while the narrow one stays at ~3.30 ppm).

Decisions made here:

* **key spectra**: the first, the middle and the last of the series (the paper's pre-cycling, during and final
  spectra);
* **window**: ±``WINDOW_PPM`` around the highest point of the electrolyte region (default −60…60 ppm);
* **model**: two Lorentzians (narrow + broad) on a linear baseline, started from the line's half-height width
  (narrow at 0.5×, broad at 4×), the same model for every key spectrum.  The paper fits static CSA powder
  patterns (a quasi-axial broad and a rhombic narrow component, DMfit); sselab's CSA model is
  :func:`sselab.structure.nmr.fit_csa` (mrsimulator, ``sselab[nmr]``) — Lorentzians are the right shapes when the
  anisotropy is averaged out, as in sselab's simulated series;
* spectra are phased and baseline-corrected exactly as ``nmr.series`` / ``operando`` do.
"""
from __future__ import annotations

import numpy as np

from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register
from ._common import finite

__all__ = ["lines", "WINDOW_PPM"]

WINDOW_PPM = 40.0
SSE_REGION_PPM = (-60.0, 60.0)


def _key_rows(n: int) -> list[int]:
    return sorted({0, n // 2, n - 1})


def plot_lines(result: RecipeResult) -> list[FigureOut]:
    import matplotlib.pyplot as plt

    from ..plotting import style

    d = result.figures
    rows = d["rows"]
    with style():
        fig, axes = plt.subplots(1, len(rows), figsize=(7.0, 2.6), sharey=True)
        axes = np.atleast_1d(axes)
        for ax, r in zip(axes, rows):
            x = np.asarray(r["ppm"], float)
            ax.plot(x, r["y"], ".", ms=1.6, color="0.3", label="data")
            ax.plot(x, r["fit"], "-", lw=1.0, color="k", label="fit")
            ax.fill_between(x, 0, r["broad"], color="C4", alpha=0.35, lw=0, label="broad")
            ax.fill_between(x, 0, r["narrow"], color="C0", alpha=0.45, lw=0, label="narrow")
            ax.plot(x, np.asarray(r["y"]) - np.asarray(r["fit"]) - 0.08 * max(np.max(r["y"]), 1e-12), "-", lw=0.5,
                    color="C3", label="residual (offset)")
            ax.set_xlim(x.max(), x.min())              # ppm decreasing to the right, as spectrometers show it
            ax.set_xlabel("δ(⁷Li) (ppm)")
            ax.set_title(f"{r['label']}\nbroad {r['broad_ppm']:.2f}, narrow {r['narrow_ppm']:.2f} ppm", fontsize=7)
        axes[0].set_ylabel("intensity (a.u.)")
        axes[0].legend(loc="upper left", fontsize=5.5, handletextpad=0.3)
        fig.subplots_adjust(wspace=0.08)
    return [FigureOut("nmr-lines-" + _slug(result.subject), "Electrolyte line: two-component fits of key spectra", fig,
                      "first, middle and last spectrum of the series: data, the narrow (blue) and broad (purple) "
                      "components, their sum and the residual; the centres are in the panel titles", "Fig. 4c")]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


@register("nmr.lines", techniques=("NMR-series",), plot=plot_lines, title="NMR: the electrolyte line's components")
def lines(measurements, cell=None, *, series=None, region_ppm=SSE_REGION_PPM, window_ppm=WINDOW_PPM,
          autophase: bool = True, ec_offset_s=None, ec_start=None) -> RecipeResult:
    """An NMR series (``series=``) → two-component fits (narrow + broad Lorentzian) of the electrolyte line in its
    first, middle and last spectrum, the components' shifts and the broad one's change."""
    from ..structure.nmr import fit_lines
    from .nmr import process_series

    if series is None:
        raise RecipeError("nmr.lines needs an NMR series (series=)")
    if series.kind != "NMR":
        raise RecipeError(f"nmr.lines: a {series.kind} series is not NMR")
    lo, hi = float(min(region_ppm)), float(max(region_ppm))
    ppm, Y, info = process_series(series, regions={"SSE": (lo, hi)}, autophase=autophase)
    n = Y.shape[0]
    keys = _key_rows(n)
    times = np.asarray(series.time_s, float)
    rows, fits, flags = [], [], []
    for k in keys:
        y = Y[k]
        sel = (ppm >= lo) & (ppm <= hi)
        if not sel.any():
            raise RecipeError(f"no points in the electrolyte region {lo:g}…{hi:g} ppm")
        c0 = float(ppm[sel][np.argmax(y[sel])])
        w = (ppm >= c0 - window_ppm) & (ppm <= c0 + window_ppm)
        x, yy = ppm[w], y[w]
        half = yy >= 0.5 * yy.max()
        fwhm = max(float(np.ptp(x[half])), 0.2)
        comps = [{"shape": "lorentz", "center": c0, "fwhm": 0.5 * fwhm},
                 {"shape": "lorentz", "center": c0, "fwhm": 4.0 * fwhm}]
        lf = fit_lines(x, yy, comps, baseline_order=1)
        cs = sorted(lf.components, key=lambda c: c["fwhm_ppm"])
        narrow, broad = cs[0], cs[1]
        fits.append((k, narrow, broad))
        from ..structure.peaks import lorentzian

        yn = narrow["area"] * lorentzian(x, narrow["center_ppm"], narrow["fwhm_ppm"])
        yb = broad["area"] * lorentzian(x, broad["center_ppm"], broad["fwhm_ppm"])
        label = "first" if k == 0 else ("last" if k == n - 1 else "middle")
        label += f" (#{k + 1}, {times[k] / 3600:.2g} h)"
        rows.append({"label": label, "ppm": x, "y": yy, "fit": np.asarray(lf.model, float) if getattr(lf, "model", None)
                     is not None else yn + yb, "narrow": yn, "broad": yb, "narrow_ppm": narrow["center_ppm"],
                     "broad_ppm": broad["center_ppm"]})
        if broad["fwhm_ppm"] < 1.5 * narrow["fwhm_ppm"]:
            flags.append(Flag("components-not-resolved", f"spectrum #{k + 1}: the two components have similar widths "
                              f"({narrow['fwhm_ppm']:.3g} and {broad['fwhm_ppm']:.3g} ppm): not two distinct lines",
                              "warning"))
    (k0, n0, b0), (k1, n1, b1) = fits[0], fits[-1]
    vals = [Value("n_spectra", int(n), "", label="spectra in the series"),
            Value("broad_shift_first_ppm", b0["center_ppm"], "ppm", finite(b0["center_err_ppm"]),
                  "broad component, first spectrum"),
            Value("broad_shift_last_ppm", b1["center_ppm"], "ppm", finite(b1["center_err_ppm"]),
                  "broad component, last spectrum"),
            Value("broad_shift_change_ppm", b1["center_ppm"] - b0["center_ppm"], "ppm",
                  finite(np.hypot(b0["center_err_ppm"], b1["center_err_ppm"])), "broad component shift, last − first"),
            Value("narrow_shift_first_ppm", n0["center_ppm"], "ppm", finite(n0["center_err_ppm"]),
                  "narrow component, first spectrum"),
            Value("narrow_shift_last_ppm", n1["center_ppm"], "ppm", finite(n1["center_err_ppm"]),
                  "narrow component, last spectrum"),
            Value("broad_fwhm_first_ppm", b0["fwhm_ppm"], "ppm", finite(b0["fwhm_err_ppm"]), "broad component FWHM"),
            Value("narrow_fwhm_first_ppm", n0["fwhm_ppm"], "ppm", finite(n0["fwhm_err_ppm"]), "narrow component FWHM")]
    d = b1["center_ppm"] - b0["center_ppm"]
    e = float(np.hypot(b0["center_err_ppm"], b1["center_err_ppm"]))
    from ..fmt import fmt_pm

    flags.insert(0, Flag("broad-shift", f"the broad component moved {b0['center_ppm']:.2f} → {b1['center_ppm']:.2f} ppm "
                         f"({fmt_pm(d, e)} ppm); the narrow one {n0['center_ppm']:.2f} → {n1['center_ppm']:.2f} ppm",
                         "info"))
    table = RecipeTable("components", ("spectrum", "time_s", "component", "center_ppm", "center_err_ppm", "fwhm_ppm",
                                       "area"),
                        tuple((k + 1, float(times[k]), name, c["center_ppm"], finite(c["center_err_ppm"]), c["fwhm_ppm"],
                               c["area"]) for k, nn, bb in fits for name, c in (("narrow", nn), ("broad", bb))),
                        "Two-component fits of the electrolyte line")
    opts = {"region_ppm": [lo, hi], "window_ppm": window_ppm, "autophase": autophase, "model": "2 Lorentzians + line",
            "key_spectra": [k + 1 for k in keys], **{k: v for k, v in info.items() if isinstance(v, (int, float, str))}}
    return RecipeResult("nmr.lines", f"NMR series ({n} spectra)", tuple(dict.fromkeys(series.sources)), opts,
                        tuple(vals), tuple(flags), (table,), {"rows": rows}, details=fits)
