"""Property-based fuzzing of every reader on damaged copies of real files (hypothesis).

For every format sselab reads and every kind of damage (truncation, line deletion / insertion / duplication, byte
flips, re-encodings, a duplicated header), a read of the damaged copy either fails with a one-line SselabError naming
the file, or returns a table that keeps the Measurement contract and whose values match the intact read of the same
file as far as the damage allows (the oracle and what it allows per mutation: ``fuzzlib.py``).  Derandomised, so CI
sees the same cases every run; the long seeded campaign is ``benchmarks/fuzz_readers.py``.
"""
from __future__ import annotations

import random
import warnings
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import INSTRUMENTS, shared_path

import fuzzlib
from sselab.errors import SselabError
from sselab.io import read

from hypothesis import HealthCheck, given, settings  # the test extra
from hypothesis import strategies as st

FORMATS = ("biologic-mpt", "biologic-mpr", "zview-z", "gamry-dta", "ivium-idf", "versastudio-par", "text",
           "cycler-csv", "palmsens-pssession", "autolab-dfr")
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@lru_cache(maxsize=1)
def _samples(per_format: int = 3, max_bytes: int = 300_000) -> dict[str, list[tuple[Path, bytes, fuzzlib.Reference]]]:
    """The smallest readable real files of each format, with their intact reads."""
    found: dict[str, list] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in sorted(INSTRUMENTS.rglob("*")):
            if not p.is_file() or p.stat().st_size > max_bytes:
                continue
            try:
                m = read(p)
            except SselabError:
                continue
            found.setdefault(m.format, []).append((p.stat().st_size, p, m))
    out = {}
    for fmt, items in found.items():
        out[fmt] = [(p, p.read_bytes(), fuzzlib.Reference.of(m, p.read_bytes())) for _s, p, m in sorted(items)[:per_format]]
    return out


def _check(tmp: Path, src: Path, ref: fuzzlib.Reference, mut: fuzzlib.Mutation) -> fuzzlib.Verdict:
    target = tmp / f"mut{src.suffix}"
    target.write_bytes(mut.data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak to the terminal
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            meas = read(target)
        except Exception as exc:  # noqa: BLE001 - judged below
            return fuzzlib.judge_exception(exc, target)
    return fuzzlib.judge(meas, ref, mut)


def test_every_format_has_samples():
    shared_path("data", "instruments")
    assert set(FORMATS) <= set(_samples()), set(FORMATS) - set(_samples())


@pytest.mark.parametrize("kind", fuzzlib.KINDS)
@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_damaged_copies_fail_cleanly_or_read_what_the_intact_file_holds(fmt, kind, data, tmp_path_factory):
    shared_path("data", "instruments")
    files = _samples()[fmt]
    src, raw, ref = data.draw(st.sampled_from(files), label="file")
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="seed")
    mut = fuzzlib.mutate(raw, kind, random.Random(seed), ref)
    v = _check(tmp_path_factory.mktemp("fz"), src, ref, mut)
    assert not v.bad, f"{src.name}: {kind} ({mut.note}): {v.status}: {v.detail}"


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_every_truncation_point_gives_a_prefix(fmt, data, tmp_path_factory):
    """Truncations drawn byte by byte (hypothesis shrinks a failure to the smallest cut)."""
    shared_path("data", "instruments")
    src, raw, ref = data.draw(st.sampled_from(_samples()[fmt]), label="file")
    cut = data.draw(st.integers(1, len(raw) - 1), label="cut")
    mut = fuzzlib.Mutation("truncate", raw[:cut], (raw.count(b"\n", 0, cut) + 1,), f"cut at byte {cut}", byte=cut)
    v = _check(tmp_path_factory.mktemp("tr"), src, ref, mut)
    assert not v.bad, f"{src.name}: cut at {cut}: {v.status}: {v.detail}"


def test_the_oracle_catches_a_silent_shift(tmp_path):
    """The oracle is not blind: a read that shifts values without a warning is called silent."""
    shared_path("data", "instruments")
    src, raw, ref = _samples()["cycler-csv"][0]
    m = read(src)
    m.data["potential_V"] = m.data["potential_V"].shift(1).bfill()
    mut = fuzzlib.Mutation("delete", raw, (ref.data_lines[0] + 1,), "pretend")
    assert fuzzlib.judge(m, ref, mut).status == "silent"
