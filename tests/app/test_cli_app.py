"""`sselab app`: serves the folder on loopback, stops cleanly on Ctrl-C, one-line errors for bad arguments."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np

from sselab.simulate.models import ArrheniusLaw, eis_blocking


def _sselab(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "sselab.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_sselab_app_serves_on_loopback_and_stops_on_ctrl_c(tmp_path):
    eis_blocking(303.15, bulk=ArrheniusLaw(1e-2, 0.45), rng=np.random.default_rng(0)).write(tmp_path / "p_30C.mpt")
    env = dict(os.environ, BROWSER="false")           # never a real browser, even without --no-browser
    proc = _sselab("app", str(tmp_path), "--port", "0", "--no-browser", env=env)
    try:
        url = None
        t0 = time.time()
        while url is None and time.time() - t0 < 120:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            url = m.group(1) if m else None
        assert url, f"no URL printed (exit {proc.poll()})"
        html = urllib.request.urlopen(url, timeout=30).read().decode()
        assert "<title>sselab</title>" in html
        layout = urllib.request.urlopen(url + "_dash-layout", timeout=30).read().decode()
        assert "url" in layout and "page" in layout
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    assert not list(tmp_path.glob("*.part"))


def test_bad_arguments_are_one_line_errors(tmp_path):
    p = _sselab("app", str(tmp_path / "nope"), "--no-browser")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 2 and "no such folder" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    p = _sselab("app", str(tmp_path), "--port", "70000", "--no-browser")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 2 and "--port 70000" in err


def test_app_on_a_results_store_opens_the_folder_it_was_made_from(tmp_path):
    """`sselab app STORE`: the store stands for its source folder (what the app keeps there is what the next
    `sselab batch` of that folder runs); a store whose folder is gone is a one-line error."""
    import shutil

    import pytest
    from typer.testing import CliRunner

    from sselab.cli import app
    from sselab.commands.app import _from_store
    from sselab.errors import SselabError

    data = tmp_path / "data"
    data.mkdir()
    eis_blocking(303.15, bulk=ArrheniusLaw(1e-2, 0.45), rng=np.random.default_rng(0)).write(data / "p_30C.mpt")
    store = tmp_path / "results.store"
    r = CliRunner().invoke(app, ["batch", str(data), "--store", str(store), "--jobs", "1"])
    assert r.exit_code == 0, r.output
    folder, manifest = _from_store(store, None)
    assert folder.resolve() == data.resolve() and manifest is None
    assert _from_store(data, None) == (data, None)                 # a plain folder is itself
    shutil.rmtree(data)
    with pytest.raises(SselabError, match="not here any more"):
        _from_store(store, None)
