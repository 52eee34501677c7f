"""Figures of impedance data and fits: Nyquist (equal axes, −Z″ up, decade markers), Bode, residuals, and the
profile-likelihood curve of one parameter (:func:`profile`).

Every function takes a :class:`~sselab.eis.fitting.FitResult` or :class:`~sselab.eis.kk.KKResult` (anything with
``freq_Hz``, ``Z`` and ``Z_fit``) — or ``(freq_Hz, Z)`` for raw data — and returns a matplotlib Figure.
"""
from __future__ import annotations

import math

import numpy as np

from ..plotting import new_figure, style, tidy_log_axis

__all__ = ["nyquist", "bode", "residuals", "fit_overview", "profile"]


def _unpack(obj):
    if isinstance(obj, tuple) and len(obj) == 2:
        f, z = obj
        return np.asarray(f, float), np.asarray(z, complex), None, None
    f = np.asarray(obj.freq_Hz, float)
    z = np.asarray(obj.Z, complex)
    zf = np.asarray(obj.Z_fit, complex) if getattr(obj, "Z_fit", None) is not None else None
    model = None
    if hasattr(obj, "predict"):
        model = obj.predict
    return f, z, zf, model


def ohm_scale(z) -> tuple[float, str]:
    """The display unit of impedances ``z``: ``(divisor, "kΩ")`` with the largest |z| at least 3 units."""
    m = float(np.nanmax(np.abs(z))) if len(z) else 1.0
    for k, unit in ((1e9, "GΩ"), (1e6, "MΩ"), (1e3, "kΩ"), (1.0, "Ω"), (1e-3, "mΩ")):
        if m >= 3 * k:
            return k, unit
    return 1e-3, "mΩ"


def equal_square(ax, xs, ys) -> float:
    """Square axes with equal scales (one unit on Z′ is as long as on −Z″), starting at 0 (or below it when
    data go negative) instead of matplotlib's symmetric "datalim" padding that invents negative Z′.
    Returns the common span (data units)."""
    xs = np.asarray(xs, float)[np.isfinite(xs)]
    ys = np.asarray(ys, float)[np.isfinite(ys)]
    x0 = min(0.0, float(xs.min())) if xs.size else 0.0
    y0 = min(0.0, float(ys.min())) if ys.size else 0.0
    span = max(float(xs.max()) - x0 if xs.size else 1.0, float(ys.max()) - y0 if ys.size else 1.0)
    span = 1.05 * span if span > 0 else 1.0
    ax.set_box_aspect(1)
    ax.set_xlim(x0, x0 + span)
    ax.set_ylim(y0, y0 + span)
    ax.set_aspect("equal", adjustable="box")
    return span


def _decades(ax, f, z, k, span) -> None:
    """Filled squares at the data point nearest each frequency decade; a label only when it does not crowd an
    already labelled one (decades bunch up on a compressed arc), up and to the right of its point — up and to
    the left near the right edge, so it stays inside the frame."""
    labelled = []
    x0, x1 = ax.get_xlim()
    for dec in range(math.ceil(math.log10(f.min())), math.floor(math.log10(f.max())) + 1):
        i = int(np.argmin(np.abs(np.log10(f) - dec)))
        if abs(math.log10(f[i]) - dec) >= 0.15:
            continue
        x, y = z.real[i] / k, -z.imag[i] / k
        ax.plot(x, y, "s", ms=3.5, color="k", zorder=6)       # above the labels’ white boxes
        if any(math.hypot(x - a, y - b) <= 0.07 * span for a, b in labelled):
            continue
        right = x < x0 + 0.8 * (x1 - x0)
        ax.annotate(f"$10^{{{dec}}}$ Hz", (x, y), textcoords="offset points", xytext=(4 if right else -4, 4),
                    fontsize=6.5, ha="left" if right else "right", va="bottom", zorder=5,
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.75))
        labelled.append((x, y))


