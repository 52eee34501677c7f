"""Render a :class:`~sselab.report.build.Report` as one self-contained HTML page (figures embedded as SVG)."""
from __future__ import annotations

import html
import re

from ..fmt import fmt_num as _num
from ..fmt import fmt_pm
from .model import Figure, Section, Table

GROUPS = (
    ("eis", "Ionic conductivity: impedance"),
    ("arrhenius", "Ionic conductivity: Arrhenius"),
    ("dcpol", "Electronic conductivity: DC polarisation"),
    ("cv", "Electrochemical stability: cyclic voltammetry"),
    ("cycling", "Galvanostatic cycling"),
    ("structure", "Structure: X-ray diffraction and NMR"),
    ("materials", "Knowledge base and scorecard"),
    ("design", "Cell-level projection"),
)

CSS = """
:root { --fg:#1d2330; --muted:#5b6472; --line:#dde2ea; --bg:#f6f7f9; --card:#fff; --accent:#2457a6;
        --ok:#1b7f3b; --bad:#b3261e; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color:var(--fg); background:var(--bg); }
header { background:#1f2a44; color:#fff; padding:22px 36px 18px; }
header h1 { margin:0 0 6px; font-size:22px; font-weight:600; }
header .meta { color:#c9d3e6; font-size:13px; }
header .meta span { margin-right:18px; }
.layout { display:flex; align-items:flex-start; }
nav { position:sticky; top:0; width:250px; flex:none; max-height:100vh; overflow:auto; padding:18px 12px 18px 24px;
      font-size:13px; }
nav a { color:var(--fg); text-decoration:none; display:block; padding:2px 0; }
nav a:hover { color:var(--accent); }
nav .grp { margin-top:12px; font-weight:600; color:var(--muted); text-transform:uppercase; font-size:11px;
           letter-spacing:.04em; }
nav .st-error { color:var(--bad); }
main { flex:1; min-width:0; padding:18px 36px 60px 12px; max-width:1180px; }
section.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 20px;
               margin:0 0 18px; }
h2 { font-size:18px; margin:26px 0 10px; color:#1f2a44; }
h3 { font-size:15px; margin:0 0 8px; }
h4 { font-size:13px; margin:14px 0 6px; color:var(--muted); font-weight:600; }
p.intro { color:var(--muted); margin:0 0 10px; }
table { border-collapse:collapse; width:100%; margin:4px 0 10px; font-size:13px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f6; font-weight:600; }
td.num { font-variant-numeric: tabular-nums; white-space:nowrap; }
.tnote { color:var(--muted); font-size:12px; margin:-4px 0 10px; }
.scroll { max-height:420px; overflow:auto; border-bottom:1px solid var(--line); }
.scroll thead th { position:sticky; top:0; }
h4 .rows { font-weight:400; font-size:11px; }
table.kv td:first-child { width:32%; }
figure { margin:10px 0 14px; max-width:100%; }
figure img { display:block; width:100%; height:auto; border:1px solid var(--line); border-radius:4px;
             background:#fff; }
figcaption { color:var(--muted); font-size:12px; margin-top:4px; }
figcaption a { color:var(--accent); }
figcaption .pf { display:inline-block; background:#1f2a44; color:#fff; border-radius:3px; padding:0 5px;
                 margin-right:5px; font-weight:600; font-size:11px; }
td.miss { color:var(--warn); }
.figs { display:flex; flex-wrap:wrap; gap:14px; }
.figs figure { flex:0 1 auto; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:11px; font-weight:600; }
.b-ok, .st-pass { background:#e3f4e8; color:var(--ok); }
.b-bad, .st-fail { background:#fbe4e2; color:var(--bad); }
.b-skip, .st-unknown { background:#f3ecd9; color:var(--warn); }
span.st-pass, span.st-fail, span.st-unknown { padding:1px 7px; border-radius:10px; font-size:11px; font-weight:600; }
ul.notes { margin:6px 0 0; padding-left:18px; color:var(--warn); font-size:12.5px; }
.alert { border-left:4px solid var(--bad); background:#fff4f3; padding:10px 14px; margin:0 0 18px; border-radius:4px; }
.alert b { color:var(--bad); }
tr.err td { color:var(--bad); }
code { background:#eef1f6; padding:0 4px; border-radius:3px; font-size:12.5px; }
footer { color:var(--muted); font-size:12px; margin-top:30px; }
@media print { nav { display:none; } main { max-width:none; } }
"""

