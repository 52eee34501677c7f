"""Interactive Plotly figures for the app's pages: raw data per technique, the impedance fit (Nyquist, Bode,
residuals), parameters against temperature or time, and the Arrhenius plot.  They draw what the recipes computed
(``RecipeResult.figures``) or the file's raw columns; they decide nothing.  Impedance keeps its sign inside;
the plots show −Z″."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["nyquist", "bode", "residuals", "raw_figures", "param_plot", "arrhenius_plot", "empty"]

_FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=12)
_DATA = "#333333"
_FIT = "#d62728"
_MASKED = "#bbbbbb"


def _layout(fig, **kw):
    fig.update_layout(template="simple_white", font=_FONT, margin=dict(l=60, r=15, t=35, b=50),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=10)), **kw)
    return fig


def empty(text: str = ""):
    import plotly.graph_objects as go

    fig = go.Figure()
    _layout(fig, height=260)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    if text:
        fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def _ohm_scale(zmax: float) -> tuple[float, str]:
    return (1e-6, "MΩ") if zmax >= 2e6 else ((1e-3, "kΩ") if zmax >= 2e3 else (1.0, "Ω"))


def nyquist(f, z, mask=(), fig_data: dict | None = None, window=(None, None), title: str = ""):
    """Every measured point (``customdata`` = its index in the file's spectrum, what a click or lasso masks):
    used points dark, masked ones grey crosses, points outside the frequency window pale; the fit as a line.
    Equal axes."""
    import plotly.graph_objects as go

    f = np.asarray(f, float)
    z = np.asarray(z, complex)
    idx = np.arange(f.size)
    masked = np.zeros(f.size, bool)
    for i in mask or ():
        if 0 <= int(i) < f.size:
            masked[int(i)] = True
    lo, hi = window
    inwin = np.isfinite(f) & (f > 0)
    if lo is not None:
        inwin &= f >= lo
    if hi is not None:
        inwin &= f <= hi
    k, unit = _ohm_scale(float(np.nanmax(np.abs(z))) if z.size else 1.0)
    fig = go.Figure()
    hover = "#%{customdata}<br>f = %{text} Hz<br>Z′ = %{x:.4g}<br>−Z″ = %{y:.4g}<extra></extra>"
    ftxt = [f"{x:.4g}" for x in f]
    used = ~masked
    fig.add_trace(go.Scatter(
        x=(z.real * k).tolist(), y=(-z.imag * k).tolist(), mode="markers", name="data", customdata=idx.tolist(),
        text=ftxt,
        hovertemplate=hover,
        marker=dict(size=[7 if u else 9 for u in used],
                    color=[(_DATA if w else "#9ecae1") if u else _MASKED for u, w in zip(used, inwin)],
                    symbol=["circle-open" if u else "x" for u in used], line=dict(width=1.5))))
    if fig_data:
        xr = np.asarray(fig_data["fit_real_ohm"], float) * k
        yr = -np.asarray(fig_data["fit_imag_ohm"], float) * k
        fig.add_trace(go.Scatter(x=xr, y=yr, mode="lines", name=f"fit {fig_data.get('circuit', '')}",
                                 line=dict(color=_FIT, width=2), hoverinfo="skip"))
    if masked.any():
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"masked ({int(masked.sum())})",
                                 marker=dict(color=_MASKED, symbol="x", size=9)))
    _layout(fig, height=420, dragmode="lasso", clickmode="event", uirevision="nyquist")
    fig.update_xaxes(title=f"Z′ ({unit})", zeroline=True)
    fig.update_yaxes(title=f"−Z″ ({unit})", scaleanchor="x", scaleratio=1, zeroline=True)
    return fig


def bode(f, z, mask=(), fig_data: dict | None = None):
    """|Z| and −phase against frequency (log axes), data and fit."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    f = np.asarray(f, float)
    z = np.asarray(z, complex)
    masked = np.zeros(f.size, bool)
    for i in mask or ():
        if 0 <= int(i) < f.size:
            masked[int(i)] = True
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    for sel, name, color, sym in ((~masked, "data", _DATA, "circle-open"), (masked, "masked", _MASKED, "x")):
        if not sel.any():
            continue
        fig.add_trace(go.Scatter(x=f[sel], y=np.abs(z[sel]), mode="markers", name=name,
                                 marker=dict(color=color, symbol=sym, size=6), legendgroup=name), 1, 1)
        fig.add_trace(go.Scatter(x=f[sel], y=-np.degrees(np.angle(z[sel])), mode="markers", name=name,
                                 marker=dict(color=color, symbol=sym, size=6), showlegend=False,
                                 legendgroup=name), 2, 1)
    if fig_data:
        ff = np.asarray(fig_data["fit_freq_Hz"], float)
        zf = np.asarray(fig_data["fit_real_ohm"], float) + 1j * np.asarray(fig_data["fit_imag_ohm"], float)
        fig.add_trace(go.Scatter(x=ff, y=np.abs(zf), mode="lines", name="fit", line=dict(color=_FIT)), 1, 1)
        fig.add_trace(go.Scatter(x=ff, y=-np.degrees(np.angle(zf)), mode="lines", name="fit", showlegend=False,
                                 line=dict(color=_FIT)), 2, 1)
    _layout(fig, height=420, uirevision="bode")
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="log", title="frequency (Hz)", row=2, col=1)
    fig.update_yaxes(type="log", title="|Z| (Ω)", row=1, col=1)
    fig.update_yaxes(title="−phase (°)", row=2, col=1)
    return fig


