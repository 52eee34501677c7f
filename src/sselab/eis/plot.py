"""Figures of impedance data and fits: Nyquist (equal axes, −Z″ up, decade markers), Bode, residuals.

Every function takes a :class:`~sselab.eis.fitting.FitResult` or :class:`~sselab.eis.kk.KKResult` (anything with
``freq_Hz``, ``Z`` and ``Z_fit``) — or ``(freq_Hz, Z)`` for raw data — and returns a matplotlib Figure.
"""
from __future__ import annotations

import math

import numpy as np

from ..plotting import new_figure, style

__all__ = ["nyquist", "bode", "residuals", "fit_overview"]


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


def _scale(z) -> tuple[float, str]:
    m = float(np.nanmax(np.abs(z))) if len(z) else 1.0
    for k, unit in ((1e9, "GΩ"), (1e6, "MΩ"), (1e3, "kΩ"), (1.0, "Ω"), (1e-3, "mΩ")):
        if m >= 3 * k:
            return k, unit
    return 1e-3, "mΩ"


def nyquist(obj, title: str | None = None, decade_markers: bool = True):
    """Nyquist plot: Z′ right, −Z″ up, equal axes; data points, fit line (dense), labelled frequency decades."""
    f, z, zf, model = _unpack(obj)
    k, unit = _scale(z)
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
        if decade_markers:
            for dec in range(math.ceil(math.log10(f.min())), math.floor(math.log10(f.max())) + 1):
                i = int(np.argmin(np.abs(np.log10(f) - dec)))
                if abs(math.log10(f[i]) - dec) < 0.15:
                    ax.plot(z.real[i] / k, -z.imag[i] / k, "s", ms=4, color="k")
                    ax.annotate(f"$10^{{{dec}}}$", (z.real[i] / k, -z.imag[i] / k), textcoords="offset points",
                                xytext=(3, 4), fontsize=6)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel(f"Z′ ({unit})")
        ax.set_ylabel(f"−Z″ ({unit})")
        if title:
            ax.set_title(title)
        ax.legend(loc="best")
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
    k, unit = _scale(z)
    fd = np.logspace(math.log10(f.min()), math.log10(f.max()), 400)
    zd = model(fd) if model is not None else None
    with style():
        fig, axs = new_figure(7.0, 5.0, nrows=2, ncols=2)
        a = axs[0, 0]
        a.plot(z.real / k, -z.imag / k, "o", ms=3, mfc="none")
        if zd is not None:
            a.plot(zd.real / k, -zd.imag / k, "-")
        a.set_aspect("equal", adjustable="datalim")
        a.set_xlabel(f"Z′ ({unit})")
        a.set_ylabel(f"−Z″ ({unit})")
        a = axs[0, 1]
        a.loglog(f, np.abs(z), "o", ms=3, mfc="none")
        if zd is not None:
            a.loglog(fd, np.abs(zd), "-")
        a.set_xlabel("frequency (Hz)")
        a.set_ylabel("|Z| (Ω)")
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
            fig.suptitle(title)
        fig.subplots_adjust(wspace=0.32, hspace=0.32)  # (tight_layout costs seconds with log-axis tick labels)
    return fig
