"""Impedance figures of the recipes: one fitted spectrum (Nyquist with frequency decades, the circuit drawn, Bode,
phase and residuals), overlays of spectra (the imide paper's Fig. 1e, 1g) and a series in time (Fig. 3b–f).

They draw from a recipe result's ``figures`` dictionary (:func:`sselab.recipes.eis._figures`: data, fit line,
residuals, the excluded low-frequency inductive loop), so a result read back from JSON draws the same figure.

Conventions: Nyquist axes show Z′ and −Z″ in one unit with equal scales, both ranges from the data (a loop or a
lead inductance below the real axis stays in view), filled squares at each frequency decade; plots show −Z″.
"""
from __future__ import annotations

import math
import re

import numpy as np

__all__ = ["spectrum_figure", "overlay_figure", "series_figure", "draw_circuit", "parse_circuit", "nyquist_axes"]

#: Nyquist box height / width is kept within these (equal scales: the data limits are widened to match)
_BOX_RATIO = (0.3, 1.0)
#: the smallest spectrum of an overlay gets an enlarged inset when its cell resistance is below this fraction
INSET_FRACTION = 0.2
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _unit(zmax: float) -> tuple[float, str]:
    for k, u in ((1e6, "MΩ"), (1e3, "kΩ"), (1.0, "Ω"), (1e-3, "mΩ")):
        if zmax >= 2 * k:
            return k, u
    return 1e-3, "mΩ"


def _arr(d, key):
    v = d.get(key)
    return np.asarray([], float) if v is None else np.asarray(v, float)


def _data(d):
    """(f, Z data, f fit, Z fit, Z excluded loop, residual re, residual im) of a figures dictionary."""
    f = _arr(d, "freq_Hz")
    z = _arr(d, "z_real_ohm") + 1j * _arr(d, "z_imag_ohm")
    ff = _arr(d, "fit_freq_Hz")
    zf = _arr(d, "fit_real_ohm") + 1j * _arr(d, "fit_imag_ohm") if ff.size else np.asarray([], complex)
    zl = (_arr(d, "lf_loop_real_ohm") + 1j * _arr(d, "lf_loop_imag_ohm")) if d.get("lf_loop_freq_Hz") is not None \
        else np.asarray([], complex)
    fl = _arr(d, "lf_loop_freq_Hz")
    return f, z, ff, zf, fl, zl, _arr(d, "residual_real"), _arr(d, "residual_imag")


def _r_cell(d: dict) -> float | None:
    """Every resistance of the fit summed (the cell's low-frequency intercept), Ω."""
    p = d.get("params") or {}
    vals = [float(v) for n, v in p.items() if re.fullmatch(r"R\d+", str(n))]
    return sum(vals) if vals else None


def view_limit(ds: list[dict]) -> float | None:
    """A blocking electrode's spike runs off to large −Z″: the Nyquist view then ends at 1.6 × the largest cell
    resistance (the arcs in view); None when every spectrum closes on the real axis."""
    rc = [_r_cell(d) for d in ds]
    if not all(rc):
        return None
    far = max(float(np.nanmax(np.abs(_arr(d, "z_real_ohm") + 1j * _arr(d, "z_imag_ohm")))) for d in ds)
    lim = 1.6 * max(rc)
    return lim if far > 2.5 * max(rc) else None


def _extent(zs, k: float, limit=None):
    z = np.concatenate([np.asarray(a, complex).ravel() for a in zs if np.size(a)]) / k
    z = z[np.isfinite(z)]
    if limit is not None:
        inside = (z.real <= limit / k) & (-z.imag <= limit / k)
        z = z[inside] if inside.any() else z
    x0, x1 = float(z.real.min()), float(z.real.max())
    y0, y1 = min(0.0, float((-z.imag).min())), max(0.0, float((-z.imag).max()))
    return x0, x1, y0, y1