def nyquist(obj, title: str | None = None, decade_markers: bool = True):
    """Nyquist plot: Z′ right, −Z″ up, equal axes; data points, fit line (dense), labelled frequency decades."""
    f, z, zf, model = _unpack(obj)
    k, unit = ohm_scale(z)
    with style():
        fig, ax = new_figure(3.5, 3.2)
        ax.plot(z.real / k, -z.imag / k, "o", ms=3, mfc="none", label="data")
        if getattr(obj, "lf_loop_excluded", False) and np.size(getattr(obj, "lf_loop_Z", ())):
            zl = np.asarray(obj.lf_loop_Z, complex)  # low-frequency inductive loop, left out of the fit
            ax.plot(zl.real / k, -zl.imag / k, "x", ms=3, color="0.5", label="excluded (inductive loop)")
        if model is not None:
            fd = np.logspace(math.log10(f.min()), math.log10(f.max()), 400)
            zd = model(fd)
            ax.plot(zd.real / k, -zd.imag / k, "-", lw=1.2, label="fit")
        elif zf is not None:
            ax.plot(zf.real / k, -zf.imag / k, "-", lw=1.2, label="fit")
        zall = z
        if getattr(obj, "lf_loop_excluded", False) and getattr(obj, "lf_loop_Z", None) is not None:
            zall = np.concatenate([z, np.asarray(obj.lf_loop_Z, complex).ravel()])   # keep the loop in view
        span = equal_square(ax, zall.real / k, -zall.imag / k)
        if decade_markers:
            _decades(ax, f, z, k, span)
        ax.set_xlabel(f"Z′ ({unit})")
        ax.set_ylabel(f"−Z″ ({unit})")
        if title:
            ax.set_title(title)
        ax.legend(loc="upper left")   # the spectrum runs from the origin to the right / upper right
    return fig


def bode(obj, title: str | None = None):
    """Bode plot: |Z| (log) and phase of −Z (degrees) against frequency, data and fit."""
    f, z, zf, model = _unpack(obj)
    with style():
        fig, (a1, a2) = new_figure(3.5, 4.0, nrows=2, sharex=True)
        a1.loglog(f, np.abs(z), "o", ms=3, mfc="none", label="data")
        a2.semilogx(f, -np.angle(z, deg=True), "o", ms=3, mfc="none")
        if model is not None or zf is not None:
            fd = np.logspace(math.log10(f.min()), math.log10(f.max()), 400) if model is not None else f
            zd = model(fd) if model is not None else zf
            a1.loglog(fd, np.abs(zd), "-", label="fit")
            a2.semilogx(fd, -np.angle(zd, deg=True), "-")
        a1.set_ylabel("|Z| (Ω)")
        tidy_log_axis(a1.yaxis)
        a2.set_ylabel("−phase (°)")
        a2.set_xlabel("frequency (Hz)")
        a1.legend(loc="best")
        if title:
            a1.set_title(title)
    return fig


def residuals(obj, title: str | None = None):
    """Relative residuals (Z − Ẑ)/|Z| of the real and imaginary parts, in %, against frequency."""
    f = np.asarray(obj.freq_Hz, float)
    if hasattr(obj, "residuals_real"):
        rr, ri = np.asarray(obj.residuals_real), np.asarray(obj.residuals_imag)
    else:
        res = np.asarray(obj.residuals, complex)
        rr, ri = res.real, res.imag
    with style():
        fig, ax = new_figure(3.5, 2.2)
        ax.semilogx(f, 100 * rr, "o-", ms=3, lw=0.6, label="Δ′")
        ax.semilogx(f, 100 * ri, "s-", ms=3, lw=0.6, label="Δ″")
        ax.axhline(0, color="0.5", lw=0.6)
        thr = getattr(obj, "threshold", None)
        if thr:
            for s in (-1, 1):
                ax.axhline(100 * s * thr, color="0.6", lw=0.6, ls="--")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("residual (%)")
        ax.legend(loc="best", ncol=2)
        if title:
            ax.set_title(title)
    return fig