def residuals(fig_data: dict | None):
    """Relative residuals (Z − Z_fit)/|Z| of the fitted points, real and imaginary parts, in %."""
    import plotly.graph_objects as go

    if not fig_data:
        return empty("no fit")
    f = np.asarray(fig_data["freq_Hz"], float)
    rr = np.asarray(fig_data["residual_real"], float) * 100
    ri = np.asarray(fig_data["residual_imag"], float) * 100
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=f, y=rr, mode="lines+markers", name="Δ real", marker=dict(size=5)))
    fig.add_trace(go.Scatter(x=f, y=ri, mode="lines+markers", name="Δ imaginary", marker=dict(size=5)))
    fig.add_hline(y=0, line=dict(color="#999", width=1))
    _layout(fig, height=260, uirevision="resid")
    fig.update_xaxes(type="log", title="frequency (Hz)")
    fig.update_yaxes(title="residual (% of |Z|)")
    return fig


def raw_figures(m) -> list:
    """The raw data of a measurement, one or two figures per technique."""
    import plotly.graph_objects as go

    d = m.data
    out = []

    def col(name):
        return d[name].to_numpy(dtype=float) if name in d.columns else None

    t, V, I = col("time_s"), col("potential_V"), col("current_A")
    if m.is_eis:
        sp = m.spectra()
        fig = go.Figure()
        zmax = max(float(np.nanmax(np.abs(z))) for _, z in sp) if sp else 1.0
        kk, unit = _ohm_scale(zmax)
        for k, (f, z) in enumerate(sp[:40]):
            fig.add_trace(go.Scatter(x=z.real * kk, y=-z.imag * kk, mode="markers+lines", name=f"#{k + 1}",
                                     marker=dict(size=5), line=dict(width=0.8)))
        _layout(fig, height=400)
        fig.update_xaxes(title=f"Z′ ({unit})")
        fig.update_yaxes(title=f"−Z″ ({unit})", scaleanchor="x", scaleratio=1)
        out.append(fig)
        fig = go.Figure()
        for k, (f, z) in enumerate(sp[:40]):
            fig.add_trace(go.Scatter(x=f, y=np.abs(z), mode="markers+lines", name=f"#{k + 1}", marker=dict(size=5),
                                     line=dict(width=0.8)))
        _layout(fig, height=400)
        fig.update_xaxes(type="log", title="frequency (Hz)")
        fig.update_yaxes(type="log", title="|Z| (Ω)")
        out.append(fig)
        return out
    if m.technique == "XRD" and "two_theta_deg" in d.columns:
        fig = go.Figure(go.Scattergl(x=col("two_theta_deg"), y=col("intensity"), mode="lines", name="intensity"))
        _layout(fig, height=400)
        fig.update_xaxes(title="2θ (°)")
        fig.update_yaxes(title="intensity")
        return [fig]
    if m.technique == "NMR" and "shift_ppm" in d.columns:
        fig = go.Figure(go.Scattergl(x=col("shift_ppm"), y=col("intensity"), mode="lines", name="intensity"))
        _layout(fig, height=400)
        fig.update_xaxes(title="shift (ppm)", autorange="reversed")
        fig.update_yaxes(title="intensity")
        return [fig]
    if m.technique in ("CV", "LSV") and V is not None and I is not None:
        fig = go.Figure(go.Scattergl(x=V, y=I * 1e3, mode="lines", name="current"))
        _layout(fig, height=400)
        fig.update_xaxes(title="potential (V)")
        fig.update_yaxes(title="current (mA)")
        out.append(fig)
    if t is not None:
        from plotly.subplots import make_subplots

        rows = [(y, lab) for y, lab in ((V, "potential (V)"), (None if I is None else I * 1e3, "current (mA)"))
                if y is not None and np.isfinite(y).any()]
        if rows:
            th = t / 3600.0
            fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.05)
            for r, (y, lab) in enumerate(rows, 1):
                fig.add_trace(go.Scattergl(x=th, y=y, mode="lines", name=lab.split(" ")[0], line=dict(width=1)), r, 1)
                fig.update_yaxes(title=lab, row=r, col=1)
            fig.update_xaxes(title="time (h)", row=len(rows), col=1)
            _layout(fig, height=220 + 180 * len(rows))
            out.append(fig)
    if not out:
        num = [c for c in d.columns if np.issubdtype(d[c].dtype, np.number)][:2]
        if len(num) == 2:
            fig = go.Figure(go.Scattergl(x=d[num[0]], y=d[num[1]], mode="markers", marker=dict(size=3)))
            _layout(fig, height=400)
            fig.update_xaxes(title=num[0])
            fig.update_yaxes(title=num[1])
            out.append(fig)
    return out