def nyquist_ratio(zs, k: float = 1.0, limit=None) -> float:
    """The box height/width the data ask for (within :data:`_BOX_RATIO`)."""
    x0, x1, y0, y1 = _extent(zs, k, limit)
    sx, sy = (x1 - x0) or 1.0, (y1 - y0) or 1e-12
    return min(max(sy / sx, _BOX_RATIO[0]), _BOX_RATIO[1])


def nyquist_axes(ax, zs, k: float, ratio=None, limit=None) -> tuple[float, float]:
    """Equal scales on Z′ and −Z″, both ranges from the data (``zs``: arrays of impedance, Ω; ``k``: the unit;
    ``limit``: the largest Z′ and −Z″ in view, Ω); the real axis always in view, so a loop or a lead inductance below
    it shows.  The box ratio follows the data within :data:`_BOX_RATIO` (or ``ratio``); the shorter range is
    widened.  Returns the spans (x, y) in plotted units."""
    x0, x1, y0, y1 = _extent(zs, k, limit)
    pad = 0.05 * max(x1 - x0, y1 - y0, 1e-12)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - (pad if y0 < 0 else 0.02 * pad), y1 + pad
    sx, sy = x1 - x0, y1 - y0
    r = ratio if ratio is not None else min(max(sy / sx, _BOX_RATIO[0]), _BOX_RATIO[1])
    if sy < r * sx:
        y1 = y0 + r * sx
    else:
        extra = sy / r - sx
        x0, x1 = x0 - extra / 2, x1 + extra / 2
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_box_aspect(r)
    ax.set_aspect("equal", adjustable="box")
    ax.axhline(0.0, color="0.65", lw=0.5, zorder=0)
    return x1 - x0, y1 - y0


def _free_spot(ax, zs, k, size, avoid=None) -> list[float]:
    """Where an inset of ``size`` (axes fraction) covers the fewest data points and not ``avoid`` (a box in axes
    fraction, e.g. the legend's: x0, y0, x1, y1)."""
    w, h = size
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    z = np.concatenate([np.asarray(a, complex).ravel() for a in zs if np.size(a)]) / k
    fx = (z.real - x0) / (x1 - x0)
    fy = (-z.imag - y0) / (y1 - y0)
    best, spot = None, None
    for cx in np.linspace(0.05, 0.97 - w, 7):
        for cy in np.linspace(0.05, 0.97 - h, 5):
            n = int(np.sum((fx > cx - 0.03) & (fx < cx + w + 0.03) & (fy > cy - 0.03) & (fy < cy + h + 0.03)))
            if avoid is not None and not (cx > avoid[2] or cx + w < avoid[0] or cy > avoid[3]
                                          or cy + h + 0.07 < avoid[1]):      # + the inset's title
                n += 10_000
            score = n + 0.1 * cy                                  # ties: lower is better (less over the title)
            if best is None or score < best:
                best, spot = score, [float(cx), float(cy), w, h]
    return spot


