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
    assert cmds[1].strip() == "bash .ci/run"          # (b) is what CI runs, word for word


def test_ci_installs_everything_and_runs_pytest():
    """.ci/run works on a fresh machine: the Debian packages the tests drive, a fresh venv with the test extra,
    pytest; a failing command (a test, an install) fails CI."""
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci
    assert "apt-get install" in ci and "chromium" in ci and "mdbtools" in ci
    last = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")][-1]
    assert "python3 -m venv .venv" in last and "pip install -e '.[test]'" in last and last.endswith("python -m pytest -q")
