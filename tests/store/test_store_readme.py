"""The README's "Results store and batch runs" examples run as printed (on the small demo data set)."""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex

import pytest

from conftest import REPO
from store_helpers import cli


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.search(r"## Results store and batch runs\n(.*?)\n## ", text, re.S).group(1)


@pytest.fixture
def in_demo_dir(tmp_path, demo):
    """The layout `sselab demo --small --out sselab-demo` writes (the session's small demo, the default seed), and
    the store the README's `sselab batch` line makes (the session's): that line then runs as a re-run."""
    import shutil

    (tmp_path / "sselab-demo").mkdir()
    (tmp_path / "sselab-demo" / "data").symlink_to(demo.data, target_is_directory=True)
    shutil.copytree(demo.store, tmp_path / "results.store", symlinks=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(cwd)


def test_readme_store_commands_and_python_example(in_demo_dir, demo):
    sec = _section()
    shell = re.search(r"```bash\n(.*?)```", sec, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in shell.splitlines() if ln.startswith("sselab ")]
    assert [c.split()[1] for c in commands] == ["demo", "batch", "query", "query", "query"]
    assert shlex.split(commands[0])[2:] == ["--small", "--out", "sselab-demo"]    # made by the demo fixture
    for c in commands[1:]:
        args = shlex.split(c)
        if ">" in args:
            args = args[:args.index(">")]
        res = cli(*args[1:])
        if "--csv" in args:
            lines = res.stdout.splitlines()
            assert lines[0] == "subject,parameter,value,stderr" and len(lines) > 15
    code = re.search(r"```python\n(.*?)```", sec, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    text = out.getvalue()
    n = demo.first["units"]
    said = " ".join(sec.split())
    assert f"0 units analysed, {n} unchanged" in text and f"prints `0 units analysed, {n} unchanged`" in said
    for mat in ("Li2NH hot pressed", "Li2NH cold pressed", "Li2NH milled + cold pressed"):
        assert mat in text
    m = re.search(r"([\d.]+ ± [\d.]+ eV \| [\d.]+ ± [\d.]+ mS/cm)", text)
    assert m and f"`{m.group(1)}`" in said, text                 # printed as the README says
    ea, ea_err, s30, _ = map(float, re.findall(r"[\d.]+", m.group(1)))
    assert ea == pytest.approx(0.44, abs=max(3 * ea_err, 0.005))     # simulated: 0.44 eV, 1.0 mS/cm (paper Fig. 1f)
    assert s30 == pytest.approx(1.0, rel=0.02)


def test_readme_cluster_commands_exist():
    sec = _section()
    blocks = re.findall(r"```bash\n(.*?)```", sec, re.S)
    cluster = blocks[1]
    assert "dask scheduler --host 127.0.0.1 --port 8786" in cluster and "dask worker tcp://127.0.0.1:8786" in cluster
    line = next(ln for ln in cluster.splitlines() if ln.startswith("sselab batch"))
    help_text = cli("batch", "--help").stdout
    for opt in re.findall(r"--[a-z-]+", line):
        assert opt in help_text
