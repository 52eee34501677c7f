"""Figures of DRT results: γ(τ) with its band, the spectrum with the DRT-reconstructed fit and residuals, the DRT
map of a series and the Arrhenius plot (or time evolution) of each tracked process.

The drawing functions take plain arrays (``*_data`` dicts, as a recipe stores them in ``RecipeResult.figures``), so
every front-end draws the same figure from the same numbers; :func:`drt_overview`, :func:`drt_map`,
:func:`track_arrhenius` and :func:`track_evolution` accept the primitive results directly.
"""
from __future__ import annotations

import math

import numpy as np

from ...plotting import new_figure, style
from ..plot import equal_square, ohm_scale

__all__ = ["overview_data", "series_data", "draw_overview", "draw_overlay", "draw_map", "draw_arrhenius", "draw_evolution",
           "drt_overview", "drt_map", "track_arrhenius", "track_evolution"]

_COLORS = ("C0", "C3", "C2", "C1", "C4", "C5", "C6", "C7")
_MAP_COLORS = ("w", "#ff5050", "#ffb000", "#50c8ff", "#ff80ff", "#b0ff50")


# ---------------------------------------------------------------------------------------------------------------
# figure data (JSON-ready)
def overview_data(res) -> dict:
    """Arrays for :func:`draw_overview` from a :class:`~sselab.eis.drt.DRTResult`."""
    f = res.freq_Hz
    fd = np.logspace(math.log10(f.min()), math.log10(f.max()), 300)
    zd = res.predict(fd)
    return {
        "label": res.label, "tau_s": res.tau_s, "gamma_ohm": res.gamma_ohm,
        "gamma_lo_ohm": res.gamma_lo_ohm, "gamma_hi_ohm": res.gamma_hi_ohm,
        "window_s": list(res.tau_window_s),
        "peaks": [{"tau_s": p.tau_s, "R_ohm": p.R_ohm, "alpha": p.alpha, "assignment": p.assignment,
                   "gamma_max_ohm": p.gamma_max_ohm, "tau_drt_s": p.tau_drt_s} for p in res.peaks],
        "freq_Hz": f, "z_re": res.Z.real, "z_im": res.Z.imag,
        "fit_freq_Hz": fd, "fit_re": zd.real, "fit_im": zd.imag,
        "res_re": res.residuals.real, "res_im": res.residuals.imag,
        "excluded_re": res.excluded_Z.real, "excluded_im": res.excluded_Z.imag,
        "lam": res.lam, "lam_method": res.lam_method, "R_inf_ohm": res.R_inf_ohm, "R_pol_ohm": res.R_pol_ohm,
        "tail": None if not res.tail_Q else {"Q": res.tail_Q, "alpha": res.tail_alpha},
    }


def series_data(series) -> dict:
    """Arrays for :func:`draw_map`, :func:`draw_arrhenius` and :func:`draw_evolution` from a DRTSeries."""
    tracks = []
    for t in series.tracks:
        d = {"name": t.name, "index": t.index, "tau_s": t.tau_s, "R_ohm": t.R_ohm, "R_err_ohm": t.R_err_ohm,
             "T_K": t.T_K, "time_s": t.time_s, "sigma_S_per_m": t.sigma_S_per_m, "Ea_eV": t.Ea_eV,
             "Ea_err_eV": t.Ea_err_eV}
        if t.arrhenius is not None:
            a = t.arrhenius
            d["fit"] = {"T_K": a.T_K, "y": a.sigma_S_per_m, "T_line_K": a.T_line_K, "y_line": a.sigma_line_S_per_m,
                        "y_lo": a.sigma_line_lo_S_per_m, "y_hi": a.sigma_line_hi_S_per_m}
        tracks.append(d)
    return {"tau_s": series.tau_s, "gamma_map_ohm": series.gamma_map_ohm, "axis": series.axis,
            "T_K": series.T_K, "time_s": series.time_s, "labels": list(series.labels), "tracks": tracks,
            "geometry": bool(series.tracks and series.tracks[0].sigma_S_per_m is not None)}


def _arr(x, dtype=float):
    return None if x is None else np.asarray(x, dtype)