def _tidy_bode(ax) -> None:
    """|Z| axis spanning less than a decade: a few plain tick labels instead of crowded minor ones."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

    lo, hi = sorted(ax.get_ylim())
    if lo > 0 and hi / lo < 10:
        ticks = [t for t in MaxNLocator(4).tick_values(lo, hi) if lo <= t <= hi and t > 0]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        from ..plotting import tidy_log_axis

        tidy_log_axis(ax.yaxis)


def _decade_markers(ax, f, z, k, span, color="k", labels=True, fontsize=6.0):
    """Filled squares at the data point nearest each frequency decade (labelled where they do not crowd)."""
    if not f.size:
        return
    done = []
    x0, x1 = ax.get_xlim()
    for dec in range(math.ceil(math.log10(f.min())), math.floor(math.log10(f.max())) + 1):
        i = int(np.argmin(np.abs(np.log10(f) - dec)))
        if abs(math.log10(f[i]) - dec) >= 0.15:
            continue
        x, y = z[i].real / k, -z[i].imag / k
        y_lo, y_hi = ax.get_ylim()
        if not (x0 <= x <= x1 and y_lo <= y <= y_hi):
            continue
        ax.plot(x, y, "s", ms=3.0, color=color, zorder=6, mec="white", mew=0.3)
        if not labels or any(math.hypot(x - a, y - b) <= 0.11 * span for a, b in done):
            continue
        right = x < x0 + 0.8 * (x1 - x0)
        ax.annotate(f"10$^{{{dec}}}$", (x, y), textcoords="offset points", xytext=(3 if right else -3, 3),
                    fontsize=fontsize, ha="left" if right else "right", va="bottom", zorder=5, color=color,
                    bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.7))
        done.append((x, y))


# ---------------------------------------------------------------------------------------------------------------
# the circuit, drawn
# ---------------------------------------------------------------------------------------------------------------

def parse_circuit(text: str):
    """``"R0-p(R1,CPE1)-CPE2"`` → ``("s", [("e", "R0"), ("p", [("e", "R1"), ("e", "CPE1")]), ("e", "CPE2")])``."""
    text = text.replace(" ", "")

    def split(s, sep):
        out, depth, cur = [], 0, ""
        for ch in s:
            depth += ch == "("
            depth -= ch == ")"
            if ch == sep and depth == 0:
                out.append(cur)
                cur = ""
            else:
                cur += ch
        out.append(cur)
        return [x for x in out if x]

    def node(s):
        parts = split(s, "-")
        if len(parts) > 1:
            return ("s", [node(p) for p in parts])
        s = parts[0]
        if s.startswith("p(") and s.endswith(")"):
            return ("p", [node(b) for b in split(s[2:-1], ",")])
        return ("e", s)

    return node(text)


_EL_W = 0.9     # element width
_GAP = 0.35     # wire between elements
_ROW = 0.75     # vertical pitch of parallel branches


def _size(n) -> tuple[float, float]:
    """(width, height) of a node."""
    kind, body = n
    if kind == "e":
        return _EL_W, _ROW
    sizes = [_size(b) for b in body]
    if kind == "s":
        return sum(w for w, _ in sizes) + _GAP * (len(sizes) - 1), max(h for _, h in sizes)
    return max(w for w, _ in sizes) + 2 * _GAP, sum(h for _, h in sizes)


def _element(ax, name: str, x: float, y: float, params: dict | None) -> None:
    kind = re.match(r"[A-Za-z]+", name)
    kind = kind.group(0) if kind else name
    w, h = _EL_W, 0.22
    lw = 0.8
    if kind == "R":
        ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
            (x + 0.15, y - h / 2), w - 0.3, h, fc="white", ec="k", lw=lw, zorder=3))
        ax.plot([x, x + 0.15], [y, y], "k-", lw=lw)
        ax.plot([x + w - 0.15, x + w], [y, y], "k-", lw=lw)
    elif kind in ("CPE", "Q", "C"):
        xm = x + w / 2
        dx = 0.06 if kind == "C" else 0.08
        slant = 0.0 if kind == "C" else 0.06
        ax.plot([x, xm - dx], [y, y], "k-", lw=lw)
        ax.plot([xm + dx, x + w], [y, y], "k-", lw=lw)
        for s in (-1, 1):
            ax.plot([xm + s * dx - slant, xm + s * dx + slant], [y - h / 1.6, y + h / 1.6], "k-", lw=1.1)
    elif kind == "L":
        t = np.linspace(0, 3 * np.pi, 60)
        xs = x + 0.15 + (w - 0.3) * t / (3 * np.pi)
        ax.plot(xs, y + 0.09 * np.abs(np.sin(t)), "k-", lw=lw)
        ax.plot([x, x + 0.15], [y, y], "k-", lw=lw)
        ax.plot([x + w - 0.15, x + w], [y, y], "k-", lw=lw)
    else:                      # W, G, anything else: a labelled box
        ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
            (x + 0.15, y - h / 2), w - 0.3, h, fc="0.92", ec="k", lw=lw, zorder=3))
        ax.plot([x, x + 0.15], [y, y], "k-", lw=lw)
        ax.plot([x + w - 0.15, x + w], [y, y], "k-", lw=lw)
    label = {"CPE": "Q"}.get(kind, kind) + name[len(kind):].translate(_SUB)
    ax.text(x + w / 2, y + 0.17, label, ha="center", va="bottom", fontsize=6.5, zorder=4)


def _draw(ax, n, x: float, y: float, params) -> float:
    kind, body = n
    w, _ = _size(n)
    if kind == "e":
        _element(ax, body, x, y, params)
        return w
    if kind == "s":
        cx = x
        for i, b in enumerate(body):
            cx += _draw(ax, b, cx, y, params)
            if i < len(body) - 1:
                ax.plot([cx, cx + _GAP], [y, y], "k-", lw=0.8)
                cx += _GAP
        return w
    sizes = [_size(b) for b in body]
    total = sum(h for _, h in sizes)
    top = y + total / 2
    ys = []
    for (bw, bh) in sizes:
        ys.append(top - bh / 2)
        top -= bh
    x_in, x_out = x + _GAP, x + w - _GAP
    ax.plot([x, x_in], [y, y], "k-", lw=0.8)
    ax.plot([x_out, x + w], [y, y], "k-", lw=0.8)
    ax.plot([x_in, x_in], [min(ys), max(ys)], "k-", lw=0.8)
    ax.plot([x_out, x_out], [min(ys), max(ys)], "k-", lw=0.8)
    for b, (bw, _), yb in zip(body, sizes, ys):
        pad = (x_out - x_in - bw) / 2
        ax.plot([x_in, x_in + pad], [yb, yb], "k-", lw=0.8)
        _draw(ax, b, x_in + pad, yb, params)
        ax.plot([x_in + pad + bw, x_out], [yb, yb], "k-", lw=0.8)
    return w


def draw_circuit(ax, circuit: str, params: dict | None = None) -> None:
    """Draw an equivalent circuit (sselab's circuit string) as a schematic into ``ax`` (axis hidden)."""
    n = parse_circuit(circuit)
    w, h = _size(n)
    _draw(ax, n, 0.0, 0.0, params)
    ax.set_xlim(-0.2, w + 0.2)
    ax.set_ylim(-h / 2 - 0.15, h / 2 + 0.25)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")


def _param_text(d: dict, unit_k=None) -> str:
    """Fitted values of the resistors and capacitive elements, compact (R in Ω, Q in F s^(α−1))."""
    from ..fmt import fmt_sig

    p = d.get("params") or {}
    parts = []
    for name, v in p.items():
        if name.startswith("R") and "_" not in name:
            parts.append(f"{name.translate(_SUB)} {fmt_sig(v)} Ω")
        elif name.endswith("_alpha"):
            parts.append(f"α{name.split('_')[0][3:].translate(_SUB)} {v:.2f}")
        elif name.startswith("L") and "_" not in name:
            parts.append(f"{name.translate(_SUB)} {fmt_sig(v)} H")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# one spectrum
# ---------------------------------------------------------------------------------------------------------------

def spectrum_figure(d: dict, title: str | None = None):
    """One fitted spectrum: (a) Nyquist with the fit and frequency decades, the excluded inductive loop as crosses
    (a blocking electrode's spike runs off the view, which ends at 1.6 × the cell resistance); (b) the circuit
    drawn with its fitted values; (c) |Z|, (d) −phase and (e) the relative residuals against frequency.  A flat
    spectrum gets the Nyquist plot across the whole width."""
    import matplotlib.pyplot as plt

    from ..plotting import style

    f, z, ff, zf, fl, zl, rr, ri = _data(d)
    limit = view_limit([d])
    vis = np.concatenate([z, zl])
    if limit is not None:
        vis = vis[(vis.real <= limit) & (-vis.imag <= limit)]
    k, unit = _unit(float(np.nanmax(np.abs(vis))))
    r = nyquist_ratio([z, zl, zf], k, limit)
    wide = r < 0.6
    with style():
        if wide:
            fig = plt.figure(figsize=(7.0, 6.9 * r + 4.3))
            gs = fig.add_gridspec(4, 2, height_ratios=(6.6 * r, 1.25, 1.25, 1.25), wspace=0.3, hspace=0.75)
            a = fig.add_subplot(gs[0, :])
            c = fig.add_subplot(gs[1, 0])
            b1 = fig.add_subplot(gs[1, 1])
            b2 = fig.add_subplot(gs[2, 1], sharex=b1)
            b3 = fig.add_subplot(gs[3, 1], sharex=b1)
            txt_ax = fig.add_subplot(gs[2:4, 0])
            txt_ax.axis("off")
        else:
            fig = plt.figure(figsize=(7.0, 4.6))
            gs = fig.add_gridspec(3, 2, width_ratios=(1.25, 1.0), height_ratios=(1, 1, 0.9), wspace=0.32, hspace=0.55)
            a = fig.add_subplot(gs[0:2, 0])
            c = fig.add_subplot(gs[2, 0])
            b1 = fig.add_subplot(gs[0, 1])
            b2 = fig.add_subplot(gs[1, 1], sharex=b1)
            b3 = fig.add_subplot(gs[2, 1], sharex=b1)
            txt_ax = c
        a.plot(z.real / k, -z.imag / k, "o", ms=2.6, mfc="none", mew=0.7, color="0.15", label="data")
        if zl.size:
            a.plot(zl.real / k, -zl.imag / k, "x", ms=3, mew=0.7, color="0.5",
                   label="inductive loop (not fitted)" if d.get("lf_loop_excluded", True) else "inductive loop")
        if zf.size:
            a.plot(zf.real / k, -zf.imag / k, "-", lw=1.1, color="C3", label="fit")
        sx, sy = nyquist_axes(a, [z, zl, zf], k, limit=limit)
        _decade_markers(a, f, z, k, max(sx, sy))
        a.set_xlabel(f"Z′ ({unit})")
        a.set_ylabel(f"−Z″ ({unit})")
        a.legend(loc="upper left", fontsize=6.5, handletextpad=0.3)
        a.set_title("(a) Nyquist, squares: frequency decades (Hz)" + (" — the electrode spike continues off scale"
                                                                       if limit is not None else ""),
                    fontsize=7.5, loc="left")
        if d.get("circuit"):
            try:
                draw_circuit(c, str(d["circuit"]), d.get("params"))
            except (ValueError, IndexError, KeyError):      # an unusual circuit string: show it as text
                c.axis("off")
                c.text(0.5, 0.5, str(d["circuit"]), ha="center", va="center", fontsize=7, transform=c.transAxes)
            c.set_title("(b) " + str(d["circuit"]), fontsize=7, loc="left")
            txt = _param_text(d)
            if txt:
                if wide:
                    txt_ax.text(0.0, 0.95, txt.replace(", ", "\n", 0), transform=txt_ax.transAxes, fontsize=6.2,
                                va="top", ha="left", wrap=True)
                else:
                    c.text(0.0, -0.12, txt, transform=c.transAxes, fontsize=5.8, va="top", ha="left", wrap=True)
        else:
            c.axis("off")
        b1.loglog(f, np.abs(z) / k, "o", ms=2.2, mfc="none", mew=0.6, color="0.15")
        if fl.size:
            b1.loglog(fl, np.abs(zl) / k, "x", ms=2.5, color="0.5")
        if zf.size:
            b1.loglog(ff, np.abs(zf) / k, "-", lw=1.0, color="C3")
        b1.set_ylabel(f"|Z| ({unit})")
        _tidy_bode(b1)
        b1.set_title("(c) Bode", fontsize=7.5, loc="left")
        b2.semilogx(f, -np.angle(z, deg=True), "o", ms=2.2, mfc="none", mew=0.6, color="0.15")
        if fl.size:
            b2.semilogx(fl, -np.angle(zl, deg=True), "x", ms=2.5, color="0.5")
        if zf.size:
            b2.semilogx(ff, -np.angle(zf, deg=True), "-", lw=1.0, color="C3")
        b2.axhline(0.0, color="0.7", lw=0.5)
        b2.set_ylabel("−phase (°)")
        b2.set_title("(d) phase", fontsize=7.5, loc="left")
        if rr.size == f.size:
            b3.semilogx(f, 100 * rr, "o-", ms=2, lw=0.5, label="Δ′")
            b3.semilogx(f, 100 * ri, "s-", ms=2, lw=0.5, label="Δ″")
            b3.legend(loc="best", fontsize=6, ncol=2, handletextpad=0.2)
        b3.axhline(0.0, color="0.5", lw=0.5)
        b3.set_xlabel("frequency (Hz)")
        b3.set_ylabel("residual (%)")
        b3.set_title("(e) residuals (Z − Ẑ)/|Z|", fontsize=7.5, loc="left")
        for ax in (b1, b2):
            plt.setp(ax.get_xticklabels(), visible=False)
        if title:
            fig.suptitle(title, fontsize=8.5, y=0.995)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# overlays (Fig. 1e, 1g)
# ---------------------------------------------------------------------------------------------------------------

def overlay_figure(curves: list[tuple[str, dict]], title: str | None = None, *, area_m2=None, inset: bool = True):
    """Several fitted spectra (``[(label, figures dict), …]``) overlaid: (a) Nyquist with the fits and decade
    markers (equal scales; blocking spikes run off a view ending at 1.6 × the largest cell resistance; an inset
    enlarges the smallest spectrum when it is < 1/5 of the largest), (b) |Z| and (c) −phase against frequency.
    ``area_m2``: plot Z·A (Ω cm²) instead of Z."""
    import matplotlib.pyplot as plt

    from ..plotting import style

    data = [(lab, _data(d)) for lab, d in curves]
    scale = area_m2 * 1e4 if area_m2 else 1.0
    limit = view_limit([d for _, d in curves])
    lim_s = limit * scale if limit is not None else None
    zs = [np.concatenate([dd[1], dd[5], dd[3]]) * scale for _, dd in data]
    vis = np.concatenate(zs)
    if lim_s is not None:
        vis = vis[(vis.real <= lim_s) & (-vis.imag <= lim_s)]
    k, unit = _unit(float(np.nanmax(np.abs(vis))))
    unit = unit + " cm²" if area_m2 else unit
    colors = [f"C{i}" for i in (0, 3, 2, 1, 4, 5, 6)]
    r = nyquist_ratio(zs, k, lim_s)
    wide = r < 0.6
    with style():
        if wide:
            fig = plt.figure(figsize=(7.0, 6.8 * r + 2.6))
            gs = fig.add_gridspec(2, 2, height_ratios=(6.6 * r, 1.9), wspace=0.3, hspace=0.35)
            a = fig.add_subplot(gs[0, :])
            b1 = fig.add_subplot(gs[1, 0])
            b2 = fig.add_subplot(gs[1, 1], sharex=b1)
        else:
            fig = plt.figure(figsize=(7.0, 3.6))
            gs = fig.add_gridspec(2, 2, width_ratios=(1.35, 1.0), wspace=0.3, hspace=0.4)
            a = fig.add_subplot(gs[:, 0])
            b1 = fig.add_subplot(gs[0, 1])
            b2 = fig.add_subplot(gs[1, 1], sharex=b1)
        for (lab, (f, z, ff, zf, fl, zl, _, _)), col in zip(data, colors):
            a.plot(z.real * scale / k, -z.imag * scale / k, "o", ms=2.4, mfc="none", mew=0.6, color=col, label=lab)
            if zl.size:
                a.plot(zl.real * scale / k, -zl.imag * scale / k, "x", ms=2.6, mew=0.6, color=col, alpha=0.6)
            if zf.size:
                a.plot(zf.real * scale / k, -zf.imag * scale / k, "-", lw=0.9, color=col)
        sx, sy = nyquist_axes(a, zs, k, limit=lim_s)
        for (lab, (f, z, *_)), col in zip(data, colors):
            _decade_markers(a, f, z * scale, k, max(sx, sy), color=col, labels=col == colors[0])
        a.set_xlabel(f"Z′ ({unit})")
        a.set_ylabel(f"−Z″ ({unit})")
        leg = a.legend(loc="upper left", fontsize=6.5, handletextpad=0.3)
        a.set_title("(a) Nyquist" + (" (the electrode spikes continue off scale)" if limit is not None else ""),
                    fontsize=7.5, loc="left")
        rc = [(_r_cell(d) or float(np.nanmax(np.abs(_arr(d, "z_real_ohm"))))) * scale for _, d in curves]
        small = int(np.argmin(rc))
        if inset and len(data) > 1 and rc[small] < INSET_FRACTION * max(rc):
            try:
                bb = leg.get_window_extent(fig.canvas.get_renderer()).transformed(a.transAxes.inverted())
                avoid = (bb.x0, bb.y0, bb.x1, bb.y1)
            except Exception:                 # no renderer: keep clear of the upper-left corner
                avoid = (0.0, 0.7, 0.6, 1.0)
            ins = a.inset_axes(_free_spot(a, zs, k, (0.36, 0.45), avoid))
            lab, (f, z, ff, zf, fl, zl, _, _) = data[small]
            col = colors[small]
            lim_i = 1.6 * rc[small] if lim_s is not None else None
            ki, ui = _unit(rc[small])
            ins.plot(z.real * scale / ki, -z.imag * scale / ki, "o", ms=1.8, mfc="none", mew=0.5, color=col)
            if zl.size:
                ins.plot(zl.real * scale / ki, -zl.imag * scale / ki, "x", ms=2, mew=0.5, color=col, alpha=0.6)
            if zf.size:
                ins.plot(zf.real * scale / ki, -zf.imag * scale / ki, "-", lw=0.8, color=col)
            sxi, syi = nyquist_axes(ins, [z * scale, zl * scale, zf * scale], ki, limit=lim_i)
            _decade_markers(ins, f, z * scale, ki, max(sxi, syi), color=col, fontsize=5)
            ins.tick_params(labelsize=5.5, pad=1)
            ins.set_title(f"{lab} ({ui + (' cm²' if area_m2 else '')})", fontsize=5.5, pad=1.5)
        for (lab, (f, z, ff, zf, fl, zl, _, _)), col in zip(data, colors):
            b1.loglog(f, np.abs(z) * scale, "o", ms=1.8, mfc="none", mew=0.5, color=col)
            b2.semilogx(f, -np.angle(z, deg=True), "o", ms=1.8, mfc="none", mew=0.5, color=col)
            if zf.size:
                b1.loglog(ff, np.abs(zf) * scale, "-", lw=0.8, color=col)
                b2.semilogx(ff, -np.angle(zf, deg=True), "-", lw=0.8, color=col)
        b1.set_ylabel(f"|Z| ({'Ω cm²' if area_m2 else 'Ω'})")
        _tidy_bode(b1)
        b1.set_title("(b) |Z|", fontsize=7.5, loc="left")
        b2.set_title("(c) −phase", fontsize=7.5, loc="left")
        b2.axhline(0.0, color="0.7", lw=0.5)
        b2.set_ylabel("−phase (°)")
        b2.set_xlabel("frequency (Hz)")
        if wide:
            b1.set_xlabel("frequency (Hz)")
        else:
            plt.setp(b1.get_xticklabels(), visible=False)
        if title:
            fig.suptitle(title, fontsize=8.5, y=1.0)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# a series in time (Fig. 3b–f)
# ---------------------------------------------------------------------------------------------------------------

def series_figure(spectra: list[dict], labels: list[str], t_s, sigma_S_per_m, asr_ohm_m2, r_cell_ohm,
                  title: str | None = None, panel_letters: str | None = None, max_panels: int = 6):
    """One Nyquist panel per spectrum (each its own scale, the fit, decades, the inductive loop), then σ, ASR and
    the cell resistance against time (log scale).  ``panel_letters``: letters of the Nyquist panels (``"bcdef"``)."""
    import matplotlib.pyplot as plt

    from ..plotting import style

    n = len(spectra)
    pick = list(range(n)) if n <= max_panels else sorted({int(round(i)) for i in np.linspace(0, n - 1, max_panels)})
    letters = panel_letters if panel_letters and len(panel_letters) >= len(pick) else "abcdefghijklmnop"[:len(pick)]
    ncol = 3
    nrow = math.ceil((len(pick) + 1) / ncol)
    t = np.asarray(t_s, float)
    with style():
        fig = plt.figure(figsize=(7.0, 2.35 * nrow + 0.2))
        gs = fig.add_gridspec(nrow, ncol, wspace=0.38, hspace=0.55)
        for p, i in enumerate(pick):
            ax = fig.add_subplot(gs[p // ncol, p % ncol])
            f, z, ff, zf, fl, zl, _, _ = _data(spectra[i])
            k, unit = _unit(float(np.nanmax(np.abs(np.concatenate([z, zl])))))
            ax.plot(z.real / k, -z.imag / k, "o", ms=2.0, mfc="none", mew=0.5, color="0.15")
            if zl.size:
                ax.plot(zl.real / k, -zl.imag / k, "x", ms=2.4, mew=0.5, color="0.5")
            if zf.size:
                ax.plot(zf.real / k, -zf.imag / k, "-", lw=0.9, color="C3")
            sx, sy = nyquist_axes(ax, [z, zl, zf], k, ratio=0.8, limit=view_limit([spectra[i]]))
            _decade_markers(ax, f, z, k, max(sx, sy), fontsize=5)
            ax.set_xlabel(f"Z′ ({unit})", fontsize=7)
            ax.set_ylabel(f"−Z″ ({unit})", fontsize=7)
            ax.tick_params(labelsize=6.5)
            ax.set_title(f"({letters[p]}) {labels[i]}", fontsize=7, loc="left")
        ax = fig.add_subplot(gs[(len(pick)) // ncol, len(pick) % ncol])
        days = (t - t[0]) / 86400.0
        sig = np.array([np.nan if v is None else v for v in sigma_S_per_m], float) * 10.0      # mS/cm
        asr = np.array([np.nan if v is None else v for v in asr_ohm_m2], float) * 1e4        # Ω cm²
        rc = np.array([np.nan if v is None else v for v in r_cell_ohm], float)
        l1 = ax.semilogy(days, sig, "o-", ms=3, lw=0.8, color="C0", label="σ (mS/cm)")
        l2 = ax.semilogy(days, rc, "s--", ms=3, lw=0.8, color="0.35", label="R cell (Ω)")
        ok = np.isfinite(asr) & (asr > 0)
        l3 = ax.semilogy(days[ok], asr[ok], "^-", ms=3, lw=0.8, color="C3", label="ASR (Ω cm²)") if ok.any() else []
        ax.set_xlabel("time since the first spectrum (days)", fontsize=7)
        ax.set_ylabel("σ, R, ASR", fontsize=7)
        ax.tick_params(labelsize=6.5)
        ax.legend(handles=[*l1, *l2, *l3], fontsize=5.5, loc="best", handletextpad=0.3)
        ax.set_title("σ, cell resistance and ASR against time", fontsize=7, loc="left")
        if title:
            fig.suptitle(title, fontsize=8.5, y=1.0)
    return fig
