"""The HTML report is self-contained: every section and figure is present, embedded and decodable."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.imgs, self.links, self.external = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag in ("script", "link") or (tag == "img" and not a.get("src", "").startswith("data:")):
            self.external.append((tag, a))
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])


def test_every_section_and_figure_present(small_demo):
    ds, doc, out = small_demo
    html = (out / "report.html").read_text(encoding="utf-8")
    p = _Collect()
    p.feed(html)
    for s in doc["sections"]:
        assert s["id"] in p.sections
    assert {"summary", "truth", "files"} <= set(p.sections)
    n_fig = sum(len(s["figures"]) for s in doc["sections"])
    assert n_fig >= 10 and len(p.imgs) == n_fig
    for src in p.imgs:
        assert src.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    assert not p.external                                   # nothing loaded from elsewhere: works offline
    assert set(p.links) <= set(p.sections) | {"grp-" + g for g in ("eis",)} | set(p.sections)
    kinds = {s["kind"] for s in doc["sections"]}
    assert {"eis", "arrhenius", "dcpol", "cv", "cycling"} <= kinds


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_renders_in_headless_chromium(small_demo, tmp_path):
    out = small_demo[2]
    shot = tmp_path / "shot.png"
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
           (out / "report.html").as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 50_000
