"""The README's Python example runs as printed on the demo data and recovers the simulated values: the hot-pressed
preparation's Ea = 0.44 eV and σ(30 °C) = 1.0 mS/cm (imide paper Fig. 1f) and the heat-treated Li|Li interface,
47 Ω cm² per interface (Fig. 1g).  The CLI tour's lines: tests/test_readme_tour.py."""
import contextlib
import io
import os
import re

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    from sselab.simulate import generate_demo

    root = tmp_path_factory.mktemp("readme")
    generate_demo(root / "sselab-demo" / "data", small=True)    # the layout `sselab demo --out sselab-demo` writes
    return root


def _readme():
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_python_example_runs(demo_root):
    code = re.search(r"## Python API.*?```python\n(.*?)```", _readme(), re.S).group(1)
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(demo_root)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    text = out.getvalue()
    m = re.search(r"Ea = ([\d.]+) ± ([\d.]+) eV,  σ\(30 °C\) = ([\d.]+) ± [\d.]+ mS/cm", text)
    assert m, text      # the example prints what the README says it prints (its `sselab arrhenius` line: test_readme_tour)
    Ea, Ea_err, s30 = map(float, m.groups())
    assert Ea == pytest.approx(0.44, abs=0.02)
    assert s30 == pytest.approx(1.0, rel=0.03)
    asr = float(re.search(r"ASR per Li interface = ([\d.]+) ± [\d.]+ Ω cm²", text).group(1))
    assert asr == pytest.approx(47.0, rel=0.10)
