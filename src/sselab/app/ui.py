"""The app's pages and callbacks (Dash).  Pages: the folder (``/``), a measurement (``/file?f=REL``: raw data per
technique, then the impedance fitting or the recipe's settings and results).  Every analysis is a recipe call made
through :class:`~sselab.app.workspace.Workspace`; what the user typed is parsed here into recipe options and
nothing else.  A callback never lets an exception reach the browser: a user error is one line in the page
(``#msg``), an internal error one line too (its traceback goes to the terminal), and the app keeps running.
"""
from __future__ import annotations

import base64
import functools
import io
import logging
import math
import threading
from pathlib import Path
from urllib.parse import parse_qs, quote

from ..errors import SselabError
from ..recipes import get
from ..recipes.routing import one_line
from . import figures as F
from .workspace import Workspace, recipe_options

log = logging.getLogger("sselab.app")

__all__ = ["create_app"]

_PLOT_LOCK = threading.Lock()     # matplotlib is not thread-safe; the recipe figures are drawn one at a time
_MAX_MSG = 400

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }
.top { background: #1f3b57; color: white; padding: 8px 18px; display: flex; gap: 18px; align-items: baseline; }
.top a { color: white; text-decoration: none; font-weight: bold; font-size: 18px; }
.top .where { font-size: 12px; opacity: 0.8; }
.page { padding: 10px 18px 40px 18px; }
.msg { min-height: 22px; margin: 6px 0; font-size: 14px; }
.msg .err { color: #b00020; font-weight: bold; }
.msg .ok { color: #1b5e20; }
table.files, table.vals, table.params, table.plain { border-collapse: collapse; font-size: 13px; background: white; }
table.files td, table.files th, table.vals td, table.vals th, table.params td, table.params th,
table.plain td, table.plain th { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left;
  vertical-align: top; }
tr.st-error td.status { color: #b00020; font-weight: bold; }
tr.st-norecipe td.status { color: #8a6d00; }
tr.st-ok td.status { color: #1b5e20; }
td.message { color: #555; max-width: 520px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.grid3 { display: grid; grid-template-columns: 1.1fr 1fr 0.9fr; gap: 10px; }
.card { background: white; border: 1px solid #ddd; border-radius: 4px; padding: 8px 10px; margin: 8px 0; }
.card h3 { margin: 2px 0 8px 0; font-size: 15px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; font-size: 13px; }
.controls input[type=text] { font-family: monospace; }
.controls .dash-input-container { display: inline-flex; width: auto; flex: 0 0 auto; }
.dash-input-container.circuit { width: 380px; }
.dash-input-container.num { width: 110px; }
.dash-input-container.opt { width: 280px; }
.dash-input-container input { font-family: monospace; font-size: 13px; }
table.params .dash-input-container { width: 125px; }
table.params td { padding: 1px 6px; }
button { background: #1f3b57; color: white; border: none; border-radius: 3px; padding: 5px 12px; cursor: pointer;
  font-size: 13px; }
button.secondary { background: #e0e0e0; color: #222; }
ul.flags { margin: 4px 0; padding-left: 18px; font-size: 13px; }
ul.flags li.error { color: #b00020; font-weight: bold; }
ul.flags li.warning { color: #9a5b00; }
ul.flags li.info { color: #555; }
.upload { border: 1px dashed #999; border-radius: 4px; padding: 10px; text-align: center; width: 420px;
  background: white; font-size: 13px; margin: 8px 0; cursor: pointer; }
.small { font-size: 12px; color: #555; }
.ea { font-size: 16px; font-weight: bold; margin: 6px 0; }
img.recipe-fig { max-width: 100%; border: 1px solid #eee; margin: 4px; }
.scroll { overflow-x: auto; max-width: 100%; margin: 4px 0; }
</style></head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body></html>"""


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------

def _line(exc: BaseException) -> str:
    msg = one_line(exc)
    return msg if len(msg) <= _MAX_MSG else msg[:_MAX_MSG - 1] + "…"


def _err(text: str):
    from dash import html

    return html.Span(text, className="err", **{"data-kind": "error"})


def _ok(text: str):
    from dash import html

    return html.Span(text, className="ok", **{"data-kind": "ok"})


def guarded(n_out: int, msg_index: int | None):
    """Wrap a callback: a :class:`SselabError` (or any other exception) becomes one line in the message output
    (position ``msg_index``) with every other output left as it is; nothing reaches the browser as an error."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kw):
            from dash import no_update
            from dash.exceptions import PreventUpdate

            try:
                return fn(*args, **kw)
            except PreventUpdate:
                raise
            except SselabError as exc:
                text = _err(_line(exc))
            except Exception as exc:          # a bug: one line in the page, the traceback in the terminal
                log.exception("sselab app: callback %s failed", fn.__name__)
                text = _err(f"internal error (details in the terminal): {_line(exc)}")
            out = [no_update] * n_out
            if msg_index is None:
                log.error("sselab app: %s: %s", fn.__name__, text.children)
                raise PreventUpdate
            out[msg_index] = text
            return tuple(out) if n_out > 1 else out[0]
        return wrapper
    return deco


def _num(text, what: str) -> float | None:
    """A number typed into the page (SI), None when empty."""
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        v = float(text)
    else:
        s = str(text).strip().replace("−", "-")
        if not s:
            return None
        try:
            v = float(s)
        except ValueError:
            raise SselabError(f"{what}: {str(text).strip()!r} is not a number") from None
    if not math.isfinite(v):
        raise SselabError(f"{what}: {text!r} is not a finite number")
    return v


def _fmt(v, digits: int = 6) -> str:
    if v is None:
        return ""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{x:.{digits}g}" if math.isfinite(x) else ""


def _href(rel: str) -> str:
    return "/file?f=" + quote(rel, safe="")


def _flags(res):
    from dash import html

    order = {"error": 0, "warning": 1, "info": 2}
    items = [html.Li(f"{f.severity}: {f}", className=f.severity, **{"data-code": f.code})
             for f in sorted(res.flags, key=lambda f: order[f.severity])]
    return html.Ul(items, className="flags") if items else html.Div("no flags", className="small")


def _values(res, skip=()):
    from dash import html

    rows = [html.Tr([html.Td(v.label or v.key), html.Td(v.text(), **{"data-key": v.key, "data-value": repr(v.value)}),
                     html.Td(v.where or "", className="small"), html.Td(v.note or "", className="small")])
            for v in res.values if v.key not in skip]
    return html.Table([html.Tbody(rows)], className="vals")


def _table(t, limit: int = 30):
    from dash import html

    head = html.Tr([html.Th(c) for c in t.columns])
    body = [html.Tr([html.Td(_fmt(c, 4) if isinstance(c, float) else str(c)) for c in r]) for r in t.rows[:limit]]
    more = [html.Div(f"… {len(t.rows) - limit} more rows", className="small")] if len(t.rows) > limit else []
    return html.Div([html.Div(t.title or t.name, className="small"),
                     html.Table([html.Thead(head), html.Tbody(body)], className="plain")] + more)


def _recipe_figures(res) -> list:
    """The recipe's own figures (the report's), as PNG images."""
    from dash import html

    spec = get(res.recipe)
    if spec.plot is None:
        return []
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = []
    with _PLOT_LOCK:
        try:
            figs = spec.plot(res)
        except SselabError as exc:
            return [html.Div(f"figure not drawn: {_line(exc)}", className="small")]
        for fo in figs:
            buf = io.BytesIO()
            fo.figure.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            plt.close(fo.figure)
            out.append(html.Img(src="data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
                                className="recipe-fig", title=fo.title))
    return out


def _graph(fig, id_=None, **kw):
    from dash import dcc

    args = dict(figure=fig, config={"displaylogo": False}, **kw)
    if id_ is not None:
        args["id"] = id_
    return dcc.Graph(**args)


# ---------------------------------------------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------------------------------------------

def folder_page(ws: Workspace):
    from dash import dcc, html

    head = [html.H2(f"{ws.root.name}", style={"margin": "6px 0"}),
            html.Div(f"folder {ws.root}", className="small"),
            html.Div(f"manifest: {ws.manifest_path}" if ws.manifest_path else
                     "no manifest (cells.yaml): files have no cell, resistances only", className="small"),
            html.Div(f"settings kept in: {ws.settings.path}", className="small")]
    if ws.manifest_error:
        head.append(html.Div(_err(ws.manifest_error), className="msg"))
    return html.Div([
        *head,
        html.Div(id="msg", className="msg"),
        dcc.Upload(id="upload", className="upload", children=html.Div(
            ["Open another file: drop it here or ", html.A("choose one"),
             html.Span(" (read into a temporary folder, not saved into yours)", className="small")])),
        html.Div(files_table(ws), id="files"),
    ])


def files_table(ws: Workspace):
    from dash import dcc, html

    head = html.Tr([html.Th(c) for c in ("file", "technique", "cell", "T (°C)", "status", "recipes", "kept",
                                         "message")])
    rows = []
    for r in ws.rows():
        cls = {"ok": "st-ok", "error": "st-error", "no recipe": "st-norecipe"}[r.status]
        rows.append(html.Tr([
            html.Td(dcc.Link(r.rel, href=_href(r.rel))),
            html.Td(r.technique), html.Td(r.cell),
            html.Td("" if r.temperature_C is None else f"{r.temperature_C:.1f}"),
            html.Td(r.status, className="status"), html.Td(r.recipes, className="small"),
            html.Td("✎" if r.kept else "", title="options kept for this file" if r.kept else ""),
            html.Td(r.message, className="message")], className=cls, **{"data-rel": r.rel}))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="files", id="files-table")


def file_page(ws: Workspace, rel: str):
    from dash import dcc, html

    it = ws.item(rel)
    info = [html.Div([dcc.Link("← folder", href="/"), html.Span(f"  {rel}", style={"fontWeight": "bold"})]),
            html.Div(f"technique {it.technique}, format {it.format or '—'}" +
                     (f", {it.temperature_K - 273.15:.1f} °C" if it.temperature_K is not None else ""),
                     className="small")]
    c = it.cell
    if c is not None:
        geo = []
        if c.thickness_m:
            geo.append(f"L = {c.thickness_m * 1e3:.3g} mm")
        if c.area_m2:
            geo.append(f"A = {c.area_m2 * 1e4:.4g} cm²")
        info.append(html.Div(f"cell {c.name}: {'|'.join(c.electrodes)} ({c.kind})" +
                             (", " + ", ".join(geo) if geo else ""), className="small"))
    else:
        info.append(html.Div("no cell (the file is not in a manifest): no geometry", className="small"))
    page = [html.Div(info), html.Div(id="msg", className="msg"), dcc.Store(id="file-rel", data=rel)]
    if not it.ok:
        page[1] = html.Div(_err(it.error), id="msg", className="msg")
        return html.Div(page)
    for w in it.warnings:
        page.append(html.Div(f"reader: {w}", className="small"))
    raw = F.raw_figures(it.measurement)
    if it.measurement.is_eis:
        first, section = eis_section(ws, rel)
        page[1] = html.Div(first, id="msg", className="msg")
        page += section
        page.append(html.Details([html.Summary("raw data"), html.Div([_graph(f) for f in raw], className="grid2")]))
    else:
        page.append(html.Div([html.H3("raw data"), *[_graph(f) for f in raw]], className="card"))
        page += recipe_section(ws, rel)
    return html.Div(page)


# -- impedance ---------------------------------------------------------------------------------------------------

def _param_rows(res, opts: dict):
    from dash import dcc, html

    fixed = dict(opts.get("fixed") or {})
    bounds = dict(opts.get("bounds") or {})
    head = html.Tr([html.Th(c) for c in ("parameter", "value (start / fitted)", "± stderr", "unit", "fixed",
                                         "lower bound", "upper bound", "note")])
    rows = []
    if res is not None:
        t = res.table("parameters")
        for name, value, stderr, unit, note in t.rows:
            lo, hi = (list(bounds.get(name) or (None, None)) + [None, None])[:2]
            rows.append(html.Tr([
                html.Td(name),
                html.Td(dcc.Input(id={"type": "p-value", "name": name}, type="text", value=_fmt(value),
                                  className="p-value", debounce=True)),
                html.Td(_fmt(stderr, 3), className="small"), html.Td(unit, className="small"),
                html.Td(dcc.Checklist(id={"type": "p-fixed", "name": name}, options=[{"label": "", "value": "y"}],
                                      value=["y"] if name in fixed else [], className="p-fixed")),
                html.Td(dcc.Input(id={"type": "p-lo", "name": name}, type="text", value=_fmt(lo), className="p-lo",
                                  debounce=True)),
                html.Td(dcc.Input(id={"type": "p-hi", "name": name}, type="text", value=_fmt(hi), className="p-hi",
                                  debounce=True)),
                html.Td("" if note == "fixed" else note, className="small")], **{"data-param": name}))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="params", id="params")


def _quality(res):
    from dash import html

    if res is None:
        return html.Div("no fit", className="small")
    chi = res.get("chi2_reduced")
    return html.Div([
        html.Div([html.Span("χ²red = "), html.Span(_fmt(chi, 5), id="chi2", **{"data-value": repr(chi)}),
                  html.Span(f"   BIC = {_fmt(res.get('bic'), 6)}   circuit {res.get('circuit')}",
                            className="small")]),
        _flags(res), _values(res, skip=("chi2_reduced", "bic", "circuit"))])


def eis_section(ws: Workspace, rel: str) -> tuple:
    """``(first message, components)`` of the impedance fitting section."""
    from dash import dcc, html

    n = ws.n_spectra(rel)
    spectrum = 1 if n > 1 else None
    opts = ws.options(rel)
    res, err = None, None
    try:
        res = ws.run_file(rel, spectrum=spectrum)
    except SselabError as exc:
        err = _line(exc)
    ws.remember(rel, opts, res, spectrum)
    mask = opts.get("mask") or []
    if isinstance(mask, dict):
        mask = list(mask.get(str(spectrum), mask.get(spectrum, [])))
    why_not_kept = ws.keeps_settings(rel)
    kept_note = why_not_kept or f"each fit is kept in {ws.settings.path.name} (used by sselab report)"
    circuit = opts.get("circuit") or (res.get("circuit") if res is not None else "")
    controls = html.Div([
        html.Label("circuit"),
        dcc.Input(id="circuit", type="text", value=circuit, className="circuit", debounce=False,
                  placeholder="e.g. R0-p(R1,CPE1)-CPE2 (impedance.py syntax)"),
        html.Button("Fit", id="fit-btn", n_clicks=0),
        html.Button("Reset to automatic", id="reset-btn", n_clicks=0, className="secondary"),
        html.Button("Clear mask", id="clear-mask-btn", n_clicks=0, className="secondary"),
        html.Label("f min (Hz)"), dcc.Input(id="fmin", type="text", value=_fmt(opts.get("fmin_Hz")), className="num"),
        html.Label("f max (Hz)"), dcc.Input(id="fmax", type="text", value=_fmt(opts.get("fmax_Hz")), className="num"),
        html.Label("weighting"),
        dcc.Dropdown(id="weighting", options=["modulus", "proportional", "unit"],
                     value=opts.get("weighting") or "modulus", clearable=False, style={"width": "140px"}),
    ] + ([html.Label("spectrum"), dcc.Dropdown(id="spectrum", options=list(range(1, n + 1)), value=1,
                                               clearable=False, style={"width": "80px"})] if n > 1 else
         [html.Div(dcc.Dropdown(id="spectrum", options=[], value=None), style={"display": "none"})]),
        className="controls")
    return _err(err) if err else "", [
        dcc.Store(id="result-store", data=_store(res, spectrum)),
        dcc.Store(id="mask-store", data=sorted(int(i) for i in mask)),
        html.Div([html.H3("Impedance fit"), controls,
                  html.Div(kept_note, className="small"),
                  html.Div(id="mask-text", className="small"),
                  html.Div([_graph(F.empty(), "eis-nyquist"), _graph(F.empty(), "eis-bode"),
                            _graph(F.empty(), "eis-resid")], className="grid3"),
                  html.Div("Click a point to mask or unmask it; lasso (or box) several to mask them.",
                           className="small")], className="card"),
        html.Div([html.Div([html.H3("Parameters (SI)"), html.Div(_param_rows(res, opts), id="param-table")],
                           className="card"),
                  html.Div([html.H3("Fit quality and flags"), html.Div(_quality(res), id="quality")],
                           className="card")], className="grid2"),
        html.Div([html.H3("Series"),
                  html.Div([html.Button("Apply to all spectra of the series (warm start)", id="apply-all-btn",
                                        n_clicks=0),
                            html.Label("parameter"),
                            dcc.Dropdown(id="param-select", options=[], value=None, clearable=False,
                                         style={"width": "180px"})], className="controls"),
                  html.Div(id="series-msg", className="small"),
                  dcc.Store(id="series-store"),
                  html.Div([_graph(F.empty(), "param-plot"),
                            html.Div([html.Div(id="ea-text", className="ea"), _graph(F.empty(), "arrhenius-plot"),
                                      html.Div(id="arrhenius-flags")])], className="grid2"),
                  html.Div(id="series-table")], className="card"),
        html.Div([html.H3("Export"),
                  html.Div([html.Button("Fit as JSON", id="export-json-btn", n_clicks=0, className="secondary"),
                            html.Button("Python script", id="export-py-btn", n_clicks=0, className="secondary"),
                            dcc.Download(id="download")], className="controls")], className="card"),
    ]


def _store(res, spectrum):
    if res is None:
        return None
    from ..results import jsonable

    return {"figures": jsonable(dict(res.figures)), "spectrum": spectrum, "circuit": res.get("circuit"),
            "chi2": res.get("chi2_reduced")}


# -- other techniques ----------------------------------------------------------------------------------------------

def _opt_text(v) -> str:
    import yaml

    from ..results import jsonable

    if v is None:
        return ""
    return yaml.safe_dump(jsonable(v), default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def recipe_section(ws: Workspace, rel: str) -> list:
    """One card per per-file recipe of the file (its settings editable, its result), then the recipes over several
    files it takes part in (run on demand)."""
    from dash import dcc, html

    jobs = ws.file_jobs(rel)
    groups = [j for j in ws.jobs_of(rel) if get(j.recipe).scope != "file"]
    out = []
    if not jobs:
        note = ws.notes.get(rel)
        out.append(html.Div(note or "no per-file recipe for this file", className="card small"))
    kept = ws.options(rel)
    for job in jobs:
        r = job.recipe
        rows = []
        for name, default in recipe_options(r).items():
            shown = kept.get(name, default)
            rows.append(html.Tr([html.Td(name),
                                 html.Td(dcc.Input(id={"type": "opt", "recipe": r, "name": name}, type="text",
                                                   value=_opt_text(shown), className="opt", debounce=True)),
                                 html.Td(f"default: {_opt_text(default) or 'automatic'}", className="small")],
                                **{"data-opt": name}))
        res, err = None, None
        try:
            res = ws.run_file(rel, recipe=r)
        except SselabError as exc:
            err = _line(exc)
        out.append(html.Div([
            html.H3(f"{get(r).title} ({r})"),
            html.Div("Settings (the recipe's options; empty = the recipe's default). Values are YAML: numbers in SI "
                     "as named, lists as [a, b].", className="small"),
            html.Table([html.Tbody(rows)], className="plain"),
            html.Div(html.Button("Run", id={"type": "run-btn", "recipe": r}, n_clicks=0, className="run-btn"),
                     className="controls"),
            html.Div(_err(err) if err else "", id={"type": "recipe-msg", "recipe": r}, className="msg"),
            html.Div(_recipe_result(res), id={"type": "recipe-result", "recipe": r}, className="recipe-result")],
            className="card", **{"data-recipe": r}))
    if groups:
        out.append(html.Div([html.H3("Analyses over several files"),
                             html.Div([html.Button("Run them", id="groups-btn", n_clicks=0, className="secondary"),
                                       html.Span("  " + "; ".join(f"{j.recipe} ({j.subject}, {len(j.items)} files)"
                                                                 for j in groups), className="small")],
                                      className="controls"),
                             html.Div(id="groups-result")], className="card"))
    return out


def _recipe_result(res):
    from dash import html

    if res is None:
        return html.Div()
    tables = html.Details([html.Summary(f"tables ({', '.join(t.name for t in res.tables)})"),
                           *[html.Div(_table(t, 12), className="scroll") for t in res.tables]]) if res.tables else ""
    return html.Div([_flags(res), _values(res), html.Div(_recipe_figures(res)), tables])


# ---------------------------------------------------------------------------------------------------------------
# the app
# ---------------------------------------------------------------------------------------------------------------

def create_app(ws: Workspace):
    """The Dash app of a :class:`Workspace` (not started; :func:`sselab.app.serve` runs it)."""
    from dash import ALL, MATCH, Dash, Input, Output, State, dcc, html, no_update
    from dash.exceptions import PreventUpdate

    app = Dash(__name__, title="sselab", suppress_callback_exceptions=True, update_title=None,
               serve_locally=True)
    app.index_string = INDEX
    app.layout = html.Div([
        dcc.Location(id="url"),
        html.Div([dcc.Link("sselab", href="/"), html.Span(str(ws.root), className="where")], className="top"),
        html.Div(id="page", className="page"),
    ])

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def route(path, search):
        try:
            if path in (None, "", "/"):
                return folder_page(ws)
            if path == "/file":
                q = parse_qs((search or "").lstrip("?"))
                rel = (q.get("f") or [""])[0]
                return file_page(ws, rel)
            raise SselabError(f"{path}: no such page")
        except SselabError as exc:
            return html.Div([dcc.Link("← folder", href="/"), html.Div(_err(_line(exc)), id="msg", className="msg")])
        except Exception as exc:
            log.exception("sselab app: page %s failed", path)
            return html.Div([dcc.Link("← folder", href="/"),
                             html.Div(_err(f"internal error (details in the terminal): {_line(exc)}"), id="msg",
                                      className="msg")])

    # -- folder -----------------------------------------------------------------------------------------------
    @app.callback(Output("files", "children"), Output("msg", "children", allow_duplicate=True),
                  Input("upload", "contents"), State("upload", "filename"), prevent_initial_call=True)
    @guarded(2, 1)
    def upload(contents, filename):
        if not contents:
            raise PreventUpdate
        try:
            data = base64.b64decode(contents.split(",", 1)[1])
        except (IndexError, ValueError):
            raise SselabError(f"{filename}: the upload could not be decoded") from None
        it = ws.add_upload(filename or "upload", data)
        text = _err(it.error) if not it.ok else _ok(f"{it.rel}: read ({it.technique}); open it from the list")
        return files_table(ws), text

    # -- impedance: mask ----------------------------------------------------------------------------------------
    @app.callback(Output("mask-store", "data"), Output("eis-nyquist", "clickData"),
                  Output("eis-nyquist", "selectedData"),
                  Input("eis-nyquist", "clickData"), Input("eis-nyquist", "selectedData"),
                  Input("clear-mask-btn", "n_clicks"), State("mask-store", "data"), prevent_initial_call=True)
    @guarded(3, None)
    def mask(click, selected, clear, current):
        from dash import ctx

        cur = set(current or [])
        props = {t["prop_id"] for t in ctx.triggered}
        if "clear-mask-btn.n_clicks" in props:
            return [], None, None

        def picked(data):      # trace 0 holds every point of the spectrum in file order: its index is the point's
            out = set()
            for p in (data or {}).get("points", []):
                if p.get("curveNumber") == 0:
                    i = p.get("customdata", p.get("pointIndex", p.get("pointNumber")))
                    if i is not None:
                        out.add(int(i))
            return out

        # a click in lasso mode also sends an empty selection: a click toggles one point, a lasso masks its points
        clicked, lassoed = picked(click), picked(selected)
        if "eis-nyquist.clickData" in props and clicked:
            cur ^= clicked
        elif "eis-nyquist.selectedData" in props and lassoed:
            cur |= lassoed
        else:
            raise PreventUpdate
        return sorted(cur), None, None

    # -- impedance: figures -------------------------------------------------------------------------------------
    @app.callback(Output("eis-nyquist", "figure"), Output("eis-bode", "figure"), Output("eis-resid", "figure"),
                  Output("mask-text", "children"),
                  Input("result-store", "data"), Input("mask-store", "data"), State("file-rel", "data"),
                  State("spectrum", "value"), State("fmin", "value"),
                  State("fmax", "value"))
    @guarded(4, 3)
    def draw(store, mask_idx, rel, spectrum, fmin, fmax):
        it = ws.item(rel)
        sp = it.measurement.spectra()
        k = int((store or {}).get("spectrum") or spectrum or 1)
        f, z = sp[k - 1]
        fd = (store or {}).get("figures")
        window = (_safe_num(fmin), _safe_num(fmax))
        mask_idx = mask_idx or []
        text = (f"masked: {len(mask_idx)} point{'s' if len(mask_idx) != 1 else ''} "
                f"(#{', #'.join(str(i) for i in mask_idx[:20])}{' …' if len(mask_idx) > 20 else ''}) — "
                "press Fit to refit without them") if mask_idx else "no points masked"
        return (F.nyquist(f, z, mask_idx, fd, window, title=rel), F.bode(f, z, mask_idx, fd), F.residuals(fd), text)

    # -- impedance: fit / reset / spectrum ---------------------------------------------------------------------
    fit_states = [State("file-rel", "data"), State("circuit", "value"),
                  State({"type": "p-value", "name": ALL}, "value"), State({"type": "p-value", "name": ALL}, "id"),
                  State({"type": "p-fixed", "name": ALL}, "value"), State({"type": "p-lo", "name": ALL}, "value"),
                  State({"type": "p-hi", "name": ALL}, "value"), State("fmin", "value"), State("fmax", "value"),
                  State("weighting", "value"), State("mask-store", "data")]

    @app.callback(Output("result-store", "data"), Output("param-table", "children"), Output("quality", "children"),
                  Output("msg", "children", allow_duplicate=True), Output("mask-store", "data", allow_duplicate=True),
                  Output("circuit", "value"),
                  Input("fit-btn", "n_clicks"), Input("reset-btn", "n_clicks"),
                  Input("spectrum", "value"), *fit_states, prevent_initial_call=True)
    @guarded(6, 3)
    def analyse(fit_clicks, reset_clicks, spectrum, rel, circuit, values, ids, fixed, lo, hi, fmin, fmax,
                weighting, mask_idx):
        from dash import ctx

        trig = ctx.triggered_id
        spectrum = int(spectrum) if spectrum else None
        if trig == "reset-btn":
            path = ws.save(rel, None)
            res = ws.run_file(rel, spectrum=spectrum)
            opts = ws.options(rel)
            ws.remember(rel, opts, res, spectrum)
            note = (f"back to {'the manifest’s options' if opts else 'the automatic analysis'}"
                    + (f"; kept settings removed from {path.name}" if path else ""))
            m = opts.get("mask") or []
            return (_store(res, spectrum), _param_rows(res, opts), _quality(res), _ok(note),
                    sorted(m) if isinstance(m, list) else [], res.get("circuit"))
        if trig == "spectrum":
            res = ws.run_file(rel, spectrum=spectrum, options={})
            ws.remember(rel, {}, res, spectrum)
            return (_store(res, spectrum), _param_rows(res, {}), _quality(res), "", [], res.get("circuit"))
        opts = page_options(ws, rel, circuit, values, ids, fixed, lo, hi, fmin, fmax, weighting, mask_idx,
                            spectrum)
        res = ws.run_file(rel, opts, spectrum=spectrum)
        path = ws.save(rel, opts)
        ws.remember(rel, opts, res, spectrum)
        note = f"fitted: χ²red {_fmt(res.get('chi2_reduced'), 4)}" + (f"; kept in {path.name}" if path else
                                                                      f" ({ws.keeps_settings(rel)})")
        return (_store(res, spectrum), _param_rows(res, opts), _quality(res), _ok(note), no_update,
                res.get("circuit"))

    # -- impedance: series, parameter plot, Arrhenius ------------------------------------------------------------
    @app.callback(Output("series-store", "data"), Output("series-msg", "children"),
                  Output("msg", "children", allow_duplicate=True),
                  Input("result-store", "data"), Input("apply-all-btn", "n_clicks"), *fit_states,
                  State("spectrum", "value"), prevent_initial_call="initial_duplicate")
    @guarded(3, 2)
    def series(store, apply_clicks, rel, circuit, values, ids, fixed, lo, hi, fmin, fmax, weighting, mask_idx,
               spectrum):
        from dash import ctx

        note = ""
        msg = no_update
        if ctx.triggered_id == "apply-all-btn":
            opts = page_options(ws, rel, circuit, values, ids, fixed, lo, hi, fmin, fmax, weighting, mask_idx,
                                None)
            runs = ws.apply_to_series(rel, opts)
            bad = [f"{r}: {run.error}" for r, run in runs if run.error]
            note = f"applied {opts.get('circuit')} to {len(runs) - len(bad)} of {len(runs)} files (warm start)"
            msg = _err(f"{len(bad)} file(s) did not fit: {bad[0]}") if bad else _ok(note)
        return series_data(ws, rel), note, msg

    @app.callback(Output("param-plot", "figure"), Output("param-select", "options"), Output("param-select", "value"),
                  Output("arrhenius-plot", "figure"), Output("ea-text", "children"),
                  Output("arrhenius-flags", "children"), Output("series-table", "children"),
                  Input("series-store", "data"), Input("param-select", "value"))
    @guarded(7, 4)
    def series_plots(data, param):
        if not data:
            raise PreventUpdate
        names = data.get("params") or []
        if param not in names:
            param = next((n for n in names if n.startswith("R") and n != "R0"), names[0] if names else None)
        pts = [(p["x"], p["params"], p["stderr"]) for p in data["points"] if p.get("params")]
        pfig = F.param_plot(pts, param, data["x_label"]) if param else F.empty("no fits in the series")
        arr = data.get("arrhenius")
        res = None
        if arr and arr.get("result"):
            from ..recipes import RecipeResult

            res = RecipeResult.from_dict(arr["result"])
        afig = F.arrhenius_plot(res) if res is not None else F.empty(arr.get("error") if arr else
                                                                      "no Arrhenius series for this file")
        ea = ""
        if res is not None and "Ea_eV" in res:
            ea = html.Span([html.Span("Ea = "), html.Span(res["Ea_eV"].text(), id="ea-value",
                                                          **{"data-value": repr(res.get("Ea_eV"))}),
                            html.Span(f"   σ(30 °C) = {res['sigma_30C_S_per_m'].text()}" if "sigma_30C_S_per_m" in res
                                      else "", className="small")])
        flags = _flags(res) if res is not None else ""
        rows = [html.Tr([html.Th(c) for c in ("file", "x", "circuit", "χ²red", "kept", "error")])]
        for p in data["points"]:
            rows.append(html.Tr([html.Td(dcc.Link(p["rel"], href=_href(p["rel"]))), html.Td(_fmt(p["x"], 4)),
                                 html.Td(p.get("circuit") or ""), html.Td(_fmt(p.get("chi2"), 4)),
                                 html.Td("✎" if p.get("kept") else ""), html.Td(p.get("error") or "", className="small")],
                                **{"data-rel": p["rel"]}))
        table = html.Table([html.Tbody(rows)], className="plain", id="series-files")
        return pfig, names, param, afig, ea, flags, table

    # -- export ------------------------------------------------------------------------------------------------
    @app.callback(Output("download", "data"), Output("msg", "children", allow_duplicate=True),
                  Input("export-json-btn", "n_clicks"), Input("export-py-btn", "n_clicks"),
                  State("file-rel", "data"), prevent_initial_call=True)
    @guarded(2, 1)
    def export(n_json, n_py, rel):
        from dash import ctx

        from .export import export_json, export_script

        opts, res, spectrum = ws.last(rel)
        it = ws.item(rel)
        recipe = res.recipe if res is not None else ws.eis_recipe(rel)
        stem = Path(rel).stem
        if ctx.triggered_id == "export-json-btn":
            text = export_json(rel, recipe, opts, res, cell=it.cell, temperature_K=it.entry_temperature_K,
                               settings_file=ws.settings.path)
            return dict(content=text, filename=f"{stem}.fit.json"), _ok(f"exported {stem}.fit.json")
        text = export_script(it.path, recipe, opts, manifest=ws.manifest_path if it.cell is not None else None,
                             cell_name=it.cell.name if it.cell is not None else None,
                             temperature_K=it.entry_temperature_K, spectrum=spectrum)
        return dict(content=text, filename=f"{stem}_fit.py"), _ok(f"exported {stem}_fit.py")

    # -- other recipes -------------------------------------------------------------------------------------------
    @app.callback(Output({"type": "recipe-result", "recipe": MATCH}, "children"),
                  Output({"type": "recipe-msg", "recipe": MATCH}, "children"),
                  Input({"type": "run-btn", "recipe": MATCH}, "n_clicks"), State("file-rel", "data"),
                  State({"type": "opt", "recipe": MATCH, "name": ALL}, "value"),
                  State({"type": "opt", "recipe": MATCH, "name": ALL}, "id"), prevent_initial_call=True)
    @guarded(2, 1)
    def run_recipe(n, rel, texts, ids):
        import yaml

        from dash import ctx

        from ..results import jsonable

        recipe = ctx.triggered_id["recipe"]
        defaults = recipe_options(recipe)
        opts = {}
        for text, id_ in zip(texts, ids):
            name = id_["name"]
            s = (text or "").strip()
            if not s:
                continue
            try:
                v = yaml.safe_load(s)
            except yaml.YAMLError:
                raise SselabError(f"{name}: {s!r} is not a value (YAML: a number, a word, [a, b])") from None
            if jsonable(v) != jsonable(defaults.get(name)):
                opts[name] = v
        res = ws.run_file(rel, opts, recipe=recipe)
        others = {k: v for k, v in ws.options(rel).items() if k not in defaults}    # other recipes' settings
        path = ws.save(rel, {**others, **opts} or None)
        return _recipe_result(res), _ok(f"{recipe} run" + (f"; settings kept in {path.name}" if path else ""))

    @app.callback(Output("groups-result", "children"), Output("msg", "children", allow_duplicate=True),
                  Input("groups-btn", "n_clicks"), State("file-rel", "data"), prevent_initial_call=True)
    @guarded(2, 1)
    def run_groups(n, rel):
        out = []
        for j in ws.jobs_of(rel):
            if get(j.recipe).scope == "file":
                continue
            try:
                res = ws.run_job(j)
            except SselabError as exc:
                out.append(html.Div([html.H4(f"{j.recipe} — {j.subject}"), _err(_line(exc))]))
                continue
            out.append(html.Div([html.H4(f"{j.recipe} — {j.subject}"), _flags(res), _values(res)]))
        return out, ""

    return app


def series_data(ws: Workspace, rel: str) -> dict:
    """What the series panel shows: every file of the series with its kept options (parameters against
    temperature, else time, else file order) and the material's Arrhenius run (the ``eis.arrhenius`` recipe)."""
    rels = ws.series(rel)
    results = ws.series_results(rel)
    temps = [ws.item(r).temperature_K for r in rels]
    starts = [getattr(ws.item(r).measurement, "start_time", None) for r in rels]
    if len({round(t, 1) for t in temps if t is not None}) >= 2 and all(t is not None for t in temps):
        xs, label = [t - 273.15 for t in temps], "temperature (°C)"
    elif all(t is not None for t in starts) and len(set(starts)) > 1:
        xs, label = [(t - starts[0]).total_seconds() / 3600 for t in starts], "time (h)"
    else:
        xs, label = list(range(1, len(rels) + 1)), "file"
    names: list[str] = []
    points = []
    for x, (r, res, err) in zip(xs, results):
        p = {"rel": r, "x": x, "error": err, "kept": bool(ws.options(r)), "params": None, "stderr": None}
        if res is not None:
            t = res.table("parameters")
            p["params"] = {row[0]: row[1] for row in t.rows}
            p["stderr"] = {row[0]: row[2] for row in t.rows}
            p["circuit"] = res.get("circuit")
            p["chi2"] = res.get("chi2_reduced")
            names += [n for n in p["params"] if n not in names]
        points.append(p)
    arr = None
    if ws.arrhenius_job(rel) is not None:
        try:
            res = ws.arrhenius(rel)
            arr = {"result": res.to_dict(figures=True)}
        except SselabError as exc:
            arr = {"error": _line(exc)}
    from ..results import jsonable

    return jsonable({"x_label": label, "points": points, "params": names, "arrhenius": arr})


def _safe_num(text):
    try:
        return _num(text, "frequency")
    except SselabError:
        return None


def page_options(ws: Workspace, rel: str, circuit, values, ids, fixed, lo, hi, fmin, fmax, weighting, mask_idx,
                 spectrum) -> dict:
    """The recipe options the fitting page says: circuit, starting values, fixed values, bounds, frequency window,
    weighting, mask.  Only parsing — every check of meaning is the recipe's (a one-line error from it)."""
    from ..eis import Circuit

    opts = {}
    kept = ws.options(rel)
    circuit = (circuit or "").strip()
    names = []
    if circuit:
        c = Circuit(circuit)
        opts["circuit"] = c.text
        names = list(c.param_names)
        if kept.get("circuit") == c.text:
            for k in ("resistance", "interface"):
                if kept.get(k) is not None:
                    opts[k] = kept[k]
    if kept.get("lf_loop") is not None:
        opts["lf_loop"] = kept["lf_loop"]
    fixed_d, initial, bounds = {}, {}, {}
    for v, id_, fx, l, h in zip(values or [], ids or [], fixed or [], lo or [], hi or []):
        name = id_["name"]
        if name not in names:
            continue
        val = _num(v, f"value of {name}")
        if fx:
            if val is None:
                raise SselabError(f"{name} is fixed but has no value")
            fixed_d[name] = val
        elif val is not None:
            initial[name] = val
        lv, hv = _num(l, f"lower bound of {name}"), _num(h, f"upper bound of {name}")
        if lv is not None or hv is not None:
            bounds[name] = [lv, hv]
    if fixed_d:
        opts["fixed"] = fixed_d
    if initial:
        opts["initial"] = initial
    if bounds:
        opts["bounds"] = bounds
    for key, text, what in (("fmin_Hz", fmin, "f min"), ("fmax_Hz", fmax, "f max")):
        v = _num(text, what)
        if v is not None:
            opts[key] = v
    if weighting and weighting != "modulus":
        opts["weighting"] = weighting
    if mask_idx:
        m = sorted(int(i) for i in mask_idx)
        opts["mask"] = {str(spectrum): m} if spectrum else m
    return opts
