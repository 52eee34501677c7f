"""Run by tests/report/test_browser.py in its own process (Playwright's sync API cannot share a process whose
event loop another test started): load a report in Debian's chromium, print what the page shows as JSON."""
import json
import sys

from playwright.sync_api import sync_playwright

report, chromium = sys.argv[1], sys.argv[2]
messages, errors = [], []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 2000})
        page.on("console", lambda m: messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report, wait_until="load")
        out = {
            "imgs": page.evaluate("""Array.from(document.querySelectorAll('figure img')).map(i => ({
                alt: i.alt, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
                fig: i.closest('figure').dataset.name}))"""),
            "labels": page.evaluate("Array.from(document.querySelectorAll('figcaption .pf')).map(e => e.textContent)"),
            "anchors": page.evaluate("""Array.from(document.querySelectorAll('#paper-figures a[href^="#fig-"]'))
                .map(a => !!document.getElementById(a.getAttribute('href').slice(1)))"""),
            "paper_rows": page.evaluate("document.querySelectorAll('#paper tbody tr').length"),
        }
    finally:
        browser.close()
out.update(messages=messages, errors=errors)
print(json.dumps(out))
