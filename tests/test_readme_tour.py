"""Every `sselab` line of the README's command-line tour runs as printed on the demo data (exit 0, no error) and,
where its comment states a number, prints that number (the demo's simulated truth is what the comment says)."""
import os
import re
import shlex

import pytest
from typer.testing import CliRunner

from conftest import REPO

#: a tour line (by its start) → what its output must show (the README comment's claim)
CLAIMS = {
    "sselab arrhenius eis/HP_": r"Ea\s+│ 0\.439\d* ± ",                                       # "Ea = 0.439 eV"
    "sselab eis fit eis/Li-Li2NH-Li_heat": r"ASR per interface \(R·A/2\)\s+│ 4[5-9](\.\d)? ± ",   # ~47 Ω cm² (Fig. 1g)
    "sselab eis drt": r"(?s)bulk.*grain\s.*electrode",
    "sselab xrd": r"lattice parameter a \(Li2NH-Fd-3m\)\s+│ 10\.0912\d* ± 0\.000\d+ Å(?s:.*)superstructure[^│]*│ yes",
    "sselab nmr": r"Li metal integral change, first → last\s+│ 48\.\d+ ± [\d.]+ %(?s:.*)SSE integral change[^│]*│ 0\.0",
    "sselab operando": r"operando — XRD series(?s:.*)operando — NMR series",
    "sselab cycle cycling/Li-Li2NH-Li_SP": r"no short detected",
    "sselab dcpol": r"ti = 1 − te\s+│ 0\.998",
}
#: tour lines not run here, and where they are tested instead
ELSEWHERE = {"sselab report": "tests/report (the full report on the demo data)"}


def _tour_lines():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    lines = []
    for section in ("## Command-line tour", "### Structure"):
        block = re.search(re.escape(section) + r".*?```bash\n(.*?)```", text, re.S).group(1)
        lines += [ln.split("  #")[0].strip() for ln in block.splitlines() if ln.startswith("sselab ")]
    return lines


LINES = _tour_lines()


def test_every_claim_is_a_tour_line():
    for start in CLAIMS:
        assert any(ln.startswith(start) for ln in LINES), f"README tour has no line starting {start!r}"


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    from sselab.simulate import generate_demo

    root = tmp_path_factory.mktemp("tour") / "sselab-demo" / "data"
    generate_demo(root, small=True)
    return root


@pytest.mark.parametrize("line", [ln for ln in LINES if not any(ln.startswith(k) for k in ELSEWHERE)])
def test_tour_line_runs_and_prints_what_it_says(line, demo_data, tmp_path):
    from sselab.cli import app

    args = []
    for a in shlex.split(line)[1:]:
        if "*" in a:
            args += sorted(str(p.relative_to(demo_data)) for p in demo_data.glob(a))
        elif a.startswith("fig/"):
            args.append(str(tmp_path / a))
        else:
            args.append(a)
    cwd = os.getcwd()
    os.chdir(demo_data)
    try:
        r = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, f"{line}\n{r.output}"
    assert "error:" not in r.output and "Traceback" not in r.output, r.output
    for start, pattern in CLAIMS.items():
        if line.startswith(start):
            assert re.search(pattern, r.output), f"{line}: the README says /{pattern}/, it printed:\n{r.output}"