# ---------------------------------------------------------------------------------------------------------------
# drawing
def _decades(ax, f, z, k, span) -> None:
    """Filled squares at the points nearest each frequency decade, labelled unless crowded."""
    done = []
    for dec in range(math.ceil(math.log10(f.min())), math.floor(math.log10(f.max())) + 1):
        i = int(np.argmin(np.abs(np.log10(f) - dec)))
        if abs(math.log10(f[i]) - dec) >= 0.15:
            continue
        x, y = z.real[i] / k, -z.imag[i] / k
        ax.plot(x, y, "s", ms=3, color="k", zorder=6)
        if all(math.hypot(x - a, y - b) > 0.08 * span for a, b in done):
            ax.annotate(f"$10^{{{dec}}}$ Hz", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=6.5)
            done.append((x, y))


def draw_overview(d: dict, title: str | None = None):
    """Three panels: γ(τ) with band, peaks and the measured window; Nyquist with the DRT-reconstructed spectrum;
    residuals (Z − Z_DRT)/|Z| against frequency."""
    tau, g = _arr(d["tau_s"]), _arr(d["gamma_ohm"])
    lo, hi = _arr(d.get("gamma_lo_ohm")), _arr(d.get("gamma_hi_ohm"))
    k, unit = ohm_scale(np.concatenate([g, hi]) if hi is not None else g)
    with style():
        fig, axes = new_figure(7.2, 2.6, ncols=3, gridspec_kw={"width_ratios": [1.35, 1.0, 1.0]})
        a1, a2, a3 = axes
        w0, w1 = d["window_s"]
        a1.axvspan(w0, w1, color="0.93", lw=0, zorder=0, label="measured window")
        if lo is not None and hi is not None:
            a1.fill_between(tau, lo / k, hi / k, color="C0", alpha=0.25, lw=0, label="95 % band")
        a1.semilogx(tau, g / k, "-", color="C0", lw=1.3, label=f"DRT (λ = {d['lam']:.2g}, {d['lam_method']})")
        y = np.log(tau)
        from .peaks import cole_cole

        for i, p in enumerate(d.get("peaks", [])):
            comp = cole_cole(y, p["R_ohm"], math.log(p["tau_s"]), p["alpha"])
            a1.semilogx(tau, comp / k, "--", lw=0.8, color=_COLORS[(i + 1) % len(_COLORS)])
            tx = p.get("tau_drt_s") or p["tau_s"]
            gx = float(np.interp(math.log(tx), y, g)) / k
            a1.annotate(f"{i + 1}", (tx, gx), textcoords="offset points", xytext=(0, 3), ha="center",
                        va="bottom", fontsize=7, color=_COLORS[(i + 1) % len(_COLORS)])
        a1.set_xlabel("τ (s)")
        a1.set_ylabel(f"γ ({unit})")
        top = float(np.nanmax(hi if hi is not None else g)) / k
        a1.set_ylim(0, 1.2 * top if top > 0 else 1.0)   # near-ideal (α → 1) peak shapes are drawn clipped
        a1.set_xlim(tau.min(), tau.max())
        a1.legend(loc="upper left", fontsize=6.5)
        # Nyquist
        f = _arr(d["freq_Hz"])
        z = _arr(d["z_re"]) + 1j * _arr(d["z_im"])
        zf = _arr(d["fit_re"]) + 1j * _arr(d["fit_im"])
        kz, uz = ohm_scale(np.abs(z))
        a2.plot(z.real / kz, -z.imag / kz, "o", ms=2.5, mfc="none", color="k", label="data")
        ex = _arr(d.get("excluded_re"))
        if ex is not None and ex.size:
            zx = ex + 1j * _arr(d["excluded_im"])
            a2.plot(zx.real / kz, -zx.imag / kz, "x", ms=3, color="0.5", label="excluded")
            zall = np.concatenate([z, zx])
        else:
            zall = z
        a2.plot(zf.real / kz, -zf.imag / kz, "-", color="C3", lw=1.1, label="DRT fit")
        view = zall
        if d.get("tail") and d.get("R_pol_ohm"):
            # a blocking tail runs to MΩ: show the arcs (up to 2·(R∞ + R_pol) on both axes), the tail leaves the frame
            lim = 2.0 * (max(d.get("R_inf_ohm", 0.0), 0.0) + d["R_pol_ohm"])
            inside = (np.abs(zall.real) <= lim) & (np.abs(zall.imag) <= lim)
            if inside.sum() >= 3 and not inside.all():
                view = zall[inside]
                kz2, uz2 = ohm_scale(np.abs(view))
                if kz2 != kz:        # redraw in the zoomed unit
                    a2.cla()
                    kz, uz = kz2, uz2
                    a2.plot(z.real / kz, -z.imag / kz, "o", ms=2.5, mfc="none", color="k", label="data")
                    a2.plot(zf.real / kz, -zf.imag / kz, "-", color="C3", lw=1.1, label="DRT fit")
                a2.set_title("arcs (tail leaves the frame)", fontsize=7)
        span = equal_square(a2, view.real / kz, -view.imag / kz)
        _decades(a2, f, z, kz, span)
        a2.set_xlabel(f"Z′ ({uz})")
        a2.set_ylabel(f"−Z″ ({uz})")
        a2.legend(loc="upper left", fontsize=6.5)
        # residuals
        a3.semilogx(f, 100 * _arr(d["res_re"]), "o", ms=2.5, mfc="none", label="Δ′")
        a3.semilogx(f, 100 * _arr(d["res_im"]), "s", ms=2.5, mfc="none", label="Δ″")
        a3.axhline(0, color="0.5", lw=0.6)
        a3.set_xlabel("f (Hz)")
        a3.set_ylabel("(Z − Z_DRT)/|Z| (%)")
        a3.legend(loc="best", fontsize=6.5)
        if title or d.get("label"):
            fig.suptitle(title or d["label"], fontsize=9)
        fig.tight_layout()
    return fig


