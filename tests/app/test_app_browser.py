"""The app in a real browser (Debian's chromium through Playwright) on the small demo folder.

The steps build on each other like a user's session (open → mask → refit → bad input → apply to the series →
Arrhenius → export → other techniques → restart → report), so they share one server and one page and run in file
order.  Every number the page shows is checked against the recipe run directly (the report's job) and the
Arrhenius Ea against the demo's truth.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import yaml

from sselab.app import AppServer
from sselab.cell import load_manifest
from sselab.recipes import get, routing

from .conftest import shot

FILE = "eis/CP_Au-Li2NH-Au_30C.mpt"
SERIES = [f"eis/CP_Au-Li2NH-Au_{T}C.mpt" for T in (30, 50, 70, 90, 110)]
TIMEOUT = 90_000          # ms; the machine may be shared


@pytest.fixture(scope="module")
def env(demo_folder, browser, tmp_path_factory):
    srv = AppServer(demo_folder, port=0).start()
    ctx = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT)
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    e = SimpleNamespace(srv=srv, page=page, console=console, folder=demo_folder, state={},
                        tmp=tmp_path_factory.mktemp("shots"))
    yield e
    ctx.close()
    e.srv.stop()


def _open(env, rel):
    env.page.goto(env.srv.url + "file?f=" + quote(rel, safe=""))


def _chi2(page) -> str:
    return page.get_attribute("#chi2", "data-value")


def _msg(page) -> str:
    return page.inner_text("#msg").strip()


def _value(page, key) -> float:
    return float(page.get_attribute(f"#quality td[data-key={key}]", "data-value"))


def _wait_msg(page, kind: str):
    page.wait_for_selector(f"#msg span[data-kind={kind}]")
    return _msg(page)


def _settings(env) -> dict:
    return yaml.safe_load((env.folder / "cells.sselab.yaml").read_text())["files"]


def _direct(env, rel, options):
    """The recipe run for ``rel`` exactly as the report runs it (routing's job), with ``options`` as kept."""
    man = load_manifest(env.folder / "cells.yaml", check_files=False)
    it = routing.read_item((env.folder / rel).resolve(), env.folder, man)
    return get("eis.blocking").run([it.measurement], it.cell, temperature_K=it.entry_temperature_K, **options)


def _click_point(page, index: int):
    """Hover a point of the Nyquist plot until plotly labels it with its index, then click it."""
    pt = page.locator("#eis-nyquist .scatterlayer .trace").first.locator("path.point").nth(index)
    for _ in range(20):
        box = pt.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x - 3, y - 3)
        page.mouse.move(x, y)
        label = page.locator("#eis-nyquist .hoverlayer").text_content() or ""
        if label.startswith(f"#{index}f"):
            page.mouse.click(x, y)
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"point #{index} of the Nyquist plot could not be hovered (label {label!r})")


# ---------------------------------------------------------------------------------------------------------------

def test_folder_page_lists_the_demo_files(env, small_demo):
    page = env.page
    page.goto(env.srv.url)
    page.wait_for_selector("#files-table")
    rels = set(page.eval_on_selector_all("#files-table tr[data-rel]", "rs => rs.map(r => r.dataset.rel)"))
    # files an operando manifest names (the in situ series and their electrochemistry) are one row per series
    from sselab.recipes import routing

    taken = set()
    for m in routing.operando_manifests(small_demo):
        taken |= routing._operando_paths(m)
    demo = {p.relative_to(small_demo).as_posix() for p in small_demo.rglob("*")
            if p.is_file() and p.suffix not in (".yaml", ".json")
            and not any(p.resolve() == t or t in p.resolve().parents for t in taken)}
    assert demo and demo <= rels
    assert {"structure/operando.yaml#xrd", "structure/operando.yaml#nmr"} <= rels
    row = page.locator(f"#files-table tr[data-rel='{FILE}']")
    assert row.locator("td.status").inner_text() == "ok"
    assert "CP-Au" in row.inner_text() and "eis.blocking" in row.inner_text()
    bad = page.locator("#files-table tr[data-rel='eis/garbage.mpt']")           # a garbage file: one line
    assert bad.locator("td.status").inner_text() == "error"
    text = bad.locator("td.message").inner_text()
    assert "garbage.mpt" in text and "\n" not in text.strip() and "Traceback" not in text
    shot(page, "folder", env.tmp)