def param_plot(points: list[tuple[float | None, dict, dict]], param: str, x_label: str):
    """One fitted parameter against temperature or time: ``points`` = [(x, params, stderr)]."""
    import plotly.graph_objects as go

    xs, ys, es = [], [], []
    for x, p, e in points:
        if x is None or param not in p or p[param] is None:
            continue
        xs.append(x)
        ys.append(p[param])
        es.append(e.get(param) if e and e.get(param) is not None and math.isfinite(e.get(param)) else 0.0)
    if not xs:
        return empty(f"no {param} in the series fits")
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="markers+lines", name=param,
                               error_y=dict(type="data", array=es, visible=True), marker=dict(size=8)))
    positive = all(y > 0 for y in ys)
    _layout(fig, height=330)
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=param, type="log" if positive and not param.endswith("alpha") else "linear")
    return fig


def arrhenius_plot(result):
    """σ against 1000/T with the recipe's fit line and 95 % band (points left out drawn as crosses)."""
    import plotly.graph_objects as go

    if result is None:
        return empty("no Arrhenius series for this file")
    d = result.figures
    T = np.asarray(d.get("T_K") or [], float)
    s = np.asarray([np.nan if v is None else v for v in (d.get("sigma_S_per_m") or [])], float)
    used = np.asarray(d.get("used") or [True] * T.size, bool)
    fig = go.Figure()
    if T.size:
        fig.add_trace(go.Scatter(x=1000 / T[used], y=s[used] * 10, mode="markers", name="σ (files)",
                                 marker=dict(size=9, color=_DATA)))
        if (~used).any():
            fig.add_trace(go.Scatter(x=1000 / T[~used], y=s[~used] * 10, mode="markers", name="left out",
                                     marker=dict(size=9, symbol="x", color=_MASKED)))
    if d.get("T_line_K") is not None:
        Tl = np.asarray(d["T_line_K"], float)
        fig.add_trace(go.Scatter(x=1000 / Tl, y=np.asarray(d["sigma_line_S_per_m"], float) * 10, mode="lines",
                                 name="fit", line=dict(color=_FIT)))
        if d.get("sigma_line_lo_S_per_m") is not None:
            fig.add_trace(go.Scatter(x=np.concatenate([1000 / Tl, (1000 / Tl)[::-1]]),
                                     y=np.concatenate([np.asarray(d["sigma_line_lo_S_per_m"], float),
                                                       np.asarray(d["sigma_line_hi_S_per_m"], float)[::-1]]) * 10,
                                     fill="toself", mode="none", fillcolor="rgba(214,39,40,0.15)", name="95 % band"))
    _layout(fig, height=330)
    fig.update_xaxes(title="1000/T (1/K)")
    fig.update_yaxes(title="σ (mS/cm)", type="log")
    return fig