_ALLOWED = re.compile(r"&lt;(/?(?:b|i|code|sub|sup)|span class=&quot;st-(?:pass|fail|unknown)&quot;|/span)&gt;")


def esc(text) -> str:
    """Escape text, keeping a few inline tags the sections use (<b>, <code>, status spans)."""
    s = html.escape("" if text is None else str(text))
    return _ALLOWED.sub(lambda m: "<" + m.group(1).replace("&quot;", '"') + ">", s)


#: tables longer than this scroll inside their card
SCROLL_ROWS = 16
#: a cell that is one number, with or without its error: never broken across lines
_NUMBER = re.compile(r"^[-+−]?\(?[-+−]?\d[\d.,]*(e[-+]?\d+)?( ± [\d.]+(e[-+]?\d+)?)?"
                     r"(\)×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?( %)?$")


def _td(c) -> str:
    text = "" if c is None else str(c)
    cls = ' class="num"' if len(text) <= 30 and _NUMBER.match(text) else ""
    return f"<td{cls}>{esc(text)}</td>"


def table_html(t: Table, scroll: bool = False) -> str:
    head = "".join(f"<th>{esc(c).replace('_', '_<wbr>')}</th>" for c in t.columns)   # long unit-named columns wrap
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in t.rows)
    title = esc(t.title) + (f' <span class="rows">({len(t.rows)} rows, scroll)</span>' if scroll else "")
    out = f"<h4>{title}</h4>" if t.title else ""
    cls = ' class="kv"' if len(t.columns) == 2 else ""
    tbl = f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    out += f'<div class="scroll">{tbl}</div>' if scroll else tbl
    if t.note:
        out += f'<p class="tnote">{esc(t.note)}</p>'
    return out


#: display size of a figure: its size in pt × this (px per pt).  One factor for every figure keeps the text of
#: all figures the same size on screen (journal style: 7–9 pt fonts → about 12–16 px).
PX_PER_PT = 1.75
_SVG_SIZE = re.compile(rb'<svg[^>]*?\swidth="([0-9.]+)pt"[^>]*?\sheight="([0-9.]+)pt"', re.S)


def _size(f: Figure) -> tuple[int, int] | None:
    """Display size (px) of a figure from its SVG header (CSS caps the width at the column)."""
    m = _SVG_SIZE.search(f.svg[:2000])
    if not m:
        return None
    w, h = (round(float(x) * PX_PER_PT) for x in m.groups())
    return w, h


def section_html(s: Section) -> str:
    badge = {"ok": "", "error": ' <span class="badge b-bad">error</span>'}.get(s.status, "")
    parts = [f'<section class="card" id="{esc(s.id)}" data-kind="{esc(s.kind)}" data-status="{esc(s.status)}">',
             f"<h3>{esc(s.title)}{badge}</h3>"]
    if s.intro:
        parts.append(f'<p class="intro">{esc(s.intro)}</p>')
    if s.files:
        shown = ", ".join(f"<code>{esc(f)}</code>" for f in s.files[:6])
        more = f" and {len(s.files) - 6} more" if len(s.files) > 6 else ""
        parts.append(f'<p class="intro">Files: {shown}{more}</p>')
    if s.notes:     # the flags: caveats that change how the numbers below must be read come first
        parts.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in s.notes) + "</ul>")
    if s.figures:
        parts.append('<div class="figs">')
        for f in s.figures:
            links = " · ".join(f'<a href="{esc(p)}">{esc(p.rsplit(".", 1)[-1].upper())}</a>' for p in f.files)
            pf = f'<span class="pf">{esc(f.paper_figure)}</span>' if getattr(f, "paper_figure", None) else ""
            cap = pf + esc(f.title) + (f" — {esc(f.caption)}" if f.caption else "")
            size = _size(f)
            fstyle = f' style="width:{size[0]}px"' if size else ""
            isize = f' width="{size[0]}" height="{size[1]}"' if size else ""
            parts.append(f'<figure data-name="{esc(f.name)}"{fstyle}><a id="fig-{esc(f.name)}"></a>'
                         f'<img alt="{esc(f.title)}"{isize} '
                         f'src="{f.data_uri()}">'
                         f"<figcaption>{cap} ({links})</figcaption></figure>")
        parts.append("</div>")
    for t in s.tables:
        parts.append(table_html(t, scroll=len(t.rows) > SCROLL_ROWS))
    parts.append("</section>")
    return "\n".join(parts)


