import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:   # store_router / store_helpers: importable here and by pool and Dask worker processes
    sys.path.insert(0, str(HERE))

from store_helpers import cli  # noqa: E402


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The small demo data set (sselab.simulate.generate_demo, the default seed: `sselab demo --small`) and a store
    made from it by `sselab batch -j 2`."""
    from sselab.simulate import generate_demo

    root = tmp_path_factory.mktemp("store-demo")
    ds = generate_demo(root / "data", small=True)
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
