"""The README's Python example runs as printed on demo data and recovers the simulated Ea and σ(30 °C)."""
import contextlib
import io
import os
import re

import pytest

from conftest import REPO


def test_readme_python_example_runs(tmp_path):
    from sselab.simulate import generate_demo

    generate_demo(tmp_path / "sselab-demo" / "data", small=True)  # the layout `sselab demo --out sselab-demo` writes
    text = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Python API.*?```python\n(.*?)```", text, re.S).group(1)
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    m = re.search(r"Ea = ([\d.]+) ± ([\d.]+) eV,  σ\(30 °C\) = ([\d.]+) mS/cm", out.getvalue())
    assert m, out.getvalue()
    Ea, Ea_err, s30 = map(float, m.groups())
    # the demo's cold-pressed pellet was simulated with Ea = 0.50 eV and σ(30 °C) = 0.054 mS/cm (imide paper Fig 1f)
    assert Ea == pytest.approx(0.50, abs=max(3 * Ea_err, 0.005))
    assert s30 == pytest.approx(0.054, rel=0.03)
