"""Output safety: sselab writes only into folders it created, never into or around its inputs (issue 12)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_blocking_spectra
from sselab.cli import app
from sselab.outputs import MARKER, OutputDir, OutputError, check_output_dir, output_lock, write_tree


def _snapshot(root: Path) -> dict:
    """Every file below ``root`` with its content hash (directories included as entries)."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "measurements"
    write_blocking_spectra(d, (30, 60))
    (d / "notes.txt").write_text("my lab notes, not data\n")
    return d


def _refused(res, *words):
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert "Traceback" not in res.output


def _report(*args):
    return CliRunner().invoke(app, ["report", *map(str, args), "--no-figures"])


def test_out_equal_to_input_is_refused_and_input_survives(data):
    before = _snapshot(data)
    _refused(_report(data, "--out", data), "input")
    assert _snapshot(data) == before


def test_out_parent_of_input_is_refused(data, tmp_path):
    before = _snapshot(tmp_path)
    _refused(_report(data, "--out", tmp_path))
    assert _snapshot(tmp_path) == before


def test_out_inside_input_is_refused(data):
    before = _snapshot(data)
    _refused(_report(data, "--out", data / "report"), "inside the input")
    assert _snapshot(data) == before


def test_existing_foreign_folder_is_refused(data, tmp_path):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "thesis.tex").write_text("years of work")
    before = _snapshot(home)
    _refused(_report(data, "--out", home), "not written by sselab")
    assert _snapshot(home) == before


def test_existing_file_is_refused(data, tmp_path):
    f = tmp_path / "results.xlsx"
    f.write_bytes(b"precious")
    _refused(_report(data, "--out", f), "existing file")
    assert f.read_bytes() == b"precious"


def test_out_below_a_file_is_refused(data, tmp_path):
    f = tmp_path / "some_file"
    f.write_text("x")
    _refused(_report(data, "--out", f / "sub"), "is a file")
    assert f.read_text() == "x"


def test_unwritable_location_is_one_line(data):
    _refused(_report(data, "--out", "/sys/sselab-test-out"))


def test_read_only_folder_is_one_line(data, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:
        # root ignores folder permissions: the kernel's answer for everyone else (EACCES) is given here instead
        import errno
        import pathlib

        real_mkdir, real_open = pathlib.Path.mkdir, os.open

        def mkdir(self, *a, **k):
            if str(self).startswith(str(ro) + os.sep):
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real_mkdir(self, *a, **k)

        def open_(path, *a, **k):
            if str(path).startswith(str(ro) + os.sep):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, *a, **k)

        monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
        monkeypatch.setattr(os, "open", open_)
    try:
        _refused(_report(data, "--out", ro / "rep"))
        assert not (ro / "rep").exists()
    finally:
        ro.chmod(0o755)


def test_report_replaces_only_its_own_folder(data, tmp_path):
    out = tmp_path / "rep"
    res = _report(data, "--out", out)
    assert res.exit_code == 0, res.output
    assert (out / MARKER).is_file() and (out / "report.html").is_file()
    (out / "stale-from-first-run.txt").write_text("x")   # (pretend the first run wrote it)
    res = _report(data, "--out", out)              # an earlier sselab report is replaced as a whole
    assert res.exit_code == 0, res.output
    assert json.loads((out / "results.json").read_text())["files"]
    assert not (out / "stale-from-first-run.txt").exists()
    assert json.loads((out / MARKER).read_text())["kind"] == "report"
    # an empty folder the user made is fine too
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _report(data, "--out", empty).exit_code == 0


def test_leftovers_of_interrupted_runs_are_cleaned_only_when_ours(data, tmp_path):
    out = tmp_path / "rep"
    ours = tmp_path / ".rep.sselab-tmp-123-abc"
    ours.mkdir()
    (ours / MARKER).write_text('{"tool": "sselab", "kind": "report"}')
    theirs = tmp_path / ".rep.sselab-old-999-zzz"      # same pattern, but not sselab's: left alone
    theirs.mkdir()
    (theirs / "keep.txt").write_text("keep")
    assert _report(data, "--out", out).exit_code == 0
    assert not ours.exists()
    assert (theirs / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".rep")) == [theirs.name]


def test_second_writer_gets_one_line(data, tmp_path):
    out = tmp_path / "rep"
    with output_lock(Path(os.path.abspath(out))):
        _refused(_report(data, "--out", out), "another sselab run")
    assert _report(data, "--out", out).exit_code == 0     # the lock is gone afterwards
    assert not list(tmp_path.glob(".rep.sselab-lock"))


def test_two_concurrent_reports_never_traceback(data, tmp_path):
    out = tmp_path / "rep"
    cmd = [sys.executable, "-m", "sselab.cli", "report", str(data), "--out", str(out), "--no-figures"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert all(rc in (0, 2) for _, _, rc in results), results
    assert any(rc == 0 for _, _, rc in results)
    for _, err, rc in results:
        assert "Traceback" not in err
        if rc == 2:
            assert "another sselab run" in err
    assert (out / "report.html").is_file()


def test_interrupted_write_tree_keeps_previous(tmp_path):
    out = tmp_path / "o"
    with write_tree(out, kind="t") as tmp:
        (tmp / "a.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with write_tree(out, kind="t") as tmp:
            (tmp / "a.txt").write_text("new")
            raise RuntimeError("interrupted")
    assert (out / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_figure_commands_refuse_foreign_folders_and_files(data, tmp_path):
    spec = data / "p_30C.mpt"
    foreign = tmp_path / "figs"
    foreign.mkdir()
    (foreign / "paper.docx").write_bytes(b"x")
    res = CliRunner().invoke(app, ["eis", "fit", str(spec), "--out", str(foreign)])
    _refused(res, "not written by sselab")
    # writing into the input's folder is refused as well
    res = CliRunner().invoke(app, ["eis", "kk", str(spec), "--out", str(data)])
    _refused(res)
    # a folder sselab made: written, and a user file beside the outputs is never replaced
    figs = tmp_path / "ok"
    res = CliRunner().invoke(app, ["eis", "kk", str(spec), "--out", str(figs)])
    assert res.exit_code == 0, res.output
    written = set(p.name for p in figs.iterdir())
    assert MARKER in written and any(n.endswith(".png") for n in written)
    od = OutputDir.prepare(figs)
    (figs / "mine.csv").write_text("user")
    with pytest.raises(OutputError, match="not written by sselab"):
        od.claim("mine.csv")
    assert (figs / "mine.csv").read_text() == "user"
    res = CliRunner().invoke(app, ["eis", "kk", str(spec), "--out", str(figs)])   # rerun overwrites its own
    assert res.exit_code == 0, res.output


def test_demo_refuses_a_foreign_folder(tmp_path):
    d = tmp_path / "stuff"
    d.mkdir()
    (d / "x.txt").write_text("x")
    res = CliRunner().invoke(app, ["demo", "--small", "--out", str(d)])
    _refused(res)
    assert [p.name for p in d.iterdir()] == ["x.txt"]


def test_symlink_out_is_refused(tmp_path, data):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="symbolic link"):
        check_output_dir(link, [data])