def paper_figures_html(entries: list[dict]) -> str:
    """The paper's figures the report reproduces, each linked to its figure (and the tagged panels it lacks)."""
    rows = []
    for e in entries:
        if e.get("missing"):
            rows.append(f'<tr><td class="miss">{esc(", ".join(e["panels"]))}</td><td class="miss" colspan="3">'
                        f'{esc(e["note"])}</td></tr>')
            continue
        files = " · ".join(f'<a href="{esc(p)}">{esc(p.rsplit("/", 1)[-1])}</a>' for p in e["files"])
        rows.append(f'<tr><td><a href="#fig-{esc(e["name"])}"><b>{esc(e["figure"])}</b></a></td>'
                    f'<td>{esc(e["title"])}</td><td><a href="#{esc(e["section"])}">{esc(e["section_title"])}</a></td>'
                    f"<td>{files}</td></tr>")
    n = sum(1 for e in entries if not e.get("missing"))
    return (f'<section class="card" id="paper-figures" data-kind="paper-figures"><h3>Figures of the paper '
            f'<span class="badge b-ok">{n}</span></h3><p class="intro">Each figure below reproduces a figure of the '
            f"paper: the recipe names the kind of figure it draws, the manifest's <code>figures</code> tags say which "
            f"panel a file is.</p><table><thead><tr><th>paper</th><th>figure</th><th>section</th><th>files</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></section>")


