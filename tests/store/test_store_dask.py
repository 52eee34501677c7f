"""The Dask path (a LocalCluster on the loopback address only) gives the same tables as the local process pool."""
from __future__ import annotations

import json

import pytest

import store_router
from store_helpers import cli, table_rows, write_pellets
from sselab.batch import batch


@pytest.fixture(scope="module")
def cluster():
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, protocol="tcp") as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        yield c


def test_cli_dask_run_equals_the_local_pool_run(cluster, tmp_path):
    """The recipes' routing on the cluster (dependent units included) and on the local pool: the same tables."""
    data = write_pellets(tmp_path / "data")
    local = tmp_path / "local.store"
    batch(data, local, jobs=2)
    st = tmp_path / "dask.store"
    res = cli("batch", data, "--store", st, "--scheduler", cluster.scheduler_address, "--json")
    out = json.loads(res.stdout)
    assert out["backend"] == "dask" and out["workers"] == 2 and out["analysed"] == out["units"] == 28
    assert not out["failed"]
    assert table_rows(st) == table_rows(local)
    with __import__("sselab").store.open(st) as s:      # both workers took part
        assert s.sql("SELECT count(DISTINCT worker) AS n FROM units")["n"][0] == 2


def test_dependent_units_and_resume_on_dask(series, cluster, tmp_path):
    local = tmp_path / "local"
    batch(series, local, router=store_router, jobs=1)
    st = tmp_path / "dask"
    r = batch(series, st, router=store_router, scheduler=cluster)
    assert len(r.analysed) == 9 and r.backend == "dask"
    assert table_rows(st) == table_rows(local)
    assert batch(series, st, router=store_router, scheduler=cluster).analysed == []


def test_workers_with_another_sselab_version_are_refused(series, cluster, tmp_path, monkeypatch):
    import re

    import sselab
    from sselab.store import StoreError

    real = sselab.__version__
    monkeypatch.setattr(sselab, "__version__", "9.9.9")          # this process pretends to be a newer sselab
    with pytest.raises(StoreError, match=rf"runs sselab {re.escape(real)}, this is sselab 9\.9\.9"):
        batch(series, tmp_path / "st", router=store_router, scheduler=cluster)
    assert not (tmp_path / "st").exists()
