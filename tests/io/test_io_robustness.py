"""Robustness contract of ``sselab.io.read``: on ANY file it returns a Measurement or raises a one-line
:class:`SselabError` naming the file — never another exception type, never a library warning on stderr.

Checked on every file under ../shared/data (supported or not) and on damaged copies (truncated, byte-flipped) of a
few real files of each format.  Skipped cleanly without ../shared."""
from __future__ import annotations

import random
import warnings
from pathlib import Path

import pytest
from conftest import shared_path

from sselab.errors import SselabError
from sselab.io import Measurement, read


def _check(path: Path):
    """Read ``path`` under the contract; return the Measurement or None (a proper error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            m = read(path)
        except SselabError as exc:
            msg = str(exc)
            assert "\n" not in msg and "\r" not in msg, f"multi-line message for {path}: {msg!r}"
            assert str(path) in msg, f"message does not name the file: {msg!r}"
            assert "Traceback" not in msg
            return None
        except Exception as exc:  # noqa: BLE001 - that is the point of the test
            pytest.fail(f"{path}: {type(exc).__name__} escaped read(): {exc}")
        assert isinstance(m, Measurement)
        # a valid file without records (e.g. a Neware test that logged nothing yet) is an empty table WITH a warning
        assert len(m.data) > 0 or (m.extra.get("empty_table") and m.warnings)
        # what `sselab info` does with it must not blow up either
        m.summary()
        if m.is_eis:
            m.spectra()
        return m


def _all_files():
    data = shared_path("data")
    return sorted(p for p in data.rglob("*") if p.is_file())


def test_every_shared_file_reads_or_fails_cleanly():
    files = _all_files()
    assert len(files) >= 200
    ok = sum(_check(p) is not None for p in files)
    # most instrument files are readable; the rest (zip/Access/Neware binaries, settings/log files, docs) error
    assert ok >= 150, ok
    assert len(files) - ok >= 20


def _samples(per_format: int = 3) -> dict[str, list[Path]]:
    """The ``per_format`` smallest readable real files of each format."""
    out: dict[str, list[tuple[int, Path]]] = {}
    for p in shared_path("data", "instruments").rglob("*"):
        if not p.is_file():
            continue
        try:
            m = read(p)
        except SselabError:
            continue
        out.setdefault(m.format, []).append((p.stat().st_size, p))
    return {k: [p for _, p in sorted(v)[:per_format]] for k, v in out.items()}


@pytest.fixture(scope="module")
def samples():
    return _samples()


def test_samples_cover_every_format(samples):
    assert {"biologic-mpt", "biologic-mpr", "zview-z", "gamry-dta", "text", "cycler-csv"} <= set(samples)


def test_truncated_copies(samples, tmp_path):
    for fmt, paths in samples.items():
        for p in paths:
            raw = p.read_bytes()
            n = len(raw)
            for cut in sorted({1, 2, 16, 64, 200, 600, 1500, 4000, n // 7, n // 3, n // 2, n - 2, n - 1}):
                if not 0 < cut < n:
                    continue
                q = tmp_path / f"cut{cut}_{p.name}"
                q.write_bytes(raw[:cut])
                _check(q)


def test_byte_flipped_copies(samples, tmp_path):
    rng = random.Random(20261122)
    for fmt, paths in samples.items():
        for p in paths:
            raw = p.read_bytes()
            for k in range(6):
                b = bytearray(raw)
                for _ in range(rng.choice((1, 4, 32))):
                    b[rng.randrange(len(b))] = rng.randrange(256)
                q = tmp_path / f"flip{k}_{p.name}"
                q.write_bytes(bytes(b))
                _check(q)


def test_header_damage(samples, tmp_path):
    """Zeroed, NUL-filled and duplicated headers: the kinds of damage a bad copy or a crashed writer leaves."""
    for fmt, paths in samples.items():
        p = paths[0]
        raw = p.read_bytes()
        for tag, data in {
            "zeros": b"\x00" * 512 + raw[512:],
            "doubled": raw[: len(raw) // 2] + raw,
            "nul_tail": raw + b"\x00" * 4096,
            "utf16": raw[:2000].decode("latin-1").encode("utf-16"),
        }.items():
            q = tmp_path / f"{tag}_{p.name}"
            q.write_bytes(data)
            _check(q)