def draw_overlay(curves: list[tuple[dict, float | None]], title: str | None = None):
    """Every spectrum's γ(τ) of one cell on one plot, each normalised to its maximum and coloured by temperature
    (blue → red; in the input order when a temperature is missing), the refined peak positions as markers —
    how the processes move with temperature or time, in one figure instead of one per spectrum."""
    import matplotlib as mpl

    temps = [T for _, T in curves]
    known = all(T is not None for T in temps)
    vals = np.array([T - 273.15 for T in temps], float) if known else np.arange(len(curves), dtype=float)
    norm = mpl.colors.Normalize(vals.min(), vals.max() if vals.max() > vals.min() else vals.min() + 1)
    cmap = mpl.colormaps["coolwarm"]
    order = np.argsort(vals, kind="stable")
    with style():
        fig, ax = new_figure(4.6, 3.2)
        for i in order:
            d = curves[i][0]
            tau, g = _arr(d["tau_s"]), _arr(d["gamma_ohm"])
            k = float(np.nanmax(g)) if np.nanmax(g) > 0 else 1.0
            c = cmap(norm(vals[i]))
            ax.semilogx(tau, g / k, "-", lw=1.1, color=c)
            for p in d.get("peaks", []):
                tx = p.get("tau_drt_s") or p["tau_s"]
                ax.plot(tx, float(np.interp(math.log(tx), np.log(tau), g)) / k, "o", ms=3, color=c, mec="k",
                        mew=0.4)
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, label="T (°C)" if known else "spectrum")
        ax.set_xlabel("τ (s)")
        ax.set_ylabel("γ / γ_max")
        ax.set_ylim(0, 1.15)
        if title:
            ax.set_title(title, fontsize=9)
    return fig


def _axis_values(d):
    if d["axis"] == "temperature":
        return _arr(d["T_K"]) - 273.15, "T (°C)"
    if d["axis"] == "time":
        t = _arr(d["time_s"])
        if np.nanmax(t) - np.nanmin(t) > 3 * 3600:
            return t / 3600, "time (h)"
        return t / 60, "time (min)"
    return np.arange(1, len(d["labels"]) + 1, dtype=float), "spectrum"


