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
def in_demo_dir(tmp_path):
    from sselab.simulate import generate_demo

    generate_demo(tmp_path / "sselab-demo" / "data", small=True)   # the layout `sselab demo --out sselab-demo` writes
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(cwd)


def test_readme_store_commands_and_python_example(in_demo_dir):
    sec = _section()
    shell = re.search(r"```bash\n(.*?)```", sec, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in shell.splitlines() if ln.startswith("sselab ")]
    assert [c.split()[1] for c in commands] == ["batch", "query", "query", "query"]
    for c in commands:
        args = shlex.split(c)
        if ">" in args:
            args = args[:args.index(">")]
        res = cli(*args[1:])
        if "--csv" in args:
            assert res.stdout.splitlines()[0] == "file,T_K,value,stderr" and len(res.stdout.splitlines()) > 15
    code = re.search(r"```python\n(.*?)```", sec, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    text = out.getvalue()
    assert "0 units analysed, 12 unchanged" in text          # the CLI made the store just before
    for mat in ("Li2NH hot pressed", "Li2NH cold pressed", "Li2NH milled + cold pressed"):
        assert mat in text
    m = re.search(r"([\d.]+) ± ([\d.]+) eV \| ([\d.]+) ± ([\d.]+) mS/cm", text)
    assert m, text
    ea, ea_err, s30, _ = map(float, m.groups())
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
