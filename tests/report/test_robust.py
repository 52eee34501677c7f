"""A folder with a corrupt file still gives a complete report with the file flagged; output is atomic."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import write_blocking_spectra
from sselab.simulate import dc_polarization


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "data"
    write_blocking_spectra(d, (30, 60))
    dc_polarization(duration_s=3600, rng=1).write(d / "dc_40C.mpt")
    (d / "broken.mpt").write_bytes(b"EC-Lab ASCII FILE\r\nNb header lines : 90\r\n\x00\x01garbage\r\n")
    (d / "empty.csv").write_text("")
    (d / "cells.yaml").write_text(
        "cells:\n  - name: P\n    material: test SSE\n    thickness: 1 mm\n    diameter: 10 mm\n"
        "    electrodes: Au|Au\n    files: [p_30C.mpt, p_60C.mpt, dc_40C.mpt]\n", encoding="utf-8")
    return d


def test_corrupt_file_flagged_report_complete(folder, tmp_path):
    from sselab.report import build_report

    out = tmp_path / "out"
    rep = build_report(folder, out, figures=False)
    failed = {r.rel: r.error for r in rep.failed_files}
    assert set(failed) == {"broken.mpt", "empty.csv"}
    assert all(e and "\n" not in e for e in failed.values())
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "could not be read" in html and "broken.mpt" in html and "empty.csv" in html
    doc = json.loads((out / "results.json").read_text())
    status = {f["file"]: f["status"] for f in doc["files"]}
    assert status["broken.mpt"] == "error" and status["p_30C.mpt"] == "ok"
    kinds = {s["kind"] for s in doc["sections"]}
    assert {"eis", "arrhenius", "dcpol"} <= kinds


def test_interrupted_run_keeps_previous_report(folder, tmp_path, monkeypatch):
    from sselab.report import build, build_report

    out = tmp_path / "out"
    build_report(folder, out, figures=False)           # the previous report (a folder sselab wrote)
    previous = (out / "report.html").read_text()

    def boom(rep):
        raise KeyboardInterrupt

    monkeypatch.setattr("sselab.report.html.render", boom)
    with pytest.raises(KeyboardInterrupt):
        build_report(folder, out, figures=False)
    assert (out / "report.html").read_text() == previous
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    assert build is not None


def test_cli_report_json(folder, tmp_path):
    from sselab.cli import app

    out = tmp_path / "cli-out"
    res = CliRunner().invoke(app, ["report", str(folder), "--out", str(out), "--json", "--no-figures"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["failed"]) == 2 and (out / "report.html").exists()


def test_cli_report_missing_folder(tmp_path):
    from sselab.cli import app

    res = CliRunner().invoke(app, ["report", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "no such directory" in res.output


def test_missing_manifest_file_is_flagged_not_fatal(folder, tmp_path):
    from sselab.report import build_report

    man = folder / "cells.yaml"
    man.write_text(man.read_text().replace("dc_40C.mpt]", "dc_40C.mpt, gone_50C.mpt]"), encoding="utf-8")
    rep = build_report(folder, tmp_path / "o", figures=False)
    failed = {r.rel: r.error for r in rep.failed_files}
    assert "gone_50C.mpt" in failed and "not found" in failed["gone_50C.mpt"]
