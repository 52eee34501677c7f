"""The README's two opening commands are the ones CI and users run."""
import re

from conftest import REPO


def _opening_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [ln for ln in block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def test_readme_opens_with_two_commands():
    cmds = _opening_commands()
    assert len(cmds) == 2
    assert "sselab demo" in cmds[0] and "pip install" in cmds[0]
    assert "pytest" in cmds[1] and ".[test]" in cmds[1]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [ln.strip() for ln in ci.splitlines()]
    assert _opening_commands()[1].strip() in ci_lines
    assert "set -euo pipefail" in ci  # a failing test fails CI
