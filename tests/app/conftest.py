"""Fixtures of the app tests: the small demo folder, a real browser (Debian's chromium driven by Playwright — never
a downloaded browser) and the app served on a free loopback port in a thread, shut down cleanly."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SSELAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
#: set to a folder (e.g. docs/screenshots) to save the pages' screenshots there
SCREENSHOTS = os.environ.get("SSELAB_SCREENSHOTS")


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """The small demo data set (generated once per session; copy it before changing anything in it)."""
    from sselab.simulate import generate_demo

    root = tmp_path_factory.mktemp("demo-template") / "demo"
    generate_demo(root, small=True)
    return root


@pytest.fixture(scope="module")
def demo_folder(small_demo, tmp_path_factory) -> Path:
    """A copy of the small demo with a garbage file added (what a real folder also holds)."""
    dst = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(small_demo, dst)
    (dst / "eis" / "garbage.mpt").write_bytes(b"\x00\x01 not a measurement \xff\xfe" * 40)
    return dst


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: the browser tests drive Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def shot(page, name: str, tmp: Path) -> Path:
    """A screenshot of the page (into $SSELAB_SCREENSHOTS when set, else the test's folder)."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if SCREENSHOTS:              # committed: a 64-colour palette keeps them small
        from PIL import Image

        with Image.open(path) as im:
            small = im.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
    return path