def test_a_garbage_upload_is_one_line_and_the_app_keeps_running(env, tmp_path):
    page = env.page
    junk = tmp_path / "junk.mpt"
    junk.write_bytes(b"\xde\xad\xbe\xef" * 100)
    page.set_input_files("#upload input[type=file]", str(junk))
    text = _wait_msg(page, "error")
    assert "junk.mpt" in text and "\n" not in text and "Traceback" not in text
    assert page.locator("#files-table tr[data-rel='uploaded/junk.mpt'] td.status").inner_text() == "error"
    page.goto(env.srv.url)                                                      # still serving
    page.wait_for_selector(f"#files-table tr[data-rel='{FILE}']")


def test_opening_a_spectrum_shows_the_plot_and_the_recipes_fit(env):
    page = env.page
    page.click(f"#files-table tr[data-rel='{FILE}'] a")
    page.wait_for_selector("#chi2")
    page.wait_for_selector("#eis-nyquist .scatterlayer .trace path.point")
    n = page.locator("#eis-nyquist .scatterlayer .trace").first.locator("path.point").count()
    auto = _direct(env, FILE, {})
    assert n == len(auto.figures["freq_Hz"])                                    # every point of the spectrum
    assert page.locator("#eis-nyquist .scatterlayer .trace").count() >= 2      # data + fit line
    assert float(_chi2(page)) == auto.get("chi2_reduced")                       # the recipe's own number
    assert _value(page, "R_electrolyte_ohm") == auto["R_electrolyte_ohm"].value
    assert page.input_value("#circuit") == auto.get("circuit")
    names = page.eval_on_selector_all("#params tr[data-param]", "rs => rs.map(r => r.dataset.param)")
    assert names == [r[0] for r in auto.table("parameters").rows]
    env.state["n_points"] = n
    page.wait_for_selector("#ea-value")                  # the series panel has been filled


def test_masking_three_points_and_refitting_changes_chi2_and_the_table(env):
    page = env.page
    n = env.state["n_points"]
    chi_before = _chi2(page)
    r1_before = page.input_value("tr[data-param=R1] .p-value input")
    picks = [n - 1, n - 2, n - 3]                     # the lowest frequencies: the top of the electrode spike
    for k, i in enumerate(picks, 1):
        _click_point(page, i)
        page.wait_for_function("k => document.querySelector('#mask-text').innerText.startsWith("
                               "`masked: ${k} point`)", arg=k)
    assert all(f"#{i}" in page.inner_text("#mask-text") for i in picks)
    page.click("#fit-btn")
    page.wait_for_function("prev => document.querySelector('#chi2') && "
                           "document.querySelector('#chi2').dataset.value !== prev", arg=chi_before)
    assert "fitted" in _wait_msg(page, "ok")
    assert _chi2(page) != chi_before
    assert page.input_value("tr[data-param=R1] .p-value input") != r1_before
    kept = _settings(env)[FILE]
    assert sorted(kept["mask"]) == sorted(picks)
    direct = _direct(env, FILE, kept)                  # the page shows exactly the recipe's answer
    assert float(_chi2(page)) == direct.get("chi2_reduced")
    assert _value(page, "R_electrolyte_ohm") == direct["R_electrolyte_ohm"].value
    assert page.locator("#quality li[data-code=points-masked]").count() == 1
    env.state["kept"] = kept
    page.wait_for_function("f => (document.querySelector(`#series-files tr[data-rel='${f}']`) || {}).innerText"
                           "?.includes('✎')", arg=FILE)              # the series panel has caught up
    shot(page, "eis-fit", env.tmp)


def test_a_lasso_masks_the_points_inside_it_and_clear_unmasks(env):
    page = env.page
    _open(env, SERIES[1])
    page.wait_for_selector("#eis-nyquist .scatterlayer .trace path.point")
    page.wait_for_function("() => document.querySelector('#mask-text').innerText === 'no points masked'")
    pts = page.locator("#eis-nyquist .scatterlayer .trace").first.locator("path.point")
    boxes = [pts.nth(i).bounding_box() for i in range(pts.count())]
    centres = [(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2) for b in boxes]
    ys = sorted(c[1] for c in centres)
    cut = ys[3] + (ys[4] - ys[3]) / 2                 # the four highest points (the top of the spike)
    inside = sorted(i for i, c in enumerate(centres) if c[1] < cut)
    xs = [centres[i][0] for i in inside]
    x0, x1, y0 = min(xs) - 12, max(xs) + 12, min(ys) - 12
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, cut), (x0, cut), (x0, y0 + 1)):
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    page.wait_for_function("k => document.querySelector('#mask-text').innerText.startsWith(`masked: ${k} points`)",
                           arg=len(inside))
    assert all(f"#{i}" in page.inner_text("#mask-text") for i in inside)
    page.click("#clear-mask-btn")
    page.wait_for_function("() => document.querySelector('#mask-text').innerText === 'no points masked'")
    assert SERIES[1] not in (yaml.safe_load((env.folder / "cells.sselab.yaml").read_text())["files"]
                             if (env.folder / "cells.sselab.yaml").exists() else {})   # masking alone keeps nothing
    _open(env, FILE)
    page.wait_for_selector("#chi2")


