"""The HTML report is self-contained: every section and figure is present, embedded and decodable, and it renders
in a real browser (headless Chromium) with every figure decoded and nothing wider than its column."""
from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

#: every figure group the demo must produce (figure names are slugs: "<prefix>-<subject>")
FIGURE_PREFIXES = ("eis-", "arrhenius-", "dcpol-", "cv-", "ladder-", "resistance-", "fullcell-", "profiles-", "kb-",
                   "cell-projection")
KINDS = ("eis", "arrhenius", "dcpol", "cv", "cycling", "materials", "design")


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.imgs, self.links, self.external, self.figures, self.h2 = {}, [], [], [], [], []
        self.ids = set()
        self._in_h4 = False
        self.h4 = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "section":
            self.sections[a.get("id")] = a.get("data-kind")
        if tag == "figure":
            self.figures.append(a.get("data-name"))
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag in ("script", "link") or (tag == "img" and not a.get("src", "").startswith("data:")):
            self.external.append((tag, a))
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        self._in_h4 = tag == "h4" or self._in_h4

    def handle_endtag(self, tag):
        if tag == "h4":
            self._in_h4 = False

    def handle_data(self, data):
        if self._in_h4:
            self.h4.append(data)


def test_every_section_and_figure_present(small_demo):
    ds, doc, out = small_demo
    page = (out / "report.html").read_text(encoding="utf-8")
    p = _Collect()
    p.feed(page)
    for s in doc["sections"]:
        assert p.sections.get(s["id"]) == s["kind"], s["id"]
        assert s["status"] == "ok", (s["id"], s["notes"])
    assert {"summary", "truth", "files", "cells"} <= set(p.sections)
    assert set(KINDS) <= set(p.sections.values())
    assert "design-cell-projection" in p.sections
    # figures: one <figure> per figure in results.json, each embedded as decodable SVG with a display size
    names = [f.rsplit("/", 1)[1].rsplit(".", 1)[0] for s in doc["sections"] for f, _ in
             [(paths[0], None) for paths in s["figures"]]]
    assert sorted(p.figures) == sorted(names) and len(names) >= 15
    for prefix in FIGURE_PREFIXES:
        assert any(n.startswith(prefix) for n in p.figures), prefix
    for src in p.imgs:
        assert src.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    assert len(re.findall(r'<figure data-name="[^"]+" style="width:\d+px">', page)) == len(names)
    assert not p.external                                   # nothing loaded from elsewhere: works offline
    assert set(p.links) <= p.ids                            # every navigation link has its target
    # summary tables, including the cell-level projection
    text = " ".join(p.h4)
    for title in ("Table 1.", "Table 2.", "Table 3. Cell-level projection", "Separator at 25 °C",
                  "Energy density of the Fig. 17 cell"):
        assert title in text, title
    # numbers rounded to their error: no "± 5.9e-05" style errors anywhere
    assert not re.search(r"± \d(\.\d+)?e-\d", page)


def test_cell_projection_numbers_in_results(small_demo):
    """results.json carries the projection; ASR and 4C thickness follow from the reported σ(25 °C) (closed forms)."""
    ds, doc, out = small_demo
    sec = next(s for s in doc["sections"] if s["id"] == "design-cell-projection")
    mats = sec["data"]["materials"]
    fits = {s["subject"] for s in doc["sections"] if s["recipe"] == "eis.arrhenius"}   # per material (not the Fig. 1f comparison)
    assert set(mats) == fits and len(fits) >= 2
    q = 4 * 3.6 / 1e-4
    for m, r in mats.items():
        s = r["sigma_25C_S_per_m"]
        assert r["asr_ohm_cm2"] == pytest.approx([t / s * 1e4 for t in r["thickness_m"]], rel=1e-9)
        assert r["t_4C_m"] == pytest.approx(3600 * s * 0.1 / (4 * q), rel=1e-9)
        assert 300 < r["wh_per_kg_at_t_4C"] < 450 and r["wh_per_L_at_t_4C"] > 500
        assert r["wh_per_kg"][0] > r["wh_per_kg"][1] > r["wh_per_kg"][2]
    summary = {(n["subject"], n["quantity"]) for n in doc["summary"]}
    for m in mats:
        for q_ in ("asr_25C_20um_ohm_cm2", "asr_25C_50um_ohm_cm2", "asr_25C_100um_ohm_cm2", "max_c_rate_50um",
                   "t_4C_um", "wh_per_kg_at_t_4C", "wh_per_L_at_t_4C", "t_350Whkg_um"):
            assert (m, q_) in summary
    csv_text = (out / "summary.csv").read_text(encoding="utf-8")
    assert "t_4C_um" in csv_text and "wh_per_kg_at_t_4C" in csv_text
    # the σ(25 °C) behind the projection is the Arrhenius section's
    s25 = {n["subject"]: n["value"] for n in doc["summary"] if n["quantity"] == "sigma_25C_mS_per_cm"}
    for m, r in mats.items():
        assert r["sigma_25C_S_per_m"] * 10 == pytest.approx(s25[m], rel=1e-9)


# injected into a copy of the report: measures the laid-out page after load and writes the result into the DOM
_PROBE = """<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main').getBoundingClientRect();
  const out = {imgs: 0, broken: [], wide: [], figs: [], height: document.body.scrollHeight,
               summaryTables: document.querySelectorAll('#summary table').length};
  for (const img of document.querySelectorAll('figure img')) {
    out.imgs += 1;
    if (!img.complete || img.naturalWidth === 0) out.broken.push(img.alt);
    const r = img.getBoundingClientRect();
    out.figs.push([img.alt, Math.round(r.width), Math.round(r.height)]);
  }
  for (const el of document.querySelectorAll('section.card, section.card table, figure')) {
    const r = el.getBoundingClientRect();
    if (r.right > main.right + 1) out.wide.push((el.id || el.tagName) + ' ' + Math.round(r.right - main.right));
  }
  const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body>"""


def _chromium_args(tmp_path):
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}"]


def test_renders_in_headless_chromium(small_demo, tmp_path):
    ds, doc, out = small_demo
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
    page = tmp_path / "probe.html"
    page.write_text((out / "report.html").read_text(encoding="utf-8").replace("</body>", _PROBE),
                    encoding="utf-8")
    dom = subprocess.run([chromium, *_chromium_args(tmp_path), "--window-size=1280,2000",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, f"chromium gave no DOM (exit {dom.returncode}): {dom.stderr[-500:]}"
    probe = json.loads(html.unescape(m.group(1)))
    n_fig = sum(len(s["figures"]) for s in doc["sections"])
    assert probe["imgs"] == n_fig and not probe["broken"]           # every embedded SVG decodes
    assert not probe["wide"], probe["wide"]                          # nothing wider than the main column
    for alt, w, h in probe["figs"]:
        assert 250 <= w <= 1000 and h > 100, (alt, w, h)             # figures neither thumbnails nor posters
    assert probe["height"] > 5000 and probe["summaryTables"] >= 3      # laid out, not an empty page