def paper_html(rows: list[dict], citation: str = "") -> str:
    """The comparison with the paper: its stated value, sselab's, whether they agree, and why not."""
    body = []
    for r in rows:
        ok = r.get("agrees")
        badge = ('<span class="badge b-ok">agrees</span>' if ok else '<span class="badge b-bad">differs</span>'
                 if ok is False else '<span class="badge b-skip">—</span>')
        body.append(f"<tr><td>{esc(r.get('quantity'))}</td><td class=num>{esc(r.get('paper_text', ''))}</td>"
                    f"<td class=num>{esc(r.get('sselab_text', '—'))}</td><td>{esc(r.get('unit_text', r.get('unit', '')))}</td>"
                    f"<td>{badge}</td><td>{esc(r.get('basis', ''))}</td><td>{esc(r.get('note', ''))}</td></tr>")
    n_ok = sum(1 for r in rows if r.get("agrees"))
    n_diff = sum(1 for r in rows if r.get("agrees") is False)
    head = ("<tr><th>quantity</th><th>paper</th><th>sselab</th><th>unit</th><th></th><th>basis</th>"
            "<th>note</th></tr>")
    return (f'<section class="card" id="paper" data-kind="paper"><h3>Comparison with the paper '
            f'<span class="badge b-ok">{n_ok} agree</span> '
            f'<span class="badge {"b-bad" if n_diff else "b-ok"}">{n_diff} differ</span></h3>'
            f'<p class="intro">{esc(citation)} — every quantity the paper states, sselab\'s value from this data set '
            f"beside it (in the paper's unit). Agreement: the stated relation (≈, =, &gt;, ≥) and tolerance; a row "
            f"that differs says why in its note.</p>"
            f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table></section>")


def truth_html(rows: list[dict]) -> str:
    body = []
    for r in rows:
        ok = r.get("agrees")
        badge = ('<span class="badge b-ok">agrees</span>' if ok else '<span class="badge b-bad">differs</span>'
                 if ok is False else '<span class="badge b-skip">not recovered</span>')
        rec = r.get("recovered")
        rec_s = fmt_pm(rec, r.get("stderr"))
        dev = r.get("deviation")
        dev_s = "—" if dev is None else f"{_num(dev, 3)}"
        if dev is not None and isinstance(r.get("true"), (int, float)) and r["true"]:
            dev_s += f" ({dev / abs(r['true']) * 100:+.2g} %)"
        body.append(f"<tr><td>{esc(r['subject'])}</td><td>{esc(r.get('label') or r['quantity'])}</td>"
                    f"<td class=num>{esc(rec_s)}</td><td class=num>{esc(_num(r['true']))}</td>"
                    f"<td>{esc(r.get('unit', ''))}</td><td class=num>{esc(dev_s)}</td>"
                    f"<td>{esc(r.get('tolerance', ''))}{(' — ' + esc(r['note'])) if r.get('note') else ''}</td>"
                    f"<td>{badge}</td></tr>")
    n_ok = sum(1 for r in rows if r.get("agrees"))
    head = ("<tr><th>subject</th><th>quantity</th><th>recovered</th><th>simulated</th><th>unit</th>"
            "<th>deviation</th><th>tolerance</th><th></th></tr>")
    return (f'<section class="card" id="truth" data-kind="truth"><h3>Recovered vs simulated values '
            f'<span class="badge {"b-ok" if n_ok == len(rows) else "b-skip"}">{n_ok}/{len(rows)} agree</span></h3>'
            f'<p class="intro">The input folder holds a <code>truth.json</code> with the values the data were '
            f"simulated from (e.g. by <code>sselab demo</code>); every recovered value is shown beside it. "
            f"Agreement: within the stated tolerance, or within 2 standard errors when the standard error is itself "
            f"within the tolerance.</p>"
            f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table></section>")


def files_html(rep) -> str:
    rows = []
    for r in rep.records:
        cls = ' class="err"' if not r.ok else ""
        status = '<span class="badge b-ok">ok</span>' if r.ok else '<span class="badge b-bad">failed</span>'
        msg = r.error if not r.ok else "; ".join(r.warnings[:3])
        t = "—" if r.temperature_K is None else f"{r.temperature_K - 273.15:.1f}"
        rows.append(f"<tr{cls}><td><code>{esc(r.rel)}</code></td><td>{esc(r.technique)}</td>"
                    f"<td>{esc(r.format or '—')}</td><td>{esc(getattr(r.cell, 'name', '—') or '—')}</td>"
                    f"<td class=num>{t}</td><td>{status}</td><td>{esc(msg)}</td></tr>")
    head = ("<tr><th>file</th><th>technique</th><th>format</th><th>cell</th><th>T (°C)</th><th>status</th>"
            "<th>message</th></tr>")
    return (f'<section class="card" id="files" data-kind="files"><h3>Files ({len(rep.records)})</h3>'
            f'<div class="scroll" style="max-height:520px"><table><thead>{head}</thead><tbody>{"".join(rows)}'
            f"</tbody></table></div></section>")


def cells_html(rep) -> str:
    cells = getattr(rep, "cells", None) or []
    if not cells:
        return ""
    rows = []
    for c in cells:
        def q(v, k, d=3):
            return "—" if v is None else f"{v * k:.{d}g}"
        rows.append(f"<tr><td>{esc(c.name)}</td><td>{esc(c.material or '—')}</td><td>{esc('|'.join(c.electrodes))}"
                    f"</td><td>{esc(c.kind)}</td><td class=num>{q(c.thickness_m, 1e3)}</td>"
                    f"<td class=num>{q(c.area_m2, 1e4, 4)}</td><td class=num>{q(c.pellet_mass_kg, 1e6)}</td>"
                    f"<td class=num>{q(c.active_mass_kg, 1e6)}</td>"
                    f"<td class=num>{q(c.temperature_K - 273.15 if c.temperature_K else None, 1)}</td>"
                    f"<td class=num>{len(c.files)}</td></tr>")
    head = ("<tr><th>cell</th><th>material</th><th>electrodes</th><th>kind</th><th>L (mm)</th><th>A (cm²)</th>"
            "<th>pellet (mg)</th><th>active (mg)</th><th>T (°C)</th><th>files</th></tr>")
    src = f" from <code>{esc(rep.manifest_path.name)}</code>" if rep.manifest_path else ""
    return (f'<section class="card" id="cells" data-kind="cells"><h3>Cells{src}</h3><table><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table></section>')


def render(rep) -> str:
    from .. import __version__

    failed = rep.failed_files
    nav = ['<div class="grp">Overview</div><a href="#summary">Summary</a>']
    if getattr(rep, "paper_figures", None):
        nav.append('<a href="#paper-figures">Figures of the paper</a>')
    if getattr(rep, "paper_rows", None):
        nav.append('<a href="#paper">Comparison with the paper</a>')
    if rep.truth_rows:
        nav.append('<a href="#truth">Recovered vs simulated</a>')
    if failed:
        nav.append(f'<a href="#files" class="st-error">Failed files ({len(failed)})</a>')
    body = []
    groups = list(GROUPS)
    known = {k for k, _ in groups}
    for sec in rep.sections:           # recipes registered elsewhere (DRT, XRD, NMR …) get their own group
        if sec.kind not in known:
            from ..recipes import get

            title = get(sec.recipe).title if sec.recipe else sec.kind
            groups.insert(len(groups) - 2, (sec.kind, title))
            known.add(sec.kind)
    for kind, gtitle in groups:
        secs = [s for s in rep.sections if s.kind == kind]
        if not secs:
            continue
        nav.append(f'<div class="grp">{esc(gtitle)}</div>')
        nav.extend(f'<a href="#{esc(s.id)}" class="st-{esc(s.status)}">{esc(s.title.split(" — ")[-1])}</a>'
                   for s in secs)
        body.append(f'<h2 id="grp-{kind}">{esc(gtitle)}</h2>')
        body.extend(section_html(s) for s in secs)
    nav.append('<div class="grp">Inputs</div>' + ('<a href="#cells">Cells</a>' if getattr(rep, "cells", None)
                                                   else "") + '<a href="#files">Files</a>')

    alert = ""
    if failed:
        items = "".join(f"<li><code>{esc(r.rel)}</code>: {esc(r.error)}</li>" for r in failed)
        alert = (f'<div class="alert" id="failed"><b>{len(failed)} file(s) could not be read</b> and are left out '
                 f"of the analysis:<ul>{items}</ul></div>")
    errors = getattr(rep, "analysis_errors", None) or []
    if errors:
        items = "".join(f"<li>{esc(e)}</li>" for e in errors)
        alert += (f'<div class="alert" id="analysis-errors"><b>{len(errors)} analysis(es) failed</b> (the sections '
                  f"say which):<ul>{items}</ul></div>")
    summary = "".join(table_html(t) for t in rep.summary_tables) or '<p class="intro">No quantitative results.</p>'
    n_fig = sum(len(s.figures) for s in rep.sections)
    notes = "".join(f"<li>{esc(n)}</li>" for n in rep.notes)
    meta = (f"<span>input <code style='background:#34405e;color:#fff'>{esc(rep.input_dir)}</code></span>"
            f"<span>{len(rep.records)} files ({len(failed)} failed)</span><span>{len(rep.sections)} sections, "
            f"{n_fig} figures</span><span>{esc(rep.generated)}</span><span>{rep.seconds:.1f} s</span>")
    if rep.manifest_path:
        meta += f"<span>manifest {esc(rep.manifest_path.name)}</span>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sselab {esc(__version__)}">
<title>{esc(rep.title)}</title>
<style>{CSS}</style></head>
<body>
<header><h1>{esc(rep.title)}</h1><div class="meta">{meta}</div></header>
<div class="layout">
<nav>{''.join(nav)}</nav>
<main>
{alert}
<section class="card" id="summary" data-kind="summary"><h3>Summary</h3>{summary}
{'<ul class="notes">' + notes + '</ul>' if notes else ''}</section>
{paper_figures_html(rep.paper_figures) if getattr(rep, "paper_figures", None) else ''}
{paper_html(rep.paper_rows, getattr(rep, "paper_citation", "")) if getattr(rep, "paper_rows", None) else ''}
{truth_html(rep.truth_rows) if rep.truth_rows else ''}
{''.join(body)}
<h2 id="grp-files">Inputs</h2>
{cells_html(rep)}
{files_html(rep)}
<footer>Generated by sselab {esc(__version__)}. Figures are embedded as SVG; PNG and SVG copies are in
<code>figures/</code>; numbers in <code>results.json</code> and <code>summary.csv</code>.</footer>
</main></div></body></html>
"""