@pytest.mark.parametrize("field, text, words", [
    ("#circuit", "R0-p(R1,CPE1", "missing ')'"),
    ("tr[data-param=R1] .p-lo input", "-5", "negative"),
    ("tr[data-param=R1] .p-value input", "abc", "not a number"),
])
def test_bad_input_is_a_one_line_message_and_the_app_keeps_running(env, field, text, words):
    page = env.page
    old = page.input_value(field)
    kept = _settings(env)[FILE]
    page.fill(field, text)
    page.press(field, "Tab")
    page.click("#fit-btn")
    msg = _wait_msg(page, "error")
    assert words in msg and "\n" not in msg and "Traceback" not in msg
    assert _settings(env)[FILE] == kept                       # nothing kept from a failed fit
    page.fill(field, old)
    page.press(field, "Tab")
    page.click("#fit-btn")                                     # the app still fits
    assert "fitted" in _wait_msg(page, "ok")


def test_apply_to_all_fills_the_series(env):
    page = env.page
    circuit = page.input_value("#circuit")
    page.click("#apply-all-btn")
    page.wait_for_function("() => document.querySelector('#series-msg').innerText.startsWith('applied')")
    assert page.inner_text("#series-msg").startswith(f"applied {circuit} to 5 of 5 files")
    kept = _settings(env)
    assert all(kept[r]["circuit"] == circuit for r in SERIES)
    assert all("initial" in kept[r] for r in SERIES)
    assert kept[FILE]["mask"] == env.state["kept"]["mask"]          # the seed file keeps its mask
    page.wait_for_function("() => [...document.querySelectorAll('#series-files tr[data-rel]')]"
                           ".filter(r => r.innerText.includes('✎')).length === 5")
    for r in SERIES:
        row = page.locator(f"#series-files tr[data-rel='{r}']")
        assert circuit in row.inner_text() and "✎" in row.inner_text()
    # the warm-started fits are ordinary recipe runs: each file alone with its kept options gives the same χ²
    for r in SERIES[1:]:
        assert _direct(env, r, kept[r]).get("chi2_reduced") > 0
    pts = page.locator("#param-plot .scatterlayer .trace").first.locator("path.point").count()
    assert pts == 5


def test_the_arrhenius_panel_shows_the_demos_ea(env):
    page = env.page
    page.wait_for_selector("#ea-value")
    ea = float(page.get_attribute("#ea-value", "data-value"))
    truth = json.loads((env.folder / "truth.json").read_text())["materials"]["Li2NH cold pressed"]["Ea_eV"]
    assert abs(ea - truth) < 0.02
    man = load_manifest(env.folder / "cells.yaml", check_files=False)       # = the report's eis.arrhenius job
    jobs, _ = routing.plan(routing.load(env.folder, man), man)
    job = next(j for j in jobs if j.recipe == "eis.arrhenius" and j.subject == "Li2NH cold pressed")
    assert sum(o is not None for o in job.options["file_options"]) == 5
    assert routing.run(job).result.get("Ea_eV") == ea
    shot(page, "eis-series", env.tmp)


def test_the_exported_script_reproduces_the_number(env, tmp_path):
    page = env.page
    with page.expect_download() as dl:
        page.click("#export-py-btn")
    script = tmp_path / "fit.py"
    dl.value.save_as(script)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    shown = page.inner_text("#quality td[data-key=R_electrolyte_ohm]")
    assert shown in out.stdout
    with page.expect_download() as dl:
        page.click("#export-json-btn")
    doc = json.loads(open(dl.value.path(), encoding="utf-8").read())
    assert doc["file"] == FILE and doc["options"] == _settings(env)[FILE]
    vals = {v["key"]: v["value"] for v in doc["result"]["values"]}
    assert vals["R_electrolyte_ohm"] == _value(page, "R_electrolyte_ohm")


