"""The demo report in a real browser: headless Chromium (Debian's ``chromium``, driven by Playwright — never a
browser Playwright downloads) loads the page with no console error and no script error, and every figure decodes
(``naturalWidth > 0``); every paper figure the report lists is one of them."""
from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def page_report(small_demo):
    import json
    import subprocess
    import sys
    from pathlib import Path

    import playwright.sync_api  # noqa: F401  (the test extra)

    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    ds, doc, out = small_demo
    probe = Path(__file__).with_name("_browser_probe.py")
    r = subprocess.run([sys.executable, str(probe), (out / "report.html").as_uri(), CHROMIUM], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout)
    return (doc, got["imgs"], got["labels"], got["anchors"], got["paper_rows"], [tuple(m) for m in got["messages"]],
            got["errors"])


def test_every_figure_loads_and_the_console_is_clean(page_report):
    doc, imgs, labels, anchors, paper_rows, messages, errors = page_report
    n_fig = sum(len(s["figures"]) for s in doc["sections"])
    assert len(imgs) == n_fig >= 30
    broken = [i["alt"] for i in imgs if not (i["complete"] and i["w"] > 0 and i["h"] > 0)]
    assert not broken, broken
    assert not errors, errors
    assert not [m for m in messages if m[0] in ("error", "warning")], messages


def test_the_paper_figures_are_in_the_page(page_report):
    """Fig. 1d–g, 2a–e, 3a–f, 4a–c, 5a–d and ESI Fig. 17 are drawn and labelled; the index links to each."""
    from sselab.report.sections import panels

    doc, imgs, labels, anchors, paper_rows, messages, errors = page_report
    shown = set().union(*(panels(lab) for lab in labels))
    want = {"1d", "1e", "1f", "1g", "2a", "2b", "2c", "2d", "2e", "3a", "3b", "3c", "3d", "3e", "3f", "4a", "4b",
            "4c", "5a", "5b", "5c", "5d", "ESI17"}
    assert want <= shown, sorted(want - shown)
    assert anchors and all(anchors)
    assert not [e for e in doc["paper_figures"] if e.get("missing")]
    assert paper_rows == len(doc["paper_comparison"]) >= 30
