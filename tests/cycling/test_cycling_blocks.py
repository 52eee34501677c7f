"""Issue 17: segmentation works through a record in blocks of rows on the reader's dtypes — and gives exactly (bit
for bit) what one pass over float64 copies of the whole record gives.

The reference for every comparison is the same code with one block spanning the whole record (``CHUNK_ROWS``
larger than the record), which is the single-pass algorithm of the previous release; float32 inputs are compared
against their exact float64 copies."""
import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ladder_model import UA_CM2, make_ladder  # noqa: E402

from conftest import shared_path  # noqa: E402
from sselab.cycling import analyze_full_cell, analyze_symmetric, segment  # noqa: E402
from sselab.cycling.segment import as_arrays  # noqa: E402
from sselab.io import read  # noqa: E402

segmod = importlib.import_module("sselab.cycling.segment")   # (sselab.cycling.segment is also the function)

ECLAB = ("data", "instruments", "dgbowl+yadg", "tests", "test_x_eclab")
JDB = ("data", "instruments", "be-smith+navani", "Example_data", "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr")


def _same(a, b, path=""):
    """Every field of two results equal, bit for bit (NaN equal to NaN), recursing into nested results."""
    if hasattr(a, "__dataclass_fields__"):
        for k in a.__dataclass_fields__:
            _same(getattr(a, k), getattr(b, k), f"{path}.{k}")
    elif isinstance(a, (tuple, list)) and not isinstance(a, str):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert a == b, path


def _in_blocks(monkeypatch, rows, fn):
    monkeypatch.setattr(segmod, "CHUNK_ROWS", rows)
    try:
        return fn()
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def ladder():
    # ~37 000 rows: 145 blocks of 256 rows, a tail that is not a whole noise block, a soft and a hard short
    return make_ladder(((5 * UA_CM2, 8), (20 * UA_CM2, 8), (40 * UA_CM2, 4)), dt=2.0, soft_at=(6,), hard_at=18,
                       spike_V=2e-4, seed=5)


@pytest.mark.parametrize("rows", [256, 512, 2304])
@pytest.mark.parametrize("opts", [{}, {"split_steps": False}, {"rest_threshold_A": 1e-7}])
def test_blocks_give_the_single_pass_result_bit_for_bit(monkeypatch, ladder, rows, opts):
    arrays = (ladder.time_s, ladder.potential_V, ladder.current_A)
    whole = segment(*arrays, **opts)
    _same(_in_blocks(monkeypatch, rows, lambda: segment(*arrays, **opts)), whole)


def test_symmetric_and_full_cell_analyses_in_blocks(monkeypatch, ladder):
    arrays = (ladder.time_s, ladder.potential_V, ladder.current_A)
    sym = analyze_symmetric(arrays, area_m2=ladder.area_m2)
    assert sym.hard_short is not None and sym.hard_short.cycle == 18
    _same(_in_blocks(monkeypatch, 256, lambda: analyze_symmetric(arrays, area_m2=ladder.area_m2)), sym)
    m = read(shared_path(*JDB))
    full = analyze_full_cell(m, active_mass_kg=1e-6)
    _same(_in_blocks(monkeypatch, 256, lambda: analyze_full_cell(m, active_mass_kg=1e-6)), full)


@pytest.mark.parametrize("name", ["mb.mpt", "mb.mpr", "cp.issue_61.mpt", "gcpl.issue_175.mpr"])
def test_real_files_in_blocks(monkeypatch, name):
    m = read(shared_path(*ECLAB, name))
    if len(m) <= 256:
        pytest.fail(f"{name}: expected a record longer than one block of 256 rows, got {len(m)}")
    _same(_in_blocks(monkeypatch, 256, lambda: segment(m)), segment(m))


@pytest.mark.parametrize("n", [3, 4, 7, 100, 127, 128, 200, 255, 256, 257, 511, 513, 1000, 1024, 1279])
def test_block_noise_floor_matches_the_single_pass_padding(monkeypatch, n):
    """The 256-row block medians, including the padded last block (reflected, or repeated for < 128 rows)."""
    rng = np.random.default_rng(n)
    cur = np.where(rng.random(n) < 0.5, 1e-3, -1e-3) + rng.normal(0, 1e-6, n)
    dd = np.empty(n)
    np.subtract(cur[1:], cur[:-1], out=dd[1:])
    np.abs(dd, out=dd)
    dd[0] = dd[1]
    want = segmod._block_median(dd, 256)
    for rows in (256, 512, 1 << 18):
        monkeypatch.setattr(segmod, "CHUNK_ROWS", rows)
        got = np.repeat(segmod._block_medians(cur), 256)[:n]
        assert np.array_equal(got, want), rows


def test_float32_inputs_are_not_copied_and_give_the_float64_result(ladder):
    v32 = ladder.potential_V.astype(np.float32)
    i32 = ladder.current_A.astype(np.float32)
    df = pd.DataFrame({"time_s": ladder.time_s, "potential_V": v32, "current_A": i32})
    t, v, i, _ = as_arrays(df)
    assert t.dtype == np.float64 and v.dtype == np.float32 and i.dtype == np.float32
    _same(segment(df), segment(ladder.time_s, v32.astype(np.float64), i32.astype(np.float64)))
    a = analyze_symmetric(df, area_m2=ladder.area_m2)
    b = analyze_symmetric((ladder.time_s, v32.astype(np.float64), i32.astype(np.float64)), area_m2=ladder.area_m2)
    _same(a, b)
    assert a.trace_V.dtype == np.float64 and a.eta_mean_V.dtype == np.float64
