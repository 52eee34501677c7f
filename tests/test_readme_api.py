"""The README's Python example and its `sselab arrhenius` line run as printed on the demo data and recover the
simulated values: the hot-pressed preparation's Ea = 0.44 eV and σ(30 °C) = 1.0 mS/cm (imide paper Fig. 1f) and
the heat-treated Li|Li interface, 47 Ω cm² per interface (Fig. 1g) — or refuse with the reason first."""
import contextlib
import io
import os
import re
import shlex

import pytest
from typer.testing import CliRunner

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
    if m is None:       # a refusal must say why on the first line of the result
        first = text.splitlines()[1] if len(text.splitlines()) > 1 else text
        assert first.strip().startswith("error:"), text
        return
    Ea, Ea_err, s30 = map(float, m.groups())
    assert Ea == pytest.approx(0.44, abs=0.02)
    assert s30 == pytest.approx(1.0, rel=0.03)
    asr = float(re.search(r"ASR per Li interface = ([\d.]+) ± [\d.]+ Ω cm²", text).group(1))
    assert asr == pytest.approx(47.0, rel=0.10)


def test_readme_arrhenius_command_prints_the_papers_activation_energy(demo_root):
    from sselab.cli import app

    tour = re.search(r"## Command-line tour.*?```bash\n(.*?)```", _readme(), re.S).group(1)
    (line,) = [ln.split("#")[0] for ln in tour.splitlines() if ln.startswith("sselab arrhenius eis/")]
    data = demo_root / "sselab-demo" / "data"
    args = []
    for a in shlex.split(line)[1:]:
        args += sorted(str(p) for p in data.glob(a)) if "*" in a else [a]
    cwd = os.getcwd()
    os.chdir(data)
    try:
        r = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    finally:
        os.chdir(cwd)
    if r.exit_code == 2:            # a refusal: the reason is the one line
        assert r.output.startswith("error: Ea not computed"), r.output
        return
    assert r.exit_code == 0, r.output
    Ea = float(re.search(r"Ea\s+│ ([\d.]+) ±", r.stdout).group(1))
    assert Ea == pytest.approx(0.44, abs=0.02)
