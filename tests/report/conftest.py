import json
from pathlib import Path
from types import SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """`sselab demo --small --json` run once through the CLI; returns (paths, results.json, report dir)."""
    from typer.testing import CliRunner

    from sselab.cli import app

    root = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(app, ["demo", "--small", "--out", str(root), "--seed", "7", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    data = Path(summary["data"])
    ds = SimpleNamespace(root=data, truth=data / "truth.json", manifest=data / "cells.yaml", summary=summary)
    out = root / "report"
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return ds, doc, out