def test_reset_returns_a_file_to_the_automatic_analysis(env):
    page = env.page
    rel = SERIES[1]
    _open(env, rel)
    page.wait_for_selector("#chi2")
    assert rel in _settings(env)
    page.click("#reset-btn")
    assert "automatic analysis" in _wait_msg(page, "ok")
    assert rel not in _settings(env) and FILE in _settings(env)
    auto = _direct(env, rel, {})
    page.wait_for_function("v => document.querySelector('#chi2').dataset.value === v", arg=repr(auto.get("chi2_reduced")))
    assert page.input_value("#circuit") == auto.get("circuit")


def test_dcpol_cv_and_cycling_pages_show_the_recipes_results_with_editable_settings(env):
    page = env.page
    rel = "dcpol/CP_Au-Li2NH-Au_DCpol_0.5V_40C.mpt"
    card = "div[data-recipe=dcpol]"
    _open(env, rel)
    page.wait_for_selector(f"{card} .recipe-result td[data-key]")
    man = load_manifest(env.folder / "cells.yaml", check_files=False)
    it = routing.read_item((env.folder / rel).resolve(), env.folder, man)
    key = next(v.key for v in get("dcpol").run([it.measurement], it.cell).values if v.key.startswith("sigma_e"))
    cell = f"{card} .recipe-result td[data-key={key}]"
    first = float(page.get_attribute(cell, "data-value"))
    assert first == get("dcpol").run([it.measurement], it.cell)[key].value
    field = f"{card} tr[data-opt=window_s] input"
    page.fill(field, "1200")
    page.press(field, "Tab")
    page.click(f"{card} button.run-btn")
    page.wait_for_selector(f"{card} .msg span[data-kind=ok]")
    assert "kept" in page.inner_text(f"{card} .msg")
    assert _settings(env)[rel] == {"window_s": 1200}
    assert float(page.get_attribute(cell, "data-value")) == get("dcpol").run([it.measurement], it.cell,
                                                                             window_s=1200)[key].value
    shot(page, "dcpol", env.tmp)
    page.fill(field, "-3 h")                                                   # bad input: one line
    page.press(field, "Tab")
    page.click(f"{card} button.run-btn")
    page.wait_for_selector(f"{card} .msg span[data-kind=error]")
    assert "\n" not in page.inner_text(f"{card} .msg").strip()
    assert _settings(env)[rel] == {"window_s": 1200}
    for rel, recipe, name in (("cv/Li-Li2NH-steel_CV_1mVs_40C.mpt", "cv", "cv"),
                              ("cycling/Li-Li2NH-Li_SP_03_ladder_40C.mpt", "cycling.symmetric", "cycling")):
        _open(env, rel)
        card = f"div[data-recipe='{recipe}']"
        page.wait_for_selector(f"{card} .recipe-result td[data-key]")
        page.wait_for_selector(f"{card} .recipe-result img.recipe-fig")
        assert page.inner_text(f"{card} .msg").strip() == "" and _msg(page) == ""
        shot(page, name, env.tmp)


def test_settings_survive_a_restart_and_the_report_uses_them(env, tmp_path):
    from sselab.report.build import build_report

    page = env.page
    _open(env, FILE)
    page.wait_for_selector("#chi2")
    chi, R = _chi2(page), _value(page, "R_electrolyte_ohm")
    page.wait_for_selector("#ea-value")               # nothing in flight, then leave the page: the server stops
    page.goto("about:blank")
    env.srv.stop()
    env.srv = AppServer(env.folder, port=0).start()                    # a new session on the same folder
    _open(env, FILE)
    page.wait_for_selector("#chi2")
    assert _chi2(page) == chi and _value(page, "R_electrolyte_ohm") == R
    page.wait_for_function("() => document.querySelector('#mask-text').innerText.startsWith('masked: 3 points')")
    out = tmp_path / "report"
    build_report(env.folder, out, figures=False)
    doc = json.loads((out / "results.json").read_text())
    hit = [r for s in doc["sections"] if s["recipe"] == "eis.blocking" for r in s["results"]
           if r["inputs"][0].endswith(FILE.split("/")[-1])]
    vals = {v["key"]: v["value"] for v in hit[0]["values"]}
    assert vals["R_electrolyte_ohm"] == R and repr(vals["chi2_reduced"]) == chi


def test_no_console_errors(env):
    assert env.console == []