def fit_overview(obj, title: str | None = None):
    """Nyquist, Bode |Z|, phase and residuals of one fit on a single 7 × 5 in figure."""
    f, z, zf, model = _unpack(obj)
    k, unit = ohm_scale(z)
    fd = np.logspace(math.log10(f.min()), math.log10(f.max()), 400)
    zd = model(fd) if model is not None else None
    with style():
        fig, axs = new_figure(7.0, 5.0, nrows=2, ncols=2)
        a = axs[0, 0]
        a.plot(z.real / k, -z.imag / k, "o", ms=3, mfc="none", label="data")
        if zd is not None:
            a.plot(zd.real / k, -zd.imag / k, "-", label="fit")
        equal_square(a, z.real / k, -z.imag / k)
        a.set_xlabel(f"Z′ ({unit})")
        a.set_ylabel(f"−Z″ ({unit})")
        a.legend(loc="upper left")
        a = axs[0, 1]
        a.loglog(f, np.abs(z) / k, "o", ms=3, mfc="none")
        if zd is not None:
            a.loglog(fd, np.abs(zd) / k, "-")
        a.set_xlabel("frequency (Hz)")
        a.set_ylabel(f"|Z| ({unit})")
        tidy_log_axis(a.yaxis)
        a = axs[1, 0]
        a.semilogx(f, -np.angle(z, deg=True), "o", ms=3, mfc="none")
        if zd is not None:
            a.semilogx(fd, -np.angle(zd, deg=True), "-")
        a.set_xlabel("frequency (Hz)")
        a.set_ylabel("−phase (°)")
        a = axs[1, 1]
        res = np.asarray(getattr(obj, "residuals", np.zeros_like(z)), complex)
        a.semilogx(f, 100 * res.real, "o-", ms=3, lw=0.6, label="Δ′")
        a.semilogx(f, 100 * res.imag, "s-", ms=3, lw=0.6, label="Δ″")
        a.axhline(0, color="0.5", lw=0.6)
        a.set_xlabel("frequency (Hz)")
        a.set_ylabel("residual (%)")
        a.legend(loc="best", ncol=2)
        if title:
            fig.suptitle(title, y=0.98)
        # (tight_layout costs seconds with log-axis tick labels)
        fig.subplots_adjust(wspace=0.35, hspace=0.35, top=0.92)
    return fig


def profile(pr, title: str | None = None):
    """Profile likelihood of one parameter (a :class:`~sselab.eis.result.ProfileResult`): Δχ² in noise units against
    the parameter (log axis for positive parameters), the threshold of the interval's level, the interval, and the
    best fit with its Jacobian ±1.96σ for comparison."""
    from .result import pretty_unit

    v = np.asarray(pr.values, float)
    d = np.asarray(pr.delta_chi2, float)
    with style():
        fig, ax = new_figure(3.5, 2.6)
        ax.plot(v, d, "o-", ms=3, lw=1.0, label="profile")
        ax.axhline(pr.threshold, color="0.5", lw=0.8, ls="--", label=f"{100 * pr.level:g} % threshold")
        for edge, is_open in ((pr.lower, pr.lower_open), (pr.upper, pr.upper_open)):
            if not is_open and math.isfinite(edge):
                ax.axvline(edge, color="C3", lw=0.8)
        if math.isfinite(pr.stderr):
            lo, hi = pr.value - 1.96 * pr.stderr, pr.value + 1.96 * pr.stderr
            ax.errorbar([pr.value], [0.0], xerr=[[pr.value - max(lo, v.min())], [hi - pr.value]], fmt="s",
                        color="k", ms=3, capsize=2, label="fit ± 1.96σ (Jacobian)")
        if np.all(v > 0) and v.max() / v.min() > 3:
            ax.set_xscale("log")
        ax.set_ylim(0, max(2.5 * pr.threshold, 1.0))
        unit = pretty_unit(pr.unit)
        ax.set_xlabel(f"{pr.name}" + (f" ({unit})" if unit else ""))
        ax.set_ylabel("Δχ² (noise units)")
        ax.legend(loc="upper center", fontsize=6.5)
        if title:
            ax.set_title(title)
    return fig