def draw_map(d: dict, title: str | None = None):
    """DRT map: τ across, the series axis (temperature, time or index) up, colour γ/γ_max of each spectrum; the
    tracked peaks as markers."""
    import matplotlib.colors as mcolors

    tau = _arr(d["tau_s"])
    G = np.asarray(d["gamma_map_ohm"], float)
    yv, ylab = _axis_values(d)
    order = np.argsort(yv, kind="stable")
    Gn = G / np.maximum(G.max(axis=1, keepdims=True), 1e-300)
    with style():
        fig, ax = new_figure(4.2, 3.2)
        if len(order) > 1:
            ys = yv[order]
            edges = np.concatenate([[ys[0] - (ys[1] - ys[0]) / 2], (ys[1:] + ys[:-1]) / 2,
                                    [ys[-1] + (ys[-1] - ys[-2]) / 2]])
            if np.any(np.diff(edges) <= 0):          # repeated axis values: fall back to the spectrum index
                edges = np.arange(len(order) + 1) + 0.5
                ylab = ylab + " (rank)"
                ys = np.arange(1, len(order) + 1)
            lt = np.log10(tau)
            xe = np.concatenate([[lt[0] - (lt[1] - lt[0]) / 2], (lt[1:] + lt[:-1]) / 2,
                                 [lt[-1] + (lt[-1] - lt[-2]) / 2]])
            m = ax.pcolormesh(10 ** xe, edges, Gn[order], cmap="viridis", shading="flat",
                              norm=mcolors.Normalize(0, 1), rasterized=True)
            fig.colorbar(m, ax=ax, label="γ / γ_max")
            pos = {int(s): float(ys[j]) for j, s in enumerate(order)}
            for i, t in enumerate(d["tracks"]):
                ax.plot(_arr(t["tau_s"]), [pos[int(s)] for s in t["index"]], "o", ms=3.5, mec="k", mew=0.5,
                        mfc=_MAP_COLORS[i % len(_MAP_COLORS)], label=t["name"])
            ax.set_xscale("log")
            ax.legend(loc="upper left", fontsize=6.5)
        ax.set_xlabel("τ (s)")
        ax.set_ylabel(ylab)
        if title:
            ax.set_title(title)
    return fig


def draw_arrhenius(d: dict, title: str | None = None):
    """Arrhenius plot of each tracked process: σ_k = (L/A)/R_k (S/cm) or 1/R_k against 1000/T, with the fitted
    line and its 95 % band; Ea in the legend."""
    geo = d.get("geometry")
    scale = 0.01 if geo else 1.0     # S/m -> S/cm
    with style():
        fig, ax = new_figure(3.5, 3.0)
        for i, t in enumerate(d["tracks"]):
            fit = t.get("fit")
            if fit is None:
                continue
            c = _COLORS[i % len(_COLORS)]
            x = 1000 / _arr(fit["T_K"])
            ea = t["Ea_eV"]
            err = t.get("Ea_err_eV")
            lab = f"{t['name']}: Ea = {ea:.3f}" + (f" ± {err:.3f}" if err is not None else "") + " eV"
            ax.semilogy(x, _arr(fit["y"]) * scale, "o", ms=3.5, mfc="none", color=c, label=lab)
            xl = 1000 / _arr(fit["T_line_K"])
            ax.semilogy(xl, _arr(fit["y_line"]) * scale, "-", color=c, lw=1)
            ax.fill_between(xl, _arr(fit["y_lo"]) * scale, _arr(fit["y_hi"]) * scale, color=c, alpha=0.15, lw=0)
        ax.set_xlabel("1000/T (K⁻¹)")
        ax.set_ylabel("σ (S/cm)" if geo else "1/R (S)")
        ax.legend(loc="best", fontsize=6.5)
        if title:
            ax.set_title(title)
    return fig


def draw_evolution(d: dict, title: str | None = None):
    """R and τ of each tracked process along the series axis (time series, or no temperatures)."""
    yv, xlab = _axis_values(d)
    with style():
        fig, (a1, a2) = new_figure(3.5, 4.0, nrows=2, sharex=True)
        for i, t in enumerate(d["tracks"]):
            c = _COLORS[i % len(_COLORS)]
            x = yv[np.asarray(t["index"], int)]
            o = np.argsort(x)
            a1.semilogy(x[o], _arr(t["R_ohm"])[o], "o-", ms=3, lw=0.8, mfc="none", color=c, label=t["name"])
            a2.semilogy(x[o], _arr(t["tau_s"])[o], "o-", ms=3, lw=0.8, mfc="none", color=c)
        a1.set_ylabel("R (Ω)")
        a2.set_ylabel("τ (s)")
        a2.set_xlabel(xlab)
        a1.legend(loc="best", fontsize=6.5)
        if title:
            a1.set_title(title)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# conveniences on primitive results
def drt_overview(res, title: str | None = None):
    return draw_overview(overview_data(res), title)


def drt_map(series, title: str | None = None):
    return draw_map(series_data(series), title)


def track_arrhenius(series, title: str | None = None):
    return draw_arrhenius(series_data(series), title)


def track_evolution(series, title: str | None = None):
    return draw_evolution(series_data(series), title)
