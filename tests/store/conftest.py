import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:          # the test router must be importable by pool / Dask worker processes too
    sys.path.insert(0, str(HERE))


def cli(*args, ok: bool = True):
    """Run ``sselab ARGS`` in-process; returns the CliRunner result (asserting exit 0 unless ``ok=False``)."""
    from typer.testing import CliRunner

    from sselab.cli import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def table_rows(store_path, mtime: bool = True) -> dict:
    """Every table of a store as sorted rows (timing columns of ``units`` left out; ``files.mtime`` too with
    ``mtime=False``, for stores made from files rewritten with the same content): equal stores compare equal."""
    from sselab import store

    out = {}
    with store.open(store_path) as st:
        for name in st.tables():
            ex = (" EXCLUDE (seconds, worker)" if name == "units" else
                  " EXCLUDE (mtime)" if name == "files" and not mtime else "")
            cols, rows = st.rows(f'SELECT *{ex} FROM "{name}" ORDER BY ALL')
            out[name] = (cols, rows)
    return out


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The small demo data set (sselab.simulate.generate_demo) and a store made from it by `sselab batch -j 2`."""
    from sselab.simulate import generate_demo

    root = tmp_path_factory.mktemp("store-demo")
    ds = generate_demo(root / "data", small=True, seed=11)
    store = root / "results.store"
    res = cli("batch", ds.root, "--store", store, "--jobs", 2, "--json")
    return SimpleNamespace(data=ds.root, truth=json.loads(ds.truth.read_text()), store=store,
                           first=json.loads(res.stdout), root=root)


@pytest.fixture
def series(tmp_path):
    """Eight blocking-cell spectra (30–100 °C) for the test router (tests/store/store_router.py)."""
    import store_router

    data = tmp_path / "data"
    store_router.write_series(data)
    return data
